"""Datasets for the course: real image sets, the bank-churn table and 2-D toy sets.

Real image loaders return NumPy arrays as ``keras.datasets`` does,
``(x_train, y_train), (x_test, y_test)`` with uint8 images:

- ``mnist()``, ``fashion_mnist()`` (28x28 grayscale) and ``cifar10()`` (32x32x3) read the
  publishers' own files from ``path=`` or from the cache (``$NEUROPIL_DATA``, else
  ``~/.cache/neuropil``), downloading them when missing with a SHA-256 check and a progress bar;
- ``embedded_mnist()`` reads the 10,000-image MNIST test split shipped inside neuropil
  (offline, no extra needed; 8,000 train / 2,000 test by default);
- ``digits()`` is scikit-learn's bundled 8x8 digits (the ``data`` extra).

``churn()`` gives the bank-churn table as a pandas DataFrame and ``churn_preprocess`` prepares it
as the notes do. ``circle``, ``xor``, ``gaussian``, ``spiral`` and ``moons`` make 2-D teaching
sets. ``neuropil.datasets.mnist`` and ``.churn`` are the loader functions; their modules stay
importable as ``from neuropil.datasets.mnist import load_mnist``.

>>> from neuropil import datasets
>>> (x_train, y_train), (x_test, y_test) = datasets.embedded_mnist()
>>> x_train.shape, x_test.shape
((8000, 28, 28), (2000, 28, 28))
>>> x, y = datasets.xor(n_samples=8, seed=0); x.shape, y.dtype
((8, 2), dtype('int64'))
"""

from neuropil.datasets.churn import churn, churn_preprocess, load_churn
from neuropil.datasets.cifar import CIFAR10_CLASSES, cifar10
from neuropil.datasets.digits import digits
from neuropil.datasets.download import (
    CacheError,
    ChecksumError,
    DatasetNotFoundError,
    DownloadError,
    cache_root,
)
from neuropil.datasets.embedded import embedded_mnist
from neuropil.datasets.idx import parse_idx, read_idx
from neuropil.datasets.mnist import FASHION_MNIST_CLASSES, fashion_mnist, load_mnist, mnist
from neuropil.datasets.toy import circle, gaussian, moons, spiral, xor

__all__ = [
    "mnist", "fashion_mnist", "cifar10", "embedded_mnist", "digits", "churn", "churn_preprocess",
    "load_churn", "load_mnist", "read_idx", "parse_idx", "circle", "xor", "gaussian", "spiral",
    "moons", "cache_root", "CacheError", "ChecksumError", "DownloadError", "DatasetNotFoundError",
    "CIFAR10_CLASSES", "FASHION_MNIST_CLASSES",
]  # fmt: skip
