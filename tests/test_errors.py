"""Bad input, table-driven: every case raises a specific neuropil error whose message names the
problem (the layer or argument, what was expected, what was received), before any state changes.

Each row is ``(model, action, error, pattern)``: ``model`` names a factory below (or is None),
``action(model, tmp_path)`` does the bad thing. For rows on a model the test also checks that the
layers, weights, optimizer (identity, ``iterations``, slots, learning rate) and training counters
are exactly as they were before the call.
"""

import re
import zipfile

import numpy as np
import pytest

import neuropil as npl
from neuropil.callbacks import EarlyStopping, ModelCheckpoint
from neuropil.errors import (
    ConfigError,
    FileFormatError,
    InvalidValueError,
    LabelError,
    NeuropilError,
    NotReadyError,
    ShapeError,
    UnknownNameError,
)
from neuropil.layers import Activation, Dense, Dropout, Flatten, Input, Reshape
from neuropil.models import Sequential, load_model
from neuropil.optimizers import SGD, Adam

N, FEATURES, CLASSES = 12, 4, 3
X = np.random.default_rng(0).normal(size=(N, FEATURES)).astype(np.float32)
LABELS = np.arange(N) % CLASSES  # 0, 1, 2, 0, 1, 2, ...
ONE_HOT = np.eye(CLASSES, dtype=np.float32)[LABELS]
BINARY = (LABELS == 1).astype(np.float32)


def _with(array, index, value):
    """A copy of ``array`` (as float) with ``value`` at ``index``."""
    out = np.array(array, dtype=np.float64)
    out[index] = value
    return out


# -- the models the cases run on ---------------------------------------------------------------
def _trained(layers, loss, y, metrics=("accuracy",)):
    model = Sequential(layers)
    model.compile(optimizer=Adam(learning_rate=0.01), loss=loss, metrics=list(metrics))
    model.fit(X, y, epochs=1, batch_size=4, verbose=0)  # 3 steps: the optimizer has state
    return model


def _classifier():
    hidden = Dense(8, activation="relu", name="hidden")
    probs = Dense(CLASSES, activation="softmax", name="probs")
    return _trained([Input((FEATURES,)), hidden, probs], "sparse_categorical_crossentropy", LABELS)


def _one_hot():
    layers = [Input((FEATURES,)), Dense(CLASSES, activation="softmax", name="probs")]
    return _trained(layers, "categorical_crossentropy", ONE_HOT)


def _binary():
    layers = [Input((FEATURES,)), Dense(1, activation="sigmoid", name="score")]
    return _trained(layers, "binary_crossentropy", BINARY)


def _regressor():
    return _trained([Input((FEATURES,)), Dense(1, name="value")], "mse", X[:, 0], metrics=())


