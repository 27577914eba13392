"""Pooling layers (neuropil/layers/pooling.py): output shapes against the formulas, agreement with
the functional ops and PyTorch, float64 gradient checks, configs, serialization and shape errors.
"""

import collections
import json
import math

import numpy as np
import pytest

import neuropil.functional as F
from neuropil import layers
from neuropil.errors import ConfigError, ShapeError
from neuropil.layers import (
    AveragePooling2D,
    GlobalAveragePooling2D,
    GlobalMaxPooling2D,
    MaxPooling2D,
    MinPooling2D,
    ZeroPadding2D,
    base,
)
from tests.functional.test_pooling import torch_pool
from tests.layers.test_base import forward_backward, gradcheck_layer

torch = pytest.importorskip("torch")

POOLING = {"max": MaxPooling2D, "avg": AveragePooling2D, "min": MinPooling2D}
FUNCTIONS = {"max": F.max_pool2d, "avg": F.avg_pool2d, "min": F.min_pool2d}


def _x(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


# -- output shapes --------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(POOLING))
@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize(
    "pool, strides", [(2, None), ((2, 2), 1), (3, 2), ((2, 3), (3, 1)), (1, 1)]
)
@pytest.mark.parametrize("hw", [(26, 26), (7, 5), (11, 11), (3, 3)])
def test_output_shape_follows_the_formula(kind, hw, pool, strides, padding):
    p = _pair(pool)
    s = p if strides is None else _pair(strides)
    if padding == "same":
        expected = tuple(math.ceil(n / b) for n, b in zip(hw, s))
    else:
        expected = tuple((n - a) // b + 1 for n, a, b in zip(hw, p, s))
    layer = POOLING[kind](pool, strides=strides, padding=padding)
    assert layer.compute_output_shape((*hw, 4)) == (*expected, 4)
    y = layer(np.zeros((2, *hw, 4)))
    assert y.shape == (2, *expected, 4)
    assert layer.output_shape == (*expected, 4) and layer.input_shape == (*hw, 4)


@pytest.mark.parametrize(
    "make, expected",
    [
        (lambda: GlobalAveragePooling2D(), (3,)),
        (lambda: GlobalAveragePooling2D(keepdims=True), (1, 1, 3)),
        (lambda: GlobalMaxPooling2D(), (3,)),
        (lambda: GlobalMaxPooling2D(keepdims=True), (1, 1, 3)),
        (lambda: ZeroPadding2D(), (9, 7, 3)),
        (lambda: ZeroPadding2D(2), (11, 9, 3)),
        (lambda: ZeroPadding2D((0, 3)), (7, 11, 3)),
        (lambda: ZeroPadding2D(((1, 0), (2, 3))), (8, 10, 3)),
    ],
)
def test_other_layers_output_shapes(make, expected):
    layer = make()
    assert layer(np.zeros((2, 7, 5, 3))).shape == (2, *expected)
    assert layer.output_shape == expected


def test_keras_defaults():
    layer = MaxPooling2D()
    assert layer.pool_size == (2, 2) and layer.strides == (2, 2) and layer.padding == "valid"
    assert AveragePooling2D(3).strides == (3, 3)
    assert MinPooling2D((2, 3), strides=1).strides == (1, 1)
    assert ZeroPadding2D().padding == ((1, 1), (1, 1))
    assert GlobalMaxPooling2D().keepdims is False


# -- forward and backward -------------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(POOLING))
@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize("pool, strides", [(2, None), (3, 2), ((2, 3), 1)])
def test_pooling_layer_matches_torch_and_the_functional_op(kind, pool, strides, padding):
    shape = (2, 7, 5, 3)
    x = _x(shape).astype(np.float32)
    layer = POOLING[kind](pool, strides=strides, padding=padding)
    layer.build_for(shape[1:])
    upstream = _x((2, *layer.output_shape), seed=1)
    out, dx, grads = forward_backward(layer, x, upstream)
    assert grads == {} and out.dtype == np.float32 and dx.dtype == np.float32
    np.testing.assert_array_equal(out, FUNCTIONS[kind](x, pool, strides, padding).data)
    xt = torch.tensor(x, requires_grad=True)
    ref = torch_pool(kind, pool, strides, padding, shape)(xt)
    ref.backward(torch.tensor(upstream, dtype=torch.float32))
    np.testing.assert_allclose(out, ref.detach().numpy(), atol=1e-6, rtol=1e-6)
    np.testing.assert_allclose(dx, xt.grad.numpy(), atol=1e-6, rtol=1e-6)


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda: MaxPooling2D(dtype="float64"), id="max"),
        pytest.param(lambda: MaxPooling2D(3, 1, "same", dtype="float64"), id="max-3-1-same"),
        pytest.param(lambda: AveragePooling2D(dtype="float64"), id="avg"),
        pytest.param(lambda: AveragePooling2D((2, 3), 2, "same", dtype="float64"), id="avg-same"),
        pytest.param(lambda: MinPooling2D(dtype="float64"), id="min"),
        pytest.param(lambda: MinPooling2D(3, (1, 2), "same", dtype="float64"), id="min-same"),
        pytest.param(lambda: GlobalAveragePooling2D(dtype="float64"), id="global-avg"),
        pytest.param(lambda: GlobalMaxPooling2D(keepdims=True, dtype="float64"), id="global-max"),
        pytest.param(lambda: ZeroPadding2D(((1, 0), (2, 1)), dtype="float64"), id="zero-pad"),
    ],
)
def test_layer_gradcheck(make):
    assert gradcheck_layer(make(), _x((2, 7, 5, 3), seed=2)) == []  # no weights, input only


