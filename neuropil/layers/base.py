"""The Layer base class: naming, building from an input shape, weights and configs.

A layer is built the first time it sees an input (or when a model is built): ``build`` creates its
weights from the input shape (batch axis excluded). ``call(x, training)`` computes the output from
Tensor ops, so backward comes for free. Weights are Tensors; trainable ones have
``requires_grad=True``.

>>> import numpy as np, neuropil as npl
>>> from neuropil.layers import Dense
>>> layer = Dense(3, name="demo")
>>> y = layer(np.ones((2, 4)))
>>> y.shape, [w.shape for w in layer.get_weights()]
((2, 3), [(4, 3), (3,)])
"""

import collections
import re

import numpy as np

import neuropil.functional as F
from neuropil import backend, initializers
from neuropil.errors import ConfigError, NotReadyError, ShapeError
from neuropil.tensor import Tensor

_name_counts = collections.Counter()


def unique_name(prefix):
    """``prefix``, then ``prefix_1``, ``prefix_2``... as Keras names layers."""
    count = _name_counts[prefix]
    _name_counts[prefix] += 1
    return prefix if count == 0 else f"{prefix}_{count}"


def _snake(name):
    return re.sub(r"(?<=[a-z])([A-Z])|(?<=[A-Z])([A-Z][a-z])", r"_\1\2", name).lower()


def describe_shape(shape):
    """A shape with the batch axis shown as None, as Keras prints it."""
    return str((None, *shape)) if shape is not None else "?"


def checked_weight(weight, array):
    """``array`` as a copy in ``weight``'s dtype, once its shape matches and it holds real
    numbers (a complex array would lose its imaginary part with only a NumPy warning).

    >>> import numpy as np, neuropil as npl
    >>> checked_weight(npl.Tensor(np.zeros(2)), [1, 2]).dtype
    dtype('float32')
    """
    array = np.asarray(array)
    if array.shape != weight.shape:
        raise ShapeError(
            f"Weight '{weight.name}' has shape {weight.shape}. Received: an array of shape "
            f"{array.shape}"
        )
    if array.dtype.kind not in "biuf":
        raise ConfigError(
            f"Weight '{weight.name}' takes real numbers. Received: an array of dtype {array.dtype}"
        )
    return array.astype(weight.dtype)


