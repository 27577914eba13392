"""Tests for neuropil/datasets/digits.py: scikit-learn's bundled 8x8 digits."""

import builtins

import numpy as np
import pytest

from neuropil import datasets
from neuropil.errors import ConfigError


def test_digits_shapes_and_scale():
    sklearn_datasets = pytest.importorskip("sklearn.datasets")
    (x_train, y_train), (x_test, y_test) = datasets.digits()
    assert x_train.shape == (1438, 8, 8) and x_test.shape == (359, 8, 8)
    assert y_train.shape == (1438,) and y_test.shape == (359,)
    assert {a.dtype for a in (x_train, y_train, x_test, y_test)} == {np.dtype(np.uint8)}
    assert x_train.max() == 255 and x_train.min() == 0
    # the 0-16 intensities come back exactly, and every image is one of scikit-learn's
    original = sklearn_datasets.load_digits()
    back = np.rint(np.concatenate([x_train, x_test]).astype(np.float64) * 16 / 255)
    assert sorted(map(bytes, back.astype(np.uint8))) == sorted(
        map(bytes, original.images.astype(np.uint8))
    )
    assert (
        np.bincount(np.concatenate([y_train, y_test])).tolist()
        == np.bincount(original.target).tolist()
    )


def test_digits_split_is_seeded():
    pytest.importorskip("sklearn")
    a, b, c = datasets.digits(seed=0), datasets.digits(seed=0), datasets.digits(seed=1)
    np.testing.assert_array_equal(a[0][0], b[0][0])
    assert not np.array_equal(a[0][0], c[0][0])
    assert len(datasets.digits(test_fraction=0.5)[1][0]) == 898  # round(898.5), to even


def test_digits_bad_fraction():
    with pytest.raises(ConfigError, match="Received: test_fraction=1.5"):
        datasets.digits(test_fraction=1.5)


def test_digits_without_scikit_learn_names_the_extra(monkeypatch):
    real_import = builtins.__import__

    def no_sklearn(name, *args, **kwargs):
        if name.startswith("sklearn"):
            raise ImportError("No module named 'sklearn'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_sklearn)
    with pytest.raises(ImportError, match=r"neuropil\[data\]"):
        datasets.digits()
