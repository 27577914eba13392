"""Shape ops (neuropil/functional/shape.py): reshape, flatten, transpose, getitem, concatenate,
stack, pad — central differences in float64 and PyTorch parity in float32.
"""

import numpy as np
import pytest

import neuropil as npl
import neuropil.functional as F
from tests.gradcheck import check_gradients, compare_with_torch

torch = pytest.importorskip("torch")

TORCH_TOL = {"atol": 1e-6, "rtol": 1e-6}  # pure data movement: only exact copies expected


def _x(shape=(2, 3, 4), seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def _check(fn, torch_fn, *arrays):
    check_gradients(fn, *arrays)
    compare_with_torch(fn, torch_fn, *arrays, **TORCH_TOL)


# -- reshape / flatten / transpose ---------------------------------------------------------------


@pytest.mark.parametrize(
    "fn, torch_fn",
    [
        pytest.param(lambda x: F.reshape(x, (4, 6)), lambda t: t.reshape(4, 6), id="tuple"),
        pytest.param(lambda x: F.reshape(x, 6, -1), lambda t: t.reshape(6, -1), id="varargs"),
        pytest.param(lambda x: x.reshape(-1), lambda t: t.reshape(-1), id="method-flat"),
        pytest.param(lambda x: x.reshape([3, 2, 4]), lambda t: t.reshape(3, 2, 4), id="list"),
        pytest.param(lambda x: x.reshape(24, 1, 1), lambda t: t.reshape(24, 1, 1), id="unit"),
    ],
)
def test_reshape(fn, torch_fn):
    _check(fn, torch_fn, _x())


@pytest.mark.parametrize(
    "fn, torch_fn, shape",
    [
        pytest.param(F.flatten, lambda t: torch.flatten(t, 1), (2, 3, 4, 5), id="default"),
        pytest.param(lambda x: F.flatten(x, start_axis=0), torch.flatten, (2, 3, 4), id="start0"),
        pytest.param(
            lambda x: F.flatten(x, start_axis=2),
            lambda t: torch.flatten(t, 2),
            (2, 3, 4, 5),
            id="start2",
        ),
        pytest.param(lambda x: x.flatten(), lambda t: torch.flatten(t, 1), (3, 2, 2), id="meth"),
    ],
)
def test_flatten(fn, torch_fn, shape):
    _check(fn, torch_fn, _x(shape))


def test_flatten_keeps_batch_axis():
    assert F.flatten(npl.Tensor(np.zeros((5, 28, 28, 1)))).shape == (5, 784)


@pytest.mark.parametrize(
    "fn, torch_fn",
    [
        pytest.param(F.transpose, lambda t: t.permute(2, 1, 0), id="reverse"),
        pytest.param(lambda x: x.T, lambda t: t.permute(2, 1, 0), id=".T"),
        pytest.param(
            lambda x: F.transpose(x, (1, 0, 2)), lambda t: t.permute(1, 0, 2), id="(1,0,2)"
        ),
        # (2, 0, 1) is not its own inverse: catches a backward that reuses the forward perm.
        pytest.param(
            lambda x: F.transpose(x, (2, 0, 1)), lambda t: t.permute(2, 0, 1), id="(2,0,1)"
        ),
        pytest.param(lambda x: x.transpose((1, 2, 0)), lambda t: t.permute(1, 2, 0), id="(1,2,0)"),
    ],
)
def test_transpose(fn, torch_fn):
    _check(fn, torch_fn, _x())


def test_transpose_2d_T():
    _check(lambda x: x.T, lambda t: t.T, _x((3, 5)))


def test_transpose_negative_axes():
    _check(
        lambda x: F.transpose(x, (0, -1, 1)),
        lambda t: t.permute(0, -1, 1),
        _x(),
    )


# -- getitem ------------------------------------------------------------------------------------

MASK = np.array(
    [
        [[True, False, True, False], [False, False, True, True], [True, True, False, False]],
        [[False, True, False, True], [True, False, False, False], [False, True, True, True]],
    ]
)
ROWS = np.array([1, 0, 1, 1])
COLS = np.array([2, 2, 0, 2])

INDEXES = [
    pytest.param(np.s_[0], None, id="int"),
    pytest.param(np.s_[-1, 1:], None, id="negative-int+slice"),
    pytest.param(np.s_[:, 1:3], None, id="slice"),
    pytest.param(np.s_[..., ::2], None, id="ellipsis+step"),
    # PyTorch has no negative steps: its side spells the same selection with index lists.
    pytest.param(np.s_[:, ::-1, 1], lambda t: t[:, [2, 1, 0], 1], id="reverse"),
    pytest.param(np.s_[:, None, 0], None, id="newaxis"),
    pytest.param(np.s_[:, [0, 2, 0, 0]], None, id="int-array-repeated"),
    pytest.param(np.s_[[1, 1, 0]], None, id="leading-int-array-repeated"),
    pytest.param(np.s_[ROWS, COLS], None, id="two-int-arrays-repeated-pairs"),
    pytest.param(np.s_[:, np.array([[0, 1], [1, 1]]), 3], None, id="2d-int-array"),
    pytest.param(np.s_[MASK], None, id="bool-mask-full"),
    pytest.param(np.s_[:, np.array([True, False, True])], None, id="bool-mask-axis1"),
    pytest.param(
        np.s_[np.array([True, False]), 2, ::-2],
        lambda t: t[torch.tensor([True, False]), 2][:, [3, 1]],
        id="bool-mask+int+negative-step",
    ),
]


def _torch_index(index):
    if not isinstance(index, tuple):
        index = (index,)
    converted = []
    for i in index:
        if isinstance(i, np.ndarray):
            converted.append(torch.as_tensor(i))
        elif isinstance(i, list):
            converted.append(torch.as_tensor(i))
        else:
            converted.append(i)
    return tuple(converted)


@pytest.mark.parametrize("index, torch_fn", INDEXES)
def test_getitem(index, torch_fn):
    def fn(x):
        return x[index]

    if torch_fn is None:

        def torch_fn(t):
            return t[_torch_index(index)]

    _check(fn, torch_fn, _x())


@pytest.mark.parametrize("index, torch_fn", INDEXES)
def test_getitem_matches_numpy_forward(index, torch_fn):
    x = _x()
    np.testing.assert_array_equal(F.getitem(npl.Tensor(x, dtype="float64"), index).data, x[index])


def test_getitem_repeated_indices_accumulate():
    x = npl.Tensor([10.0, 20.0, 30.0], requires_grad=True)
    x[[0, 2, 0, 0]].sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 0.0, 1.0])


