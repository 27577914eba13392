import functools
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import neuropil as npl
import neuropil.functional as F
from neuropil.errors import ConfigError, ShapeError
from neuropil.functional import activations as A
from tests.gradcheck import check_gradients, compare_with_torch

# Kinks (points where the derivative jumps) of each activation; inputs keep away from them.
KINKS = {"relu": [0], "relu6": [0, 6], "hard_sigmoid": [-3, 3], "leaky_relu": [0],
         "leaky_relu_01": [0], "elu": [0], "elu_05": [0], "selu": [0]}  # fmt: skip

# name -> (neuropil function, PyTorch reference, rtol, atol) for float32 comparisons
UNARY = {
    "linear": (A.linear, lambda t: t, 0, 0),
    "sigmoid": (F.sigmoid, torch.sigmoid, 1e-6, 1e-7),
    "tanh": (F.tanh, torch.tanh, 1e-6, 1e-7),
    "relu": (F.relu, torch.relu, 0, 0),
    "relu6": (F.relu6, TF.relu6, 0, 0),
    "leaky_relu": (F.leaky_relu, functools.partial(TF.leaky_relu, negative_slope=0.2), 1e-7, 0),
    "leaky_relu_01": (
        functools.partial(F.leaky_relu, negative_slope=0.1),
        functools.partial(TF.leaky_relu, negative_slope=0.1),
        1e-7,
        0,
    ),
    "elu": (F.elu, TF.elu, 1e-6, 1e-7),
    "elu_05": (
        functools.partial(F.elu, alpha=0.5),
        functools.partial(TF.elu, alpha=0.5),
        1e-6,
        1e-7,
    ),  # fmt: skip
    "selu": (F.selu, TF.selu, 1e-6, 1e-7),
    "silu": (F.silu, TF.silu, 1e-6, 1e-7),
    "swish": (F.swish, TF.silu, 1e-6, 1e-7),
    "softplus": (F.softplus, TF.softplus, 1e-6, 1e-7),
    "softsign": (F.softsign, TF.softsign, 1e-6, 1e-7),
    "hard_sigmoid": (F.hard_sigmoid, TF.hardsigmoid, 1e-6, 1e-7),
    "exponential": (F.exponential, torch.exp, 1e-6, 1e-7),
    "mish": (F.mish, TF.mish, 1e-5, 1e-6),
    # float32 gelu uses a rational approximation of erf good to 1.5e-7 (see functional/gelu.py)
    "gelu": (F.gelu, TF.gelu, 1e-6, 1e-6),
    "gelu_tanh": (
        functools.partial(F.gelu, approximate=True),
        functools.partial(TF.gelu, approximate="tanh"),
        1e-6,
        3e-6,  # PyTorch's float32 1 + tanh(u) near tanh(u) = -1; see tests/functional/test_gelu.py
    ),  # fmt: skip
    "softmax": (F.softmax, functools.partial(torch.softmax, dim=-1), 1e-5, 1e-7),
    "softmax_axis0": (
        functools.partial(F.softmax, axis=0),
        functools.partial(torch.softmax, dim=0),
        1e-5,
        1e-7,
    ),  # fmt: skip
    "log_softmax": (F.log_softmax, functools.partial(TF.log_softmax, dim=-1), 1e-5, 1e-6),
    "log_softmax_axis0": (
        functools.partial(F.log_softmax, axis=0),
        functools.partial(TF.log_softmax, dim=0),
        1e-5,
        1e-6,
    ),  # fmt: skip
}


def smooth_input(name, shape=(4, 5), seed=0, scale=3.0):
    """Random inputs at least 0.05 away from the kinks of ``name``."""
    x = np.random.default_rng(seed).standard_normal(shape) * scale
    for k in KINKS.get(name, []):
        near = np.abs(x - k) < 0.05
        x[near] = k + np.where(x[near] >= k, 0.1, -0.1)
    return x


