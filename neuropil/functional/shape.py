"""Ops that move values without changing them: reshape, transpose, index, join, pad.

>>> import neuropil as npl, neuropil.functional as F
>>> a = npl.Tensor([[1.0, 2.0]], requires_grad=True)
>>> F.concatenate([a, a * 3], axis=0).sum().backward(); a.grad
array([[4., 4.]], dtype=float32)
"""

import numpy as np

from neuropil.tensor import Tensor, make


def reshape(a, *shape):
    """View with a new shape;  da = g reshaped back."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return make(a.data.reshape(shape), (a,), lambda g: (g.reshape(a.shape),))


def flatten(a, start_axis=1):
    """Merge all axes from ``start_axis`` on into one (the batch axis stays)."""
    return reshape(a, a.shape[:start_axis] + (-1,))


def transpose(a, axes=None):
    """Permute axes (reverse them by default);  da = g permuted back."""
    inverse = None if axes is None else tuple(np.argsort([ax % a.ndim for ax in axes]))
    return make(a.data.transpose(axes), (a,), lambda g: (g.transpose(inverse),))


def getitem(a, index):
    """``a[index]`` for any NumPy index;  da = g scattered back (added where indices repeat)."""
    if isinstance(index, Tensor):
        index = index.data
    elif isinstance(index, tuple):
        index = tuple(i.data if isinstance(i, Tensor) else i for i in index)

    def backward(g):
        grad = np.zeros_like(a.data)
        np.add.at(grad, index, g)
        return (grad,)

    return make(a.data[index], (a,), backward)


def concatenate(tensors, axis=0):
    """Join along an existing axis;  each input gets its slice of g."""
    tensors = tuple(tensors)
    sizes = np.cumsum([t.shape[axis] for t in tensors])[:-1]
    return make(
        np.concatenate([t.data for t in tensors], axis=axis),
        tensors,
        lambda g: tuple(np.split(g, sizes, axis=axis)),
    )


def stack(tensors, axis=0):
    """Join along a new axis;  each input gets its slice of g."""
    tensors = tuple(tensors)

    def backward(g):
        return tuple(np.moveaxis(g, axis, 0))

    return make(np.stack([t.data for t in tensors], axis=axis), tensors, backward)


def pad(a, pad_width, value=0.0):
    """Pad with a constant (``pad_width`` as in ``numpy.pad``);  da = g without the border."""
    widths = np.broadcast_to(np.asarray(pad_width, dtype=int), (a.ndim, 2))
    inner = tuple(slice(lo, n + lo) for (lo, _), n in zip(widths, a.shape))
    out = np.pad(a.data, widths, constant_values=value)
    return make(out, (a,), lambda g: (g[inner],))
