"""Callbacks that set the optimizer's learning rate: ``ReduceLROnPlateau`` and
``LearningRateScheduler``."""

import inspect
import math
import numbers

from neuropil.callback_base import Callback
from neuropil.callbacks.monitor import MonitorCallback, _number
from neuropil.errors import ConfigError, NotReadyError
from neuropil.progress import write


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

    log_keys_added = ("learning_rate",)

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
        super().on_train_begin(logs)
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

    log_keys_added = ("learning_rate",)

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
