"""Matrix products (neuropil/functional/linalg.py): matmul and linear.

Central differences in float64 and PyTorch parity (forward and backward) in float32, for 2-D,
batched, broadcast-batched and vector operands, and for ``linear`` with and without a bias.
"""

import numpy as np
import pytest

import neuropil as npl
import neuropil.functional as F
from tests.gradcheck import check_gradients, compare_with_torch

torch = pytest.importorskip("torch")

# float32 sums of a few products: a few ulps of the largest partial sum.
TORCH_TOL = {"atol": 1e-5, "rtol": 1e-5}


def _x(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


MATMUL_SHAPES = [
    pytest.param((3, 4), (4, 5), id="2d"),
    pytest.param((1, 4), (4, 1), id="2d-unit"),
    pytest.param((2, 3, 4), (2, 4, 5), id="batched-3d"),
    pytest.param((2, 3, 4), (4, 5), id="3d@2d-broadcast"),
    pytest.param((3, 4), (2, 4, 5), id="2d@3d-broadcast"),
    pytest.param((2, 1, 3, 4), (5, 4, 2), id="4d@3d-broadcast-batch"),
    pytest.param((1, 3, 4), (2, 4, 2), id="batch-1-stretched"),
    pytest.param((4,), (4,), id="vec@vec"),
    pytest.param((3, 4), (4,), id="mat@vec"),
    pytest.param((4,), (4, 5), id="vec@mat"),
    pytest.param((2, 3, 4), (4,), id="batched@vec"),
    pytest.param((4,), (2, 4, 5), id="vec@batched"),
]


@pytest.mark.parametrize("shape_a, shape_b", MATMUL_SHAPES)
def test_matmul_gradients(shape_a, shape_b):
    check_gradients(F.matmul, _x(shape_a), _x(shape_b, 1))


@pytest.mark.parametrize("shape_a, shape_b", MATMUL_SHAPES)
def test_matmul_matches_torch(shape_a, shape_b):
    compare_with_torch(F.matmul, torch.matmul, _x(shape_a), _x(shape_b, 1), **TORCH_TOL)


@pytest.mark.parametrize("shape_a, shape_b", MATMUL_SHAPES)
def test_matmul_operator(shape_a, shape_b):
    op = lambda a, b: a @ b  # noqa: E731
    check_gradients(op, _x(shape_a), _x(shape_b, 1))
    compare_with_torch(op, op, _x(shape_a), _x(shape_b, 1), **TORCH_TOL)


@pytest.mark.parametrize("shape_a, shape_b", MATMUL_SHAPES)
def test_matmul_output_shape_matches_numpy(shape_a, shape_b):
    a, b = _x(shape_a), _x(shape_b, 1)
    out = F.matmul(npl.Tensor(a, dtype="float64"), npl.Tensor(b, dtype="float64"))
    assert out.shape == np.matmul(a, b).shape
    np.testing.assert_allclose(out.data, a @ b, rtol=1e-12)


def test_matmul_only_one_side_requires_grad():
    a = npl.Tensor(_x((3, 4)), requires_grad=True)
    b = npl.Tensor(_x((4, 2), 1))
    (a @ b).sum().backward()
    np.testing.assert_allclose(a.grad, np.ones((3, 2)) @ b.data.T, rtol=1e-6)
    assert b.grad is None


def test_matmul_keeps_float32():
    a = npl.Tensor(_x((2, 3, 4)), requires_grad=True)
    b = npl.Tensor(_x((4, 5), 1), requires_grad=True)
    out = a @ b
    assert out.dtype == np.float32
    out.sum().backward()
    assert a.grad.dtype == np.float32 and b.grad.dtype == np.float32


A_NP = _x((3, 4), 7)
A_TORCH = torch.tensor(A_NP, dtype=torch.float32)


@pytest.mark.parametrize(
    "fn, torch_fn",
    [
        pytest.param(lambda w: A_NP @ w, lambda w: A_TORCH @ w, id="ndarray@Tensor"),
        pytest.param(lambda w: w.T @ A_NP.T, lambda w: w.T @ A_TORCH.T, id="Tensor@ndarray"),
        pytest.param(
            lambda w: F.matmul(A_NP, w), lambda w: A_TORCH @ w, id="F.matmul(ndarray,Tensor)"
        ),
    ],
)
def test_matmul_with_ndarray_operand(fn, torch_fn):
    w = _x((4, 2), 1)
    check_gradients(fn, w)
    compare_with_torch(fn, torch_fn, w, **TORCH_TOL)
    out = fn(npl.Tensor(w, requires_grad=True))
    assert out.dtype == np.float32  # A_NP is float64: it must not upcast the product


# -- linear ---------------------------------------------------------------------------------------


def _torch_linear(x, k, b=None):
    # torch.nn.functional.linear takes the (out, in) weight; neuropil's kernel is Keras' (in, out).
    return torch.nn.functional.linear(x, k.T, b)


@pytest.mark.parametrize("batch, n_in, n_out", [(5, 3, 4), (1, 6, 1), (8, 1, 3)])
def test_linear_with_bias(batch, n_in, n_out):
    args = _x((batch, n_in)), _x((n_in, n_out), 1), _x((n_out,), 2)
    check_gradients(F.linear, *args)
    compare_with_torch(F.linear, _torch_linear, *args, **TORCH_TOL)


@pytest.mark.parametrize("batch, n_in, n_out", [(5, 3, 4), (1, 6, 1)])
def test_linear_without_bias(batch, n_in, n_out):
    args = _x((batch, n_in)), _x((n_in, n_out), 1)
    check_gradients(F.linear, *args)
    compare_with_torch(F.linear, _torch_linear, *args, **TORCH_TOL)
    x, k = (npl.Tensor(a) for a in args)
    np.testing.assert_allclose(F.linear(x, k).data, (x @ k).data, rtol=1e-6)


def test_linear_equals_matmul_plus_bias():
    x, k, b = _x((4, 3)), _x((3, 2), 1), _x((2,), 2)
    out = F.linear(npl.Tensor(x), npl.Tensor(k), npl.Tensor(b))
    np.testing.assert_allclose(out.data, x @ k + b, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("with_bias", [True, False])
def test_linear_skips_input_gradient_when_input_needs_none(with_bias):
    x_np, k_np, b_np = _x((5, 3)), _x((3, 4), 1), _x((4,), 2)
    x = npl.Tensor(x_np)  # the first layer's input: no gradient wanted
    k = npl.Tensor(k_np, requires_grad=True)
    b = npl.Tensor(b_np, requires_grad=True) if with_bias else None
    out = F.linear(x, k, b)
    upstream = _x((5, 4), 3).astype(np.float32)
    # The op's own backward returns None for x: nothing is computed for it.
    local = out._backward(upstream)
    assert local[0] is None
    out.backward(upstream)
    assert x.grad is None
    np.testing.assert_allclose(k.grad, x_np.T @ upstream, rtol=1e-5, atol=1e-5)
    if with_bias:
        np.testing.assert_allclose(b.grad, upstream.sum(axis=0), rtol=1e-5, atol=1e-6)


def test_linear_bias_without_grad_gets_none():
    x = npl.Tensor(_x((2, 3)), requires_grad=True)
    k = npl.Tensor(_x((3, 4), 1), requires_grad=True)
    b = npl.Tensor(_x((4,), 2))
    F.linear(x, k, b).sum().backward()
    assert b.grad is None
    np.testing.assert_allclose(x.grad, np.ones((2, 4)) @ k.data.T, rtol=1e-6)


def test_linear_keeps_float32_and_float64():
    for dtype in ("float32", "float64"):
        x = npl.Tensor(_x((2, 3)), dtype=dtype)
        k = npl.Tensor(_x((3, 4), 1), requires_grad=True, dtype=dtype)
        b = npl.Tensor(_x((4,), 2), requires_grad=True, dtype=dtype)
        out = F.linear(x, k, b)
        assert out.dtype == np.dtype(dtype)
        out.sum().backward()
        assert k.grad.dtype == np.dtype(dtype) and b.grad.dtype == np.dtype(dtype)


def test_linear_does_not_modify_its_inputs():
    x_np, k_np, b_np = _x((2, 3)), _x((3, 4), 1), _x((4,), 2)
    x, k, b = npl.Tensor(x_np), npl.Tensor(k_np), npl.Tensor(b_np)
    before = [t.data.copy() for t in (x, k, b)]
    F.linear(x, k, b)
    for t, saved in zip((x, k, b), before, strict=True):
        np.testing.assert_array_equal(t.data, saved)
