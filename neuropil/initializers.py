"""Weight initializers, by Keras name or as objects.

An initializer is called with a shape and a dtype and returns a NumPy array drawn from
``neuropil.backend.rng()``. Fans follow Keras: for a ``Dense`` kernel (in, out), fan_in = in and
fan_out = out; for a ``Conv2D`` kernel (kh, kw, in, out) both are multiplied by kh * kw.

>>> import neuropil as npl
>>> from neuropil import initializers
>>> npl.set_seed(0)
>>> w = initializers.get("glorot_uniform")((11, 7), "float32")
>>> w.shape, w.dtype, bool(abs(w).max() <= (6 / 18) ** 0.5)
((11, 7), dtype('float32'), True)
"""

import math

import numpy as np

from neuropil import backend
from neuropil.errors import ConfigError, unknown_name


def compute_fans(shape):
    """(fan_in, fan_out) of a weight shape."""
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive = math.prod(shape[:-2])
    return shape[-2] * receptive, shape[-1] * receptive


class Initializer:
    """Base class: ``init(shape, dtype)`` returns an array.

    The random initializers take Keras's ``seed``: with one, every call draws from a generator
    seeded with it (so it returns the same values each time, as in Keras); without one they
    draw from ``neuropil.backend.rng()``, which ``npl.set_seed`` seeds.
    """

    seed = None

    def __call__(self, shape, dtype=None):
        dtype = dtype or backend.floatx()
        if self.seed is None:
            return np.asarray(self.sample(tuple(shape)), dtype=dtype)
        with backend.using_rng(np.random.default_rng(self.seed)):
            return np.asarray(self.sample(tuple(shape)), dtype=dtype)

    def _set_seed(self, seed):
        self.seed = backend.check_seed(seed, type(self).__name__)

    def _seed_config(self):
        return {} if self.seed is None else {"seed": self.seed}

    def sample(self, shape):
        raise NotImplementedError

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class Zeros(Initializer):
    """All zeros (the default for biases)."""

    def sample(self, shape):
        return np.zeros(shape)


class Ones(Initializer):
    """All ones (the default for BatchNormalization's gamma)."""

    def sample(self, shape):
        return np.ones(shape)


class Constant(Initializer):
    """Every entry equal to ``value``."""

    def __init__(self, value=0.0):
        self.value = float(value)

    def sample(self, shape):
        return np.full(shape, self.value)

    def get_config(self):
        return {"value": self.value}


class RandomNormal(Initializer):
    """Normal(mean, stddev); Keras defaults mean 0, stddev 0.05."""

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        if stddev < 0:
            raise ConfigError(f"RandomNormal stddev must be >= 0. Received: stddev={stddev}")
        self.mean, self.stddev = float(mean), float(stddev)
        self._set_seed(seed)

    def sample(self, shape):
        return backend.rng().normal(self.mean, self.stddev, size=shape)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, **self._seed_config()}


class RandomUniform(Initializer):
    """Uniform(minval, maxval); Keras defaults -0.05 and 0.05."""

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        if maxval < minval:
            raise ConfigError(
                f"RandomUniform needs minval <= maxval. Received: minval={minval}, maxval={maxval}"
            )
        self.minval, self.maxval = float(minval), float(maxval)
        self._set_seed(seed)

    def sample(self, shape):
        return backend.rng().uniform(self.minval, self.maxval, size=shape)

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, **self._seed_config()}


class VarianceScaling(Initializer):
    """Variance ``scale / n`` with n = fan_in, fan_out or their mean.

    ``distribution="uniform"`` draws from U(-sqrt(3 scale / n), +sqrt(3 scale / n));
    ``"truncated_normal"`` from a normal cut at two standard deviations, its stddev divided by
    0.8796 (the stddev of a unit normal truncated at +-2) so the variance is still scale / n.
    """

    _TRUNCATION_STD = 0.87962566103423978

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None):
        if scale <= 0:
            raise ConfigError(f"VarianceScaling scale must be > 0. Received: scale={scale}")
        if mode not in ("fan_in", "fan_out", "fan_avg"):
            raise ConfigError(
                f"VarianceScaling mode must be 'fan_in', 'fan_out' or 'fan_avg'. Received: {mode!r}"
            )
        if distribution not in ("uniform", "truncated_normal", "untruncated_normal"):
            raise ConfigError(
                "VarianceScaling distribution must be 'uniform', 'truncated_normal' or "
                f"'untruncated_normal'. Received: {distribution!r}"
            )
        self.scale, self.mode, self.distribution = float(scale), mode, distribution
        self._set_seed(seed)

    def sample(self, shape):
        fan_in, fan_out = compute_fans(shape)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[self.mode]
        variance = self.scale / max(1.0, n)
        rng = backend.rng()
        if self.distribution == "uniform":
            limit = math.sqrt(3.0 * variance)
            return rng.uniform(-limit, limit, size=shape)
        if self.distribution == "untruncated_normal":
            return rng.normal(0.0, math.sqrt(variance), size=shape)
        return math.sqrt(variance) / self._TRUNCATION_STD * _truncated_unit_normal(rng, shape)

    def get_config(self):
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution,
                **self._seed_config()}  # fmt: skip


def _truncated_unit_normal(rng, shape):
    """Unit normal samples redrawn until all lie within two standard deviations."""
    values = rng.standard_normal(shape)
    outside = np.abs(values) > 2
    while outside.any():
        values[outside] = rng.standard_normal(int(outside.sum()))
        outside = np.abs(values) > 2
    return values


class _NamedScaling(VarianceScaling):
    """A VarianceScaling with fixed settings ``_settings`` = (scale, mode, distribution); only
    ``seed`` is an argument."""

    _settings = ()

    def __init__(self, seed=None):
        super().__init__(*self._settings, seed=seed)

    def get_config(self):
        return self._seed_config()


