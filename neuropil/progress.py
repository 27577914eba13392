"""Training progress: the callback protocol, the list that drives it, History and the display.

``neuropil.callbacks`` stands on this module and re-exports its names. The protocol is Keras 3's:
``set_model``/``set_params``, then ``on_train_begin``, per epoch ``on_epoch_begin`` and
``on_epoch_end`` (``epoch`` is 0-based; the end logs hold ``loss``, metrics and ``val_*``), per
batch ``on_train_batch_begin``/``on_train_batch_end`` (running averages), and ``on_train_end``;
``evaluate`` and ``predict`` call the ``on_test_*`` and ``on_predict_*`` hooks.

``ProgressBar`` is what ``verbose`` selects: 0 prints nothing; 1 on a terminal shows a live tqdm
bar per epoch (tqdm is optional: ``pip install neuropil[progress]``); 1 elsewhere (logs, CI,
pipes) and 2 print exactly one plain line per epoch, never a carriage return or backspace.

>>> import io
>>> out = io.StringIO()
>>> cbs = CallbackList([ProgressBar(stream=out)], verbose=2, epochs=3, steps=10)
>>> cbs.on_train_begin(); cbs.on_epoch_begin(0); cbs.on_epoch_end(0, {"loss": 0.35214})
>>> out.getvalue().startswith("Epoch 1/3 - "), out.getvalue().endswith(" - loss: 0.3521\\n")
(True, True)
"""

import math
import sys
import time
import weakref

import numpy as np

from neuropil.errors import ConfigError

__all__ = ["Callback", "CallbackList", "History", "ProgressBar", "write", "format_logs"]

_REFRESH = 0.1  # seconds between updates of the bar's metrics, like tqdm's own refresh interval
_TQDM_NOTE = (
    "neuropil: a live progress bar needs tqdm (pip install neuropil[progress]); "
    "showing one line per epoch instead."
)
_tqdm_note_shown = False
_live_bars = weakref.WeakSet()


def _emit(stream, text):
    stream.write(text + "\n")
    if hasattr(stream, "flush"):
        stream.flush()


def write(message, stream=None):
    """Print a line to ``stream`` (default ``sys.stdout``) without tearing a live progress bar.

    >>> write("Epoch 3: saving model")
    Epoch 3: saving model
    """
    stream = sys.stdout if stream is None else stream
    if _live_bars:
        next(iter(_live_bars)).write(message, file=stream)
    else:
        _emit(stream, message)


def format_value(value):
    """A logged number as Keras shows it: 4 decimals, or scientific notation when tiny."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        return str(value)
    return f"{v:.4f}" if v == 0 or abs(v) >= 1e-3 or not math.isfinite(v) else f"{v:.4e}"


def format_logs(logs):
    """``"loss: 0.3521 - accuracy: 0.8612"`` from a logs dict.

    >>> format_logs({"loss": 0.35214, "accuracy": 0.86119, "learning_rate": 1e-5})
    'loss: 0.3521 - accuracy: 0.8612 - learning_rate: 1.0000e-05'
    """
    return " - ".join(f"{key}: {format_value(value)}" for key, value in (logs or {}).items())


class Callback:
    """Base class of all callbacks: override the hooks you need; each does nothing by default.

    >>> class LastEpoch(Callback):
    ...     def on_epoch_end(self, epoch, logs=None):
    ...         self.last = epoch + 1
    >>> cb = LastEpoch(); cb.on_epoch_end(4, {"loss": 0.1}); cb.last
    5
    """

    model = None
    params = {}  # replaced by set_params, never mutated

    def set_model(self, model):
        self.model = model

    def set_params(self, params):
        self.params = dict(params)

    def on_train_begin(self, logs=None): ...
    def on_train_end(self, logs=None): ...
    def on_epoch_begin(self, epoch, logs=None): ...
    def on_epoch_end(self, epoch, logs=None): ...
    def on_test_begin(self, logs=None): ...
    def on_test_end(self, logs=None): ...
    def on_predict_begin(self, logs=None): ...
    def on_predict_end(self, logs=None): ...
    def on_batch_begin(self, batch, logs=None): ...  # the Keras 2 names of the train batch hooks
    def on_batch_end(self, batch, logs=None): ...
    def on_test_batch_begin(self, batch, logs=None): ...
    def on_test_batch_end(self, batch, logs=None): ...
    def on_predict_batch_begin(self, batch, logs=None): ...
    def on_predict_batch_end(self, batch, logs=None): ...

    def on_train_batch_begin(self, batch, logs=None):
        self.on_batch_begin(batch, logs)

    def on_train_batch_end(self, batch, logs=None):
        self.on_batch_end(batch, logs)


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
        def overrides(cb, names):
            return any(getattr(type(cb), n) is not getattr(Callback, n) for n in names)

        self._batch = {
            hook: [getattr(cb, hook) for cb in self.callbacks if overrides(cb, names)]
            for hook, names in _BATCH_HOOKS.items()
        }

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


class History(Callback):
    """Records each epoch's logs: ``history`` maps a key to its list of values, ``epoch`` lists
    the 0-based epochs. ``fit`` returns it, and it sets ``model.history`` to itself.

    >>> h = History()
    >>> h.on_train_begin()
    >>> h.on_epoch_end(0, {"loss": 0.5}); h.on_epoch_end(1, {"loss": 0.25})
    >>> h.history, h.epoch
    ({'loss': [0.5, 0.25]}, [0, 1])
    """

    def __init__(self):
        self.history = {}
        self.epoch = []

    def on_train_begin(self, logs=None):
        self.epoch = []
        if self.model is not None:
            self.model.history = self

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)
        if self.model is not None:
            self.model.history = self


def _interactive(stream):
    """A terminal, or a Jupyter kernel's stdout (which renders carriage returns)."""
    try:
        if stream.isatty():
            return True
    except (AttributeError, ValueError, OSError):  # no isatty, or a closed file
        pass
    return stream is sys.stdout and "ipykernel" in sys.modules


