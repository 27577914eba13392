"""2-D convolution (neuropil/functional/conv.py): conv2d, conv_padding, conv_output_length.

Central differences in float64 and PyTorch parity (forward and backward, float32) over every
padding x stride x dilation combination where the kernel fits (and a ShapeError where it does
not), kernel sizes 1, 2, 3, 5 and (2, 3), odd input sizes, batch size 1, one and three input
channels, more filters than input channels and no bias. "same" padding is checked independently
of the implementation: against ceil(n / stride), against PyTorch's own padding="same" and
against hand-worked TensorFlow pads; explicit symmetric padding against the course notes'
floor((n + 2p - f) / s) + 1. Then the first-layer shortcut (no input gradient), the errors and the
notes' vertical-edge example.
"""

import math

import numpy as np
import pytest

import neuropil as npl
import neuropil.functional as F
from neuropil.errors import ConfigError, ShapeError
from neuropil.functional import conv as conv_module
from neuropil.functional.conv import conv_output_length, conv_padding
from tests.gradcheck import check_gradients, compare_with_torch

torch = pytest.importorskip("torch")
TF = torch.nn.functional

# float32 sums of at most 5*5*3 = 75 products of standard normals (|out| up to ~30): a few ulps
# of the largest partial sum. Backward sums over more terms (the whole batch and output map).
TORCH_TOL = {"atol": 5e-5, "rtol": 1e-5}

PADDINGS = ["valid", "same", 0, 1, 2, (1, 2), ((0, 1), (2, 0))]
STRIDES = [1, 2, 3, (1, 2)]
DILATIONS = [1, 2]
KERNELS = [1, 2, 3, 5, (2, 3)]


