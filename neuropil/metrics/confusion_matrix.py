"""``confusion_matrix``: counts of samples by true and predicted class."""

import numpy as np

from neuropil.errors import ConfigError, InvalidValueError, LabelError, ShapeError
from neuropil.metrics.base import _array


def _as_labels(x, arg):
    """Class labels (int64) and the least class count the input implies."""
    x = _array(x)
    if x.ndim == 2 and x.shape[1] > 1:
        return x.argmax(axis=1).astype(np.int64), x.shape[1]
    if x.ndim == 2 and x.shape[1] == 1:
        x = x[:, 0]
    if x.ndim != 1:
        raise ShapeError(
            f"confusion_matrix expects {arg} as labels of shape (N,) or (N, 1), or scores of "
            f"shape (N, classes). Received: {arg}.shape={x.shape}"
        )
    if x.dtype.kind in "biu":
        labels, least = x.astype(np.int64), 0
    elif x.dtype.kind == "f":
        if not np.all(np.isfinite(x)):
            raise InvalidValueError(
                f"confusion_matrix: {arg} contains NaN or infinity. Received: {x}"
            )
        labels, least = x.astype(np.int64), 0
        if np.any(labels != x):  # not whole numbers: a column of probabilities
            if np.any((x < 0) | (x > 1)):
                raise LabelError(
                    f"confusion_matrix expects {arg} as whole-number labels or probabilities in "
                    f"[0, 1]. Received: values from {x.min()} to {x.max()}"
                )
            labels, least = (x > 0.5).astype(np.int64), 2
    else:
        raise LabelError(f"confusion_matrix expects numeric {arg}. Received: dtype {x.dtype}")
    if labels.size and labels.min() < 0:
        raise LabelError(
            f"confusion_matrix expects {arg} labels >= 0. Received: label {labels.min()}"
        )
    return labels, least


def confusion_matrix(y_true, y_pred, num_classes=None):
    """Counts of samples by true class (rows) and predicted class (columns), as an int64 array.

    The layout is that of scikit-learn's ``confusion_matrix`` with ``labels=range(num_classes)``.
    Either argument may be integer labels of shape (N,) or (N, 1); scores of shape
    (N, classes) such as one-hot labels or softmax outputs (the arg-max is taken); or a single
    column of probabilities (not all whole numbers), thresholded as ``p > 0.5``. Whole-number
    floats are read as labels. ``num_classes`` defaults to the largest label + 1 (at least the
    number of score columns, and 2 for a thresholded column).

    >>> import numpy as np
    >>> from neuropil import metrics
    >>> metrics.confusion_matrix([0, 1, 1, 2], np.eye(3)[[0, 1, 2, 2]])
    array([[1, 0, 0],
           [0, 1, 1],
           [0, 0, 1]])
    """
    t, least_t = _as_labels(y_true, "y_true")
    p, least_p = _as_labels(y_pred, "y_pred")
    if t.shape != p.shape:
        raise ShapeError(
            "confusion_matrix expects y_true and y_pred with the same number of samples. "
            f"Received: {t.size} and {p.size}"
        )
    largest = int(max(t.max(initial=-1), p.max(initial=-1)))
    if num_classes is None:
        num_classes = max(largest + 1, least_t, least_p)
    elif isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)):
        raise ConfigError(
            f"confusion_matrix num_classes must be an integer. Received: {num_classes!r}"
        )
    elif num_classes < 1 or largest >= num_classes:
        raise LabelError(
            f"confusion_matrix num_classes must be positive and exceed every label. "
            f"Received: num_classes={num_classes} with largest label {largest}"
        )
    k = int(num_classes)
    return np.bincount(t * k + p, minlength=k * k).reshape(k, k).astype(np.int64)
