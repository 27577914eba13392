"""Metrics built on weighted confusion counts at fixed thresholds: ``Precision``, ``Recall``
and ``AUC``."""

import numpy as np

from neuropil.errors import ConfigError, ShapeError
from neuropil.metrics.base import Metric, _check_binary, _match_rank, _weights


class _ConfusionCounts(Metric):
    """Weighted true/false positive/negative counts at fixed thresholds (``y_pred > t``).

    Each prediction is placed in its bucket between sorted thresholds with one binary search;
    a single ``bincount`` then gives every threshold's counts, so a batch costs O(N log T).
    """

    def _set_thresholds(self, thresholds):
        given = np.asarray(thresholds, dtype=object)
        numbers = all(isinstance(t, (int, float, np.number)) and not isinstance(t, bool)
                      for t in given.ravel())  # fmt: skip
        thr = np.atleast_1d(np.asarray(thresholds, dtype=np.float64)) if numbers else None
        if thr is None or thr.ndim != 1 or thr.size == 0 or not np.all(np.isfinite(thr)):
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
        pos = t.ravel().astype(bool)
        p = self._prepare(p.ravel())
        w = None if sample_weight is None else _weights(sample_weight, t.shape, self.name).ravel()
        T = self._sorted.size
        if p.dtype.kind != "f":
            p = p.astype(np.float64)
        # compared in the predictions' own precision, as BinaryAccuracy and Keras do: float32(0.3)
        # is above the float64 0.3, so it would count as positive at the threshold 0.3
        thresholds = self._as_dtype.get(p.dtype)
        if thresholds is None:
            thresholds = self._as_dtype[p.dtype] = self._sorted.astype(p.dtype)
        bucket = np.searchsorted(thresholds, p, side="left")  # thresholds strictly below p
        bucket[np.isnan(p)] = 0  # NaN is above no threshold (searchsorted puts it above all)
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


def _optional_count(value, argument, owner, least):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < least:
        raise ConfigError(
            f"{owner} {argument} must be None or an integer >= {least}. Received: {value!r}"
        )
    return int(value)


