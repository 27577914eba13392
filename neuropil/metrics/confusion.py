"""Metrics built on weighted confusion counts at fixed thresholds: the counting they share,
``Precision`` and ``Recall`` (``AUC`` lives in ``auc.py``)."""

import numpy as np

from neuropil.backend import optional_count
from neuropil.errors import ConfigError, ShapeError
from neuropil.metrics.base import Metric, _check_binary, _match_rank, _weights


class _ConfusionCounts(Metric):
    """Weighted true/false positive/negative counts at fixed thresholds (``y_pred > t``).

    Each prediction is placed in its bucket between sorted thresholds with one binary search;
    a single ``bincount`` then gives every threshold's counts, so a batch costs O(N log T).
    """

    def _set_thresholds(self, thresholds):
        thr = _numbers(thresholds)
        thr = None if thr is None else np.atleast_1d(thr)
        if thr is None or thr.ndim != 1 or thr.size == 0:
            raise ConfigError(
                f"{type(self).__name__} thresholds must be a number or a list of numbers. "
                f"Received: {thresholds!r}"
            )
        self._use_thresholds(thr)

    def _use_thresholds(self, thr):
        self._order = np.argsort(thr, kind="stable")
        self._sorted = thr[self._order]
        self._as_dtype = {}  # the sorted thresholds in each float dtype predictions came in

    def reset_state(self):
        self._counts = np.zeros((4, self._sorted.size))  # tp, fp, fn, tn in sorted order

    def _prepare(self, y_pred):
        return y_pred

    def _select(self, y_true, y_pred):
        """The labels and predictions that count (all of them here)."""
        return y_true, y_pred

    def update_state(self, y_true, y_pred, sample_weight=None):
        t, p = self._select(*_match_rank(y_true, y_pred, type(self).__name__))
        _check_binary(t, type(self).__name__)
        w = None if sample_weight is None else _weights(sample_weight, t.shape, self.name)
        counts = self._bucket_counts(t.reshape(-1, 1), self._prepare(p.reshape(-1, 1)),
                                     None if w is None else w.reshape(-1, 1))  # fmt: skip
        self._counts += counts[:, 0]

    def _bucket_counts(self, t, p, w):
        """The counts (tp, fp, fn, tn) of shape (4, labels, thresholds) of labels, predictions and
        weights laid out as (samples, labels); one ``bincount`` covers every label."""
        T, labels = self._sorted.size, p.shape[1]
        if p.dtype.kind != "f":
            p = p.astype(np.float64)
        # compared in the predictions' own precision, as BinaryAccuracy and Keras do: float32(0.3)
        # is above the float64 0.3, so it would count as positive at the threshold 0.3
        thresholds = self._as_dtype.get(p.dtype)
        if thresholds is None:
            thresholds = self._as_dtype[p.dtype] = self._sorted.astype(p.dtype)
        bucket = np.searchsorted(thresholds, p, side="left")  # thresholds strictly below p
        bucket[np.isnan(p)] = 0  # NaN is above no threshold (searchsorted puts it above all)
        row = 2 * np.arange(labels) + t.astype(bool)  # a histogram row per label and class
        hist = np.bincount((bucket + (T + 1) * row).ravel(), minlength=2 * labels * (T + 1),
                           weights=None if w is None else w.ravel())  # fmt: skip
        hist = hist.reshape(labels, 2, T + 1)  # [:, 0]: negatives, [:, 1]: positives
        above = np.cumsum(hist[..., ::-1], axis=-1)[..., ::-1][..., 1:]  # weight with p > t
        totals = hist.sum(axis=-1, keepdims=True)
        tp, fp = above[:, 1], above[:, 0]
        return np.stack([tp, fp, totals[:, 1] - tp, totals[:, 0] - fp])

    def _per_threshold(self, values):
        out = np.empty_like(values)
        out[self._order] = values
        return out


def _numbers(values):
    """``values`` as a float array when it holds only finite numbers (no bools or strings)."""
    given = np.asarray(values, dtype=object)
    if all(isinstance(v, (int, float, np.number)) and not isinstance(v, bool)
           for v in given.ravel()):  # fmt: skip
        out = given.astype(np.float64)
        if np.all(np.isfinite(out)):
            return out
    return None


def _ratio(num, den):
    return np.divide(num, den, out=np.zeros_like(num), where=den > 0)


