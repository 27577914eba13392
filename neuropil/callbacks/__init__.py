"""Callbacks: objects that ``fit`` calls as training starts and ends, around epochs and batches.

The protocol is Keras 3's: ``set_model``/``set_params``, then ``on_train_begin``, per epoch
``on_epoch_begin``/``on_epoch_end`` (``epoch`` is 0-based; the end logs hold ``loss``, metrics and
``val_*``), per batch ``on_train_batch_begin``/``on_train_batch_end`` (running averages), and
``on_train_end``.

This package re-exports every callback: ``Callback`` (from ``neuropil.callback_base``) and
``ProgressBar`` (from ``neuropil.progress``); ``CallbackList`` (``callback_list``); ``History``
and ``CSVLogger`` (``records``); ``MonitorCallback`` (``monitor``); ``EarlyStopping`` and
``TerminateOnNaN`` (``stopping``); ``ModelCheckpoint`` (``checkpoint``); ``ReduceLROnPlateau``
and ``LearningRateScheduler`` (``learning_rate``); ``LambdaCallback`` (``lambda_callback``).

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

from neuropil.callback_base import Callback
from neuropil.callbacks.callback_list import CallbackList
from neuropil.callbacks.checkpoint import ModelCheckpoint
from neuropil.callbacks.diagnostics import GradientDiagnostics as GradientDiagnostics
from neuropil.callbacks.lambda_callback import LambdaCallback
from neuropil.callbacks.learning_rate import LearningRateScheduler, ReduceLROnPlateau
from neuropil.callbacks.monitor import MonitorCallback
from neuropil.callbacks.monitor import infer_mode as infer_mode
from neuropil.callbacks.records import CSVLogger, History
from neuropil.callbacks.stopping import EarlyStopping, TerminateOnNaN
from neuropil.progress import ProgressBar

__all__ = [
    "Callback", "CallbackList", "History", "MonitorCallback", "EarlyStopping", "ModelCheckpoint",
    "TerminateOnNaN", "CSVLogger", "ReduceLROnPlateau", "LearningRateScheduler", "ProgressBar",
    "LambdaCallback",
]  # fmt: skip
