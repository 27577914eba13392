"""The autodiff engine (neuropil/tensor.py): tape, backward, accumulation, no_grad, dtypes."""

import sys

import numpy as np
import pytest

import neuropil as npl
import neuropil.functional as F
from neuropil.errors import ConfigError, NeuropilError, ShapeError
from neuropil.tensor import is_grad_enabled, make, no_grad, unbroadcast
from tests.gradcheck import check_gradients

# -- construction and dtypes ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        pytest.param([[1, 2], [3, 4]], id="int-list"),
        pytest.param([1.5, 2.5], id="float-list"),
        pytest.param(np.arange(4.0), id="float64-array"),
        pytest.param(np.arange(4), id="int-array"),
        pytest.param(3.0, id="python-float"),
    ],
)
def test_default_dtype_is_float32(data):
    t = npl.Tensor(data)
    assert t.dtype == np.float32
    np.testing.assert_array_equal(t.data, np.asarray(data, dtype=np.float32))


def test_float64_on_request():
    t = npl.Tensor([1.0, 2.0], dtype="float64")
    assert t.dtype == np.float64
    assert npl.Tensor(np.float64(0.1), dtype=np.float64).item() == 0.1


def test_set_floatx_changes_the_default():
    npl.set_floatx("float64")
    assert npl.Tensor([1.0]).dtype == np.float64
    npl.set_floatx("float32")
    assert npl.Tensor([1.0]).dtype == np.float32


def test_properties():
    t = npl.Tensor(np.zeros((2, 3, 4)))
    assert (t.shape, t.ndim, t.size, len(t)) == ((2, 3, 4), 3, 24, 2)
    assert t.numpy() is t.data
    assert npl.Tensor([[7.0]]).item() == 7.0
    assert "requires_grad=True" in repr(npl.Tensor([1.0], requires_grad=True))
    assert "requires_grad" not in repr(npl.Tensor([1.0]))


def test_tensors_are_hashable_by_identity():
    a, b = npl.Tensor([1.0]), npl.Tensor([1.0])
    assert len({a, b, a}) == 2
    assert {a: 1, b: 2}[a] == 1


def test_integer_tensor_cannot_require_grad():
    with pytest.raises(ConfigError, match="float"):
        npl.Tensor(np.arange(3), dtype="int64", requires_grad=True)


def test_errors_are_also_builtin_exceptions():
    assert issubclass(ShapeError, ValueError) and issubclass(ShapeError, NeuropilError)
    assert issubclass(ConfigError, ValueError) and issubclass(ConfigError, NeuropilError)


@pytest.mark.parametrize(
    "scalar",
    [2.0, np.float64(2.0), np.array(2.0), np.float32(2.0), 2],
    ids=["python-float", "np.float64", "0d-float64", "np.float32", "int"],
)
def test_float32_chain_with_float64_scalars_stays_float32(scalar):
    x = npl.Tensor([[0.5, 1.0], [1.5, 2.0]], requires_grad=True)
    y = ((x * scalar + scalar) / scalar - scalar) ** scalar
    z = (scalar - y).exp().sum(axis=0) * scalar
    assert y.dtype == np.float32 and z.dtype == np.float32
    z.sum().backward()
    assert x.grad.dtype == np.float32


def test_float64_upstream_gradient_is_cast_to_the_tensor_dtype():
    x = npl.Tensor([1.0, 2.0], requires_grad=True)
    (x * 3.0).backward(np.array([1.0, 1.0], dtype=np.float64))
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad, [3.0, 3.0])


# -- backward basics -----------------------------------------------------------------------------


def test_backward_of_a_simple_expression():
    x = npl.Tensor([1.0, -2.0, 3.0], requires_grad=True)
    y = npl.Tensor([4.0, 5.0, -6.0], requires_grad=True)
    ((x * y + x) ** 2).sum().backward()
    xd, yd = x.data, y.data
    np.testing.assert_allclose(x.grad, 2 * (xd * yd + xd) * (yd + 1))
    np.testing.assert_allclose(y.grad, 2 * (xd * yd + xd) * xd)


def test_grad_has_the_shape_of_the_tensor():
    x = npl.Tensor(np.ones((3, 1)), requires_grad=True)
    (x + np.ones((2, 3, 4))).sum().backward()
    assert x.grad.shape == (3, 1)
    np.testing.assert_array_equal(x.grad, np.full((3, 1), 8.0))


