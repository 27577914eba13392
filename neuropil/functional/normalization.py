"""Batch normalization over every axis but the last, so (N, C) and NHWC inputs work alike.

Each channel c (last axis) is normalized with a mean and variance taken over all other axes,
then scaled and shifted: out = gamma * (x - mean) / sqrt(var + epsilon) + beta. In training
the statistics are the batch's own (the biased variance, as Keras uses); at inference they are
the moving averages the layer keeps. ``gamma`` or ``beta`` may be None (Keras's
``scale=False`` / ``center=False``). Keras's default epsilon is 1e-3.

>>> import numpy as np, neuropil as npl, neuropil.functional as F
>>> x = npl.Tensor([[1.0, 10.0], [3.0, 30.0]], requires_grad=True)
>>> out, mean, var = F.batch_norm_train(x, np.ones(2), np.zeros(2), epsilon=0.0)
>>> out.data
array([[-1., -1.],
       [ 1.,  1.]], dtype=float32)
>>> mean, var
(array([ 2., 20.], dtype=float32), array([  1., 100.], dtype=float32))
"""

import numpy as np

from neuropil.errors import ConfigError, ShapeError
from neuropil.tensor import Tensor, lift, make

__all__ = ["batch_norm", "batch_norm_train"]


def _input(x, op):
    if not isinstance(x, Tensor):
        x = Tensor(x)
    if x.ndim < 2:
        raise ShapeError(
            f"{op} expects input of shape (N, ..., C) with channels on the last axis. "
            f"Received: {x.shape}"
        )
    return x


def _per_channel(value, x, arg, op, as_tensor):
    """``value`` as a (C,) Tensor (parameters) or array (statistics) of ``x``'s dtype."""
    if value is None:
        return None
    if as_tensor:
        value = lift(value, x)
    else:
        value = np.asarray(value.data if isinstance(value, Tensor) else value, dtype=x.dtype)
    if value.shape != x.shape[-1:]:
        raise ShapeError(
            f"{op} expects {arg} of shape {x.shape[-1:]}, one value per channel of the input "
            f"{x.shape}. Received: {arg} of shape {value.shape}"
        )
    return value


def _epsilon(epsilon, op):
    if isinstance(epsilon, bool) or not isinstance(epsilon, (int, float, np.number)):
        raise ConfigError(f"{op} expects a non-negative number for epsilon. Received: {epsilon!r}")
    if not epsilon >= 0:
        raise ConfigError(f"{op} expects a non-negative number for epsilon. Received: {epsilon!r}")
    return float(epsilon)  # a Python float keeps float32 inputs float32


def _rows(a):
    """(..., C) as (m, C): every channel statistic becomes a reduction over axis 0."""
    return a.reshape(-1, a.shape[-1])


def _channel_sum(rows):
    """Column sums as one BLAS vector-matrix product (several times faster than ``sum``)."""
    return np.ones(len(rows), dtype=rows.dtype) @ rows


def _channel_dot(a, b):
    """Column sums of a * b without building the product."""
    return np.einsum("ij,ij->j", a, b)


def batch_norm(x, gamma, beta, mean, var, epsilon=1e-3):
    """Inference: gamma (x - mean) / sqrt(var + epsilon) + beta with fixed statistics.

    With s = gamma / sqrt(var + epsilon):  dx = g s,  dgamma = sum(g xhat),  dbeta = sum(g),
    the sums over every axis but the last. ``mean`` and ``var`` get no gradient.

    >>> import numpy as np, neuropil as npl, neuropil.functional as F
    >>> x = npl.Tensor([[2.0, 5.0]])
    >>> F.batch_norm(x, None, np.array([0.0, 1.0]), mean=np.array([1.0, 1.0]),
    ...              var=np.array([4.0, 16.0]), epsilon=0.0).data
    array([[0.5, 2. ]], dtype=float32)
    """
    op = "batch_norm"
    x = _input(x, op)
    gamma = _per_channel(gamma, x, "gamma", op, as_tensor=True)
    beta = _per_channel(beta, x, "beta", op, as_tensor=True)
    mean = _per_channel(mean, x, "mean", op, as_tensor=False)
    var = _per_channel(var, x, "var", op, as_tensor=False)
    inv_std = 1 / np.sqrt(var + _epsilon(epsilon, op))
    scale = inv_std if gamma is None else inv_std * gamma.data
    shift = -mean * scale if beta is None else beta.data - mean * scale

    def backward(g):
        grads = [g * scale if x.requires_grad else None]
        rows = _rows(g)
        if gamma is not None:
            dgamma = _channel_dot(rows, _rows(x.data) - mean) * inv_std
            grads.append(dgamma if gamma.requires_grad else None)
        if beta is not None:
            grads.append(_channel_sum(rows) if beta.requires_grad else None)
        return tuple(grads)

    parents = tuple(t for t in (x, gamma, beta) if t is not None)
    out = x.data * scale
    out += shift
    return make(out, parents, backward)


def batch_norm_train(x, gamma, beta, epsilon=1e-3):
    """Training: normalize with the batch's mean and biased variance over all axes but the last.

    Returns ``(out, batch_mean, batch_var)``; the statistics are NumPy arrays of shape (C,)
    for the layer's moving averages. With m values per channel and xhat the normalized input:
    dbeta = sum(g),  dgamma = sum(g xhat),
    dx = gamma / sqrt(var + epsilon) * (g - dbeta / m - xhat dgamma / m).

    >>> import numpy as np, neuropil as npl, neuropil.functional as F
    >>> x = npl.Tensor(np.arange(8.0).reshape(2, 2, 2, 1), requires_grad=True)  # NHWC
    >>> out, mean, var = F.batch_norm_train(x, np.ones(1), np.zeros(1))
    >>> (out * out).sum().backward()
    >>> mean, var, float(np.abs(x.grad).max()) < 1e-3
    (array([3.5], dtype=float32), array([5.25], dtype=float32), True)
    """
    op = "batch_norm_train"
    x = _input(x, op)
    gamma = _per_channel(gamma, x, "gamma", op, as_tensor=True)
    beta = _per_channel(beta, x, "beta", op, as_tensor=True)
    epsilon = _epsilon(epsilon, op)
    xhat = _rows(x.data)
    m = len(xhat)
    mean = _channel_sum(xhat) / m
    xhat = xhat - mean
    var = _channel_dot(xhat, xhat) / m
    inv_std = 1 / np.sqrt(var + epsilon)
    xhat *= inv_std
    out = xhat.copy() if gamma is None else xhat * gamma.data
    if beta is not None:
        out += beta.data

    def backward(g):
        g = _rows(g)
        dbeta, dgamma = _channel_sum(g), _channel_dot(g, xhat)
        grads = [None]
        if x.requires_grad:  # in place: four passes over the batch, no temporaries
            dx = xhat * (-dgamma / m)
            dx += g
            dx -= dbeta / m
            dx *= inv_std if gamma is None else inv_std * gamma.data
            grads[0] = dx.reshape(x.shape)
        if gamma is not None:
            grads.append(dgamma if gamma.requires_grad else None)
        if beta is not None:
            grads.append(dbeta if beta.requires_grad else None)
        return tuple(grads)

    out = out.reshape(x.shape)
    parents = tuple(t for t in (x, gamma, beta) if t is not None)
    return make(out, parents, backward), mean, var
