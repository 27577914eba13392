"""Regression metrics: ``MeanAbsoluteError`` and ``MeanSquaredError``."""

import numpy as np

from neuropil.metrics.base import MeanMetricWrapper, _match_rank, _per_sample


def _absolute_error(y_true, y_pred):
    t, p = _match_rank(y_true, y_pred, "MeanAbsoluteError")
    return _per_sample(np.abs(t - p))


def _squared_error(y_true, y_pred):
    t, p = _match_rank(y_true, y_pred, "MeanSquaredError")
    return _per_sample(np.square(t - p))


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
