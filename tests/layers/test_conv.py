"""Conv2D (neuropil/layers/conv.py): shapes, weights, gradients, PyTorch parity, configs, errors,
and float32 kept end to end through a CNN training step.

The op itself (every padding, stride and dilation) is tested in tests/functional/test_conv.py;
here the layer: Keras shapes and weight order, a float64 central-difference check w.r.t. the input
and every trainable weight, torch.nn.Conv2d with copied weights, the activation, use_bias=False,
serialization, errors that name the layer, and dtypes after ``fit``.
"""

import collections
import json
import math

import numpy as np
import pytest

import neuropil as npl
from neuropil import layers, optimizers
from neuropil.errors import ConfigError, ShapeError
from neuropil.functional.conv import conv_padding
from neuropil.layers import Conv2D, Dense, Flatten, Input, base
from neuropil.models import Sequential
from tests.layers.test_base import forward_backward, gradcheck_layer

torch = pytest.importorskip("torch")

TOLERANCE = {"float64": 1e-10, "float32": 5e-5}


def _rng(seed=0):
    return np.random.default_rng(seed)


@pytest.fixture
def fresh_names(monkeypatch):
    """Layer names as in a fresh Python session (the counter is global, like Keras's)."""
    monkeypatch.setattr(base, "_name_counts", collections.Counter())


# -- shapes and weights ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "input_shape, kwargs, expected",
    [
        ((28, 28, 1), {"filters": 32, "kernel_size": 3}, (26, 26, 32)),
        ((28, 28, 1), {"filters": 32, "kernel_size": 3, "padding": "same"}, (28, 28, 32)),
        ((7, 5, 3), {"filters": 4, "kernel_size": 3, "strides": 2}, (3, 2, 4)),
        ((7, 5, 3), {"filters": 4, "kernel_size": 3, "strides": 2, "padding": "same"}, (4, 3, 4)),
        ((9, 9, 1), {"filters": 8, "kernel_size": 3, "dilation_rate": 2}, (5, 5, 8)),
        ((9, 9, 1), {"filters": 8, "kernel_size": 3, "dilation_rate": 2, "padding": "same"},
         (9, 9, 8)),
        ((9, 7, 2), {"filters": 2, "kernel_size": (2, 3), "strides": (1, 2)}, (8, 3, 2)),
        ((9, 7, 2), {"filters": 2, "kernel_size": 5, "strides": 3, "padding": "same"}, (3, 3, 2)),
        ((5, 5, 3), {"filters": 6, "kernel_size": 3, "padding": 1}, (5, 5, 6)),
        ((5, 5, 3), {"filters": 6, "kernel_size": 3, "padding": ((0, 1), (2, 0))}, (4, 5, 6)),
        ((1, 1, 3), {"filters": 2, "kernel_size": 1}, (1, 1, 2)),
    ],
)  # fmt: skip
def test_output_shapes(input_shape, kwargs, expected):
    layer = Conv2D(**kwargs)
    out = layer(np.zeros((2, *input_shape)))
    assert out.shape == (2, *expected)
    assert layer.output_shape == expected
    assert layer.compute_output_shape(input_shape) == expected


@pytest.mark.parametrize("stride", [1, 2, 3])
@pytest.mark.parametrize("n", [5, 7, 8, 12])
def test_same_padding_output_is_ceil_n_over_stride(n, stride):
    layer = Conv2D(3, 3, strides=stride, padding="same")
    assert layer(np.zeros((1, n, n + 1, 2))).shape == (
        1,
        math.ceil(n / stride),
        math.ceil((n + 1) / stride),
        3,
    )


def test_kernel_shape_and_weight_order():
    layer = Conv2D(8, (2, 3), name="c")
    layer(np.zeros((1, 7, 5, 3)))
    kernel, bias = layer.get_weights()
    assert kernel.shape == (2, 3, 3, 8) and bias.shape == (8,)  # (kh, kw, in, filters)
    assert layer.weights == [layer.kernel, layer.bias]
    assert layer.trainable_weights == [layer.kernel, layer.bias]
    assert [w.name for w in layer.weights] == ["c/kernel", "c/bias"]
    np.testing.assert_array_equal(kernel, layer.kernel.data)
    np.testing.assert_array_equal(bias, 0)  # Keras: zeros
    assert layer.count_params() == 2 * 3 * 3 * 8 + 8
    # Keras glorot_uniform: fan_in = kh*kw*in, fan_out = kh*kw*filters
    limit = np.sqrt(6 / (2 * 3 * 3 + 2 * 3 * 8))
    assert np.abs(kernel).max() <= limit and np.abs(kernel).max() > limit / 2


