"""Keras-style loss objects, the names ``compile(loss=...)`` accepts, and target checks.

A loss object is called like a function, ``loss(y_true, y_pred, sample_weight=None)``, and
returns a scalar Tensor (per-sample losses with ``reduction="none"``); the formulas live in
``neuropil.functional.losses``. Before training, the training loop calls
``loss.validate(y_true, model.output_shape)`` once on the whole target array, so labels that
cannot fit the loss fail with a clear ``LabelError`` instead of a wrong result.

>>> import numpy as np, neuropil as npl
>>> from neuropil import losses
>>> loss = losses.get("mse")
>>> loss(np.array([[1.0]]), npl.Tensor([[3.0]])).item()
4.0
>>> losses.deserialize(losses.serialize(losses.Huber(delta=2.0))).delta
2.0
"""

import numpy as np

from neuropil import loss_targets as targets
from neuropil.errors import ConfigError, LabelError, unknown_name
from neuropil.functional import losses as fl
from neuropil.tensor import Tensor

__all__ = [
    "Loss", "LossFunctionWrapper", "MeanSquaredError", "MeanAbsoluteError", "Huber",
    "BinaryCrossentropy", "CategoricalCrossentropy", "SparseCategoricalCrossentropy",
    "get", "serialize", "deserialize",
]  # fmt: skip


# -- loss objects ---------------------------------------------------------------------------
class Loss:
    """Base class: ``loss(y_true, y_pred, sample_weight=None)`` -> scalar Tensor.

    ``reduction`` is ``"sum_over_batch_size"`` (alias ``"mean"``), ``"sum"`` or ``"none"``.
    A loss of your own subclasses it as in Keras, defining ``call(y_true, y_pred)`` that
    returns the per-sample losses (a Tensor); weighting and reduction are done for it, and
    its targets are only checked to be finite numbers (their shape is for ``call`` to judge).

    >>> import numpy as np, neuropil as npl
    >>> from neuropil.losses import MeanAbsoluteError
    >>> MeanAbsoluteError(reduction="none")(np.zeros((2, 1)), npl.Tensor([[1.0], [-2.0]])).data
    array([1., 2.], dtype=float32)
    """

    default_name = "loss"
    _function = None  # the functional form, e.g. functional.mean_squared_error

    def __init__(self, name=None, reduction="sum_over_batch_size"):
        fl.reduction_mode(reduction, type(self).__name__)
        self.name = self.default_name if name is None else str(name)
        self.reduction = reduction

    @property
    def kind(self):
        """Which loss this is, whatever ``name`` it was given: the class's default name (a
        wrapped function: its name). ``"accuracy"`` and the target checks go by it.

        >>> from neuropil.losses import SparseCategoricalCrossentropy
        >>> SparseCategoricalCrossentropy(name="xent").kind
        'sparse_categorical_crossentropy'
        """
        return self.default_name

    def _options(self):
        """Keyword arguments of the functional form besides the reduction (from_logits, ...)."""
        return {}

    def __call__(self, y_true, y_pred, sample_weight=None):
        if type(self)._function is None:  # a subclass of the user's own, with call()
            return _reduced(self.call(y_true, y_pred), sample_weight, self.reduction, self.name,
                            getattr(y_pred, "dtype", None))  # fmt: skip
        options = self._options()
        return type(self)._function(
            y_true, y_pred, sample_weight=sample_weight, reduction=self.reduction, **options
        )

    def call(self, y_true, y_pred):
        """The per-sample losses; a subclass of the user's own defines it (as in Keras)."""
        raise NotImplementedError(
            f"{type(self).__name__} must define call(y_true, y_pred) returning per-sample losses"
        )

    def get_config(self):
        """The constructor arguments, JSON-ready."""
        return {"name": self.name, "reduction": self.reduction, **self._options()}

    @classmethod
    def from_config(cls, config):
        """Rebuild a loss from ``get_config()``'s output."""
        return cls(**config)

    def validate(self, y_true, output_shape):
        """Raise LabelError if ``y_true`` cannot be the target of a model with ``output_shape``.

        ``output_shape`` is the model's output shape, batch axis first (None or any size; it is
        not compared). Checks the type, NaN/inf and the shape; subclasses also check values.
        """
        y = targets.numeric_targets(y_true, self.name)
        output_shape = tuple(output_shape)
        dims = tuple(None if d is None else int(d) for d in output_shape[1:])
        self._check(y, dims, output_shape)

    def _check(self, y, dims, output_shape):
        if type(self)._function is None:  # the user's own loss judges its targets' shape
            return
        if not targets.fits(y.shape[1:], dims):
            raise targets.shape_error(y, output_shape, self.name, dims)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class MeanSquaredError(Loss):
    """Mean of (y_pred - y_true)**2 over the last axis, averaged over the batch.

    >>> import numpy as np, neuropil as npl
    >>> from neuropil.losses import MeanSquaredError
    >>> MeanSquaredError()(np.array([[0.0, 1.0]]), npl.Tensor([[1.0, 1.0]])).item()
    0.5
    """

    default_name = "mean_squared_error"
    _function = staticmethod(fl.mean_squared_error)