def _x(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def _as_pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def _padding_id(p):
    return p if isinstance(p, str) else f"pad{p}".replace(" ", "")


def _effective(k, d):
    return (k - 1) * d + 1


def _fits(size, kernel, strides, padding, dilation):
    """Whether the (dilated) kernel fits the padded input, computed from the course formula."""
    if padding == "same":
        return True
    pads = conv_padding(padding, size, kernel, strides, dilation)
    return all(
        n + p[0] + p[1] >= _effective(k, d) for n, p, k, d in zip(size, pads, kernel, dilation)
    )


def torch_conv2d(x, kernel, bias=None, strides=1, padding="valid", dilation=1):
    """PyTorch reference on NHWC tensors: explicit F.pad (TF "same" puts the odd pad at the
    bottom/right) then an unpadded NCHW convolution with the kernel as (filters, in, kh, kw)."""
    strides, dilation = _as_pair(strides), _as_pair(dilation)
    (top, bottom), (left, right) = conv_padding(
        padding, tuple(x.shape[1:3]), tuple(kernel.shape[:2]), strides, dilation
    )
    xn = TF.pad(x.permute(0, 3, 1, 2), (left, right, top, bottom))
    y = TF.conv2d(xn, kernel.permute(3, 2, 0, 1), bias, stride=strides, dilation=dilation)
    return y.permute(0, 2, 3, 1)


def _conv(strides=1, padding="valid", dilation=1):
    return lambda x, k, b=None: F.conv2d(
        x, k, b, strides=strides, padding=padding, dilation=dilation
    )


def _torch(strides=1, padding="valid", dilation=1):
    return lambda x, k, b=None: torch_conv2d(x, k, b, strides, padding, dilation)


def _check_case(x_shape, kernel, filters, strides, padding, dilation, use_bias, seed=0):
    """Torch parity (forward + backward for x, kernel and bias) or, when the kernel cannot fit,
    the ShapeError. Returns whether the case ran."""
    kernel = _as_pair(kernel)
    x = _x(x_shape, seed)
    k = _x((*kernel, x_shape[3], filters), seed + 1)
    arrays = [x, k] + ([_x(filters, seed + 2)] if use_bias else [])
    if not _fits(x_shape[1:3], kernel, _as_pair(strides), padding, _as_pair(dilation)):
        with pytest.raises(ShapeError, match="does not fit"):
            F.conv2d(
                npl.Tensor(x), npl.Tensor(k), strides=strides, padding=padding, dilation=dilation
            )
        return False
    compare_with_torch(
        _conv(strides, padding, dilation), _torch(strides, padding, dilation), *arrays, **TORCH_TOL
    )
    return True


# -- PyTorch parity: every padding x stride x dilation --------------------------------------


@pytest.mark.parametrize("dilation", DILATIONS, ids=lambda d: f"d{d}")
@pytest.mark.parametrize("strides", STRIDES, ids=lambda s: f"s{s}".replace(" ", ""))
@pytest.mark.parametrize("padding", PADDINGS, ids=_padding_id)
def test_matches_torch_every_padding_stride_dilation(padding, strides, dilation):
    # odd 7x5 image, 3 channels -> 4 filters, batch 2, 3x3 kernel (5x5 dilated): with "valid"
    # and dilation 2 the dilated kernel still fits the 5 columns, and with padding 0 as well.
    assert _check_case((2, 7, 5, 3), 3, 4, strides, padding, dilation, use_bias=True)


@pytest.mark.parametrize("strides", STRIDES, ids=lambda s: f"s{s}".replace(" ", ""))
@pytest.mark.parametrize("padding", PADDINGS, ids=_padding_id)
@pytest.mark.parametrize("kernel", KERNELS, ids=lambda k: f"k{k}".replace(" ", ""))
def test_matches_torch_every_kernel_size(kernel, padding, strides):
    # batch 1, a 9x9 one-channel image, more filters than inputs (1 -> 8), no bias
    _check_case((1, 9, 9, 1), kernel, 8, strides, padding, 1, use_bias=False)
    # dilation 2 on an odd 7x5 three-channel image, with a bias: where the dilated kernel does
    # not fit (5x5 dilated is 9x9) the ShapeError is checked instead
    _check_case((2, 7, 5, 3), kernel, 2, strides, padding, 2, use_bias=True, seed=3)


def test_the_grid_really_covers_kernels_that_do_not_fit():
    """The ShapeError branch of the grid is exercised: 5x5 dilated by 2 (9x9) on 7x5."""
    assert not _check_case((2, 7, 5, 3), 5, 2, 1, "valid", 2, use_bias=True)
    assert _check_case((2, 7, 5, 3), 5, 2, 1, 2, 2, use_bias=True)  # padded to 11x9: fits


@pytest.mark.parametrize(
    "x_shape, kernel, filters",
    [
        pytest.param((1, 1, 1, 1), 1, 1, id="1x1-image"),
        pytest.param((1, 3, 3, 1), 3, 1, id="kernel-equals-image"),
        pytest.param((3, 4, 6, 2), (4, 1), 5, id="tall-kernel"),
        pytest.param((1, 5, 11, 3), (1, 5), 16, id="wide-kernel-many-filters"),
        pytest.param((4, 8, 8, 3), 3, 3, id="batch-4-even-size"),
    ],
)
@pytest.mark.parametrize("padding", ["valid", "same"])
def test_matches_torch_odd_shapes(x_shape, kernel, filters, padding):
    assert _check_case(x_shape, kernel, filters, 1, padding, 1, use_bias=True)


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel lengths")
@pytest.mark.parametrize("dilation", DILATIONS)
@pytest.mark.parametrize("kernel", [1, 2, 3, 4, (2, 3)])
def test_same_stride_1_matches_torchs_own_same_padding(kernel, dilation):
    """Independent of conv_padding: PyTorch's padding="same" also puts the odd pad last."""
    kernel = _as_pair(kernel)
    x, k, b = _x((2, 7, 6, 3)), _x((*kernel, 3, 4), 1), _x(4, 2)
    compare_with_torch(
        _conv(1, "same", dilation),
        lambda x, k, b: TF.conv2d(
            x.permute(0, 3, 1, 2), k.permute(3, 2, 0, 1), b, padding="same", dilation=dilation
        ).permute(0, 2, 3, 1),
        x,
        k,
        b,
        **TORCH_TOL,
    )


# -- float64 central differences -----------------------------------------------------------


@pytest.mark.parametrize("strides", STRIDES, ids=lambda s: f"s{s}".replace(" ", ""))
@pytest.mark.parametrize("padding", PADDINGS, ids=_padding_id)
def test_gradients_every_padding_and_stride(padding, strides):
    # batch 2, odd 5x4 image, 2 channels -> 3 filters, with bias: x, kernel and bias checked
    check_gradients(_conv(strides, padding), _x((2, 5, 4, 2)), _x((3, 3, 2, 3), 1), _x(3, 2))


@pytest.mark.parametrize("padding", PADDINGS, ids=_padding_id)
def test_gradients_dilated(padding):
    check_gradients(_conv((1, 2), padding, 2), _x((1, 7, 5, 2)), _x((2, 2, 2, 3), 1), _x(3, 2))


@pytest.mark.parametrize("kernel", KERNELS, ids=lambda k: f"k{k}".replace(" ", ""))
@pytest.mark.parametrize("padding", ["valid", "same"])
def test_gradients_every_kernel_size(kernel, padding):
    kernel = _as_pair(kernel)
    # batch 1, 1 channel -> 4 filters (more filters than inputs), no bias
    check_gradients(_conv(1, padding), _x((1, 5, 5, 1)), _x((*kernel, 1, 4), 1))


def test_gradients_dilation_and_stride_per_axis():
    check_gradients(
        _conv((2, 1), ((1, 0), (0, 2)), (1, 2)), _x((2, 6, 5, 3)), _x((3, 2, 3, 2), 1), _x(2, 2)
    )


# -- "same" and the output size formula, independently of the implementation -------------------


@pytest.mark.parametrize("dilation", [1, 2, 3])
@pytest.mark.parametrize("stride", [1, 2, 3, 4])
@pytest.mark.parametrize("kernel", [1, 2, 3, 4, 5])
def test_same_padding_gives_ceil_n_over_stride(kernel, stride, dilation):
    for n in range(1, 14):
        (top, bottom), (left, right) = conv_padding(
            "same", (n, n + 1), (kernel, kernel), (stride, stride), (dilation, dilation)
        )
        for m, before, after in ((n, top, bottom), (n + 1, left, right)):
            assert after - before in (0, 1), "TensorFlow puts the odd pad at the bottom/right"
            assert before >= 0
            # the actual output size, from the course formula with the dilated kernel
            out = (m + before + after - _effective(kernel, dilation)) // stride + 1
            assert out == math.ceil(m / stride), (m, before, after)
            # no more padding than needed: one pad less would lose the last window
            if before + after:
                fewer = (m + before + after - 1 - _effective(kernel, dilation)) // stride + 1
                assert fewer < out
    x = npl.Tensor(np.ones((1, 11, 6, 1)))
    k = npl.Tensor(np.ones((kernel, kernel, 1, 2)))
    out = F.conv2d(x, k, strides=stride, padding="same", dilation=dilation)
    assert out.shape == (1, math.ceil(11 / stride), math.ceil(6 / stride), 2)


def test_same_padding_worked_values():
    """Literal TensorFlow pads, no formula: (top, bottom) for a few (n, k, s, d)."""
    cases = {
        (7, 3, 1, 1): (1, 1),
        (7, 2, 1, 1): (0, 1),
        (8, 3, 2, 1): (0, 1),
        (7, 3, 2, 1): (1, 1),
        (9, 5, 3, 1): (1, 1),
        (10, 5, 3, 1): (2, 2),
        (6, 1, 2, 1): (0, 0),
        (7, 3, 1, 2): (2, 2),
        (5, 2, 1, 3): (1, 2),
        (4, 5, 4, 1): (0, 1),
        (12, 3, 3, 1): (0, 0),
        (3, 7, 1, 1): (3, 3),
    }
    for (n, k, s, d), expected in cases.items():
        assert conv_padding("same", (n, 5), (k, 1), (s, 1), (d, 1))[0] == expected, (n, k, s, d)


@pytest.mark.parametrize("padding", [0, 1, 2, 3])
@pytest.mark.parametrize("stride", [1, 2, 3])
@pytest.mark.parametrize("kernel", [1, 2, 3, 5])
def test_symmetric_padding_follows_the_course_formula(kernel, stride, padding):
    """Output size floor((n + 2p - f) / s) + 1 (course notes), for odd and even n."""
    for n in (5, 6, 7, 9):
        expected = (n + 2 * padding - kernel) // stride + 1
        assert conv_output_length(n, kernel, stride, (padding, padding)) == expected
    x = npl.Tensor(np.ones((1, 9, 7, 1)))
    out = F.conv2d(x, npl.Tensor(np.ones((kernel, kernel, 1, 1))), strides=stride, padding=padding)
    assert out.shape == (
        1,
        (9 + 2 * padding - kernel) // stride + 1,
        (7 + 2 * padding - kernel) // stride + 1,
        1,
    )


@pytest.mark.parametrize(
    "padding, expected",
    [
        ("valid", ((0, 0), (0, 0))),
        ("VALID", ((0, 0), (0, 0))),
        (0, ((0, 0), (0, 0))),
        (2, ((2, 2), (2, 2))),
        ((1, 2), ((1, 1), (2, 2))),
        ([1, 2], ((1, 1), (2, 2))),
        (((0, 1), (2, 0)), ((0, 1), (2, 0))),
        ([[3, 1], [0, 2]], ((3, 1), (0, 2))),
        (np.int64(1), ((1, 1), (1, 1))),
    ],
)
def test_explicit_padding_forms(padding, expected):
    assert conv_padding(padding, (7, 5), (3, 3), (1, 1)) == expected


def test_asymmetric_padding_pads_the_right_sides():
    # padding ((top, bottom), (left, right)) = ((0, 1), (2, 0)) on a 1x1 image with a 1x1 kernel
    # gives a 2x3 output: the pixel at row 0, column 2
    out = F.conv2d(npl.Tensor(np.full((1, 1, 1, 1), 5.0)), npl.Tensor(np.ones((1, 1, 1, 1))),
                   padding=((0, 1), (2, 0)))  # fmt: skip
    np.testing.assert_array_equal(out.data[0, :, :, 0], [[0, 0, 5], [0, 0, 0]])


# -- the course notes' worked example ---------------------------------------------------------


def test_vertical_edge_example_from_the_notes():
    image = np.zeros((1, 6, 6, 1))
    image[:, :, :3] = 10  # left half bright, right half dark
    edge = np.array([[1, 0, -1]] * 3, dtype=float).reshape(3, 3, 1, 1)
    out = F.conv2d(npl.Tensor(image), npl.Tensor(edge))
    assert out.shape == (1, 4, 4, 1) and out.dtype == np.float32
    expected = np.tile([0.0, 30.0, 30.0, 0.0], (4, 1))
    np.testing.assert_array_equal(out.data[0, :, :, 0], expected)


def test_one_by_one_convolution_is_a_matmul_over_channels():
    x, k, b = _x((2, 5, 3, 4)), _x((1, 1, 4, 6), 1), _x(6, 2)
    out = F.conv2d(npl.Tensor(x, dtype="float64"), npl.Tensor(k, dtype="float64"),
                   npl.Tensor(b, dtype="float64"))  # fmt: skip
    np.testing.assert_allclose(out.data, x @ k[0, 0] + b, rtol=1e-12, atol=1e-12)


def test_naive_loop_reference_strided_dilated_padded():
    """The defining sum out[n,i,j,f] = sum x_pad[n, i*s + a*d, j*s + b*d, c] * k[a, b, c, f]."""
    x, k, b = _x((2, 7, 5, 2)), _x((3, 2, 2, 3), 1), _x(3, 2)
    (sh, sw), (dh, dw), pads = (2, 1), (1, 2), ((1, 2), (0, 1))
    xp = np.pad(x, ((0, 0), pads[0], pads[1], (0, 0)))
    oh = (7 + 3 - 3) // 2 + 1
    ow = (5 + 1 - 3) // 1 + 1
    expected = np.zeros((2, oh, ow, 3))
    for i in range(oh):
        for j in range(ow):
            for a in range(3):
                for bb in range(2):
                    expected[:, i, j] += xp[:, i * sh + a * dh, j * sw + bb * dw] @ k[a, bb]
    expected += b
    x64, k64, b64 = (npl.Tensor(a, dtype="float64") for a in (x, k, b))
    out = F.conv2d(x64, k64, b64, strides=(2, 1), padding=pads, dilation=(1, 2))
    np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-12)


