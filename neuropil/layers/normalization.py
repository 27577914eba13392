"""BatchNormalization over the last axis (features of (N, C) or channels of NHWC images).

>>> import numpy as np
>>> from neuropil.layers import BatchNormalization
>>> bn = BatchNormalization()
>>> y = bn(np.random.default_rng(0).normal(5, 3, (64, 4)), training=True)
>>> bool(abs(y.data.mean()) < 1e-3)
True
"""

import numpy as np

from neuropil import initializers
from neuropil.errors import ConfigError, ShapeError
from neuropil.functional import batch_norm, batch_norm_train
from neuropil.layers.base import Layer
from neuropil.tensor import Tensor, no_grad


def _number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class BatchNormalization(Layer):
    """Normalizes each feature over the batch (and spatial axes), then scales and shifts.

    Training uses the batch statistics and updates the moving ones as
    ``moving = momentum * moving + (1 - momentum) * batch`` (Keras's rule, biased variance);
    inference uses the moving statistics. Weights, in order: gamma (unless ``scale=False``),
    beta (unless ``center=False``), moving_mean, moving_variance (the last two not trainable).
    """

    def __init__(
        self,
        axis=-1,
        momentum=0.99,
        epsilon=1e-3,
        center=True,
        scale=True,
        beta_initializer="zeros",
        gamma_initializer="ones",
        moving_mean_initializer="zeros",
        moving_variance_initializer="ones",
        **kwargs,
    ):
        super().__init__(**kwargs)
        if isinstance(axis, bool) or not isinstance(axis, int) or axis == 0:
            raise ConfigError(
                f"BatchNormalization '{self.name}' normalizes the last axis (channels-last): "
                f"axis=-1, or its number (3 for NHWC images). Received: axis={axis!r}"
            )
        if not _number(momentum) or not 0 <= momentum <= 1:
            raise ConfigError(
                f"BatchNormalization momentum must be in [0, 1]. Received: momentum={momentum!r}"
            )
        if not _number(epsilon) or epsilon <= 0:
            raise ConfigError(
                f"BatchNormalization epsilon must be > 0. Received: epsilon={epsilon!r}"
            )
        self.axis, self.momentum, self.epsilon = axis, float(momentum), float(epsilon)
        self.center, self.scale = bool(center), bool(scale)
        self._inits = {
            "gamma": initializers.get(gamma_initializer),
            "beta": initializers.get(beta_initializer),
            "moving_mean": initializers.get(moving_mean_initializer),
            "moving_variance": initializers.get(moving_variance_initializer),
        }

    def build(self, input_shape):
        if len(input_shape) < 1:
            raise ShapeError(
                f"Layer '{self.name}' (BatchNormalization) expects inputs of shape "
                f"(batch, ..., channels). Received: {(None, *input_shape)}"
            )
        if self.axis not in (-1, len(input_shape)):
            raise ShapeError(
                f"Layer '{self.name}' (BatchNormalization) normalizes the last axis, "
                f"{len(input_shape)} for inputs of shape {(None, *input_shape)}. "
                f"Received: axis={self.axis}"
            )
        channels = (input_shape[-1],)
        # scale/center=False: gamma/beta are the constants 1/0, not weights (as in Keras, so
        # get_weights and the parameter count match); the op stays one formula
        self.gamma = (self.add_weight("gamma", channels, self._inits["gamma"]) if self.scale
                      else Tensor(np.ones(channels), dtype=self.dtype))  # fmt: skip
        self.beta = (self.add_weight("beta", channels, self._inits["beta"]) if self.center
                     else Tensor(np.zeros(channels), dtype=self.dtype))  # fmt: skip
        self.moving_mean = self.add_weight(
            "moving_mean", channels, self._inits["moving_mean"], trainable=False
        )
        self.moving_variance = self.add_weight(
            "moving_variance", channels, self._inits["moving_variance"], trainable=False
        )

    def call(self, x, training=False):
        if not training or not self.trainable:  # a frozen layer uses its moving statistics
            return batch_norm(
                x, self.gamma, self.beta, self.moving_mean, self.moving_variance, self.epsilon
            )
        out, mean, var = batch_norm_train(x, self.gamma, self.beta, self.epsilon)
        with no_grad():
            m = self.momentum
            self.moving_mean.data *= m
            self.moving_mean.data += (1 - m) * mean
            self.moving_variance.data *= m
            self.moving_variance.data += (1 - m) * var
        return out

    def get_config(self):
        return {
            **super().get_config(),
            "axis": self.axis,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            **{f"{k}_initializer": initializers.serialize(v) for k, v in self._inits.items()},
        }
