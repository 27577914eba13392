"""Layer base: naming, weight order and checks, trainable, count_params, configs, shape errors.

This module also holds the helpers the other layer tests share: ``gradcheck_layer`` (a float64
central-difference check of a layer with respect to its input and every trainable weight) and
``forward_backward`` (one forward and backward pass through a layer's own weights, for PyTorch
comparisons).
"""

import collections
import json

import numpy as np
import pytest

import neuropil as npl
from neuropil import layers
from neuropil.errors import ConfigError, NotReadyError, ShapeError, UnknownNameError
from neuropil.layers import (
    ELU,
    Activation,
    BatchNormalization,
    Dense,
    Dropout,
    Flatten,
    Input,
    InputLayer,
    Layer,
    LeakyReLU,
    Maxout,
    PReLU,
    ReLU,
    Reshape,
    Softmax,
    base,
)
from neuropil.tensor import Tensor
from tests.gradcheck import check_gradients

# -- shared helpers ----------------------------------------------------------------------------


def weight_attributes(layer):
    """Names of the attributes (``kernel``, ``bias``, ``alpha``, ``gamma``...) holding the layer's
    trainable weights, in ``trainable_weights`` order."""
    by_id = {id(v): k for k, v in vars(layer).items() if isinstance(v, Tensor)}
    return [by_id[id(w)] for w in layer.trainable_weights]


def gradcheck_layer(layer, x, weights=None, training=False, seed=None, **tolerances):
    """Check ``layer(x, training)``'s gradients w.r.t. x and every trainable weight in float64.

    Each evaluation swaps the layer's weight attributes for the Tensors ``check_gradients``
    perturbs, re-seeds the generator when ``seed`` is given (so dropout draws the same mask every
    time) and afterwards restores every weight, so BatchNormalization's moving statistics do not
    drift between evaluations. ``weights`` maps attribute names to the values to check at
    (default: the layer's current values). Returns the attribute names that were checked.
    """
    assert layer.dtype == "float64", "gradient checks run in float64"
    if not layer.built:
        layer.build_for(np.shape(x)[1:])
    names = weight_attributes(layer)
    values = [np.array(getattr(layer, n).data) for n in names]
    for name, value in (weights or {}).items():
        values[names.index(name)] = np.asarray(value, dtype=np.float64)

    def fn(x, *ws):
        saved, state = {n: getattr(layer, n) for n in names}, layer.get_weights()
        try:
            for n, w in zip(names, ws):
                setattr(layer, n, w)
            if seed is not None:
                npl.set_seed(seed)
            return layer(x, training=training)
        finally:
            for n, t in saved.items():
                setattr(layer, n, t)
            layer.set_weights(state)

    check_gradients(fn, x, *values, **tolerances)
    return names


def forward_backward(layer, x, upstream, training=False):
    """Run ``layer`` on ``x`` with its own weights, backpropagate ``upstream``.

    Returns (output array, input gradient, {weight attribute: gradient}).
    """
    xt = npl.Tensor(x, requires_grad=True, dtype=layer.dtype)
    for w in layer.weights:
        w.zero_grad()
    out = layer(xt, training=training)
    out.backward(np.asarray(upstream, dtype=layer.dtype))
    return out.data, xt.grad, {n: getattr(layer, n).grad for n in weight_attributes(layer)}


# -- naming ------------------------------------------------------------------------------------


@pytest.fixture
def fresh_names(monkeypatch):
    """Layer names as in a fresh Python session (the counter is global, like Keras's)."""
    monkeypatch.setattr(base, "_name_counts", collections.Counter())


def test_default_names_count_per_class_like_keras(fresh_names):
    names = [
        Dense(2).name,
        Dense(2).name,
        Flatten().name,
        Dense(2).name,
        Flatten().name,
        BatchNormalization().name,
        Input((3,)).name,
    ]
    assert names == [
        "dense",
        "dense_1",
        "flatten",
        "dense_2",
        "flatten_1",
        "batch_normalization",
        "input_layer",
    ]