# -- dtypes, layout, no side effects --------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_dtype_is_kept_forward_and_backward(dtype):
    x = npl.Tensor(_x((2, 6, 5, 3)), requires_grad=True, dtype=dtype)
    k = npl.Tensor(_x((3, 3, 3, 4), 1), requires_grad=True, dtype=dtype)
    b = npl.Tensor(_x(4, 2), requires_grad=True, dtype=dtype)
    out = F.conv2d(x, k, b, strides=2, padding="same")
    assert out.dtype == np.dtype(dtype)
    out.sum().backward()
    for t in (x, k, b):
        assert t.grad.dtype == np.dtype(dtype) and t.grad.shape == t.shape


def test_non_contiguous_input_gives_the_same_result():
    nchw = _x((2, 3, 7, 5))
    strided = npl.Tensor(np.transpose(nchw, (0, 2, 3, 1)), dtype="float64")  # a view, not C-order
    assert not strided.data.flags["C_CONTIGUOUS"]
    contiguous = npl.Tensor(np.ascontiguousarray(strided.data), dtype="float64")
    k = npl.Tensor(_x((3, 2, 3, 4), 1), dtype="float64")
    for padding, strides in (("valid", 1), ("same", 2), (0, (1, 2))):
        a = F.conv2d(strided, k, strides=strides, padding=padding)
        b = F.conv2d(contiguous, k, strides=strides, padding=padding)
        np.testing.assert_array_equal(a.data, b.data)


