"""Elementwise ops (neuropil/functional/elementwise.py): gradients and PyTorch parity.

Every op is checked twice: central differences in float64 (``check_gradients``) and forward plus
backward against PyTorch in float32 (``compare_with_torch``), on same-shape and broadcast inputs,
with scalar and NumPy operands and through the reflected operators.
"""

import numpy as np
import pytest

import neuropil as npl
import neuropil.functional as F
from neuropil.errors import ConfigError
from neuropil.tensor import make
from tests.gradcheck import check_gradients, compare_with_torch

torch = pytest.importorskip("torch")

# float32 against PyTorch: both sides compute the same formula, so differences are rounding only.
TORCH_TOL = {"atol": 1e-5, "rtol": 1e-5}

BROADCAST_SHAPES = [
    pytest.param((3, 4), (3, 4), id="same"),
    pytest.param((3, 1), (1, 4), id="(3,1)x(1,4)"),
    pytest.param((2, 3), (3,), id="(2,3)x(3,)"),
    pytest.param((3,), (2, 3), id="(3,)x(2,3)"),
    pytest.param((2, 3), (), id="(2,3)x()"),
    pytest.param((4,), (2, 3, 4), id="(4,)x(2,3,4)"),
    pytest.param((2, 1, 4), (3, 1), id="(2,1,4)x(3,1)"),
]


def _rng(seed=0):
    return np.random.default_rng(seed)


def _normal(shape, seed=0):
    return _rng(seed).standard_normal(shape)


def _away_from_zero(shape, low=0.5, high=2.0, seed=0):
    """Values with |v| in [low, high] and random signs (no kink or pole near zero)."""
    r = _rng(seed)
    return r.uniform(low, high, size=shape) * r.choice([-1.0, 1.0], size=shape)


def _positive(shape, low=0.5, high=2.0, seed=0):
    return _rng(seed).uniform(low, high, size=shape)


def _separated(shape_a, shape_b, seed=0):
    """Two arrays whose broadcast elements differ by at least 0.25 (no ties for max/min).

    ``a`` holds shuffled integers and ``b`` shuffled half-integers, both centred on zero.
    """
    r = _rng(seed)
    n_a, n_b = int(np.prod(shape_a)), int(np.prod(shape_b))
    a = (r.permutation(n_a) - n_a / 2).reshape(shape_a) * 0.5
    b = (r.permutation(n_b) - n_b / 2 + 0.5).reshape(shape_b) * 0.5
    return a, b


# -- binary arithmetic with broadcasting ---------------------------------------------------------

BINARY = {
    "add": (F.add, torch.add),
    "sub": (F.sub, torch.sub),
    "mul": (F.mul, torch.mul),
    "div": (F.div, torch.div),
    "power": (F.power, torch.pow),
    "maximum": (F.maximum, torch.maximum),
    "minimum": (F.minimum, torch.minimum),
}


def _binary_inputs(name, shape_a, shape_b):
    if name == "div":
        return _normal(shape_a), _away_from_zero(shape_b, seed=1)
    if name == "power":  # positive base so d/db = a**b log(a) is defined
        return _positive(shape_a), _rng(1).uniform(-2.0, 2.0, size=shape_b)
    if name in ("maximum", "minimum"):
        return _separated(shape_a, shape_b)
    return _normal(shape_a), _normal(shape_b, seed=1)


@pytest.mark.parametrize("shape_a, shape_b", BROADCAST_SHAPES)
@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_gradients(name, shape_a, shape_b):
    fn, _ = BINARY[name]
    check_gradients(fn, *_binary_inputs(name, shape_a, shape_b))


@pytest.mark.parametrize("shape_a, shape_b", BROADCAST_SHAPES)
@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_matches_torch(name, shape_a, shape_b):
    fn, torch_fn = BINARY[name]
    compare_with_torch(fn, torch_fn, *_binary_inputs(name, shape_a, shape_b), **TORCH_TOL)