class MeanAbsoluteError(Loss):
    """Mean of |y_pred - y_true| over the last axis, averaged over the batch.

    >>> import numpy as np, neuropil as npl
    >>> from neuropil.losses import MeanAbsoluteError
    >>> MeanAbsoluteError()(np.array([[0.0, 1.0]]), npl.Tensor([[1.0, 3.0]])).item()
    1.5
    """

    default_name = "mean_absolute_error"
    _function = staticmethod(fl.mean_absolute_error)


class Huber(Loss):
    """Quadratic for errors up to ``delta``, linear beyond (Keras's default name "huber_loss").

    >>> import numpy as np, neuropil as npl
    >>> from neuropil.losses import Huber
    >>> Huber(delta=1.0)(np.array([[0.0]]), npl.Tensor([[3.0]])).item()
    2.5
    """

    default_name = "huber_loss"
    _function = staticmethod(fl.huber)

    def __init__(self, delta=1.0, name=None, reduction="sum_over_batch_size"):
        super().__init__(name, reduction)
        number = isinstance(delta, (int, float, np.integer, np.floating))
        if isinstance(delta, bool) or not number or not delta > 0:
            raise ConfigError(f"Huber expects a positive number for delta. Received: {delta!r}")
        self.delta = float(delta)

    def _options(self):
        return {"delta": self.delta}


class _Crossentropy(Loss):
    def __init__(self, from_logits=False, name=None, reduction="sum_over_batch_size"):
        super().__init__(name, reduction)
        self.from_logits = bool(from_logits)

    def _options(self):
        return {"from_logits": self.from_logits}


class _SmoothedCrossentropy(_Crossentropy):
    """The cross-entropies that take Keras's ``label_smoothing`` (the sparse one does not)."""

    def __init__(self, from_logits=False, label_smoothing=0.0, name=None,
                 reduction="sum_over_batch_size"):  # fmt: skip
        super().__init__(from_logits, name, reduction)
        self.label_smoothing = fl.check_label_smoothing(label_smoothing, type(self).__name__)

    def _options(self):
        return {**super()._options(), "label_smoothing": self.label_smoothing}


class BinaryCrossentropy(_SmoothedCrossentropy):
    """Binary (or multi-label) cross-entropy for targets in [0, 1].

    >>> import numpy as np, neuropil as npl
    >>> from neuropil.losses import BinaryCrossentropy
    >>> round(BinaryCrossentropy()(np.array([[1.0]]), npl.Tensor([[0.5]])).item(), 4)
    0.6931
    """

    default_name = "binary_crossentropy"
    _function = staticmethod(fl.binary_crossentropy)

    def _check(self, y, dims, output_shape):  # shapes, then targets in [0, 1]
        if not targets.fits(y.shape[1:], dims):
            hint = ""
            if y.ndim == 2 and len(dims) == 1 and dims[0] is not None:
                hint = (
                    f" The model gives {dims[0]} output(s) per sample but the targets have "
                    f"{y.shape[1]} columns: give the last layer {y.shape[1]} sigmoid units for "
                    "multi-label targets, or use categorical_crossentropy and a softmax for "
                    "one-hot classes."
                )
            raise targets.shape_error(y, output_shape, self.name, dims, hint)
        hint = (
            " Map the labels to 0 and 1 (e.g. -1/+1 -> 0/1); for class indices 0..K-1 use "
            "sparse_categorical_crossentropy with K softmax outputs."
        )
        targets.in_unit_interval(y, self.name, hint)