@pytest.mark.parametrize(
    "layer, torch_fn",
    [
        (GlobalAveragePooling2D(), lambda t: t.mean(dim=(1, 2))),
        (GlobalMaxPooling2D(keepdims=True), lambda t: t.amax(dim=(1, 2), keepdim=True)),
        (
            ZeroPadding2D((1, 2)),
            lambda t: torch.nn.functional.pad(t.permute(0, 3, 1, 2), (2, 2, 1, 1)).permute(
                0, 2, 3, 1
            ),
        ),
    ],
)
def test_other_layers_match_torch(layer, torch_fn):
    x = _x((2, 5, 4, 3)).astype(np.float32)
    upstream = _x((2, *layer.build_for(x.shape[1:])), seed=1)
    out, dx, _ = forward_backward(layer, x, upstream)
    xt = torch.tensor(x, requires_grad=True)
    ref = torch_fn(xt)
    ref.backward(torch.tensor(upstream, dtype=torch.float32))
    np.testing.assert_allclose(out, ref.detach().numpy(), atol=1e-6, rtol=1e-6)
    np.testing.assert_allclose(dx, xt.grad.numpy(), atol=1e-6, rtol=1e-6)


# -- configs --------------------------------------------------------------------------------------

CONFIGURED = {
    "MaxPooling2D": lambda: MaxPooling2D((3, 2), strides=(1, 2), padding="same", name="mp"),
    "AveragePooling2D": lambda: AveragePooling2D(3, dtype="float64", input_shape=(7, 5, 2)),
    "MinPooling2D": lambda: MinPooling2D(2, strides=1, trainable=False),
    "GlobalAveragePooling2D": lambda: GlobalAveragePooling2D(keepdims=True, name="gap"),
    "GlobalMaxPooling2D": lambda: GlobalMaxPooling2D(),
    "ZeroPadding2D": lambda: ZeroPadding2D(((1, 0), (2, 3)), name="zp"),
}


@pytest.mark.parametrize("key", sorted(CONFIGURED))
def test_serialize_deserialize_round_trip(key):
    layer = CONFIGURED[key]()
    spec = json.loads(json.dumps(layers.serialize(layer)))
    assert spec["class_name"] == key
    clone = layers.deserialize(spec)
    assert type(clone) is type(layer) and clone is not layer
    assert clone.get_config() == layer.get_config()
    assert vars(clone).keys() == vars(layer).keys()
    for attr in ("pool_size", "strides", "padding", "keepdims", "name", "dtype", "trainable"):
        assert getattr(clone, attr, None) == getattr(layer, attr, None), attr
    x = _x((2, 7, 5, 2))
    np.testing.assert_array_equal(clone(x).data, layer(x).data)


def test_config_contents():
    config = MaxPooling2D(3, strides=(1, 2), padding="SAME", name="mp").get_config()
    assert config == {
        "name": "mp",
        "trainable": True,
        "dtype": "float32",
        "pool_size": [3, 3],
        "strides": [1, 2],
        "padding": "same",
    }
    assert ZeroPadding2D((1, 2)).get_config()["padding"] == [[1, 1], [2, 2]]
    assert GlobalMaxPooling2D(keepdims=True).get_config()["keepdims"] is True