def test_backward_on_a_leaf():
    x = npl.Tensor([1.0, 2.0], requires_grad=True)
    x.backward(np.array([3.0, 4.0]))
    np.testing.assert_array_equal(x.grad, [3.0, 4.0])


def test_backward_without_grad_on_one_element_tensor_uses_one():
    x = npl.Tensor([[2.0]], requires_grad=True)
    (x * 5.0).backward()
    np.testing.assert_array_equal(x.grad, [[5.0]])


def test_backward_on_non_scalar_without_grad_raises_shape_error():
    x = npl.Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(ShapeError, match=r"\(2,\)"):
        (x * 2).backward()
    assert x.grad is None


def test_backward_with_wrong_gradient_shape_raises_shape_error():
    x = npl.Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(ShapeError, match="Received"):
        (x * 2).backward(np.ones(3))
    assert x.grad is None


def test_backward_on_tensor_without_grad_raises_config_error():
    x = npl.Tensor([1.0, 2.0])
    with pytest.raises(ConfigError, match="requires_grad"):
        (x * 2).sum().backward()
    with pytest.raises(ConfigError):
        x.backward(np.ones(2))


def test_inputs_without_requires_grad_get_no_grad():
    x = npl.Tensor([1.0, 2.0], requires_grad=True)
    c = npl.Tensor([3.0, 4.0])
    (x * c + c).sum().backward()
    assert c.grad is None
    np.testing.assert_array_equal(x.grad, [3.0, 4.0])


def test_result_requires_grad_only_if_an_input_does():
    a, b = npl.Tensor([1.0]), npl.Tensor([2.0], requires_grad=True)
    assert not (a * 2).requires_grad
    assert (a * b).requires_grad
    assert (a * 2)._parents == ()


# -- accumulation --------------------------------------------------------------------------------


def test_gradients_accumulate_across_two_backward_calls():
    x = npl.Tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    np.testing.assert_array_equal(x.grad, [2.0, 4.0, 6.0])
    y.backward()
    np.testing.assert_array_equal(x.grad, [4.0, 8.0, 12.0])
    (x * 10.0).sum().backward()  # a second graph adds too
    np.testing.assert_array_equal(x.grad, [14.0, 18.0, 22.0])


def test_zero_grad_forgets():
    x = npl.Tensor([1.0, 2.0], requires_grad=True)
    (x * 3.0).sum().backward()
    x.zero_grad()
    assert x.grad is None
    (x * 2.0).sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 2.0])


def test_backward_does_not_alias_the_upstream_gradient():
    x = npl.Tensor([1.0, 2.0], requires_grad=True)
    upstream = np.array([1.0, 1.0], dtype=np.float32)
    y = x + 0.0
    y.backward(upstream)
    y.backward(upstream)
    np.testing.assert_array_equal(upstream, [1.0, 1.0])  # caller's array untouched
    np.testing.assert_array_equal(x.grad, [2.0, 2.0])
    assert not np.shares_memory(x.grad, upstream)


def test_two_leaves_of_one_op_do_not_share_a_grad_buffer():
    a = npl.Tensor([1.0, 2.0], requires_grad=True)
    b = npl.Tensor([3.0, 4.0], requires_grad=True)
    (a + b).sum().backward()  # add hands the same g to both parents
    a.grad += 100.0
    np.testing.assert_array_equal(b.grad, [1.0, 1.0])


def test_broadcast_leaf_gradient_is_writable():
    x = npl.Tensor(np.ones((2, 3)), requires_grad=True)
    x.sum().backward()  # sum's backward is a read-only broadcast view
    x.grad *= 0.5  # an optimizer may scale it in place
    np.testing.assert_array_equal(x.grad, np.full((2, 3), 0.5))


# -- shared nodes (diamonds) ---------------------------------------------------------------------


def test_tensor_used_twice_gets_summed_gradient():
    x = npl.Tensor([1.0, -2.0, 3.0], requires_grad=True)
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad, 2 * x.data)


def test_leaf_diamond():
    x = npl.Tensor([0.5, 1.0], requires_grad=True, dtype="float64")
    a = x * 2.0
    b = x.exp()
    (a * b).sum().backward()
    np.testing.assert_allclose(x.grad, 2 * np.exp(x.data) + 2 * x.data * np.exp(x.data))


def test_interior_diamond():
    x = npl.Tensor([0.5, 1.0], requires_grad=True, dtype="float64")
    h = x * 3.0  # interior node consumed by two branches
    y = h.exp() + h * h
    y.sum().backward()
    hd = 3 * x.data
    np.testing.assert_allclose(x.grad, 3 * (np.exp(hd) + 2 * hd))


