"""evaluate and predict (models/inference.py): cache-sized slices, progress and callbacks."""

import re

import numpy as np
import pytest

import neuropil as npl
from neuropil.callbacks import Callback
from neuropil.errors import ConfigError
from neuropil.layers import Conv2D, Dense, Flatten, Input, MaxPooling2D
from neuropil.models import Sequential
from neuropil.models import inference as T


def _convnet(output="softmax"):
    npl.set_seed(3)
    model = Sequential([
        Input((12, 12, 1)), Conv2D(4, 3, activation="relu"), MaxPooling2D(2),
        Flatten(), Dense(5, activation=output),
    ])  # fmt: skip
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model


def _counting_calls(model, monkeypatch):
    sizes = []
    call = model.call

    def spy(x, training=False):
        sizes.append(len(x.data))
        return call(x, training)

    monkeypatch.setattr(model, "call", spy)
    return sizes


def test_slice_rows_follow_the_largest_array():
    model = Sequential([Input((28, 28, 1)), Conv2D(32, 3), MaxPooling2D(2), Conv2D(64, 3)])
    # the second conv's im2col matrix: 11 * 11 positions x 3 * 3 * 32 values, float32
    assert model._inference_rows() == T.INFERENCE_SLICE_BYTES // (11 * 11 * 288 * 4)
    mlp = Sequential([Input((784,)), Dense(256), Dense(10)])
    assert mlp._inference_rows() == T.INFERENCE_SLICE_BYTES // (256 * 4)  # its widest output


def test_predict_in_slices_matches_one_pass(monkeypatch):
    model = _convnet()
    x = np.random.default_rng(0).normal(size=(23, 12, 12, 1)).astype(np.float32)
    with npl.no_grad():
        whole = model.call(npl.Tensor(x), training=False).data
    monkeypatch.setattr(T, "INFERENCE_SLICE_BYTES", 4 * 100 * 9 * 3)  # 3 images per slice
    sizes = _counting_calls(model, monkeypatch)
    out = model.predict(x, batch_size=10, verbose=0)
    assert sizes == [3] * 7 + [2]  # slices across batch boundaries: no short slice per batch
    assert out.dtype == np.float32 and out.shape == (23, 5)
    np.testing.assert_allclose(out, whole, rtol=1e-6, atol=1e-7)
    sizes.clear()
    model.predict(x, batch_size=2, verbose=0)
    assert sizes == [2] * 11 + [1]  # batch_size still bounds a forward pass


def test_evaluate_in_slices_keeps_the_logits_for_the_loss(monkeypatch):
    # Saturated softmax outputs: the true class's probability underflows to 0, so a loss taken
    # from the joined probabilities would be clipped; from the joined logits it is exact.
    model = _convnet()
    for w in model.layers[-1].weights:
        w.data *= 400
    rng = np.random.default_rng(1)
    x = rng.normal(size=(16, 12, 12, 1)).astype(np.float32)
    logits = model.predict(x, verbose=0)
    y = np.argmin(logits, axis=1)
    whole = model.evaluate(x, y, batch_size=16, verbose=0)
    monkeypatch.setattr(T, "INFERENCE_SLICE_BYTES", 4 * 100 * 9 * 5)  # 5 images per slice
    sizes = _counting_calls(model, monkeypatch)
    sliced = model.evaluate(x, y, batch_size=16, verbose=0)
    assert sizes == [5, 5, 5, 1]
    assert whole > 100  # far beyond what clipped probabilities could give
    assert sliced == pytest.approx(whole, rel=1e-6)


def test_evaluate_in_slices_without_logits(monkeypatch):
    model = _convnet(output=None)
    model.compile(loss="mse")
    rng = np.random.default_rng(2)
    x = rng.normal(size=(9, 12, 12, 1)).astype(np.float32)
    y = rng.normal(size=(9, 5)).astype(np.float32)
    whole = model.evaluate(x, y, batch_size=9, verbose=0)
    monkeypatch.setattr(T, "INFERENCE_SLICE_BYTES", 1)  # one image per slice
    assert model.evaluate(x, y, batch_size=9, verbose=0) == pytest.approx(whole, rel=1e-6)


