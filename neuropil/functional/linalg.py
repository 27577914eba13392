"""Matrix products.

>>> import neuropil as npl, neuropil.functional as F
>>> x = npl.Tensor([[1.0, 2.0]]); w = npl.Tensor([[1.0], [1.0]], requires_grad=True)
>>> F.linear(x, w, npl.Tensor([0.5])).data
array([[3.5]], dtype=float32)
"""

import numpy as np

from neuropil.functional.elementwise import _pair
from neuropil.functional.long_rows import add_bias
from neuropil.tensor import make, unbroadcast


def matmul(a, b):
    """a @ b (batched like ``numpy.matmul``);  da = g @ b^T, db = a^T @ g."""
    a, b = _pair(a, b)
    if a.ndim == 1 or b.ndim == 1:
        return _matmul_vector(a, b)

    def backward(g):
        ga = unbroadcast(g @ np.swapaxes(b.data, -1, -2), a.shape) if a.requires_grad else None
        gb = unbroadcast(np.swapaxes(a.data, -1, -2) @ g, b.shape) if b.requires_grad else None
        return ga, gb

    return make(a.data @ b.data, (a, b), backward)


def _matmul_vector(a, b):
    # Promote vectors to matrices as numpy does, then drop the added axis again.
    from neuropil.functional.shape import reshape

    a2 = reshape(a, (1, -1)) if a.ndim == 1 else a
    b2 = reshape(b, (-1, 1)) if b.ndim == 1 else b
    out = matmul(a2, b2)
    shape = (
        out.shape[:-2]
        + ((out.shape[-2],) if a.ndim > 1 else ())
        + ((out.shape[-1],) if b.ndim > 1 else ())
    )
    return reshape(out, shape)


def linear(x, kernel, bias=None):
    """x @ kernel + bias for 2-D ``x`` (batch, in) and ``kernel`` (in, out).

    dx = g @ kernel^T (skipped when x needs no gradient, e.g. the first layer's input),
    dkernel = x^T @ g, dbias = sum of g over the batch.
    """
    out = x.data @ kernel.data
    if bias is not None:
        add_bias(out, bias.data, out=out)

    def backward(g):
        gx = g @ kernel.data.T if x.requires_grad else None
        gk = x.data.T @ g if kernel.requires_grad else None
        if bias is None:
            return gx, gk
        return gx, gk, (g.sum(axis=0) if bias.requires_grad else None)

    parents = (x, kernel) if bias is None else (x, kernel, bias)
    return make(out, parents, backward)
