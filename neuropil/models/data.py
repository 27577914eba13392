"""Turning user data into checked arrays for fit, evaluate and predict.

Everything here runs before training touches the model, so a bad argument leaves the model as it
was. Inputs are converted once to the model's float dtype (float32 stays float32; only index
arrays are shuffled later, never the data).

>>> import numpy as np
>>> from neuropil.models.data import as_inputs
>>> as_inputs([[1, 2], [3, 4]], "x", "float32").dtype
dtype('float32')
"""

import math

import numpy as np

from neuropil.errors import ConfigError, InvalidValueError, ShapeError


def _to_numpy(data, argument):
    if hasattr(data, "to_numpy"):  # pandas DataFrame / Series, without importing pandas
        data = data.to_numpy()
    if hasattr(data, "numpy") and not isinstance(data, np.ndarray):  # a neuropil Tensor
        data = data.numpy()
    try:
        array = np.asarray(data)
    except (TypeError, ValueError) as exc:
        raise ConfigError(
            f"{argument} must be array-like. Received: {type(data).__name__}"
        ) from exc
    if array.dtype == object or array.dtype.kind not in "biuf":
        raise ConfigError(
            f"{argument} must hold numbers (bool, int or float). Received: an array of dtype "
            f"{array.dtype}; convert or encode the non-numeric columns first"
        )
    if array.ndim == 0:
        raise ShapeError(f"{argument} must have a batch axis. Received: a scalar")
    return array


def check_finite(array, argument):
    """Raise InvalidValueError naming the first NaN or infinity and its position."""
    if array.dtype.kind == "f" and not np.isfinite(array).all():
        position = tuple(int(i) for i in np.argwhere(~np.isfinite(array))[0])
        value = array[position]
        raise InvalidValueError(
            f"{argument} contains {value} at index {position}; neuropil trains on finite "
            f"numbers only. Received: {np.count_nonzero(~np.isfinite(array))} non-finite values"
        )


def as_inputs(data, argument, dtype):
    """``data`` as a finite array of ``dtype`` (copied only when the dtype differs)."""
    array = _to_numpy(data, argument)
    array = array.astype(dtype, copy=False)
    check_finite(array, argument)
    return array


def as_targets(data, argument, dtype, sparse=False):
    """Targets: integer class indices stay integers for sparse losses, else ``dtype``."""
    array = _to_numpy(data, argument)
    check_finite(array, argument)
    if sparse and array.dtype.kind == "f" and np.all(array == np.round(array)):
        return array.astype(np.int64)
    if sparse:
        return array
    array = array.astype(dtype, copy=False)
    if array.ndim == 1:
        array = array.reshape(-1, 1)  # (N,) targets meet (N, 1) outputs, as in Keras
    return array


def as_sample_weight(data, n, argument="sample_weight"):
    """Per-sample weights: a finite, non-negative vector of length ``n``."""
    if data is None:
        return None
    weights = _to_numpy(data, argument).astype(np.float64).reshape(-1)
    check_finite(weights, argument)
    if weights.shape[0] != n:
        raise ShapeError(f"{argument} needs one weight per sample ({n}). Received: {weights.shape}")
    if (weights < 0).any():
        raise ConfigError(f"{argument} must be >= 0. Received: minimum {weights.min()}")
    return weights


def check_same_length(x, y, x_name="x", y_name="y"):
    if len(x) != len(y):
        raise ShapeError(
            f"{x_name} and {y_name} must have the same number of samples. "
            f"Received: {len(x)} and {len(y)}"
        )


def class_weight_to_sample_weight(y, class_weight):
    """Per-sample weights from a ``{class: weight}`` dict (labels, one-hot or 0/1 targets);
    a class missing from the dict gets weight 1, as in Keras."""
    if not isinstance(class_weight, dict):
        raise ConfigError(
            f"class_weight must be a dict {{class: weight}}. Received: {class_weight!r}"
        )
    for cls, weight in class_weight.items():
        if isinstance(cls, bool) or not isinstance(cls, (int, np.integer)) or cls < 0:
            raise ConfigError(
                "class_weight keys must be class indices (integers >= 0); encode class names as "
                f"integers first. Received: key {cls!r}"
            )
        number = isinstance(weight, (int, float, np.integer, np.floating))
        if isinstance(weight, bool) or not number or not math.isfinite(weight) or weight < 0:
            raise ConfigError(
                "class_weight must map each class to a finite number >= 0. "
                f"Received: {cls!r}: {weight!r}"
            )
    if y.ndim == 2 and y.shape[1] > 1:
        labels = y.argmax(axis=1)
    else:
        labels = np.rint(y.reshape(-1)).astype(np.int64)
    # a class the dict leaves out keeps weight 1, as in Keras
    lookup = np.ones(max([*map(int, class_weight), int(labels.max(initial=0))]) + 1)
    for cls, weight in class_weight.items():
        lookup[int(cls)] = float(weight)
    return lookup[labels]


def split_validation(arrays, fraction):
    """Keras's ``validation_split``: the last ``fraction`` of the samples, before shuffling."""
    if (
        isinstance(fraction, bool)
        or not isinstance(fraction, (int, float))
        or not 0 <= fraction < 1
    ):
        raise ConfigError(f"validation_split must be a number in [0, 1). Received: {fraction!r}")
    n = len(arrays[0])
    split_at = int(math.floor(n * (1.0 - fraction)))
    if fraction > 0 and (split_at == 0 or split_at == n):
        raise ConfigError(
            f"validation_split={fraction} leaves no samples on one side of {n} samples. "
            f"Received: {fraction!r}"
        )
    train = [None if a is None else a[:split_at] for a in arrays]
    val = [None if a is None else a[split_at:] for a in arrays]
    return train, val


def check_batch_size(batch_size, default=32):
    if batch_size is None:
        return default
    if (
        isinstance(batch_size, bool)
        or not isinstance(batch_size, (int, np.integer))
        or batch_size < 1
    ):
        raise ConfigError(f"batch_size must be a positive integer. Received: {batch_size!r}")
    return int(batch_size)


def batch_slices(n, batch_size):
    """``slice`` objects covering range(n) in steps of ``batch_size``."""
    return [slice(i, min(i + batch_size, n)) for i in range(0, n, batch_size)]
