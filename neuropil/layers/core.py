"""Core layers: Input, Dense, Activation, Dropout, Flatten, Reshape.

>>> import numpy as np, neuropil as npl
>>> from neuropil.layers import Dense, Flatten
>>> Flatten()(np.zeros((2, 28, 28, 1))).shape
(2, 784)
"""

import math

import numpy as np

import neuropil.functional as F
from neuropil import activations, backend, initializers
from neuropil.errors import ConfigError, ShapeError
from neuropil.functional.dropout import mask_shape
from neuropil.functional.pooling import is_int
from neuropil.layers.base import Layer, as_shape, describe_shape


def _positive_int(value, argument, owner):
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ConfigError(f"{owner} {argument} must be a positive integer. Received: {value!r}")
    return value


def resolve_activation(identifier):
    """(function or None, name) for an activation argument; "linear" and None need no op.
    The name is the built-in's, or None for a function of the user's own (so that no
    shortcut taken for a built-in, such as the fused ReLU, applies to it)."""
    if identifier is None or identifier == "linear":
        return None, "linear"
    fn = activations.get(identifier)
    return fn, activations.registered_name(fn)


def activation_config(layer):
    """A layer's activation as its config holds it (see ``activations.serialize``)."""
    name = layer._activation_name
    if name is not None:
        return name
    try:
        return activations.serialize(layer.activation)
    except ConfigError as exc:
        raise ConfigError(f"Layer '{layer.name}' cannot be saved: {exc}") from None


class InputLayer(Layer):
    """Declares the shape of a model's inputs (batch excluded); computes nothing."""

    shape_agnostic = False

    def __init__(self, shape=None, name=None, dtype=None, **kwargs):
        shape = kwargs.pop("input_shape", shape)
        super().__init__(name=name, dtype=dtype, **kwargs)
        self.shape = as_shape(shape, "shape", self.name)
        if self.shape is None:
            raise ConfigError(f"Input needs a shape, e.g. Input((11,)). Received: shape={shape!r}")
        self.declared_input_shape = self.shape
        self.build_for(self.shape)

    def call(self, x, training=False):
        return x

    def get_config(self):
        return {"shape": list(self.shape), "name": self.name, "dtype": self.dtype}


def Input(shape=None, name=None, dtype=None):  # noqa: N802 - Keras spells it as a class
    """The input of a model: ``Input((11,))`` declares 11 features per sample.

    >>> from neuropil.layers import Input
    >>> Input((28, 28, 1)).shape
    (28, 28, 1)
    """
    return InputLayer(shape=shape, name=name, dtype=dtype)