@pytest.mark.parametrize("shape_a, shape_b", BROADCAST_SHAPES)
@pytest.mark.parametrize(
    "name, op",
    [
        ("add", lambda a, b: a + b),
        ("sub", lambda a, b: a - b),
        ("mul", lambda a, b: a * b),
        ("div", lambda a, b: a / b),
        ("power", lambda a, b: a**b),
    ],
)
def test_binary_operators_match_torch(name, op, shape_a, shape_b):
    a, b = _binary_inputs(name, shape_a, shape_b)
    check_gradients(op, a, b)
    compare_with_torch(op, op, a, b, **TORCH_TOL)


def test_broadcast_gradient_has_input_shape():
    a = npl.Tensor(_normal((3, 1)), requires_grad=True)
    b = npl.Tensor(_normal((1, 4)), requires_grad=True)
    (a * b).sum().backward()
    assert a.grad.shape == (3, 1) and b.grad.shape == (1, 4)
    np.testing.assert_allclose(a.grad[:, 0], np.full(3, b.data.sum()), rtol=1e-6)
    np.testing.assert_allclose(b.grad[0], np.full(4, a.data.sum()), rtol=1e-6)


def test_power_gradient_of_both_arguments():
    a = npl.Tensor([2.0, 3.0], requires_grad=True, dtype="float64")
    b = npl.Tensor([3.0, 0.5], requires_grad=True, dtype="float64")
    F.power(a, b).sum().backward()
    np.testing.assert_allclose(a.grad, [3.0 * 2.0**2, 0.5 * 3.0**-0.5])
    np.testing.assert_allclose(b.grad, [2.0**3 * np.log(2.0), 3.0**0.5 * np.log(3.0)])


# -- unary ops -----------------------------------------------------------------------------------

UNARY = [
    pytest.param(F.neg, torch.neg, _normal, id="neg"),
    pytest.param(lambda x: -x, lambda x: -x, _normal, id="-x"),
    pytest.param(F.exp, torch.exp, _normal, id="exp"),
    pytest.param(lambda x: x.exp(), torch.exp, _normal, id="x.exp()"),
    pytest.param(F.log, torch.log, _positive, id="log"),
    pytest.param(lambda x: x.log(), torch.log, _positive, id="x.log()"),
    pytest.param(F.sqrt, torch.sqrt, _positive, id="sqrt"),
    pytest.param(lambda x: x.sqrt(), torch.sqrt, _positive, id="x.sqrt()"),
    pytest.param(F.abs, torch.abs, _away_from_zero, id="abs"),
    pytest.param(lambda x: x.abs(), torch.abs, _away_from_zero, id="x.abs()"),
]


@pytest.mark.parametrize("shape", [(5,), (3, 4), (2, 3, 2)], ids=str)
@pytest.mark.parametrize("fn, torch_fn, make_input", UNARY)
def test_unary_gradients(fn, torch_fn, make_input, shape):
    check_gradients(fn, make_input(shape))


@pytest.mark.parametrize("shape", [(5,), (3, 4), (2, 3, 2)], ids=str)
@pytest.mark.parametrize("fn, torch_fn, make_input", UNARY)
def test_unary_matches_torch(fn, torch_fn, make_input, shape):
    compare_with_torch(fn, torch_fn, make_input(shape), **TORCH_TOL)


def test_abs_gradient_at_zero_is_zero_like_torch():
    compare_with_torch(F.abs, torch.abs, np.array([-1.0, 0.0, 2.0]), atol=0, rtol=0)


# -- clip ----------------------------------------------------------------------------------------


def _clip_input(shape=(4, 5)):
    # Keep every value at least 0.01 away from the bounds -0.5 and 0.7 so differences are exact.
    x = _rng(3).uniform(-1.5, 1.5, size=shape)
    for bound in (-0.5, 0.7):
        close = np.abs(x - bound) < 0.01
        x[close] += 0.05
    return x


