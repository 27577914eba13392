"""``MonitorCallback``: the base of callbacks that watch one logged value and decide whether
it improved, with ``infer_mode`` and the argument check they share."""

import math
import numbers
import warnings

from neuropil.callback_base import Callback
from neuropil.errors import ConfigError


def _number(owner, name, value, low=None, *, integer=False):
    kind = numbers.Integral if integer else numbers.Real
    ok = isinstance(value, kind) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or (low is not None and value < low):
        what = "an integer" if integer else "a finite number"
        what += "" if low is None else f" >= {low}"
        raise ConfigError(f"{owner} expects {name} to be {what}. Received: {name}={value!r}")
    return int(value) if integer else float(value)


_UP_WORDS = ("acc", "auc", "precision", "recall", "f1", "fbeta", "r2", "iou", "true_positives",
             "true_negatives", "specificity", "sensitivity", "cosine_similarity")  # fmt: skip
_DOWN_WORDS = ("loss", "error", "crossentropy", "mse", "mae", "mape", "msle", "hinge", "divergence",
               "logcosh", "poisson", "huber", "false_positives", "false_negatives")  # fmt: skip


def infer_mode(monitor):
    """``"min"`` or ``"max"`` from a monitored key's name, or ``None`` when it cannot tell.

    >>> infer_mode("val_loss"), infer_mode("val_accuracy"), infer_mode("auc"), infer_mode("speed")
    ('min', 'max', 'max', None)
    """
    name = monitor.removeprefix("val_")
    if name.endswith("loss"):
        return "min"
    if any(word in name for word in _UP_WORDS):
        return "max"
    if any(word in name for word in _DOWN_WORDS):
        return "min"
    return None


class MonitorCallback(Callback):
    """Base of the callbacks that watch one logged value: ``monitor``, ``mode`` and the
    ``is_improvement`` test shared by ``EarlyStopping``, ``ModelCheckpoint`` and
    ``ReduceLROnPlateau``.

    ``mode="auto"`` means ``"max"`` for accuracy-like names (``acc``, ``auc``, ``precision``,
    ``recall``, ...) and ``"min"`` for losses and errors; a compiled metric with a name of the
    user's own goes the way its kind does; anything else needs an explicit mode (ConfigError
    as training begins).
    An improvement must beat the reference by more than ``min_delta``. An unknown ``mode`` is an
    error (Keras warns and falls back to ``"auto"``).

    >>> m = MonitorCallback("val_accuracy", min_delta=0.01)
    >>> m.direction, m.is_improvement(0.905, 0.9), m.is_improvement(0.92, 0.9)
    ('max', False, True)
    """

    def __init__(self, monitor="val_loss", mode="auto", min_delta=0.0, *, strict=True):
        owner = type(self).__name__
        if not isinstance(monitor, str) or not monitor:
            raise ConfigError(f"{owner} expects monitor to be a log key such as 'val_loss'. "
                         f"Received: monitor={monitor!r}")  # fmt: skip
        if mode not in ("auto", "min", "max"):
            raise ConfigError(f"{owner} expects mode to be 'auto', 'min' or 'max'. "
                         f"Received: mode={mode!r}")  # fmt: skip
        self.monitor, self.mode = monitor, mode
        self.min_delta = abs(_number(owner, "min_delta", min_delta))
        self.direction = mode if mode != "auto" else infer_mode(monitor)
        self._strict = strict
        self._warned_missing = False

    def _settle_direction(self):
        """With ``mode="auto"`` and a name that tells nothing (a metric named by the user, such
        as ``Precision(name="prec")``), take the direction from the compiled metric of that
        name, as Keras does; called as training begins. Raises ConfigError if still unknown."""
        if self.direction is not None or self.model is None:
            return
        name = self.monitor.removeprefix("val_")
        for metric in getattr(self.model, "compiled_metrics", None) or ():
            if getattr(metric, "name", None) == name:
                self.direction = infer_mode(getattr(metric, "default_name", ""))
        if self.direction is None and self._strict:
            raise ConfigError(
                f"{type(self).__name__} cannot tell whether {self.monitor!r} should go down or "
                f"up. Pass mode='min' or mode='max'. Received: monitor={self.monitor!r}, "
                "mode='auto'"
            )

    def on_train_begin(self, logs=None):
        self._settle_direction()

    def initial_best(self):
        """The worst possible value: ``inf`` when minimizing, ``-inf`` when maximizing."""
        return math.inf if self.direction == "min" else -math.inf

    def is_improvement(self, value, reference):
        """Whether ``value`` beats ``reference`` by more than ``min_delta``."""
        if reference is None:
            return True
        if self.direction == "min":
            return value + self.min_delta < reference
        return value - self.min_delta > reference

    def get_monitor_value(self, logs):
        """``logs[monitor]`` as a float, or ``None`` with a warning (once) listing the keys."""
        logs = logs or {}
        value = logs.get(self.monitor)
        if value is None:
            if not self._warned_missing:
                self._warned_missing = True
                warnings.warn(
                    f"{type(self).__name__} monitors {self.monitor!r}, which is not in the logs. "
                    f"Available keys: {', '.join(logs) or '(none)'}",
                    stacklevel=3,
                )
            return None
        return float(value)
