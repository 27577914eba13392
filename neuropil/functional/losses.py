"""Loss functions with Keras semantics, each one fused op from ``y_pred`` to the reduced loss.

Shapes: ``y_pred`` is a Tensor of shape (N, ..., C) and ``y_true`` an array (or Tensor, never
differentiated) of the same shape; a trailing axis of size 1 on one side only is tolerated, as
in Keras, so targets of shape (N,) fit an output of shape (N, 1). The per-sample loss averages
over the last axis (MSE, MAE, Huber, binary cross-entropy) or sums over the classes
(categorical cross-entropies), leaving shape (N, ...). A 1-D ``y_pred`` of shape (N,) counts
as one value per sample.

Reduction: ``"mean"`` (Keras's ``"sum_over_batch_size"``) is
``sum(per_sample * sample_weight) / per_sample.size``; ``"sum"`` drops the division;
``"none"`` returns the per-sample losses (weighted) as a Tensor.

Probabilities (``from_logits=False``) are clipped to [1e-7, 1 - 1e-7] as in Keras. When
``y_pred`` came from a sigmoid (binary) or softmax (categorical) that recorded its input in
``y_pred._logits``, the loss is computed from those logits instead: one stable op whose
backward hands ``(sigmoid(z) - y) / C`` or ``softmax(z) - y`` straight to ``z``.

>>> import numpy as np, neuropil as npl, neuropil.functional as F
>>> p = npl.Tensor([[0.5], [0.5]], requires_grad=True)
>>> loss = F.mean_squared_error(np.array([[1.0], [0.0]]), p)
>>> loss.backward(); loss.item(), p.grad.ravel()
(0.25, array([-0.5,  0.5], dtype=float32))
"""

import numbers

import numpy as np

from neuropil.errors import ConfigError, LabelError, ShapeError
from neuropil.tensor import Tensor, make

__all__ = [
    "mean_squared_error", "mean_absolute_error", "huber", "binary_crossentropy",
    "categorical_crossentropy", "sparse_categorical_crossentropy",
]  # fmt: skip

EPSILON = 1e-7  # Keras's backend.epsilon(): probabilities are clipped to [EPSILON, 1 - EPSILON]
_REDUCTIONS = {"mean": "mean", "sum_over_batch_size": "mean", "sum": "sum", "none": "none"}


# -- shared plumbing ------------------------------------------------------------------------
def reduction_mode(reduction, loss):
    """``"mean"``, ``"sum"`` or ``"none"`` for a valid ``reduction``; ConfigError otherwise."""
    mode = _REDUCTIONS.get(reduction) if isinstance(reduction, str) else None
    if mode is None:
        raise ConfigError(
            f"{loss}: reduction must be one of 'mean' (alias 'sum_over_batch_size'), 'sum' "
            f"or 'none'. Received: reduction={reduction!r}"
        )
    return mode


def _prediction(y_pred, loss, min_ndim=1):
    if not isinstance(y_pred, Tensor):
        y_pred = Tensor(y_pred)
    if y_pred.ndim < min_ndim:
        expected = "(N, C)" if min_ndim == 2 else "(N, ...)"
        raise ShapeError(f"{loss} expects y_pred of shape {expected}. Received: {y_pred.shape}")
    return y_pred


def _drop_trailing_one(shape):
    return shape[:-1] if shape and shape[-1] == 1 else shape


def _target(y_true, y_pred, loss):
    """``y_true`` as an array of ``y_pred``'s dtype and shape (never upcasts ``y_pred``)."""
    y = y_true.data if isinstance(y_true, Tensor) else np.asarray(y_true)
    if y.shape != y_pred.shape:
        if _drop_trailing_one(y.shape) != _drop_trailing_one(y_pred.shape):
            raise ShapeError(
                f"{loss} expects y_true with the shape of y_pred {y_pred.shape}. "
                f"Received: y_true of shape {y.shape}"
            )
        y = y.reshape(y_pred.shape)
    return y.astype(y_pred.dtype, copy=False)


def _as_columns(a):
    """A 1-D array as a column (one value per sample), anything else unchanged."""
    return a.reshape(-1, 1) if a.ndim == 1 else a


def _weights(sample_weight, per_shape, dtype, loss):
    """``sample_weight`` as an array broadcastable to the per-sample losses, or None."""
    if sample_weight is None:
        return None
    w = sample_weight.data if isinstance(sample_weight, Tensor) else np.asarray(sample_weight)
    w = w.astype(dtype, copy=False)
    if w.size == 1:
        return w.reshape(())
    while w.ndim > len(per_shape) and w.shape[-1] == 1:
        w = w.reshape(w.shape[:-1])
    if w.shape != per_shape[: w.ndim]:
        raise ShapeError(
            f"{loss} expects sample_weight of shape {per_shape} (or a leading part of it, or a "
            f"scalar). Received: sample_weight of shape {np.shape(sample_weight)}"
        )
    return w.reshape(w.shape + (1,) * (len(per_shape) - w.ndim))