@pytest.mark.parametrize(
    "cls, expected",
    [
        (ReLU, "re_lu"),
        (LeakyReLU, "leaky_re_lu"),
        (PReLU, "p_re_lu"),
        (ELU, "elu"),
        (Softmax, "softmax"),
        (Flatten, "flatten"),
        (BatchNormalization, "batch_normalization"),
        (lambda: Maxout(2), "maxout"),
        (lambda: Dropout(0.5), "dropout"),
        (lambda: Reshape((1,)), "reshape"),
        (lambda: Activation("relu"), "activation"),
    ],
)
def test_class_names_become_keras_snake_case(fresh_names, cls, expected):
    assert cls().name == expected


def test_explicit_name_is_kept_and_prefixes_weight_names():
    layer = Dense(3, name="hidden")
    layer(np.ones((2, 4)))
    assert layer.name == "hidden"
    assert [w.name for w in layer.weights] == ["hidden/kernel", "hidden/bias"]


@pytest.mark.parametrize("name", [123, ["a"]])
def test_non_string_name_is_rejected(name):
    with pytest.raises(ConfigError, match="name"):
        Dense(3, name=name)


# -- get_weights / set_weights -----------------------------------------------------------------


def test_dense_weights_are_kernel_then_bias():
    layer = Dense(3)
    layer(np.ones((2, 4)))
    kernel, bias = layer.get_weights()
    assert kernel.shape == (4, 3) and bias.shape == (3,)
    np.testing.assert_array_equal(kernel, layer.kernel.data)
    np.testing.assert_array_equal(bias, layer.bias.data)


def test_dense_without_bias_has_only_a_kernel():
    layer = Dense(3, use_bias=False)
    layer(np.ones((2, 4)))
    assert [w.shape for w in layer.get_weights()] == [(4, 3)]
    assert layer.bias is None


def test_batchnorm_weights_are_gamma_beta_moving_mean_moving_variance():
    layer = BatchNormalization()
    layer(np.ones((2, 5)))
    values = [np.full(5, v, dtype=np.float32) for v in (1.5, 2.5, 3.5, 4.5)]
    layer.set_weights(values)
    for attr, v in zip(["gamma", "beta", "moving_mean", "moving_variance"], values):
        np.testing.assert_array_equal(getattr(layer, attr).data, v)
    np.testing.assert_array_equal(layer.get_weights(), values)


def test_get_weights_returns_copies():
    layer = Dense(3)
    layer(np.ones((2, 4)))
    kernel = layer.get_weights()[0]
    kernel += 100
    assert not np.allclose(layer.kernel.data, kernel)


def test_set_weights_writes_in_place_and_keeps_dtype():
    layer = Dense(3)
    layer(np.ones((2, 4)))
    kernel_buffer = layer.kernel.data  # optimizers may hold this very array
    new = [np.arange(12.0).reshape(4, 3), np.array([1.0, 2.0, 3.0])]  # float64
    layer.set_weights(new)
    assert layer.kernel.data is kernel_buffer
    np.testing.assert_array_equal(kernel_buffer, new[0])
    assert layer.kernel.dtype == np.float32 and layer.bias.dtype == np.float32
    np.testing.assert_array_equal(layer.get_weights()[1], new[1])