def test_getitem_with_boolean_tensor_mask():
    x_np = _x((3, 4))
    x = npl.Tensor(x_np, requires_grad=True)
    y = x[x > 0]
    np.testing.assert_array_equal(y.data, x.data[x.data > 0])
    (y * y).sum().backward()
    np.testing.assert_allclose(x.grad, np.where(x.data > 0, 2 * x.data, 0.0), rtol=1e-6)
    check_gradients(lambda t: t[x_np > 0] ** 2, x_np)


def test_getitem_with_integer_tensor_index():
    x = npl.Tensor([1.0, 2.0, 3.0], requires_grad=True)
    idx = npl.Tensor(np.array([2, 2]), dtype="int64")
    y = x[idx]
    np.testing.assert_array_equal(y.data, [3.0, 3.0])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0, 2.0])


# -- concatenate / stack ------------------------------------------------------------------------

JOIN_AXES = [0, 1, 2, -1, -3]


def _parts_for_concat(axis, seed=0):
    shapes = []
    for size in (1, 3, 2):
        shape = [2, 3, 4]
        shape[axis] = size
        shapes.append(tuple(shape))
    return [_x(s, seed + i) for i, s in enumerate(shapes)]


@pytest.mark.parametrize("axis", JOIN_AXES)
def test_concatenate(axis):
    _check(
        lambda *ts: F.concatenate(ts, axis=axis),
        lambda *ts: torch.cat(ts, dim=axis),
        *_parts_for_concat(axis),
    )


@pytest.mark.parametrize("axis", [0, 1, 2, 3, -1, -2])
def test_stack(axis):
    parts = [_x((2, 3, 4), seed) for seed in range(3)]
    _check(
        lambda *ts: F.stack(ts, axis=axis),
        lambda *ts: torch.stack(ts, dim=axis),
        *parts,
    )


def test_concatenate_and_stack_accept_lists():
    a = npl.Tensor(np.ones((2, 2)), requires_grad=True)
    b = npl.Tensor(np.zeros((1, 2)), requires_grad=True)
    assert F.concatenate([a, b]).shape == (3, 2)
    assert F.stack([a, a], axis=1).shape == (2, 2, 2)


def test_concatenate_skips_inputs_without_grad():
    a = npl.Tensor(np.ones((2, 2)), requires_grad=True)
    b = npl.Tensor(np.ones((3, 2)))
    weights = np.arange(10.0).reshape(5, 2)
    F.concatenate([a, b]).backward(weights)
    np.testing.assert_array_equal(a.grad, weights[:2])
    assert b.grad is None


# -- pad ------------------------------------------------------------------------------------------


def _torch_pad_widths(pad_width, ndim):
    widths = np.broadcast_to(np.asarray(pad_width), (ndim, 2))
    out = []
    for lo, hi in widths[::-1]:
        out += [int(lo), int(hi)]
    return out


PADS = [
    pytest.param(1, 0.0, id="int"),
    pytest.param(((0, 0), (1, 2), (3, 0)), 0.0, id="per-axis"),
    pytest.param(((1, 0), (0, 0), (2, 2)), -1.5, id="value"),
    pytest.param((2, 1), 0.0, id="pair-for-all-axes"),
]


@pytest.mark.parametrize("pad_width, value", PADS)
def test_pad(pad_width, value):
    x = _x()
    _check(
        lambda t: F.pad(t, pad_width, value=value),
        lambda t: torch.nn.functional.pad(t, _torch_pad_widths(pad_width, 3), value=value),
        x,
    )
    expected = np.pad(x, pad_width, constant_values=value)
    out = F.pad(npl.Tensor(x, dtype="float64"), pad_width, value)
    np.testing.assert_array_equal(out.data, expected)


def test_pad_nhwc_spatial_only():
    x = _x((2, 3, 3, 2))
    pw = ((0, 0), (1, 1), (1, 1), (0, 0))
    out = F.pad(npl.Tensor(x), pw)
    assert out.shape == (2, 5, 5, 2)
    check_gradients(lambda t: F.pad(t, pw), x)


# -- dtypes ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fn",
    [
        pytest.param(lambda x: x.reshape(6, 4), id="reshape"),
        pytest.param(F.flatten, id="flatten"),
        pytest.param(lambda x: x.transpose((2, 0, 1)), id="transpose"),
        pytest.param(lambda x: x[:, [0, 0]], id="getitem"),
        pytest.param(lambda x: F.concatenate([x, x], axis=1), id="concatenate"),
        pytest.param(lambda x: F.stack([x, x]), id="stack"),
        pytest.param(lambda x: F.pad(x, 1, value=np.float64(2.0)), id="pad"),
    ],
)
def test_shape_ops_keep_float32(fn):
    x = npl.Tensor(_x(), requires_grad=True)
    out = fn(x)
    assert out.dtype == np.float32
    out.sum().backward()
    assert x.grad.dtype == np.float32
