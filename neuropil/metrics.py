"""Metrics: running, Keras-style measures of model quality, computed on plain NumPy arrays.

A metric keeps a small state that ``update_state`` adds one batch to; ``result()`` reads the
value for everything seen since the last ``reset_state()``, so the value after several batches
equals the value on the concatenated data. Nothing here builds a tape: the training loop calls
these every batch and they must stay cheap (one or two passes over the batch).

``sample_weight`` gives one weight per sample (shape ``(N,)`` or ``(N, 1)``); it is broadcast
over any further axes. A weight of 0 masks a sample.

>>> import numpy as np
>>> from neuropil import metrics
>>> m = metrics.get("accuracy", loss_name="binary_crossentropy")
>>> m.update_state(np.array([1, 0, 1]), np.array([[0.9], [0.2], [0.4]]))
>>> m.name, round(m.result(), 4)
('accuracy', 0.6667)
"""

import re

import numpy as np

from neuropil.errors import ConfigError, InvalidValueError, LabelError, ShapeError, unknown_name
from neuropil.tensor import Tensor

__all__ = [
    "Metric", "Mean", "MeanMetricWrapper", "BinaryAccuracy", "CategoricalAccuracy",
    "SparseCategoricalAccuracy", "MeanAbsoluteError", "MeanSquaredError", "Precision", "Recall",
    "AUC", "get", "confusion_matrix",
]  # fmt: skip


def _array(x):
    return x.data if isinstance(x, Tensor) else np.asarray(x)


def _weights(sample_weight, shape, owner):
    """Broadcast per-sample weights to ``shape`` (trailing axes of size 1 added or dropped)."""
    w = np.asarray(_array(sample_weight), dtype=np.float64)
    while w.ndim > len(shape) and w.shape[-1] == 1:
        w = w[..., 0]
    if w.ndim < len(shape):
        w = w.reshape(w.shape + (1,) * (len(shape) - w.ndim))
    try:
        return np.broadcast_to(w, shape)
    except ValueError:
        raise ShapeError(
            f"{owner}: sample_weight must hold one weight per sample, broadcastable to shape "
            f"{shape}. Received: sample_weight of shape {np.shape(sample_weight)}"
        ) from None


def _match_rank(y_true, y_pred, owner):
    """Drop a trailing axis of size 1 from whichever side has one axis more; shapes must agree."""
    t, p = _array(y_true), _array(y_pred)
    if t.ndim == p.ndim + 1 and t.shape[-1] == 1:
        t = t[..., 0]
    elif p.ndim == t.ndim + 1 and p.shape[-1] == 1:
        p = p[..., 0]
    if t.shape != p.shape:
        raise ShapeError(
            f"{owner} expects y_true and y_pred of the same shape. "
            f"Received: y_true.shape={t.shape}, y_pred.shape={p.shape}"
        )
    return t, p


def _per_sample(values):
    if values.ndim < 2:
        return values
    return values[..., 0] if values.shape[-1] == 1 else values.mean(axis=-1)


def _check_binary(t, owner):
    if t.dtype.kind != "b" and np.any((t != 0) & (t != 1)):
        bad = np.unique(t[(t != 0) & (t != 1)])[:5]
        raise LabelError(f"{owner} expects y_true of 0s and 1s. Received: values {bad.tolist()}")