def _finish(per, parent, grad_of, weight, mode):
    """Weight and reduce the per-sample losses ``per``; one op with ``parent`` as its input.

    ``grad_of(c)`` maps the gradient ``c`` reaching each per-sample loss (shape
    ``per.shape + (1,)``, or a 0-d array when it is the same for all) to d(loss)/d(parent) in
    the column layout of ``_as_columns``.
    """
    weighted = per if weight is None else per * weight
    if mode == "none":
        out = weighted
    else:
        out = np.asarray(weighted.sum(), dtype=per.dtype)
        if mode == "mean":
            out = np.asarray(out / max(per.size, 1), dtype=per.dtype)
    count = max(per.size, 1) if mode == "mean" else 1

    def backward(g):
        c = g / count if count != 1 else g
        if weight is not None:
            c = c * weight
        c = np.asarray(c, dtype=per.dtype)
        if c.ndim:  # per-sample coefficients, one column each
            c = np.broadcast_to(c, per.shape)[..., None]
        return (grad_of(c).reshape(parent.shape),)

    return make(out, (parent,), backward)


def _fused_logits(y_pred, activation, from_logits):
    """The pre-activation recorded by ``activation`` on ``y_pred``, if it can be used."""
    if from_logits:
        return None
    recorded = getattr(y_pred, "_logits", None)
    if recorded is not None and recorded[0] == activation and recorded[1].shape == y_pred.shape:
        return recorded[1]
    return None


# -- regression losses ----------------------------------------------------------------------
def mean_squared_error(y_true, y_pred, sample_weight=None, reduction="mean"):
    """Mean over the last axis of (y_pred - y)**2;  dy_pred = 2 (y_pred - y) / C.

    >>> import neuropil as npl, neuropil.functional as F
    >>> F.mean_squared_error([[0.0, 0.0]], npl.Tensor([[1.0, 3.0]])).item()
    5.0
    """
    name = "mean_squared_error"
    mode = reduction_mode(reduction, name)
    y_pred = _prediction(y_pred, name)
    diff = _as_columns(y_pred.data - _target(y_true, y_pred, name))
    per = np.mean(diff * diff, axis=-1)
    scale = 2.0 / diff.shape[-1]
    weight = _weights(sample_weight, per.shape, y_pred.dtype, name)
    return _finish(per, y_pred, lambda c: c * scale * diff, weight, mode)


def mean_absolute_error(y_true, y_pred, sample_weight=None, reduction="mean"):
    """Mean over the last axis of |y_pred - y|;  dy_pred = sign(y_pred - y) / C (0 at a tie).

    >>> import neuropil as npl, neuropil.functional as F
    >>> F.mean_absolute_error([[0.0, 0.0]], npl.Tensor([[1.0, -3.0]])).item()
    2.0
    """
    name = "mean_absolute_error"
    mode = reduction_mode(reduction, name)
    y_pred = _prediction(y_pred, name)
    diff = _as_columns(y_pred.data - _target(y_true, y_pred, name))
    per = np.mean(np.abs(diff), axis=-1)
    scale = 1.0 / diff.shape[-1]
    weight = _weights(sample_weight, per.shape, y_pred.dtype, name)
    return _finish(per, y_pred, lambda c: c * scale * np.sign(diff), weight, mode)


def huber(y_true, y_pred, delta=1.0, sample_weight=None, reduction="mean"):
    """Mean over the last axis of 0.5 e**2 where |e| <= delta, else delta (|e| - 0.5 delta);
    e = y_pred - y;  dy_pred = clip(e, -delta, delta) / C.

    >>> import neuropil as npl, neuropil.functional as F
    >>> F.huber([[0.0, 0.0]], npl.Tensor([[0.5, 3.0]]), delta=1.0).item()
    1.3125
    """
    name = "huber"
    mode = reduction_mode(reduction, name)
    numeric = isinstance(delta, (int, float, np.integer, np.floating)) and not isinstance(
        delta, bool
    )
    if not numeric or not delta > 0:
        raise ConfigError(f"huber expects a positive number for delta. Received: delta={delta!r}")
    delta = float(delta)  # a Python float keeps float32 inputs float32
    y_pred = _prediction(y_pred, name)
    diff = _as_columns(y_pred.data - _target(y_true, y_pred, name))
    size = np.abs(diff)
    inner = np.minimum(size, delta)
    per = np.mean(0.5 * inner * inner + delta * (size - inner), axis=-1)
    scale = 1.0 / diff.shape[-1]
    weight = _weights(sample_weight, per.shape, y_pred.dtype, name)
    return _finish(per, y_pred, lambda c: c * scale * np.clip(diff, -delta, delta), weight, mode)


