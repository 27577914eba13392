"""The exceptions neuropil raises.

Every error is a ``NeuropilError`` and also subclasses the matching built-in exception, so
``except ValueError`` keeps working for code written against Keras or NumPy. Messages name the
layer or argument, say what was expected and end with ``Received: ...``.
"""


class NeuropilError(Exception):
    """Base class of all neuropil errors."""


class ShapeError(NeuropilError, ValueError):
    """An array or tensor has a shape the layer or op cannot take."""


class ConfigError(NeuropilError, ValueError):
    """An argument has a value that is not allowed (negative rate, unknown mode, ...)."""


class UnknownNameError(ConfigError, KeyError):
    """A string name (activation, loss, optimizer, metric, initializer) is not registered."""

    def __str__(self):  # KeyError would otherwise quote the whole message
        return str(self.args[0]) if self.args else ""


class LabelError(NeuropilError, ValueError):
    """Targets that do not fit the loss (index out of range, one-hot for a sparse loss, ...)."""


class InvalidValueError(NeuropilError, ValueError):
    """NaN or infinity where finite numbers are required."""


class NotReadyError(NeuropilError, RuntimeError):
    """The model or layer is used before it was built or compiled."""


class FileFormatError(NeuropilError, ValueError):
    """A model or data file is truncated, tampered with or not in the format it should have."""


class ChecksumError(FileFormatError):
    """A dataset file does not have the digest its publisher published."""


class DownloadError(NeuropilError, ConnectionError):
    """No URL could deliver a dataset file (offline, host down, file moved)."""


class DatasetNotFoundError(NeuropilError, FileNotFoundError):
    """A dataset file is neither in the given folder nor in the cache, and may not be fetched."""


class CacheError(NeuropilError, OSError):
    """The dataset cache folder cannot be written (read-only, full, or not a folder)."""


def unknown_name(kind, name, valid):
    """Build the error for an unregistered name, listing the valid ones."""
    return UnknownNameError(
        f"Unknown {kind} {name!r}. Valid names: {', '.join(sorted(valid))}. Received: {name!r}"
    )
