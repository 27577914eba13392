"""BatchNormalization: gradients, PyTorch parity and Keras's moving-statistics rule.

Keras updates ``moving = momentum * moving + (1 - momentum) * batch_stat`` with momentum 0.99 and
the biased batch variance; PyTorch uses ``running = (1 - m) * running + m * batch_stat`` with
m = 0.1 and the unbiased variance. Outputs and gradients are compared with PyTorch; the moving
statistics with the Keras formula written out by hand.
"""

import numpy as np
import pytest
import torch

from neuropil.errors import ConfigError, ShapeError
from neuropil.layers import BatchNormalization
from tests.layers.test_base import forward_backward, gradcheck_layer

TOLERANCE = {"float64": 1e-10, "float32": 3e-5}
SHAPES = {"NC": (8, 3), "NHWC": (3, 4, 3, 2)}


def _batch(rng, shape):
    return rng.standard_normal(shape) * rng.uniform(0.5, 3.0, shape[-1]) + rng.normal(
        2, 1, shape[-1]
    )


def _params(rng, channels):
    """gamma, beta, moving_mean, moving_variance, all away from their initial values."""
    return [
        rng.uniform(0.5, 1.5, channels),
        rng.standard_normal(channels),
        rng.standard_normal(channels),
        rng.uniform(0.5, 2.0, channels),
    ]


def _layer(shape, dtype, rng, **kwargs):
    layer = BatchNormalization(dtype=dtype, **kwargs)
    layer.build_for(shape[1:])
    params = _params(rng, shape[-1])  # gamma, beta, moving mean, moving variance
    present = (kwargs.get("scale", True), kwargs.get("center", True), True, True)
    layer.set_weights([p for p, on in zip(params, present, strict=True) if on])
    return layer, params


def _torch_bn(shape, dtype, params, momentum=0.1, epsilon=1e-3):
    cls = torch.nn.BatchNorm1d if len(shape) == 2 else torch.nn.BatchNorm2d
    bn = cls(shape[-1], eps=epsilon, momentum=momentum, dtype=getattr(torch, dtype))
    with torch.no_grad():
        for tensor, value in zip(
            (bn.weight, bn.bias, bn.running_mean, bn.running_var), params, strict=True
        ):
            tensor.copy_(torch.tensor(value))
    return bn


def _channels_first(x):
    return x.permute(0, x.ndim - 1, *range(1, x.ndim - 1)) if x.ndim > 2 else x


def _channels_last(x):
    return x.permute(0, *range(2, x.ndim), 1) if x.ndim > 2 else x


# -- gradients ---------------------------------------------------------------------------------


@pytest.mark.parametrize("training", [True, False], ids=["training", "inference"])
@pytest.mark.parametrize("layout", sorted(SHAPES))
def test_gradcheck(layout, training):
    rng = np.random.default_rng(0)
    shape = SHAPES[layout]
    layer, _ = _layer(shape, "float64", rng)
    moving_before = layer.get_weights()[2:]
    checked = gradcheck_layer(layer, _batch(rng, shape), training=training)
    assert checked == ["gamma", "beta"]
    for a, b in zip(moving_before, layer.get_weights()[2:]):  # the helper restored them
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("training", [True, False], ids=["training", "inference"])
@pytest.mark.parametrize("center, scale", [(False, True), (True, False), (False, False)])
def test_gradcheck_without_center_or_scale(center, scale, training):
    rng = np.random.default_rng(1)
    shape = SHAPES["NHWC"]
    layer, _ = _layer(shape, "float64", rng, center=center, scale=scale)
    checked = gradcheck_layer(layer, _batch(rng, shape), training=training)
    assert checked == [n for n, on in (("gamma", scale), ("beta", center)) if on]