@pytest.mark.parametrize("name", sorted(UNARY))
def test_gradient_matches_central_differences(name):
    fn = UNARY[name][0]
    check_gradients(fn, smooth_input(name))


@pytest.mark.parametrize("name", sorted(UNARY))
def test_forward_and_backward_match_torch(name):
    fn, ref, rtol, atol = UNARY[name]
    compare_with_torch(fn, ref, smooth_input(name, seed=3), rtol=rtol, atol=max(atol, 1e-7))


@pytest.mark.parametrize("name", ["relu", "relu6", "leaky_relu", "elu", "elu_05", "selu",
                                  "hard_sigmoid"])  # fmt: skip
def test_derivative_at_kinks_follows_pytorch(name):
    fn, ref, rtol, atol = UNARY[name]
    x = np.array([-3.0, -1.0, 0.0, 0.0, 1.0, 3.0, 6.0, 7.0])
    compare_with_torch(fn, ref, x, rtol=max(rtol, 1e-6), atol=1e-7)


def test_conventions_at_zero():
    x = npl.Tensor([0.0], requires_grad=True)
    for fn, expected in [(F.relu, 0.0), (F.leaky_relu, 0.2), (F.elu, 1.0),
                         (functools.partial(F.elu, alpha=0.5), 0.5)]:  # fmt: skip
        x.zero_grad()
        fn(x).sum().backward()
        assert x.grad[0] == pytest.approx(expected)


@pytest.mark.parametrize("fn", [F.step, F.sign])
def test_step_and_sign_have_zero_gradient(fn):
    x = npl.Tensor([[-2.0, -0.5, 0.0, 0.5, 3.0]], requires_grad=True, dtype="float64")
    fn(x).backward(np.array([[1.0, 2.0, 3.0, 4.0, 5.0]]))
    assert x.grad is not None
    np.testing.assert_array_equal(x.grad, np.zeros_like(x.data))


def test_step_matches_heaviside():
    x = np.array([-2.0, -1e-7, 0.0, 1e-7, 4.0], dtype=np.float32)
    expected = torch.heaviside(torch.tensor(x), torch.tensor(1.0)).numpy()
    np.testing.assert_array_equal(F.step(npl.Tensor(x)).data, expected)


def test_sign_matches_torch():
    compare_with_torch(F.sign, torch.sign, np.array([-2.0, -1e-7, 0.0, 1e-7, 4.0]), atol=0)


def test_leaky_relu_default_slope_is_keras_0_2():
    np.testing.assert_allclose(F.leaky_relu(npl.Tensor([-10.0, 10.0])).data, [-2.0, 10.0])


def test_selu_constants_match_torch():
    x = np.array([-2.0, 1.0])
    np.testing.assert_allclose(F.selu(npl.Tensor(x, dtype="float64")).data,
                               TF.selu(torch.tensor(x)).numpy(), rtol=1e-15)  # fmt: skip


def test_softmax_rows_sum_to_one():
    y = F.softmax(npl.Tensor(smooth_input("softmax", (6, 7)), dtype="float64"), axis=1)
    np.testing.assert_allclose(y.data.sum(axis=1), np.ones(6), rtol=1e-12)


# -- prelu ------------------------------------------------------------------------------------
def test_prelu_gradients_to_input_and_alpha():
    x = smooth_input("relu", (5, 3))
    alpha = np.array([0.1, 0.25, -0.5])
    check_gradients(F.prelu, x, alpha)


def test_prelu_matches_torch_per_channel():
    x = smooth_input("relu", (6, 4), seed=5)
    alpha = np.array([0.1, 0.2, 0.3, 0.4])
    compare_with_torch(F.prelu, TF.prelu, x, alpha, rtol=1e-6, atol=1e-7)


def test_prelu_matches_torch_with_one_slope_and_at_zero():
    x = np.array([[-1.0, 0.0, 2.0], [0.0, -3.0, 0.5]])
    compare_with_torch(F.prelu, TF.prelu, x, np.array([0.25]), rtol=1e-6, atol=1e-7)


