"""The ``.npil`` model file: a zip of JSON and ``.npz`` arrays, never pickle.

Members:
- ``metadata.json``: format name and version, neuropil version, the SHA-256 of every other member,
  the training seed and the number of epochs trained;
- ``config.json``: the model architecture and its compile settings (optimizer, loss, metrics);
- ``weights.npz``: the weights, in ``model.weights`` order;
- ``optimizer.npz``: the optimizer state (slots and iteration count), so training can resume.

Loading only ever instantiates neuropil's own registered classes from JSON and reads arrays with
``allow_pickle=False``, so a file cannot run code. Saving writes a temporary file beside the target
and renames it over the target, so a crash never leaves a half-written model behind.

>>> import os, tempfile, numpy as np
>>> from neuropil.models import Sequential, load_model
>>> from neuropil.layers import Input, Dense
>>> model = Sequential([Input((3,)), Dense(2)])
>>> path = os.path.join(tempfile.mkdtemp(), "demo.npil")
>>> model.save(path)
>>> x = np.ones((1, 3))
>>> bool(np.allclose(load_model(path).predict(x, verbose=0), model.predict(x, verbose=0)))
True
"""

import contextlib
import hashlib
import io
import json
import os
import tempfile
import zipfile
import zlib

import numpy as np

from neuropil.errors import ConfigError, FileFormatError, NeuropilError, ShapeError

FORMAT = "neuropil.model"
FORMAT_VERSION = 1
_MEMBERS = ("config.json", "weights.npz", "optimizer.npz")


def _npz_bytes(arrays):
    buffer = io.BytesIO()
    np.savez(buffer, **{f"a{i:05d}": np.asarray(a) for i, a in enumerate(arrays)})
    return buffer.getvalue()


def _npz_dict_bytes(mapping):
    buffer = io.BytesIO()
    np.savez(buffer, **mapping)
    return buffer.getvalue()


@contextlib.contextmanager
def _atomic_target(filepath):
    """Yield a temporary path beside ``filepath``; rename it over ``filepath`` on success."""
    filepath = os.fspath(filepath)
    directory = os.path.dirname(os.path.abspath(filepath))
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"The folder for '{filepath}' does not exist: {directory}")
    fd, temp = tempfile.mkstemp(dir=directory, prefix=".neuropil-", suffix=".tmp")
    os.close(fd)
    try:
        yield temp
        with open(temp, "rb") as f:
            os.fsync(f.fileno())
        usual_permissions(temp)
        os.replace(temp, filepath)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(temp)
        raise