def test_integer_kernel_size_and_strides_become_pairs():
    layer = Conv2D(4, 3, strides=2, dilation_rate=1)
    assert layer.kernel_size == (3, 3) and layer.strides == (2, 2)
    assert layer.dilation_rate == (1, 1)


def test_default_name_is_conv2d_as_in_keras(fresh_names):
    assert [Conv2D(1, 1).name, Conv2D(1, 1).name] == ["conv2d", "conv2d_1"]


def test_float64_numpy_input_stays_float32():
    layer = Conv2D(2, 3)
    out = layer(_rng().standard_normal((2, 5, 5, 1)))
    assert out.dtype == np.float32 and layer.kernel.dtype == np.float32


# -- gradients ---------------------------------------------------------------------------------

GRADCHECK_CASES = {
    "valid": {},
    "same": {"padding": "same"},
    "strides-2-same": {"strides": 2, "padding": "same"},
    "strides-1x2": {"strides": (1, 2)},
    "dilation-2": {"dilation_rate": 2},
    "explicit-padding": {"padding": ((0, 1), (2, 0)), "kernel_size": (2, 3)},
    "relu": {"activation": "relu", "padding": "same"},
    "tanh-no-bias": {"activation": "tanh", "use_bias": False},
}


@pytest.mark.parametrize("key", sorted(GRADCHECK_CASES))
def test_conv2d_gradcheck(key):
    kwargs = {"filters": 3, "kernel_size": 3, **GRADCHECK_CASES[key]}
    rng = _rng(1)
    x = rng.standard_normal((2, 5, 5, 2))
    layer = Conv2D(**kwargs, dtype="float64")
    layer.build_for(x.shape[1:])
    weights = {"kernel": rng.standard_normal(layer.kernel.shape)}
    if layer.use_bias:
        weights["bias"] = rng.standard_normal(3)
    checked = gradcheck_layer(layer, x, weights)
    assert checked == (["kernel", "bias"] if layer.use_bias else ["kernel"])


def test_gradcheck_batch_one_more_filters_than_inputs():
    rng = _rng(2)
    layer = Conv2D(8, 2, dtype="float64")
    x = rng.standard_normal((1, 5, 5, 1))
    layer.build_for(x.shape[1:])
    weights = {"kernel": rng.standard_normal((2, 2, 1, 8)), "bias": rng.standard_normal(8)}
    assert gradcheck_layer(layer, x, weights) == ["kernel", "bias"]


