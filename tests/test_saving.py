"""The .npil file: round trips, resuming training, and files that must be refused."""

import json
import os
import zipfile

import numpy as np
import pytest

import neuropil as npl
import neuropil.functional as F
from neuropil.errors import ConfigError, FileFormatError
from neuropil.layers import BatchNormalization, Dense, Dropout, Input, PReLU
from neuropil.models import Sequential, load_model


def _data(n=96, features=6, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, features)).astype(np.float32)
    y = (x[:, 0] + 0.5 * x[:, 1] > 0).astype(np.float32)
    return x, y


def _model(seed=5):
    npl.set_seed(seed)
    model = Sequential([Input((6,)), Dense(8, activation="relu"), BatchNormalization(), PReLU(),
                        Dropout(0.25), Dense(1, activation="sigmoid")])  # fmt: skip
    model.compile(optimizer=npl.optimizers.Adam(learning_rate=0.01), loss="binary_crossentropy",
                  metrics=["accuracy"])  # fmt: skip
    return model


def test_save_load_gives_identical_predictions_and_config(tmp_path):
    x, y = _data()
    model = _model()
    model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    path = tmp_path / "m.npil"
    model.save(path)
    loaded = load_model(path)
    np.testing.assert_array_equal(model.predict(x), loaded.predict(x))
    assert [type(l).__name__ for l in loaded.layers] == [type(l).__name__ for l in model.layers]
    assert loaded.optimizer.get_config()["learning_rate"] == pytest.approx(0.01)
    assert loaded.evaluate(x, y, verbose=0) == pytest.approx(model.evaluate(x, y, verbose=0))
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".tmp")]


