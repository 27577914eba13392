"""Callbacks: objects that ``fit`` calls as training starts and ends, around epochs and batches.

The protocol is Keras 3's: ``set_model``/``set_params``, then ``on_train_begin``, per epoch
``on_epoch_begin``/``on_epoch_end`` (``epoch`` is 0-based; the end logs hold ``loss``, metrics and
``val_*``), per batch ``on_train_batch_begin``/``on_train_batch_end`` (running averages), and
``on_train_end``. ``Callback``, ``CallbackList``, ``History`` and the progress display
(``ProgressBar``) are defined in ``neuropil.progress`` and re-exported here.

>>> from types import SimpleNamespace
>>> model = SimpleNamespace(stop_training=False)
>>> cbs = CallbackList([EarlyStopping(monitor="loss", patience=1)], model=model,
...                    add_progress=False, epochs=10)
>>> cbs.on_train_begin()
>>> for epoch, loss in enumerate([0.9, 0.7, 0.8, 0.6]):
...     cbs.on_epoch_end(epoch, {"loss": loss})
...     if model.stop_training:
...         break
>>> model.history.history["loss"]
[0.9, 0.7, 0.8]
"""

import csv
import inspect
import math
import numbers
import os
import string
import warnings

import numpy as np

from neuropil.errors import ConfigError, NotReadyError
from neuropil.progress import Callback, CallbackList, History, ProgressBar, write

__all__ = [
    "Callback", "CallbackList", "History", "MonitorCallback", "EarlyStopping", "ModelCheckpoint",
    "TerminateOnNaN", "CSVLogger", "ReduceLROnPlateau", "LearningRateScheduler", "ProgressBar",
]  # fmt: skip


def _number(owner, name, value, low=None, *, integer=False):
    kind = numbers.Integral if integer else numbers.Real
    ok = isinstance(value, kind) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or (low is not None and value < low):
        what = "an integer" if integer else "a finite number"
        what += "" if low is None else f" >= {low}"
        raise ConfigError(f"{owner} expects {name} to be {what}. Received: {name}={value!r}")
    return int(value) if integer else float(value)


def _learning_rate(model, owner):
    """The optimizer's learning rate as a float, or a clear error why it cannot be read."""
    optimizer = getattr(model, "optimizer", None)
    lr = getattr(optimizer, "learning_rate", None)
    if optimizer is None or lr is None:
        raise NotReadyError(
            f"{owner} needs model.optimizer.learning_rate; compile the model first. "
            f"Received: optimizer={optimizer!r}"
        )
    if callable(lr):
        raise ConfigError(
            f"{owner} sets the learning rate each epoch, so the optimizer's learning_rate must be "
            f"a float, not a schedule. Received: learning_rate={lr!r}"
        )
    return float(lr)


def _snapshot(model):
    return [np.array(w, copy=True) for w in model.get_weights()]


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
    ``recall``, ...) and ``"min"`` for losses and errors; any other name needs an explicit mode.
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
        if self.direction is None and strict:
            raise ConfigError(
                f"{owner} cannot tell whether {monitor!r} should go down or up. Pass mode='min' "
                f"or mode='max'. Received: monitor={monitor!r}, mode='auto'"
            )
        self._warned_missing = False

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