def _current_umask():
    """The process umask. Linux tells it in /proc/self/status; elsewhere the only way is to set
    a new one and put it back, and meanwhile another thread may create a file: the temporary
    value 0o077 then makes that file private rather than open to everyone (0 would)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    umask = os.umask(0o077)
    os.umask(umask)
    return umask


def usual_permissions(path):
    """Give a file made by ``tempfile.mkstemp`` (private, 0600) the mode ``open`` would have
    given it under the current umask."""
    os.chmod(path, 0o666 & ~_current_umask())


def save_model(model, filepath):
    """Write ``model`` to ``filepath`` as a ``.npil`` file (see the module docstring)."""
    from neuropil import __version__, losses, metrics, optimizers

    compile_config = None
    optimizer_state = None
    if getattr(model, "compiled", False):
        compile_config = {
            "optimizer": optimizers.serialize(model.optimizer),
            "loss": None if model.loss is None else losses.serialize(model.loss),
            "metrics": [metrics.serialize(m) for m in model._metric_specs],
            "weighted_metrics": [metrics.serialize(m) for m in model._weighted_metric_specs],
        }
        if model.optimizer.built:
            optimizer_state = model.optimizer.get_state()
    members = {
        "config.json": json.dumps(
            {"class_name": type(model).__name__, "config": model.get_config(),
             "compile_config": compile_config}, indent=1,
        ).encode(),
        "weights.npz": _npz_bytes(model.get_weights()),
    }  # fmt: skip
    if optimizer_state is not None:
        members["optimizer.npz"] = _npz_dict_bytes(optimizer_state)
    metadata = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "neuropil_version": __version__,
        "sha256": {name: hashlib.sha256(data).hexdigest() for name, data in members.items()},
        "train_seed": model._train_seed,
        "epochs_trained": model.epochs_trained,
        "epochs_drawn": model._epochs_drawn,
    }
    with _atomic_target(filepath) as temp:
        with zipfile.ZipFile(temp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("metadata.json", json.dumps(metadata, indent=1))
            for name, data in members.items():
                zf.writestr(name, data)


def _bad(filepath, problem):
    return FileFormatError(f"Cannot load '{filepath}': {problem}")


def check_header(header, fmt, max_version, fail, where="metadata"):
    """Raise ``fail(problem)`` unless ``header`` names ``fmt`` at a version this neuropil reads.

    Shared by every neuropil file reader (model files, classic neuron files).
    """
    if not isinstance(header, dict) or header.get("format") != fmt:
        raise fail(f"{where} does not name the format '{fmt}'")
    version = header.get("format_version")
    if not isinstance(version, int) or version > max_version:
        raise fail(
            f"format version {version!r} is newer than this neuropil reads ({max_version}); "
            "upgrade neuropil"
        )


def _read_members(filepath):
    """The verified members of a model file, as bytes, plus its metadata."""
    if not os.path.exists(filepath):
        raise FileNotFoundError(f"No model file at '{filepath}'")
    if os.path.isdir(filepath):
        raise _bad(filepath, "it is a folder; give the path of a .npil file saved by model.save")
    try:
        with zipfile.ZipFile(filepath) as zf:
            names = set(zf.namelist())
            if "metadata.json" not in names:
                raise _bad(
                    filepath, "it is a zip archive but not a neuropil model (no metadata.json)"
                )
            metadata = json.loads(zf.read("metadata.json"))
            members = {n: zf.read(n) for n in _MEMBERS if n in names}
    except zipfile.BadZipFile as exc:
        raise _bad(filepath, f"not a neuropil model file, or truncated ({exc})") from None
    except (zlib.error, EOFError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise _bad(filepath, f"the file is corrupted ({exc})") from None
    check_header(metadata, FORMAT, FORMAT_VERSION, lambda problem: _bad(filepath, problem))
    expected = metadata.get("sha256")
    if not isinstance(expected, dict):
        raise _bad(filepath, f"metadata.json holds no table of SHA-256 digests ({expected!r})")
    for key in ("epochs_trained", "epochs_drawn", "train_seed"):
        value = metadata.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                  or value < 0):  # fmt: skip
            raise _bad(filepath, f"metadata.json's {key} is not a count. Received: {value!r}")
    for name in ("config.json", "weights.npz"):
        if name not in members:
            raise _bad(filepath, f"the member {name} is missing")
    for name, data in members.items():
        if hashlib.sha256(data).hexdigest() != expected.get(name):
            raise _bad(filepath, f"{name} does not match its recorded SHA-256 (file was altered)")
    return metadata, members


def _load_npz(data, filepath, name):
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            return {key: npz[key] for key in npz.files}
    except (ValueError, OSError, zipfile.BadZipFile) as exc:
        raise _bad(filepath, f"{name} is not a valid array archive ({exc})") from None


def _model_file_weights(model, members, filepath):
    """The weight arrays of a model file's ``weights.npz``, in ``model.weights`` order."""
    weights = _load_npz(members["weights.npz"], filepath, "weights.npz")
    return _without_old_batchnorm_constants(model, [weights[k] for k in sorted(weights)])


def _without_old_batchnorm_constants(model, arrays):
    """Files written before BatchNormalization(center=False / scale=False) stopped having beta /
    gamma weights (2026-11-21) still hold those frozen arrays; leave them out so the files load."""
    from neuropil.layers import BatchNormalization

    has = [(layer.scale, layer.center) if isinstance(layer, BatchNormalization) else None
           for layer in model.layers]  # fmt: skip
    extra = sum((not scale) + (not center) for scale, center in filter(None, has))
    if not extra or len(arrays) != len(model.weights) + extra:
        return arrays
    kept, i = [], 0
    for layer, flags in zip(model.layers, has):
        if flags is None or all(flags):
            kept += arrays[i : i + len(layer.weights)]
            i += len(layer.weights)
        else:  # gamma, beta, moving mean, moving variance
            kept += [a for a, on in zip(arrays[i : i + 4], (*flags, True, True)) if on]
            i += 4
    return kept