class CategoricalCrossentropy(_SmoothedCrossentropy):
    """Cross-entropy for one-hot (or soft) targets over the last axis.

    >>> import numpy as np, neuropil as npl
    >>> from neuropil.losses import CategoricalCrossentropy
    >>> loss = CategoricalCrossentropy(from_logits=True)
    >>> round(loss(np.array([[0.0, 1.0]]), npl.Tensor([[0.0, 0.0]])).item(), 4)
    0.6931
    """

    default_name = "categorical_crossentropy"
    _function = staticmethod(fl.categorical_crossentropy)

    def _check(self, y, dims, output_shape):  # one-hot rows in [0, 1], not class indices
        per = y.shape[1:]
        if (
            dims
            and dims[-1] != 1
            and (targets.same(per, dims[:-1]) or targets.same(per, dims[:-1] + (1,)))
        ):
            hint = (
                " These look like integer class labels: use "
                "loss='sparse_categorical_crossentropy', or one-hot encode them "
                "(e.g. np.eye(num_classes)[y])."
            )
            raise targets.shape_error(y, output_shape, self.name, dims, hint)
        if not targets.same(per, dims):
            hint = " Give the last layer one unit per class." if len(per) == len(dims) else ""
            raise targets.shape_error(y, output_shape, self.name, dims, hint)
        hint = " Targets are one-hot rows (or probabilities); for class indices use "
        targets.in_unit_interval(y, self.name, hint + "sparse_categorical_crossentropy.")


class SparseCategoricalCrossentropy(_Crossentropy):
    """Cross-entropy for integer class indices (one per sample) against C class scores.

    >>> import numpy as np, neuropil as npl
    >>> from neuropil.losses import SparseCategoricalCrossentropy
    >>> loss = SparseCategoricalCrossentropy()
    >>> round(loss(np.array([1]), npl.Tensor([[0.5, 0.5]])).item(), 4)
    0.6931
    """

    default_name = "sparse_categorical_crossentropy"
    _function = staticmethod(fl.sparse_categorical_crossentropy)

    def _check(self, y, dims, output_shape):  # integer class indices in [0, C)
        if not dims:
            raise LabelError(
                f"{self.name} needs a model output of shape (N, C), one score per class. "
                f"Received: output shape {output_shape}"
            )
        classes, per = dims[-1], y.shape[1:]
        if not (targets.same(per, dims[:-1]) or targets.same(per, dims[:-1] + (1,))):
            hint = ""
            if targets.same(per, dims) and classes != 1:
                hint = (
                    " These look like one-hot targets: use loss='categorical_crossentropy', or "
                    "pass class indices (y.argmax(axis=-1))."
                )
            raise targets.shape_error(y, output_shape, self.name, dims[:-1], hint)
        if y.dtype.kind == "f" and (y != np.round(y)).any():
            raise LabelError(
                f"{self.name} expects integer class indices, but "
                f"{targets.at(y, y != np.round(y))}. "
                "Received: non-integer targets"
            )
        bad = (y < 0) if classes is None else (y < 0) | (y >= classes)
        if bad.any():
            valid = "that are non-negative"
            if classes is not None:
                valid = f"in [0, {classes - 1}] for {classes} output classes"
            raise LabelError(
                f"{self.name} expects class indices {valid}, but {targets.at(y, bad)}. "
                "The last layer needs one unit per class. "
                f"Received: labels from {y.min()} to {y.max()}"
            )


class LossFunctionWrapper(Loss):
    """A loss object around a plain function ``fn(y_true, y_pred) -> Tensor``.

    The function may return per-sample losses; they are weighted and reduced like the
    built-in losses.

    >>> import numpy as np, neuropil as npl
    >>> from neuropil.losses import LossFunctionWrapper
    >>> def gap(y_true, y_pred):
    ...     return (y_pred - y_true).abs().sum(axis=-1)
    >>> LossFunctionWrapper(gap)(np.zeros((2, 2)), npl.Tensor([[1.0, 1.0], [0.0, 0.0]])).item()
    1.0
    """

    def __init__(self, fn, name=None, reduction="sum_over_batch_size"):
        super().__init__(getattr(fn, "__name__", "loss") if name is None else name, reduction)
        self.fn = fn

    @property
    def kind(self):
        return getattr(self.fn, "__name__", self.name)

    def call(self, y_true, y_pred):
        return self.fn(y_true, y_pred)

    def get_config(self):
        """Name, reduction and the function's name (deserialize finds it in custom_objects)."""
        return {"name": self.name, "reduction": self.reduction, "fn": self.fn.__name__}


