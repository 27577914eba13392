import functools

import numpy as np
import pytest

import neuropil as npl
import neuropil.functional as F
from neuropil import activations
from neuropil.errors import ConfigError, UnknownNameError

KERAS_NAMES = ["linear", "relu", "sigmoid", "tanh", "softmax", "log_softmax", "leaky_relu",
               "elu", "selu", "swish", "silu", "softplus", "step", "sign"]  # fmt: skip


def test_keras_names_are_registered():
    assert set(KERAS_NAMES) <= set(activations.names())


@pytest.mark.parametrize("name", activations.names())
def test_every_name_resolves_to_a_tensor_function(name):
    fn = activations.get(name)
    x = npl.Tensor(np.linspace(-2, 2, 12).reshape(3, 4), requires_grad=True)
    y = fn(x)
    assert isinstance(y, npl.Tensor) and y.shape == x.shape and y.dtype == np.float32


@pytest.mark.parametrize(
    "name,fn",
    [("relu", F.relu), ("sigmoid", F.sigmoid), ("softmax", F.softmax), ("tanh", F.tanh),
     ("leaky_relu", F.leaky_relu), ("step", F.step), ("silu", F.silu), ("swish", F.silu),
     ("log_softmax", F.log_softmax), ("elu", F.elu), ("selu", F.selu)],
)  # fmt: skip
def test_names_map_to_the_functional_ops(name, fn):
    assert activations.get(name) is fn


def test_linear_is_identity_and_none_means_linear():
    x = npl.Tensor([-1.0, 2.0])
    assert activations.get(None) is activations.linear
    assert activations.get("linear")(x) is x


def test_callable_passes_through():
    def custom(t):
        return t * 2

    assert activations.get(custom) is custom


def test_unknown_name_lists_valid_names():
    with pytest.raises(UnknownNameError) as info:
        activations.get("relux")
    message = str(info.value)
    assert message.endswith("Received: 'relux'")
    for name in activations.names():
        assert name in message
    assert isinstance(info.value, ConfigError) and isinstance(info.value, KeyError)


def test_names_are_case_sensitive_like_keras():
    with pytest.raises(UnknownNameError):
        activations.get("ReLU")


@pytest.mark.parametrize("bad", [3, 1.5, ["relu"]])
def test_non_callable_identifier_raises(bad):
    with pytest.raises(ConfigError, match="activation expects.*Received"):
        activations.get(bad)


@pytest.mark.parametrize("name", activations.names())
def test_serialize_round_trip(name):
    fn = activations.get(name)
    saved = activations.serialize(fn)
    assert activations.deserialize(saved) is fn
    assert saved == ("silu" if name == "swish" else name)
    assert activations.serialize(name) == saved


def test_serialize_none_and_default_leaky_slope():
    assert activations.serialize(None) == "linear"
    y = activations.deserialize(activations.serialize(F.leaky_relu))(npl.Tensor([-1.0]))
    np.testing.assert_allclose(y.data, [-0.2])


@pytest.mark.parametrize("fn", [lambda t: t, functools.partial(F.leaky_relu, negative_slope=0.1)])
def test_serialize_nameless_callable_raises(fn):
    with pytest.raises(ConfigError, match="registered activation.*def.*Received"):
        activations.serialize(fn)


def cube(x):
    return x * x * x


def test_own_function_saves_by_name_and_loads_from_custom_objects():
    saved = activations.serialize(cube)
    assert saved == {"class_name": "function", "config": "cube"}
    assert activations.deserialize(saved, {"cube": cube}) is cube
    with pytest.raises(ConfigError, match=r"custom_objects=\{'cube': cube\}"):
        activations.deserialize(saved)
    assert activations.registered_name(cube) is None and activations.registered_name(F.relu)


def test_serialize_unknown_name_raises():
    with pytest.raises(UnknownNameError):
        activations.serialize("nope")
