"""Reductions (neuropil/functional/reduce.py): sum, mean, max, min, var.

Each is checked over ``axis`` None / int / negative int / tuple with and without ``keepdims``, by
central differences in float64 and against PyTorch in float32.
"""

import numpy as np
import pytest

import neuropil as npl
import neuropil.functional as F
from neuropil.tensor import make
from tests.gradcheck import check_gradients, compare_with_torch

torch = pytest.importorskip("torch")

TORCH_TOL = {"atol": 1e-5, "rtol": 1e-5}
SHAPE = (2, 3, 4)
AXES = [None, 0, 1, -1, (0, 2), (2, 0), (-1, 1), (0, 1, 2)]


def _distinct(shape=SHAPE, seed=0):
    """Shuffled, well separated values: no ties, so max/min are differentiable everywhere."""
    n = int(np.prod(shape))
    return (np.random.default_rng(seed).permutation(n) - n / 2).reshape(shape) * 0.3


def _torch_dim(axis):
    return tuple(range(len(SHAPE))) if axis is None else axis


REDUCTIONS = {
    "sum": (F.sum, lambda t, d, k: torch.sum(t, dim=d, keepdim=k)),
    "mean": (F.mean, lambda t, d, k: torch.mean(t, dim=d, keepdim=k)),
    "max": (F.max, lambda t, d, k: torch.amax(t, dim=d, keepdim=k)),
    "min": (F.min, lambda t, d, k: torch.amin(t, dim=d, keepdim=k)),
    "var": (F.var, lambda t, d, k: torch.var(t, dim=d, keepdim=k, correction=0)),
}


@pytest.mark.parametrize("keepdims", [False, True], ids=["drop", "keepdims"])
@pytest.mark.parametrize("axis", AXES, ids=str)
@pytest.mark.parametrize("name", sorted(REDUCTIONS))
def test_reduction_gradients(name, axis, keepdims):
    fn, _ = REDUCTIONS[name]
    check_gradients(lambda x: fn(x, axis=axis, keepdims=keepdims), _distinct())


@pytest.mark.parametrize("keepdims", [False, True], ids=["drop", "keepdims"])
@pytest.mark.parametrize("axis", AXES, ids=str)
@pytest.mark.parametrize("name", sorted(REDUCTIONS))
def test_reduction_matches_torch(name, axis, keepdims):
    fn, torch_fn = REDUCTIONS[name]
    compare_with_torch(
        lambda x: fn(x, axis=axis, keepdims=keepdims),
        lambda t: torch_fn(t, _torch_dim(axis), keepdims),
        _distinct(),
        **TORCH_TOL,
    )


@pytest.mark.parametrize("keepdims", [False, True], ids=["drop", "keepdims"])
@pytest.mark.parametrize("axis", AXES, ids=str)
@pytest.mark.parametrize("name", sorted(REDUCTIONS))
def test_reduction_output_shape_matches_numpy(name, axis, keepdims):
    fn, _ = REDUCTIONS[name]
    x = _distinct()
    out = fn(npl.Tensor(x), axis=axis, keepdims=keepdims)
    expected = getattr(np, name)(x, axis=axis, keepdims=keepdims)
    assert out.shape == expected.shape
    np.testing.assert_allclose(out.data, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
def test_reduction_methods(name):
    x_np = _distinct()

    def fn(x):
        return getattr(x, name)(axis=1) * 2.0 + getattr(x, name)()

    fn_ref, _ = REDUCTIONS[name]
    check_gradients(fn, x_np)
    out = fn(npl.Tensor(x_np))
    ref = fn_ref(npl.Tensor(x_np), axis=1) * 2.0 + fn_ref(npl.Tensor(x_np))
    np.testing.assert_array_equal(out.data, ref.data)


@pytest.mark.parametrize("axis", [None, 0, (0, 2)], ids=str)
@pytest.mark.parametrize("ddof", [0, 1])
def test_var_ddof_matches_torch(axis, ddof):
    check_gradients(lambda x: F.var(x, axis=axis, ddof=ddof), _distinct())
    compare_with_torch(
        lambda x: F.var(x, axis=axis, ddof=ddof),
        lambda t: torch.var(t, dim=_torch_dim(axis), correction=ddof),
        _distinct(),
        **TORCH_TOL,
    )


@pytest.mark.parametrize(
    "fn, torch_fn",
    [
        pytest.param(lambda x: F.max(x, axis=1), lambda t: torch.amax(t, dim=1), id="max-axis"),
        pytest.param(lambda x: F.min(x, axis=0), lambda t: torch.amin(t, dim=0), id="min-axis"),
        pytest.param(F.max, torch.amax, id="max-all"),
        pytest.param(F.min, torch.amin, id="min-all"),
    ],
)
def test_max_min_split_ties_evenly_like_torch_amax(fn, torch_fn):
    x = np.array([[3.0, 1.0, 3.0, 0.0], [2.0, 2.0, 2.0, 5.0], [0.0, 4.0, 4.0, 0.0]])
    compare_with_torch(fn, torch_fn, x, atol=1e-7, rtol=1e-7)


def test_max_ties_values():
    x = npl.Tensor([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]], requires_grad=True)
    x.max(axis=1).sum().backward()
    np.testing.assert_allclose(x.grad, [[0.0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3]], rtol=1e-6)


def test_mean_gradient_is_one_over_n():
    x = npl.Tensor(np.ones((4, 5)), requires_grad=True)
    x.mean(axis=0).sum().backward()
    np.testing.assert_allclose(x.grad, np.full((4, 5), 0.25))


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
def test_reductions_keep_float32(name):
    fn, _ = REDUCTIONS[name]
    x = npl.Tensor(_distinct(), requires_grad=True)
    out = fn(x, axis=(0, 2))
    assert out.dtype == np.float32
    out.sum().backward()
    assert x.grad.dtype == np.float32


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
def test_reductions_keep_float64(name):
    fn, _ = REDUCTIONS[name]
    x = npl.Tensor(_distinct(), requires_grad=True, dtype="float64")
    assert fn(x, axis=1).dtype == np.float64


def _backward_dtype(fn, x):
    """The dtype of the gradient ``fn``'s backward hands to its input (before the leaf casts)."""
    seen = []
    probe = make(x.data.copy(), (x,), lambda g: (seen.append(g.dtype) or g,))
    fn(probe).sum().backward()
    return seen[0]


@pytest.mark.parametrize(
    "name",
    [
        "sum",
        "mean",
        "var",
        "max",
        "min",
    ],
)
def test_reduction_backward_keeps_float32_on_the_tape(name):
    fn, _ = REDUCTIONS[name]
    x = npl.Tensor(_distinct(), requires_grad=True)
    assert _backward_dtype(lambda t: fn(t, axis=1), x) == np.float32
