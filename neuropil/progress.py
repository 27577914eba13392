"""Training progress display: ``ProgressBar`` and the helpers that print and format logs.

``ProgressBar`` is what ``verbose`` selects: 0 prints nothing; 1 on a terminal shows a live tqdm
bar per epoch (tqdm is optional: ``pip install neuropil[progress]``); 1 elsewhere (logs, CI,
pipes) and 2 print exactly one plain line per epoch, never a carriage return or backspace.
``write`` prints a message without tearing a live bar. The callback protocol is in
``neuropil.callback_base``; ``neuropil.callbacks`` re-exports ``ProgressBar``.

>>> import io
>>> out = io.StringIO()
>>> bar = ProgressBar(verbose=2, stream=out)
>>> bar.set_params({"epochs": 3, "steps": 10})
>>> bar.on_train_begin(); bar.on_epoch_begin(0); bar.on_epoch_end(0, {"loss": 0.35214})
>>> out.getvalue().startswith("Epoch 1/3 - "), out.getvalue().endswith(" - loss: 0.3521\\n")
(True, True)
"""

import math
import os
import sys
import time
import weakref

from neuropil.callback_base import Callback
from neuropil.errors import ConfigError

__all__ = ["ProgressBar", "write", "format_logs"]

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


def _interactive(stream):
    """A terminal a bar can be drawn in, or a Jupyter kernel's stdout (which renders carriage
    returns). A terminal that reports zero columns (a pseudo-terminal nobody sized, as some
    editors and containers make) is not: a bar there prints only empty lines."""
    try:
        terminal = stream.isatty()
    except (AttributeError, ValueError, OSError):  # no isatty, or a closed file
        terminal = False
    if terminal:
        try:
            return os.get_terminal_size(stream.fileno()).columns > 0
        except (AttributeError, ValueError, OSError):  # a terminal-like object without a size
            return True
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

    def wants_batch_hooks(self):
        """Only a live bar of ``evaluate`` or ``predict`` shows batches (see ``Callback``)."""
        return self._bar is not None and not self._in_fit

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
