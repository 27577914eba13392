"""Accuracy metrics: ``BinaryAccuracy``, ``CategoricalAccuracy``, ``SparseCategoricalAccuracy``."""

import numpy as np

from neuropil.errors import ConfigError, ShapeError
from neuropil.metrics.base import MeanMetricWrapper, _array, _match_rank, _per_sample


def _binary_accuracy(y_true, y_pred, threshold):
    t, p = _match_rank(y_true, y_pred, "BinaryAccuracy")
    return _per_sample(t == (p > threshold))


def _categorical_accuracy(y_true, y_pred):
    t, p = _array(y_true), _array(y_pred)
    if t.shape != p.shape or t.ndim < 2:
        raise ShapeError(
            "CategoricalAccuracy expects one-hot y_true of the same shape as y_pred, (N, classes); "
            "for integer labels use SparseCategoricalAccuracy. "
            f"Received: y_true.shape={t.shape}, y_pred.shape={p.shape}"
        )
    return t.argmax(axis=-1) == p.argmax(axis=-1)


def _sparse_categorical_accuracy(y_true, y_pred):
    t, p = _array(y_true), _array(y_pred)
    if p.ndim >= 2 and t.ndim == p.ndim and t.shape[-1] == 1:
        t = t[..., 0]
    if p.ndim < 2 or t.shape != p.shape[:-1]:
        raise ShapeError(
            "SparseCategoricalAccuracy expects y_true as integer labels of shape (N,) or (N, 1) "
            "and y_pred of shape (N, classes). "
            f"Received: y_true.shape={t.shape}, y_pred.shape={p.shape}"
        )
    return t == p.argmax(axis=-1)


def _accuracy_by_shape(y_true, y_pred):
    """Keras 3's reading of "accuracy" when the loss does not tell: integer labels when y_true
    has fewer axes than y_pred, or one column against several; otherwise one-hot labels."""
    t, p = np.shape(y_true), np.shape(y_pred)
    sparse = len(t) < len(p) or (len(t) > 0 and len(p) > 0 and t[-1] == 1 and p[-1] > 1)
    return (_sparse_categorical_accuracy if sparse else _categorical_accuracy)(y_true, y_pred)


class BinaryAccuracy(MeanMetricWrapper):
    """How often ``y_pred > threshold`` equals the 0/1 label.

    ``y_true`` of shape (N,) and ``y_pred`` of shape (N, 1) are lined up. With several outputs
    per sample, a sample scores the fraction of its outputs that are right.

    >>> from neuropil import metrics
    >>> m = metrics.BinaryAccuracy()
    >>> m([[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]])
    0.75
    """

    default_name = "binary_accuracy"

    def __init__(self, threshold=0.5, name=None):
        if not isinstance(threshold, (int, float, np.number)) or not np.isfinite(threshold):
            raise ConfigError(f"BinaryAccuracy threshold must be a number. Received: {threshold!r}")
        super().__init__(_binary_accuracy, name=name or self.default_name, threshold=threshold)
        self.threshold = threshold


class CategoricalAccuracy(MeanMetricWrapper):
    """How often the arg-max of ``y_pred`` is the arg-max of one-hot ``y_true``.

    Logits work too: the arg-max is the same as for probabilities.

    >>> from neuropil import metrics
    >>> metrics.CategoricalAccuracy()([[0, 1], [1, 0]], [[0.2, 0.8], [0.3, 0.7]])
    0.5
    """

    default_name = "categorical_accuracy"

    def __init__(self, name=None):
        super().__init__(_categorical_accuracy, name=name or self.default_name)


class SparseCategoricalAccuracy(MeanMetricWrapper):
    """How often the arg-max of ``y_pred`` equals the integer label (shape (N,) or (N, 1)).

    >>> from neuropil import metrics
    >>> metrics.SparseCategoricalAccuracy()([2, 0], [[0.1, 0.2, 0.7], [0.3, 0.6, 0.1]])
    0.5
    """

    default_name = "sparse_categorical_accuracy"

    def __init__(self, name=None):
        super().__init__(_sparse_categorical_accuracy, name=name or self.default_name)


class _AccuracyByShape(MeanMetricWrapper):
    """``"accuracy"`` for a loss that does not say which labels it takes (a function of the
    user's own, mean squared error, no loss): sparse or categorical by the labels' shape, as
    Keras 3 decides for every loss.

    >>> m = _AccuracyByShape()
    >>> m([2, 0], [[0.1, 0.2, 0.7], [0.3, 0.6, 0.1]]), m([[0, 1]], [[0.4, 0.6]])
    (0.5, 0.6666666666666666)
    """

    default_name = "accuracy"

    def __init__(self, name=None):
        super().__init__(_accuracy_by_shape, name=name or self.default_name)
