"""MNIST and Fashion-MNIST from the publishers' four IDX gzip files.

``mnist()`` and ``fashion_mnist()`` return ``(x_train, y_train), (x_test, y_test)`` as
``keras.datasets.mnist.load_data`` does: uint8 images of shape (n, 28, 28) and uint8 labels of
shape (n,). The files come from ``path`` (a folder holding them), else the cache
(``$NEUROPIL_DATA/mnist/``, ``~/.cache/neuropil/mnist/``), downloaded and SHA-256-verified when
missing (see ``neuropil.datasets.download``). ``load_mnist(folder)`` reads the four files from a
folder without checking digests.

>>> from neuropil.datasets import mnist, fashion_mnist
>>> sorted(MNIST_FILES) == sorted(FASHION_MNIST_FILES) == sorted(FILES.values())
True
>>> # (x_train, y_train), (x_test, y_test) = mnist()   # downloads ~11 MB on first use
"""

import os

from neuropil.datasets.download import DatasetNotFoundError, locate
from neuropil.datasets.idx import read_idx

__all__ = ["mnist", "fashion_mnist", "load_mnist", "FILES"]

FILES = {
    "x_train": "train-images-idx3-ubyte.gz",
    "y_train": "train-labels-idx1-ubyte.gz",
    "x_test": "t10k-images-idx3-ubyte.gz",
    "y_test": "t10k-labels-idx1-ubyte.gz",
}

# SHA-256 of the official files: TensorFlow Datasets' url_checksums/mnist.txt; they also match
# the MD5s torchvision publishes (f68b3c2d..., d53e105e..., 9fb629c4..., ec29112d...).
MNIST_FILES = dict(
    zip(
        FILES.values(),
        (
            "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
            "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
            "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
            "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
        ),
    )
)  # x_train, y_train, x_test, y_test files, in that order
MNIST_URLS = (
    "https://storage.googleapis.com/cvdf-datasets/mnist/",  # the mirror Keras and TFDS use
    "https://ossci-datasets.s3.amazonaws.com/mnist/",  # torchvision's mirror
    "http://yann.lecun.com/exdb/mnist/",  # the canonical host (often refuses robots today)
)

# SHA-256 and sizes: TensorFlow Datasets' url_checksums/fashion_mnist.txt. The MD5s of the same
# files, listed in the publisher's README and torchvision, are 8d4fb7e6..., 25c81989...,
# bef4ecab..., bb300cfd... .
FASHION_MNIST_FILES = dict(
    zip(
        FILES.values(),
        (
            "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
            "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
            "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
            "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
        ),
    )
)  # x_train, y_train, x_test, y_test files, in that order
FASHION_MNIST_URLS = (
    "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",  # Zalando Research's host
    "https://github.com/zalandoresearch/fashion-mnist/raw/master/data/fashion/",
    "https://storage.googleapis.com/tensorflow/tf-keras-datasets/",  # the mirror Keras uses
)

FASHION_MNIST_CLASSES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)  # fmt: skip


def _read(paths):
    by_name = {p.name: p for p in paths}
    arrays = {key: read_idx(by_name[name]) for key, name in FILES.items()}
    return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])


def mnist(path=None, download=True, base_url=None):
    """MNIST handwritten digits (LeCun, Cortes, Burges): 60,000 train and 10,000 test images.

    Args:
        path: a folder holding the four publisher's ``*-ubyte.gz`` files; default: the cache.
        download: fetch missing files into the cache (never into ``path``).
        base_url: a mirror of the cache layout, ``<base_url>/mnist/<file>`` (default:
            ``$NEUROPIL_DATA_URL``, else the publishers' hosts).

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: uint8 arrays of shapes (60000, 28, 28),
        (60000,), (10000, 28, 28), (10000,); pixels 0-255, labels 0-9.
    """
    paths = locate("mnist", MNIST_FILES, MNIST_URLS, path, download, base_url)
    return _read(paths)


def fashion_mnist(path=None, download=True, base_url=None):
    """Fashion-MNIST (Xiao, Rasul, Vollgraf; Zalando Research, MIT licence): 28x28 clothing images.

    Same arguments, shapes and dtypes as ``mnist``; the cache folder is ``fashion_mnist``.
    Label ``i`` names ``FASHION_MNIST_CLASSES[i]`` ("T-shirt/top", "Trouser", ...).
    """
    urls = FASHION_MNIST_URLS
    return _read(locate("fashion_mnist", FASHION_MNIST_FILES, urls, path, download, base_url))


def load_mnist(folder):
    """Read MNIST from ``folder`` holding the four ``*-ubyte.gz`` files (digests not checked)."""
    missing = [name for name in FILES.values() if not os.path.exists(os.path.join(folder, name))]
    if missing:
        raise DatasetNotFoundError(
            f"MNIST files missing in '{folder}': {', '.join(missing)}. Received: folder='{folder}'"
        )
    arrays = {key: read_idx(os.path.join(folder, name)) for key, name in FILES.items()}
    return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])
