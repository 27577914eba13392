"""Core layers: Dense, Activation, Dropout, Flatten, Reshape.

Every layer: a float64 central-difference check w.r.t. its input and every trainable weight, and
a PyTorch comparison of forward and backward with explicit tolerances.
"""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import neuropil as npl
from neuropil.errors import ConfigError, ShapeError, UnknownNameError
from neuropil.layers import Activation, Dense, Dropout, Flatten, Reshape
from tests.layers.test_base import forward_backward, gradcheck_layer

TOLERANCE = {"float64": 1e-10, "float32": 2e-5}

TORCH_ACTIVATIONS = {
    None: lambda z: z,
    "linear": lambda z: z,
    "relu": torch.relu,
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "softmax": lambda z: torch.softmax(z, dim=-1),
    "elu": TF.elu,
    "leaky_relu": lambda z: TF.leaky_relu(z, 0.2),  # Keras's function default slope
    "selu": TF.selu,
    "softplus": TF.softplus,
}


def _rng(seed=0):
    return np.random.default_rng(seed)


# -- Dense -------------------------------------------------------------------------------------


@pytest.mark.parametrize("use_bias", [True, False])
@pytest.mark.parametrize("activation", [None, "relu", "sigmoid", "tanh", "softmax", "elu"])
def test_dense_gradcheck(activation, use_bias):
    rng = _rng(1)
    layer = Dense(4, activation=activation, use_bias=use_bias, dtype="float64")
    x = rng.standard_normal((5, 3))
    weights = {"kernel": rng.standard_normal((3, 4))}
    if use_bias:
        weights["bias"] = rng.standard_normal(4)
    checked = gradcheck_layer(layer, x, weights)
    assert checked == (["kernel", "bias"] if use_bias else ["kernel"])


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("use_bias", [True, False])
@pytest.mark.parametrize("activation", sorted(TORCH_ACTIVATIONS, key=str))
def test_dense_matches_torch_linear(activation, use_bias, dtype):
    rng = _rng(2)
    x = rng.standard_normal((6, 5))
    layer = Dense(4, activation=activation, use_bias=use_bias, dtype=dtype)
    layer.build_for((5,))
    kernel, bias = rng.standard_normal((5, 4)), rng.standard_normal(4)
    layer.set_weights([kernel, bias] if use_bias else [kernel])
    upstream = rng.standard_normal((6, 4))
    out, gx, grads = forward_backward(layer, x, upstream)

    linear = torch.nn.Linear(5, 4, bias=use_bias, dtype=getattr(torch, dtype))
    with torch.no_grad():
        linear.weight.copy_(torch.tensor(kernel.T))  # torch stores (out, in)
        if use_bias:
            linear.bias.copy_(torch.tensor(bias))
    xt = torch.tensor(x, dtype=getattr(torch, dtype), requires_grad=True)
    ref = TORCH_ACTIVATIONS[activation](linear(xt))
    ref.backward(torch.tensor(upstream, dtype=ref.dtype))

    tol = dict(atol=TOLERANCE[dtype], rtol=TOLERANCE[dtype])
    assert out.dtype == np.dtype(dtype) and gx.dtype == np.dtype(dtype)
    np.testing.assert_allclose(out, ref.detach().numpy(), **tol, err_msg="forward")
    np.testing.assert_allclose(gx, xt.grad.numpy(), **tol, err_msg="input gradient")
    np.testing.assert_allclose(grads["kernel"], linear.weight.grad.numpy().T, **tol)
    if use_bias:
        np.testing.assert_allclose(grads["bias"], linear.bias.grad.numpy(), **tol)
    else:
        assert list(grads) == ["kernel"]


def test_dense_builds_keras_shapes_and_initial_values():
    layer = Dense(7)
    y = layer(np.ones((3, 11)))
    assert y.shape == (3, 7)
    assert layer.kernel.shape == (11, 7) and layer.bias.shape == (7,)
    np.testing.assert_array_equal(layer.bias.data, 0)  # Keras: zeros
    limit = np.sqrt(6 / (11 + 7))  # Keras: glorot_uniform
    assert np.abs(layer.kernel.data).max() <= limit
    assert layer.kernel.requires_grad and layer.bias.requires_grad


