"""scikit-learn's bundled 8x8 handwritten digits (1,797 images), shaped like the image loaders.

The images come with scikit-learn (the ``data`` extra), so this works offline. They are
returned as uint8 images with pixels 0-255 like ``mnist()``: scikit-learn's 0-16 intensities
are scaled by 255/16 and rounded, a one-to-one map (``np.rint(x / 255 * 16)`` gives them back).

>>> (x_train, y_train), (x_test, y_test) = digits()
>>> x_train.shape, x_test.shape, x_train.dtype, int(x_train.max())
((1438, 8, 8), (359, 8, 8), dtype('uint8'), 255)
"""

import numpy as np

from neuropil.errors import ConfigError

__all__ = ["digits"]


def digits(test_fraction=0.2, seed=0):
    """The UCI optical-recognition digits as bundled with scikit-learn, split in train and test.

    The 1,797 images are shuffled with ``numpy.random.default_rng(seed)`` (independent of
    ``neuropil.set_seed``), then the last ``round(1797 * test_fraction)`` form the test set.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: uint8 images (n, 8, 8), pixels 0-255, and
        uint8 labels (n,), 0-9.
    """
    if isinstance(test_fraction, bool) or not 0 < test_fraction < 1:
        raise ConfigError(
            "digits' test_fraction must be a number strictly between 0 and 1. "
            f"Received: test_fraction={test_fraction!r}"
        )
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise ImportError(
            "digits() reads the copy bundled with scikit-learn: pip install 'neuropil[data]'"
        ) from None
    bunch = load_digits()
    images = np.rint(bunch.images * (255.0 / 16.0)).astype(np.uint8)
    labels = bunch.target.astype(np.uint8)
    order = np.random.default_rng(seed).permutation(len(images))
    n_test = round(len(images) * test_fraction)
    train, test = order[: len(order) - n_test], order[len(order) - n_test :]
    return (images[train], labels[train]), (images[test], labels[test])
