"""Tests for neuropil/datasets/toy.py: the 2-D teaching sets."""

import numpy as np
import pytest

import neuropil as npl
from neuropil import datasets
from neuropil.errors import ConfigError

MAKERS = [datasets.circle, datasets.xor, datasets.gaussian, datasets.spiral, datasets.moons]


@pytest.mark.parametrize("make", MAKERS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("n", [2, 7, 200])
def test_shapes_dtypes_and_balance(make, n):
    x, y = make(n_samples=n, seed=0)
    assert x.shape == (n, 2) and x.dtype == np.float32
    assert y.shape == (n,) and y.dtype == np.int64
    counts = np.bincount(y, minlength=2)
    assert counts.max() - counts.min() <= 1
    assert np.isfinite(x).all()


@pytest.mark.parametrize("make", MAKERS, ids=lambda f: f.__name__)
def test_seed_gives_the_same_set_whatever_the_global_seed(make):
    npl.set_seed(1)
    x1, y1 = make(n_samples=50, noise=0.1, seed=3)
    npl.set_seed(2)
    x2, y2 = make(n_samples=50, noise=0.1, seed=3)
    np.testing.assert_array_equal(x1, x2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.array_equal(make(n_samples=50, noise=0.1, seed=4)[0], x1)


@pytest.mark.parametrize("make", MAKERS, ids=lambda f: f.__name__)
def test_without_seed_the_global_seed_decides(make):
    npl.set_seed(5)
    a = make(n_samples=40, noise=0.1)
    npl.set_seed(5)
    b = make(n_samples=40, noise=0.1)
    c = make(n_samples=40, noise=0.1)
    np.testing.assert_array_equal(a[0], b[0])
    assert not np.array_equal(b[0], c[0])


def test_noise_free_geometry():
    x, y = datasets.circle(400, noise=0.0, factor=0.3, seed=0)
    radius = np.hypot(x[:, 0], x[:, 1])
    np.testing.assert_allclose(radius[y == 0], 1.0, atol=1e-6)
    np.testing.assert_allclose(radius[y == 1], 0.3, atol=1e-6)

    x, y = datasets.xor(400, noise=0.0, seed=0)
    assert (((x[:, 0] > 0) != (x[:, 1] > 0)) == (y == 1)).all()
    assert np.abs(x).max() <= 1

    x, y = datasets.gaussian(10, noise=0.0, seed=0)
    assert (x[y == 0] == -1).all() and (x[y == 1] == 1).all()

    x, y = datasets.moons(400, noise=0.0, seed=0)
    np.testing.assert_allclose(np.hypot(*x[y == 0].T), 1.0, atol=1e-6)
    np.testing.assert_allclose(np.hypot(x[y == 1, 0] - 1, x[y == 1, 1] - 0.5), 1.0, atol=1e-6)
    assert (x[y == 0, 1] >= -1e-6).all() and (x[y == 1, 1] <= 0.5 + 1e-6).all()

    x, y = datasets.spiral(300, noise=0.0, classes=3, seed=0)
    assert set(y.tolist()) == {0, 1, 2} and np.hypot(*x.T).max() <= 1 + 1e-6


def test_noise_is_the_jitter_std():
    clean, y = datasets.gaussian(20000, noise=0.0, seed=0)
    noisy, y2 = datasets.gaussian(20000, noise=0.3, seed=0)
    assert abs(noisy[y2 == 1].std() - 0.3) < 0.01
    assert clean.std() > 0.99  # the centres alone


def test_shuffled_so_validation_split_sees_both_classes():
    _, y = datasets.moons(100, seed=0)
    assert set(y[-33:].tolist()) == {0, 1}


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: datasets.moons(n_samples=1), "n_samples"),
        (lambda: datasets.moons(n_samples=10.5), "n_samples"),
        (lambda: datasets.xor(noise=-0.1), "noise"),
        (lambda: datasets.circle(noise=float("nan")), "noise"),
        (lambda: datasets.circle(factor=1.0), "factor"),
        (lambda: datasets.spiral(classes=1), "classes"),
        (lambda: datasets.spiral(n_samples=2, classes=3), "n_samples"),
        (lambda: datasets.spiral(turns=0), "turns"),
    ],
)
def test_bad_arguments(call, match):
    with pytest.raises(ConfigError, match=match) as info:
        call()
    assert "Received: " in str(info.value)