def test_dense_keeps_float32_for_float64_arrays():
    layer = Dense(3)
    y = layer(np.random.default_rng(0).standard_normal((2, 4)))  # float64 NumPy input
    assert y.dtype == np.float32 and layer.kernel.dtype == np.float32


def test_dense_on_image_batch_hints_flatten():
    layer = Dense(10, name="head")
    with pytest.raises(ShapeError) as info:
        layer(np.zeros((32, 28, 28, 1)))
    message = str(info.value)
    assert "'head'" in message and "28, 28, 1" in message and "Flatten" in message
    assert not layer.built and layer.weights == []  # raised before any weight was made


def test_built_dense_on_image_batch_hints_flatten_with_the_received_shape():
    layer = Dense(10, name="head2")
    layer(np.zeros((32, 784)))
    with pytest.raises(ShapeError) as info:
        layer(np.zeros((32, 28, 28, 1)))
    message = str(info.value)
    assert "'head2'" in message and "(32, 28, 28, 1)" in message and "Flatten" in message


@pytest.mark.parametrize("units", [0, -2, 2.5, True, "3"])
def test_dense_units_must_be_a_positive_integer(units):
    with pytest.raises(ConfigError, match="units"):
        Dense(units)


def test_dense_unknown_activation_lists_valid_names():
    with pytest.raises(UnknownNameError, match="relu"):
        Dense(3, activation="rellu")


# -- Activation --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["relu", "sigmoid", "tanh", "softmax", "elu", "selu", "softplus"])
def test_activation_layer_gradcheck(name):
    x = _rng(3).standard_normal((4, 5))
    assert gradcheck_layer(Activation(name, dtype="float64"), x) == []


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", ["relu", "sigmoid", "tanh", "softmax", "elu", "leaky_relu"])
def test_activation_layer_matches_torch(name, dtype):
    rng = _rng(4)
    x, upstream = rng.standard_normal((4, 2, 5)), rng.standard_normal((4, 2, 5))
    out, gx, _ = forward_backward(Activation(name, dtype=dtype), x, upstream)
    xt = torch.tensor(x, dtype=getattr(torch, dtype), requires_grad=True)
    ref = TORCH_ACTIVATIONS[name](xt)
    ref.backward(torch.tensor(upstream, dtype=ref.dtype))
    tol = dict(atol=TOLERANCE[dtype], rtol=TOLERANCE[dtype])
    np.testing.assert_allclose(out, ref.detach().numpy(), **tol)
    np.testing.assert_allclose(gx, xt.grad.numpy(), **tol)


def test_linear_activation_is_the_identity():
    x = npl.Tensor(np.ones((2, 3)), requires_grad=True)
    assert Activation("linear")(x) is x
    assert Activation(None)(x) is x


def test_activation_layer_unknown_name():
    with pytest.raises(UnknownNameError, match="sigmoid"):
        Activation("sigmod")


# -- Dropout -----------------------------------------------------------------------------------


def _dropout_mask(rate, shape, seed, noise_shape=None):
    """Run Dropout in training on ones; the output is the mask itself."""
    npl.set_seed(seed)
    layer = Dropout(rate, noise_shape=noise_shape, dtype="float64")
    return layer(np.ones(shape), training=True).data


