"""Conv2D: a bank of learned filters slid over channels-last images.

>>> import numpy as np
>>> from neuropil.layers import Conv2D
>>> layer = Conv2D(32, 3, activation="relu")
>>> layer(np.zeros((2, 28, 28, 1))).shape, layer.kernel.shape
((2, 26, 26, 32), (3, 3, 1, 32))
"""

import neuropil.functional as F
from neuropil import initializers
from neuropil.errors import ConfigError, ShapeError
from neuropil.functional.conv import conv_output_length, conv_padding
from neuropil.functional.pooling import int_pair
from neuropil.layers.base import Layer, describe_shape
from neuropil.layers.core import activation_config, resolve_activation


class Conv2D(Layer):
    """2-D convolution: ``activation(conv2d(x, kernel) + bias)``, kernel (kh, kw, in, filters).

    ``padding`` is "valid" (no padding), "same" (output size ceil(n / stride), as in Keras) or
    explicit integers; ``dilation_rate`` spaces the kernel taps.
    """

    takes_data_format = True

    def __init__(
        self,
        filters,
        kernel_size,
        strides=(1, 1),
        padding="valid",
        dilation_rate=(1, 1),
        activation=None,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        **kwargs,
    ):
        super().__init__(**kwargs)
        owner = f"Conv2D '{self.name}'"
        if isinstance(filters, bool) or not isinstance(filters, int) or filters < 1:
            raise ConfigError(f"{owner} filters must be a positive integer. Received: {filters!r}")
        self.filters = filters
        self.kernel_size = int_pair(kernel_size, "kernel_size", owner)
        self.strides = int_pair(strides, "strides", owner)
        self.dilation_rate = int_pair(dilation_rate, "dilation_rate", owner)
        pads = conv_padding(padding, (1, 1), (1, 1), (1, 1), owner=owner)  # validates early
        self.padding = padding.lower() if isinstance(padding, str) else pads
        self.activation, self._activation_name = resolve_activation(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel = self.bias = None

    def _geometry(self, input_shape):
        if len(input_shape) != 3:
            raise ShapeError(
                f"Layer '{self.name}' (Conv2D) expects images of shape (batch, height, width, "
                f"channels). Received: {describe_shape(input_shape)}"
                + (
                    ". Add a Reshape layer to give them a channel axis"
                    if len(input_shape) == 2
                    else ""
                )
            )
        height, width, _ = input_shape
        pads = conv_padding(self.padding, (height, width), self.kernel_size, self.strides,
                            self.dilation_rate, owner=f"Conv2D '{self.name}'")  # fmt: skip
        out = tuple(
            conv_output_length(n, k, s, p, d)
            for n, k, s, p, d in zip(
                (height, width), self.kernel_size, self.strides, pads, self.dilation_rate
            )  # fmt: skip
        )
        if min(out) < 1:
            raise ShapeError(
                f"Layer '{self.name}' (Conv2D): kernel {self.kernel_size} does not fit input "
                f"{height}x{width} with padding {self.padding!r}. "
                f"Received: {describe_shape(input_shape)}"
            )
        return out

    def build(self, input_shape):
        self._geometry(input_shape)
        shape = (*self.kernel_size, input_shape[-1], self.filters)
        self.kernel = self.add_weight("kernel", shape, self.kernel_initializer)
        if self.use_bias:
            self.bias = self.add_weight("bias", (self.filters,), self.bias_initializer)

    def compute_output_shape(self, input_shape):
        return (*self._geometry(input_shape), self.filters)

    def forward_floats(self):
        """The im2col matrix: kh * kw * in_channels values for each output position.

        >>> from neuropil.layers import Conv2D
        >>> layer = Conv2D(8, 3); layer.build_for((10, 10, 3))
        (8, 8, 8)
        >>> layer.forward_floats()  # 8 x 8 positions x 27 values
        1728
        """
        if self.output_shape is None:
            return super().forward_floats()
        oh, ow, _ = self.output_shape
        kh, kw = self.kernel_size
        return max(oh * ow * kh * kw * self.input_shape[-1], super().forward_floats())

    def call(self, x, training=False, activation=True):
        """The convolution; ``activation=False`` leaves the activation to the caller."""
        y = F.conv2d(x, self.kernel, self.bias, self.strides, self.padding, self.dilation_rate)
        return y if self.activation is None or not activation else self.activation(y)

    def _call_pooled(self, x, pool_size):
        """``call`` followed by max pooling with strides = ``pool_size``, "valid", as one op
        (``F.conv2d_max_pool2d``); ``Sequential`` calls it for no activation or ReLU only, the
        two that commute with max."""
        return F.conv2d_max_pool2d(
            x, self.kernel, self.bias, self.strides, self.padding, self.dilation_rate,
            pool_size, relu=self._activation_name == "relu",
        )  # fmt: skip

    def get_config(self):
        padding = self.padding if isinstance(self.padding, str) else [list(p) for p in self.padding]
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": list(self.kernel_size),
            "strides": list(self.strides),
            "padding": padding,
            "dilation_rate": list(self.dilation_rate),
            "activation": activation_config(self),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
        }