# -- binary cross-entropy -------------------------------------------------------------------
def check_label_smoothing(value, owner):
    """``value`` as a float in [0, 1]; a ConfigError naming ``owner`` otherwise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= value <= 1:
        raise ConfigError(f"{owner} expects label_smoothing in [0, 1]. Received: {value!r}")
    return float(value)


def _smoothed(y, label_smoothing, classes, loss):
    """Targets pulled toward the uniform distribution: y (1 - s) + s / classes (Keras's
    ``label_smoothing``; PyTorch's for cross_entropy)."""
    s = check_label_smoothing(label_smoothing, loss)
    if s == 0:
        return y
    return y * y.dtype.type(1 - s) + y.dtype.type(s / classes)


def binary_crossentropy(y_true, y_pred, from_logits=False, sample_weight=None, reduction="mean",
                        label_smoothing=0.0):  # fmt: skip
    """Mean over the last axis of -(y log p + (1 - y) log(1 - p)); with ``label_smoothing``
    s, each target y becomes y (1 - s) + s / 2 first.

    Probabilities: p = clip(y_pred, 1e-7, 1 - 1e-7);  dp = (p - y) / (p (1 - p)) / C inside
    the clip range, 0 outside. Logits z (``from_logits=True`` or a sigmoid's recorded input):
    max(z, 0) - z y + log1p(exp(-|z|));  dz = (sigmoid(z) - y) / C.

    >>> import numpy as np, neuropil as npl, neuropil.functional as F
    >>> z = npl.Tensor([[0.0], [2.0]], requires_grad=True)
    >>> loss = F.binary_crossentropy(np.array([[1.0], [0.0]]), z, from_logits=True)
    >>> loss.backward(); round(loss.item(), 4), z.grad.ravel().round(4)
    (1.41, array([-0.25  ,  0.4404], dtype=float32))
    """
    name = "binary_crossentropy"
    mode = reduction_mode(reduction, name)
    y_pred = _prediction(y_pred, name)
    y = _smoothed(_as_columns(_target(y_true, y_pred, name)), label_smoothing, 2, name)
    logits = y_pred if from_logits else _fused_logits(y_pred, "sigmoid", from_logits)
    scale = 1.0 / y.shape[-1]
    if logits is not None:
        z = _as_columns(logits.data)
        decay = np.exp(-np.abs(z))  # in (0, 1]: never overflows
        per = np.mean(np.maximum(z, 0) - z * y + np.log1p(decay), axis=-1)

        def grad_of(c):
            sigmoid = np.where(z >= 0, 1, decay) / (1 + decay)
            return c * scale * (sigmoid - y)

        parent = logits
    else:
        raw = _as_columns(y_pred.data)
        p = np.clip(raw, EPSILON, 1 - EPSILON)
        per = -np.mean(y * np.log(p) + (1 - y) * np.log1p(-p), axis=-1)

        def grad_of(c):
            inside = (raw >= EPSILON) & (raw <= 1 - EPSILON)
            return c * scale * np.where(inside, (p - y) / (p * (1 - p)), 0)

        parent = y_pred
    weight = _weights(sample_weight, per.shape, y_pred.dtype, name)
    return _finish(per, parent, grad_of, weight, mode)


# -- categorical cross-entropies ------------------------------------------------------------
def _log_softmax_parts(z):
    """z - max(z) and the row sums of its exponentials (the stable log-softmax pieces)."""
    shifted = z - z.max(axis=-1, keepdims=True)
    exps = np.exp(shifted)
    return shifted, exps, exps.sum(axis=-1, keepdims=True)


def categorical_crossentropy(
    y_true, y_pred, from_logits=False, sample_weight=None, reduction="mean", label_smoothing=0.0
):
    """Sum over the classes of -y log q, for one-hot (or soft) targets y; with
    ``label_smoothing`` s, y becomes y (1 - s) + s / C first (C classes).

    Probabilities: as Keras does, q = clip(p / sum(p), 1e-7, 1 - 1e-7);  with
    a = -y / q (0 where clipped), dp = (a - sum(a q)) / sum(p). Logits z (``from_logits=True``
    or a softmax's recorded input): log q = z - logsumexp(z);  dz = softmax(z) sum(y) - y.

    >>> import numpy as np, neuropil as npl, neuropil.functional as F
    >>> p = npl.Tensor([[0.25, 0.75]])
    >>> round(F.categorical_crossentropy(np.array([[0.0, 1.0]]), p).item(), 4)
    0.2877
    """
    name = "categorical_crossentropy"
    mode = reduction_mode(reduction, name)
    y_pred = _prediction(y_pred, name, min_ndim=2)
    y = _smoothed(_target(y_true, y_pred, name), label_smoothing, y_pred.shape[-1], name)
    logits = y_pred if from_logits else _fused_logits(y_pred, "softmax", from_logits)
    if logits is not None:
        shifted, exps, total = _log_softmax_parts(logits.data)
        per = -(y * (shifted - np.log(total))).sum(axis=-1)

        def grad_of(c):
            return c * (exps / total * y.sum(axis=-1, keepdims=True) - y)

        parent = logits
    else:
        total = y_pred.data.sum(axis=-1, keepdims=True)
        q = y_pred.data / total
        r = np.clip(q, EPSILON, 1 - EPSILON)
        per = -(y * np.log(r)).sum(axis=-1)

        def grad_of(c):
            a = np.where((q >= EPSILON) & (q <= 1 - EPSILON), -y / r, 0)
            return c * (a - (a * q).sum(axis=-1, keepdims=True)) / total

        parent = y_pred
    weight = _weights(sample_weight, per.shape, y_pred.dtype, name)
    return _finish(per, parent, grad_of, weight, mode)


def _class_indices(y_true, y_pred, loss):
    """Integer labels of shape y_pred.shape[:-1] (a trailing axis of size 1 is dropped)."""
    labels = y_true.data if isinstance(y_true, Tensor) else np.asarray(y_true)
    expected = y_pred.shape[:-1]
    if labels.shape != expected:
        if labels.shape != expected + (1,):
            raise ShapeError(
                f"{loss} expects integer class indices of shape {expected} (or {expected + (1,)}) "
                f"for y_pred of shape {y_pred.shape}. Received: y_true of shape {labels.shape}"
            )
        labels = labels.reshape(expected)
    labels = labels.astype(np.intp, copy=False)
    classes = y_pred.shape[-1]
    if labels.size and (labels.min() < 0 or labels.max() >= classes):
        bad = labels[(labels < 0) | (labels >= classes)].flat[0]
        raise LabelError(
            f"{loss} expects class indices in [0, {classes - 1}] for {classes} classes. "
            f"Received: a label {bad}"
        )
    return labels.reshape(-1)


def sparse_categorical_crossentropy(
    y_true, y_pred, from_logits=False, sample_weight=None, reduction="mean"
):
    """-log q[t] for integer class indices t (no one-hot targets are built).

    Probabilities: q = clip(p / sum(p), 1e-7, 1 - 1e-7) as Keras does;  with a = -1/q[t]
    (0 where clipped), dp_j = a ([j = t] - q[t]) / sum(p). Logits z (``from_logits=True`` or a
    softmax's recorded input): logsumexp(z) - z[t];  dz = softmax(z) - onehot(t).

    >>> import numpy as np, neuropil as npl, neuropil.functional as F
    >>> z = npl.Tensor([[0.0, 0.0], [0.0, 0.0]], requires_grad=True)
    >>> loss = F.sparse_categorical_crossentropy(np.array([1, 0]), z, from_logits=True)
    >>> loss.backward(); round(loss.item(), 4), z.grad
    (0.6931, array([[ 0.25, -0.25],
           [-0.25,  0.25]], dtype=float32))
    """
    name = "sparse_categorical_crossentropy"
    mode = reduction_mode(reduction, name)
    y_pred = _prediction(y_pred, name, min_ndim=2)
    target = _class_indices(y_true, y_pred, name)
    per_shape, classes = y_pred.shape[:-1], y_pred.shape[-1]
    rows = np.arange(target.size)
    logits = y_pred if from_logits else _fused_logits(y_pred, "softmax", from_logits)
    if logits is not None:
        shifted, exps, total = _log_softmax_parts(logits.data.reshape(-1, classes))
        per = np.log(total[:, 0]) - shifted[rows, target]

        def grad_of(c):
            c = c.reshape(-1, 1) if c.ndim else c
            grad = exps / total * c
            grad[rows, target] -= c[:, 0] if c.ndim else c
            return grad

        parent = logits
    else:
        p = y_pred.data.reshape(-1, classes)
        total = p.sum(axis=-1)
        picked = p[rows, target] / total
        clipped = np.clip(picked, EPSILON, 1 - EPSILON)
        per = -np.log(clipped)

        def grad_of(c):
            inside = (picked >= EPSILON) & (picked <= 1 - EPSILON)
            a = np.where(inside, -1 / clipped, 0) / total
            grad = np.broadcast_to((-a * picked)[:, None], p.shape).copy()
            grad[rows, target] += a
            return grad * (c.reshape(-1, 1) if c.ndim else c)

        parent = y_pred
    per = per.reshape(per_shape)
    weight = _weights(sample_weight, per_shape, y_pred.dtype, name)
    return _finish(per, parent, grad_of, weight, mode)
