"""MNIST handwritten digits from the publisher's four IDX files in a local folder.

Returns ``(x_train, y_train), (x_test, y_test)`` as ``keras.datasets.mnist.load_data`` does:
uint8 images of shape (n, 28, 28) and uint8 labels.

>>> from neuropil.datasets import load_mnist   # load_mnist("path/to/mnist") reads the 4 files
"""

import os

from neuropil.datasets.idx import read_idx

FILES = {
    "x_train": "train-images-idx3-ubyte.gz",
    "y_train": "train-labels-idx1-ubyte.gz",
    "x_test": "t10k-images-idx3-ubyte.gz",
    "y_test": "t10k-labels-idx1-ubyte.gz",
}


def load_mnist(folder):
    """Read MNIST from ``folder`` holding the four ``*-ubyte.gz`` files."""
    missing = [name for name in FILES.values() if not os.path.exists(os.path.join(folder, name))]
    if missing:
        raise FileNotFoundError(f"MNIST files missing in '{folder}': {', '.join(missing)}")
    arrays = {key: read_idx(os.path.join(folder, name)) for key, name in FILES.items()}
    return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])