@pytest.mark.parametrize("rate", [0.2, 0.5])
def test_dropout_training_gradient_is_the_mask(rate):
    rng = _rng(5)
    x = rng.uniform(0.5, 2.0, (8, 6)) * rng.choice([-1, 1], (8, 6))
    upstream = rng.standard_normal((8, 6))
    mask = _dropout_mask(rate, (8, 6), seed=7)  # the mask this seed draws
    assert set(np.unique(mask)) == {0.0, 1 / (1 - rate)}
    layer = Dropout(rate, dtype="float64")
    npl.set_seed(7)
    out, gx, _ = forward_backward(layer, x, upstream, training=True)
    np.testing.assert_array_equal(out, x * mask)
    np.testing.assert_array_equal(gx, upstream * mask)

    # the same mask applied in torch gives the same output and gradient
    xt = torch.tensor(x, requires_grad=True)
    ref = xt * torch.tensor(mask)
    ref.backward(torch.tensor(upstream))
    np.testing.assert_allclose(out, ref.detach().numpy(), rtol=1e-15)
    np.testing.assert_allclose(gx, xt.grad.numpy(), rtol=1e-15)


def test_dropout_training_gradcheck_with_a_fixed_mask():
    x = _rng(6).standard_normal((5, 4))
    assert gradcheck_layer(Dropout(0.4, dtype="float64"), x, training=True, seed=3) == []


def test_dropout_inference_is_the_identity():
    layer = Dropout(0.5)
    x = npl.Tensor(np.arange(1.0, 7.0).reshape(2, 3), requires_grad=True)
    y = layer(x)
    assert y is x
    upstream = _rng(0).standard_normal((2, 3))
    y.backward(upstream)
    np.testing.assert_allclose(x.grad, upstream.astype(np.float32))
    gradcheck_layer(Dropout(0.5, dtype="float64"), _rng(1).standard_normal((3, 4)))


def test_dropout_rate_zero_is_the_identity_in_training():
    x = npl.Tensor(np.ones((2, 3)))
    assert Dropout(0.0)(x, training=True) is x


def test_dropout_drops_the_expected_fraction_and_keeps_the_mean():
    rate = 0.3
    mask = _dropout_mask(rate, (400, 500), seed=11)
    dropped = (mask == 0).mean()
    sigma = np.sqrt(rate * (1 - rate) / mask.size)
    assert abs(dropped - rate) < 5 * sigma
    assert abs(mask.mean() - 1.0) < 5 * sigma / (1 - rate)


def test_dropout_is_repeatable_under_set_seed():
    a = _dropout_mask(0.5, (10, 10), seed=1)
    b = _dropout_mask(0.5, (10, 10), seed=1)
    c = _dropout_mask(0.5, (10, 10), seed=2)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_dropout_noise_shape_shares_the_mask():
    mask = _dropout_mask(0.5, (6, 3, 3, 4), seed=2, noise_shape=(None, 1, 1, None))
    np.testing.assert_array_equal(mask, np.broadcast_to(mask[:, :1, :1, :], mask.shape))
    assert 0 < (mask == 0).mean() < 1


def test_dropout_noise_shape_errors_name_the_layer_before_training():
    from neuropil.layers import Input
    from neuropil.models import Sequential

    with pytest.raises(ConfigError, match="Dropout 'drop' noise_shape must be None or a tuple"):
        Dropout(0.5, noise_shape=3, name="drop")
    layer = Dropout(0.5, noise_shape=(None, 1, 2), name="drop")
    with pytest.raises(ShapeError, match="Dropout 'drop': dropout expects noise_shape.*"
                                         r"\(1, 4, 5\). Received: \(None, 1, 2\)"):  # fmt: skip
        Sequential([Input((4, 5)), layer])  # at build, not at the first training step
    layer = Dropout(0.5, noise_shape=(8, None), name="drop")  # a fixed batch size of 8
    assert layer(np.ones((8, 3)), training=True).shape == (8, 3)
    with pytest.raises(ShapeError, match="Dropout 'drop': .*Received: \\(8, None\\)"):
        layer(np.ones((5, 3)), training=True)


def test_dropout_keeps_float32():
    assert Dropout(0.5)(np.ones((4, 4)), training=True).dtype == np.float32


@pytest.mark.parametrize("rate", [-0.1, 1.0, 1.5, "0.5", True, None])
def test_dropout_rate_must_lie_in_zero_one(rate):
    with pytest.raises(ConfigError, match="rate"):
        Dropout(rate)