CLIPS = [
    pytest.param(lambda x: F.clip(x, -0.5, 0.7), lambda x: torch.clamp(x, -0.5, 0.7), id="both"),
    pytest.param(lambda x: F.clip(x, -0.5, None), lambda x: torch.clamp(x, min=-0.5), id="low"),
    pytest.param(lambda x: F.clip(x, None, 0.7), lambda x: torch.clamp(x, max=0.7), id="high"),
    pytest.param(lambda x: x.clip(-0.5, 0.7), lambda x: torch.clamp(x, -0.5, 0.7), id="method"),
]


@pytest.mark.parametrize("fn, torch_fn", CLIPS)
def test_clip_gradients(fn, torch_fn):
    check_gradients(fn, _clip_input())


@pytest.mark.parametrize("fn, torch_fn", CLIPS)
def test_clip_matches_torch(fn, torch_fn):
    compare_with_torch(fn, torch_fn, _clip_input(), **TORCH_TOL)


def test_clip_passes_gradient_at_the_bounds_like_torch():
    x = np.array([-1.0, -0.5, 0.0, 0.7, 1.0])
    compare_with_torch(
        lambda t: F.clip(t, -0.5, 0.7), lambda t: torch.clamp(t, -0.5, 0.7), x, atol=0, rtol=0
    )


# -- maximum / minimum ties, where ---------------------------------------------------------------


@pytest.mark.parametrize("fn, torch_fn", [(F.maximum, torch.maximum), (F.minimum, torch.minimum)])
def test_maximum_minimum_split_ties_like_torch(fn, torch_fn):
    a = np.array([[1.0, 2.0, 3.0], [0.0, -1.0, 5.0]])
    b = np.array([[1.0, 0.0, 4.0], [0.0, -1.0, 1.0]])
    compare_with_torch(fn, torch_fn, a, b, atol=0, rtol=0)
    ta = npl.Tensor(a, requires_grad=True)
    tb = npl.Tensor(b, requires_grad=True)
    fn(ta, tb).sum().backward()
    tie = a == b
    np.testing.assert_array_equal(ta.grad[tie], 0.5)
    np.testing.assert_array_equal(tb.grad[tie], 0.5)


@pytest.mark.parametrize(
    "fn, torch_fn",
    [
        pytest.param(lambda x: x.maximum(0.25), lambda x: torch.clamp(x, min=0.25), id="max"),
        pytest.param(lambda x: x.minimum(0.25), lambda x: torch.clamp(x, max=0.25), id="min"),
        pytest.param(lambda x: F.maximum(0.25, x), lambda x: torch.clamp(x, min=0.25), id="rmax"),
    ],
)
def test_maximum_minimum_with_scalar(fn, torch_fn):
    x = _clip_input() - 0.45  # keeps 0.25 = 0.7 - 0.45 at least 0.01 away
    check_gradients(fn, x)
    compare_with_torch(fn, torch_fn, x, **TORCH_TOL)


WHERE_CASES = [
    pytest.param((3, 4), (3, 4), (3, 4), id="same"),
    pytest.param((3, 4), (3, 1), (4,), id="broadcast-branches"),
    pytest.param((3, 1), (1, 4), (3, 4), id="broadcast-condition"),
]


@pytest.mark.parametrize("cond_shape, shape_a, shape_b", WHERE_CASES)
def test_where_gradients_and_torch(cond_shape, shape_a, shape_b):
    cond = _rng(7).random(cond_shape) > 0.4
    a, b = _normal(shape_a), _normal(shape_b, seed=1)
    check_gradients(lambda x, y: F.where(cond, x, y), a, b)
    compare_with_torch(
        lambda x, y: F.where(cond, x, y),
        lambda x, y: torch.where(torch.tensor(cond), x, y),
        a,
        b,
        **TORCH_TOL,
    )