class Recorder(Callback):
    """Keeps every evaluate/predict hook call with a copy of its logs."""

    def __init__(self):
        super().__init__()
        self.calls = []

    def _keep(name):  # noqa: N805 - builds the hook methods below
        def hook(self, *args):
            self.calls.append((name, *(dict(a) if isinstance(a, dict) else a for a in args)))

        return hook

    on_test_begin, on_test_batch_begin = _keep("test_begin"), _keep("test_batch_begin")
    on_test_batch_end, on_test_end = _keep("test_batch_end"), _keep("test_end")
    on_predict_begin, on_predict_batch_begin = _keep("predict_begin"), _keep("predict_batch_begin")
    on_predict_batch_end, on_predict_end = _keep("predict_batch_end"), _keep("predict_end")


def _mlp():
    npl.set_seed(0)
    model = Sequential([Input((4,)), Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


X = np.random.default_rng(1).normal(size=(10, 4)).astype(np.float32)
Y = np.arange(10) % 3


def test_evaluate_and_predict_print_a_line_with_verbose(capsys):
    model = _mlp()
    loss, accuracy = model.evaluate(X, Y, batch_size=4, verbose=2)
    model.predict(X, batch_size=4, verbose=2)
    evaluate, predict = capsys.readouterr().out.splitlines()
    assert re.fullmatch(rf"Evaluate - \d+\.\d\ds - loss: {loss:.4f} - accuracy: {accuracy:.4f}",
                        evaluate)  # fmt: skip
    assert re.fullmatch(r"Predict - \d+\.\d\ds", predict)
    model.evaluate(X, Y, verbose=0)
    model.predict(X, verbose=0)
    assert capsys.readouterr().out == ""


def test_evaluate_calls_the_test_hooks_with_running_logs():
    model, rec = _mlp(), Recorder()
    final = model.evaluate(X, Y, batch_size=4, verbose=0, callbacks=[rec], return_dict=True)
    names = [c[0] for c in rec.calls]
    assert names == ["test_begin"] + ["test_batch_begin", "test_batch_end"] * 3 + ["test_end"]
    batch_ends = [c for c in rec.calls if c[0] == "test_batch_end"]
    assert [c[1] for c in batch_ends] == [0, 1, 2]
    # the running loss after 8 samples is the loss of those 8 samples
    first8 = model.evaluate(X[:8], Y[:8], batch_size=4, verbose=0)[0]
    assert batch_ends[1][2]["loss"] == pytest.approx(first8, rel=1e-6)
    assert batch_ends[2][2] == pytest.approx(final) and rec.calls[-1][1] == pytest.approx(final)
    assert rec.params["steps"] == 3


def test_predict_gives_each_batch_its_outputs():
    model, rec = _mlp(), Recorder()
    out = model.predict(X, batch_size=4, verbose=0, callbacks=rec)
    names = [c[0] for c in rec.calls]
    assert names == ["predict_begin"] + ["predict_batch_begin", "predict_batch_end"] * 3 + [
        "predict_end"]  # fmt: skip
    parts = [c[2]["outputs"] for c in rec.calls if c[0] == "predict_batch_end"]
    assert [len(p) for p in parts] == [4, 4, 2]
    np.testing.assert_array_equal(np.concatenate(parts), out)
    np.testing.assert_array_equal(out, model.predict(X, batch_size=4, verbose=0))


def test_fit_validation_calls_the_test_hooks_and_stays_one_line_per_epoch(capsys):
    model, rec = _mlp(), Recorder()
    model.fit(X, Y, batch_size=4, epochs=2, validation_split=0.2, verbose=2, callbacks=[rec])
    assert [c[0] for c in rec.calls].count("test_end") == 2  # once per epoch, as in Keras
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and all("val_loss" in line for line in lines)


@pytest.mark.parametrize("call", ["evaluate", "predict"])
def test_bad_verbose_or_callbacks_change_nothing(call):
    model = Sequential([Dense(3, activation="softmax")])  # built by the first x it sees
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    args = (X, Y) if call == "evaluate" else (X,)
    with pytest.raises(ConfigError, match="Received: verbose=3"):
        getattr(model, call)(*args, verbose=3)
    with pytest.raises(ConfigError, match="callbacks must be a list"):
        getattr(model, call)(*args, verbose=0, callbacks=["not a callback"])
    assert not model.built and not model.layers[0].built


class Scribbler(Recorder):
    def on_predict_batch_end(self, batch, logs=None):
        super().on_predict_batch_end(batch, {"outputs": logs["outputs"].copy()})
        logs["outputs"][:] = -1.0  # must not reach what predict returns


def test_predict_slices_straight_and_gives_each_batch_hook_its_rows(monkeypatch, capsys):
    model = _convnet()
    x = np.random.default_rng(0).normal(size=(23, 12, 12, 1)).astype(np.float32)
    monkeypatch.setattr(T, "INFERENCE_SLICE_BYTES", 4 * 100 * 9 * 3)  # 3 images per slice
    alone = model.predict(x, batch_size=10, verbose=0)
    sizes = _counting_calls(model, monkeypatch)
    model.predict(x, batch_size=10, verbose=2)  # a line at the end: no batch hook wanted
    assert sizes == [3] * 7 + [2] and capsys.readouterr().out.startswith("Predict - ")
    sizes.clear()
    rec = Scribbler()
    out = model.predict(x, batch_size=10, verbose=0, callbacks=[rec])
    assert sizes == [3] * 7 + [2]  # slices 9-11 and 18-20 each span two batches
    names = [c[0] for c in rec.calls]
    assert names == ["predict_begin"] + ["predict_batch_begin", "predict_batch_end"] * 3 + [
        "predict_end"]  # fmt: skip
    ends = [c for c in rec.calls if c[0] == "predict_batch_end"]
    assert [c[1] for c in ends] == [0, 1, 2] and [len(c[2]["outputs"]) for c in ends] == [
        10, 10, 3]  # fmt: skip
    np.testing.assert_array_equal(out, alone)
    np.testing.assert_array_equal(np.concatenate([c[2]["outputs"] for c in ends]), out)


@pytest.mark.parametrize("n, batch_size, rows", [(7, 7, 3), (8, 4, 4), (9, 2, 1), (1, 5, 2)])
def test_predict_batch_hooks_cover_every_row_once(monkeypatch, n, batch_size, rows):
    model = _mlp()
    monkeypatch.setattr(model, "_inference_rows", lambda: rows)
    x = np.random.default_rng(2).normal(size=(n, 4)).astype(np.float32)
    rec = Scribbler()
    out = model.predict(x, batch_size=batch_size, verbose=0, callbacks=[rec])
    np.testing.assert_array_equal(out, model.predict(x, batch_size=batch_size, verbose=0))
    ends = [c for c in rec.calls if c[0] == "predict_batch_end"]
    steps = -(-n // batch_size)
    assert [c[1] for c in ends] == list(range(steps))
    assert [c[1] for c in rec.calls if c[0] == "predict_batch_begin"] == list(range(steps))
    np.testing.assert_array_equal(np.concatenate([c[2]["outputs"] for c in ends]), out)


class Stopper(Callback):
    def on_test_batch_end(self, batch, logs=None):
        self.model.stop_evaluating = True

    def on_predict_batch_end(self, batch, logs=None):
        self.model.stop_predicting = True


def test_a_callback_can_stop_evaluate_and_predict_after_a_batch():
    model = _mlp()
    out = model.predict(X, batch_size=4, verbose=0, callbacks=[Stopper()])
    np.testing.assert_array_equal(out, model.predict(X[:4], verbose=0))  # the first batch only
    stopped = model.evaluate(X, Y, batch_size=4, verbose=0, callbacks=[Stopper()])
    assert stopped == pytest.approx(model.evaluate(X[:4], Y[:4], verbose=0), rel=1e-6)
    assert len(model.predict(X, batch_size=4, verbose=0)) == 10  # the flag does not linger


class EarlyStopper(Callback):
    def on_predict_begin(self, logs=None):
        self.model.stop_predicting = True  # before any batch: Keras still predicts the first


def test_stop_predicting_keeps_whole_batches(monkeypatch):
    model = _mlp()
    monkeypatch.setattr(model, "_inference_rows", lambda: 3)  # slices of 3 across batches of 4
    out = model.predict(X, batch_size=4, verbose=0, callbacks=[EarlyStopper()])
    np.testing.assert_array_equal(out, model.predict(X[:4], verbose=0))
    rec = Recorder()
    out = model.predict(X, batch_size=4, verbose=0, callbacks=[Stopper(), rec])
    assert len(out) == 4 and [c[0] for c in rec.calls].count("predict_batch_begin") == 1