class GlorotUniform(_NamedScaling):
    """U(-limit, limit), limit = sqrt(6 / (fan_in + fan_out)) (Glorot & Bengio, 2010)."""

    _settings = (1.0, "fan_avg", "uniform")


class GlorotNormal(_NamedScaling):
    """Truncated normal with stddev sqrt(2 / (fan_in + fan_out))."""

    _settings = (1.0, "fan_avg", "truncated_normal")


class HeNormal(_NamedScaling):
    """Truncated normal with stddev sqrt(2 / fan_in) (He et al., 2015), suited to ReLU."""

    _settings = (2.0, "fan_in", "truncated_normal")


class HeUniform(_NamedScaling):
    """U(-limit, limit), limit = sqrt(6 / fan_in)."""

    _settings = (2.0, "fan_in", "uniform")


class LecunNormal(_NamedScaling):
    """Truncated normal with stddev sqrt(1 / fan_in) (LeCun et al., 1998), suited to SELU."""

    _settings = (1.0, "fan_in", "truncated_normal")


class LecunUniform(_NamedScaling):
    """U(-limit, limit), limit = sqrt(3 / fan_in)."""

    _settings = (1.0, "fan_in", "uniform")


class TruncatedNormal(Initializer):
    """Normal(mean, stddev) with values beyond two standard deviations drawn again (Keras
    defaults mean 0, stddev 0.05)."""

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        if stddev < 0:
            raise ConfigError(f"TruncatedNormal stddev must be >= 0. Received: stddev={stddev}")
        self.mean, self.stddev = float(mean), float(stddev)
        self._set_seed(seed)

    def sample(self, shape):
        return self.mean + self.stddev * _truncated_unit_normal(backend.rng(), shape)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, **self._seed_config()}


class Orthogonal(Initializer):
    """A random orthogonal matrix times ``gain`` (Saxe et al., 2014): the QR decomposition of a
    normal matrix, signs fixed so the result is uniformly distributed. A kernel of more than
    two axes is treated as (everything but the last axis, last axis); whichever of the two is
    shorter gets orthonormal vectors.

    >>> w = Orthogonal(seed=0)((5, 3), "float64")
    >>> bool(np.allclose(w.T @ w, np.eye(3)))
    True
    """

    def __init__(self, gain=1.0, seed=None):
        self.gain = float(gain)
        self._set_seed(seed)

    def sample(self, shape):
        if len(shape) < 2:
            raise ConfigError(
                f"Orthogonal needs a weight with at least 2 axes. Received: shape {shape}"
            )
        rows, cols = math.prod(shape[:-1]), shape[-1]
        normal = backend.rng().normal(size=(max(rows, cols), min(rows, cols)))
        q, r = np.linalg.qr(normal)
        q *= np.where(np.diag(r) < 0, -1.0, 1.0)  # makes the draw uniform over rotations
        return self.gain * (q if rows >= cols else q.T).reshape(shape)

    def get_config(self):
        return {"gain": self.gain, **self._seed_config()}


class Identity(Initializer):
    """``gain`` times the identity matrix, for square or rectangular 2-D weights.

    >>> Identity()((2, 3), "float32")
    array([[1., 0., 0.],
           [0., 1., 0.]], dtype=float32)
    """

    def __init__(self, gain=1.0):
        self.gain = float(gain)

    def sample(self, shape):
        if len(shape) != 2:
            raise ConfigError(f"Identity needs a 2-D weight. Received: shape {shape}")
        return self.gain * np.eye(*shape)

    def get_config(self):
        return {"gain": self.gain}


_REGISTRY = {
    "zeros": Zeros,
    "ones": Ones,
    "constant": Constant,
    "random_normal": RandomNormal,
    "random_uniform": RandomUniform,
    "variance_scaling": VarianceScaling,
    "glorot_uniform": GlorotUniform,
    "glorot_normal": GlorotNormal,
    "he_normal": HeNormal,
    "he_uniform": HeUniform,
    "lecun_normal": LecunNormal,
    "lecun_uniform": LecunUniform,
    "truncated_normal": TruncatedNormal,
    "orthogonal": Orthogonal,
    "identity": Identity,
}
_BY_CLASS = {cls.__name__: name for name, cls in _REGISTRY.items()}


def get(identifier):
    """An initializer from a name, a ``{"class_name", "config"}`` dict or an instance.

    >>> from neuropil import initializers
    >>> type(initializers.get("he_normal")).__name__
    'HeNormal'
    """
    if isinstance(identifier, Initializer):
        return identifier
    if isinstance(identifier, dict):
        cls = _REGISTRY.get(_BY_CLASS.get(identifier.get("class_name"), ""))
        if cls is None:
            raise unknown_name("initializer", identifier.get("class_name"), _BY_CLASS)
        return cls.from_config(identifier.get("config", {}))
    if isinstance(identifier, str):
        key = _BY_CLASS.get(identifier, identifier.lower())
        if key not in _REGISTRY:
            raise unknown_name("initializer", identifier, _REGISTRY)
        return _REGISTRY[key]()
    if callable(identifier):
        return identifier
    raise ConfigError(
        f"An initializer must be a name, a dict or an Initializer. Received: {identifier!r}"
    )


def serialize(initializer):
    """``{"class_name", "config"}`` of a registered initializer (for model files)."""
    name = type(initializer).__name__
    if name not in _BY_CLASS:
        raise ConfigError(
            f"Only built-in initializers can be saved in a model file. Received: {initializer!r}"
        )
    return {"class_name": name, "config": initializer.get_config()}
