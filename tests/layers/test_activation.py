"""Activation layers: ReLU, LeakyReLU, PReLU, ELU, Softmax, Maxout.

Every layer: a float64 central-difference check w.r.t. its input and every trainable weight, and
a PyTorch comparison of forward and backward with explicit tolerances.
"""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

from neuropil.errors import ConfigError, ShapeError
from neuropil.layers import ELU, LeakyReLU, Maxout, PReLU, ReLU, Softmax
from tests.layers.test_base import forward_backward, gradcheck_layer

TOLERANCE = {"float64": 1e-10, "float32": 2e-5}


def _away_from_zero(rng, shape):
    """Inputs of both signs at least 0.1 from the kink at 0."""
    return rng.uniform(0.1, 2.0, shape) * rng.choice([-1.0, 1.0], shape)


def _tol(dtype):
    return dict(atol=TOLERANCE[dtype], rtol=TOLERANCE[dtype])


def _torch(a, dtype, grad=True):
    return torch.tensor(np.asarray(a), dtype=getattr(torch, dtype), requires_grad=grad)


# -- parameter-free activations ----------------------------------------------------------------

SIMPLE = {
    "ReLU": (lambda dt: ReLU(dtype=dt), torch.relu),
    "LeakyReLU_default": (lambda dt: LeakyReLU(dtype=dt), lambda z: TF.leaky_relu(z, 0.3)),
    "LeakyReLU_0.1": (
        lambda dt: LeakyReLU(negative_slope=0.1, dtype=dt),
        lambda z: TF.leaky_relu(z, 0.1),
    ),
    "ReLU_max_value": (
        lambda dt: ReLU(max_value=1.0, dtype=dt),
        lambda z: torch.clamp(z, min=0.0, max=1.0),
    ),
    "ReLU_slope_threshold": (
        lambda dt: ReLU(negative_slope=0.1, threshold=0.5, dtype=dt),
        lambda z: torch.where(z >= 0.5, z, 0.1 * (z - 0.5)),
    ),
    "ReLU_all_three": (
        lambda dt: ReLU(max_value=1.0, negative_slope=0.2, threshold=-0.5, dtype=dt),
        lambda z: torch.where(
            z >= 1.0, torch.ones_like(z), torch.where(z >= -0.5, z, 0.2 * (z + 0.5))
        ),
    ),
    "LeakyReLU_alpha": (lambda dt: LeakyReLU(alpha=0.1, dtype=dt), lambda z: TF.leaky_relu(z, 0.1)),
    "ELU_default": (lambda dt: ELU(dtype=dt), TF.elu),
    "ELU_0.5": (lambda dt: ELU(alpha=0.5, dtype=dt), lambda z: TF.elu(z, alpha=0.5)),
    "Softmax_last": (lambda dt: Softmax(dtype=dt), lambda z: torch.softmax(z, dim=-1)),
    "Softmax_axis1": (lambda dt: Softmax(axis=1, dtype=dt), lambda z: torch.softmax(z, dim=1)),
}


@pytest.mark.parametrize("key", sorted(SIMPLE))
def test_activation_layer_gradcheck(key):
    x = _away_from_zero(np.random.default_rng(0), (3, 4, 5))
    assert gradcheck_layer(SIMPLE[key][0]("float64"), x) == []


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("key", sorted(SIMPLE))
def test_activation_layer_matches_torch(key, dtype):
    rng = np.random.default_rng(1)
    x, upstream = _away_from_zero(rng, (3, 4, 5)), rng.standard_normal((3, 4, 5))
    make, reference = SIMPLE[key]
    layer = make(dtype)
    out, gx, grads = forward_backward(layer, x, upstream)
    xt = _torch(x, dtype)
    ref = reference(xt)
    ref.backward(_torch(upstream, dtype, grad=False))
    assert out.dtype == np.dtype(dtype) and grads == {}
    np.testing.assert_allclose(out, ref.detach().numpy(), **_tol(dtype), err_msg="forward")
    np.testing.assert_allclose(gx, xt.grad.numpy(), **_tol(dtype), err_msg="input gradient")


def test_leaky_relu_layer_default_slope_is_keras_0_3():
    np.testing.assert_allclose(LeakyReLU()(np.array([[-1.0, 2.0]])).data, [[-0.3, 2.0]])