class Layer:
    """Base class of every layer.

    Keyword arguments shared by all layers: ``name``, ``trainable``, ``dtype`` and, as in Keras 2,
    ``input_shape`` (or ``input_dim``) on the first layer of a model.
    """

    shape_agnostic = False  # layers without weights that accept any input shape
    takes_data_format = False  # image layers take Keras's data_format="channels_last"

    def __init__(self, name=None, trainable=True, dtype=None, input_shape=None, input_dim=None,
                 **keras_only):  # fmt: skip
        _check_keras_only(type(self), name, keras_only)
        self.name = name or unique_name(_snake(type(self).__name__))
        if not isinstance(self.name, str) or not self.name:
            raise ConfigError(f"A layer name must be a non-empty string. Received: {name!r}")
        self.trainable = bool(trainable)
        self.dtype = np.dtype(dtype or backend.floatx()).name
        if input_dim is not None:
            input_shape = (input_dim,)
        self.declared_input_shape = as_shape(input_shape, "input_shape", self.name)
        self.built = False
        self.input_shape = None
        self.output_shape = None
        self._weights = []

    # -- building --------------------------------------------------------------------------
    def build(self, input_shape):
        """Create the weights for inputs of ``input_shape`` (batch excluded). Subclasses extend."""

    def compute_output_shape(self, input_shape):
        """Output shape (batch excluded) for inputs of ``input_shape``."""
        return tuple(input_shape)

    def build_for(self, input_shape):
        """Build once for ``input_shape`` (batch excluded) and record input and output shapes."""
        input_shape = tuple(int(n) for n in input_shape)
        if self.built:
            self.check_input_shape((None, *input_shape))
            return self.output_shape
        self.build(input_shape)
        self.input_shape = input_shape
        self.output_shape = tuple(self.compute_output_shape(input_shape))
        self.built = True
        return self.output_shape

    def unbuild(self):
        """Forget the weights and shapes of a build; the next input builds the layer anew.
        Models call it when a check fails after they built layers for that call.

        >>> from neuropil.layers import Dense
        >>> layer = Dense(3); layer.build_for((2,))
        (3,)
        >>> layer.unbuild(); layer.built, layer.weights
        (False, [])
        """
        self.built, self.input_shape, self.output_shape, self._weights = False, None, None, []

    def forward_floats(self):
        """Values per sample in the largest array a forward pass of this built layer makes
        (its output unless a subclass knows better); ``predict`` sizes its slices with it.

        >>> from neuropil.layers import Dense
        >>> layer = Dense(16); layer.build_for((4,))
        (16,)
        >>> layer.forward_floats()
        16
        """
        return int(np.prod(self.output_shape)) if self.output_shape is not None else 1

    def add_weight(self, name, shape, initializer, trainable=True):
        """Create, register and return a weight Tensor of ``shape``."""
        init = initializers.get(initializer)
        tensor = Tensor(init(tuple(shape), self.dtype), requires_grad=trainable, dtype=self.dtype)
        tensor.name = f"{self.name}/{name}"
        self._weights.append(tensor)
        return tensor

    def check_input_shape(self, shape):
        """Raise a ShapeError naming this layer if ``shape`` (with batch) does not fit."""
        if self.shape_agnostic or tuple(shape[1:]) == self.input_shape:
            return
        raise ShapeError(
            f"Layer '{self.name}' ({type(self).__name__}) was built for inputs of shape "
            f"{describe_shape(self.input_shape)}. Received: {tuple(shape)}"
        )

    # -- running ---------------------------------------------------------------------------
    def autocast(self, x):
        """A float Tensor of another precision cast to this layer's dtype (Keras does the same:
        a float32 layer given float64 inputs computes and answers in float32)."""
        if x.dtype == self.dtype or x.dtype.kind != "f":
            return x
        return F.cast(x, self.dtype)

    def call(self, x, training=False):
        raise NotImplementedError

    def __call__(self, x, training=False):
        if not isinstance(x, Tensor):
            x = Tensor(x, dtype=self.dtype)
        x = self.autocast(x)
        if x.ndim < 1:
            raise ShapeError(
                f"Layer '{self.name}' expects a batch of inputs. Received a scalar of shape ()"
            )
        if not self.built:
            self.build_for(x.shape[1:])
        else:
            self.check_input_shape(x.shape)
        return self.call(x, training)

    # -- weights ---------------------------------------------------------------------------
    @property
    def weights(self):
        """All weight Tensors, trainable first in creation order (kernel, bias, then state)."""
        return list(self._weights)

    @property
    def trainable_weights(self):
        if not self.trainable:
            return []
        return [w for w in self._weights if w.requires_grad]

    @property
    def non_trainable_weights(self):
        return [w for w in self._weights if not (self.trainable and w.requires_grad)]

    def get_weights(self):
        """Copies of the weights as NumPy arrays, in ``weights`` order."""
        return [w.data.copy() for w in self._weights]

    def set_weights(self, arrays):
        """Copy ``arrays`` into the weights (count and shapes checked before any write)."""
        arrays = list(arrays)
        if len(arrays) != len(self._weights):
            raise ShapeError(
                f"Layer '{self.name}' has {len(self._weights)} weight arrays "
                f"({', '.join(w.name for w in self._weights) or 'none'}). "
                f"Received: {len(arrays)} arrays"
            )
        checked = [checked_weight(w, a) for w, a in zip(self._weights, arrays)]
        for w, a in zip(self._weights, checked):
            w.data[...] = a  # in place: optimizers may hold views of these arrays

    def count_params(self):
        """Number of scalars in all weights; a layer not built yet has none to count (as in
        Keras, that is an error rather than 0)."""
        if not self.built:
            raise NotReadyError(
                f"Layer '{self.name}' ({type(self).__name__}) is not built yet, so its weights "
                "do not exist to be counted. Call it on data, give its model an Input, or call "
                "layer.build(input_shape) first. Received: an unbuilt layer"
            )
        return int(sum(w.size for w in self._weights))

    # -- configs ---------------------------------------------------------------------------
    def get_config(self):
        """JSON-able constructor arguments (subclasses add theirs)."""
        config = {"name": self.name, "trainable": self.trainable, "dtype": self.dtype}
        if self.declared_input_shape is not None:
            config["input_shape"] = list(self.declared_input_shape)
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r} built={self.built}>"


# Keras arguments neuropil has no counterpart for, accepted when they ask for nothing
_NONE_ONLY = ("kernel_regularizer", "bias_regularizer", "activity_regularizer",
              "kernel_constraint", "bias_constraint")  # fmt: skip


def _check_keras_only(cls, name, given):
    """Accept what Keras layers take beyond neuropil's arguments only when it changes nothing:
    ``data_format="channels_last"`` (or None) on image layers, a regularizer or constraint of
    None; anything else is a ConfigError naming the layer, raised before anything is made."""
    owner = f"{cls.__name__} '{name}'" if name else cls.__name__
    unknown = dict(given)
    if cls.takes_data_format and "data_format" in unknown:
        data_format = unknown.pop("data_format")
        if data_format not in (None, "channels_last"):
            raise ConfigError(
                f"{owner} works on channels-last (NHWC) images only: (batch, height, width, "
                f"channels). Received: data_format={data_format!r}"
            )
    for key in _NONE_ONLY:
        if key in unknown and unknown[key] is None:
            del unknown[key]
    if unknown:
        hint = ""
        if any(key in _NONE_ONLY for key in unknown):
            hint = " (neuropil has no weight regularizers or constraints; leave them None)"
        raise ConfigError(
            f"{owner} does not take {', '.join(sorted(unknown))}{hint}. "
            f"Received: {', '.join(f'{k}={v!r}' for k, v in sorted(unknown.items()))}"
        )


def as_shape(shape, argument, owner):
    """Validate a user-given shape (batch excluded) as a tuple of positive ints, or None."""
    if shape is None:
        return None
    if isinstance(shape, (int, np.integer)):
        shape = (shape,)
    try:
        if any(isinstance(n, bool) or not isinstance(n, (int, np.integer)) for n in shape):
            raise TypeError
        shape = tuple(int(n) for n in shape)
    except TypeError:
        raise ConfigError(
            f"{argument} of '{owner}' must be a tuple of positive integers (batch excluded). "
            f"Received: {shape!r}"
        ) from None
    if not shape or any(n <= 0 for n in shape):
        raise ConfigError(
            f"{argument} of '{owner}' must be a tuple of positive integers (batch excluded). "
            f"Received: {shape!r}"
        )
    return shape