# -- PyTorch parity ----------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("layout", sorted(SHAPES))
def test_training_matches_torch(layout, dtype):
    rng = np.random.default_rng(2)
    shape = SHAPES[layout]
    x, upstream = _batch(rng, shape), rng.standard_normal(shape)
    layer, params = _layer(shape, dtype, rng)
    out, gx, grads = forward_backward(layer, x, upstream, training=True)

    bn = _torch_bn(shape, dtype, params).train()
    xt = torch.tensor(x, dtype=getattr(torch, dtype), requires_grad=True)
    ref = _channels_last(bn(_channels_first(xt)))
    ref.backward(torch.tensor(upstream, dtype=ref.dtype))

    tol = dict(atol=TOLERANCE[dtype], rtol=TOLERANCE[dtype])
    assert out.dtype == np.dtype(dtype)
    np.testing.assert_allclose(out, ref.detach().numpy(), **tol, err_msg="forward")
    np.testing.assert_allclose(gx, xt.grad.numpy(), **tol, err_msg="input gradient")
    np.testing.assert_allclose(grads["gamma"], bn.weight.grad.numpy(), **tol, err_msg="gamma")
    np.testing.assert_allclose(grads["beta"], bn.bias.grad.numpy(), **tol, err_msg="beta")


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("layout", sorted(SHAPES))
def test_inference_matches_torch_eval(layout, dtype):
    rng = np.random.default_rng(3)
    shape = SHAPES[layout]
    x, upstream = _batch(rng, shape), rng.standard_normal(shape)
    layer, params = _layer(shape, dtype, rng)
    out, gx, grads = forward_backward(layer, x, upstream, training=False)

    bn = _torch_bn(shape, dtype, params).eval()
    xt = torch.tensor(x, dtype=getattr(torch, dtype), requires_grad=True)
    ref = _channels_last(bn(_channels_first(xt)))
    ref.backward(torch.tensor(upstream, dtype=ref.dtype))

    tol = dict(atol=TOLERANCE[dtype], rtol=TOLERANCE[dtype])
    np.testing.assert_allclose(out, ref.detach().numpy(), **tol, err_msg="forward")
    np.testing.assert_allclose(gx, xt.grad.numpy(), **tol, err_msg="input gradient")
    np.testing.assert_allclose(grads["gamma"], bn.weight.grad.numpy(), **tol, err_msg="gamma")
    np.testing.assert_allclose(grads["beta"], bn.bias.grad.numpy(), **tol, err_msg="beta")
    for a, b in zip(params[2:], layer.get_weights()[2:]):  # inference leaves them alone
        np.testing.assert_array_equal(a.astype(dtype), b)


# -- moving statistics -------------------------------------------------------------------------


@pytest.mark.parametrize("layout", sorted(SHAPES))
def test_moving_statistics_follow_keras_rule(layout):
    rng = np.random.default_rng(4)
    shape = SHAPES[layout]
    layer, params = _layer(shape, "float64", rng)
    moving_mean, moving_var = params[2].copy(), params[3].copy()
    axes = tuple(range(len(shape) - 1))
    for _ in range(3):
        x = _batch(rng, shape)
        layer(x, training=True)
        moving_mean = 0.99 * moving_mean + 0.01 * x.mean(axis=axes)
        moving_var = 0.99 * moving_var + 0.01 * x.var(axis=axes)  # biased (ddof=0)
        np.testing.assert_allclose(layer.moving_mean.data, moving_mean, rtol=1e-12)
        np.testing.assert_allclose(layer.moving_variance.data, moving_var, rtol=1e-12)


@pytest.mark.parametrize("layout", sorted(SHAPES))
def test_moving_statistics_against_torch_running_statistics(layout):
    """torch momentum 0.01 is Keras momentum 0.99; torch's variance is unbiased."""
    rng = np.random.default_rng(5)
    shape = SHAPES[layout]
    m = int(np.prod(shape[:-1]))  # values per channel
    layer, params = _layer(shape, "float64", rng)
    bn = _torch_bn(shape, "float64", params, momentum=0.01).train()
    expected_var = params[3].copy()
    for _ in range(3):
        x = _batch(rng, shape)
        layer(x, training=True)
        before = bn.running_var.clone().numpy()
        with torch.no_grad():
            bn(_channels_first(torch.tensor(x)))
        unbiased = (bn.running_var.numpy() - 0.99 * before) / 0.01
        expected_var = 0.99 * expected_var + 0.01 * unbiased * (m - 1) / m
        np.testing.assert_allclose(layer.moving_mean.data, bn.running_mean.numpy(), rtol=1e-12)
        np.testing.assert_allclose(layer.moving_variance.data, expected_var, rtol=1e-10)
    assert not np.allclose(layer.moving_variance.data, bn.running_var.numpy(), rtol=1e-6)


def test_custom_momentum():
    layer = BatchNormalization(momentum=0.5, dtype="float64")
    x = np.array([[1.0, 10.0], [3.0, 30.0]])
    layer(x, training=True)
    np.testing.assert_allclose(layer.moving_mean.data, 0.5 * 0 + 0.5 * np.array([2.0, 20.0]))
    np.testing.assert_allclose(layer.moving_variance.data, 0.5 * 1 + 0.5 * np.array([1.0, 100.0]))


def test_inference_uses_moving_statistics():
    layer = BatchNormalization(epsilon=1e-3, dtype="float64")
    layer.build_for((2,))
    layer.set_weights([np.array([2.0, 1.0]), np.array([0.5, 0.0]), [1.0, -1.0], [4.0, 9.0]])
    x = np.array([[3.0, 2.0], [1.0, -4.0]])
    expected = np.array([2.0, 1.0]) * (x - [1.0, -1.0]) / np.sqrt(np.array([4.0, 9.0]) + 1e-3)
    np.testing.assert_allclose(layer(x).data, expected + [0.5, 0.0], rtol=1e-12)