def test_where_with_tensor_condition_and_scalar_branch():
    x_np = _normal((3, 4))
    fn = lambda x: F.where(x > 0, x, 0.1 * x)  # noqa: E731 - leaky ReLU
    check_gradients(fn, x_np)
    compare_with_torch(fn, lambda x: torch.where(x > 0, x, 0.1 * x), x_np, **TORCH_TOL)
    compare_with_torch(
        lambda x: F.where(x > 0, 2.0, x),
        lambda x: torch.where(x > 0, torch.tensor(2.0), x),
        x_np,
        **TORCH_TOL,
    )


# -- scalars, NumPy operands and reflected operators ---------------------------------------------

ARRAY = np.array([[0.5, -1.5, 2.0, 1.25], [-0.75, 1.0, 3.0, -2.0], [1.5, 0.6, -0.9, 2.5]])

T_ARRAY = torch.tensor(ARRAY, dtype=torch.float32)

SCALAR_OPS = [
    pytest.param(lambda x: x + 2, lambda x: x + 2, id="x+2"),
    pytest.param(lambda x: 2 + x, lambda x: 2 + x, id="2+x"),
    pytest.param(lambda x: x - 2.5, lambda x: x - 2.5, id="x-2.5"),
    pytest.param(lambda x: 2 - x, lambda x: 2 - x, id="2-x"),
    pytest.param(lambda x: x * 3, lambda x: x * 3, id="x*3"),
    pytest.param(lambda x: 3 * x, lambda x: 3 * x, id="3*x"),
    pytest.param(lambda x: x / 4, lambda x: x / 4, id="x/4"),
    pytest.param(lambda x: 1 / x, lambda x: 1 / x, id="1/x"),
    pytest.param(lambda x: x**2, lambda x: x**2, id="x**2"),
    pytest.param(lambda x: x**3, lambda x: x**3, id="x**3"),
    pytest.param(lambda x: x.abs() ** 0.5, lambda x: x.abs() ** 0.5, id="|x|**0.5"),
    pytest.param(lambda x: 2**x, lambda x: 2**x, id="2**x"),
    pytest.param(lambda x: 0.5**x, lambda x: 0.5**x, id="0.5**x"),
    pytest.param(lambda x: np.float64(1.5) * x, lambda x: 1.5 * x, id="np.float64*x"),
    pytest.param(lambda x: x - np.float64(1.5), lambda x: x - 1.5, id="x-np.float64"),
    pytest.param(lambda x: np.float64(2.0) / x, lambda x: 2.0 / x, id="np.float64/x"),
    pytest.param(lambda x: ARRAY + x, lambda x: T_ARRAY + x, id="ndarray+x"),
    pytest.param(lambda x: x + ARRAY[0], lambda x: x + T_ARRAY[0], id="x+ndarray-row"),
    pytest.param(lambda x: ARRAY - x, lambda x: T_ARRAY - x, id="ndarray-x"),
    pytest.param(lambda x: ARRAY * x, lambda x: T_ARRAY * x, id="ndarray*x"),
    pytest.param(lambda x: ARRAY / x, lambda x: T_ARRAY / x, id="ndarray/x"),
    pytest.param(lambda x: x / ARRAY[:, :1], lambda x: x / T_ARRAY[:, :1], id="x/ndarray-col"),
    pytest.param(lambda x: np.abs(ARRAY) ** x, lambda x: T_ARRAY.abs() ** x, id="ndarray**x"),
    pytest.param(lambda x: F.add(ARRAY, x), lambda x: T_ARRAY + x, id="F.add(ndarray,x)"),
    pytest.param(lambda x: F.sub(1.0, x), lambda x: 1.0 - x, id="F.sub(1.0,x)"),
    pytest.param(lambda x: F.div(1.0, x), lambda x: 1.0 / x, id="F.div(1.0,x)"),
    pytest.param(lambda x: F.power(2.0, x), lambda x: 2.0**x, id="F.power(2.0,x)"),
    pytest.param(lambda x: F.mul(x, ARRAY), lambda x: x * T_ARRAY, id="F.mul(x,ndarray)"),
]


@pytest.mark.parametrize("fn, torch_fn", SCALAR_OPS)
def test_scalar_and_array_operands_gradients(fn, torch_fn):
    check_gradients(fn, _away_from_zero((3, 4), seed=5))