def test_set_weights_wrong_count_raises_and_changes_nothing():
    layer = Dense(3, name="d_count")
    layer(np.ones((2, 4)))
    before = layer.get_weights()
    with pytest.raises(ShapeError, match="'d_count' has 2 weight arrays") as info:
        layer.set_weights([np.zeros((4, 3))])
    assert "Received: 1 arrays" in str(info.value)
    for a, b in zip(before, layer.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_set_weights_wrong_shape_raises_before_writing_any_weight():
    layer = Dense(3, name="d_shape")
    layer(np.ones((2, 4)))
    before = layer.get_weights()
    with pytest.raises(ShapeError) as info:
        layer.set_weights([np.full((4, 3), 7.0), np.zeros(4)])  # good kernel, bad bias
    message = str(info.value)
    assert "d_shape/bias" in message and "(3,)" in message and "(4,)" in message
    for a, b in zip(before, layer.get_weights()):
        np.testing.assert_array_equal(a, b)  # the kernel was not written either


def test_set_weights_on_batchnorm_checks_every_shape():
    layer = BatchNormalization()
    layer(np.ones((2, 5)))
    before = layer.get_weights()
    with pytest.raises(ShapeError, match="moving_variance"):
        layer.set_weights([np.ones(5), np.ones(5), np.ones(5), np.ones(4)])
    for a, b in zip(before, layer.get_weights()):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("bad", [np.array(["a", "b", "c"]), np.array([1j, 2, 3]),
                                 np.array([None, 1, 2])])  # fmt: skip
def test_set_weights_of_anything_but_real_numbers_changes_nothing(bad):
    layer = Dense(3)
    layer(np.ones((2, 4)))
    before = layer.get_weights()
    with pytest.raises(ConfigError, match="takes real numbers. Received: an array of dtype"):
        layer.set_weights([np.full((4, 3), 7.0), bad])
    np.testing.assert_array_equal(layer.get_weights()[0], before[0])


def test_set_weights_on_unbuilt_layer_says_it_has_none():
    with pytest.raises(ShapeError, match="0 weight arrays"):
        Dense(3).set_weights([np.zeros((4, 3)), np.zeros(3)])


# -- trainable ---------------------------------------------------------------------------------


def test_trainable_false_freezes_every_weight():
    layer = Dense(3, trainable=False)
    layer(np.ones((2, 4)))
    assert layer.trainable_weights == []
    assert layer.non_trainable_weights == layer.weights and len(layer.weights) == 2
    layer.trainable = True
    assert layer.trainable_weights == layer.weights
    assert layer.non_trainable_weights == []


def test_trainable_weights_of_batchnorm_exclude_moving_statistics():
    layer = BatchNormalization()
    layer(np.ones((2, 5)))
    assert layer.trainable_weights == [layer.gamma, layer.beta]
    assert layer.non_trainable_weights == [layer.moving_mean, layer.moving_variance]
    layer.trainable = False
    assert layer.trainable_weights == []
    assert len(layer.non_trainable_weights) == 4


# -- count_params ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make, input_shape, expected",
    [
        (lambda: Dense(3), (4,), 4 * 3 + 3),
        (lambda: Dense(3, use_bias=False), (4,), 12),
        (lambda: Maxout(3, pieces=2), (4,), 4 * 6 + 6),
        (lambda: PReLU(), (4, 4, 3), 48),
        (lambda: PReLU(shared_axes=[1, 2]), (4, 4, 3), 3),
        (lambda: BatchNormalization(), (4, 4, 3), 4 * 3),
        (lambda: Flatten(), (4, 4, 3), 0),
        (lambda: Dropout(0.5), (4,), 0),
        (lambda: ReLU(), (4,), 0),
    ],
)
def test_count_params(make, input_shape, expected):
    layer = make()
    layer(np.ones((2, *input_shape)))
    assert layer.count_params() == expected
    assert layer.count_params() == sum(w.size for w in layer.get_weights())


# -- configs -----------------------------------------------------------------------------------

