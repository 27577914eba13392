"""Pooling ops (neuropil/functional/pooling.py): max, avg and min pooling with "valid" and "same"
padding, global pooling and zero padding — central differences in float64 and PyTorch parity
(forward and backward) in float32, plus geometry, ties, dtypes and errors.

PyTorch works on NCHW, so the references permute. PyTorch has no "same" padding for pooling with
asymmetric pads, so the references pad explicitly (with -inf for max, +inf for min; for average,
a sum pool over the zero-padded input divided by the pooled count of real cells) and then pool
with no padding and ``ceil_mode=False``; every reference asserts its output size so that a torch
rounding rule can not silently change the case.
"""

import math

import numpy as np
import pytest

import neuropil as npl
import neuropil.functional as F
from neuropil.errors import ConfigError, ShapeError
from tests.gradcheck import check_gradients, compare_with_torch

torch = pytest.importorskip("torch")
TF = torch.nn.functional

TORCH_TOL = {"atol": 1e-5, "rtol": 1e-5}
OPS = {"max": F.max_pool2d, "avg": F.avg_pool2d, "min": F.min_pool2d}
POOLS = [2, 3, (2, 3)]
STRIDES = [1, 2, 3, None, (2, 1)]  # None: the pool size (Keras's default)
PADDINGS = ["valid", "same"]
# odd sizes (valid pooling drops the last row/column), batch 1, channels 1 and 5, and an input
# that 2x2 and 3x3 pools tile exactly (the backward's no-zero-fill path)
SHAPES = [(1, 7, 5, 5), (3, 7, 5, 1), (2, 6, 6, 3)]


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def _expected_length(n, p, s, padding):
    """The spec, written out independently of the library."""
    return math.ceil(n / s) if padding == "same" else math.floor((n - p) / s) + 1


def _same_pads(n, p, s):
    total = max((math.ceil(n / s) - 1) * s + p - n, 0)
    return total // 2, total - total // 2


def torch_pool(kind, pool_size, strides, padding, shape):
    """A PyTorch reference taking and returning NHWC tensors."""
    pool = _pair(pool_size)
    stride = pool if strides is None else _pair(strides)
    _, h, w, _ = shape
    expected = tuple(_expected_length(n, p, s, padding) for n, p, s in zip((h, w), pool, stride))
    if padding == "same":
        (top, bottom), (left, right) = (
            _same_pads(h, pool[0], stride[0]),
            _same_pads(w, pool[1], stride[1]),
        )
    else:
        top = bottom = left = right = 0
    pads = (left, right, top, bottom)  # F.pad pads the last axis first

    def fn(t):
        x = t.permute(0, 3, 1, 2)
        if kind == "max":
            y = TF.max_pool2d(TF.pad(x, pads, value=-math.inf), pool, stride)
        elif kind == "min":
            y = -TF.max_pool2d(TF.pad(-x, pads, value=-math.inf), pool, stride)
        else:
            sums = TF.avg_pool2d(TF.pad(x, pads), pool, stride, divisor_override=1)
            ones = TF.pad(torch.ones_like(x[:1, :1]), pads)
            counts = TF.avg_pool2d(ones, pool, stride, divisor_override=1)
            y = sums / counts
        assert tuple(y.shape[2:]) == expected, (y.shape, expected)
        return y.permute(0, 2, 3, 1)

    return fn


def _x(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


CASES = [
    pytest.param(kind, pool, stride, padding, id=f"{kind}-p{pool}-s{stride}-{padding}")
    for kind in OPS
    for pool in POOLS
    for stride in STRIDES
    for padding in PADDINGS
]


# -- every combination: central differences and PyTorch -------------------------------------------


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "x".join(map(str, s)))
@pytest.mark.parametrize("kind, pool, stride, padding", CASES)
def test_pool_matches_torch(kind, pool, stride, padding, shape):
    ours = OPS[kind]
    compare_with_torch(
        lambda x: ours(x, pool, stride, padding),
        torch_pool(kind, pool, stride, padding, shape),
        _x(shape),
        **TORCH_TOL,
    )


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "x".join(map(str, s)))
@pytest.mark.parametrize("kind, pool, stride, padding", CASES)
def test_pool_gradcheck(kind, pool, stride, padding, shape):
    ours = OPS[kind]
    check_gradients(lambda x: ours(x, pool, stride, padding), _x(shape, seed=1))


