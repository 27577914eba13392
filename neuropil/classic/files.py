"""Saving and loading the classic neurons: one small JSON file, written atomically, no pickle.

A file holds the format name and version, the class name, the constructor arguments
(``config``) and the learned state (``state``: numbers and lists of numbers). Loading builds only
the classes of this package and checks every value, so a file cannot run code, and a truncated or
edited file gives a ``FileFormatError`` rather than a half-loaded neuron. The write goes to a
temporary file beside the target, which is then renamed over it, as ``neuropil.saving`` does.

JSON keeps float64 numbers exactly (Python writes the shortest repr that reads back the same
value), so a loaded neuron predicts bit for bit what the saved one did.

>>> import os, tempfile
>>> from neuropil.classic import MPNeuron, load
>>> path = os.path.join(tempfile.mkdtemp(), "and.json")
>>> MPNeuron.and_gate().save(path)
>>> load(path).predict([[1, 1], [1, 0]]).tolist()
[1, 0]
"""

import json
import math
import os

import numpy as np

from neuropil.backend import jsonable
from neuropil.errors import FileFormatError
from neuropil.saving import _atomic_target, check_header

FORMAT = "neuropil.classic"
FORMAT_VERSION = 1

_CLASSES = {}  # class name -> class, filled by ``register``


def register(cls):
    """Class decorator: let ``load`` rebuild instances of ``cls`` from a file."""
    _CLASSES[cls.__name__] = cls
    return cls


def write(obj, filepath, config, state):
    """Write ``obj``'s class name, ``config`` and ``state`` to ``filepath`` (atomically)."""
    document = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "class_name": type(obj).__name__,
        "config": jsonable(config),
        "state": jsonable(state),
    }
    text = json.dumps(document, indent=1, allow_nan=False)
    with _atomic_target(filepath) as temp, open(temp, "w", encoding="utf-8") as f:
        f.write(text)


def bad(filepath, problem):
    return FileFormatError(f"Cannot load '{filepath}': {problem}")


def read(filepath, expected=None):
    """Return ``(class, config, state)`` read from ``filepath``, checking the envelope.

    ``expected`` (a class) makes a file that holds another class an error.
    """
    filepath = os.fspath(filepath)
    if not os.path.exists(filepath):
        raise FileNotFoundError(f"No neuron file at '{filepath}'")
    try:
        with open(filepath, encoding="utf-8") as f:
            document = json.load(f)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise bad(filepath, f"not a neuropil.classic JSON file, or truncated ({exc})") from None
    check_header(
        document, FORMAT, FORMAT_VERSION, lambda problem: bad(filepath, problem), "the file"
    )
    name = document.get("class_name")
    if name not in _CLASSES:
        raise bad(filepath, f"unknown class {name!r}; expected one of {sorted(_CLASSES)}")
    cls = _CLASSES[name]
    if expected is not None and cls is not expected:
        raise bad(filepath, f"it holds a {name}, not a {expected.__name__}")
    config, state = document.get("config"), document.get("state")
    if not isinstance(config, dict) or not isinstance(state, dict):
        raise bad(filepath, "'config' and 'state' must be JSON objects")
    return cls, config, state


def load(filepath):
    """Load any neuron of ``neuropil.classic`` saved with its ``save`` method."""
    cls, config, state = read(filepath)
    return cls._from_file(os.fspath(filepath), config, state)


def numbers(filepath, state, key, shape=None, optional=False):
    """``state[key]`` as a float64 array of finite numbers (of ``shape``, when given)."""
    if key not in state or state[key] is None:
        if optional:
            return None
        raise bad(filepath, f"the state has no {key!r}")
    try:
        array = np.asarray(state[key], dtype=np.float64)
    except (TypeError, ValueError):
        raise bad(filepath, f"{key!r} must hold numbers") from None
    if not np.all(np.isfinite(array)):
        raise bad(filepath, f"{key!r} holds NaN or infinity")
    if shape is not None and array.shape != tuple(shape):
        raise bad(filepath, f"{key!r} has shape {array.shape}, expected {tuple(shape)}")
    return array


def integer(filepath, mapping, key, minimum=0):
    """``mapping[key]`` as an int >= ``minimum``."""
    value = mapping.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise bad(filepath, f"{key!r} must be an integer >= {minimum}; found {value!r}")
    return value


def construct(filepath, cls, config):
    """``cls(**config)``, turning a bad configuration into a ``FileFormatError``."""
    try:
        return cls(**config)
    except (TypeError, ValueError) as exc:
        raise bad(filepath, f"the {cls.__name__} configuration is invalid ({exc})") from None


def is_finite_number(value):
    return not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(value)