def test_inputs_are_not_modified():
    x, k, b = _x((2, 5, 5, 2)), _x((3, 3, 2, 3), 1), _x(3, 2)
    tensors = [npl.Tensor(a, requires_grad=True, dtype="float64") for a in (x, k, b)]
    out = F.conv2d(*tensors, padding="same")
    out.backward(np.ones(out.shape))
    for t, a in zip(tensors, (x, k, b)):
        np.testing.assert_array_equal(t.data, a)


def test_gradients_accumulate_over_two_uses_of_the_kernel():
    x1, x2 = npl.Tensor(_x((1, 5, 5, 2))), npl.Tensor(_x((1, 5, 5, 2), 5))
    k = npl.Tensor(_x((3, 3, 2, 2), 1), requires_grad=True)
    (F.conv2d(x1, k).sum() + F.conv2d(x2, k, padding="same").sum()).backward()
    kt = torch.tensor(k.data, requires_grad=True)
    ref = (
        torch_conv2d(torch.tensor(x1.data), kt).sum()
        + torch_conv2d(torch.tensor(x2.data), kt, padding="same").sum()
    )
    ref.backward()
    np.testing.assert_allclose(k.grad, kt.grad.numpy(), **TORCH_TOL)


def test_no_grad_records_nothing():
    k = npl.Tensor(_x((3, 3, 1, 2)), requires_grad=True)
    with npl.no_grad():
        out = F.conv2d(npl.Tensor(_x((1, 5, 5, 1))), k)
    assert not out.requires_grad