@pytest.mark.parametrize(
    "make, argument",
    [
        (lambda: LeakyReLU(negative_slope=-0.1), "negative_slope"),
        (lambda: LeakyReLU(negative_slope="0.1"), "negative_slope"),
        (lambda: ELU(alpha=-1.0), "alpha"),
        (lambda: ELU(alpha=None), "alpha"),
    ],
)
def test_invalid_arguments_are_config_errors(make, argument):
    with pytest.raises(ConfigError, match=argument):
        make()


def test_softmax_axis_out_of_range_is_an_error():
    with pytest.raises(ValueError):
        Softmax(axis=3)(np.ones((2, 3)))
    for axis in (1.7, "1", True, None):  # refused, not rounded or cast
        with pytest.raises(ConfigError, match=f"Softmax 'soft' axis must be an integer.*{axis!r}"):
            Softmax(axis=axis, name="soft")
    assert Softmax(axis=np.int64(1)).axis == 1


# -- PReLU -------------------------------------------------------------------------------------

PRELU_CASES = {
    # key: (input shape with batch, shared_axes, alpha shape)
    "NF": ((6, 4), None, (4,)),
    "NHWC_per_unit": ((2, 3, 3, 2), None, (3, 3, 2)),
    "NHWC_per_channel": ((2, 3, 3, 2), [1, 2], (1, 1, 2)),
    "NHWC_share_rows": ((2, 3, 4, 2), [1], (1, 4, 2)),
}


@pytest.mark.parametrize("key", sorted(PRELU_CASES))
def test_prelu_alpha_shape(key):
    shape, shared_axes, alpha_shape = PRELU_CASES[key]
    layer = PReLU(shared_axes=shared_axes)
    out = layer(np.ones(shape))
    assert layer.alpha.shape == alpha_shape and out.shape == shape
    np.testing.assert_array_equal(layer.alpha.data, 0)  # Keras: zeros, i.e. ReLU at first


@pytest.mark.parametrize("key", sorted(PRELU_CASES))
def test_prelu_gradcheck(key):
    shape, shared_axes, alpha_shape = PRELU_CASES[key]
    rng = np.random.default_rng(2)
    layer = PReLU(shared_axes=shared_axes, dtype="float64")
    alpha = rng.uniform(0.05, 0.5, alpha_shape)
    assert gradcheck_layer(layer, _away_from_zero(rng, shape), {"alpha": alpha}) == ["alpha"]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("key", sorted(PRELU_CASES))
def test_prelu_matches_torch(key, dtype):
    shape, shared_axes, alpha_shape = PRELU_CASES[key]
    rng = np.random.default_rng(3)
    x, upstream = _away_from_zero(rng, shape), rng.standard_normal(shape)
    alpha = rng.uniform(0.05, 0.5, alpha_shape)
    layer = PReLU(shared_axes=shared_axes, dtype=dtype)
    layer.build_for(shape[1:])
    layer.set_weights([alpha])
    out, gx, grads = forward_backward(layer, x, upstream)

    xt = _torch(x, dtype)
    if key == "NF":  # torch.nn.PReLU: one slope per feature on axis 1
        module = torch.nn.PReLU(num_parameters=shape[1], dtype=getattr(torch, dtype))
        with torch.no_grad():
            module.weight.copy_(torch.tensor(alpha))
        ref, alpha_t = module(xt), module.weight
    elif key == "NHWC_per_channel":  # F.prelu on channels-first
        alpha_t = _torch(alpha.reshape(-1), dtype)
        ref = TF.prelu(xt.permute(0, 3, 1, 2), alpha_t).permute(0, 2, 3, 1)
    else:  # torch's prelu has no per-unit slopes: the formula itself
        alpha_t = _torch(alpha, dtype)
        ref = torch.where(xt > 0, xt, alpha_t * xt)
    ref.backward(_torch(upstream, dtype, grad=False))

    np.testing.assert_allclose(out, ref.detach().numpy(), **_tol(dtype), err_msg="forward")
    np.testing.assert_allclose(gx, xt.grad.numpy(), **_tol(dtype), err_msg="input gradient")
    np.testing.assert_allclose(
        grads["alpha"],
        alpha_t.grad.numpy().reshape(alpha_shape),
        **_tol(dtype),
        err_msg="alpha gradient",
    )


def test_prelu_shared_axes_accepts_a_single_int():
    layer = PReLU(shared_axes=2)
    layer(np.ones((2, 3, 4)))
    assert layer.shared_axes == [2] and layer.alpha.shape == (3, 1)


