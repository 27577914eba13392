"""CIFAR-10 from the publisher's ``cifar-10-python.tar.gz``, read without executing any code.

The archive holds six Python pickles (``data_batch_1`` ... ``data_batch_5``, ``test_batch``),
each a dict with ``b"data"`` (a 10000x3072 uint8 array, channel-major rows) and ``b"labels"``.
Plain ``pickle.load`` would run whatever a tampered file asks for, so the batches are read with
``SafeUnpickler``: it rebuilds dicts, lists, bytes and NumPy arrays and refuses every other
global. The batches are read straight from the archive (nothing is extracted to disk).

>>> import io, pickle
>>> payload = pickle.dumps({b"labels": [3, 1]}, protocol=3)
>>> SafeUnpickler(io.BytesIO(payload), encoding="bytes").load()
{b'labels': [3, 1]}
>>> class Evil:
...     def __reduce__(self):
...         return (print, ("pwned",))
>>> SafeUnpickler(io.BytesIO(pickle.dumps(Evil()))).load()  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
neuropil.errors.FileFormatError: The pickle refers to 'builtins.print', ... Received: builtins.print
"""

import io
import pathlib
import pickle
import tarfile

import numpy as np

from neuropil.datasets.download import DatasetNotFoundError, locate, verify
from neuropil.errors import FileFormatError

__all__ = ["cifar10", "SafeUnpickler", "CIFAR10_CLASSES"]

ARCHIVE = "cifar-10-python.tar.gz"
FOLDER = "cifar-10-batches-py"
# SHA-256: the file_hash in Keras' keras/datasets/cifar10.py (170,498,071 bytes); its MD5,
# c58f30108f718f92721af3b95e74349a, is the one on the publisher's page and in torchvision.
CIFAR10_FILES = {ARCHIVE: "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"}
CIFAR10_URLS = ("https://www.cs.toronto.edu/~kriz/",)  # Alex Krizhevsky's page, U. of Toronto
TRAIN_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6))
TEST_BATCH = "test_batch"
CIFAR10_CLASSES = (
    "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck",
)  # fmt: skip


def _numpy_globals():
    try:
        from numpy._core import multiarray  # NumPy >= 2
    except ImportError:  # pragma: no cover - NumPy 1.x
        from numpy.core import multiarray
    allowed = {("numpy", "ndarray"): np.ndarray, ("numpy", "dtype"): np.dtype}
    for module in ("numpy.core.multiarray", "numpy._core.multiarray"):
        allowed[(module, "_reconstruct")] = multiarray._reconstruct
    return allowed


class SafeUnpickler(pickle.Unpickler):
    """An unpickler that only rebuilds NumPy arrays besides the built-in containers.

    ``find_class`` is the only door through which a pickle reaches code; it opens for
    ``numpy.ndarray``, ``numpy.dtype`` and the array-reconstruction helper
    ``numpy[._]core.multiarray._reconstruct``, and raises ``FileFormatError`` for anything else.
    """

    _ALLOWED = _numpy_globals()

    def find_class(self, module, name):
        found = self._ALLOWED.get((module, name))
        if found is None:
            raise FileFormatError(
                f"The pickle refers to '{module}.{name}', which a dataset file never needs; "
                f"refusing to load it (tampered or not a CIFAR batch). Received: {module}.{name}"
            )
        return found