def _load_tqdm(stream):
    global _tqdm_note_shown
    try:
        from tqdm import tqdm
    except ImportError:
        if not _tqdm_note_shown:
            _tqdm_note_shown = True
            _emit(stream, _TQDM_NOTE)
        return None
    return tqdm


class ProgressBar(Callback):
    """Shows training progress: the display behind ``fit(verbose=...)``.

    ``verbose`` is 0, 1 or 2 (``None`` takes it from the params ``fit`` sets; ``"auto"`` is 1).
    With 1 and an interactive ``stream`` it draws a tqdm bar per epoch with the ETA and the
    running metrics; otherwise it prints one line per epoch when the epoch ends:
    ``Epoch 3/20 - 0.41s - loss: 0.3521 - accuracy: 0.8612 - val_loss: 0.3610``. ``evaluate``
    and ``predict`` (outside ``fit``) get one bar or line each. ``stream`` defaults to
    ``sys.stdout``, looked up at each use.

    >>> import io
    >>> out = io.StringIO()
    >>> bar = ProgressBar(verbose=2, stream=out)
    >>> bar.set_params({"epochs": 20, "steps": 5})
    >>> bar.on_train_begin(); bar.on_epoch_begin(2)
    >>> bar.on_epoch_end(2, {"loss": 0.35214, "val_loss": 0.361})
    >>> title, seconds, *metrics = out.getvalue().rstrip("\\n").split(" - ")
    >>> title, seconds.endswith("s"), metrics
    ('Epoch 3/20', True, ['loss: 0.3521', 'val_loss: 0.3610'])
    """

    def __init__(self, verbose=None, stream=None):
        verbose = 1 if verbose == "auto" else verbose
        if isinstance(verbose, bool) or verbose not in (None, 0, 1, 2):
            raise ConfigError(
                f"ProgressBar expects verbose to be 0, 1, 2, 'auto' or None. "
                f"Received: verbose={verbose!r}"
            )
        self.verbose, self._stream = verbose, stream
        self._mode = self._bar = None
        self._in_fit = False
        self._title, self._start, self._next_postfix = "", 0.0, 0.0

    @property
    def stream(self):
        return sys.stdout if self._stream is None else self._stream

    def _choose_mode(self):
        level = self.verbose if self.verbose is not None else self.params.get("verbose", 1)
        level = 1 if level == "auto" else level
        if not level:
            return "silent"
        if level == 1 and _interactive(self.stream) and _load_tqdm(self.stream) is not None:
            return "bar"
        return "line"

    def _begin(self, title, total):
        self._title, self._start = title, time.perf_counter()
        if self._mode is None:
            self._mode = self._choose_mode()
        if self._mode == "bar":
            self._close_bar()
            self._bar = _load_tqdm(self.stream)(
                total=total, desc=title, file=self.stream, unit="step", leave=True,
                dynamic_ncols=True, mininterval=_REFRESH,
            )  # fmt: skip
            _live_bars.add(self._bar)
            self._next_postfix = 0.0

    def _step(self, batch, logs):
        bar = self._bar
        if bar is None:
            return
        if logs:
            now = time.perf_counter()
            if now >= self._next_postfix:  # formatting every step would cost more than the bar
                bar.set_postfix_str(format_logs(logs), refresh=False)
                self._next_postfix = now + _REFRESH
        if batch + 1 > bar.n:
            bar.update(batch + 1 - bar.n)

    def _end(self, logs):
        elapsed = time.perf_counter() - self._start
        if self._bar is not None:
            if logs:
                self._bar.set_postfix_str(format_logs(logs), refresh=False)
            self._close_bar()
        elif self._mode == "line":
            parts = [self._title, f"{elapsed:.2f}s"] + ([format_logs(logs)] if logs else [])
            _emit(self.stream, " - ".join(parts))

    def _close_bar(self):
        if self._bar is not None:
            _live_bars.discard(self._bar)
            self._bar.close()
            self._bar = None

    def on_train_begin(self, logs=None):
        self._in_fit, self._mode = True, self._choose_mode()

    def on_epoch_begin(self, epoch, logs=None):
        epochs = self.params.get("epochs")
        self._begin(
            f"Epoch {epoch + 1}" + (f"/{epochs}" if epochs else ""), self.params.get("steps")
        )

    def on_train_batch_end(self, batch, logs=None):
        self._step(batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        self._end(logs)

    def on_train_end(self, logs=None):
        self._close_bar()
        self._in_fit = False

    # evaluate and predict: shown only when called on their own, not for validation inside fit
    def on_test_begin(self, logs=None):
        if not self._in_fit:
            self._mode = self._choose_mode()
            self._begin("Evaluate", self.params.get("steps"))

    def on_test_batch_end(self, batch, logs=None):
        if not self._in_fit:
            self._step(batch, logs)

    def on_test_end(self, logs=None):
        if not self._in_fit:
            self._end(logs)

    def on_predict_begin(self, logs=None):
        if not self._in_fit:
            self._mode = self._choose_mode()
            self._begin("Predict", self.params.get("steps"))

    def on_predict_batch_end(self, batch, logs=None):
        if not self._in_fit:
            self._step(batch, None)  # predict's batch logs hold outputs, not metrics

    def on_predict_end(self, logs=None):
        if not self._in_fit:
            self._end(None)
