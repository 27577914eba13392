"""Metrics: running, Keras-style measures of model quality, computed on plain NumPy arrays.

A metric keeps a small state that ``update_state`` adds one batch to; ``result()`` reads the
value for everything seen since the last ``reset_state()``, so the value after several batches
equals the value on the concatenated data. Nothing here builds a tape: the training loop calls
these every batch and they must stay cheap (one or two passes over the batch).

``sample_weight`` gives one weight per sample (shape ``(N,)`` or ``(N, 1)``); it is broadcast
over any further axes. A weight of 0 masks a sample.

This package holds ``get``, which resolves names such as ``"accuracy"``, and ``serialize`` /
``deserialize``, which write a model's metrics into its file and read them back; the metrics live in
``base`` (``Metric``, ``Mean``, ``MeanMetricWrapper``), ``accuracy``, ``regression`` (mean
absolute and squared error), ``confusion`` (``Precision``, ``Recall``), ``auc`` (``AUC``) and
``confusion_matrix``, and are all re-exported here.

>>> import numpy as np
>>> from neuropil import metrics
>>> m = metrics.get("accuracy", loss_name="binary_crossentropy")
>>> m.update_state(np.array([1, 0, 1]), np.array([[0.9], [0.2], [0.4]]))
>>> m.name, round(m.result(), 4)
('accuracy', 0.6667)
"""

import re

from neuropil.backend import jsonable
from neuropil.errors import ConfigError, unknown_name
from neuropil.metrics.accuracy import (
    BinaryAccuracy,
    CategoricalAccuracy,
    SparseCategoricalAccuracy,
    _AccuracyByShape,
)
from neuropil.metrics.auc import AUC
from neuropil.metrics.base import Mean, MeanMetricWrapper, Metric
from neuropil.metrics.confusion import Precision, Recall
from neuropil.metrics.confusion_matrix import confusion_matrix
from neuropil.metrics.regression import MeanAbsoluteError, MeanSquaredError

__all__ = [
    "Metric", "Mean", "MeanMetricWrapper", "BinaryAccuracy", "CategoricalAccuracy",
    "SparseCategoricalAccuracy", "MeanAbsoluteError", "MeanSquaredError", "Precision", "Recall",
    "AUC", "get", "serialize", "deserialize", "confusion_matrix",
]  # fmt: skip


_NAMES = {
    "binary_accuracy": BinaryAccuracy, "categorical_accuracy": CategoricalAccuracy,
    "sparse_categorical_accuracy": SparseCategoricalAccuracy, "precision": Precision,
    "recall": Recall, "auc": AUC, "mae": MeanAbsoluteError, "mse": MeanSquaredError,
    "mean_absolute_error": MeanAbsoluteError, "mean_squared_error": MeanSquaredError,
}  # fmt: skip
_ACCURACY = ("accuracy", "acc")
_CLASSES = {cls.__name__: cls for cls in (Mean, *_NAMES.values())}  # what deserialize rebuilds


def _loss_key(loss):
    """``"binary_crossentropy"`` for the string, a ``BinaryCrossentropy`` object or a function."""
    if loss is None or isinstance(loss, str):
        return loss and loss.lower()
    name = (getattr(loss, "kind", None) or getattr(loss, "name", None)
            or getattr(loss, "__name__", None) or type(loss).__name__)  # fmt: skip
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", str(name)).lower()


def _accuracy_class(loss, output_shape):
    key = _loss_key(loss)
    binary_output = output_shape is not None and (len(output_shape) == 0 or output_shape[-1] == 1)
    if key == "binary_crossentropy" or binary_output:
        return BinaryAccuracy
    if key == "sparse_categorical_crossentropy":
        return SparseCategoricalAccuracy
    if key == "categorical_crossentropy":
        return CategoricalAccuracy
    return _AccuracyByShape