class _ThresholdMetric(_ConfusionCounts):
    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None):
        owner = type(self).__name__
        self.top_k = _optional_count(top_k, "top_k", owner, 1)
        self.class_id = _optional_count(class_id, "class_id", owner, 0)
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
        for argument, needed in (("top_k", self.top_k), ("class_id", self.class_id)):
            if needed is not None and needed + (argument == "class_id") > y_pred.shape[-1]:
                raise ShapeError(
                    f"{owner} {argument}={needed} needs more than the {y_pred.shape[-1]} "
                    f"classes of the predictions. Received: y_pred of shape {y_pred.shape}"
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


class AUC(_ConfusionCounts):
    """Area under the ROC curve (``curve="ROC"``) or the precision-recall curve (``"PR"``),
    approximated with ``num_thresholds`` fixed thresholds.

    As in Keras, the thresholds are ``-1e-7``, ``i / (num_thresholds - 1)`` for
    ``i = 1 .. num_thresholds - 2`` and ``1 + 1e-7``; each gives a point of the curve (true
    against false positive rate, or precision against recall), and ``summation_method`` sums
    the area between neighbouring points:

    - ``"interpolation"`` (the default): ROC by trapezoids; PR by Davis and Goadrich's
      interpolation (2006), which lets the true positives grow linearly with the predicted
      positives between two thresholds. With TP = a*P + b there, precision is TP/P and recall
      TP/positives, so the area is a*(dTP + b*ln(P0/P1))/positives.
    - ``"minoring"`` / ``"majoring"``: rectangles as high as the lower / higher end.

    The state is four count arrays, so batches accumulate exactly. Predictions between the same
    two thresholds count as ties, so the result is the exact area for the predictions rounded
    up to the threshold grid: for ROC off by at most the share of positive/negative pairs that
    share a bucket, about 1e-3 to 1e-2 for 200 thresholds and spread-out predictions.
    Predictions are compared in their own float precision and clipped to [0, 1];
    ``from_logits=True`` applies a sigmoid first.

    >>> from neuropil import metrics
    >>> metrics.AUC()([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    0.75
    """

    default_name = "auc"
    CURVES = ("ROC", "PR")
    SUMMATIONS = ("interpolation", "minoring", "majoring")

    def __init__(self, num_thresholds=200, curve="ROC", summation_method="interpolation",
                 name=None, *, from_logits=False):  # fmt: skip
        if isinstance(num_thresholds, bool) or not isinstance(num_thresholds, (int, np.integer)):
            raise ConfigError(
                f"AUC num_thresholds must be an integer. Received: {num_thresholds!r}"
            )
        if num_thresholds < 2:
            raise ConfigError(f"AUC num_thresholds must be at least 2. Received: {num_thresholds}")
        choices = (("curve", curve, self.CURVES), ("summation_method", summation_method,
                                                   self.SUMMATIONS))  # fmt: skip
        for argument, value, valid in choices:
            if not isinstance(value, str) or value.upper() not in [v.upper() for v in valid]:
                raise ConfigError(
                    f"AUC {argument} must be one of {', '.join(map(repr, valid))}. "
                    f"Received: {argument}={value!r}"
                )
        if not isinstance(from_logits, (bool, np.bool_)):
            raise ConfigError(f"AUC from_logits must be True or False. Received: {from_logits!r}")
        self.num_thresholds, self.from_logits = int(num_thresholds), bool(from_logits)
        self.curve, self.summation_method = curve.upper(), summation_method.lower()
        inner = np.arange(1, num_thresholds - 1) / (num_thresholds - 1)
        self._set_thresholds(np.concatenate([[-1e-7], inner, [1 + 1e-7]]))
        super().__init__(name=name)

    def get_config(self):
        return {
            "name": self.name,
            "num_thresholds": self.num_thresholds,
            "curve": self.curve,
            "summation_method": self.summation_method,
            "from_logits": self.from_logits,
        }

    def _prepare(self, y_pred):
        if y_pred.dtype.kind != "f":
            y_pred = y_pred.astype(np.float64)
        if self.from_logits:
            half = np.asarray(0.5, dtype=y_pred.dtype)
            y_pred = half * (1 + np.tanh(half * y_pred))  # sigmoid without overflow
        return np.clip(y_pred, 0, 1)

    def result(self):
        tp, fp, fn, tn = self._counts
        if self.curve == "PR" and self.summation_method == "interpolation":
            return self._interpolated_pr_area(tp, fp, fn)
        if self.curve == "ROC":
            x, y = _ratio(fp, fp + tn), _ratio(tp, tp + fn)  # false / true positive rates
        else:
            x, y = _ratio(tp, tp + fn), _ratio(tp, tp + fp)  # recall, precision
        heights = {"interpolation": (y[:-1] + y[1:]) / 2, "minoring": np.minimum(y[:-1], y[1:]),
                   "majoring": np.maximum(y[:-1], y[1:])}[self.summation_method]  # fmt: skip
        # thresholds rise, so x falls: one rectangle or trapezoid between neighbouring points
        return float(np.sum((x[:-1] - x[1:]) * heights))

    @staticmethod
    def _interpolated_pr_area(tp, fp, fn):
        predicted = tp + fp
        d_tp, d_predicted = tp[:-1] - tp[1:], predicted[:-1] - predicted[1:]
        slope = _ratio(d_tp, np.maximum(d_predicted, 0))
        intercept = tp[1:] - slope * predicted[1:]
        both = (predicted[:-1] > 0) & (predicted[1:] > 0)
        ratio = np.divide(predicted[:-1], predicted[1:], out=np.ones_like(d_tp), where=both)
        positives = tp[1:] + fn[1:]
        area = _ratio(slope * (d_tp + intercept * np.log(ratio)), positives)
        return float(np.sum(area))
