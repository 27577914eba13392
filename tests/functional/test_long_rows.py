"""relu_values and add_bias give exactly what the plain NumPy expressions give."""

import numpy as np
import pytest

from neuropil.functional import long_rows as L

# sizes below, at and above the thresholds, with and without a tail after the last full row
SHAPES = [
    (7, 3),
    (16, 1024),
    (16, 1024 + 5),
    (5408, 32),
    (5409, 32),
    (3203, 64),
    (70000, 3),
    (129, 700),
    (2, 5, 5, 64),
]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_relu_values_matches_maximum(shape, dtype):
    a = np.random.default_rng(0).normal(size=shape).astype(dtype)
    a.reshape(-1)[::97] = np.nan
    expected = np.maximum(a, 0)
    got = L.relu_values(a)
    assert got.dtype == dtype and got.shape == shape
    np.testing.assert_array_equal(got, expected)  # NaN where NaN
    in_place = a.copy()
    assert L.relu_values(in_place, out=in_place) is in_place
    np.testing.assert_array_equal(in_place, expected)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_add_bias_matches_broadcast_add(shape, dtype):
    rng = np.random.default_rng(1)
    a = rng.normal(size=shape).astype(dtype)
    bias = rng.normal(size=shape[-1]).astype(dtype)
    bias[0] = np.nan
    expected = a + bias
    got = L.add_bias(a, bias)
    assert got is not a and got.dtype == dtype
    np.testing.assert_array_equal(got, expected)
    in_place = a.copy()
    assert L.add_bias(in_place, bias, out=in_place) is in_place
    np.testing.assert_array_equal(in_place, expected)


def test_long_row_paths_run_on_small_arrays(monkeypatch):
    # low thresholds: ReLU always takes the long-row path, one-column biases too (with tails)
    monkeypatch.setattr(L, "_RELU_MIN", 1)
    monkeypatch.setattr(L, "_BIAS_MIN", 1)
    monkeypatch.setattr(L, "_WIDTH", 8)
    rng = np.random.default_rng(2)
    for shape in [(3, 1), (5, 1), (9, 1), (4, 3), (7, 5)]:
        a = rng.normal(size=shape).astype(np.float32)
        bias = rng.normal(size=shape[-1]).astype(np.float32)
        np.testing.assert_array_equal(L.relu_values(a), np.maximum(a, 0))
        np.testing.assert_array_equal(L.add_bias(a, bias), a + bias)


def test_views_and_other_dtypes_take_the_plain_call():
    rng = np.random.default_rng(3)
    big = rng.normal(size=(300, 400)).astype(np.float32)
    view = big[:, ::2]  # not contiguous
    np.testing.assert_array_equal(L.relu_values(view), np.maximum(view, 0))
    np.testing.assert_array_equal(L.add_bias(view, big[0, :200]), view + big[0, :200])
    ints = np.arange(-20000, 20000).reshape(200, 200)
    np.testing.assert_array_equal(L.relu_values(ints), np.maximum(ints, 0))
    mixed = L.add_bias(big, np.ones(400))  # float32 + float64 promotes, as NumPy does
    assert mixed.dtype == np.float64
    np.testing.assert_array_equal(mixed, big + np.ones(400))