EVERY_LAYER = {
    "InputLayer": (lambda: InputLayer((3, 4), name="in"), None),
    "Dense": (lambda: Dense(3, activation="relu", input_shape=(4,), name="d1"), (4,)),
    "Dense_nobias": (
        lambda: Dense(
            2,
            use_bias=False,
            kernel_initializer="he_normal",
            bias_initializer="ones",
            trainable=False,
            dtype="float64",
        ),
        (4,),
    ),
    "Activation": (lambda: Activation("tanh"), (3,)),
    "Dropout": (lambda: Dropout(0.25, noise_shape=(None, 1)), (3,)),
    "Flatten": (lambda: Flatten(), (2, 3)),
    "Reshape": (lambda: Reshape((-1, 2)), (2, 3)),
    "ReLU": (lambda: ReLU(), (3,)),
    "LeakyReLU": (lambda: LeakyReLU(negative_slope=0.1), (3,)),
    "PReLU": (lambda: PReLU(alpha_initializer="random_uniform", shared_axes=[1, 2]), (2, 2, 3)),
    "ELU": (lambda: ELU(alpha=0.5), (3,)),
    "Softmax": (lambda: Softmax(axis=1), (2, 3)),
    "Maxout": (lambda: Maxout(3, pieces=3, use_bias=False), (4,)),
    "BatchNormalization": (
        lambda: BatchNormalization(momentum=0.9, epsilon=1e-2, center=False),
        (2, 3),
    ),
}


@pytest.mark.parametrize("key", sorted(EVERY_LAYER))
def test_serialize_deserialize_round_trip_through_json(key):
    make, input_shape = EVERY_LAYER[key]
    layer = make()
    spec = json.loads(json.dumps(layers.serialize(layer)))
    assert spec["class_name"] == type(layer).__name__
    clone = layers.deserialize(spec)
    assert type(clone) is type(layer)
    assert clone.get_config() == layer.get_config()
    assert clone is not layer and clone.name == layer.name
    assert clone.trainable == layer.trainable and clone.dtype == layer.dtype
    assert type(layer).from_config(layer.get_config()).get_config() == layer.get_config()
    if input_shape is None:
        return
    x = np.random.default_rng(0).standard_normal((4, *input_shape))
    out = layer(x)
    clone.build_for(input_shape)
    clone.set_weights(layer.get_weights())
    np.testing.assert_array_equal(clone(x).data, out.data)
    assert clone.output_shape == layer.output_shape


def test_round_trip_keeps_declared_input_shape():
    clone = layers.deserialize(layers.serialize(Dense(3, input_dim=7)))
    assert clone.declared_input_shape == (7,)


def test_deserialize_unknown_class_lists_valid_names():
    with pytest.raises(UnknownNameError) as info:
        layers.deserialize({"class_name": "Dens", "config": {}})
    message = str(info.value)
    for name in ("Dense", "BatchNormalization", "PReLU", "Maxout"):
        assert name in message
    assert message.endswith("Received: 'Dens'")


def test_deserialize_rejects_a_spec_that_is_not_a_dict():
    with pytest.raises(ConfigError):
        layers.deserialize(["Dense", {}])
    with pytest.raises(ConfigError):
        layers.deserialize({"class_name": "Dense", "config": "units=3"})


def test_serialize_refuses_unregistered_subclasses():
    class MyDense(Dense):
        pass

    with pytest.raises(ConfigError, match="MyDense"):
        layers.serialize(MyDense(3))


# -- shape errors ------------------------------------------------------------------------------

MISMATCH = {
    "Dense": (lambda: Dense(3, name="m_dense"), (4,), (5,)),
    "Maxout": (lambda: Maxout(3, name="m_maxout"), (4,), (6,)),
    "Flatten": (lambda: Flatten(name="m_flatten"), (2, 3), (3, 2)),
    "Reshape": (lambda: Reshape((3, 2), name="m_reshape"), (2, 3), (6,)),
    "PReLU": (lambda: PReLU(name="m_prelu"), (2, 3), (2, 4)),
    "BatchNormalization": (lambda: BatchNormalization(name="m_bn"), (4, 4, 3), (4, 4, 2)),
    "Input": (lambda: InputLayer((4,), name="m_input"), (4,), (5,)),
}


