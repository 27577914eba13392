"""Sequential: a stack of layers, each feeding the next.

>>> import numpy as np, neuropil as npl
>>> from neuropil.models import Sequential
>>> from neuropil.layers import Input, Dense
>>> model = Sequential([Input((11,)), Dense(7, activation="relu"), Dense(1, activation="sigmoid")])
>>> model.count_params(), model.output_shape
(92, (1,))
>>> model.get_layer(index=0) is model.layers[0]
True
"""

import warnings

import neuropil.functional as F
from neuropil import backend
from neuropil.errors import ConfigError, NotReadyError, ShapeError
from neuropil.functional.pooling import is_int
from neuropil.layers import Conv2D, InputLayer, Layer, MaxPooling2D, deserialize, serialize
from neuropil.layers.base import as_shape, checked_weight, describe_shape, unique_name
from neuropil.models.summary import summary_table
from neuropil.models.training import TrainingMixin
from neuropil.tensor import Tensor


class Sequential(TrainingMixin):
    """A linear stack of layers with Keras's ``compile``/``fit``/``evaluate``/``predict``."""

    def __init__(self, layers=None, trainable=True, name=None):
        self.name = name or unique_name("sequential")
        self.layers = []
        self._trainable = bool(trainable)
        self.input_shape = None
        self.output_shape = None
        self.built = False
        self.dtype = backend.floatx()
        self.compiled = False
        self.optimizer = self.loss = None
        self.compiled_metrics = None
        self._metric_specs = []
        self._weighted_metric_specs = []
        self.stop_training = self.stop_evaluating = self.stop_predicting = False
        self.history = None
        self.epochs_trained = 0
        self._train_seed = None
        self._epochs_drawn = 0  # epochs whose random draws were used (see _train_epoch)
        self._plan = None
        for layer in layers or ():
            self.add(layer)

    @property
    def trainable(self):
        """Setting it sets every layer's ``trainable`` (as in Keras): ``False`` freezes the
        whole model from the next ``fit`` on; layers added later keep their own.

        >>> from neuropil.models import Sequential
        >>> from neuropil.layers import Input, Dense
        >>> model = Sequential([Input((2,)), Dense(3)])
        >>> model.trainable = False
        >>> model.layers[0].trainable, len(model.trainable_weights), len(model.weights)
        (False, 0, 2)
        """
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        self._trainable = bool(value)
        for layer in self.layers:
            layer.trainable = self._trainable

    # -- structure -------------------------------------------------------------------------
    def add(self, layer):
        """Append a layer; with a known input shape it is built at once, so errors show here."""
        if isinstance(layer, InputLayer):
            if self.layers or self.input_shape is not None:
                raise ConfigError(
                    f"Input must come first in Sequential '{self.name}'. "
                    f"Received: an Input after {len(self.layers)} layers"
                )
            self.input_shape = layer.shape
            self.dtype = layer.dtype
            return
        if not isinstance(layer, Layer):
            raise ConfigError(
                f"Sequential '{self.name}' takes neuropil layers. Received: {type(layer).__name__}"
            )
        if any(other.name == layer.name for other in self.layers):
            raise ConfigError(
                f"Sequential '{self.name}' already has a layer named '{layer.name}'; names must be "
                f"unique. Received: a second layer named '{layer.name}'"
            )
        input_shape = self.input_shape
        if not self.layers and input_shape is None:
            input_shape = layer.declared_input_shape
        if input_shape is not None:
            shape = self.output_shape if self.layers else input_shape
            self._warn_if_declared_elsewhere(layer, shape, first=not self.layers)
            self.output_shape = layer.build_for(shape)  # raises before anything is recorded
            self.input_shape, self.built = input_shape, True
        self.layers.append(layer)
        self._plan = None

    def build(self, input_shape=None):
        """Build every layer for inputs of ``input_shape``, batch axis first as in Keras:
        ``(None, 28, 28, 1)`` or ``(32, 28, 28, 1)`` (the batch size is not kept)."""
        if input_shape is not None:
            dims = tuple(input_shape) if isinstance(input_shape, (tuple, list)) else ()
            if len(dims) < 2 or not (dims[0] is None or is_int(dims[0])):
                raise ConfigError(
                    f"Sequential '{self.name}'.build expects a shape with the batch axis first, "
                    f"e.g. (None, 4) for 4 features. Received: input_shape={input_shape!r}"
                )
            input_shape = dims[1:]
        shape = as_shape(input_shape, "input_shape", self.name) or self.input_shape
        if shape is None:
            raise ConfigError(
                f"Sequential '{self.name}' needs an input shape to build: add an Input layer or "
                "call build((None, features)). Received: input_shape=None"
            )
        if not self.layers:
            raise ConfigError(f"Sequential '{self.name}' has no layers to build. Received: []")
        if self.built and shape != self.input_shape:
            raise ShapeError(
                f"Sequential '{self.name}' was built for inputs of shape "
                f"{describe_shape(self.input_shape)}. Received: {describe_shape(shape)}"
            )
        with self._build_undone_on_error():  # a layer that rejects its input undoes the rest
            self.input_shape = shape
            for i, layer in enumerate(self.layers):
                self._warn_if_declared_elsewhere(layer, shape, first=i == 0)
                shape = layer.build_for(shape)
            self.output_shape = shape
            self.built = True

    def _warn_if_declared_elsewhere(self, layer, shape, first):
        """Only the first layer's ``input_shape``/``input_dim`` sets the model's input; a later
        layer's that disagrees with what it receives is a mistake worth a warning (Keras warns
        about every such argument)."""
        declared = layer.declared_input_shape
        if not first and not layer.built and declared is not None and declared != tuple(shape):
            warnings.warn(
                f"Sequential '{self.name}': layer '{layer.name}' was given input_shape "
                f"{describe_shape(declared)}, which only the first layer's sets; it receives "
                f"{describe_shape(shape)} from the layer before it. Received: "
                f"input_shape={declared}",
                UserWarning,
                stacklevel=3,
            )

    def pop(self):
        """Remove the last layer and return it; the model's output is then the layer before.

        >>> from neuropil.models import Sequential
        >>> from neuropil.layers import Input, Dense
        >>> model = Sequential([Input((4,)), Dense(8), Dense(1)])
        >>> model.pop().output_shape, model.output_shape
        ((1,), (8,))
        """
        if not self.layers:
            raise ConfigError(
                f"Sequential '{self.name}' has no layers to pop. Received: a model with no layers"
            )
        layer = self.layers.pop()
        self._plan = None
        if self.built:
            self.output_shape = self.layers[-1].output_shape if self.layers else self.input_shape
        return layer

    def check_input_shape(self, shape, argument="x"):
        if tuple(shape[1:]) != self.input_shape:
            hint = ""
            if len(shape) > 2 and len(self.input_shape) == 1:
                hint = " Flatten the inputs or add a Flatten layer first."
            raise ShapeError(
                f"Sequential '{self.name}' expects {argument} of shape "
                f"{describe_shape(self.input_shape)}.{hint} Received: {tuple(shape)}"
            )

    def get_layer(self, name=None, index=None):
        """A layer by ``name`` or by ``index`` (as in ``model.layers``)."""
        if index is not None:
            if not -len(self.layers) <= index < len(self.layers):
                raise ConfigError(
                    f"Sequential '{self.name}' has {len(self.layers)} layers. "
                    f"Received: index={index}"
                )
            return self.layers[index]
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise ConfigError(
            f"No layer named {name!r} in '{self.name}'. Layers: "
            f"{', '.join(l.name for l in self.layers)}. Received: {name!r}"
        )

    def __getitem__(self, key):
        """``model[0]`` or ``model["dense_1"]``."""
        return self.get_layer(name=key) if isinstance(key, str) else self.get_layer(index=key)

    def __len__(self):
        return len(self.layers)

    # -- running ---------------------------------------------------------------------------
    def _conv_pool_plan(self):
        """{index of a Conv2D directly followed by MaxPooling2D: how ``call`` runs the pair}.

        "fuse": a Conv2D without activation or with ReLU, and a pool whose strides equal its
        size with "valid" padding, run as one ``F.conv2d_max_pool2d`` (see its module).
        "defer": any other Conv2D(relu) + MaxPooling2D applies ReLU after the pool, where it
        touches a quarter of the values (2x2 pools): max_pool(relu(z)) = relu(max_pool(z))
        because relu never reorders values, and the gradient is the same too.
        Only ``Sequential.call`` takes these shortcuts; each layer called on its own still
        computes exactly its documented output, and tests check the results are identical.
        """
        plan = {}
        for i, (conv, pool) in enumerate(zip(self.layers, self.layers[1:])):
            if not isinstance(conv, Conv2D) or not isinstance(pool, MaxPooling2D):
                continue
            relu = conv._activation_name == "relu"
            tiles = pool.strides == pool.pool_size and pool.padding == "valid"
            if tiles and (relu or conv.activation is None):
                plan[i] = "fuse"
            elif relu:
                plan[i] = "defer"
        return plan

    def call(self, x, training=False):
        plan = self._plan
        if plan is None:
            plan = self._plan = self._conv_pool_plan()
        layers, i = self.layers, 0
        while i < len(layers):
            layer, how = layers[i], plan.get(i)
            if how == "fuse":
                layer.check_input_shape(x.shape)
                x = layer._call_pooled(layer.autocast(x), layers[i + 1].pool_size)
                i += 2
                continue
            if how == "defer":
                layer.check_input_shape(x.shape)
                x = layer.autocast(x)
                x = F.relu(layers[i + 1](layer.call(x, training, activation=False), training))
                i += 2
                continue
            x = layer(x, training)
            i += 1
        return x

    def __call__(self, x, training=False):
        """Forward pass on a Tensor or array, recording the tape for custom training loops."""
        if not isinstance(x, Tensor):
            x = Tensor(x, dtype=self.dtype)
        if not self.built:
            self.build((None, *x.shape[1:]))
        else:
            self.check_input_shape(x.shape)
        return self.call(x, training)

    # -- weights ---------------------------------------------------------------------------
    @property
    def weights(self):
        return [w for layer in self.layers for w in layer.weights]

    @property
    def trainable_weights(self):
        return [w for layer in self.layers for w in layer.trainable_weights]

    @property
    def non_trainable_weights(self):
        return [w for layer in self.layers for w in layer.non_trainable_weights]

    def get_weights(self):
        """Copies of all weights, layer by layer (kernel, bias, then any state)."""
        return [w.data.copy() for w in self.weights]

    def set_weights(self, arrays):
        """Replace all weights (checked in full before anything is written)."""
        arrays = list(arrays)
        weights = self.weights
        if len(arrays) != len(weights):
            raise ShapeError(
                f"Sequential '{self.name}' has {len(weights)} weight arrays. "
                f"Received: {len(arrays)} arrays"
            )
        checked = [checked_weight(w, a) for w, a in zip(weights, arrays)]
        for w, a in zip(weights, checked):
            w.data[...] = a

    def count_params(self):
        """Number of scalars in all weights; the model must be built (as in Keras)."""
        if not self.built:
            raise NotReadyError(
                f"Sequential '{self.name}' is not built yet, so its weights do not exist to be "
                "counted. Start it with an Input, call model.build((None, ...)), or fit it "
                "first. Received: an unbuilt model"
            )
        return sum(layer.count_params() for layer in self.layers)

    def summary(self, print_fn=None):
        """Print the layers with output shapes and parameter counts, and the totals."""
        text = summary_table(self)
        (print_fn or print)(text)

    # -- configs and files -----------------------------------------------------------------
    def get_config(self):
        return {
            "name": self.name,
            "trainable": self.trainable,
            "input_shape": None if self.input_shape is None else list(self.input_shape),
            "dtype": self.dtype,
            "layers": [serialize(layer) for layer in self.layers],
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """The model ``get_config`` describes, unbuilt weights and all; ``custom_objects`` maps
        the names of the user's own activation functions to them."""
        model = cls(name=config.get("name"))
        model._trainable = bool(config.get("trainable", True))  # each layer keeps its own flag
        model.dtype = config.get("dtype", model.dtype)
        if config.get("input_shape") is not None:
            model.input_shape = tuple(config["input_shape"])
        for spec in config.get("layers", []):
            model.add(deserialize(spec, custom_objects))
        return model

    def save(self, filepath):
        """Save architecture, weights and optimizer state to one ``.npil`` file (atomic)."""
        from neuropil.saving import save_model

        save_model(self, filepath)

    def save_weights(self, filepath):
        """Save only the weights to a ``.npz`` file (atomic)."""
        from neuropil.saving import save_weights

        save_weights(self, filepath)

    def load_weights(self, filepath):
        """Load weights saved by ``save_weights`` (shapes checked before anything changes)."""
        from neuropil.saving import load_weights

        load_weights(self, filepath)

    def __repr__(self):
        return f"<Sequential name={self.name!r} layers={len(self.layers)} built={self.built}>"