class EarlyStopping(MonitorCallback):
    """Stop training once ``monitor`` has not improved for ``patience`` epochs (Keras 3 rules).

    Each monitored epoch (from ``start_from_epoch`` on) adds one to ``wait``; an improvement of
    more than ``min_delta`` over the best value resets it, unless a ``baseline`` is given and not
    beaten. Training stops when ``wait >= patience`` after an epoch without improvement (never at
    epoch 0). With ``restore_best_weights`` the best epoch's weights are put back at train end.
    ``stopped_epoch`` and ``best_epoch`` are 0-based. Unlike Keras 3, ``best`` is reset too when
    the same instance is used for another ``fit``.

    >>> from types import SimpleNamespace
    >>> es = EarlyStopping(monitor="loss", patience=1)
    >>> es.set_model(SimpleNamespace(stop_training=False)); es.on_train_begin()
    >>> for epoch, loss in enumerate([0.5, 0.4, 0.45, 0.3]):
    ...     es.on_epoch_end(epoch, {"loss": loss})
    ...     if es.model.stop_training:
    ...         break
    >>> es.stopped_epoch, es.best_epoch, es.best
    (2, 1, 0.4)
    """

    def __init__(self, monitor="val_loss", min_delta=0, patience=0, verbose=0, mode="auto",
                 baseline=None, restore_best_weights=False, start_from_epoch=0):  # fmt: skip
        super().__init__(monitor, mode, min_delta)
        self.patience = _number("EarlyStopping", "patience", patience, 0, integer=True)
        self.start_from_epoch = _number(
            "EarlyStopping", "start_from_epoch", start_from_epoch, 0, integer=True
        )
        self.baseline = None if baseline is None else _number("EarlyStopping", "baseline", baseline)
        self.verbose = verbose
        self.restore_best_weights = bool(restore_best_weights)
        self.on_train_begin()

    def on_train_begin(self, logs=None):
        self.wait = self.stopped_epoch = self.best_epoch = 0
        self.best = self.initial_best()
        self.best_weights = None

    def on_epoch_end(self, epoch, logs=None):
        current = self.get_monitor_value(logs)
        if current is None or epoch < self.start_from_epoch:
            return
        improved = self.is_improvement(current, self.best)
        if self.restore_best_weights and (improved or self.best_weights is None):
            self.best_weights = _snapshot(self.model)
            self.best_epoch = epoch
        self.wait += 1
        if improved:
            self.best, self.best_epoch = current, epoch
            if self.baseline is None or self.is_improvement(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            write(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                write(
                    f"Restoring model weights from the end of the best epoch: "
                    f"{self.best_epoch + 1}."
                )
            self.model.set_weights(self.best_weights)


class ModelCheckpoint(MonitorCallback):
    """Save the model (or its weights) every epoch, or every ``save_freq`` batches.

    ``filepath`` may hold ``{epoch}`` (1-based, as in Keras), ``{batch}`` (1-based, with an integer
    ``save_freq``) and any log key, with format specs: ``"ckpt-{epoch:02d}-{val_loss:.2f}.npil"``.
    With ``save_best_only`` it saves only when ``monitor`` beats the best so far (starting from
    ``initial_value_threshold`` if given); if ``monitor`` is missing it warns and saves.

    >>> import os, tempfile
    >>> from types import SimpleNamespace
    >>> folder = tempfile.mkdtemp()
    >>> model = SimpleNamespace(save=lambda path: open(path, "w").close())
    >>> ckpt = ModelCheckpoint(os.path.join(folder, "m-{epoch:02d}-{val_loss:.2f}.npil"))
    >>> ckpt.set_model(model); ckpt.on_epoch_end(2, {"val_loss": 0.4567})
    >>> os.listdir(folder)
    ['m-03-0.46.npil']
    """

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False,
                 save_weights_only=False, mode="auto", save_freq="epoch",
                 initial_value_threshold=None):  # fmt: skip
        super().__init__(monitor, mode, 0.0, strict=bool(save_best_only))
        try:
            self.filepath = os.fspath(filepath)
            fields = [f for _, f, _, _ in string.Formatter().parse(self.filepath) if f is not None]
            if not isinstance(self.filepath, str) or "" in fields:
                raise ValueError("use named fields such as {epoch}")
        except (TypeError, ValueError) as e:
            raise ConfigError(
                f"ModelCheckpoint expects filepath to be a path, optionally with named fields "
                f"like {{epoch:02d}} or {{val_loss:.2f}} ({e}). Received: filepath={filepath!r}"
            ) from None
        self._fields = sorted({f.split(".")[0].split("[")[0] for f in fields})
        if save_freq != "epoch" and (
            isinstance(save_freq, bool) or not isinstance(save_freq, int) or save_freq < 1
        ):
            raise ConfigError(f"ModelCheckpoint expects save_freq to be 'epoch' or a positive "
                         f"number of batches. Received: save_freq={save_freq!r}")  # fmt: skip
        if save_freq == "epoch" and "batch" in self._fields:
            raise ConfigError("ModelCheckpoint's filepath uses {batch}, which exists only with an "
                         "integer save_freq. Received: save_freq='epoch'")  # fmt: skip
        self.verbose, self.save_freq = verbose, save_freq
        self.save_best_only, self.save_weights_only = bool(save_best_only), bool(save_weights_only)
        if initial_value_threshold is not None:
            self.best = _number(
                "ModelCheckpoint", "initial_value_threshold", initial_value_threshold
            )
        else:
            self.best = self.initial_best() if self.direction else None
        self._epoch = 0
        self._batches_since_save = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.save_freq == "epoch":
            return
        self._batches_since_save += 1
        if self._batches_since_save >= self.save_freq:
            self._batches_since_save = 0
            self._save(self._epoch, batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == "epoch":
            self._save(epoch, None, logs)

    def format_filepath(self, epoch, batch=None, logs=None):
        """The path for 0-based ``epoch`` (and ``batch``) with ``logs`` filled into the template."""
        values = dict(logs or {})
        values["epoch"] = epoch + 1
        if batch is not None and "batch" not in values:
            values["batch"] = batch + 1
        for field in self._fields:
            if field not in values:
                raise ConfigError(
                    f"ModelCheckpoint's filepath {self.filepath!r} uses {{{field}}}, which is not "
                    f"in the logs; available keys: {', '.join(values)}. Received: {field!r} missing"
                )
        try:
            return self.filepath.format(**values)
        except (ValueError, TypeError, IndexError, AttributeError, KeyError) as e:
            raise ConfigError(f"ModelCheckpoint could not fill {self.filepath!r}: {e}. "
                         f"Received: {values!r}") from None  # fmt: skip

    def _save(self, epoch, batch, logs):
        path = self.format_filepath(epoch, batch, logs)
        if self.save_best_only:
            current = self.get_monitor_value(logs)
            if current is not None:
                best = "None" if self.best is None else f"{self.best:.5f}"
                if not self.is_improvement(current, self.best):
                    if self.verbose > 0:
                        write(f"Epoch {epoch + 1}: {self.monitor} did not improve from {best}")
                    return
                if self.verbose > 0:
                    write(
                        f"Epoch {epoch + 1}: {self.monitor} improved from {best} to "
                        f"{current:.5f}, saving model to {path}"
                    )
                self.best = current
        elif self.verbose > 0:
            write(f"Epoch {epoch + 1}: saving model to {path}")
        if os.path.isdir(path):
            raise ConfigError(f"ModelCheckpoint's filepath must name a file, not a directory. "
                         f"Received: {path!r}")  # fmt: skip
        folder = os.path.dirname(path)
        if folder:
            os.makedirs(folder, exist_ok=True)
        if self.save_weights_only:
            self.model.save_weights(path)
        else:
            self.model.save(path)


class TerminateOnNaN(Callback):
    """Stop training as soon as a batch's loss is NaN or infinite, saying where it happened.

    ``stopped_epoch``/``stopped_batch`` record the place (0-based); the message counts from 1.

    >>> from types import SimpleNamespace
    >>> cb = TerminateOnNaN(); cb.set_model(SimpleNamespace(stop_training=False))
    >>> cb.on_epoch_begin(2); cb.on_train_batch_end(4, {"loss": float("nan")})
    Epoch 3, batch 5: the loss is nan; terminating training.
    >>> cb.model.stop_training, cb.stopped_epoch, cb.stopped_batch
    (True, 2, 4)
    """

    def __init__(self):
        self._epoch = 0
        self.stopped_epoch = self.stopped_batch = None

    def on_train_begin(self, logs=None):
        self.stopped_epoch = self.stopped_batch = None

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(loss):
            write(
                f"Epoch {self._epoch + 1}, batch {batch + 1}: the loss is {float(loss)}; "
                "terminating training."
            )
            self.stopped_epoch, self.stopped_batch = self._epoch, batch
            self.model.stop_training = True


def _csv_value(value):
    if isinstance(value, str) or np.ndim(value) == 0:
        return value
    return "[" + ", ".join(map(str, np.ravel(value))) + "]"


class CSVLogger(Callback):
    """Write one CSV row per epoch: an ``epoch`` column (0-based, as Keras writes it), then the
    first epoch's log keys in sorted order; a later missing key is written as ``NA``. The file is
    flushed every epoch. With ``append=True`` an existing header is kept and its columns reused.

    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "log.csv")
    >>> log = CSVLogger(path); log.on_train_begin()
    >>> log.on_epoch_end(0, {"loss": 0.5, "accuracy": 0.75}); log.on_train_end()
    >>> print(open(path).read().strip())
    epoch,accuracy,loss
    0,0.75,0.5
    """

    def __init__(self, filename, separator=",", append=False):
        try:
            self.filename = os.fspath(filename)
        except TypeError:
            raise ConfigError(f"CSVLogger expects filename to be a path. "
                         f"Received: filename={filename!r}") from None  # fmt: skip
        if not isinstance(separator, str) or len(separator) != 1:
            raise ConfigError(f"CSVLogger expects separator to be one character. "
                         f"Received: separator={separator!r}")  # fmt: skip
        self.sep, self.append = separator, bool(append)
        self.keys = self._file = self._writer = None

    def on_train_begin(self, logs=None):
        self._close()
        self.keys, self._write_header = None, True
        if self.append and os.path.exists(self.filename) and os.path.getsize(self.filename) > 0:
            self._write_header = False
            with open(self.filename, newline="", encoding="utf-8") as f:
                header = next(csv.reader(f, delimiter=self.sep), [])
            if header[:1] == ["epoch"]:
                self.keys = header[1:]
        mode = "a" if self.append else "w"
        self._file = open(self.filename, mode, newline="", encoding="utf-8")  # noqa: SIM115

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self._file is None:
            self.on_train_begin()
        if self.keys is None:
            self.keys = sorted(logs)
        if self._writer is None:
            self._writer = csv.DictWriter(
                self._file, fieldnames=["epoch", *self.keys], delimiter=self.sep,
                restval="NA", extrasaction="ignore", lineterminator="\n",
            )  # fmt: skip
            if self._write_header:
                self._writer.writeheader()
        self._writer.writerow({"epoch": epoch, **{k: _csv_value(v) for k, v in logs.items()}})
        self._file.flush()

    def on_train_end(self, logs=None):
        self._close()

    def _close(self):
        if self._file is not None:
            self._file.close()
        self._file = self._writer = None


class ReduceLROnPlateau(MonitorCallback):
    """Multiply the learning rate by ``factor`` after ``patience`` epochs without improvement.

    Keras 3 rules: an improvement must beat the best by more than ``min_delta``; after a reduction
    ``cooldown`` epochs pass before epochs without improvement count again; the rate never goes
    below ``min_lr``. Each epoch's logs get ``learning_rate`` (the rate used in that epoch).

    >>> from types import SimpleNamespace
    >>> model = SimpleNamespace(optimizer=SimpleNamespace(learning_rate=0.1))
    >>> cb = ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1)
    >>> cb.set_model(model); cb.on_train_begin()
    >>> for epoch, loss in enumerate([1.0, 1.0, 1.0]):
    ...     cb.on_epoch_end(epoch, {"loss": loss})
    >>> model.optimizer.learning_rate
    0.025
    """

    def __init__(self, monitor="val_loss", factor=0.1, patience=10, verbose=0, mode="auto",
                 min_delta=1e-4, cooldown=0, min_lr=0.0):  # fmt: skip
        super().__init__(monitor, mode, min_delta)
        name = "ReduceLROnPlateau"
        self.factor = _number(name, "factor", factor, 0)
        if not self.factor < 1.0:
            raise ConfigError(f"{name} expects factor < 1.0 (new_lr = lr * factor). "
                         f"Received: factor={factor!r}")  # fmt: skip
        self.patience = _number(name, "patience", patience, 0, integer=True)
        self.cooldown = _number(name, "cooldown", cooldown, 0, integer=True)
        self.min_lr = _number(name, "min_lr", min_lr, 0)
        self.verbose = verbose
        self.on_train_begin()

    def on_train_begin(self, logs=None):
        self.best, self.wait, self.cooldown_counter = self.initial_best(), 0, 0

    def in_cooldown(self):
        return self.cooldown_counter > 0

    def on_epoch_end(self, epoch, logs=None):
        logs = {} if logs is None else logs
        lr = _learning_rate(self.model, "ReduceLROnPlateau")
        logs["learning_rate"] = lr
        current = self.get_monitor_value(logs)
        if current is None:
            return
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self.is_improvement(current, self.best):
            self.best, self.wait = current, 0
        elif not self.in_cooldown():
            self.wait += 1
            # float32 optimizers round the rate; treat a rate within 1e-6 of min_lr as at it
            if self.wait >= self.patience and lr > self.min_lr * (1 + 1e-6):
                new_lr = max(lr * self.factor, self.min_lr)
                self.model.optimizer.learning_rate = new_lr
                if self.verbose > 0:
                    write(
                        f"Epoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {new_lr}."
                    )
                self.cooldown_counter, self.wait = self.cooldown, 0


class LearningRateScheduler(Callback):
    """Set the learning rate at each epoch's start to ``schedule(epoch, lr)`` (0-based epoch).

    A one-argument ``schedule(epoch)`` works too. Each epoch's logs get ``learning_rate``.

    >>> from types import SimpleNamespace
    >>> model = SimpleNamespace(optimizer=SimpleNamespace(learning_rate=0.1))
    >>> cb = LearningRateScheduler(lambda epoch, lr: lr if epoch < 2 else lr / 2)
    >>> cb.set_model(model)
    >>> for epoch in range(4):
    ...     cb.on_epoch_begin(epoch)
    >>> model.optimizer.learning_rate
    0.025
    """

    def __init__(self, schedule, verbose=0):
        if not callable(schedule):
            raise ConfigError(f"LearningRateScheduler expects schedule to be a function "
                         f"(epoch, lr) -> lr. Received: {schedule!r}")  # fmt: skip
        self.schedule, self.verbose = schedule, verbose
        try:
            inspect.signature(schedule).bind(0, 0.1)
            self._takes_lr = True
        except TypeError:
            self._takes_lr = False
        except ValueError:  # no signature available (some builtins): assume (epoch, lr)
            self._takes_lr = True

    def on_epoch_begin(self, epoch, logs=None):
        lr = _learning_rate(self.model, "LearningRateScheduler")
        new_lr = self.schedule(epoch, lr) if self._takes_lr else self.schedule(epoch)
        if (isinstance(new_lr, bool) or not isinstance(new_lr, numbers.Real)
                or not math.isfinite(new_lr) or new_lr < 0):  # fmt: skip
            raise ConfigError(
                f"LearningRateScheduler's schedule must return a finite, non-negative float; "
                f"it returned {new_lr!r} for epoch {epoch}. Received: {new_lr!r}"
            )
        self.model.optimizer.learning_rate = float(new_lr)
        if self.verbose > 0:
            write(
                f"Epoch {epoch + 1}: LearningRateScheduler setting learning rate to "
                f"{float(new_lr)}."
            )

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = _learning_rate(self.model, "LearningRateScheduler")
