"""Callbacks that stop training: ``EarlyStopping`` on a plateau, ``TerminateOnNaN`` on a
non-finite loss."""

import math

import numpy as np

from neuropil.callback_base import Callback
from neuropil.callbacks.monitor import MonitorCallback, _number
from neuropil.progress import write


def _snapshot(model):
    return [np.array(w, copy=True) for w in model.get_weights()]


class EarlyStopping(MonitorCallback):
    """Stop training once ``monitor`` has not improved for ``patience`` epochs (Keras 3 rules).

    Each monitored epoch (from ``start_from_epoch`` on) adds one to ``wait``; an improvement of
    more than ``min_delta`` over the best value resets it, unless a ``baseline`` is given and not
    beaten. Training stops when ``wait >= patience`` after an epoch without improvement (never at
    epoch 0). With ``restore_best_weights`` the best epoch's weights are put back at train end.
    ``stopped_epoch`` and ``best_epoch`` are 0-based. As in Keras 3 (3.15), ``best`` is reset
    too when the same instance is used for another ``fit``.

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
        super().on_train_begin(logs)
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