def _reduced(out, sample_weight, reduction, name, dtype):
    """Per-sample losses ``out`` weighted by ``sample_weight`` (one weight per sample, or per
    entry) and reduced as ``reduction`` says."""
    if not isinstance(out, Tensor):
        out = Tensor(out, dtype=dtype)
    if sample_weight is not None:
        w = sample_weight.data if isinstance(sample_weight, Tensor) else sample_weight
        w = np.asarray(w, dtype=out.dtype)
        if w.ndim == 1 and out.ndim > 1:  # one weight per sample
            w = w.reshape(w.shape + (1,) * (out.ndim - 1))
        out = out * w
    mode = fl.reduction_mode(reduction, name)
    if mode == "none" or out.ndim == 0:
        return out
    return out.sum() if mode == "sum" else out.sum() / max(out.size, 1)


# -- the registry ---------------------------------------------------------------------------
_CLASSES = {
    cls.__name__: cls
    for cls in (
        MeanSquaredError, MeanAbsoluteError, Huber, BinaryCrossentropy,
        CategoricalCrossentropy, SparseCategoricalCrossentropy,
    )
}  # fmt: skip
_ALIASES = {
    "mse": MeanSquaredError, "mean_squared_error": MeanSquaredError,
    "mae": MeanAbsoluteError, "mean_absolute_error": MeanAbsoluteError,
    "huber": Huber, "huber_loss": Huber,
    "binary_crossentropy": BinaryCrossentropy,
    "categorical_crossentropy": CategoricalCrossentropy,
    "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
    **_CLASSES,
}  # fmt: skip
_FUNCTIONS = {cls._function: cls for cls in _CLASSES.values()}


def get(identifier):
    """A loss object from a name, a config dict, a Loss (returned as is) or a function.

    Names follow Keras ("mse", "binary_crossentropy", "SparseCategoricalCrossentropy", ...);
    the functional losses map to their classes, other functions are wrapped in
    ``LossFunctionWrapper``. None gives None.

    >>> from neuropil import losses
    >>> losses.get("sparse_categorical_crossentropy").from_logits
    False
    """
    if identifier is None or isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, str):
        if identifier not in _ALIASES:
            raise unknown_name("loss", identifier, _ALIASES)
        return _ALIASES[identifier]()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, type) and issubclass(identifier, Loss):
        return identifier()
    if callable(identifier):
        cls = _FUNCTIONS.get(identifier)
        return cls() if cls is not None else LossFunctionWrapper(identifier)
    raise ConfigError(
        "loss must be a name, a config dict, a Loss instance or a function "
        f"fn(y_true, y_pred). Received: {identifier!r}"
    )


def serialize(loss):
    """``{"class_name": ..., "config": {...}}`` for a loss (or anything ``get`` accepts).

    >>> from neuropil import losses
    >>> losses.serialize("mae")["class_name"]
    'MeanAbsoluteError'
    """
    loss = get(loss)
    return {"class_name": type(loss).__name__, "config": loss.get_config()}


def deserialize(config, custom_objects=None):
    """The loss described by ``serialize``'s dict (or a name); inverse of ``serialize``.

    ``custom_objects`` maps names to user functions or Loss subclasses.

    >>> from neuropil import losses
    >>> losses.deserialize({"class_name": "Huber", "config": {"delta": 0.5}}).delta
    0.5
    """
    custom_objects = custom_objects or {}
    if isinstance(config, str):
        return get(custom_objects.get(config, config))
    if not isinstance(config, dict) or "class_name" not in config:
        raise ConfigError(
            "deserialize expects a loss name or a dict with 'class_name' and 'config'. "
            f"Received: {config!r}"
        )
    name, options = config["class_name"], dict(config.get("config") or {})
    if name == "LossFunctionWrapper":  # a user function, found by its name
        name = options.pop("fn", None)
    cls = custom_objects.get(name) or _CLASSES.get(name)
    if cls is None:
        raise unknown_name("loss", name, set(_CLASSES) | set(custom_objects))
    if not isinstance(cls, type):
        return LossFunctionWrapper(cls, **options)
    return cls.from_config(options)