@pytest.mark.parametrize("cls", [MaxPooling2D, AveragePooling2D, MinPooling2D])
@pytest.mark.parametrize(
    "kwargs, argument",
    [
        ({"pool_size": 0}, "pool_size"),
        ({"pool_size": (2, -1)}, "pool_size"),
        ({"pool_size": 1.5}, "pool_size"),
        ({"pool_size": (2, 2, 2)}, "pool_size"),
        ({"pool_size": "2"}, "pool_size"),
        ({"pool_size": None}, "pool_size"),
        ({"strides": 0}, "strides"),
        ({"strides": (1, True)}, "strides"),
        ({"strides": [2.0, 2]}, "strides"),
        ({"padding": "full"}, "padding"),
        ({"padding": None}, "padding"),
    ],
)
def test_bad_pooling_configs(cls, kwargs, argument):
    with pytest.raises(ConfigError) as info:
        cls(name="bad", **kwargs)
    message = str(info.value)
    assert message.startswith(f"{cls.__name__} 'bad' {argument} must be")
    assert message.endswith(f"Received: {next(iter(kwargs.values()))!r}")


@pytest.mark.parametrize("padding", [-1, (1, 2, 3), ((1, 2), (3,)), 1.0, "same"])
def test_bad_zero_padding(padding):
    with pytest.raises(ConfigError, match=r"ZeroPadding2D 'zp' padding must be"):
        ZeroPadding2D(padding, name="zp")


# -- shape errors ---------------------------------------------------------------------------------


@pytest.mark.parametrize("cls", [MaxPooling2D, AveragePooling2D, MinPooling2D])
def test_pool_that_does_not_fit_names_the_layer_and_sizes(cls):
    layer = cls((3, 3), name="small")
    with pytest.raises(ShapeError) as info:
        layer(np.zeros((4, 2, 2, 8)))
    message = str(info.value)
    assert message.startswith(f"Layer 'small' ({cls.__name__}): pool (3, 3) does not fit input 2x2")
    assert message.endswith("Received: (None, 2, 2, 8)")
    assert not layer.built
    with pytest.raises(ShapeError, match=r"pool \(2, 4\) does not fit input 5x3"):
        cls((2, 4), name="narrow").build_for((5, 3, 1))
    assert cls(3, padding="same")(np.zeros((4, 2, 2, 8))).shape == (4, 1, 1, 8)


@pytest.mark.parametrize(
    "make",
    [
        lambda: MaxPooling2D(name="rank"),
        lambda: AveragePooling2D(name="rank"),
        lambda: MinPooling2D(name="rank"),
        lambda: GlobalAveragePooling2D(name="rank"),
        lambda: GlobalMaxPooling2D(name="rank"),
        lambda: ZeroPadding2D(name="rank"),
    ],
)
@pytest.mark.parametrize("shape", [(2, 28, 28), (2, 4, 4, 1, 1), (2, 10)])
def test_input_must_be_a_batch_of_images(make, shape):
    layer = make()
    with pytest.raises(ShapeError) as info:
        layer(np.zeros(shape))
    message = str(info.value)
    assert message.startswith(f"Layer 'rank' ({type(layer).__name__}) expects 4-D input")
    assert message.endswith(f"Received: {(None, *shape[1:])}")


def test_built_layer_rejects_another_input_shape():
    layer = MaxPooling2D(name="built")
    layer(np.zeros((2, 8, 8, 3)))
    layer(np.zeros((5, 8, 8, 3)))  # another batch size is fine
    with pytest.raises(ShapeError, match=r"'built' \(MaxPooling2D\) was built for inputs of shape"):
        layer(np.zeros((2, 6, 6, 3)))


def test_default_names_are_keras_snake_case(monkeypatch):
    monkeypatch.setattr(base, "_name_counts", collections.Counter())
    names = [cls().name for cls in (MaxPooling2D, MaxPooling2D, AveragePooling2D, MinPooling2D)]
    assert names == ["max_pooling2d", "max_pooling2d_1", "average_pooling2d", "min_pooling2d"]
    assert GlobalAveragePooling2D().name == "global_average_pooling2d"
    assert GlobalMaxPooling2D().name == "global_max_pooling2d"
    assert ZeroPadding2D().name == "zero_padding2d"
    monkeypatch.setattr(base, "_name_counts", collections.Counter())
    with pytest.raises(ShapeError) as info:
        MaxPooling2D((3, 3))(np.zeros((1, 2, 2, 8)))
    assert str(info.value) == (
        "Layer 'max_pooling2d' (MaxPooling2D): pool (3, 3) does not fit input 2x2 with "
        "padding='valid'; use a smaller pool or padding='same'. Received: (None, 2, 2, 8)"
    )