def test_prelu_channels_last_image_alpha():
    # Keras' PReLU has one slope per non-batch element: alpha of shape x.shape[1:].
    x = smooth_input("relu", (2, 3, 3, 2), seed=7)
    alpha = np.random.default_rng(1).uniform(0, 0.5, size=(3, 3, 2))
    compare_with_torch(F.prelu, lambda t, a: torch.where(t > 0, t, a * t), x, alpha,
                       rtol=1e-6, atol=1e-7)  # fmt: skip


def test_prelu_rejects_alpha_that_grows_the_input():
    with pytest.raises(ShapeError, match="prelu.*Received: alpha of shape"):
        F.prelu(npl.Tensor(np.ones((2, 3))), npl.Tensor(np.ones((4, 2, 3))))
    with pytest.raises(ShapeError):
        F.prelu(npl.Tensor(np.ones((2, 3))), npl.Tensor(np.ones(2)))


def test_prelu_float32_with_float64_alpha_stays_float32():
    x = npl.Tensor([-1.0, 2.0], requires_grad=True)
    a = npl.Tensor([0.5], dtype="float64", requires_grad=True)
    y = F.prelu(x, a)
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32 and a.grad.dtype == np.float64
    np.testing.assert_allclose(a.grad, [-1.0])


# -- maxout -----------------------------------------------------------------------------------
def torch_maxout(pieces):
    return lambda t: t.reshape(*t.shape[:-1], t.shape[-1] // pieces, pieces).amax(dim=-1)


@pytest.mark.parametrize("pieces,shape", [(2, (3, 6)), (3, (2, 2, 6)), (1, (4, 3))])
def test_maxout_gradient_and_torch(pieces, shape):
    x = np.random.default_rng(pieces).permutation(np.prod(shape)).reshape(shape) / 7.0 - 1
    check_gradients(lambda t: F.maxout(t, pieces), x)
    compare_with_torch(lambda t: F.maxout(t, pieces), torch_maxout(pieces), x, atol=0)
    assert F.maxout(npl.Tensor(x), pieces).shape == shape[:-1] + (shape[-1] // pieces,)


def test_maxout_splits_ties_evenly_like_amax():
    x = np.array([[1.0, 1.0, 0.0, 2.0, 2.0, 2.0]])
    compare_with_torch(lambda t: F.maxout(t, 3), torch_maxout(3), x, atol=1e-7)
    t = npl.Tensor(x, requires_grad=True)
    F.maxout(t, 3).sum().backward()
    np.testing.assert_allclose(t.grad, [[0.5, 0.5, 0.0, 1 / 3, 1 / 3, 1 / 3]], rtol=1e-6)


def test_maxout_groups_are_consecutive_features():
    y = F.maxout(npl.Tensor([[0.0, 9.0, 1.0, 2.0]]), 2)
    np.testing.assert_array_equal(y.data, [[9.0, 2.0]])


def test_maxout_bad_arguments():
    with pytest.raises(ShapeError, match="divisible by pieces=4.*Received: input of shape"):
        F.maxout(npl.Tensor(np.ones((2, 6))), 4)
    for pieces in (0, -2, 2.0, True):
        with pytest.raises(ConfigError, match="pieces"):
            F.maxout(npl.Tensor(np.ones((2, 6))), pieces)


# -- dtypes, stability, logits, errors --------------------------------------------------------
ALL = {name: spec[0] for name, spec in UNARY.items()}
ALL.update(step=F.step, sign=F.sign, maxout=lambda t: F.maxout(t, 5),
           prelu=lambda t: F.prelu(t, npl.Tensor([0.3], dtype="float64")),
           leaky_relu_np64=lambda t: F.leaky_relu(t, np.float64(0.1)),
           elu_np64=lambda t: F.elu(t, np.float64(0.7)))  # fmt: skip


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", sorted(ALL))
def test_dtype_is_kept(name, dtype):
    x = npl.Tensor(smooth_input("relu"), dtype=dtype, requires_grad=True)
    y = ALL[name](x)
    assert y.dtype == np.dtype(dtype)
    y.backward(np.ones(y.shape, dtype=dtype))
    assert x.grad.dtype == np.dtype(dtype)


@pytest.mark.parametrize("name", ["sigmoid", "softplus", "softmax", "log_softmax", "silu",
                                  "mish", "elu", "selu", "tanh", "softsign", "gelu",
                                  "gelu_tanh"])  # fmt: skip
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_stable_at_large_magnitudes(name, dtype):
    x = npl.Tensor([[1000.0, -1000.0, 0.0], [-1000.0, -1000.0, 1000.0]], dtype=dtype,
                   requires_grad=True)  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # overflow in exp would warn
        with np.errstate(over="raise", divide="raise", invalid="raise"):
            y = ALL[name](x)
            y.backward(np.ones(y.shape, dtype=dtype))
    assert np.all(np.isfinite(y.data)) and np.all(np.isfinite(x.grad))


def test_stable_values_at_large_magnitudes():
    x = npl.Tensor([1000.0, -1000.0])
    np.testing.assert_array_equal(F.sigmoid(x).data, [1.0, 0.0])
    np.testing.assert_array_equal(F.softplus(x).data, [1000.0, 0.0])
    np.testing.assert_array_equal(F.softmax(x).data, [1.0, 0.0])
    np.testing.assert_array_equal(F.log_softmax(x).data, [0.0, -2000.0])


def test_sigmoid_and_softmax_remember_logits():
    x = npl.Tensor(np.ones((2, 3)), requires_grad=True)
    assert F.sigmoid(x)._logits[0] == "sigmoid" and F.sigmoid(x)._logits[1] is x
    for axis in (-1, 1):
        kind, logits = F.softmax(x, axis=axis)._logits
        assert kind == "softmax" and logits is x
    assert F.softmax(x, axis=0)._logits is None
    assert F.relu(x)._logits is None and F.log_softmax(x)._logits is None


def test_softmax_bad_axis():
    with pytest.raises(ShapeError, match="softmax expects axis.*Received: axis=2"):
        F.softmax(npl.Tensor(np.ones((2, 3))), axis=2)
    with pytest.raises(ConfigError, match="Received: axis=0.5"):
        F.log_softmax(npl.Tensor(np.ones((2, 3))), axis=0.5)


def test_bad_parameters():
    with pytest.raises(ConfigError, match="negative_slope.*Received: 'a'"):
        F.leaky_relu(npl.Tensor([1.0]), "a")
    with pytest.raises(ConfigError, match="alpha"):
        F.elu(npl.Tensor([1.0]), None)


def test_no_tape_without_requires_grad():
    for fn in ALL.values():
        assert not fn(npl.Tensor(np.ones((2, 5)))).requires_grad
    with npl.no_grad():
        assert not F.relu(npl.Tensor([1.0], requires_grad=True)).requires_grad


@pytest.mark.parametrize("name", ["sigmoid", "leaky_relu", "leaky_relu_01", "elu", "elu_05",
                                  "selu", "softplus", "relu"])  # fmt: skip
def test_infinite_inputs_follow_torch(name):
    # these activations blend their two sides by arithmetic rather than np.where; an infinity
    # times the side's zero weight would give NaN where the other side's value belongs
    fn, ref, rtol, atol = UNARY[name]
    x = np.array([-np.inf, -3.0, -0.5, 0.5, 3.0, np.inf])
    compare_with_torch(fn, ref, x, rtol=max(rtol, 1e-6), atol=1e-7)


def test_prelu_with_infinite_inputs_follows_torch():
    x = np.array([[-np.inf, -2.0, 0.5, np.inf]])
    compare_with_torch(
        lambda t, a: F.prelu(t, a), lambda t, a: TF.prelu(t, a), x, np.array([0.25]), atol=1e-7
    )