def test_interior_diamond_gradcheck():
    def fn(x):
        h = (x * 2.0).exp()
        a = h.sum(axis=1, keepdims=True)
        return (h / a) * h.sqrt()

    check_gradients(fn, np.random.default_rng(0).uniform(-1, 1, (3, 4)))


@pytest.mark.parametrize(
    "expr, expected",
    [
        pytest.param(lambda h: h * 3.0 + h, 8.0, id="sibling-first"),
        pytest.param(
            lambda h: h + h * 3.0,
            8.0,
            id="direct-first",
        ),
        pytest.param(
            lambda h: F.concatenate([h, h.exp()]),
            None,
            id="concat-direct-first",
        ),
        pytest.param(
            lambda h: h + F.relu(h),  # a residual connection
            4.0,
            id="residual",
        ),
    ],
)
def test_interior_node_used_directly_and_through_a_sibling(expr, expected):
    x = npl.Tensor([1.0, 2.0], requires_grad=True, dtype="float64")
    h = x * 2.0
    expr(h).sum().backward()
    if expected is None:  # d/dx sum(2x) + sum(exp(2x)) = 2 + 2 exp(2x)
        expected = 2.0 + 2.0 * np.exp(2.0 * x.data)
    np.testing.assert_allclose(x.grad, np.broadcast_to(expected, (2,)))


def test_residual_block_gradcheck():
    def fn(x):
        h = x * 1.5
        return h + (h * h).sqrt()

    check_gradients(fn, np.random.default_rng(0).uniform(0.5, 1.5, (3,)))


# -- topological order: every interior node once, after all its consumers -------------------------


def _probe(t, name, log):
    """An identity op that records when its backward runs."""

    def backward(g):
        log.append(name)
        return (g,)

    return make(t.data, (t,), backward)


def _graph(log, swap=False):
    x = npl.Tensor(np.arange(1.0, 4.0), requires_grad=True, dtype="float64")
    a = _probe(x * 2.0, "a", log)
    b = _probe(a.exp(), "b", log)
    c = _probe(a * 3.0, "c", log)
    d = _probe(b + c if not swap else c + b, "d", log)
    e = _probe(d * b, "e", log)
    return x, (e * c).sum()


def test_backward_order_is_topological_and_each_node_runs_once():
    log = []
    x, loss = _graph(log)
    loss.backward()
    assert sorted(log) == ["a", "b", "c", "d", "e"]  # each node's backward once
    consumers = {"a": "bc", "b": "de", "c": "d", "d": "e", "e": ""}
    for node, users in consumers.items():
        for user in users:
            assert log.index(user) < log.index(node), f"{node} ran before its consumer {user}"
    a = 2.0 * x.data
    b, c = np.exp(a), 3.0 * a
    # loss = (b + c) * b * c;  dloss/da via the chain rule
    dl_db = (2 * b + c) * c
    dl_dc = (b + c) * b + b * c
    np.testing.assert_allclose(x.grad, 2.0 * (dl_db * b + dl_dc * 3.0))


def test_backward_order_and_values_are_deterministic():
    runs = []
    for _ in range(3):
        log = []
        x, loss = _graph(log)
        loss.backward()
        runs.append((tuple(log), x.grad.tobytes()))
    assert runs[0] == runs[1] == runs[2]
    log_swapped = []
    x, loss = _graph(log_swapped, swap=True)
    loss.backward()
    assert sorted(log_swapped) == sorted(runs[0][0])


def test_backward_order_is_topological_when_a_parent_is_also_a_grandparent():
    log = []
    x = npl.Tensor([1.0, 2.0], requires_grad=True)
    h = _probe(x * 2.0, "h", log)
    m = _probe(h * 3.0, "m", log)
    (h + m).sum().backward()
    assert log == ["m", "h"]


# -- deep graphs ---------------------------------------------------------------------------------


def test_deep_chain_backpropagates_without_recursion_error():
    depth = 5_000
    assert depth > sys.getrecursionlimit() // 2
    x = npl.Tensor([1.0, 2.0], requires_grad=True, dtype="float64")
    y = x
    for _ in range(depth):
        y = y * 1.0001
    y.sum().backward()
    np.testing.assert_allclose(x.grad, np.full(2, 1.0001**depth), rtol=1e-9)


