"""Layers, Keras-style: build from an input shape, ``call(x, training)``, weights and configs.

>>> from neuropil.layers import Dense, deserialize, serialize
>>> layer = deserialize(serialize(Dense(3, activation="relu", name="d")))
>>> layer.units, layer.name
(3, 'd')
"""

from neuropil import activations
from neuropil.errors import ConfigError, unknown_name
from neuropil.layers.activation import ELU, LeakyReLU, Maxout, PReLU, ReLU, Softmax
from neuropil.layers.base import Layer
from neuropil.layers.conv import Conv2D
from neuropil.layers.core import Activation, Dense, Dropout, Flatten, Input, InputLayer, Reshape
from neuropil.layers.normalization import BatchNormalization
from neuropil.layers.pooling import (
    AveragePooling2D,
    GlobalAveragePooling2D,
    GlobalMaxPooling2D,
    MaxPooling2D,
    MinPooling2D,
    ZeroPadding2D,
)

_BUILTIN = {
    cls.__name__: cls
    for cls in (
        InputLayer, Dense, Activation, Dropout, Flatten, Reshape, ReLU, LeakyReLU, PReLU, ELU,
        Softmax, Maxout, BatchNormalization, Conv2D,
        MaxPooling2D, AveragePooling2D, MinPooling2D, GlobalAveragePooling2D, GlobalMaxPooling2D,
        ZeroPadding2D,
    )
}  # fmt: skip


def register(cls):
    """Make a built-in layer class loadable from model files (no code is ever imported)."""
    _BUILTIN[cls.__name__] = cls
    return cls


def serialize(layer):
    """``{"class_name", "config"}`` of a built-in layer."""
    if _BUILTIN.get(type(layer).__name__) is not type(layer):
        raise ConfigError(
            f"Only neuropil's own layers can be saved. Received: {type(layer).__name__}"
        )
    return {"class_name": type(layer).__name__, "config": layer.get_config()}


def deserialize(spec, custom_objects=None):
    """A new layer from ``{"class_name", "config"}``; only registered classes are allowed.
    An activation function of the user's own is taken from ``custom_objects`` by name."""
    if not isinstance(spec, dict) or not isinstance(spec.get("config", {}), dict):
        raise ConfigError(f"A layer spec is a dict with class_name and config. Received: {spec!r}")
    cls = _BUILTIN.get(spec.get("class_name"))
    if cls is None:
        raise unknown_name("layer class", spec.get("class_name"), _BUILTIN)
    config = dict(spec.get("config", {}))
    if isinstance(config.get("activation"), dict):
        config["activation"] = activations.deserialize(config["activation"], custom_objects)
    try:
        return cls.from_config(config)
    except TypeError as exc:  # missing or unexpected constructor arguments
        raise ConfigError(f"Invalid config for {cls.__name__}: {exc}. Received: {spec!r}") from None


__all__ = [*_BUILTIN, "Input", "Layer", "register", "serialize", "deserialize"]