@pytest.mark.parametrize("kind", sorted(OPS))
@pytest.mark.parametrize("pool, stride", [(3, 1), (3, 2), (3, 3), (2, 1), ((3, 2), (1, 2))])
@pytest.mark.parametrize("hw", [(1, 1), (1, 2), (2, 2), (2, 1)])
def test_same_pool_larger_than_the_input(kind, pool, stride, hw):
    # some taps reach only padding here (n = 1, pool 3, stride 1: only the middle tap is real)
    shape = (2, *hw, 3)
    fn = lambda x: OPS[kind](x, pool, stride, "same")  # noqa: E731
    compare_with_torch(fn, torch_pool(kind, pool, stride, "same", shape), _x(shape), **TORCH_TOL)
    check_gradients(fn, _x(shape, seed=2))


@pytest.mark.parametrize("kind", sorted(OPS))
def test_mnist_sized_batch_matches_torch(kind):
    shape = (8, 26, 26, 32)
    compare_with_torch(
        lambda x: OPS[kind](x, 2),
        torch_pool(kind, 2, None, "valid", shape),
        _x(shape),
        **TORCH_TOL,
    )


# -- geometry -------------------------------------------------------------------------------------


@pytest.mark.parametrize("padding", PADDINGS)
@pytest.mark.parametrize("pool", POOLS)
@pytest.mark.parametrize("stride", STRIDES)
@pytest.mark.parametrize("hw", [(7, 5), (6, 6), (3, 4), (26, 26), (13, 13)])
def test_output_shape_follows_the_formula(hw, stride, pool, padding):
    p = _pair(pool)
    s = p if stride is None else _pair(stride)
    expected = (2, *(_expected_length(n, a, b, padding) for n, a, b in zip(hw, p, s)), 4)
    x = npl.Tensor(np.zeros((2, *hw, 4)))
    for op in OPS.values():
        assert op(x, pool, stride, padding).shape == expected


def test_valid_pooling_drops_uncovered_rows_and_columns():
    x = npl.Tensor(np.arange(35.0).reshape(1, 7, 5, 1) % 11, requires_grad=True)
    y = F.max_pool2d(x, 2)  # 3 x 2 windows cover rows 0-5 and columns 0-3
    assert y.shape == (1, 3, 2, 1)
    y.backward(np.ones(y.shape))
    assert not x.grad[0, 6, :, 0].any() and not x.grad[0, :, 4, 0].any()
    assert x.grad.sum() == 6
    np.testing.assert_array_equal(y.data[0, :, :, 0], [[6.0, 8.0], [10.0, 7.0], [10.0, 6.0]])


def test_same_padding_splits_the_extra_cell_after():
    # n = 4, pool 3, stride 2: out 2, total pad (2 - 1) * 2 + 3 - 4 = 1 -> 0 before, 1 after
    x = npl.Tensor(np.arange(16.0).reshape(1, 4, 4, 1))
    np.testing.assert_array_equal(
        F.max_pool2d(x, 3, 2, "same").data[0, :, :, 0], [[10.0, 11.0], [14.0, 15.0]]
    )
    # windows rows {0,1,2}, {2,3}; columns likewise: averages over 9, 6, 6 and 4 real cells
    np.testing.assert_allclose(
        F.avg_pool2d(x, 3, 2, "same").data[0, :, :, 0], [[5.0, 6.5], [11.0, 12.5]]
    )
    # n = 5, pool 4, stride 1: total pad 3 -> 1 before, 2 after
    x = npl.Tensor(np.arange(5.0).reshape(1, 1, 5, 1))
    np.testing.assert_array_equal(
        F.min_pool2d(x, (1, 4), 1, "same").data[0, 0, :, 0], [0.0, 0.0, 1.0, 2.0, 3.0]
    )


def test_strides_default_to_the_pool_size():
    x = npl.Tensor(_x((2, 9, 8, 3)))
    for op in OPS.values():
        np.testing.assert_array_equal(op(x, (3, 2)).data, op(x, (3, 2), (3, 2)).data)
        np.testing.assert_array_equal(op(x, 3).data, op(x, (3, 3), 3).data)


def test_padding_is_case_insensitive():
    x = npl.Tensor(_x((1, 5, 5, 2)))
    np.testing.assert_array_equal(
        F.max_pool2d(x, 2, padding="SAME").data, F.max_pool2d(x, 2, padding="same").data
    )


