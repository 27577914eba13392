"""Activation layers with arguments or weights: ReLU, LeakyReLU, PReLU, ELU, Softmax, Maxout.

>>> import numpy as np
>>> from neuropil.layers import LeakyReLU
>>> LeakyReLU(negative_slope=0.1)(np.array([[-1.0, 2.0]])).data
array([[-0.1,  2. ]], dtype=float32)
"""

import numpy as np

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
    """max(x, 0) by default. With Keras's arguments: ``max_value`` for x >= max_value,
    x for threshold <= x < max_value, ``negative_slope * (x - threshold)`` below ``threshold``;
    the gradient is that of the piece x falls in (1, 0 or negative_slope).

    >>> import numpy as np
    >>> ReLU(max_value=6.0, negative_slope=0.5, threshold=1.0)(np.array([[-1.0, 3.0, 9.0]])).data
    array([[-1.,  3.,  6.]], dtype=float32)
    """

    shape_agnostic = True

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        super().__init__(**kwargs)
        if max_value is not None:
            max_value = _non_negative(max_value, "max_value", f"ReLU '{self.name}'")
        self.max_value = max_value
        self.negative_slope = _non_negative(negative_slope, "negative_slope", f"ReLU '{self.name}'")
        if isinstance(threshold, bool) or not isinstance(threshold, (int, float)):
            raise ConfigError(
                f"ReLU '{self.name}' threshold must be a number. Received: {threshold!r}"
            )
        self.threshold = float(threshold)

    def call(self, x, training=False):
        if self.max_value is None and self.negative_slope == 0 and self.threshold == 0:
            return F.relu(x)
        below = x.data < self.threshold
        y = F.where(below, (x - self.threshold) * self.negative_slope, x)
        if self.max_value is not None:
            y = F.where(x.data >= self.max_value, np.asarray(self.max_value, x.dtype), y)
        return y

    def get_config(self):
        return {**super().get_config(), "max_value": self.max_value,
                "negative_slope": self.negative_slope, "threshold": self.threshold}  # fmt: skip


class LeakyReLU(Layer):
    """x for x >= 0, ``negative_slope * x`` otherwise (Keras's layer default slope: 0.3;
    ``alpha``, its tf.keras name, is taken too)."""

    shape_agnostic = True

    def __init__(self, negative_slope=0.3, **kwargs):
        if "alpha" in kwargs:  # tf.keras 2 spelling, still accepted by Keras 3
            negative_slope = kwargs.pop("alpha")
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
        if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
            raise ConfigError(
                f"Softmax '{self.name}' axis must be an integer. Received: axis={axis!r}"
            )
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
