"""Convolution + max pooling as one op (neuropil/functional/conv_pool.py).

PyTorch parity (forward and backward, float32) over paddings x strides x dilations x pool sizes
on odd inputs, with and without bias and ReLU; central differences in float64; exact agreement
with conv2d followed by max_pool2d where windows tie (integer data), batch size 1, one input
channel to eight filters; dtypes, the first-layer shortcut and the errors.
"""

import numpy as np
import pytest

import neuropil as npl
import neuropil.functional as F
from neuropil.errors import ShapeError
from tests.functional.test_conv import TORCH_TOL, torch_conv2d
from tests.gradcheck import check_gradients, compare_with_torch

torch = pytest.importorskip("torch")

PADDINGS = ["valid", "same", 1, ((0, 1), (2, 0))]
STRIDES = [1, 2]
DILATIONS = [1, 2]
POOLS = [2, 3, (2, 3)]


def _x(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def _ours(strides, padding, dilation, pool, relu):
    return lambda x, k, b=None: F.conv2d_max_pool2d(x, k, b, strides, padding, dilation, pool, relu)


def _torch(strides, padding, dilation, pool, relu):
    def run(x, k, b=None):
        y = torch_conv2d(x, k, b, strides, padding, dilation).permute(0, 3, 1, 2)
        y = torch.nn.functional.max_pool2d(y, _pair(pool))  # stride = pool, floor mode
        y = torch.relu(y) if relu else y
        return y.permute(0, 2, 3, 1)

    return run


@pytest.mark.parametrize("pool", POOLS, ids=lambda p: f"p{p}".replace(" ", ""))
@pytest.mark.parametrize("dilation", DILATIONS, ids=lambda d: f"d{d}")
@pytest.mark.parametrize("strides", STRIDES, ids=lambda s: f"s{s}")
@pytest.mark.parametrize("padding", PADDINGS, ids=lambda p: str(p).replace(" ", ""))
def test_matches_torch_conv_then_pool(padding, strides, dilation, pool):
    x, k, b = _x((2, 9, 11, 3)), _x((3, 3, 3, 4), 1), _x(4, 2)
    conv_out = F.conv2d(npl.Tensor(x), npl.Tensor(k), None, strides, padding, dilation).shape
    if conv_out[1] < _pair(pool)[0] or conv_out[2] < _pair(pool)[1]:
        with pytest.raises(ShapeError, match="does not fit"):
            F.conv2d_max_pool2d(npl.Tensor(x), npl.Tensor(k), None, strides, padding, dilation,
                                pool)  # fmt: skip
        return
    for relu in (False, True):
        args = (strides, padding, dilation, pool, relu)
        compare_with_torch(_ours(*args), _torch(*args), x, k, b, **TORCH_TOL)


@pytest.mark.parametrize(
    "x_shape, k_shape, pool",
    [((1, 8, 8, 1), (3, 3, 1, 8), 2),  # batch 1, one channel to eight filters
     ((3, 7, 6, 2), (2, 2, 2, 3), (3, 2)),  # odd sizes: the last conv row is never pooled
     ((2, 6, 6, 4), (1, 1, 4, 2), 3)],
)  # fmt: skip
def test_matches_torch_odd_shapes_and_batch_one(x_shape, k_shape, pool):
    args = (1, "valid", 1, pool, True)
    compare_with_torch(_ours(*args), _torch(*args), _x(x_shape), _x(k_shape, 1),
                       _x(k_shape[3], 2), **TORCH_TOL)  # fmt: skip


@pytest.mark.parametrize(
    "strides, padding, dilation, pool, relu",
    [(1, "valid", 1, 2, True), (2, "same", 1, (2, 3), False), (1, 1, 2, 2, False),
     (1, "valid", 1, 3, True)],
)  # fmt: skip
def test_gradients_match_central_differences(strides, padding, dilation, pool, relu):
    x, k, b = _x((2, 7, 8, 2)), _x((3, 3, 2, 3), 1), _x(3, 2)
    check_gradients(_ours(strides, padding, dilation, pool, relu), x, k, b)


def test_gradients_without_bias():
    check_gradients(_ours(1, "valid", 1, 2, True), _x((1, 6, 6, 2)), _x((2, 2, 2, 3), 1))


def _run(fn, x, k, b, g):
    tensors = [npl.Tensor(a, requires_grad=True) for a in (x, k, b)]
    out = fn(*tensors)
    out.backward(g)
    return out.data, [t.grad for t in tensors]


@pytest.mark.parametrize("relu", [False, True])
def test_ties_route_like_conv_then_max_pool(relu):
    # small integers: many windows hold their maximum more than once (and zeros for relu); the
    # gradient must go to the first maximal cell, exactly as max_pool2d sends it
    rng = np.random.default_rng(3)
    x = rng.integers(-1, 2, (2, 9, 9, 2)).astype(np.float32)
    x[0, :5] = 0  # a blank region: every window ties
    k = rng.integers(-1, 2, (3, 3, 2, 4)).astype(np.float32)
    b = np.array([0.0, 1.0, -1.0, 0.5], dtype=np.float32)

    def composite(x, k, b):
        y = F.max_pool2d(F.conv2d(x, k, b), 2)
        return F.relu(y) if relu else y

    g = rng.standard_normal((2, 3, 3, 4)).astype(np.float32)
    fused = _run(lambda x, k, b: F.conv2d_max_pool2d(x, k, b, relu=relu), x, k, b, g)
    plain = _run(composite, x, k, b, g)
    np.testing.assert_array_equal(fused[0], plain[0])
    # a gradient routed to another tied cell would be off by whole units; summing the same
    # terms in another order is off by float32 rounding only
    for a, c in zip(fused[1], plain[1]):
        np.testing.assert_allclose(a, c, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_dtype_is_kept_forward_and_backward(dtype):
    x = npl.Tensor(_x((2, 6, 6, 1)), dtype=dtype, requires_grad=True)
    k = npl.Tensor(_x((3, 3, 1, 2), 1), dtype=dtype, requires_grad=True)
    b = npl.Tensor(_x(2, 2), dtype=dtype, requires_grad=True)
    y = F.conv2d_max_pool2d(x, k, b, relu=True)
    y.sum().backward()
    assert y.dtype == x.grad.dtype == k.grad.dtype == b.grad.dtype == np.dtype(dtype)


def test_input_without_grad_gets_none_and_kernel_still_learns():
    x = npl.Tensor(_x((2, 6, 6, 1)))
    k = npl.Tensor(_x((3, 3, 1, 2), 1), requires_grad=True)
    F.conv2d_max_pool2d(x, k, relu=True).sum().backward()
    assert x.grad is None and k.grad is not None and np.abs(k.grad).sum() > 0


def test_no_grad_records_nothing():
    k = npl.Tensor(_x((3, 3, 1, 2), 1), requires_grad=True)
    with npl.no_grad():
        y = F.conv2d_max_pool2d(npl.Tensor(_x((1, 6, 6, 1))), k)
    assert not y.requires_grad


def test_pool_larger_than_conv_output_names_both():
    x, k = npl.Tensor(np.zeros((1, 5, 5, 1))), npl.Tensor(np.zeros((3, 3, 1, 2)))
    with pytest.raises(ShapeError, match=r"pool \(4, 4\) does not fit the 3x3 convolution"):
        F.conv2d_max_pool2d(x, k, pool_size=4)


def test_kernel_errors_are_the_conv_errors_with_this_ops_name():
    x, k = npl.Tensor(np.zeros((1, 5, 5, 2))), npl.Tensor(np.zeros((3, 3, 1, 2)))
    with pytest.raises(ShapeError, match="conv2d_max_pool2d kernel expects 1 input channels"):
        F.conv2d_max_pool2d(x, k)
