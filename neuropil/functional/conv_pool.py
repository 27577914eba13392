"""Convolution followed by max pooling, as one op: ``max_pool2d(conv2d(x, kernel) + bias)``.

A convnet's Conv2D -> MaxPooling2D pair spends as much time moving data as multiplying it when
each op runs alone: pooling reads the convolution's output through strided views, four reads
of a quarter of the data with gaps between them, and its backward pass writes a full-size
gradient the same way. Computing the pair together removes that:

- The im2col rows are ordered *phase-major*: with pool p x q, the positions (p*i + a, q*j + b)
  of pool phase (a, b) come as one block, for every phase. The convolution's output is then
  p*q contiguous blocks of shape (N*OH*OW, filters), and the pool is an elementwise maximum of
  those blocks; the backward pass compares and masks whole blocks too.
- Positions no pool window reaches (the last row or column when the conv output has an odd size)
  are never computed: the conv2 of the MNIST convnet (11x11 output, 2x2 pool) does 100 positions
  per image instead of 121.
- The bias is added after the pool (max(z) + b = max(z + b)), to a quarter of the values, and
  ReLU (``relu=True``) after that: relu(max(z)) = max(relu(z)).

Ties go to the first maximal position of each window in row-major order, like ``max_pool2d``
and PyTorch. ``neuropil.models.Sequential`` calls this op for a Conv2D (no activation or ReLU)
followed by a MaxPooling2D whose strides equal its pool size and padding is "valid"; the result
and the gradients are the same as running the two layers one after the other.

>>> import numpy as np, neuropil as npl, neuropil.functional as F
>>> x = npl.Tensor(np.arange(50.0).reshape(2, 5, 5, 1))
>>> k = npl.Tensor(np.ones((2, 2, 1, 3)))
>>> y = F.conv2d_max_pool2d(x, k, pool_size=2)
>>> y.shape, bool(np.allclose(y.data, F.max_pool2d(F.conv2d(x, k), 2).data))
((2, 2, 2, 3), True)
"""

import numpy as np
from numpy.lib.stride_tricks import as_strided

from neuropil.errors import ShapeError
from neuropil.functional.conv import _column_sums, _input_gradient, im2col, prepare_input
from neuropil.functional.long_rows import add_bias, relu_values
from neuropil.functional.pooling import int_pair
from neuropil.tensor import make

__all__ = ["conv2d_max_pool2d"]


def _phase_windows(xp, kernel_hw, pool, pooled, strides, dilation):
    """View of padded ``xp`` as (p, q, N, OH, OW, kh, kw, C): the window of the conv position
    (p*i + a, q*j + b) at [a, b, n, i, j]; no copy."""
    n, h, w, c = xp.strides
    (sh, sw), (dh, dw), (p, q) = strides, dilation, pool
    shape = (p, q, xp.shape[0], *pooled, *kernel_hw, xp.shape[3])
    steps = (h * sh, w * sw, n, h * sh * p, w * sw * q, h * dh, w * dw, c)
    return as_strided(xp, shape, steps, writeable=False)


def conv2d_max_pool2d(
    x, kernel, bias=None, strides=1, padding="valid", dilation=1, pool_size=2, relu=False
):
    """``max_pool2d(conv2d(x, kernel, bias, strides, padding, dilation), pool_size)`` (pool
    strides = pool size, padding "valid"), then ReLU if ``relu``; see the module docstring.

    z_t = cols_t @ K for each pool phase t;  m = max over t of z_t;  y = relu(m + b)
    dm = g * (y > 0);  dz_t = dm where t is the first phase with z_t = m, else 0;  db = sum dm
    dK = cols^T @ dz;  dx = each kernel tap's (dz @ K_tap^T) added into the positions it read.

    >>> import numpy as np, neuropil as npl, neuropil.functional as F
    >>> x = npl.Tensor(np.random.default_rng(0).normal(size=(2, 28, 28, 1)))
    >>> k = npl.Tensor(np.ones((3, 3, 1, 4)) / 9)
    >>> F.conv2d_max_pool2d(x, k, pool_size=2, relu=True).shape
    (2, 13, 13, 4)
    """
    owner = "conv2d_max_pool2d"
    xp, strides, dilation, pads, (oh, ow) = prepare_input(
        x, kernel, strides, padding, dilation, owner
    )
    (kh, kw, c_in, filters), batch = kernel.shape, x.shape[0]
    p, q = pool = int_pair(pool_size, "pool_size", owner)
    if p > oh or q > ow:
        raise ShapeError(
            f"{owner}: pool {pool} does not fit the {oh}x{ow} convolution output. "
            f"Received: x of shape {x.shape}, kernel {kernel.shape}"
        )
    pooled = (oh // p, ow // q)
    phases, rows = p * q, batch * pooled[0] * pooled[1]

    view = _phase_windows(xp, (kh, kw), pool, pooled, strides, dilation)
    cols = im2col(view)
    k2 = kernel.data.reshape(kh * kw * c_in, filters)
    z = (cols @ k2).reshape(phases, rows, filters)
    top = z[0].copy() if phases == 1 else np.maximum(z[0], z[1])  # m: the max over phases
    for t in range(2, phases):
        np.maximum(top, z[t], out=top)
    out = add_bias(top, bias.data) if bias is not None else top.copy()
    if relu:
        relu_values(out, out=out)

    def backward(g):
        dm = g.reshape(rows, filters)
        if relu:
            dm = dm * (out > 0)
        # Each window's gradient goes to the first phase (row-major, as in max_pool2d) whose
        # value equals the max; the last phase takes what is left, which only differs from
        # "equal to the max" for a NaN max. ``seen``: the windows served so far.
        dz = np.empty_like(z)
        seen = np.equal(z[0], top) if phases > 1 else np.ones(top.shape, dtype=bool)
        np.multiply(dm, seen, out=dz[0])
        hit = np.empty_like(seen)
        for t in range(1, phases):
            if t < phases - 1:
                np.equal(z[t], top, out=hit)
                np.greater(hit, seen, out=hit)  # hit and not seen
                np.logical_or(seen, hit, out=seen)
            else:
                np.logical_not(seen, out=hit)
            np.multiply(dm, hit, out=dz[t])
        dz2 = dz.reshape(phases * rows, filters)
        gk = (cols.T @ dz2).reshape(kernel.shape) if kernel.requires_grad else None
        gx = None
        if x.requires_grad:
            # dx's per-tap products want dz in image order, (N, p*OH, q*OW, F): the positions
            # computed, which a plain conv with that output size reads in the same way
            image = np.empty((batch, pooled[0], p, pooled[1], q, filters), dtype=dz.dtype)
            blocks = dz.reshape(p, q, batch, *pooled, filters)
            for a in range(p):
                for b in range(q):
                    np.copyto(image[:, :, a, :, b], blocks[a, b])
            geometry = (kh, kw, p * pooled[0], q * pooled[1])
            gx = _input_gradient(
                image.reshape(-1, filters), k2, xp.shape, geometry, strides, dilation, pads
            )
        if bias is None:
            return gx, gk
        return gx, gk, (_column_sums(dm) if bias.requires_grad else None)

    parents = (x, kernel) if bias is None else (x, kernel, bias)
    return make(out.reshape(batch, *pooled, filters), parents, backward)