def load_model(filepath, compile=True, custom_objects=None):
    """Load a model saved with ``model.save``; with ``compile=True`` also its optimizer state.

    ``custom_objects`` maps the names of the user's own functions or classes the model was
    built or compiled with (an activation, a loss, a metric) to them; the file holds only
    their names.

    >>> from neuropil.models import load_model  # see the module docstring for a round trip
    """
    from neuropil import losses, metrics, optimizers
    from neuropil.models.sequential import Sequential

    filepath = os.fspath(filepath)
    metadata, members = _read_members(filepath)
    try:
        spec = json.loads(members["config.json"])
        if spec.get("class_name") != "Sequential":
            raise _bad(filepath, f"unknown model class {spec.get('class_name')!r}")
        model = Sequential.from_config(spec["config"], custom_objects)
    except FileFormatError:
        raise
    except (NeuropilError, TypeError, KeyError, ValueError, AttributeError) as exc:
        raise _bad(filepath, f"the model configuration is invalid ({exc})") from None
    arrays = _model_file_weights(model, members, filepath)
    try:
        model.set_weights(arrays)
    except (ShapeError, ConfigError) as exc:
        raise _bad(filepath, f"the weights do not fit the architecture ({exc})") from None
    model._train_seed = metadata.get("train_seed")
    model.epochs_trained = int(metadata.get("epochs_trained") or 0)
    model._epochs_drawn = int(metadata.get("epochs_drawn") or model.epochs_trained)
    compile_config = spec.get("compile_config")
    if compile and compile_config:
        try:
            loss = compile_config["loss"]
            loss = None if loss is None else losses.deserialize(loss, custom_objects)
            listed = {key: [metrics.deserialize(m, custom_objects)
                            for m in compile_config.get(key) or []]
                      for key in ("metrics", "weighted_metrics")}  # fmt: skip
            optimizer = optimizers.deserialize(compile_config["optimizer"], custom_objects)
            model.compile(optimizer, loss, **listed)
        except (NeuropilError, KeyError, TypeError, ValueError, AttributeError) as exc:
            raise _bad(
                filepath,
                f"the compile settings are invalid ({exc}). A loss, metric, optimizer or "
                "learning-rate schedule of your own: pass load_model(..., "
                "custom_objects={name: it}); or load_model(..., compile=False)",
            ) from None
        if "optimizer.npz" in members and model.built:
            model._prepare_training()
            state = _load_npz(members["optimizer.npz"], filepath, "optimizer.npz")
            try:
                model.optimizer.set_state(state)
            except (NeuropilError, KeyError, TypeError, ValueError) as exc:
                raise _bad(filepath, f"the optimizer state does not fit ({exc})") from None
    return model


def save_weights(model, filepath):
    """Write ``model.get_weights()`` to a ``.npz`` file, atomically."""
    with _atomic_target(filepath) as temp:
        with open(temp, "wb") as f:
            f.write(_npz_bytes(model.get_weights()))


def load_weights(model, filepath):
    """Read weights written by ``save_weights`` into ``model`` (all checked before writing);
    a model file written by ``model.save`` gives its weights too, as in Keras."""
    filepath = os.fspath(filepath)
    if not os.path.exists(filepath):
        raise FileNotFoundError(f"No weights file at '{filepath}'")
    if os.path.isdir(filepath):
        raise _bad(filepath, "it is a folder; give the path of a file saved by save_weights")
    with open(filepath, "rb") as f:
        data = f.read()
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise _bad(filepath, "it is neither a weights file written by save_weights (.npz) nor a "
                   "model file written by save (.npil): no zip archive inside")  # fmt: skip
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        is_model_file = "metadata.json" in zf.namelist()
    if is_model_file:
        _, members = _read_members(filepath)  # checks the format and every member's hash
        arrays = _model_file_weights(model, members, filepath)
    else:
        weights = _load_npz(data, filepath, "the weights file")
        arrays = [weights[k] for k in sorted(weights)]
    model.set_weights(arrays)
