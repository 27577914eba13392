"""``AUC``: the area under the ROC or precision-recall curve, from confusion counts at fixed
thresholds, pooled or label by label."""

import numpy as np

from neuropil.backend import optional_count
from neuropil.errors import ConfigError, ShapeError
from neuropil.metrics.base import _array, _check_binary, _match_rank, _weights
from neuropil.metrics.confusion import _ConfusionCounts, _numbers, _ratio


class AUC(_ConfusionCounts):
    """Area under the ROC curve (``curve="ROC"``) or the precision-recall curve (``"PR"``),
    approximated with ``num_thresholds`` fixed thresholds.

    As in Keras, the thresholds are ``-1e-7``, ``i / (num_thresholds - 1)`` for
    ``i = 1 .. num_thresholds - 2`` and ``1 + 1e-7`` (or, with ``thresholds``, a list of
    numbers in [0, 1], those sorted between the same two ends; ``num_thresholds`` is then
    ignored); each gives a point of the curve (true against false positive rate, or precision
    against recall), and ``summation_method`` sums the area between neighbouring points:

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

    Several labels per sample, ``y_pred`` of shape (batch, labels), are read as in Keras:

    - ``multi_label=False`` (the default) pools all label/prediction pairs into one curve;
      ``label_weights``, one non-negative number per label, then scales each pair's weight by
      its label's (the last axis of ``y_pred``).
    - ``multi_label=True`` counts each label apart and returns the mean of the labels' areas,
      weighted by ``label_weights`` if given. The number of labels is ``num_labels``, else the
      length of ``label_weights``, else that of the first batch; it outlives ``reset_state``,
      and a batch with another number raises ``ShapeError``. A label without positives (or, for
      ROC, without negatives) scores 0 and pulls the mean down, as in Keras.

    >>> from neuropil import metrics
    >>> metrics.AUC()([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    0.75
    >>> labels = [[0, 1], [0, 0], [1, 1], [1, 0]]
    >>> scores = [[0.1, 0.9], [0.4, 0.2], [0.35, 0.1], [0.8, 0.6]]  # label AUCs: 0.75 and 0.5
    >>> metrics.AUC(multi_label=True)(labels, scores)
    0.625
    >>> metrics.AUC(multi_label=True, label_weights=[3, 1])(labels, scores)
    0.6875
    """

    default_name = "auc"
    CURVES = ("ROC", "PR")
    SUMMATIONS = ("interpolation", "minoring", "majoring")

    def __init__(self, num_thresholds=200, curve="ROC", summation_method="interpolation",
                 name=None, *, thresholds=None, multi_label=False, num_labels=None,
                 label_weights=None, from_logits=False):  # fmt: skip
        inner = self._inner_thresholds(num_thresholds, thresholds)
        choices = (("curve", curve, self.CURVES), ("summation_method", summation_method,
                                                   self.SUMMATIONS))  # fmt: skip
        for argument, value, valid in choices:
            if not isinstance(value, str) or value.upper() not in [v.upper() for v in valid]:
                raise ConfigError(
                    f"AUC {argument} must be one of {', '.join(map(repr, valid))}. "
                    f"Received: {argument}={value!r}"
                )
        for argument, value in (("multi_label", multi_label), ("from_logits", from_logits)):
            if not isinstance(value, (bool, np.bool_)):
                raise ConfigError(f"AUC {argument} must be True or False. Received: {value!r}")
        self.multi_label, self.from_logits = bool(multi_label), bool(from_logits)
        self.num_labels = optional_count(num_labels, "num_labels", "AUC", 1)
        if self.num_labels is not None and not self.multi_label:
            raise ConfigError(
                "AUC num_labels is used only with multi_label=True (without it the labels are "
                f"pooled). Received: num_labels={num_labels!r}, multi_label={multi_label!r}"
            )
        self._label_weights = self._check_label_weights(label_weights)
        self.label_weights = None if label_weights is None else self._label_weights.tolist()
        self._labels = self.num_labels if label_weights is None else self._label_weights.size
        self.num_thresholds = inner.size + 2
        self._given_thresholds = None if thresholds is None else inner.tolist()
        self.curve, self.summation_method = curve.upper(), summation_method.lower()
        self._set_thresholds(np.concatenate([[-1e-7], inner, [1 + 1e-7]]))
        super().__init__(name=name)

    @staticmethod
    def _inner_thresholds(num_thresholds, thresholds):
        """The thresholds between the two ends, in increasing order."""
        if thresholds is not None:  # Keras then ignores num_thresholds
            inner = _numbers(thresholds)
            if inner is None or inner.ndim != 1 or np.any((inner < 0) | (inner > 1)):
                raise ConfigError(
                    f"AUC thresholds must be None or a list of numbers in [0, 1]. "
                    f"Received: {thresholds!r}"
                )
            return np.sort(inner)
        n = num_thresholds
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 2:
            raise ConfigError(f"AUC num_thresholds must be an integer >= 2. Received: {n!r}")
        return np.arange(1, n - 1) / (n - 1)

    def _check_label_weights(self, label_weights):
        if label_weights is None:
            return None
        weights = _numbers(label_weights)
        if weights is None or weights.ndim != 1 or weights.size == 0 or np.any(weights < 0):
            raise ConfigError(
                "AUC label_weights must be None or a list of non-negative numbers, one per "
                f"label. Received: {label_weights!r}"
            )
        if self.num_labels is not None and weights.size != self.num_labels:
            raise ConfigError(
                f"AUC label_weights must hold one weight per label (num_labels="
                f"{self.num_labels}). Received: label_weights of length {weights.size}"
            )
        return weights

    @property
    def thresholds(self):
        """Every threshold, the two ends included, in increasing order (as in Keras)."""
        return self._sorted.tolist()

    def get_config(self):
        return {"name": self.name, "num_thresholds": self.num_thresholds, "curve": self.curve,
                "summation_method": self.summation_method, "thresholds": self._given_thresholds,
                "multi_label": self.multi_label, "num_labels": self.num_labels,
                "label_weights": self.label_weights, "from_logits": self.from_logits}  # fmt: skip

    def reset_state(self):
        rows = self._labels if self.multi_label else 1
        self._counts = None if rows is None else np.zeros((4, rows, self._sorted.size))

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = _array(y_pred)
        t, p = _match_rank(y_true, y_pred, "AUC")
        _check_binary(t, "AUC")
        if self.multi_label or self._label_weights is not None:  # the last axis holds labels
            self._check_label_axis(y_pred.shape)
            t, p = t.reshape(y_pred.shape), p.reshape(y_pred.shape)
        w = None if sample_weight is None else _weights(sample_weight, t.shape, self.name)
        if self._label_weights is not None and not self.multi_label:
            w = np.broadcast_to(self._label_weights, t.shape) * (1.0 if w is None else w)
        rows = t.shape[-1] if self.multi_label else 1  # one set of counts per label, or pooled
        counts = self._bucket_counts(t.reshape(-1, rows), self._prepare(p.reshape(-1, rows)),
                                     None if w is None else w.reshape(-1, rows))  # fmt: skip
        if self._counts is None:  # the first batch fixes the number of labels
            self._labels = rows
            self.reset_state()
        self._counts += counts

    def _check_label_axis(self, shape):
        argument, wanted = (("multi_label=True", "of shape (batch, labels)") if self.multi_label
                            else ("label_weights", "with a last axis of labels"))  # fmt: skip
        if (len(shape) != 2 if self.multi_label else len(shape) < 2) or shape[-1] == 0:
            raise ShapeError(
                f"AUC with {argument} expects y_pred {wanted}. Received: y_pred of shape {shape}"
            )
        if self._labels is not None and shape[-1] != self._labels:
            source = ("num_labels" if self.num_labels is not None else "label_weights"
                      if self._label_weights is not None else "the first batch")  # fmt: skip
            raise ShapeError(
                f"AUC expects the last axis of y_pred, the labels, to have length {self._labels} "
                f"as {source} set. Received: y_pred of shape {shape}"
            )

    def _prepare(self, y_pred):
        if y_pred.dtype.kind != "f":
            y_pred = y_pred.astype(np.float64)
        if self.from_logits:
            half = np.asarray(0.5, dtype=y_pred.dtype)
            y_pred = half * (1 + np.tanh(half * y_pred))  # sigmoid without overflow
        return np.clip(y_pred, 0, 1)

    def result(self):
        if self._counts is None:  # multi_label, before the first batch
            return 0.0
        areas = self._areas(*self._counts)  # one per label, or one for the pooled labels
        if not self.multi_label:
            return float(areas[0])
        if self._label_weights is None:
            return float(np.mean(areas))
        total = self._label_weights.sum()
        return float(np.sum(areas * self._label_weights) / total) if total > 0 else 0.0

    def _areas(self, tp, fp, fn, tn):
        """The area under each row's curve; the counts are (rows, thresholds)."""
        if self.curve == "PR" and self.summation_method == "interpolation":
            return self._interpolated_pr_area(tp, fp, fn)
        if self.curve == "ROC":
            x, y = _ratio(fp, fp + tn), _ratio(tp, tp + fn)  # false / true positive rates
        else:
            x, y = _ratio(tp, tp + fn), _ratio(tp, tp + fp)  # recall, precision
        low, high = y[:, :-1], y[:, 1:]
        heights = {"interpolation": (low + high) / 2, "minoring": np.minimum(low, high),
                   "majoring": np.maximum(low, high)}[self.summation_method]  # fmt: skip
        # thresholds rise, so x falls: one rectangle or trapezoid between neighbouring points
        return np.sum((x[:, :-1] - x[:, 1:]) * heights, axis=1)

    @staticmethod
    def _interpolated_pr_area(tp, fp, fn):
        predicted = tp + fp
        d_tp, d_predicted = tp[:, :-1] - tp[:, 1:], predicted[:, :-1] - predicted[:, 1:]
        slope = _ratio(d_tp, np.maximum(d_predicted, 0))
        intercept = tp[:, 1:] - slope * predicted[:, 1:]
        both = (predicted[:, :-1] > 0) & (predicted[:, 1:] > 0)
        ratio = np.divide(predicted[:, :-1], predicted[:, 1:], out=np.ones_like(d_tp), where=both)
        positives = tp[:, 1:] + fn[:, 1:]
        return np.sum(_ratio(slope * (d_tp + intercept * np.log(ratio)), positives), axis=1)