class Metric:
    """Base class: ``update_state`` adds a batch, ``result()`` reads, ``reset_state()`` clears.

    Calling a metric updates it and returns the new result.

    >>> from neuropil import metrics
    >>> m = metrics.Mean(); m([1.0, 3.0])
    2.0
    """

    default_name = "metric"

    def __init__(self, name=None):
        self.name = name or self.default_name
        self.reset_state()

    def update_state(self, *args, **kwargs):
        raise NotImplementedError

    def result(self):
        raise NotImplementedError

    def reset_state(self):
        raise NotImplementedError

    def get_config(self):
        """The constructor arguments: ``type(m).from_config(m.get_config())`` rebuilds ``m``."""
        return {"name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __call__(self, *args, **kwargs):
        self.update_state(*args, **kwargs)
        return self.result()

    def __repr__(self):
        return f"{type(self).__name__}(name={self.name!r})"


class Mean(Metric):
    """The running (weighted) mean of the values passed to ``update_state(values, sample_weight)``.

    The training loop keeps the epoch's loss in one: give each batch's mean loss the batch size
    as its weight and the result is the mean over all samples, even when the last batch is short.

    >>> from neuropil import metrics
    >>> m = metrics.Mean(name="loss")
    >>> m.update_state(1.0, sample_weight=3); m.update_state([4.0])
    >>> m.result()
    1.75
    """

    default_name = "mean"

    def reset_state(self):
        self._total = 0.0
        self._count = 0.0

    def update_state(self, values, sample_weight=None):
        self._add(_array(values), sample_weight)

    def _add(self, values, sample_weight):
        if sample_weight is None:
            total, count = values.sum(dtype=np.float64), values.size
        else:
            w = _weights(sample_weight, values.shape, self.name)
            total, count = np.sum(values * w, dtype=np.float64), w.sum(dtype=np.float64)
        self._total += float(total)
        self._count += float(count)

    def result(self):
        return self._total / self._count if self._count else 0.0


class MeanMetricWrapper(Mean):
    """The running mean of ``fn(y_true, y_pred, **kwargs)``, a function giving a value per sample.

    ``get`` wraps a plain function in one; such a metric is not rebuilt from its config.

    >>> import numpy as np
    >>> from neuropil import metrics
    >>> def hits(y_true, y_pred):
    ...     return np.asarray(y_true) == np.asarray(y_pred)
    >>> m = metrics.get(hits); m([1, 2, 3, 4], [1, 2, 0, 0]), m.name
    (0.5, 'hits')
    """

    def __init__(self, fn, name=None, **kwargs):
        self._fn, self._fn_kwargs = fn, kwargs
        super().__init__(name=name or getattr(fn, "__name__", "metric"))

    def update_state(self, y_true, y_pred, sample_weight=None):
        values = np.asarray(self._fn(y_true, y_pred, **self._fn_kwargs))
        self._add(values, sample_weight)

    def get_config(self):
        return {"name": self.name, **self._fn_kwargs}


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


def _absolute_error(y_true, y_pred):
    t, p = _match_rank(y_true, y_pred, "MeanAbsoluteError")
    return _per_sample(np.abs(t - p))


def _squared_error(y_true, y_pred):
    t, p = _match_rank(y_true, y_pred, "MeanSquaredError")
    return _per_sample(np.square(t - p))


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


class MeanAbsoluteError(MeanMetricWrapper):
    """The running mean of ``|y_true - y_pred|`` (averaged over the last axis per sample).

    >>> from neuropil import metrics
    >>> metrics.MeanAbsoluteError()([0.0, 1.0], [1.0, 1.0])
    0.5
    """

    default_name = "mean_absolute_error"

    def __init__(self, name=None):
        super().__init__(_absolute_error, name=name or self.default_name)


class MeanSquaredError(MeanMetricWrapper):
    """The running mean of ``(y_true - y_pred) ** 2`` (averaged over the last axis per sample).

    >>> from neuropil import metrics
    >>> metrics.MeanSquaredError()([0.0, 1.0], [2.0, 1.0])
    2.0
    """

    default_name = "mean_squared_error"

    def __init__(self, name=None):
        super().__init__(_squared_error, name=name or self.default_name)


class _ConfusionCounts(Metric):
    """Weighted true/false positive/negative counts at fixed thresholds (``y_pred > t``).

    Each prediction is placed in its bucket between sorted thresholds with one binary search;
    a single ``bincount`` then gives every threshold's counts, so a batch costs O(N log T).
    """

    def _set_thresholds(self, thresholds):
        try:
            thr = np.atleast_1d(np.asarray(thresholds, dtype=np.float64))
        except (TypeError, ValueError):
            thr = np.array([np.nan])
        if thr.ndim != 1 or thr.size == 0 or not np.all(np.isfinite(thr)):
            raise ConfigError(
                f"{type(self).__name__} thresholds must be a number or a list of numbers. "
                f"Received: {thresholds!r}"
            )
        self._order = np.argsort(thr, kind="stable")
        self._sorted = thr[self._order]

    def reset_state(self):
        self._counts = np.zeros((4, self._sorted.size))  # tp, fp, fn, tn in sorted order

    def _prepare(self, y_pred):
        return y_pred

    def update_state(self, y_true, y_pred, sample_weight=None):
        t, p = _match_rank(y_true, y_pred, type(self).__name__)
        _check_binary(t, type(self).__name__)
        pos = t.ravel().astype(bool)
        p = self._prepare(p.ravel())
        w = None if sample_weight is None else _weights(sample_weight, t.shape, self.name).ravel()
        T = self._sorted.size
        bucket = np.searchsorted(self._sorted, p, side="left")  # thresholds strictly below p
        hist = np.bincount(bucket + (T + 1) * pos, weights=w, minlength=2 * (T + 1))
        hist = hist.reshape(2, T + 1)  # row 0: negatives, row 1: positives
        above = np.cumsum(hist[:, ::-1], axis=1)[:, ::-1][:, 1:]  # weight with p > threshold
        totals = hist.sum(axis=1, keepdims=True)
        self._counts += np.stack([above[1], above[0], totals[1] - above[1], totals[0] - above[0]])

    def _per_threshold(self, values):
        out = np.empty_like(values)
        out[self._order] = values
        return out


def _ratio(num, den):
    return np.divide(num, den, out=np.zeros_like(num), where=den > 0)


class _ThresholdMetric(_ConfusionCounts):
    def __init__(self, thresholds=0.5, name=None):
        self._set_thresholds(thresholds)
        self.thresholds = thresholds
        super().__init__(name=name)

    def get_config(self):
        return {"name": self.name, "thresholds": self.thresholds}

    def result(self):
        values = self._per_threshold(self._value(*self._counts))
        return float(values[0]) if np.ndim(self.thresholds) == 0 else values.tolist()


class Precision(_ThresholdMetric):
    """TP / (TP + FP) where a prediction is positive when ``y_pred > threshold``.

    ``y_true`` holds 0s and 1s; several outputs per sample are pooled. A list of thresholds
    makes ``result()`` a list with one precision per threshold. With no predicted positives the
    result is 0. Thresholds may be any number, e.g. 0.0 for logits.

    >>> from neuropil import metrics
    >>> metrics.Precision()([0, 1, 1, 1], [1, 0, 1, 1])
    0.6666666666666666
    """

    default_name = "precision"

    def _value(self, tp, fp, fn, tn):
        return _ratio(tp, tp + fp)


class Recall(_ThresholdMetric):
    """TP / (TP + FN) where a prediction is positive when ``y_pred > threshold``.

    Same inputs and conventions as ``Precision``; with no positive labels the result is 0.

    >>> from neuropil import metrics
    >>> metrics.Recall()([0, 1, 1, 1], [1, 0, 1, 1])
    0.6666666666666666
    """

    default_name = "recall"

    def _value(self, tp, fp, fn, tn):
        return _ratio(tp, tp + fn)


class AUC(_ConfusionCounts):
    """Area under the ROC curve, approximated with ``num_thresholds`` fixed thresholds.

    As in Keras, the thresholds are ``-1e-7``, ``i / (num_thresholds - 1)`` for
    ``i = 1 .. num_thresholds - 2`` and ``1 + 1e-7``; the true/false positive rates at each give
    a piecewise-linear curve whose area is summed with the trapezoidal rule (Keras's default
    ``summation_method="interpolation"``). The state is four count arrays, so batches
    accumulate exactly.

    The approximation: predictions between the same two thresholds count as ties, so the result
    is the exact ROC AUC of the predictions rounded up to the threshold grid. It is off by at
    most the share of positive/negative pairs that share a bucket: about 1e-3 to 1e-2 for 200
    thresholds and spread-out predictions, worse when predictions crowd near 0 or 1. Predictions
    are clipped to [0, 1]; ``from_logits=True`` applies a sigmoid first.

    >>> from neuropil import metrics
    >>> metrics.AUC()([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    0.75
    """

    default_name = "auc"

    def __init__(self, num_thresholds=200, from_logits=False, name=None):
        if isinstance(num_thresholds, bool) or not isinstance(num_thresholds, (int, np.integer)):
            raise ConfigError(
                f"AUC num_thresholds must be an integer. Received: {num_thresholds!r}"
            )
        if num_thresholds < 2:
            raise ConfigError(f"AUC num_thresholds must be at least 2. Received: {num_thresholds}")
        self.num_thresholds, self.from_logits = int(num_thresholds), bool(from_logits)
        inner = np.arange(1, num_thresholds - 1) / (num_thresholds - 1)
        self._set_thresholds(np.concatenate([[-1e-7], inner, [1 + 1e-7]]))
        super().__init__(name=name)

    def get_config(self):
        config = {"num_thresholds": self.num_thresholds, "from_logits": self.from_logits}
        return {"name": self.name, **config}

    def _prepare(self, y_pred):
        y_pred = y_pred.astype(np.float64)
        if self.from_logits:
            y_pred = 0.5 * (1.0 + np.tanh(0.5 * y_pred))  # sigmoid without overflow
        return np.clip(y_pred, 0.0, 1.0)

    def result(self):
        tp, fp, fn, tn = self._counts
        tpr, fpr = _ratio(tp, tp + fn), _ratio(fp, fp + tn)
        # thresholds rise, so both rates fall: trapezoids between neighbouring points
        return float(np.sum((fpr[:-1] - fpr[1:]) * (tpr[:-1] + tpr[1:]) / 2))


_NAMES = {
    "binary_accuracy": BinaryAccuracy, "categorical_accuracy": CategoricalAccuracy,
    "sparse_categorical_accuracy": SparseCategoricalAccuracy, "precision": Precision,
    "recall": Recall, "auc": AUC, "mae": MeanAbsoluteError, "mse": MeanSquaredError,
    "mean_absolute_error": MeanAbsoluteError, "mean_squared_error": MeanSquaredError,
}  # fmt: skip
_ACCURACY = ("accuracy", "acc")


def _loss_key(loss):
    """``"binary_crossentropy"`` for the string, a ``BinaryCrossentropy`` object or a function."""
    if loss is None or isinstance(loss, str):
        return loss and loss.lower()
    name = getattr(loss, "name", None) or getattr(loss, "__name__", None) or type(loss).__name__
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", str(name)).lower()


def _accuracy_class(loss, output_shape):
    key = _loss_key(loss)
    binary_output = output_shape is not None and (len(output_shape) == 0 or output_shape[-1] == 1)
    if key == "binary_crossentropy" or binary_output:
        return BinaryAccuracy
    if key == "sparse_categorical_crossentropy":
        return SparseCategoricalAccuracy
    return CategoricalAccuracy


def get(identifier, loss_name=None, from_logits=False, output_shape=None):
    """Resolve a metric name, instance, class or per-sample function to a ``Metric``.

    ``"accuracy"``/``"acc"`` picks the variant as Keras does: ``BinaryAccuracy`` when the loss is
    binary cross-entropy or the model's output has last dimension 1, ``SparseCategoricalAccuracy``
    when the loss is sparse categorical cross-entropy, else ``CategoricalAccuracy``. As in Keras,
    a metric made from a string is named by that string (``"acc"`` logs as ``acc``, ``"mae"`` as
    ``mae``). ``loss_name`` may also be a loss object or function; a loss object's own
    ``from_logits`` attribute counts as ``from_logits``.

    ``from_logits=True`` (neuropil's choice; Keras leaves it to the user): binary accuracy,
    precision and recall threshold at 0.0, which on logits is the same as 0.5 on probabilities,
    and ``"auc"`` applies a sigmoid. Instances are returned as they are.

    >>> from neuropil import metrics
    >>> m = metrics.get("acc", loss_name="sparse_categorical_crossentropy")
    >>> type(m).__name__, m.name
    ('SparseCategoricalAccuracy', 'acc')
    >>> metrics.get("accuracy", output_shape=(None, 1), from_logits=True).threshold
    0.0
    """
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Metric):
        return identifier()
    if isinstance(identifier, str):
        key = identifier.lower()
        if key in _ACCURACY:
            cls = _accuracy_class(loss_name, output_shape)
        elif key in _NAMES:
            cls = _NAMES[key]
        else:
            raise unknown_name("metric", identifier, list(_NAMES) + list(_ACCURACY))
        logits = bool(from_logits or getattr(loss_name, "from_logits", False))
        kwargs = {}
        if logits and cls is BinaryAccuracy:
            kwargs["threshold"] = 0.0
        elif logits and cls in (Precision, Recall):
            kwargs["thresholds"] = 0.0
        elif logits and cls is AUC:
            kwargs["from_logits"] = True
        return cls(name=identifier, **kwargs)
    if callable(identifier):
        return MeanMetricWrapper(identifier)
    raise ConfigError(
        "A metric must be a name, a Metric, a Metric class or a function "
        f"(y_true, y_pred) -> per-sample values. Received: {identifier!r}"
    )


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