# -- the first layer's shortcut: no input gradient ---------------------------------------------


@pytest.mark.parametrize("use_bias", [True, False])
@pytest.mark.parametrize(
    "padding, strides", [("valid", 1), ("same", 2), (((0, 1), (2, 0)), (1, 2))]
)
def test_input_without_grad_skips_the_input_gradient(monkeypatch, padding, strides, use_bias):
    x = _x((2, 7, 5, 3))
    k = _x((3, 3, 3, 4), 1)
    b = _x(4, 2)

    def forbidden(*args, **kwargs):
        raise AssertionError("_input_gradient ran although x needs no gradient")

    monkeypatch.setattr(conv_module, "_input_gradient", forbidden)
    xt = npl.Tensor(x)  # the data: requires_grad=False
    kt = npl.Tensor(k, requires_grad=True)
    bt = npl.Tensor(b, requires_grad=True) if use_bias else None
    out = F.conv2d(xt, kt, bt, strides=strides, padding=padding)
    upstream = _x(out.shape, 7).astype(np.float32)
    grads = out._backward(upstream)
    assert len(grads) == (3 if use_bias else 2)
    assert grads[0] is None
    out.backward(upstream)
    assert xt.grad is None

    xr = torch.tensor(x, dtype=torch.float32)
    kr = torch.tensor(k, dtype=torch.float32, requires_grad=True)
    br = torch.tensor(b, dtype=torch.float32, requires_grad=True) if use_bias else None
    ref = torch_conv2d(xr, kr, br, strides, padding)
    ref.backward(torch.tensor(upstream))
    np.testing.assert_allclose(out.data, ref.detach().numpy(), **TORCH_TOL)
    np.testing.assert_allclose(kt.grad, kr.grad.numpy(), **TORCH_TOL)
    if use_bias:
        np.testing.assert_allclose(bt.grad, br.grad.numpy(), **TORCH_TOL)