# -- ties -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["max", "min"])
@pytest.mark.parametrize(
    "pool, stride, padding",
    [(2, None, "valid"), (3, 1, "valid"), (3, 2, "same"), ((2, 3), 1, "same"), (2, 3, "valid")],
)
def test_ties_send_the_gradient_to_the_first_tap_like_torch(kind, pool, stride, padding):
    shape = (2, 7, 6, 3)
    x = np.random.default_rng(3).integers(0, 3, size=shape).astype(np.float64)  # many ties
    compare_with_torch(
        lambda t: OPS[kind](t, pool, stride, padding),
        torch_pool(kind, pool, stride, padding, shape),
        x,
        **TORCH_TOL,
    )


@pytest.mark.parametrize("kind", ["max", "min"])
def test_all_equal_window_sends_everything_to_its_top_left_cell(kind):
    x = npl.Tensor(np.zeros((1, 4, 4, 2)), requires_grad=True)  # e.g. after a ReLU
    OPS[kind](x, 2).backward(np.full((1, 2, 2, 2), 3.0))
    expected = np.zeros((4, 4))
    expected[::2, ::2] = 3.0
    for c in range(2):
        np.testing.assert_array_equal(x.grad[0, :, :, c], expected)


def test_overlapping_windows_accumulate_the_gradient():
    x = npl.Tensor(np.array([1.0, 5.0, 2.0, 0.0]).reshape(1, 1, 4, 1), requires_grad=True)
    F.max_pool2d(x, (1, 2), 1).sum().backward()  # windows (1,5) (5,2) (2,0)
    np.testing.assert_array_equal(x.grad.ravel(), [0.0, 2.0, 1.0, 0.0])


# -- global pooling -------------------------------------------------------------------------------


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("shape", [(2, 7, 5, 3), (1, 1, 1, 4), (3, 4, 6, 1)])
def test_global_avg_pool(shape, keepdims):
    fn = lambda x: F.global_avg_pool2d(x, keepdims=keepdims)  # noqa: E731
    compare_with_torch(fn, lambda t: t.mean(dim=(1, 2), keepdim=keepdims), _x(shape), **TORCH_TOL)
    check_gradients(fn, _x(shape, seed=1))
    expected = (shape[0], 1, 1, shape[3]) if keepdims else (shape[0], shape[3])
    assert fn(npl.Tensor(_x(shape))).shape == expected


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("shape", [(2, 7, 5, 3), (1, 1, 1, 4), (3, 4, 6, 1)])
def test_global_max_pool(shape, keepdims):
    fn = lambda x: F.global_max_pool2d(x, keepdims=keepdims)  # noqa: E731
    compare_with_torch(fn, lambda t: t.amax(dim=(1, 2), keepdim=keepdims), _x(shape), **TORCH_TOL)
    check_gradients(fn, _x(shape, seed=1))


def test_global_max_pool_splits_ties_like_torch_amax():
    x = np.random.default_rng(4).integers(0, 2, size=(2, 3, 3, 4)).astype(np.float64)
    compare_with_torch(F.global_max_pool2d, lambda t: t.amax(dim=(1, 2)), x, **TORCH_TOL)


# -- zero padding ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "padding, torch_pads",
    [
        (1, (1, 1, 1, 1)),
        (0, (0, 0, 0, 0)),
        ((2, 1), (1, 1, 2, 2)),
        (((1, 0), (0, 3)), (0, 3, 1, 0)),
        ([[0, 2], [1, 1]], (1, 1, 0, 2)),
    ],
)
def test_zero_pad2d(padding, torch_pads):
    shape = (2, 3, 4, 5)
    fn = lambda x: F.zero_pad2d(x, padding)  # noqa: E731
    torch_fn = lambda t: TF.pad(t.permute(0, 3, 1, 2), torch_pads).permute(0, 2, 3, 1)  # noqa: E731
    compare_with_torch(fn, torch_fn, _x(shape), atol=0, rtol=0)
    check_gradients(fn, _x(shape, seed=1))


@pytest.mark.parametrize(
    "padding", [-1, (1, -2), (1, 2, 3), 1.5, "1", ((1, 2), 3), ((1,), (1, 1)), None, True]
)
def test_zero_pad2d_rejects_bad_padding(padding):
    with pytest.raises(ConfigError, match=r"zero_pad2d padding .*Received: "):
        F.zero_pad2d(npl.Tensor(np.zeros((1, 2, 2, 1))), padding)


