"""LambdaCallback: a callback made of plain functions, one per hook, as in Keras.

>>> import numpy as np, neuropil as npl
>>> from neuropil.models import Sequential
>>> from neuropil.layers import Input, Dense
>>> model = Sequential([Input((2,)), Dense(1)])
>>> model.compile(optimizer="sgd", loss="mse")
>>> ends = []
>>> show = LambdaCallback(on_epoch_end=lambda epoch, logs: ends.append(epoch))
>>> _ = model.fit(np.ones((4, 2)), np.ones(4), epochs=3, verbose=0, callbacks=[show])
>>> ends
[0, 1, 2]
"""

from neuropil.callback_base import Callback
from neuropil.errors import ConfigError

_HOOKS = {name for name in dir(Callback) if name.startswith("on_")}


class LambdaCallback(Callback):
    """Calls the functions given for hooks by name: ``on_epoch_end(epoch, logs)``,
    ``on_train_batch_end(batch, logs)``, ``on_train_begin(logs)``... (any ``on_*`` hook of
    ``Callback``); the others do nothing. A name that is not a hook, or a value that is not
    callable, is a ConfigError."""

    def __init__(self, **hooks):
        super().__init__()
        for name, fn in hooks.items():
            if name not in _HOOKS:
                raise ConfigError(
                    f"LambdaCallback takes hooks such as on_epoch_end or on_train_batch_end "
                    f"({', '.join(sorted(_HOOKS))}). Received: {name}="
                )
            if fn is not None and not callable(fn):
                raise ConfigError(f"LambdaCallback {name} must be callable. Received: {fn!r}")
        for name, fn in hooks.items():
            if fn is not None:
                setattr(self, name, fn)