def test_training_normalizes_with_the_batch_statistics():
    x = _batch(np.random.default_rng(6), (64, 4, 4, 3))
    out = BatchNormalization(epsilon=1e-3, dtype="float64")(x, training=True).data
    axes = (0, 1, 2)
    np.testing.assert_allclose(out.mean(axis=axes), 0, atol=1e-12)
    np.testing.assert_allclose(out.var(axis=axes), x.var(axis=axes) / (x.var(axis=axes) + 1e-3))


def test_float32_stays_float32():
    layer = BatchNormalization()
    out = layer(np.random.default_rng(7).standard_normal((8, 3)), training=True)
    assert out.dtype == np.float32
    assert all(w.dtype == np.float32 for w in layer.weights)


# -- weights and arguments ---------------------------------------------------------------------


def test_weights_and_their_initial_values():
    layer = BatchNormalization()
    layer(np.ones((2, 4, 4, 3)))
    gamma, beta, moving_mean, moving_var = layer.get_weights()
    for a, value in ((gamma, 1), (beta, 0), (moving_mean, 0), (moving_var, 1)):
        assert a.shape == (3,)
        np.testing.assert_array_equal(a, value)
    assert layer.trainable_weights == [layer.gamma, layer.beta]
    assert not layer.moving_mean.requires_grad and not layer.moving_variance.requires_grad


def test_center_and_scale_false_drop_beta_and_gamma_as_in_keras():
    x = np.random.default_rng(0).normal(2.0, 3.0, (16, 3)).astype(np.float32)
    both = BatchNormalization(center=False, scale=False, beta_initializer="ones")
    y = both(x, training=True).data
    assert both.trainable_weights == [] and len(both.get_weights()) == 2  # moving mean, var
    np.testing.assert_allclose(y.mean(axis=0), 0, atol=1e-5)  # no shift from beta's initializer
    no_beta = BatchNormalization(center=False)
    no_beta(x)
    assert [w.name.split("/")[-1] for w in no_beta.weights] == [
        "gamma", "moving_mean", "moving_variance"]  # fmt: skip
    no_gamma = BatchNormalization(scale=False)
    no_gamma(x)
    assert [w.name.split("/")[-1] for w in no_gamma.trainable_weights] == ["beta"]


def test_keras_defaults_in_config():
    config = BatchNormalization().get_config()
    assert config["momentum"] == 0.99 and config["epsilon"] == 1e-3 and config["axis"] == -1


@pytest.mark.parametrize(
    "kwargs, argument",
    [
        ({"axis": 0}, "axis"),
        ({"axis": 1.0}, "axis"),
        ({"momentum": None}, "momentum"),
        ({"epsilon": None}, "epsilon"),
        ({"momentum": 1.5}, "momentum"),
        ({"momentum": -0.1}, "momentum"),
        ({"epsilon": 0.0}, "epsilon"),
        ({"epsilon": -1e-3}, "epsilon"),
    ],
)
def test_invalid_arguments_are_config_errors(kwargs, argument):
    with pytest.raises(ConfigError, match=argument):
        BatchNormalization(**kwargs)


def test_one_dimensional_input_is_a_shape_error():
    layer = BatchNormalization(name="bn1d")
    with pytest.raises(ShapeError, match="'bn1d'"):
        layer(np.ones(5))


def test_frozen_layer_runs_in_inference_mode():
    rng = np.random.default_rng(8)
    layer, params = _layer((8, 3), "float64", rng, trainable=False)
    x = _batch(rng, (8, 3))
    inference = layer(x, training=False).data
    out = layer(x, training=True).data
    np.testing.assert_array_equal(layer.get_weights()[2], params[2])
    np.testing.assert_array_equal(layer.get_weights()[3], params[3])
    np.testing.assert_allclose(out, inference)


def test_the_last_axis_may_be_given_by_its_number_as_in_keras():
    x = np.random.default_rng(0).normal(size=(4, 5, 5, 3)).astype(np.float32)
    by_number = BatchNormalization(axis=3)(x, training=True).data
    np.testing.assert_array_equal(by_number, BatchNormalization()(x, training=True).data)
    assert BatchNormalization(axis=1)(x[:, 0, 0], training=True).shape == (4, 3)  # 2-D input
    with pytest.raises(ShapeError, match=r"normalizes the last axis, 3.*Received: axis=1"):
        BatchNormalization(axis=1)(x)