# -- dtypes ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("padding", PADDINGS)
@pytest.mark.parametrize(
    "fn",
    [
        pytest.param(lambda x, p: F.max_pool2d(x, 3, 2, p), id="max"),
        pytest.param(lambda x, p: F.avg_pool2d(x, 3, 2, p), id="avg"),
        pytest.param(lambda x, p: F.min_pool2d(x, 3, 2, p), id="min"),
        pytest.param(lambda x, p: F.avg_pool2d(x, 2, None, p), id="avg-2"),
        pytest.param(lambda x, p: F.global_avg_pool2d(x), id="global-avg"),
        pytest.param(lambda x, p: F.global_max_pool2d(x), id="global-max"),
        pytest.param(lambda x, p: F.zero_pad2d(x, 1), id="zero-pad"),
    ],
)
def test_dtype_is_kept(fn, padding, dtype):
    x = npl.Tensor(_x((2, 7, 5, 3)), requires_grad=True, dtype=dtype)
    y = fn(x, padding)
    assert y.dtype == dtype
    y.backward(np.ones(y.shape, dtype=dtype))
    assert x.grad.dtype == dtype


def test_no_grad_records_nothing_and_arrays_are_accepted():
    x = npl.Tensor(_x((1, 4, 4, 1)), requires_grad=True)
    with npl.no_grad():
        assert not F.max_pool2d(x).requires_grad
    y = F.avg_pool2d(np.ones((1, 4, 4, 1)))
    assert isinstance(y, npl.Tensor) and y.dtype == np.float32 and y.shape == (1, 2, 2, 1)


# -- errors ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["max_pool2d", "avg_pool2d", "min_pool2d"])
def test_pool_that_does_not_fit_names_the_op_and_the_sizes(name):
    x = npl.Tensor(np.zeros((4, 2, 5, 8)))
    with pytest.raises(ShapeError) as info:
        getattr(F, name)(x, 3)
    message = str(info.value)
    assert message.startswith(f"{name}: pool (3, 3) does not fit input 2x5")
    assert message.endswith("Received: input of shape (4, 2, 5, 8)")
    assert getattr(F, name)(x, 3, padding="same").shape == (4, 1, 2, 8)  # same always fits
    assert getattr(F, name)(x, (2, 5)).shape == (4, 1, 1, 8)  # a pool the input's size fits


@pytest.mark.parametrize(
    "fn",
    [
        F.max_pool2d, F.avg_pool2d, F.min_pool2d, F.global_avg_pool2d, F.global_max_pool2d,
        lambda x: F.zero_pad2d(x, 1),
    ],
)  # fmt: skip
@pytest.mark.parametrize("shape", [(4, 4, 3), (2, 4, 4, 3, 1), (8,)])
def test_input_must_be_a_batch_of_images(fn, shape):
    with pytest.raises(ShapeError, match=r"expects 4-D input \(batch, height, width, channels\)"):
        fn(npl.Tensor(np.zeros(shape)))


@pytest.mark.parametrize("argument", ["pool_size", "strides"])
@pytest.mark.parametrize("value", [0, -1, 2.5, True, "2", (2,), (2, 2, 2), (2, 0), (2, None)])
def test_bad_pool_size_or_strides(argument, value):
    x = npl.Tensor(np.zeros((1, 6, 6, 1)))
    with pytest.raises(ConfigError) as info:
        F.max_pool2d(x, **{argument: value})
    message = str(info.value)
    assert message.startswith(f"max_pool2d {argument} must be a positive integer")
    assert message.endswith(f"Received: {value!r}")


@pytest.mark.parametrize("padding", ["full", "", None, 0, "causal"])
def test_bad_padding(padding):
    with pytest.raises(ConfigError, match=r"avg_pool2d padding must be 'valid' or 'same'"):
        F.avg_pool2d(npl.Tensor(np.zeros((1, 6, 6, 1))), padding=padding)


def test_numpy_integer_sizes_are_accepted():
    x = npl.Tensor(np.zeros((1, 6, 6, 1)))
    assert F.max_pool2d(x, np.int64(3), (np.int32(2), 2)).shape == (1, 2, 2, 1)