def test_input_with_grad_does_compute_the_input_gradient(monkeypatch):
    calls = []
    original = conv_module._input_gradient

    def spy(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(conv_module, "_input_gradient", spy)
    x = npl.Tensor(_x((1, 5, 5, 1)), requires_grad=True)
    F.conv2d(x, npl.Tensor(_x((3, 3, 1, 2), 1), requires_grad=True)).sum().backward()
    assert calls == [1] and x.grad is not None and np.abs(x.grad).sum() > 0


def test_frozen_kernel_gets_no_gradient_but_input_does():
    x = npl.Tensor(_x((1, 5, 5, 2)), requires_grad=True, dtype="float64")
    k = npl.Tensor(_x((3, 3, 2, 2), 1), dtype="float64")  # frozen
    b = npl.Tensor(_x(2, 2), requires_grad=True, dtype="float64")
    out = F.conv2d(x, k, b, padding="same")
    grads = out._backward(np.ones(out.shape))
    assert grads[1] is None and grads[0] is not None and grads[2] is not None
    check_gradients(lambda x, b: F.conv2d(x, k, b, padding="same"), x.data, b.data)


# -- errors ------------------------------------------------------------------------------------


def _t(shape):
    return npl.Tensor(np.ones(shape))


@pytest.mark.parametrize(
    "x_shape, k_shape, kwargs, sizes",
    [
        ((1, 3, 3, 1), (5, 5, 1, 1), {}, ["(5, 5)", "3x3"]),
        ((1, 7, 4, 1), (3, 5, 1, 1), {}, ["(3, 5)", "7x4"]),
        ((2, 4, 4, 3), (3, 3, 3, 2), {"dilation": 2}, ["(3, 3)", "4x4", "dilation (2, 2)"]),
        ((1, 3, 3, 1), (6, 6, 1, 1), {"padding": 1}, ["(6, 6)", "3x3", "(1, 1)"]),
        ((1, 3, 3, 1), (5, 5, 1, 1), {"padding": ((1, 0), (1, 1))}, ["(5, 5)", "((1, 0), (1, 1))"]),
    ],
)
def test_kernel_larger_than_padded_input_names_sizes(x_shape, k_shape, kwargs, sizes):
    with pytest.raises(ShapeError) as info:
        F.conv2d(_t(x_shape), _t(k_shape), **kwargs)
    message = str(info.value)
    for text in sizes:
        assert text in message, message
    assert str(x_shape) in message and "Received" in message


def test_kernel_that_fits_only_after_padding_is_accepted():
    assert F.conv2d(_t((1, 3, 3, 1)), _t((5, 5, 1, 1)), padding=1).shape == (1, 1, 1, 1)
    assert F.conv2d(_t((1, 3, 3, 1)), _t((5, 5, 1, 1)), padding="same").shape == (1, 3, 3, 1)


def test_wrong_channel_count_names_both():
    with pytest.raises(ShapeError) as info:
        F.conv2d(_t((2, 5, 5, 2)), _t((3, 3, 3, 4)))
    message = str(info.value)
    assert "3 input channels" in message and "2 channels" in message
    assert "(2, 5, 5, 2)" in message


@pytest.mark.parametrize(
    "x_shape, k_shape",
    [
        ((5, 5, 1), (3, 3, 1, 2)),  # one image without a batch axis
        ((2, 25), (3, 3, 1, 2)),  # flat features
        ((1, 2, 5, 5, 1), (3, 3, 1, 2)),
        ((1, 5, 5, 1), (3, 3, 2)),  # kernel without the filters axis
    ],
)
def test_non_4d_operands_raise_shape_error(x_shape, k_shape):
    with pytest.raises(ShapeError) as info:
        F.conv2d(_t(x_shape), _t(k_shape))
    message = str(info.value)
    assert "(batch, height, width, channels)" in message
    assert str(x_shape) in message and str(k_shape) in message


@pytest.mark.parametrize(
    "strides",
    [
        0,
        -1,
        (1, 0),
        (1,),
        (1, 2, 3),
        True,
        "2",
        (1.0, 1),
        pytest.param(1.5),
        pytest.param(None),
    ],
)
def test_bad_strides_raise_config_error(strides):
    with pytest.raises(ConfigError, match="strides") as info:
        F.conv2d(_t((1, 5, 5, 1)), _t((3, 3, 1, 1)), strides=strides)
    assert str(info.value).endswith(f"Received: {strides!r}")


@pytest.mark.parametrize(
    "dilation",
    [
        0,
        -2,
        (0, 1),
        (2, 2, 2),
        False,
        pytest.param(2.0),
    ],
)
def test_bad_dilation_raises_config_error(dilation):
    with pytest.raises(ConfigError, match="dilation"):
        F.conv2d(_t((1, 5, 5, 1)), _t((3, 3, 1, 1)), dilation=dilation)


@pytest.mark.parametrize(
    "padding",
    [
        "full",
        "",
        -1,
        (-1, 0),
        (1, 2, 3),
        ((1, 2, 3), (0, 0)),
        ((0, -1), (0, 0)),
        ("a", "b"),
        None,
        1.5,
        (1.5, 1),
        pytest.param(((0.5, 1), (0, 0))),
        pytest.param(True),
    ],
)
def test_bad_padding_raises_config_error(padding):
    with pytest.raises(ConfigError, match="padding"):
        F.conv2d(_t((1, 5, 5, 1)), _t((3, 3, 1, 1)), padding=padding)
