"""The metric protocol (``Metric``), running means (``Mean``, ``MeanMetricWrapper``) and the
input helpers the metrics share: reading arrays, broadcasting sample weights, lining up ranks."""

import numpy as np

from neuropil.errors import LabelError, ShapeError
from neuropil.tensor import Tensor


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
