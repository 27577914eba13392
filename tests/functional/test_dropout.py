import numpy as np
import pytest

import neuropil as npl
import neuropil.functional as F
from neuropil.errors import ConfigError, ShapeError
from tests.gradcheck import check_gradients


def test_identity_at_inference_and_rate_zero():
    x = npl.Tensor(np.random.default_rng(0).standard_normal((3, 4)), requires_grad=True)
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x
    assert F.dropout(x, 0, training=True) is x


def test_kept_units_are_scaled_exactly():
    x = np.random.default_rng(0).standard_normal((50, 40)).astype(np.float32)
    for rate in (0.1, 0.25, 0.5, 0.9):
        y = F.dropout(npl.Tensor(x), rate).data
        kept = y != 0
        assert 0 < kept.sum() < x.size
        np.testing.assert_array_equal(y[kept], x[kept] * np.float32(1 / (1 - rate)))


def test_mean_and_keep_fraction_preserved_statistically():
    n, rate = 200_000, 0.3
    y = F.dropout(npl.Tensor(np.ones(n)), rate).data
    # standard errors: keep fraction ~0.001, mean ~0.0015; allow about 7 of them
    assert abs((y != 0).mean() - (1 - rate)) < 0.007
    assert abs(y.mean() - 1.0) < 0.01


def test_mask_compares_32_raw_bits_of_backend_rng_with_rate():
    with npl.backend.using_rng(np.random.default_rng(99)):
        y = F.dropout(npl.Tensor(np.ones((4, 5))), 0.4).data
    bits = np.random.default_rng(99).bit_generator.random_raw(10).view(np.uint32)
    expected = (bits >= round(0.4 * 2**32)).reshape(4, 5) * np.float32(1 / 0.6)
    np.testing.assert_array_equal(y, expected)


def test_mask_reproducible_with_set_seed():
    x = npl.Tensor(np.ones((8, 16)))
    npl.set_seed(7)
    a = F.dropout(x, 0.5).data
    b = F.dropout(x, 0.5).data
    npl.set_seed(7)
    c = F.dropout(x, 0.5).data
    np.testing.assert_array_equal(a, c)
    assert not np.array_equal(a, b)  # the generator advances between calls


def test_gradient_equals_mask():
    x = npl.Tensor(np.random.default_rng(1).uniform(0.5, 2.0, (6, 7)), requires_grad=True)
    y = F.dropout(x, 0.4)
    mask = y.data / x.data
    dropped = mask == 0
    assert 0 < dropped.sum() < mask.size
    np.testing.assert_allclose(mask[~dropped], 1 / 0.6, rtol=1e-6)
    upstream = np.random.default_rng(2).standard_normal(y.shape).astype(np.float32)
    y.backward(upstream)
    np.testing.assert_allclose(x.grad, upstream * mask, rtol=1e-6)


def test_gradient_matches_central_differences():
    def fn(t):
        npl.set_seed(3)  # the same mask on every call
        return F.dropout(t, 0.35)

    check_gradients(fn, np.random.default_rng(0).standard_normal((5, 4)))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_dtype_is_kept(dtype):
    x = npl.Tensor(np.ones((3, 4)), dtype=dtype, requires_grad=True)
    y = F.dropout(x, 0.5)
    assert y.dtype == np.dtype(dtype)
    y.backward(np.ones((3, 4), dtype=dtype))
    assert x.grad.dtype == np.dtype(dtype)


def test_noise_shape_shares_the_mask():
    x = npl.Tensor(np.ones((64, 2, 2, 3)))
    y = F.dropout(x, 0.5, noise_shape=(None, 1, 1, 3)).data
    # one decision per (sample, channel), repeated over the spatial axes
    np.testing.assert_array_equal(y, np.broadcast_to(y[:, :1, :1, :], y.shape))
    assert 0 < (y == 0).mean() < 1


def test_bad_noise_shape_raises():
    x = npl.Tensor(np.ones((4, 3)))
    for shape in [(4,), (4, 2), (4, 3, 1), (4, 1.5)]:
        with pytest.raises(ShapeError, match="noise_shape.*Received"):
            F.dropout(x, 0.5, noise_shape=shape)


@pytest.mark.parametrize("rate", [-0.1, 1.0, 1.5, float("nan"), "0.5", None, True])
def test_bad_rate_raises(rate):
    with pytest.raises(ConfigError, match=r"dropout expects rate .*\[0, 1\)\. Received"):
        F.dropout(npl.Tensor([1.0]), rate)
    with pytest.raises(ConfigError):  # checked at inference too
        F.dropout(npl.Tensor([1.0]), rate, training=False)


def test_training_without_tape_still_drops():
    with npl.no_grad():
        y = F.dropout(npl.Tensor(np.ones(1000), requires_grad=True), 0.5)
    assert not y.requires_grad
    assert 0 < (y.data == 0).sum() < 1000


def test_odd_sizes_and_rates_next_to_one():
    # an odd count uses half of the last 64-bit draw; a rate within 2**-33 of 1 must not
    # overflow the 32-bit threshold
    y = F.dropout(npl.Tensor(np.ones(7, dtype=np.float32)), 0.5).data
    assert y.shape == (7,) and set(np.unique(y)) <= {0.0, 2.0}
    with npl.backend.using_rng(np.random.default_rng(0)):
        y = F.dropout(npl.Tensor(np.ones(1001)), 1 - 2.0**-40).data
    assert (y == 0).all()


def test_32_bit_generators_and_numpy_rates_keep_the_right_fraction():
    # MT19937's raw draws hold 32 bits each: half of every 64-bit word is zero
    with npl.backend.using_rng(np.random.Generator(np.random.MT19937(0))):
        y = F.dropout(npl.Tensor(np.ones(100_000)), 0.5).data
    assert abs((y != 0).mean() - 0.5) < 0.01
    y = F.dropout(npl.Tensor(np.ones(100_000)), np.float16(0.25)).data
    assert abs((y != 0).mean() - 0.75) < 0.01
