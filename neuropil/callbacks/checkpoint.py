"""``ModelCheckpoint``: saves the model or its weights during training."""

import os
import string

from neuropil.callbacks.monitor import MonitorCallback, _number
from neuropil.errors import ConfigError
from neuropil.progress import write


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

    def set_params(self, params):
        """Also checks the filepath's fields against the log keys ``fit`` lists
        (``params["metrics"]``), so an unknown key fails before the first step, not after an
        epoch of training; skipped when another callback may add keys to the logs
        (``params["log_keys_complete"]`` false), whose order then decides."""
        super().set_params(params)
        names = self.params.get("metrics")
        if names is None or not self.params.get("log_keys_complete"):
            return
        keys = ["epoch"]
        if self.save_freq != "epoch":  # batch logs: no validation values yet
            keys += ["batch"] + [k for k in names if not k.startswith("val_")]
        else:
            keys += list(names)
        for field in self._fields:
            if field not in keys:
                raise self._unknown_field(field, keys)

    def _unknown_field(self, field, keys):
        return ConfigError(
            f"ModelCheckpoint's filepath {self.filepath!r} uses {{{field}}}, which is not in the "
            f"logs; available keys: {', '.join(keys)}. Received: {field!r} missing"
        )

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
                raise self._unknown_field(field, values)
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