@pytest.mark.parametrize("key", sorted(MISMATCH))
def test_input_shape_mismatch_names_layer_and_both_shapes(key):
    make, built, received = MISMATCH[key]
    layer = make()
    layer(np.ones((2, *built)))
    before = layer.get_weights()
    with pytest.raises(ShapeError) as info:
        layer(np.ones((2, *received)))
    message = str(info.value)
    assert f"'{layer.name}'" in message
    assert str((None, *built)) in message
    assert message.endswith(f"Received: {(2, *received)}")
    assert layer.input_shape == built
    for a, b in zip(before, layer.get_weights()):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("make", [lambda: Dense(2, name="s"), lambda: ReLU(name="s")])
def test_scalar_input_is_rejected(make):
    with pytest.raises(ShapeError, match="'s' expects a batch"):
        make()(np.float32(1.0))


def test_shape_agnostic_layers_accept_any_shape_after_building():
    layer = ReLU()
    layer(np.ones((2, 3)))
    assert layer(np.ones((4, 5, 6))).shape == (4, 5, 6)


@pytest.mark.parametrize("shape", [(0,), (3, -1), "ab", (), 2.5])
def test_invalid_input_shape_is_a_config_error(shape):
    with pytest.raises(ConfigError, match="input_shape"):
        Dense(3, input_shape=shape)


def test_input_dim_declares_a_one_axis_input_shape():
    assert Dense(3, input_dim=7).declared_input_shape == (7,)
    assert Dense(3, input_shape=5).declared_input_shape == (5,)


def test_input_needs_a_shape():
    with pytest.raises(ConfigError, match="Input needs a shape"):
        Input()
    layer = Input((28, 28, 1))
    assert layer.shape == (28, 28, 1) and layer.built and layer.output_shape == (28, 28, 1)


def test_base_layer_call_is_abstract():
    with pytest.raises(NotImplementedError):
        Layer(name="abstract")(np.ones((2, 3)))


def test_build_records_shapes_once():
    layer = Dense(3)
    assert not layer.built
    with pytest.raises(NotReadyError, match="Layer 'dense.*' \\(Dense\\) is not built yet"):
        layer.count_params()  # Keras raises too: there are no weights yet, not zero of them
    layer(np.ones((2, 4)))
    assert layer.built and layer.input_shape == (4,) and layer.output_shape == (3,)
    kernel = layer.kernel
    layer(np.ones((5, 4)))
    assert layer.kernel is kernel  # not rebuilt
    assert repr(layer) == f"<Dense name={layer.name!r} built=True>"


@pytest.mark.parametrize(
    "make",
    [
        lambda: layers.Conv2D(2, 3, data_format="channels_last"),
        lambda: layers.MaxPooling2D(2, data_format=None),
        lambda: layers.GlobalAveragePooling2D("channels_last"),  # Keras's first argument
        lambda: layers.ZeroPadding2D(1, data_format="channels_last"),
        lambda: layers.Flatten(data_format="channels_last"),
        lambda: layers.Dense(3, kernel_regularizer=None, bias_constraint=None),
    ],
)
def test_keras_arguments_that_change_nothing_are_accepted(make):
    layer = make()
    assert getattr(layer, "keepdims", False) is False


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: layers.Conv2D(2, 3, data_format="channels_first", name="c"),
         r"Conv2D 'c' works on channels-last \(NHWC\).*data_format='channels_first'"),
        (lambda: layers.Dense(3, kernel_regularizer="l2", name="d"),
         r"Dense 'd' does not take kernel_regularizer \(neuropil has no weight regularizers"),
        (lambda: layers.Dense(3, unit=4, name="d"), r"Dense 'd' does not take unit\. Received"),
        (lambda: layers.Dense(3, data_format="channels_last"), r"Dense does not take data_format"),
    ],
)  # fmt: skip
def test_unknown_keyword_arguments_name_the_layer(make, message):
    with pytest.raises(ConfigError, match=message):
        make()
