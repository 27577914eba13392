"""The array module, the default float dtype and the one seeded random Generator.

Everything random in neuropil (weight initialization, dropout masks, shuffling) draws from
``rng()``, so ``set_seed`` alone makes a run repeatable.

>>> import neuropil as npl
>>> npl.set_seed(0); a = npl.backend.rng().random()
>>> npl.set_seed(0); a == npl.backend.rng().random()
True
"""

import inspect
import numbers

import numpy as np

from neuropil.errors import ConfigError

xp = np  # the array module; CuPy may stand here one day

_FLOAT_DTYPES = ("float16", "float32", "float64")
_floatx = "float32"
_rng = np.random.default_rng()


def floatx():
    """The default float dtype name for new tensors and weights (``"float32"`` unless changed)."""
    return _floatx


def set_floatx(name):
    """Set the default float dtype: one of ``"float16"``, ``"float32"``, ``"float64"``.

    >>> import neuropil as npl
    >>> npl.backend.set_floatx("float64"); npl.backend.floatx()
    'float64'
    >>> npl.backend.set_floatx("float32")
    """
    global _floatx
    name = np.dtype(name).name if not isinstance(name, str) else name
    if name not in _FLOAT_DTYPES:
        raise ConfigError(f"set_floatx expects one of {_FLOAT_DTYPES}. Received: {name!r}")
    _floatx = name


def set_seed(seed):
    """Seed the generator behind initialization, dropout and shuffling.

    >>> import neuropil as npl
    >>> npl.set_seed(42)
    """
    global _rng
    _rng = np.random.default_rng(check_seed(seed, "set_seed"))


def optional_count(value, name, owner, least=0):
    """``value`` as an int >= ``least``, or None; a ConfigError naming ``owner`` and ``name``
    for anything else (bools included).

    >>> optional_count(2, "top_k", "Precision", 1), optional_count(None, "top_k", "Precision")
    (2, None)
    """
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < least:
        raise ConfigError(
            f"{owner} {name} must be None or an integer >= {least}. Received: {name}={value!r}"
        )
    return int(value)


def check_seed(seed, owner):
    """``seed`` as an int, or None; a ConfigError naming ``owner`` for anything else.

    >>> check_seed(3, "Dropout"), check_seed(None, "Dropout")
    (3, None)
    """
    if seed is None:
        return None
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ConfigError(f"{owner}: seed must be None or an integer >= 0. Received: {seed!r}")
    return int(seed)


def rng():
    """The current ``numpy.random.Generator`` (replaced by every ``set_seed``)."""
    return _rng


class using_rng:  # noqa: N801 - used like a function: ``with using_rng(g): ...``
    """Temporarily make ``generator`` the one ``rng()`` returns.

    The training loop gives each epoch its own generator derived from the model's training seed
    and the epoch number, so a run resumed at epoch k draws the same shuffles and dropout masks
    as an uninterrupted one.

    >>> import numpy as np, neuropil as npl
    >>> with npl.backend.using_rng(np.random.default_rng(7)):
    ...     a = npl.backend.rng().random()
    >>> a == np.random.default_rng(7).random()
    True
    """

    def __init__(self, generator):
        self._generator = generator

    def __enter__(self):
        global _rng
        self._previous, _rng = _rng, self._generator
        return self._generator

    def __exit__(self, *exc):
        global _rng
        _rng = self._previous
        return False


def jsonable(value):
    """``value`` with NumPy arrays and scalars turned into lists and Python numbers, so that
    ``json.dumps`` takes it (configs written into model files).

    >>> import numpy as np
    >>> jsonable({"threshold": np.float32(0.5), "thresholds": np.array([0.25, 0.75])})
    {'threshold': 0.5, 'thresholds': [0.25, 0.75]}
    """
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return value


def unknown_arguments(cls, config):
    """The keys of ``config`` that ``cls(**config)`` would refuse, sorted. An ``__init__``
    taking ``**kwargs`` is followed to the base class that consumes them; if none does, every
    key is accepted.

    >>> class Base:
    ...     def __init__(self, a=1): pass
    >>> class Child(Base):
    ...     def __init__(self, b=2, **kwargs): super().__init__(**kwargs)
    >>> unknown_arguments(Child, {"a": 0, "b": 0, "c": 0})
    ['c']
    """
    names = set()
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None or init is object.__init__:
            continue
        parameters = list(inspect.signature(init).parameters.values())[1:]  # after self
        names |= {p.name for p in parameters if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)}
        if not any(p.kind is p.VAR_KEYWORD for p in parameters):
            return sorted(set(config) - names)
    return []