def load_batch(raw, name="CIFAR batch"):
    """(images (n, 32, 32, 3) uint8, labels (n,) uint8) from the bytes of one python batch."""
    try:
        batch = SafeUnpickler(io.BytesIO(raw), encoding="bytes").load()
    except FileFormatError:
        raise
    except Exception as exc:  # truncated or garbled pickles raise many kinds of error
        raise FileFormatError(f"{name} is not a readable CIFAR batch. Received: {exc!r}") from None
    if not isinstance(batch, dict):
        raise FileFormatError(f"{name} should hold a dict. Received: {type(batch).__name__}")
    data, labels = batch.get(b"data", batch.get("data")), batch.get(b"labels", batch.get("labels"))
    if not isinstance(data, np.ndarray) or labels is None:
        raise FileFormatError(
            f"{name} should hold 'data' (an array) and 'labels'. Received keys: {sorted(batch)}"
        )
    labels = np.asarray(labels)
    if data.ndim != 2 or data.shape[1] != 3072 or labels.shape != (len(data),):
        raise FileFormatError(
            f"{name} should hold data of shape (n, 3072) and n labels. "
            f"Received: data {data.shape}, labels {labels.shape}"
        )
    for what, values, top in (("pixels", data, 255), ("labels", labels, 9)):
        # uint8 would wrap 300 to 44 without a word; an extracted batch has no checksum
        low, high = (values.min(), values.max()) if values.size else (0, 0)
        if values.dtype.kind not in "iu" or not 0 <= low <= high <= top:
            raise FileFormatError(
                f"{name} should hold {what} that are integers from 0 to {top}. Received: dtype "
                f"{values.dtype}, values from {low} to {high}"
            )
    images = data.astype(np.uint8, copy=False).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    return np.ascontiguousarray(images), labels.astype(np.uint8)


def _batches_from_archive(archive):
    wanted = {f"{FOLDER}/{name}": name for name in (*TRAIN_BATCHES, TEST_BATCH)}
    found = {}
    try:
        with tarfile.open(archive, "r:gz") as tar:
            for member in tar:
                if member.name in wanted and member.isfile():
                    found[wanted[member.name]] = tar.extractfile(member).read()
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise FileFormatError(f"Cannot read the archive '{archive}'. Received: {exc}") from None
    missing = [name for name in wanted.values() if name not in found]
    if missing:
        raise FileFormatError(
            f"The archive '{archive}' lacks {[f'{FOLDER}/{m}' for m in missing]}. "
            f"Received members: {len(found)} of 6 batches"
        )
    return found


def _batches_from_folder(folder):
    raw = {}
    for name in (*TRAIN_BATCHES, TEST_BATCH):
        raw[name] = (folder / name).read_bytes()
    return raw


def _resolve_local(path):
    """Batches from ``path``: the extracted folder (or its parent), the archive (or its folder)."""
    path = pathlib.Path(path).expanduser()
    for folder in (path, path / FOLDER):
        if all((folder / name).is_file() for name in (*TRAIN_BATCHES, TEST_BATCH)):
            return _batches_from_folder(folder)  # extracted: no published digests to check
    archive = path if path.is_file() else path / ARCHIVE
    if archive.is_file():
        verify(archive, CIFAR10_FILES[ARCHIVE])
        return _batches_from_archive(archive)
    raise DatasetNotFoundError(
        f"No CIFAR-10 files in '{path}': expected '{ARCHIVE}' or the extracted '{FOLDER}' folder "
        f"(data_batch_1..5, test_batch). Received: path='{path}'"
    )


def cifar10(path=None, download=True, base_url=None):
    """CIFAR-10 (Krizhevsky, Nair, Hinton): 50,000 train and 10,000 test 32x32 colour images.

    Args:
        path: a folder holding ``cifar-10-python.tar.gz`` or its extracted
            ``cifar-10-batches-py`` folder (or the archive itself); default: the cache
            (``$NEUROPIL_DATA/cifar10/``), where the 170 MB archive is downloaded when missing.
        download: fetch the archive into the cache when missing.
        base_url: a mirror of the cache layout, ``<base_url>/cifar10/cifar-10-python.tar.gz``.

    Returns:
        ``(x_train, y_train), (x_test, y_test)`` as Keras returns them: uint8 images, channels
        last, (50000, 32, 32, 3) and (10000, 32, 32, 3); uint8 labels of shape (n, 1), 0-9
        (``CIFAR10_CLASSES[i]`` names label ``i``).
    """
    if path is not None:
        raw = _resolve_local(path)
    else:
        (archive,) = locate("cifar10", CIFAR10_FILES, CIFAR10_URLS, None, download, base_url)
        raw = _batches_from_archive(archive)
    train = [load_batch(raw[name], name) for name in TRAIN_BATCHES]
    x_test, y_test = load_batch(raw[TEST_BATCH], TEST_BATCH)
    x_train = np.concatenate([x for x, _ in train])
    y_train = np.concatenate([y for _, y in train])
    return (x_train, y_train.reshape(-1, 1)), (x_test, y_test.reshape(-1, 1))
