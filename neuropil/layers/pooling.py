"""Pooling layers on channels-last images (batch, height, width, channels), as in Keras:
MaxPooling2D, AveragePooling2D, MinPooling2D, GlobalAveragePooling2D, GlobalMaxPooling2D and
ZeroPadding2D. They have no weights; the math lives in ``neuropil.functional.pooling``.

>>> import numpy as np
>>> from neuropil.layers import MaxPooling2D
>>> MaxPooling2D((2, 2))(np.zeros((8, 26, 26, 32))).shape
(8, 13, 13, 32)
"""

import neuropil.functional as F
from neuropil.functional.pooling import (
    check_image_batch,
    check_pool_fits,
    padding_2d,
    pool_arguments,
    pooled_length,
)
from neuropil.layers.base import Layer, describe_shape


class _ImageLayer(Layer):
    """A layer that takes (batch, height, width, channels) and checks it when built."""

    takes_data_format = True

    def _owner(self):
        return f"Layer '{self.name}' ({type(self).__name__})"

    def build(self, input_shape):
        check_image_batch((None, *input_shape), self._owner(), describe_shape(input_shape))


class _Pooling2D(_ImageLayer):
    _function = None  # the neuropil.functional op, set by subclasses

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", **kwargs):
        super().__init__(**kwargs)
        self.pool_size, self.strides, self.padding = pool_arguments(
            pool_size, strides, padding, f"{type(self).__name__} '{self.name}'"
        )

    def build(self, input_shape):
        super().build(input_shape)
        check_pool_fits(
            input_shape[:2],
            self.pool_size,
            self.padding,
            self._owner(),
            describe_shape(input_shape),
        )

    def compute_output_shape(self, input_shape):
        h, w, c = input_shape
        return (
            pooled_length(h, self.pool_size[0], self.strides[0], self.padding),
            pooled_length(w, self.pool_size[1], self.strides[1], self.padding),
            c,
        )

    def call(self, x, training=False):
        return type(self)._function(x, self.pool_size, self.strides, self.padding)

    def get_config(self):
        return {
            **super().get_config(),
            "pool_size": list(self.pool_size),
            "strides": list(self.strides),
            "padding": self.padding,
        }


class MaxPooling2D(_Pooling2D):
    """Keeps the largest value of each ``pool_size`` window, moved by ``strides`` (default: the
    pool size). ``padding="valid"`` gives floor((n - pool) / stride) + 1 rows (columns);
    ``"same"`` gives ceil(n / stride).

    >>> import numpy as np
    >>> from neuropil.layers import MaxPooling2D
    >>> MaxPooling2D(3, strides=2, padding="same")(np.zeros((1, 7, 5, 4))).shape
    (1, 4, 3, 4)
    """

    _function = staticmethod(F.max_pool2d)


class AveragePooling2D(_Pooling2D):
    """Averages each ``pool_size`` window (padding cells of a ``"same"`` pool are not counted).

    >>> import numpy as np
    >>> from neuropil.layers import AveragePooling2D
    >>> AveragePooling2D()(np.ones((1, 4, 4, 1))).data[0, :, :, 0]
    array([[1., 1.],
           [1., 1.]], dtype=float32)
    """

    _function = staticmethod(F.avg_pool2d)


class MinPooling2D(_Pooling2D):
    """Keeps the smallest value of each ``pool_size`` window (the notes' min pooling).

    >>> import numpy as np
    >>> from neuropil.layers import MinPooling2D
    >>> MinPooling2D()(np.arange(16.0).reshape(1, 4, 4, 1)).data[0, :, :, 0]
    array([[ 0.,  2.],
           [ 8., 10.]], dtype=float32)
    """

    _function = staticmethod(F.min_pool2d)


class _GlobalPooling2D(_ImageLayer):
    _function = None

    def __init__(self, data_format=None, keepdims=False, **kwargs):  # Keras's order
        super().__init__(data_format=data_format, **kwargs)
        self.keepdims = bool(keepdims)

    def compute_output_shape(self, input_shape):
        return (1, 1, input_shape[2]) if self.keepdims else (input_shape[2],)

    def call(self, x, training=False):
        return type(self)._function(x, keepdims=self.keepdims)

    def get_config(self):
        return {**super().get_config(), "keepdims": self.keepdims}


class GlobalAveragePooling2D(_GlobalPooling2D):
    """Mean of every channel over height and width: (batch, h, w, c) -> (batch, c).

    >>> import numpy as np
    >>> from neuropil.layers import GlobalAveragePooling2D
    >>> GlobalAveragePooling2D(keepdims=True)(np.ones((2, 5, 5, 3))).shape
    (2, 1, 1, 3)
    """

    _function = staticmethod(F.global_avg_pool2d)


class GlobalMaxPooling2D(_GlobalPooling2D):
    """Max of every channel over height and width: (batch, h, w, c) -> (batch, c).

    >>> import numpy as np
    >>> from neuropil.layers import GlobalMaxPooling2D
    >>> GlobalMaxPooling2D()(np.ones((2, 5, 5, 3))).shape
    (2, 3)
    """

    _function = staticmethod(F.global_max_pool2d)


class ZeroPadding2D(_ImageLayer):
    """Adds rows and columns of zeros around each image. ``padding``: an int (every side),
    (h, w) (h rows above and below, w columns left and right) or ((top, bottom), (left, right)).

    >>> import numpy as np
    >>> from neuropil.layers import ZeroPadding2D
    >>> ZeroPadding2D(((1, 0), (2, 3)))(np.ones((1, 4, 4, 2))).shape
    (1, 5, 9, 2)
    """

    def __init__(self, padding=(1, 1), **kwargs):
        super().__init__(**kwargs)
        self.padding = padding_2d(padding, f"ZeroPadding2D '{self.name}'")

    def compute_output_shape(self, input_shape):
        (t, b), (l, r) = self.padding
        h, w, c = input_shape
        return (h + t + b, w + l + r, c)

    def call(self, x, training=False):
        return F.zero_pad2d(x, self.padding)

    def get_config(self):
        return {**super().get_config(), "padding": [list(p) for p in self.padding]}
