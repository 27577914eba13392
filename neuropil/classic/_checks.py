"""Argument and data checks shared by the classic neurons (errors end with "Received: ...")."""

import numpy as np

from neuropil.errors import ConfigError, InvalidValueError, NotReadyError, ShapeError


def positive_number(owner, argument, value):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) or value <= 0:
        raise ConfigError(f"{owner} {argument} must be a number > 0. Received: {value!r}")
    if not np.isfinite(value):
        raise ConfigError(f"{owner} {argument} must be finite. Received: {value!r}")
    return float(value)


def count(owner, argument, value, minimum=1):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ConfigError(
            f"{owner} {argument} must be an integer >= {minimum}. Received: {value!r}"
        )
    return int(value)


def seed(owner, value):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ConfigError(
            f"{owner} seed must be a non-negative integer or None. Received: {value!r}"
        )
    return int(value)


def choice(owner, argument, value, allowed):
    if value not in allowed:
        raise ConfigError(
            f"{owner} {argument} must be one of {', '.join(map(repr, allowed))}. "
            f"Received: {value!r}"
        )
    return value


def matrix(owner, X, argument="X", n_features=None):
    """``X`` (array, list or DataFrame) as a 2-D float64 array of finite numbers."""
    try:
        array = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError):
        raise ConfigError(
            f"{owner} expects {argument} to hold numbers. Received: {type(X).__name__}"
        ) from None
    if array.ndim == 1 and n_features is not None and array.shape[0] == n_features:
        array = array[None, :]  # one sample
    if array.ndim != 2:
        raise ShapeError(
            f"{owner} expects {argument} of shape (samples, features). "
            f"Received: shape {array.shape}"
        )
    if len(array) == 0:
        raise ShapeError(f"{owner} needs at least one sample in {argument}. Received: 0 samples")
    if n_features is not None and array.shape[1] != n_features:
        raise ShapeError(
            f"{owner} was fitted on {n_features} features; {argument} must have {n_features} "
            f"columns. Received: shape {array.shape}"
        )
    if not np.all(np.isfinite(array)):
        raise InvalidValueError(f"{owner} {argument} holds NaN or infinity. Received: {array}")
    return array


def targets(owner, y, n_samples, allowed):
    """``y`` as a 1-D float64 array of ``n_samples`` values, each one of ``allowed``."""
    try:
        array = np.asarray(y, dtype=np.float64)
    except (TypeError, ValueError):
        raise ConfigError(
            f"{owner} expects y to hold numbers. Received: {type(y).__name__}"
        ) from None
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim != 1 or len(array) != n_samples:
        raise ShapeError(
            f"{owner} expects y to have one value per sample ({n_samples}). "
            f"Received: shape {array.shape}"
        )
    if allowed is not None and not np.all(np.isin(array, allowed)):
        bad = np.unique(array[~np.isin(array, allowed)])
        choices = " or ".join(f"{v:g}" for v in allowed)
        raise ConfigError(f"{owner} targets must each be {choices}. Received: {some_values(bad)}")
    return array


def some_values(values, shown=5):
    """At most ``shown`` of ``values`` for an error message, and how many there are in all.

    >>> some_values(np.arange(8.0) / 3)
    '[0, 0.333333, 0.666667, 1, 1.33333, ...] (8 distinct values)'
    """
    listed = ", ".join(f"{v:g}" for v in values[:shown])
    if len(values) <= shown:
        return f"[{listed}]"
    return f"[{listed}, ...] ({len(values)} distinct values)"


def fitted(owner, weights):
    if weights is None:
        raise NotReadyError(
            f"{owner} is not fitted yet; call fit(X, y) first. Received: no weights"
        )