@pytest.mark.parametrize("fn, torch_fn", SCALAR_OPS)
def test_scalar_and_array_operands_match_torch(fn, torch_fn):
    compare_with_torch(fn, torch_fn, _away_from_zero((3, 4), seed=5), **TORCH_TOL)


def test_reflected_operators_give_the_right_values():
    x = npl.Tensor([1.0, 2.0, 4.0], requires_grad=True)
    np.testing.assert_allclose((2 - x).data, [1.0, 0.0, -2.0])
    np.testing.assert_allclose((1 / x).data, [1.0, 0.5, 0.25])
    np.testing.assert_allclose((2**x).data, [2.0, 4.0, 16.0])
    np.testing.assert_allclose((np.array([1.0, 1.0, 1.0]) - x).data, [0.0, -1.0, -3.0])
    (2**x).sum().backward()
    np.testing.assert_allclose(x.grad, np.log(2.0) * np.array([2.0, 4.0, 16.0]), rtol=1e-6)
    assert isinstance(np.float64(3.0) - x, npl.Tensor)
    assert isinstance(np.ones(3) / x, npl.Tensor)


# -- dtypes: float32 stays float32 ---------------------------------------------------------------

F32_SCALAR_OPS = [
    pytest.param(lambda x, s: x + s, id="add"),
    pytest.param(lambda x, s: s - x, id="rsub"),
    pytest.param(lambda x, s: x * s, id="mul"),
    pytest.param(lambda x, s: s / x, id="rdiv"),
    pytest.param(lambda x, s: x**s, id="pow"),
    pytest.param(lambda x, s: s**x, id="rpow"),
    pytest.param(lambda x, s: F.maximum(x, s), id="maximum"),
    pytest.param(lambda x, s: F.minimum(s, x), id="minimum"),
    pytest.param(lambda x, s: F.where(x > 1.5, x, s), id="where"),
    pytest.param(lambda x, s: F.clip(x, s, 10.0), id="clip-low"),
    pytest.param(lambda x, s: F.clip(x, -10.0, s), id="clip-high"),
]
F32_SCALARS = [
    pytest.param(2.0, id="python-float"),
    pytest.param(np.float64(2.0), id="np.float64"),
    pytest.param(np.array(2.0), id="0d-float64-array"),
    pytest.param(np.full(3, 2.0), id="float64-array"),
]


@pytest.mark.parametrize("scalar", F32_SCALARS)
@pytest.mark.parametrize("op", F32_SCALAR_OPS)
def test_float32_with_float64_operand_stays_float32(op, scalar):
    x = npl.Tensor([1.0, 2.0, 3.0], requires_grad=True)
    out = op(x, scalar)
    assert out.dtype == np.float32
    out.sum().backward()
    assert x.grad.dtype == np.float32


@pytest.mark.parametrize("name", sorted(BINARY))
def test_float32_inputs_give_float32_outputs_and_gradients(name):
    fn, _ = BINARY[name]
    a_np, b_np = _binary_inputs(name, (3, 1), (4,))
    a = npl.Tensor(a_np, requires_grad=True)
    b = npl.Tensor(b_np, requires_grad=True)
    out = fn(a, b)
    assert out.dtype == np.float32
    out.sum().backward()
    assert a.grad.dtype == np.float32 and b.grad.dtype == np.float32


def _upstream_dtype_seen(fn, x):
    """The dtype of the gradient ``fn``'s backward hands to its input (not cast by the leaf)."""
    seen = []
    probe = make(x.data.copy(), (x,), lambda g: (seen.append(g.dtype) or g,))
    fn(probe).sum().backward()
    return seen[0]