def test_deep_chain_of_mixed_ops():
    x = npl.Tensor([0.3], requires_grad=True, dtype="float64")
    y = x
    for i in range(5_000):
        y = (y + 0.001) if i % 2 else (y * 1.0)
    y.backward()
    np.testing.assert_allclose(x.grad, [1.0])
    np.testing.assert_allclose(y.data, [0.3 + 2.5])


# -- no_grad -------------------------------------------------------------------------------------


def test_no_grad_records_nothing():
    w = npl.Tensor([1.0, 2.0], requires_grad=True)
    with no_grad():
        assert not is_grad_enabled()
        y = (w * 2.0 + 1.0).exp().sum()
        z = F.matmul(w, w)
    assert is_grad_enabled()
    for t in (y, z):
        assert not t.requires_grad
        assert t._parents == () and t._backward is None
    with pytest.raises(ConfigError):
        y.backward()
    assert w.grad is None


def test_no_grad_is_exported_at_top_level():
    assert npl.no_grad is no_grad and npl.is_grad_enabled is is_grad_enabled


def test_no_grad_restores_state_after_an_exception():
    with pytest.raises(RuntimeError, match="boom"):
        with no_grad():
            raise RuntimeError("boom")
    assert is_grad_enabled()
    w = npl.Tensor([1.0], requires_grad=True)
    assert (w * 2.0).requires_grad


def test_nested_no_grad_restores_the_outer_state():
    with no_grad():
        with no_grad():
            pass
        assert not is_grad_enabled()
    assert is_grad_enabled()


def test_ops_built_before_no_grad_still_backpropagate():
    w = npl.Tensor([1.0, 2.0], requires_grad=True)
    y = (w * 3.0).sum()
    with no_grad():
        y.backward()  # no_grad stops recording, not backward
    np.testing.assert_array_equal(w.grad, [3.0, 3.0])


def test_in_place_update_under_no_grad():
    w = npl.Tensor([1.0, 2.0], requires_grad=True)
    (w * w).sum().backward()
    with no_grad():
        w.data -= 0.5 * w.grad
    np.testing.assert_array_equal(w.data, [0.0, 0.0])
    assert w.requires_grad and w._backward is None


# -- detach --------------------------------------------------------------------------------------


def test_detach_cuts_the_graph():
    x = npl.Tensor([1.0, 2.0], requires_grad=True)
    d = x.detach()
    assert not d.requires_grad and d._backward is None
    assert np.shares_memory(d.data, x.data)
    (d * x).sum().backward()
    np.testing.assert_array_equal(x.grad, x.data)  # not 2x: the detached branch is constant


def test_detach_of_an_interior_node():
    x = npl.Tensor([1.0, 2.0], requires_grad=True)
    h = x * 3.0
    (h.detach() * h).sum().backward()
    np.testing.assert_array_equal(x.grad, 3.0 * h.data)
    with pytest.raises(ConfigError):
        (h.detach() * 2.0).sum().backward()


# -- comparisons ---------------------------------------------------------------------------------


def test_comparisons_give_bool_tensors_without_grad():
    x = npl.Tensor([1.0, 2.0, 3.0], requires_grad=True)
    for out in (x > 2.0, x >= 2.0, x < 2.0, x <= 2.0, x == 2.0, x != 2.0, x > x):
        assert isinstance(out, npl.Tensor)
        assert out.dtype == np.bool_
        assert not out.requires_grad and out._backward is None
    np.testing.assert_array_equal((x >= 2.0).data, [False, True, True])
    np.testing.assert_array_equal((x != 2.0).data, [True, False, True])


def test_comparison_used_as_a_mask_keeps_the_gradient_path():
    x = npl.Tensor([-1.0, 2.0, -3.0, 4.0], requires_grad=True)
    (x * (x > 0)).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 1.0, 0.0, 1.0])


# -- unbroadcast ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "g_shape, shape",
    [((2, 3), (2, 3)), ((4, 2, 3), (2, 3)), ((2, 3), (1, 3)), ((5, 2, 3), (2, 1)), ((3,), ())],
)
def test_unbroadcast_sums_back_to_the_input_shape(g_shape, shape):
    g = np.random.default_rng(0).standard_normal(g_shape)
    out = np.asarray(unbroadcast(g, shape))
    assert out.shape == shape
    np.testing.assert_allclose(out.sum(), g.sum())
    # unbroadcast is the adjoint of broadcasting: <unbroadcast(g), v> == <g, broadcast(v)>
    v = np.random.default_rng(1).standard_normal(shape)
    np.testing.assert_allclose((out * v).sum(), (g * np.broadcast_to(v, g_shape)).sum())
