"""Activation layers with arguments or weights: ReLU, LeakyReLU, PReLU, ELU, Softmax, Maxout.

>>> import numpy as np
>>> from neuropil.layers import LeakyReLU
>>> LeakyReLU(negative_slope=0.1)(np.array([[-1.0, 2.0]])).data
array([[-0.1,  2. ]], dtype=float32)
"""

import neuropil.functional as F
from neuropil import initializers
from neuropil.errors import ConfigError
from neuropil.layers.base import Layer
from neuropil.layers.core import Dense


def _non_negative(value, argument, owner):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise ConfigError(f"{owner} {argument} must be a number >= 0. Received: {value!r}")
    return float(value)


class ReLU(Layer):
    """max(x, 0)."""

    shape_agnostic = True

    def call(self, x, training=False):
        return F.relu(x)


class LeakyReLU(Layer):
    """x for x >= 0, ``negative_slope * x`` otherwise (Keras's layer default slope: 0.3)."""

    shape_agnostic = True

    def __init__(self, negative_slope=0.3, **kwargs):
        super().__init__(**kwargs)
        self.negative_slope = _non_negative(negative_slope, "negative_slope", "LeakyReLU")

    def call(self, x, training=False):
        return F.leaky_relu(x, negative_slope=self.negative_slope)

    def get_config(self):
        return {**super().get_config(), "negative_slope": self.negative_slope}


class ELU(Layer):
    """x for x > 0, ``alpha * (exp(x) - 1)`` otherwise."""

    shape_agnostic = True

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        self.alpha = _non_negative(alpha, "alpha", "ELU")

    def call(self, x, training=False):
        return F.elu(x, alpha=self.alpha)

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha}


class Softmax(Layer):
    """Softmax over ``axis`` (the last by default)."""

    shape_agnostic = True

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = int(axis)

    def call(self, x, training=False):
        return F.softmax(x, axis=self.axis)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


class PReLU(Layer):
    """Leaky ReLU whose negative slope ``alpha`` is learned, one per input unit.

    ``shared_axes`` lists axes (1-based, batch is 0) that share one slope, e.g. ``[1, 2]`` for
    one slope per channel of NHWC images.
    """

    def __init__(self, alpha_initializer="zeros", shared_axes=None, **kwargs):
        super().__init__(**kwargs)
        self.alpha_initializer = initializers.get(alpha_initializer)
        if shared_axes is not None and not isinstance(shared_axes, (list, tuple)):
            shared_axes = [shared_axes]
        self.shared_axes = None if shared_axes is None else [int(a) for a in shared_axes]
        self.alpha = None

    def build(self, input_shape):
        shape = list(input_shape)
        for axis in self.shared_axes or ():
            if not 1 <= axis <= len(shape):
                raise ConfigError(
                    f"PReLU '{self.name}' shared_axes must lie in 1..{len(shape)} for inputs of "
                    f"rank {len(shape) + 1}. Received: {self.shared_axes}"
                )
            shape[axis - 1] = 1
        self.alpha = self.add_weight("alpha", tuple(shape), self.alpha_initializer)

    def call(self, x, training=False):
        return F.prelu(x, self.alpha)

    def get_config(self):
        return {
            **super().get_config(),
            "alpha_initializer": initializers.serialize(self.alpha_initializer),
            "shared_axes": self.shared_axes,
        }


class Maxout(Dense):
    """Maxout unit (Goodfellow et al., 2013): ``units`` outputs, each the max of ``pieces``
    affine functions of the input; a Dense layer of units * pieces followed by a group max."""

    def __init__(self, units, pieces=2, **kwargs):
        if isinstance(pieces, bool) or not isinstance(pieces, int) or pieces < 2:
            raise ConfigError(f"Maxout pieces must be an integer >= 2. Received: {pieces!r}")
        if kwargs.get("activation") not in (None, "linear"):
            raise ConfigError(
                f"Maxout takes no activation (the max is its non-linearity). "
                f"Received: activation={kwargs['activation']!r}"
            )
        super().__init__(units * pieces if isinstance(units, int) else units, **kwargs)
        self.pieces = pieces
        self.maxout_units = units

    def compute_output_shape(self, input_shape):
        return (self.maxout_units,)

    def call(self, x, training=False):
        return F.maxout(F.linear(x, self.kernel, self.bias), self.pieces)

    def get_config(self):
        config = super().get_config()
        del config["activation"]
        return {**config, "units": self.maxout_units, "pieces": self.pieces}