def test_interrupted_then_resumed_run_matches_uninterrupted(tmp_path):
    x, y = _data()
    full = _model()
    full.fit(x, y, epochs=6, batch_size=16, verbose=0, validation_split=0.25)

    first = _model()
    first.fit(x, y, epochs=3, batch_size=16, verbose=0, validation_split=0.25)
    first.save(tmp_path / "k3.npil")
    del first
    resumed = load_model(tmp_path / "k3.npil")
    resumed.fit(x, y, epochs=6, initial_epoch=3, batch_size=16, verbose=0, validation_split=0.25)
    for a, b in zip(full.get_weights(), resumed.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_weights_only_round_trip(tmp_path):
    model = _model()
    other = _model(seed=99)
    model.save_weights(tmp_path / "w.npz")
    other.load_weights(tmp_path / "w.npz")
    for a, b in zip(model.get_weights(), other.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_load_weights_takes_a_model_file_and_names_a_foreign_one(tmp_path):
    model, other = _model(), _model(seed=99)
    model.save(tmp_path / "m.npil")
    other.load_weights(tmp_path / "m.npil")  # as Keras's load_weights takes a .keras file
    for a, b in zip(model.get_weights(), other.get_weights()):
        np.testing.assert_array_equal(a, b)
    (tmp_path / "noise.bin").write_bytes(np.random.default_rng(0).bytes(500))
    with pytest.raises(FileFormatError, match="neither a weights file.*nor a model file"):
        other.load_weights(tmp_path / "noise.bin")


def _rewrite(src, dst, change):
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for name in zin.namelist():
            data = change(name, zin.read(name))
            if data is not None:
                zout.writestr(name, data)


def _rehashed(src, dst, edit):
    """Copy a model file with ``edit(members)`` applied to its {name: bytes} and the digests in
    metadata.json recomputed, as an attacker who knows the format would."""
    import hashlib

    with zipfile.ZipFile(src) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    edit(members)
    metadata = json.loads(members["metadata.json"])
    for name in ("config.json", "weights.npz", "optimizer.npz"):
        if name in members and isinstance(metadata.get("sha256"), dict):
            metadata["sha256"][name] = hashlib.sha256(members[name]).hexdigest()
    members["metadata.json"] = json.dumps(metadata).encode()
    with zipfile.ZipFile(dst, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)


def _json_edit(name, change):
    def edit(members):
        document = json.loads(members[name])
        change(document)
        members[name] = json.dumps(document).encode()

    return edit


def test_truncated_file_is_refused(tmp_path):
    _model().save(tmp_path / "m.npil")
    data = (tmp_path / "m.npil").read_bytes()
    (tmp_path / "cut.npil").write_bytes(data[: len(data) // 2])
    with pytest.raises(FileFormatError, match="truncated|corrupted"):
        load_model(tmp_path / "cut.npil")


def test_foreign_files_are_refused(tmp_path):
    (tmp_path / "text.npil").write_text("hello")
    with pytest.raises(FileFormatError, match="not a neuropil model"):
        load_model(tmp_path / "text.npil")
    with zipfile.ZipFile(tmp_path / "other.npil", "w") as zf:
        zf.writestr("readme.txt", "just a zip")
    with pytest.raises(FileFormatError, match="no metadata.json"):
        load_model(tmp_path / "other.npil")
    with pytest.raises(FileNotFoundError):
        load_model(tmp_path / "missing.npil")


def test_tampered_weights_are_detected(tmp_path):
    _model().save(tmp_path / "m.npil")

    def flip(name, data):
        return data[:-40] + bytes([data[-40] ^ 1]) + data[-39:] if name == "weights.npz" else data

    _rewrite(tmp_path / "m.npil", tmp_path / "t.npil", flip)
    with pytest.raises(FileFormatError, match="SHA-256"):
        load_model(tmp_path / "t.npil")


def test_config_naming_foreign_code_is_refused_even_with_matching_hashes(tmp_path):
    # An attacker who also rewrites the hashes still cannot make loading import anything.
    _model().save(tmp_path / "m.npil")

    def foreign(config):
        config["config"]["layers"][0]["class_name"] = "os.system"

    _rehashed(tmp_path / "m.npil", tmp_path / "evil.npil", _json_edit("config.json", foreign))
    with pytest.raises(FileFormatError, match="Unknown layer class 'os.system'"):
        load_model(tmp_path / "evil.npil")


def _npz_of(*arrays):
    import io

    buffer = io.BytesIO()
    np.savez(buffer, **{f"a{i:05d}": a for i, a in enumerate(arrays)})
    return buffer.getvalue()


def test_pickled_arrays_are_never_loaded(tmp_path):
    _model().save(tmp_path / "m.npil")

    def pickled(members):
        members["weights.npz"] = _npz_of(np.array([{"x": 1}], dtype=object))

    _rehashed(tmp_path / "m.npil", tmp_path / "p.npil", pickled)
    with pytest.raises(FileFormatError, match="not a valid array archive"):
        load_model(tmp_path / "p.npil")


def _set(key, value):
    def change(document):
        document[key] = value

    return change


def _compile_setting(key, value):
    def change(document):
        if value is _DROP:
            del document["compile_config"][key]
        else:
            document["compile_config"][key] = value

    return change


_DROP = object()
_TAMPERED = {
    "sha256 not a table": ("metadata.json", _set("sha256", []), "no table of SHA-256 digests"),
    "epochs a string": ("metadata.json", _set("epochs_trained", "abc"), "epochs_trained is not"),
    "epochs drawn a list": ("metadata.json", _set("epochs_drawn", [1]), "epochs_drawn is not"),
    "negative seed": ("metadata.json", _set("train_seed", -3), "train_seed is not a count"),
    "no optimizer": ("config.json", _compile_setting("optimizer", _DROP), "compile settings"),
    "metrics a number": ("config.json", _compile_setting("metrics", 3), "compile settings"),
    "compile settings a list": ("config.json", _set("compile_config", [1]), "compile settings"),
}


@pytest.mark.parametrize("case", sorted(_TAMPERED))
def test_tampered_settings_give_file_format_errors(case, tmp_path):
    model = _model()
    model.fit(*_data(), epochs=1, batch_size=32, verbose=0)
    model.save(tmp_path / "m.npil")
    member, change, expected = _TAMPERED[case]
    _rehashed(tmp_path / "m.npil", tmp_path / "t.npil", _json_edit(member, change))
    with pytest.raises(FileFormatError, match=expected):
        load_model(tmp_path / "t.npil")


@pytest.mark.parametrize("dtype", [np.complex64, np.str_])
def test_weights_that_are_not_real_numbers_are_refused(dtype, tmp_path):
    model = _model()
    model.save(tmp_path / "m.npil")

    def replace(members):
        members["weights.npz"] = _npz_of(*[np.ones(w.shape, dtype=dtype) for w in model.weights])

    _rehashed(tmp_path / "m.npil", tmp_path / "c.npil", replace)
    with pytest.raises(FileFormatError, match="takes real numbers"):
        load_model(tmp_path / "c.npil")


def test_a_folder_is_not_a_model_file(tmp_path):
    with pytest.raises(FileFormatError, match="it is a folder"):
        load_model(tmp_path)
    with pytest.raises(FileFormatError, match="it is a folder"):
        _model().load_weights(tmp_path)


def test_failed_save_leaves_the_previous_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "m.npil"
    model = _model()
    model.save(path)
    before = path.read_bytes()

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(zipfile.ZipFile, "writestr", boom)
    with pytest.raises(OSError, match="disk full"):
        model.save(path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["m.npil"]


def test_saved_file_gets_the_usual_permissions(tmp_path):
    umask = os.umask(0o022)
    try:
        _model().save(tmp_path / "m.npil")
    finally:
        os.umask(umask)
    assert (tmp_path / "m.npil").stat().st_mode & 0o777 == 0o644


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="Linux reports the umask")
def test_saving_reads_the_umask_without_changing_it(tmp_path, monkeypatch):
    # setting the umask, even for an instant, would give a file another thread creates
    # meanwhile that temporary mode
    umask = os.umask(0o027)
    try:
        monkeypatch.setattr(npl.saving.os, "umask", lambda mask: pytest.fail("umask changed"))
        _model().save(tmp_path / "m.npil")
    finally:
        monkeypatch.undo()
        os.umask(umask)
    assert (tmp_path / "m.npil").stat().st_mode & 0o777 == 0o640


def _hits(y_true, y_pred):
    """A metric of the user's own: 1 where the rounded output is the label."""
    return (np.round(y_pred) == y_true).astype(np.float64)


def _gap(y_true, y_pred):
    """A loss of the user's own."""
    return ((y_pred - y_true) ** 2).mean(axis=-1)


def test_metric_objects_keep_their_settings_through_save_and_load(tmp_path):
    npl.set_seed(0)
    model = Sequential([Input((3,)), Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=[
        npl.metrics.BinaryAccuracy(threshold=0.8, name="acc08"),
        npl.metrics.Precision(thresholds=0.9), npl.metrics.Recall, "accuracy"])  # fmt: skip
    path = tmp_path / "m.npil"
    model.save(path)
    loaded = load_model(path)
    assert [m.name for m in loaded.compiled_metrics] == ["acc08", "precision", "recall",
                                                         "accuracy"]  # fmt: skip
    assert loaded.compiled_metrics[0].threshold == 0.8
    assert loaded.compiled_metrics[1].thresholds == 0.9
    x = np.random.default_rng(1).normal(size=(20, 3)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.float32)
    assert loaded.evaluate(x, y, verbose=0) == pytest.approx(model.evaluate(x, y, verbose=0))


def test_functions_of_the_users_own_are_saved_by_name_and_found_in_custom_objects(tmp_path):
    npl.set_seed(0)
    model = Sequential([Input((3,)), Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss=_gap, metrics=[_hits])
    x = np.random.default_rng(1).normal(size=(20, 3)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.float32)
    path = tmp_path / "m.npil"
    checkpoint = npl.callbacks.ModelCheckpoint(str(path))  # saves after the epoch: no crash
    model.fit(x, y, epochs=1, verbose=0, callbacks=[checkpoint])
    with pytest.raises(FileFormatError, match=r"_gap.*custom_objects"):
        load_model(path)
    assert load_model(path, compile=False).predict(x, verbose=0).shape == (20, 1)
    loaded = load_model(path, custom_objects={"_gap": _gap, "_hits": _hits})
    assert [m.name for m in loaded.compiled_metrics] == ["_hits"]
    assert loaded.evaluate(x, y, verbose=0) == pytest.approx(model.evaluate(x, y, verbose=0))


def relu(x):  # an activation of the user's own that happens to share a built-in's name
    return x * 3


def _double(x):
    return x * 2


def test_activations_of_the_users_own_are_saved_by_name_and_found_in_custom_objects(tmp_path):
    from neuropil.layers import Activation, Conv2D, Flatten, MaxPooling2D

    npl.set_seed(0)
    model = Sequential([Input((6, 6, 1)), Conv2D(2, 3, activation=relu), MaxPooling2D(2),
                        Flatten(), Dense(3), Activation(_double)])  # fmt: skip
    x = np.random.default_rng(1).normal(size=(4, 6, 6, 1)).astype(np.float32)
    out = model.predict(x, verbose=0)
    with npl.no_grad():  # no built-in ReLU shortcut for a function merely named relu
        z = F.max_pool2d(relu(model.layers[0].call(npl.Tensor(x), activation=False)), 2)
        expected = _double(model.layers[3](model.layers[2](z)))
    np.testing.assert_allclose(out, expected.data, rtol=1e-6)
    path = tmp_path / "own.npil"
    model.save(path)
    with pytest.raises(FileFormatError, match=r"custom_objects=\{'relu': relu\}"):
        load_model(path)
    loaded = load_model(path, custom_objects={"relu": relu, "_double": _double})
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), out)
    nameless = Sequential([Input((3,)), Dense(2, activation=lambda t: t * 2, name="anon")])
    model.save(path)
    with pytest.raises(ConfigError, match="Layer 'anon' cannot be saved.*def"):
        nameless.save(path)
    np.testing.assert_array_equal(load_model(path, custom_objects={
        "relu": relu, "_double": _double}).predict(x, verbose=0), out)  # fmt: skip


def test_numpy_valued_metric_settings_and_builtin_functions_save_and_load(tmp_path):
    model = Sequential([Input((3,)), Dense(1, activation="sigmoid")])
    numpy_settings = [npl.metrics.BinaryAccuracy(threshold=np.float32(0.75)),
                      npl.metrics.Recall(thresholds=np.array([0.25, 0.5]))]  # fmt: skip
    model.compile(optimizer="adam", loss="mse",
                  metrics=[*numpy_settings, npl.functional.mean_squared_error])  # fmt: skip
    model.save(tmp_path / "m.npil")  # JSON takes no NumPy numbers: they are converted
    loaded = load_model(tmp_path / "m.npil")  # the built-in function needs no custom_objects
    accuracy, recall, mse = loaded.compiled_metrics
    assert accuracy.threshold == 0.75 and recall.thresholds == [0.25, 0.5]
    assert type(mse).__name__ == "MeanSquaredError"


def test_files_from_before_batchnorm_dropped_its_constant_weights_still_load():
    # written by neuropil 1170081, when BatchNormalization(center=False) kept a frozen beta and
    # scale=False a frozen gamma: Dense(4), BN(center=False), Dense(2), BN(neither)
    name = "batchnorm_without_center_2026-11-21.npil"
    path = os.path.join(os.path.dirname(__file__), "data", name)
    with zipfile.ZipFile(path) as archive, archive.open("weights.npz") as member:
        with np.load(member, allow_pickle=False) as npz:
            stored = [npz[k] for k in sorted(npz.files)]
    model = load_model(path)
    assert len(stored) == 12 and len(model.get_weights()) == 9
    dropped = [stored[3], stored[8], stored[9]]  # first BN's beta, second's gamma and beta
    assert all(np.array_equal(a, np.zeros_like(a)) for a in (dropped[0], dropped[2]))
    assert np.array_equal(dropped[1], np.ones_like(dropped[1]))  # constants: outputs unchanged
    kept = stored[:3] + stored[4:8] + stored[10:]
    for saved, loaded in zip(kept, model.get_weights(), strict=True):
        np.testing.assert_array_equal(saved, loaded)