# -- Flatten -----------------------------------------------------------------------------------


def test_flatten_gradcheck_nhwc():
    x = _rng(7).standard_normal((2, 3, 2, 2))
    assert gradcheck_layer(Flatten(dtype="float64"), x) == []


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_flatten_matches_torch(dtype):
    rng = _rng(8)
    x, upstream = rng.standard_normal((3, 4, 2, 5)), rng.standard_normal((3, 40))
    layer = Flatten(dtype=dtype)
    out, gx, _ = forward_backward(layer, x, upstream)
    xt = torch.tensor(x, dtype=getattr(torch, dtype), requires_grad=True)
    ref = torch.flatten(xt, 1)
    ref.backward(torch.tensor(upstream, dtype=ref.dtype))
    np.testing.assert_array_equal(out, ref.detach().numpy())
    np.testing.assert_array_equal(gx, xt.grad.numpy())
    assert layer.output_shape == (40,)


def test_flatten_keeps_row_major_order():
    x = np.arange(24.0).reshape(2, 2, 3, 2)
    np.testing.assert_array_equal(Flatten()(x).data, x.reshape(2, 12))


# -- Reshape -----------------------------------------------------------------------------------


@pytest.mark.parametrize("target", [(3, 4), (-1, 2), (2, 2, -1)])
def test_reshape_gradcheck(target):
    x = _rng(9).standard_normal((2, 12))
    assert gradcheck_layer(Reshape(target, dtype="float64"), x) == []


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_reshape_matches_torch(dtype):
    rng = _rng(10)
    x, upstream = rng.standard_normal((3, 4, 6)), rng.standard_normal((3, 2, 12))
    layer = Reshape((2, -1), dtype=dtype)
    out, gx, _ = forward_backward(layer, x, upstream)
    xt = torch.tensor(x, dtype=getattr(torch, dtype), requires_grad=True)
    ref = xt.reshape(3, 2, 12)
    ref.backward(torch.tensor(upstream, dtype=ref.dtype))
    np.testing.assert_array_equal(out, ref.detach().numpy())
    np.testing.assert_array_equal(gx, xt.grad.numpy())
    assert layer.output_shape == (2, 12)


@pytest.mark.parametrize("target", [(0, 4), (-1, -1), (-2, 6), (3, 0)])
def test_reshape_invalid_targets_are_config_errors(target):
    with pytest.raises(ConfigError, match="target_shape") as info:
        Reshape(target, name="r_bad")
    assert "'r_bad'" in str(info.value)


@pytest.mark.parametrize("target", [(5,), (-1, 5), (7, -1)])
def test_reshape_incompatible_input_names_layer_and_shapes(target):
    layer = Reshape(target, name="r_fit")
    with pytest.raises(ShapeError) as info:
        layer(np.ones((2, 3, 4)))
    message = str(info.value)
    assert "'r_fit'" in message and "(None, 3, 4)" in message and str(target) in message
    assert not layer.built


def test_reshape_non_integer_target_is_rejected():
    with pytest.raises(ConfigError, match="target_shape"):
        Reshape((2.5, 4))


def test_dropout_with_a_seed_draws_its_own_repeatable_masks():
    x = npl.Tensor(np.ones((4, 50), np.float32))
    first, second = Dropout(0.5, seed=7), Dropout(0.5, seed=7)
    npl.set_seed(0)
    a = first(x, training=True).data
    npl.set_seed(1)  # the global generator does not decide a seeded layer's masks
    np.testing.assert_array_equal(second(x, training=True).data, a)
    assert not np.array_equal(first(x, training=True).data, a)  # the next mask, not the same
    again = npl.layers.deserialize(npl.layers.serialize(first))
    assert again.seed == 7
    with pytest.raises(ConfigError, match=r"seed must be None or an integer >= 0. Received: 1.5"):
        Dropout(0.5, seed=1.5)
