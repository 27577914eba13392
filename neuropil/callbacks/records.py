"""Callbacks that record each epoch's logs: ``History`` in memory, ``CSVLogger`` in a file."""

import csv
import os

import numpy as np

from neuropil.callback_base import Callback
from neuropil.errors import ConfigError
from neuropil.saving import _atomic_target


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
        elif not self._write_header and set(logs) - set(self.keys):
            self._widen(sorted(set(logs) - set(self.keys)))
        if self._writer is None:
            self._writer = csv.DictWriter(
                self._file, fieldnames=["epoch", *self.keys], delimiter=self.sep,
                restval="NA", extrasaction="ignore", lineterminator="\n",
            )  # fmt: skip
            if self._write_header:
                self._writer.writeheader()
        self._writer.writerow({"epoch": epoch, **{k: _csv_value(v) for k, v in logs.items()}})
        self._file.flush()

    def _widen(self, new_keys):
        """Appending logs with keys the file has no column for (validation added, say): rewrite
        the file with those columns added, "NA" in its earlier rows, then go on appending."""
        self._close()
        with open(self.filename, newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f, delimiter=self.sep))
        self.keys = [*self.keys, *new_keys]
        # the old file stays whole until the new one is
        with _atomic_target(self.filename) as temp, open(temp, "w", newline="",
                                                         encoding="utf-8") as f:  # fmt: skip
            writer = csv.DictWriter(f, fieldnames=["epoch", *self.keys], delimiter=self.sep,
                                    restval="NA", lineterminator="\n")  # fmt: skip
            writer.writeheader()
            writer.writerows(rows)
        self._file = open(self.filename, "a", newline="", encoding="utf-8")  # noqa: SIM115

    def on_train_end(self, logs=None):
        self._close()

    def _close(self):
        if self._file is not None:
            self._file.close()
        self._file = self._writer = None
