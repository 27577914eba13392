"""Metrics built on weighted confusion counts at fixed thresholds: ``Precision``, ``Recall``
and ``AUC``."""

import numpy as np

from neuropil.errors import ConfigError
from neuropil.metrics.base import Metric, _check_binary, _match_rank, _weights


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