def get(identifier, loss_name=None, from_logits=False, output_shape=None):
    """Resolve a metric name, instance, class or per-sample function to a ``Metric``.

    ``"accuracy"``/``"acc"`` picks the variant as Keras does: ``BinaryAccuracy`` when the loss is
    binary cross-entropy or the model's output has last dimension 1, ``SparseCategoricalAccuracy``
    for sparse categorical cross-entropy, ``CategoricalAccuracy`` for categorical
    cross-entropy; for any other loss the labels' shape decides at each batch, as in Keras 3
    (integer labels when y_true has fewer axes than y_pred or one column against several).
    As in Keras, a metric made from a string is named by that string (``"acc"`` logs as
    ``acc``, ``"mae"`` as ``mae``). ``loss_name`` may also be a loss object or function; a loss
    object's own ``from_logits`` attribute counts as ``from_logits``.

    ``from_logits=True`` (neuropil's choice; Keras leaves it to the user): binary accuracy,
    precision and recall threshold at 0.0, which on logits is the same as 0.5 on probabilities,
    and ``"auc"`` applies a sigmoid. Instances are returned as they are.

    >>> from neuropil import metrics
    >>> m = metrics.get("acc", loss_name="sparse_categorical_crossentropy")
    >>> type(m).__name__, m.name
    ('SparseCategoricalAccuracy', 'acc')
    >>> metrics.get("accuracy", output_shape=(None, 1), from_logits=True).threshold
    0.0
    """
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Metric):
        return identifier()
    if isinstance(identifier, str):
        key = identifier.lower()
        if key in _ACCURACY:
            cls = _accuracy_class(loss_name, output_shape)
        elif key in _NAMES:
            cls = _NAMES[key]
        else:
            raise unknown_name("metric", identifier, list(_NAMES) + list(_ACCURACY))
        logits = bool(from_logits or getattr(loss_name, "from_logits", False))
        kwargs = {}
        if logits and cls is BinaryAccuracy:
            kwargs["threshold"] = 0.0
        elif logits and cls in (Precision, Recall):
            kwargs["thresholds"] = 0.0
        elif logits and cls is AUC:
            kwargs["from_logits"] = True
        return cls(name=identifier, **kwargs)
    if callable(identifier):
        return MeanMetricWrapper(identifier)
    raise ConfigError(
        "A metric must be a name, a Metric, a Metric class or a function "
        f"(y_true, y_pred) -> per-sample values. Received: {identifier!r}"
    )


def serialize(metric):
    """What a model file keeps of a ``compile`` metric: a name stays a name (resolved again with
    the loss when loaded), an object or class becomes ``{"class_name", "config"}``, a plain
    function ``{"class_name": "MeanMetricWrapper", "config": {"fn": its name, ...}}``.

    >>> from neuropil import metrics
    >>> metrics.serialize(metrics.BinaryAccuracy(threshold=0.8))
    {'class_name': 'BinaryAccuracy', 'config': {'name': 'binary_accuracy', 'threshold': 0.8}}
    """
    if isinstance(metric, str):
        return metric
    metric = get(metric)
    config = metric.get_config()
    if type(metric) is MeanMetricWrapper:  # a user function, found again by its name
        config = {"fn": getattr(metric._fn, "__name__", metric.name), **config}
    else:
        config = {"name": config.pop("name"), **config}
    return {"class_name": type(metric).__name__, "config": jsonable(config)}


def deserialize(config, custom_objects=None):
    """The metric ``serialize`` described (a name is returned as it is, or as the function
    ``custom_objects`` maps it to). ``custom_objects`` maps names to user functions or
    ``Metric`` subclasses.

    >>> from neuropil import metrics
    >>> metrics.deserialize(metrics.serialize(metrics.Precision(thresholds=0.9))).thresholds
    0.9
    """
    custom_objects = custom_objects or {}
    if isinstance(config, str):
        return custom_objects.get(config, config)
    if not isinstance(config, dict) or "class_name" not in config:
        raise ConfigError(
            "deserialize expects a metric name or a dict with 'class_name' and 'config'. "
            f"Received: {config!r}"
        )
    name, options = config["class_name"], dict(config.get("config") or {})
    if name == "MeanMetricWrapper":
        fn_name = options.pop("fn", None)
        if fn_name not in custom_objects and str(fn_name).lower() in _NAMES:
            return get(fn_name)  # a built-in, e.g. losses.mean_squared_error given as a metric
        if fn_name not in custom_objects:
            raise ConfigError(
                f"The metric function {fn_name!r} is not in custom_objects; pass "
                f"custom_objects={{{fn_name!r}: the function}}. Received: {fn_name!r}"
            )
        return MeanMetricWrapper(custom_objects[fn_name], **options)
    cls = custom_objects.get(name) or _CLASSES.get(name)
    if cls is None:
        raise unknown_name("metric", name, set(_CLASSES) | set(custom_objects))
    return cls.from_config(options)