class Dense(Layer):
    """Fully connected layer: ``activation(x @ kernel + bias)``, kernel of shape (in, units).

    >>> import numpy as np
    >>> from neuropil.layers import Dense
    >>> Dense(4, activation="relu")(np.ones((3, 2))).shape
    (3, 4)
    """

    def __init__(
        self,
        units,
        activation=None,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.units = _positive_int(units, "units", f"Dense '{self.name}'")
        self.activation, self._activation_name = resolve_activation(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel = self.bias = None

    def _check_rank(self, shape):
        if len(shape) != 2:
            raise ShapeError(
                f"Layer '{self.name}' ({type(self).__name__}) expects 2-D input (batch, features). "
                f"Received: shape {tuple(shape)}. Add a Flatten layer before it."
            )

    def check_input_shape(self, shape):
        self._check_rank(shape)
        super().check_input_shape(shape)

    def build(self, input_shape):
        self._check_rank((None, *input_shape))
        self.kernel = self.add_weight(
            "kernel", (input_shape[0], self.units), self.kernel_initializer
        )
        if self.use_bias:
            self.bias = self.add_weight("bias", (self.units,), self.bias_initializer)

    def compute_output_shape(self, input_shape):
        return (self.units,)

    def call(self, x, training=False):
        y = F.linear(x, self.kernel, self.bias)
        return y if self.activation is None else self.activation(y)

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "activation": activation_config(self),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
        }


class Activation(Layer):
    """Applies an activation function by name (``"relu"``, ``"softmax"``...) or callable."""

    shape_agnostic = True

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation, self._activation_name = resolve_activation(activation)

    def call(self, x, training=False):
        return x if self.activation is None else self.activation(x)

    def get_config(self):
        return {**super().get_config(), "activation": activation_config(self)}


class Dropout(Layer):
    """Inverted dropout: zeroes a fraction ``rate`` of inputs in training, scales the rest by
    1 / (1 - rate); the identity at inference."""

    shape_agnostic = True

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate < 1:
            raise ConfigError(
                f"Dropout '{self.name}' rate must be a number in [0, 1). Received: {rate!r}"
            )
        seed = backend.check_seed(seed, f"Dropout '{self.name}'")
        self.rate = float(rate)
        if noise_shape is not None and not isinstance(noise_shape, (list, tuple)):
            raise ConfigError(
                f"Dropout '{self.name}' noise_shape must be None or a tuple with one entry per "
                f"input axis, batch first. Received: {noise_shape!r}"
            )
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)
        # With a seed (Keras), the layer draws its masks from its own generator: a fixed
        # sequence of masks whatever else draws random numbers; without, from the global one.
        self.seed = seed
        self._generator = None if seed is None else np.random.default_rng(seed)

    def build(self, input_shape):
        # checked here, not at the first training step, so a bad shape fails before any change
        if self.noise_shape is not None:
            given = self.noise_shape[:1]  # a fixed batch size, if any, stands for the batch
            self._checked_noise_shape((given[0] if given and is_int(given[0]) else 1, *input_shape))

    def _checked_noise_shape(self, shape):
        try:
            return mask_shape(self.noise_shape, shape)
        except ShapeError as exc:
            raise ShapeError(f"Dropout '{self.name}': {exc}") from None

    def call(self, x, training=False):
        if not training or self.rate == 0:
            return x
        if self.noise_shape is not None:  # the batch axis can only be checked now
            self._checked_noise_shape(x.shape)
        return F.dropout(x, self.rate, training=True, noise_shape=self.noise_shape,
                         generator=self._generator)  # fmt: skip

    def get_config(self):
        config = {**super().get_config(), "rate": self.rate}
        if self.noise_shape is not None:
            config["noise_shape"] = list(self.noise_shape)
        if self.seed is not None:
            config["seed"] = self.seed
        return config


class Flatten(Layer):
    """Flattens every sample to one axis: (batch, d1, d2, ...) -> (batch, d1 * d2 * ...)."""

    takes_data_format = True

    def compute_output_shape(self, input_shape):
        return (math.prod(input_shape),)

    def call(self, x, training=False):
        return F.reshape(x, (x.shape[0], -1))


class Reshape(Layer):
    """Reshapes every sample to ``target_shape`` (batch excluded; one entry may be -1)."""

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        integers = all(isinstance(n, (int, np.integer)) and not isinstance(n, bool)
                       for n in target_shape)  # fmt: skip
        target = tuple(int(n) for n in target_shape) if integers else ()
        if not integers or target.count(-1) > 1 or any(n == 0 or n < -1 for n in target):
            raise ConfigError(
                f"Reshape '{self.name}' target_shape takes positive sizes and at most one -1. "
                f"Received: {target_shape!r}"
            )
        self.target_shape = target

    def compute_output_shape(self, input_shape):
        size, known = math.prod(input_shape), math.prod(n for n in self.target_shape if n != -1)
        fits = size % known == 0 if -1 in self.target_shape else size == known
        if not fits:
            raise ShapeError(
                f"Layer '{self.name}' (Reshape) cannot reshape inputs of shape "
                f"{describe_shape(input_shape)} ({size} values) to {self.target_shape}. "
                f"Received: {describe_shape(input_shape)}"
            )
        return tuple(size // known if n == -1 else n for n in self.target_shape)

    def call(self, x, training=False):
        return F.reshape(x, (x.shape[0], *self.output_shape))

    def get_config(self):
        return {**super().get_config(), "target_shape": list(self.target_shape)}
