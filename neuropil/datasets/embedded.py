"""A real dataset that ships inside the package: the 10,000-image MNIST test split.

Why this sample and not scikit-learn's digits: it is the real 28x28 MNIST the notes and Keras
examples use (same shapes, dtype and preprocessing as ``mnist()``, so a model trained on it
carries over), it needs only NumPy, and 1.7 MB is small for a wheel. scikit-learn's 8x8 digits
are available too, through ``digits()`` and the ``data`` extra.

The files are the publisher's own (see ``data/SOURCE.md`` for provenance and the
CC BY-SA 3.0 licence) and are checked against their published SHA-256 on every load.

>>> (x_train, y_train), (x_test, y_test) = embedded_mnist()
>>> x_train.shape, y_train.shape, x_test.shape, y_test.shape, x_train.dtype
((8000, 28, 28), (8000,), (2000, 28, 28), (2000,), dtype('uint8'))
>>> [len(part[0]) for part in embedded_mnist(test_fraction=0.5)]
[5000, 5000]
"""

import importlib.resources

from neuropil.datasets.download import sha256_of_bytes
from neuropil.datasets.idx import parse_idx
from neuropil.errors import ConfigError, FileFormatError

__all__ = ["embedded_mnist", "EMBEDDED_FILES"]

# The official MNIST test files (same digests as in mnist.MNIST_FILES).
EMBEDDED_FILES = {
    "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}  # fmt: skip
N_IMAGES = 10_000


def embedded_file(name):
    """The ``importlib.resources`` handle of a file in ``neuropil/datasets/data/``."""
    return importlib.resources.files("neuropil.datasets").joinpath("data").joinpath(name)


def _read(name):
    import gzip

    resource = embedded_file(name)
    try:
        compressed = resource.read_bytes()
    except FileNotFoundError:
        raise FileFormatError(
            f"The embedded MNIST file '{name}' is missing from the installed package (a broken "
            f"install; reinstall neuropil). Received: no file at {resource}"
        ) from None
    received = sha256_of_bytes(compressed)
    if received != EMBEDDED_FILES[name]:
        raise FileFormatError(
            f"The embedded MNIST file '{name}' is damaged (reinstall neuropil). "
            f"Expected SHA-256: {EMBEDDED_FILES[name]}. Received: {received}"
        )
    return parse_idx(gzip.decompress(compressed), f"embedded '{name}'")


def embedded_mnist(test_fraction=0.2):
    """The MNIST test split bundled with neuropil, cut into a fixed train and test part.

    The 10,000 images keep the publisher's order (no shuffling): the first
    ``round(10000 * (1 - test_fraction))`` are for training, the rest for testing, i.e. 8,000
    and 2,000 by default. Works offline; nothing is downloaded.

    Returns:
        ``(x_train, y_train), (x_test, y_test)`` like ``mnist()``: uint8 images (n, 28, 28),
        pixels 0-255, and uint8 labels (n,), 0-9.
    """
    if isinstance(test_fraction, bool) or not 0 < test_fraction < 1:
        raise ConfigError(
            "embedded_mnist's test_fraction must be a number strictly between 0 and 1. "
            f"Received: test_fraction={test_fraction!r}"
        )
    n_train = round(N_IMAGES * (1 - test_fraction))
    if not 0 < n_train < N_IMAGES:
        raise ConfigError(
            "embedded_mnist's test_fraction leaves one part of the 10,000 images empty. "
            f"Received: test_fraction={test_fraction!r}"
        )
    images = _read("t10k-images-idx3-ubyte.gz")
    labels = _read("t10k-labels-idx1-ubyte.gz")
    return (images[:n_train], labels[:n_train]), (images[n_train:], labels[n_train:])
