"""Reductions: sum, mean, max, min, var over an axis (or all), with ``keepdims``.

>>> import neuropil as npl
>>> x = npl.Tensor([[1.0, 5.0], [3.0, 2.0]], requires_grad=True)
>>> x.max(axis=1).sum().backward(); x.grad
array([[0., 1.],
       [1., 0.]], dtype=float32)
"""

import numpy as np

from neuropil.tensor import make


def _axes(axis, ndim):
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    return tuple(a % ndim for a in axes)


def _expand(g, shape, axes):
    """Put back the reduced axes of ``g`` (as size 1) so it broadcasts against ``shape``."""
    return g.reshape([1 if i in axes else n for i, n in enumerate(shape)])


def sum(a, axis=None, keepdims=False):  # noqa: A001 - mirrors numpy.sum
    """Sum;  da = g broadcast back over the summed axes."""
    axes = _axes(axis, a.ndim)

    def backward(g):
        return (np.broadcast_to(_expand(g, a.shape, axes), a.shape),)

    return make(a.data.sum(axis=axes, keepdims=keepdims), (a,), backward)


def mean(a, axis=None, keepdims=False):
    """Mean;  da = g / n broadcast back, n the number of averaged elements."""
    axes = _axes(axis, a.ndim)
    n = 1
    for i in axes:
        n *= a.shape[i]

    def backward(g):
        return (np.broadcast_to(_expand(g, a.shape, axes) / n, a.shape),)

    return make(a.data.mean(axis=axes, keepdims=keepdims), (a,), backward)


def var(a, axis=None, keepdims=False, ddof=0):
    """Variance;  da = g * 2 (a - mean) / (n - ddof)."""
    axes = _axes(axis, a.ndim)
    centered = a.data - a.data.mean(axis=axes, keepdims=True)
    n = 1
    for i in axes:
        n *= a.shape[i]

    def backward(g):
        return (_expand(g, a.shape, axes) * centered * (2.0 / (n - ddof)),)

    out = (centered * centered).sum(axis=axes, keepdims=keepdims) / (n - ddof)
    return make(out.astype(a.dtype, copy=False), (a,), backward)


def _extreme(a, axis, keepdims, reduce):
    axes = _axes(axis, a.ndim)
    kept = reduce(a.data, axis=axes, keepdims=True)

    def backward(g):
        hits = a.data == kept
        count = hits.sum(axis=axes, keepdims=True).astype(g.dtype)
        return (_expand(g, a.shape, axes) * hits / count,)

    out = kept if keepdims else kept.reshape([n for i, n in enumerate(a.shape) if i not in axes])
    return make(out, (a,), backward)


def max(a, axis=None, keepdims=False):  # noqa: A001 - mirrors numpy.max
    """Maximum;  the gradient goes to the maximal entries, split evenly between ties."""
    return _extreme(a, axis, keepdims, np.max)


def min(a, axis=None, keepdims=False):  # noqa: A001 - mirrors numpy.min
    """Minimum;  the gradient goes to the minimal entries, split evenly between ties."""
    return _extreme(a, axis, keepdims, np.min)