def _fresh():
    """Compiled but never trained: the optimizer is not built and no training seed is drawn."""
    model = Sequential([Input((FEATURES,)), Dense(CLASSES, activation="softmax", name="probs")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model


def _lazy():
    """Compiled, without an Input: fit builds it from the first x it sees."""
    probs = Dense(CLASSES, activation="softmax", name="probs")
    model = Sequential([Dense(8, name="hidden"), probs])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model


MODELS = {
    "classifier": _classifier,
    "lazy": _lazy,
    "one_hot": _one_hot,
    "binary": _binary,
    "regressor": _regressor,
    "fresh": _fresh,
    "uncompiled": lambda: Sequential([Input((FEATURES,)), Dense(CLASSES, name="probs")]),
    "images": lambda: Sequential([Input((28, 28, 1))], name="digits"),
    "grid_input": lambda: Sequential([Input((12,))], name="grid_model"),
    "empty": lambda: Sequential(name="empty"),
}


def _state(model):
    """Everything a failed call must leave alone."""
    opt = getattr(model, "optimizer", None)
    opt_built = bool(getattr(opt, "built", False))
    return {
        "layers": [layer.name for layer in model.layers],
        "input_shape": model.input_shape,
        "output_shape": model.output_shape,
        "built": model.built,
        "layer_built": [layer.built for layer in model.layers],
        "weights": model.get_weights(),
        "compiled": model.compiled,
        "loss": model.loss,
        "optimizer": opt,
        "optimizer_built": opt_built,
        "iterations": None if opt is None else opt.iterations,
        "optimizer_state": opt.get_state() if opt_built else None,
        "train_seed": model._train_seed,
        "epochs_trained": model.epochs_trained,
        "history": model.history,
    }


def _assert_same_state(before, after):
    for key in before:
        a, b = before[key], after[key]
        if key == "weights":
            assert len(a) == len(b), "the number of weights changed"
            for i, (u, v) in enumerate(zip(a, b, strict=True)):
                assert u.shape == v.shape and np.array_equal(u, v, equal_nan=True), (
                    f"weight {i} changed"
                )
        elif key == "optimizer_state":
            assert (a is None) == (b is None), "the optimizer state appeared or vanished"
            if a is not None:
                assert a.keys() == b.keys()
                for name in a:
                    assert np.array_equal(a[name], b[name], equal_nan=True), f"{name} changed"
        elif key in ("optimizer", "loss", "history"):
            assert a is b, f"model.{key} was replaced"
        else:
            assert a == b, f"{key} changed: {a!r} -> {b!r}"


# -- actions that take more than one expression ------------------------------------------------
def _reuse_built_layer(model, tmp_path):
    Sequential([Input((FEATURES + 1,)), model.get_layer("hidden")])


def _wrong_shape_weights(model, tmp_path):
    weights = model.get_weights()
    weights[0] = weights[0].T
    model.set_weights(weights)


def _non_numeric_second_weight(model, tmp_path):
    weights = [np.zeros_like(w) for w in model.get_weights()]
    weights[1] = np.full(weights[1].shape, "x")
    model.set_weights(weights)


def _foreign_weights_file(model, tmp_path):
    other = Sequential([Input((FEATURES,)), Dense(5, name="other")])
    other.save_weights(tmp_path / "other.npz")
    model.load_weights(tmp_path / "other.npz")


def _checkpoint_with_unknown_key(model, tmp_path):
    ckpt = ModelCheckpoint(str(tmp_path / "m-{epoch:02d}-{val_acc:.2f}.npil"))
    model.fit(X, LABELS, epochs=2, batch_size=4, verbose=0, callbacks=[ckpt])


def _text_file(model, tmp_path):
    path = tmp_path / "notes.npil"
    path.write_text("these are my notes, not a model")
    load_model(path)


def _zip_without_metadata(model, tmp_path):
    path = tmp_path / "archive.npil"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("config.json", "{}")
    load_model(path)


FIT = {"verbose": 0, "batch_size": 4}
# (model factory or None, action(model, tmp_path), error class, regex naming the problem)
CASES = [
    # -- building models ---------------------------------------------------------------------
    pytest.param("images", lambda m, t: m.add(Dense(10, name="head")), ShapeError,
                 r"'head' \(Dense\) expects 2-D input.*\(None, 28, 28, 1\).*Add a Flatten layer",
                 id="dense-after-images-without-flatten"),
    pytest.param(None, lambda m, t: Input((28, -1)), ConfigError,
                 r"shape of 'input\w*' must be a tuple of positive integers.*Received: \(28, -1\)",
                 id="input-shape-negative"),
    pytest.param(None, lambda m, t: Input(), ConfigError,
                 r"Input needs a shape, e\.g\. Input\(\(11,\)\)\. Received: shape=None",
                 id="input-without-shape"),
    pytest.param("classifier", lambda m, t: m.add(Dense(2, name="hidden")), ConfigError,
                 r"already has a layer named 'hidden'.*Received: a second layer named 'hidden'",
                 id="duplicate-layer-name"),
    pytest.param("classifier", lambda m, t: m.add("relu"), ConfigError,
                 r"takes neuropil layers\. Received: str", id="non-layer-in-sequential"),
    pytest.param(None, lambda m, t: Dense(-3, name="d"), ConfigError,
                 r"Dense 'd' units must be a positive integer\. Received: -3",
                 id="dense-negative-units"),
    pytest.param(None, lambda m, t: Dropout(1.5, name="drop"), ConfigError,
                 r"Dropout 'drop' rate must be a number in \[0, 1\)\. Received: 1\.5",
                 id="dropout-rate-1.5"),
    pytest.param("grid_input", lambda m, t: m.add(Reshape((5, 5), name="grid")), ShapeError,
                 r"'grid' \(Reshape\) cannot reshape inputs of shape \(None, 12\) \(12 values\) "
                 r"to \(5, 5\)", id="reshape-size-mismatch"),
    pytest.param(None, lambda m, t: Reshape((-1, -1), name="grid"), ConfigError,
                 r"Reshape 'grid' target_shape takes positive sizes and at most one -1.*"
                 r"Received: \(-1, -1\)", id="reshape-two-unknown-axes"),
    pytest.param("classifier", _reuse_built_layer, ShapeError,
                 r"'hidden' \(Dense\) was built for inputs of shape \(None, 4\)\. "
                 r"Received: \(None, 5\)", id="built-layer-reused-with-other-shape"),
    pytest.param("empty", lambda m, t: m.add(Dense(3, input_shape=(28, 28), name="head")),
                 ShapeError, r"'head' \(Dense\) expects 2-D input.*\(None, 28, 28\)",
                 id="first-layer-declares-image-input"),
    # -- fit / evaluate / predict inputs -----------------------------------------------------
    pytest.param("classifier", lambda m, t: m.fit(X[:, :3], LABELS, **FIT), ShapeError,
                 r"expects x of shape \(None, 4\)\. Received: \(12, 3\)",
                 id="x-wrong-feature-count"),
    pytest.param("classifier", lambda m, t: m.predict(np.zeros((2, 2, 2))), ShapeError,
                 r"expects x of shape \(None, 4\)\. Flatten the inputs.*Received: \(2, 2, 2\)",
                 id="predict-images-on-dense-model"),
    pytest.param("classifier", lambda m, t: m.fit(X, LABELS[:-1], **FIT), ShapeError,
                 r"x and y must have the same number of samples\. Received: 12 and 11",
                 id="x-y-different-lengths"),
    pytest.param("classifier", lambda m, t: m.fit(_with(X, (3, 1), np.nan), LABELS, **FIT),
                 InvalidValueError, r"x contains nan at index \(3, 1\)", id="nan-in-x-fit"),
    pytest.param("classifier", lambda m, t: m.predict(_with(X, (0, 2), -np.inf)),
                 InvalidValueError, r"x contains -inf at index \(0, 2\)", id="inf-in-x-predict"),
    pytest.param("classifier", lambda m, t: m.fit(X, _with(LABELS, 5, np.inf), **FIT),
                 InvalidValueError, r"y contains inf at index \(5,\)", id="inf-in-y"),
    pytest.param("classifier", lambda m, t: m.fit(X.astype(str), LABELS, **FIT), ConfigError,
                 r"x must hold numbers.*Received: an array of dtype <U", id="string-x"),
    pytest.param("classifier",
                 lambda m, t: m.fit(X, np.array(["cat", "dog", "owl"] * 4), **FIT), ConfigError,
                 r"y must hold numbers.*Received: an array of dtype <U3.*encode",
                 id="string-labels"),
    pytest.param("classifier", lambda m, t: m.fit(X, LABELS, batch_size=0, verbose=0),
                 ConfigError, r"batch_size must be a positive integer\. Received: 0",
                 id="batch-size-0"),
    pytest.param("classifier", lambda m, t: m.fit(X, LABELS, epochs=-1, verbose=0), ConfigError,
                 r"epochs must be a non-negative integer\. Received: -1", id="epochs-negative"),
    pytest.param("classifier", lambda m, t: m.fit(X, LABELS, epochs=2, initial_epoch=3, **FIT),
                 ConfigError, r"initial_epoch \(3\) cannot exceed epochs \(2\)",
                 id="initial-epoch-after-epochs"),
    pytest.param("classifier", lambda m, t: m.fit(X, LABELS, validation_split=1.5, **FIT),
                 ConfigError, r"validation_split must be a number in \[0, 1\)\. Received: 1\.5",
                 id="validation-split-1.5"),
    pytest.param("classifier", lambda m, t: m.fit(X, LABELS, validation_data=(X,), **FIT),
                 ConfigError, r"validation_data must be a tuple \(x_val, y_val\).*"
                 r"Received: tuple of length 1", id="validation-data-one-item"),
    pytest.param("classifier",
                 lambda m, t: m.fit(X, LABELS, validation_data=(X[:, :3], LABELS), **FIT),
                 ShapeError, r"expects validation x of shape \(None, 4\)\. Received: \(12, 3\)",
                 id="validation-x-wrong-feature-count"),
    pytest.param("classifier",
                 lambda m, t: m.fit(X, LABELS, validation_data=(X, LABELS + 1), **FIT),
                 LabelError, r"class indices in \[0, 2\] for 3 output classes, but y_true\[2\] "
                 r"is 3", id="validation-labels-out-of-range"),
    pytest.param("classifier",
                 lambda m, t: m.fit(X, LABELS, class_weight={0: 1.0, 1: -2.0, 2: 1.0}, **FIT),
                 ConfigError, r"class_weight.*>= 0.*Received: .*-2\.0",
                 id="class-weight-negative"),
    pytest.param("classifier", lambda m, t: m.fit(X, LABELS, sample_weight=np.ones(N - 1), **FIT),
                 ShapeError, r"sample_weight needs one weight per sample \(12\)\. "
                 r"Received: \(11,\)", id="sample-weight-wrong-length"),
    pytest.param("classifier",
                 lambda m, t: m.fit(X, LABELS, sample_weight=_with(np.ones(N), 4, -1), **FIT),
                 ConfigError, r"sample_weight must be >= 0\. Received: minimum -1\.0",
                 id="sample-weight-negative"),
    pytest.param("classifier",
                 lambda m, t: m.evaluate(X, LABELS, sample_weight=_with(np.ones(N), 7, np.nan),
                                         verbose=0),
                 InvalidValueError, r"sample_weight contains nan at index \(7,\)",
                 id="sample-weight-nan"),
    pytest.param("lazy", lambda m, t: m.fit(X, _with(LABELS, 5, 3), **FIT), LabelError,
                 r"class indices in \[0, 2\] for 3 output classes, but y_true\[5\] is 3",
                 id="unbuilt-model-bad-labels"),
    pytest.param("lazy", lambda m, t: m.evaluate(X, _with(LABELS, 2, -1), verbose=0), LabelError,
                 r"class indices in \[0, 2\] for 3 output classes, but y_true\[2\] is -1",
                 id="unbuilt-model-bad-labels-evaluate"),
    pytest.param("lazy", lambda m, t: m.fit(X, LABELS, callbacks=[None], **FIT), ConfigError,
                 r"callbacks must be a list of .*Callback instances\. Received: item 0",
                 id="unbuilt-model-bad-callback"),
    pytest.param("uncompiled", lambda m, t: m.fit(X, LABELS, **FIT), NotReadyError,
                 r"Call compile\(optimizer=\.\.\., loss=\.\.\.\) before fit\(\)\. "
                 r"Received: a model that is not compiled", id="fit-before-compile"),
    pytest.param("uncompiled", lambda m, t: m.evaluate(X, LABELS, verbose=0), NotReadyError,
                 r"before evaluate\(\)\. Received: a model that is not compiled",
                 id="evaluate-before-compile"),
    pytest.param("fresh", lambda m, t: m.fit(X, LABELS, batch_size=4, verbose=5), ConfigError,
                 r"verbose must be 0, 1, 2 or 'auto'\. Received: verbose=5", id="verbose-5"),
    pytest.param("fresh", lambda m, t: m.fit(X, LABELS, callbacks=["early_stopping"], **FIT),
                 ConfigError, r"callbacks must be a list of .*Callback instances\. "
                 r"Received: item 0 of type str", id="callback-not-a-callback"),
    # -- labels that do not fit the loss -----------------------------------------------------
    pytest.param("classifier", lambda m, t: m.fit(X, _with(LABELS, 5, 3), **FIT), LabelError,
                 r"sparse_categorical_crossentropy expects class indices in \[0, 2\] for 3 output "
                 r"classes, but y_true\[5\] is 3.*one unit per class",
                 id="sparse-label-out-of-range"),
    pytest.param("classifier", lambda m, t: m.evaluate(X, _with(LABELS, 0, -1), verbose=0),
                 LabelError, r"class indices in \[0, 2\].*but y_true\[0\] is -1",
                 id="sparse-label-negative"),
    pytest.param("classifier", lambda m, t: m.fit(X, _with(LABELS, 1, 1.5), **FIT), LabelError,
                 r"expects integer class indices, but y_true\[1\] is 1\.5",
                 id="sparse-label-not-integer"),
    pytest.param("classifier", lambda m, t: m.fit(X, ONE_HOT, **FIT), LabelError,
                 r"These look like one-hot targets: use loss='categorical_crossentropy'.*"
                 r"Received: y_true of shape \(12, 3\)", id="sparse-loss-given-one-hot"),
    pytest.param("one_hot", lambda m, t: m.fit(X, LABELS, **FIT), LabelError,
                 r"categorical_crossentropy expects targets of shape \(N, 3\).*integer class "
                 r"labels: use loss='sparse_categorical_crossentropy'.*Received: y_true of shape "
                 r"\(12, 1\)", id="categorical-loss-given-integer-labels"),
    pytest.param("one_hot", lambda m, t: m.fit(X, _with(ONE_HOT, (2, 0), 1.5), **FIT),
                 LabelError, r"expects targets in \[0, 1\], but y_true\[2, 0\] is 1\.5",
                 id="categorical-probabilities-above-1"),
    pytest.param("binary", lambda m, t: m.fit(X, 2 * BINARY - 1, **FIT), LabelError,
                 r"binary_crossentropy expects targets in \[0, 1\], but y_true\[0, 0\] is -1\.0.*"
                 r"Map the labels to 0 and 1", id="bce-targets-minus-one"),
    pytest.param("binary", lambda m, t: m.fit(X, ONE_HOT[:, :2], **FIT), LabelError,
                 r"binary_crossentropy expects targets of shape \(N, 1\).*gives 1 output\(s\) per "
                 r"sample but the targets have 2 columns", id="bce-two-columns-for-one-output"),
    pytest.param("regressor", lambda m, t: m.fit(X, X[:, :3], **FIT), LabelError,
                 r"mean_squared_error expects targets of shape \(N, 1\) to match the model output "
                 r"\(None, 1\).*Received: y_true of shape \(12, 3\)",
                 id="target-shape-not-matching-output"),
    # -- unknown names list the valid ones ---------------------------------------------------
    pytest.param(None, lambda m, t: Dense(3, activation="rleu"), UnknownNameError,
                 r"Unknown activation 'rleu'\. Valid names: .*\brelu\b.*\bsigmoid\b",
                 id="unknown-activation"),
    pytest.param(None, lambda m, t: Activation("sigmod"), UnknownNameError,
                 r"Unknown activation 'sigmod'\. Valid names: .*\bsigmoid\b",
                 id="unknown-activation-layer"),
    pytest.param("classifier", lambda m, t: m.compile(optimizer="adam", loss="msee"),
                 UnknownNameError, r"Unknown loss 'msee'\. Valid names: .*\bmse\b.*"
                 r"\bsparse_categorical_crossentropy\b", id="unknown-loss"),
    pytest.param("classifier", lambda m, t: m.compile(optimizer="adamm", loss="mse"),
                 UnknownNameError, r"Unknown optimizer 'adamm'\. Valid names: .*\badam\b.*\bsgd\b",
                 id="unknown-optimizer"),
    pytest.param("classifier",
                 lambda m, t: m.compile(optimizer="sgd", loss="mse", metrics=["acuracy"]),
                 UnknownNameError, r"Unknown metric 'acuracy'\. Valid names: .*\baccuracy\b",
                 id="unknown-metric"),
    pytest.param("lazy", lambda m, t: m.compile(loss="mse", metrics=["acc", "f1"]),
                 UnknownNameError, r"Unknown metric 'f1'\. Valid names: .*\bprecision\b",
                 id="unknown-metric-before-build"),
    pytest.param(None, lambda m, t: Dense(3, kernel_initializer="glorot"), UnknownNameError,
                 r"Unknown initializer 'glorot'\. Valid names: .*\bglorot_uniform\b",
                 id="unknown-initializer"),
    pytest.param(None, lambda m, t: npl.layers.deserialize({"class_name": "Conv3D"}),
                 UnknownNameError, r"Unknown layer class 'Conv3D'\. Valid names: .*\bDense\b",
                 id="unknown-layer-class"),
    # -- optimizer hyper-parameters ----------------------------------------------------------
    pytest.param(None, lambda m, t: Adam(learning_rate=-0.1), ConfigError,
                 r"Adam expects learning_rate to be a number >= 0\. Received: learning_rate=-0\.1",
                 id="negative-learning-rate"),
    pytest.param(None, lambda m, t: Adam(beta_1=1.0), ConfigError,
                 r"Adam expects beta_1 to be a number in \[0, 1\)\. Received: beta_1=1\.0",
                 id="adam-beta-1-equals-1"),
    pytest.param(None, lambda m, t: SGD(momentum=-0.5), ConfigError,
                 r"SGD expects momentum to be a number in \[0, 1\]\. Received: momentum=-0\.5",
                 id="sgd-negative-momentum"),
    pytest.param("classifier", lambda m, t: setattr(m.optimizer, "learning_rate", float("nan")),
                 ConfigError, r"learning_rate to be a number >= 0\. Received: learning_rate=nan",
                 id="assign-nan-learning-rate"),
    # -- weights -----------------------------------------------------------------------------
    pytest.param("classifier", lambda m, t: m.set_weights(m.get_weights()[:-1]), ShapeError,
                 r"has 4 weight arrays\. Received: 3 arrays", id="set-weights-wrong-count"),
    pytest.param("classifier", _wrong_shape_weights, ShapeError,
                 r"Weight 'hidden/kernel' has shape \(4, 8\)\. "
                 r"Received: an array of shape \(8, 4\)",
                 id="set-weights-wrong-shape"),
    pytest.param("classifier",
                 lambda m, t: m.get_layer("probs").set_weights([np.zeros((8, 2)), np.zeros(2)]),
                 ShapeError, r"Weight 'probs/kernel' has shape \(8, 3\)\. Received: an array of "
                 r"shape \(8, 2\)", id="layer-set-weights-wrong-shape"),
    pytest.param("classifier", _non_numeric_second_weight, ConfigError,
                 r"hidden/bias.*Received: .*<U1", id="set-weights-non-numeric"),
    pytest.param("classifier", _foreign_weights_file, ShapeError,
                 r"has 4 weight arrays\. Received: 2 arrays", id="load-weights-of-other-model"),
    # -- callbacks ---------------------------------------------------------------------------
    pytest.param(None, lambda m, t: EarlyStopping(mode="bogus"), ConfigError,
                 r"EarlyStopping expects mode to be 'auto', 'min' or 'max'\. "
                 r"Received: mode='bogus'", id="early-stopping-mode-bogus"),
    pytest.param(None, lambda m, t: ModelCheckpoint("ckpt-{}.npil"), ConfigError,
                 r"named fields like \{epoch:02d\}.*Received: filepath='ckpt-\{\}\.npil'",
                 id="checkpoint-positional-field"),
    pytest.param(None, lambda m, t: ModelCheckpoint("ckpt-{batch}.npil"), ConfigError,
                 r"uses \{batch\}, which exists only with an integer save_freq",
                 id="checkpoint-batch-key-per-epoch"),
    pytest.param("classifier", _checkpoint_with_unknown_key, ConfigError,
                 r"uses \{val_acc\}, which is not in the logs; available keys: .*\bloss\b",
                 id="checkpoint-unknown-template-key"),
    # -- model files -------------------------------------------------------------------------
    pytest.param(None, _text_file, FileFormatError,
                 r"Cannot load '.*notes\.npil': not a neuropil model file", id="load-text-file"),
    pytest.param(None, _zip_without_metadata, FileFormatError,
                 r"Cannot load '.*archive\.npil': it is a zip archive but not a neuropil model "
                 r"\(no metadata\.json\)", id="load-zip-without-metadata"),
    pytest.param(None, lambda m, t: load_model(t / "missing.npil"), FileNotFoundError,
                 r"No model file at '.*missing\.npil'", id="load-missing-file"),
]  # fmt: skip


@pytest.mark.parametrize(("model_name", "action", "error", "pattern"), CASES)
def test_bad_input_raises_a_clear_error_and_changes_nothing(
    model_name, action, error, pattern, tmp_path
):
    model = MODELS[model_name]() if model_name else None
    before = _state(model) if model is not None else None
    with pytest.raises(Exception) as info:
        action(model, tmp_path)
    exc = info.value
    message = str(exc)
    assert type(exc) is error, f"expected {error.__name__}, got {type(exc).__name__}: {message}"
    if error is not FileNotFoundError:
        assert isinstance(exc, NeuropilError)
    if isinstance(exc, NeuropilError) and not isinstance(exc, FileFormatError):
        assert "Received" in message, f"the message does not say what was received: {message}"
    assert re.search(pattern, message, re.S), f"{pattern!r} not found in: {message}"
    if model is not None:
        _assert_same_state(before, _state(model))


def test_the_table_covers_enough_cases():
    assert len(CASES) >= 30
    assert len({case.id for case in CASES}) == len(CASES)


def test_flatten_fixes_the_dense_after_images_error():
    """The hint is right: with the Flatten the same model builds."""
    model = Sequential([Input((28, 28, 1)), Flatten(), Dense(10, name="head")])
    assert model.output_shape == (10,)


def test_fit_accepts_a_single_callback():
    """``callbacks=cb`` works like ``callbacks=[cb]`` (fit used to iterate over the callback)."""
    model = _fresh()
    model.fit(X, LABELS, epochs=2, verbose=0, callbacks=EarlyStopping(monitor="loss"))
    assert model.epochs_trained >= 1


def test_every_error_class_lives_in_neuropil_errors_and_keeps_its_builtin():
    # ``except FileNotFoundError`` (or ConnectionError, ValueError) keeps working, and the
    # dataset module hands out the very classes neuropil.errors defines
    from neuropil import datasets, errors

    assert issubclass(errors.DatasetNotFoundError, FileNotFoundError)
    assert issubclass(errors.DownloadError, ConnectionError)
    assert issubclass(errors.ChecksumError, errors.FileFormatError)
    for name in ("ChecksumError", "DownloadError", "DatasetNotFoundError"):
        assert getattr(datasets, name) is getattr(errors, name)
        assert issubclass(getattr(errors, name), NeuropilError)
