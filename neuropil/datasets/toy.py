"""Two-dimensional toy sets for teaching: circle, xor, gaussian, spiral and moons.

Each returns ``(x, y)``: ``x`` float32 of shape (n_samples, 2), ``y`` int64 class indices of
shape (n_samples,), classes as balanced as ``n_samples`` allows and rows shuffled (so
``validation_split`` sees every class). ``noise`` is the standard deviation of Gaussian jitter
added to every point. With ``seed`` the set depends on that seed only; without it, it is drawn
from neuropil's generator, so ``neuropil.set_seed`` makes it reproducible.

>>> x, y = moons(n_samples=100, noise=0.1, seed=0)
>>> x.shape, x.dtype, y.shape, sorted(set(y.tolist()))
((100, 2), dtype('float32'), (100,), [0, 1])
>>> bool((moons(100, seed=0)[0] == moons(100, seed=0)[0]).all())
True
>>> x, y = spiral(n_samples=300, classes=3, seed=1); sorted(set(y.tolist()))
[0, 1, 2]
"""

import numbers

import numpy as np

from neuropil import backend
from neuropil.errors import ConfigError

__all__ = ["circle", "xor", "gaussian", "spiral", "moons"]


def _check(name, n_samples, noise, classes=2):
    if (
        not isinstance(n_samples, numbers.Integral)
        or isinstance(n_samples, bool)
        or n_samples < classes
    ):
        raise ConfigError(
            f"{name}'s n_samples must be an integer of at least {classes} (one point per class). "
            f"Received: n_samples={n_samples!r}"
        )
    if not isinstance(noise, numbers.Real) or not np.isfinite(noise) or noise < 0:
        raise ConfigError(
            f"{name}'s noise (a standard deviation) must be a finite number >= 0. "
            f"Received: noise={noise!r}"
        )


def _rng(seed):
    return backend.rng() if seed is None else np.random.default_rng(seed)


def _counts(n_samples, classes):
    """Per-class sizes summing to ``n_samples``, differing by at most one."""
    return [n_samples // classes + (k < n_samples % classes) for k in range(classes)]


def _finish(rng, parts, noise):
    """Stack the per-class point arrays, jitter, shuffle; return (x float32, y int64)."""
    x = np.concatenate(parts)
    y = np.concatenate([np.full(len(p), k, dtype=np.int64) for k, p in enumerate(parts)])
    if noise:
        x = x + rng.normal(0.0, noise, size=x.shape)
    order = rng.permutation(len(x))
    return x[order].astype(np.float32), y[order]


def _on_circle(radius, angles, center=(0.0, 0.0)):
    return np.stack([center[0] + radius * np.cos(angles), center[1] + radius * np.sin(angles)], 1)


def circle(n_samples=200, noise=0.05, factor=0.5, seed=None):
    """Two concentric circles: class 0 on radius 1, class 1 on radius ``factor`` (0 < factor < 1).

    A linear model cannot separate them; one hidden layer can.
    """
    _check("circle", n_samples, noise)
    if not isinstance(factor, numbers.Real) or not 0 < factor < 1:
        raise ConfigError(
            f"circle's factor (inner radius / outer radius) must be in (0, 1). Received: {factor!r}"
        )
    rng = _rng(seed)
    n_outer, n_inner = _counts(n_samples, 2)
    outer = _on_circle(1.0, rng.uniform(0, 2 * np.pi, n_outer))
    inner = _on_circle(factor, rng.uniform(0, 2 * np.pi, n_inner))
    return _finish(rng, [outer, inner], noise)


def xor(n_samples=200, noise=0.0, seed=None):
    """Points uniform in the square [-1, 1]^2; class 1 where the two coordinates differ in sign.

    The problem Minsky and Papert showed a single perceptron cannot learn. Labels are set
    before the jitter, so with ``noise > 0`` points near the axes may cross them.
    """
    _check("xor", n_samples, noise)
    rng = _rng(seed)
    parts = []
    for label, size in enumerate(_counts(n_samples, 2)):
        # uniform in the two quadrants of the class: |coordinates| uniform in (0, 1], one
        # random sign for the point, and the second coordinate's sign flipped for class 1
        magnitude = 1.0 - rng.random((size, 2))
        sign = rng.choice([-1.0, 1.0], size=(size, 1))
        parts.append(magnitude * sign * np.array([1.0, -1.0 if label else 1.0]))
    return _finish(rng, parts, noise)


def gaussian(n_samples=200, noise=0.5, seed=None):
    """Two Gaussian blobs: class 0 around (-1, -1), class 1 around (1, 1); ``noise`` is their std.

    Linearly separable when ``noise`` is small: the perceptron's home ground.
    """
    _check("gaussian", n_samples, noise)
    rng = _rng(seed)
    sizes = _counts(n_samples, 2)
    parts = [np.full((sizes[0], 2), -1.0), np.full((sizes[1], 2), 1.0)]
    return _finish(rng, parts, noise)


def spiral(n_samples=200, noise=0.05, classes=2, turns=1.0, seed=None):
    """``classes`` interleaved spiral arms from the origin out to radius 1, ``turns`` turns each.

    Arm ``k`` is rotated by ``2 * pi * k / classes``; the classic hard case for shallow nets.
    """
    if not isinstance(classes, numbers.Integral) or isinstance(classes, bool) or classes < 2:
        raise ConfigError(f"spiral's classes must be an integer >= 2. Received: {classes!r}")
    _check("spiral", n_samples, noise, classes)
    if not isinstance(turns, numbers.Real) or not turns > 0:
        raise ConfigError(f"spiral's turns must be a number > 0. Received: turns={turns!r}")
    rng = _rng(seed)
    parts = []
    for k, size in enumerate(_counts(n_samples, classes)):
        t = rng.uniform(0.0, 1.0, size)
        parts.append(_on_circle(t, 2 * np.pi * (turns * t + k / classes)))
    return _finish(rng, parts, noise)


def moons(n_samples=200, noise=0.1, seed=None):
    """Two interleaving half circles (as scikit-learn's ``make_moons``); class 0 is the upper."""
    _check("moons", n_samples, noise)
    rng = _rng(seed)
    n_upper, n_lower = _counts(n_samples, 2)
    upper = _on_circle(1.0, rng.uniform(0, np.pi, n_upper))
    lower = _on_circle(1.0, rng.uniform(np.pi, 2 * np.pi, n_lower), center=(1.0, 0.5))
    return _finish(rng, [upper, lower], noise)