class _ThresholdMetric(_ConfusionCounts):
    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None):
        owner = type(self).__name__
        self.top_k = optional_count(top_k, "top_k", owner, 1)
        self.class_id = optional_count(class_id, "class_id", owner, 0)
        if thresholds is not None:
            self._set_thresholds(thresholds)
        elif top_k is None:
            self._set_thresholds(0.5)  # Keras's default
        else:  # Keras's default with top_k: every one of the k highest predictions is positive
            self._use_thresholds(np.array([-np.inf]))
        self.thresholds = thresholds
        super().__init__(name=name)

    def get_config(self):
        return {"name": self.name, "thresholds": self.thresholds, "top_k": self.top_k,
                "class_id": self.class_id}  # fmt: skip

    def _select(self, y_true, y_pred):
        """Keep each sample's ``top_k`` highest predictions (the others fall below every
        threshold), then the column ``class_id``; both read the last axis, the classes."""
        if self.top_k is None and self.class_id is None:
            return y_true, y_pred
        owner = type(self).__name__
        if y_pred.ndim < 2:
            raise ShapeError(
                f"{owner} top_k and class_id read a class axis: predictions of shape "
                f"(batch, classes) and one-hot labels of the same shape. Received: y_pred of "
                f"shape {y_pred.shape}"
            )
        classes = y_pred.shape[-1]
        # top_k=k needs k classes, class_id=c needs c + 1
        limits = (("top_k", self.top_k, self.top_k),
                  ("class_id", self.class_id, (self.class_id or 0) + 1))  # fmt: skip
        for argument, value, needs in limits:
            if value is not None and needs > classes:
                raise ShapeError(
                    f"{owner} {argument}={value} needs more than the {classes} classes of the "
                    f"predictions. Received: y_pred of shape {y_pred.shape}"
                )
        if self.top_k is not None:
            kept = y_pred.astype(np.result_type(y_pred.dtype, np.float32))
            # stable: among equal predictions the lower class index is kept, as TensorFlow's
            # top_k does; NaN sorts last, so it is kept only when fewer than k others are left
            order = np.argsort(-kept, axis=-1, kind="stable")
            np.put_along_axis(kept, order[..., self.top_k :], -np.inf, axis=-1)
            y_pred = kept
        if self.class_id is not None:
            y_true, y_pred = y_true[..., self.class_id], y_pred[..., self.class_id]
        return y_true, y_pred

    def result(self):
        values = self._per_threshold(self._value(*self._counts))
        return float(values[0]) if np.ndim(self.thresholds) == 0 else values.tolist()


class Precision(_ThresholdMetric):
    """TP / (TP + FP) where a prediction is positive when ``y_pred > threshold``.

    ``y_true`` holds 0s and 1s; several outputs per sample are pooled. A list of thresholds
    makes ``result()`` a list with one precision per threshold. With no predicted positives the
    result is 0. Thresholds may be any number, e.g. 0.0 for logits.

    For one-hot labels and a prediction per class, as in Keras: ``class_id=c`` scores class c
    alone (its column), and ``top_k=k`` counts only each sample's k highest predictions, with
    no threshold unless one is given (precision at k). ``top_k`` is applied first.

    >>> from neuropil import metrics
    >>> metrics.Precision()([0, 1, 1, 1], [1, 0, 1, 1])
    0.6666666666666666
    >>> labels, scores = [[0, 1, 0], [1, 0, 0]], [[0.2, 0.5, 0.3], [0.1, 0.6, 0.3]]
    >>> metrics.Precision(top_k=1)(labels, scores), metrics.Precision(class_id=0)(labels, scores)
    (0.5, 0.0)
    """

    default_name = "precision"

    def _value(self, tp, fp, fn, tn):
        return _ratio(tp, tp + fp)


class Recall(_ThresholdMetric):
    """TP / (TP + FN) where a prediction is positive when ``y_pred > threshold``.

    Same inputs and conventions as ``Precision``, ``top_k`` and ``class_id`` included (recall
    at k with ``top_k``); with no positive labels the result is 0.

    >>> from neuropil import metrics
    >>> metrics.Recall()([0, 1, 1, 1], [1, 0, 1, 1])
    0.6666666666666666
    >>> metrics.Recall(top_k=2)([[0, 1, 0], [1, 0, 0]], [[0.2, 0.5, 0.3], [0.1, 0.6, 0.3]])
    0.5
    """

    default_name = "recall"

    def _value(self, tp, fp, fn, tn):
        return _ratio(tp, tp + fn)