TORCH_CASES = {
    "valid": {},
    "same": {"padding": "same"},
    "same-even-kernel": {"padding": "same", "kernel_size": 2},
    "strides-2-same": {"strides": 2, "padding": "same"},
    "strides-2-valid": {"strides": 2},
    "strides-1x2": {"strides": (1, 2), "kernel_size": (2, 3)},
    "dilation-2-same": {"dilation_rate": 2, "padding": "same"},
    "padding-1": {"padding": 1},
    "relu": {"activation": "relu"},
    "no-bias": {"use_bias": False},
    "relu-no-bias-same": {"activation": "relu", "use_bias": False, "padding": "same"},
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("key", sorted(TORCH_CASES))
def test_conv2d_matches_torch_conv2d(key, dtype):
    kwargs = {"filters": 4, "kernel_size": 3, **TORCH_CASES[key]}
    rng = _rng(3)
    x = rng.standard_normal((2, 7, 5, 3))  # odd sizes
    layer = Conv2D(**kwargs, dtype=dtype)
    layer.build_for(x.shape[1:])
    kh, kw = layer.kernel_size
    kernel, bias = rng.standard_normal((kh, kw, 3, 4)), rng.standard_normal(4)
    layer.set_weights([kernel, bias] if layer.use_bias else [kernel])
    upstream = rng.standard_normal((2, *layer.output_shape))
    out, gx, grads = forward_backward(layer, x, upstream)

    tdtype = getattr(torch, dtype)
    conv = torch.nn.Conv2d(3, 4, (kh, kw), stride=layer.strides, dilation=layer.dilation_rate,
                           bias=layer.use_bias, dtype=tdtype)  # fmt: skip
    with torch.no_grad():
        conv.weight.copy_(torch.tensor(kernel).permute(3, 2, 0, 1))  # torch: (out, in, kh, kw)
        if layer.use_bias:
            conv.bias.copy_(torch.tensor(bias))
    (top, bottom), (left, right) = conv_padding(
        layer.padding, (7, 5), (kh, kw), layer.strides, layer.dilation_rate
    )
    xt = torch.tensor(x, dtype=tdtype, requires_grad=True)
    padded = torch.nn.functional.pad(xt.permute(0, 3, 1, 2), (left, right, top, bottom))
    ref = conv(padded)
    if layer._activation_name == "relu":
        ref = torch.relu(ref)
    ref = ref.permute(0, 2, 3, 1)
    ref.backward(torch.tensor(upstream, dtype=tdtype))

    tol = dict(atol=TOLERANCE[dtype], rtol=TOLERANCE[dtype])
    assert out.dtype == np.dtype(dtype) and gx.dtype == np.dtype(dtype)
    np.testing.assert_allclose(out, ref.detach().numpy(), **tol, err_msg="forward")
    np.testing.assert_allclose(gx, xt.grad.numpy(), **tol, err_msg="input gradient")
    torch_kernel_grad = conv.weight.grad.permute(2, 3, 1, 0).numpy()
    np.testing.assert_allclose(grads["kernel"], torch_kernel_grad, **tol, err_msg="kernel")
    if layer.use_bias:
        np.testing.assert_allclose(grads["bias"], conv.bias.grad.numpy(), **tol, err_msg="bias")
    else:
        assert list(grads) == ["kernel"]


def test_same_padding_matches_torchs_own_same_module():
    """Independent of conv_padding: torch.nn.Conv2d(padding="same") at stride 1, odd kernel."""
    rng = _rng(4)
    x = rng.standard_normal((1, 9, 9, 1))
    layer = Conv2D(8, 3, padding="same", dtype="float64")  # batch 1, 1 -> 8 filters
    layer(x)
    conv = torch.nn.Conv2d(1, 8, 3, padding="same", dtype=torch.float64)
    with torch.no_grad():
        conv.weight.copy_(torch.tensor(layer.kernel.data).permute(3, 2, 0, 1))
        conv.bias.copy_(torch.tensor(layer.bias.data))
    ref = conv(torch.tensor(x).permute(0, 3, 1, 2)).permute(0, 2, 3, 1)
    np.testing.assert_allclose(layer(x).data, ref.detach().numpy(), rtol=1e-12, atol=1e-12)


# -- activation and use_bias ---------------------------------------------------------------------


def test_relu_activation_is_relu_of_the_linear_layer():
    rng = _rng(5)
    x = rng.standard_normal((2, 6, 6, 2))
    linear, relu = Conv2D(4, 3), Conv2D(4, 3, activation="relu")
    linear.build_for(x.shape[1:])
    relu.build_for(x.shape[1:])
    weights = [rng.standard_normal((3, 3, 2, 4)), rng.standard_normal(4)]
    linear.set_weights(weights)
    relu.set_weights(weights)
    z, y = linear(x).data, relu(x).data
    assert (z < 0).any()  # the activation has something to do
    np.testing.assert_array_equal(y, np.maximum(z, 0))
    assert relu.get_config()["activation"] == "relu"
    assert linear.get_config()["activation"] == "linear"


def test_use_bias_false_has_only_a_kernel():
    rng = _rng(6)
    x = rng.standard_normal((2, 5, 5, 3))
    with_bias, without = Conv2D(2, 3), Conv2D(2, 3, use_bias=False, bias_initializer="ones")
    with_bias.build_for(x.shape[1:])
    out = without(x)
    assert without.bias is None
    assert [w.shape for w in without.get_weights()] == [(3, 3, 3, 2)]
    assert without.count_params() == 3 * 3 * 3 * 2
    with_bias.set_weights([without.kernel.data, np.zeros(2)])
    np.testing.assert_array_equal(out.data, with_bias(x).data)


# -- configs -----------------------------------------------------------------------------------

CONFIGS = [
    pytest.param({"filters": 4, "kernel_size": 3}, id="defaults"),
    pytest.param(
        {
            "filters": 6,
            "kernel_size": (2, 3),
            "strides": (1, 2),
            "padding": "same",
            "dilation_rate": 1,
            "activation": "relu",
            "use_bias": False,
            "kernel_initializer": "he_normal",
            "bias_initializer": "ones",
            "name": "features",
            "trainable": False,
            "dtype": "float64",
        },
        id="everything",
    ),
    pytest.param(
        {"filters": 2, "kernel_size": 3, "dilation_rate": 2, "padding": "SAME"},
        id="dilated-upper-case-same",
    ),  # fmt: skip
    pytest.param({"filters": 2, "kernel_size": 3, "padding": (1, 2)}, id="padding-pair"),
    pytest.param({"filters": 2, "kernel_size": 3, "input_shape": (9, 9, 2)}, id="input-shape"),
    pytest.param(
        {"filters": 2, "kernel_size": 3, "padding": 1},
        id="padding-int",
    ),
    pytest.param(
        {"filters": 2, "kernel_size": 3, "padding": ((0, 1), (2, 0))},
        id="padding-nested",
    ),
]


@pytest.mark.parametrize("kwargs", CONFIGS)
def test_serialize_deserialize_round_trip_through_json(kwargs):
    layer = Conv2D(**kwargs)
    spec = json.loads(json.dumps(layers.serialize(layer)))
    assert spec["class_name"] == "Conv2D"
    clone = layers.deserialize(spec)
    assert type(clone) is Conv2D and clone is not layer
    assert clone.get_config() == layer.get_config()
    assert Conv2D.from_config(layer.get_config()).get_config() == layer.get_config()
    for attr in ("name", "filters", "kernel_size", "strides", "dilation_rate", "use_bias",
                 "trainable", "dtype"):  # fmt: skip
        assert getattr(clone, attr) == getattr(layer, attr), attr

    x = _rng(7).standard_normal((2, 9, 9, 2))
    out = layer(x)
    clone.build_for(x.shape[1:])
    clone.set_weights(layer.get_weights())
    np.testing.assert_array_equal(clone(x).data, out.data)
    assert clone.output_shape == layer.output_shape


def test_config_lists_keras_keys():
    config = Conv2D(4, 3, name="c").get_config()
    assert config == {
        "name": "c",
        "trainable": True,
        "dtype": "float32",
        "filters": 4,
        "kernel_size": [3, 3],
        "strides": [1, 1],
        "padding": "valid",
        "dilation_rate": [1, 1],
        "activation": "linear",
        "use_bias": True,
        "kernel_initializer": {"class_name": "GlorotUniform", "config": {}},
        "bias_initializer": {"class_name": "Zeros", "config": {}},
    }


# -- errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(4, 10), (4, 28, 28), (4, 2, 5, 5, 1)])
def test_non_image_input_names_the_layer(shape):
    layer = Conv2D(2, 3, name="conv2d")
    with pytest.raises(ShapeError) as info:
        layer(np.zeros(shape))
    message = str(info.value)
    assert message.startswith("Layer 'conv2d' (Conv2D) expects images")
    assert str((None, *shape[1:])) in message
    assert not layer.built and layer.weights == []  # raised before any weight was made


def test_image_without_channel_axis_hints_a_reshape():
    with pytest.raises(ShapeError, match="Add a Reshape layer to give them a channel axis"):
        Conv2D(2, 3)(np.zeros((4, 28, 28)))


@pytest.mark.parametrize(
    "input_shape, kwargs, start",
    [
        ((3, 3, 1), {"kernel_size": 5},
         "Layer 'conv2d' (Conv2D): kernel (5, 5) does not fit input 3x3 with padding 'valid'"),
        ((7, 4, 2), {"kernel_size": (3, 5)},
         "Layer 'conv2d' (Conv2D): kernel (3, 5) does not fit input 7x4"),
        ((4, 4, 1), {"kernel_size": 3, "dilation_rate": 2},
         "Layer 'conv2d' (Conv2D): kernel (3, 3) does not fit input 4x4"),
        ((3, 3, 1), {"kernel_size": 6, "padding": 1},
         "Layer 'conv2d' (Conv2D): kernel (6, 6) does not fit input 3x3 with padding "
         "((1, 1), (1, 1))"),
    ],
)  # fmt: skip
def test_kernel_that_does_not_fit_names_the_layer(input_shape, kwargs, start):
    layer = Conv2D(2, name="conv2d", **kwargs)
    with pytest.raises(ShapeError) as info:
        layer(np.zeros((2, *input_shape)))
    message = str(info.value)
    assert message.startswith(start), message
    assert message.endswith(f"Received: {(None, *input_shape)}")
    assert not layer.built and layer.weights == []


def test_kernel_that_does_not_fit_is_reported_when_the_model_is_built():
    with pytest.raises(ShapeError, match="'big' \\(Conv2D\\): kernel \\(5, 5\\) does not fit"):
        Sequential([Input((3, 3, 1)), Conv2D(2, 5, name="big")])


def test_wrong_channel_count_after_build_names_the_layer():
    layer = Conv2D(2, 3, name="rgb")
    layer(np.zeros((1, 8, 8, 3)))
    kernel = layer.get_weights()[0]
    with pytest.raises(ShapeError) as info:
        layer(np.zeros((1, 8, 8, 1)))
    message = str(info.value)
    assert "'rgb'" in message and "(None, 8, 8, 3)" in message
    assert message.endswith("Received: (1, 8, 8, 1)")
    np.testing.assert_array_equal(layer.get_weights()[0], kernel)


@pytest.mark.parametrize(
    "kwargs, argument",
    [
        ({"filters": 0, "kernel_size": 3}, "filters"),
        ({"filters": -2, "kernel_size": 3}, "filters"),
        ({"filters": 2.5, "kernel_size": 3}, "filters"),
        ({"filters": True, "kernel_size": 3}, "filters"),
        ({"filters": "8", "kernel_size": 3}, "filters"),
        ({"filters": 2, "kernel_size": 0}, "kernel_size"),
        ({"filters": 2, "kernel_size": (3,)}, "kernel_size"),
        ({"filters": 2, "kernel_size": (3, 3, 3)}, "kernel_size"),
        ({"filters": 2, "kernel_size": 3, "strides": 0}, "strides"),
        ({"filters": 2, "kernel_size": 3, "strides": (2, -1)}, "strides"),
        ({"filters": 2, "kernel_size": 3, "dilation_rate": 0}, "dilation_rate"),
        ({"filters": 2, "kernel_size": 3, "padding": "full"}, "padding"),
        ({"filters": 2, "kernel_size": 3, "padding": -1}, "padding"),
        ({"filters": 2, "kernel_size": 3, "padding": (1, 2, 3)}, "padding"),
        pytest.param({"filters": 2, "kernel_size": 3.0}, "kernel_size"),
        pytest.param({"filters": 2, "kernel_size": 3, "strides": 1.5}, "strides"),
    ],
)  # fmt: skip
def test_bad_arguments_raise_config_error_naming_layer_and_argument(kwargs, argument):
    with pytest.raises(ConfigError) as info:
        Conv2D(**kwargs, name="bad")
    message = str(info.value)
    assert "'bad'" in message and argument in message
    assert "Received: " in message


# -- float32 end to end ------------------------------------------------------------------------


def _cnn():
    stack = [Input((12, 12, 1)), Conv2D(4, 3, activation="relu")]
    if hasattr(layers, "MaxPooling2D"):  # added concurrently; use it once it exists
        stack.append(layers.MaxPooling2D(2))
    return Sequential([*stack, Flatten(), Dense(3, activation="softmax")])


def test_cnn_training_step_keeps_float32_everywhere():
    rng = _rng(8)
    x = rng.standard_normal((16, 12, 12, 1))  # float64 NumPy input
    y = rng.integers(0, 3, 16)
    assert x.dtype == np.float64
    model = _cnn()
    model.compile(optimizer=optimizers.Adam(), loss="sparse_categorical_crossentropy")
    conv = model.layers[0]
    kernel_before = conv.kernel.data.copy()
    history = model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    assert not np.array_equal(conv.kernel.data, kernel_before)  # the conv layer was trained

    weights = [w for layer in model.layers for w in layer.weights]
    assert len(weights) == 4  # conv kernel, conv bias, dense kernel, dense bias
    for w in weights:
        assert w.dtype == np.float32, w.name
        assert w.grad is not None and w.grad.dtype == np.float32, w.name
        assert w.grad.shape == w.shape, w.name
    assert np.abs(conv.kernel.grad).sum() > 0  # gradients reached the first layer
    for array in model.get_weights():
        assert array.dtype == np.float32
    for group in getattr(model.optimizer, "_groups", []):  # Adam's moments, if exposed
        for name, state in group.state.items():
            assert state.dtype == np.float32, name

    predictions = model.predict(x, verbose=0)
    assert predictions.dtype == np.float32 and predictions.shape == (16, 3)
    np.testing.assert_allclose(predictions.sum(axis=1), 1, rtol=1e-5)

    # every intermediate activation too
    h = npl.Tensor(x[:2])
    assert h.dtype == np.float32
    for layer in model.layers:
        h = layer(h)
        assert h.dtype == np.float32, layer.name


def test_forward_floats_is_the_larger_of_im2col_and_output():
    wide = Conv2D(8, 3)
    wide.build_for((10, 10, 3))
    assert wide.forward_floats() == 8 * 8 * 3 * 3 * 3  # im2col: 64 positions x 27 values
    many = Conv2D(64, 1)
    many.build_for((4, 4, 2))
    assert many.forward_floats() == 4 * 4 * 64  # the output is larger than im2col (16 x 2)