@pytest.mark.parametrize(
    "fn",
    [
        pytest.param(lambda t: t * 2.0, id="mul"),
        pytest.param(lambda t: t / np.float64(3.0), id="div"),
        pytest.param(lambda t: 2.0**t, id="rpow"),
        pytest.param(lambda t: t.exp(), id="exp"),
        pytest.param(lambda t: t.abs(), id="abs"),
        pytest.param(lambda t: t.clip(0.5, 1.5), id="clip"),
        pytest.param(lambda t: F.maximum(t, 1.0), id="maximum"),
        pytest.param(lambda t: F.where(t > 1.0, t, 0.0), id="where"),
    ],
)
def test_backward_keeps_float32_through_the_tape(fn):
    x = npl.Tensor([0.5, 1.0, 2.0], requires_grad=True)
    assert _upstream_dtype_seen(fn, x) == np.float32


def test_float64_tensors_stay_float64():
    x = npl.Tensor([1.0, 2.0], requires_grad=True, dtype="float64")
    out = F.sqrt(x * 2.0 + np.float32(1.0))
    assert out.dtype == np.float64
    out.sum().backward()
    assert x.grad.dtype == np.float64


# -- comparisons ---------------------------------------------------------------------------------

COMPARISONS = [
    (F.equal, np.equal, lambda a, b: a == b),
    (F.not_equal, np.not_equal, lambda a, b: a != b),
    (F.less, np.less, lambda a, b: a < b),
    (F.less_equal, np.less_equal, lambda a, b: a <= b),
    (F.greater, np.greater, lambda a, b: a > b),
    (F.greater_equal, np.greater_equal, lambda a, b: a >= b),
]


@pytest.mark.parametrize("fn, np_fn, op", COMPARISONS, ids=lambda c: getattr(c, "__name__", ""))
def test_comparisons_give_bool_tensors_without_grad(fn, np_fn, op):
    a_np = np.array([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]])
    b_np = np.array([2.0, 2.0, 2.0])
    a = npl.Tensor(a_np, requires_grad=True)
    b = npl.Tensor(b_np, requires_grad=True)
    for out in (fn(a, b), op(a, b), op(a, 2.0), op(a, b_np)):
        assert isinstance(out, npl.Tensor)
        assert out.dtype == np.bool_
        assert not out.requires_grad
        np.testing.assert_array_equal(out.data, np_fn(a_np, b_np))


def test_reflected_comparison_with_scalar_on_the_left():
    x = npl.Tensor([1.0, 2.0, 3.0])
    np.testing.assert_array_equal((2.0 < x).data, [False, False, True])
    np.testing.assert_array_equal((2.0 >= x).data, [True, True, False])


def test_comparison_result_cannot_start_backward():
    x = npl.Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(ConfigError):
        (x > 1.0).backward(np.ones(2))


# -- cast ---------------------------------------------------------------------------------------
def test_cast_gradient_is_the_identity_in_the_input_dtype():
    # float64 -> float64 is a no-op, so the round trip through float32 is what is checked; the
    # step is wide because the float32 leg rounds to about 1e-7 (the function is linear anyway)
    check_gradients(lambda x: F.cast(F.cast(x, "float32"), "float64") * 3.0,
                    np.random.default_rng(0).standard_normal((3, 4)), eps=1e-2,
                    atol=1e-4)  # fmt: skip


@pytest.mark.parametrize("source, target", [("float64", "float32"), ("float32", "float64")])
def test_cast_matches_torch(source, target):
    x = np.random.default_rng(1).standard_normal((2, 5))
    ours = npl.Tensor(x, requires_grad=True, dtype=source)
    theirs = torch.tensor(x.astype(source), requires_grad=True)
    y, ref = F.cast(ours, target), theirs.to(getattr(torch, target))
    assert y.dtype == np.dtype(target)
    np.testing.assert_array_equal(y.data, ref.detach().numpy())
    upstream = np.random.default_rng(2).standard_normal(x.shape).astype(target)
    y.backward(upstream)
    ref.backward(torch.tensor(upstream))
    assert ours.grad.dtype == np.dtype(source)
    np.testing.assert_array_equal(ours.grad, theirs.grad.numpy())
    same = npl.Tensor(x, dtype=source)
    assert F.cast(same, source) is same
