"""``CallbackList``: calls every callback's hook in order, the object ``fit`` drives."""

import numpy as np

from neuropil.callback_base import Callback
from neuropil.callbacks.records import History
from neuropil.errors import ConfigError
from neuropil.progress import ProgressBar

_BATCH_HOOKS = {
    "on_train_batch_begin": ("on_train_batch_begin", "on_batch_begin"),
    "on_train_batch_end": ("on_train_batch_end", "on_batch_end"),
    "on_test_batch_begin": ("on_test_batch_begin",),
    "on_test_batch_end": ("on_test_batch_end",),
    "on_predict_batch_begin": ("on_predict_batch_begin",),
    "on_predict_batch_end": ("on_predict_batch_end",),
}


def _pythonify(logs):
    """The logs dict with NumPy scalars turned into Python numbers (in place, like Keras)."""
    logs = {} if logs is None else logs
    for key, value in logs.items():
        if isinstance(value, np.generic) or (isinstance(value, np.ndarray) and value.ndim == 0):
            logs[key] = value.item()
    return logs


class CallbackList(Callback):
    """Calls each callback's hook in order; adds a ``History`` and a ``ProgressBar`` if absent.

    Both go after the user's callbacks (as in Keras 3), so they see what those write into the
    logs (``learning_rate``). All callbacks receive the same logs dict. Batch hooks are called
    only on callbacks that override them, which keeps the per-step cost small.

    >>> from types import SimpleNamespace
    >>> cbs = CallbackList(None, model=SimpleNamespace(), verbose=0, epochs=2, steps=1)
    >>> [type(cb).__name__ for cb in cbs], cbs.params["epochs"]
    (['History', 'ProgressBar'], 2)
    """

    def __init__(self, callbacks=None, *, model=None, add_history=True, add_progress=True,
                 verbose=1, epochs=None, steps=None):  # fmt: skip
        verbose = 1 if verbose == "auto" else verbose
        if isinstance(verbose, bool) or verbose not in (0, 1, 2):
            raise ConfigError(f"verbose must be 0, 1, 2 or 'auto'. Received: verbose={verbose!r}")
        if isinstance(callbacks, Callback):
            callbacks = [callbacks]
        self.callbacks = []
        for i, cb in enumerate(callbacks or []):
            if not isinstance(cb, Callback):
                raise ConfigError(
                    "callbacks must be a list of neuropil.callbacks.Callback instances. "
                    f"Received: item {i} of type {type(cb).__name__}"
                )
            self.callbacks.append(cb)
        self.history = next((cb for cb in self.callbacks if isinstance(cb, History)), None)
        if self.history is None and add_history:
            self.history = History()
            self.callbacks.append(self.history)
        self.progress = next((cb for cb in self.callbacks if isinstance(cb, ProgressBar)), None)
        if self.progress is None and add_progress:
            self.progress = ProgressBar()
            self.callbacks.append(self.progress)
        self._index_batch_hooks()
        if model is not None:
            self.set_model(model)
        self.set_params({"verbose": verbose, "epochs": epochs, "steps": steps})

    def _index_batch_hooks(self):
        def overrides(cb, names):  # in its class, or set on the instance (LambdaCallback)
            own = getattr(cb, "__dict__", {})
            return any(n in own or getattr(type(cb), n) is not getattr(Callback, n) for n in names)

        self._batch = {
            hook: [getattr(cb, hook) for cb in self.callbacks if overrides(cb, names)]
            for hook, names in _BATCH_HOOKS.items()
        }

    def calls(self, hook):
        """Whether a batch ``hook`` reaches a callback that wants it now (see
        ``Callback.wants_batch_hooks``); the caller may then skip building its logs.

        >>> from neuropil.callback_base import Callback
        >>> class Peek(Callback):
        ...     def on_predict_batch_end(self, batch, logs=None): ...
        >>> quiet = CallbackList(None, add_history=False, add_progress=False)
        >>> peek = CallbackList([Peek()], add_history=False, add_progress=False)
        >>> quiet.calls("on_predict_batch_end"), peek.calls("on_predict_batch_end")
        (False, True)
        """
        return any(fn.__self__.wants_batch_hooks() for fn in self._batch[hook])

    def __iter__(self):
        return iter(self.callbacks)

    def __len__(self):
        return len(self.callbacks)

    def append(self, callback):
        """Add a callback at the end, giving it this list's model and params."""
        if not isinstance(callback, Callback):
            raise ConfigError(f"append expects a Callback. Received: {type(callback).__name__}")
        callback.set_model(self.model)
        callback.set_params(self.params)
        self.callbacks.append(callback)
        self._index_batch_hooks()

    def set_model(self, model):
        super().set_model(model)
        for cb in self.callbacks:
            cb.set_model(model)

    def set_params(self, params):
        super().set_params(params)
        for cb in self.callbacks:
            cb.set_params(params)

    def _each(self, hook, *args):
        for cb in self.callbacks:
            getattr(cb, hook)(*args)

    def on_train_begin(self, logs=None):
        self._each("on_train_begin", _pythonify(logs))

    def on_train_end(self, logs=None):
        self._each("on_train_end", _pythonify(logs))

    def on_epoch_begin(self, epoch, logs=None):
        self._each("on_epoch_begin", epoch, _pythonify(logs))

    def on_epoch_end(self, epoch, logs=None):
        self._each("on_epoch_end", epoch, _pythonify(logs))

    def on_test_begin(self, logs=None):
        self._each("on_test_begin", _pythonify(logs))

    def on_test_end(self, logs=None):
        self._each("on_test_end", _pythonify(logs))

    def on_predict_begin(self, logs=None):
        self._each("on_predict_begin", _pythonify(logs))

    def on_predict_end(self, logs=None):
        self._each("on_predict_end", _pythonify(logs))


def _batch_dispatcher(hook):
    def dispatch(self, batch, logs=None):
        for fn in self._batch[hook]:
            fn(batch, logs)

    dispatch.__name__ = dispatch.__qualname__ = hook
    dispatch.__doc__ = f"Call ``{hook}`` on the callbacks that override it."
    return dispatch


for _hook in _BATCH_HOOKS:
    setattr(CallbackList, _hook, _batch_dispatcher(_hook))