@pytest.mark.parametrize("shared_axes", [[0], [3], [1, 4]])
def test_prelu_shared_axes_out_of_range(shared_axes):
    layer = PReLU(shared_axes=shared_axes, name="pr")
    with pytest.raises(ConfigError, match="'pr' shared_axes") as info:
        layer(np.ones((2, 3, 4)))
    assert str(shared_axes) in str(info.value)
    assert layer.weights == [] and not layer.built


# -- Maxout ------------------------------------------------------------------------------------


@pytest.mark.parametrize("use_bias", [True, False])
@pytest.mark.parametrize("pieces", [2, 3])
def test_maxout_gradcheck(pieces, use_bias):
    rng = np.random.default_rng(4)
    units, features = 3, 4
    layer = Maxout(units, pieces=pieces, use_bias=use_bias, dtype="float64")
    weights = {"kernel": rng.standard_normal((features, units * pieces))}
    if use_bias:
        weights["bias"] = rng.standard_normal(units * pieces)
    checked = gradcheck_layer(layer, rng.standard_normal((5, features)), weights)
    assert checked == (["kernel", "bias"] if use_bias else ["kernel"])


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("use_bias", [True, False])
def test_maxout_matches_torch(use_bias, dtype):
    rng = np.random.default_rng(5)
    n, features, units, pieces = 7, 5, 4, 3
    x, upstream = rng.standard_normal((n, features)), rng.standard_normal((n, units))
    kernel, bias = rng.standard_normal((features, units * pieces)), rng.standard_normal(12)
    layer = Maxout(units, pieces=pieces, use_bias=use_bias, dtype=dtype)
    layer.build_for((features,))
    layer.set_weights([kernel, bias] if use_bias else [kernel])
    out, gx, grads = forward_backward(layer, x, upstream)

    xt, kt, bt = _torch(x, dtype), _torch(kernel, dtype), _torch(bias, dtype)
    z = xt @ kt + bt if use_bias else xt @ kt
    ref = z.reshape(n, units, pieces).amax(dim=-1)  # consecutive features form a group
    ref.backward(_torch(upstream, dtype, grad=False))

    assert out.shape == (n, units) and layer.output_shape == (units,)
    np.testing.assert_allclose(out, ref.detach().numpy(), **_tol(dtype), err_msg="forward")
    np.testing.assert_allclose(gx, xt.grad.numpy(), **_tol(dtype), err_msg="input gradient")
    np.testing.assert_allclose(grads["kernel"], kt.grad.numpy(), **_tol(dtype))
    if use_bias:
        np.testing.assert_allclose(grads["bias"], bt.grad.numpy(), **_tol(dtype))


def test_maxout_weights_are_a_dense_of_units_times_pieces():
    layer = Maxout(3, pieces=4)
    layer(np.ones((2, 5)))
    assert [w.shape for w in layer.get_weights()] == [(5, 12), (12,)]
    assert layer.units == 12 and layer.maxout_units == 3


@pytest.mark.parametrize("pieces", [1, 0, 2.0, True])
def test_maxout_pieces_must_be_an_integer_at_least_two(pieces):
    with pytest.raises(ConfigError, match="pieces"):
        Maxout(3, pieces=pieces)


def test_maxout_rejects_an_activation():
    with pytest.raises(ConfigError, match="activation"):
        Maxout(3, activation="relu")
    Maxout(3, activation="linear")  # the identity is allowed


def test_maxout_on_image_batch_hints_flatten():
    with pytest.raises(ShapeError, match="Flatten"):
        Maxout(3, name="mx")(np.ones((2, 4, 4, 1)))


def test_relu_arguments_round_trip_and_bad_ones_name_the_layer():
    from neuropil.layers import deserialize, serialize

    layer = ReLU(max_value=6.0, negative_slope=0.1, threshold=0.5, name="r")
    again = deserialize(serialize(layer))
    assert (again.max_value, again.negative_slope, again.threshold) == (6.0, 0.1, 0.5)
    with pytest.raises(ConfigError, match=r"ReLU 'bad' max_value must be a number >= 0"):
        ReLU(max_value=-1, name="bad")
    with pytest.raises(ConfigError, match=r"ReLU 'bad' threshold must be a number"):
        ReLU(threshold="0", name="bad")
