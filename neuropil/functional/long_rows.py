"""Two array kernels that hand NumPy long rows, where its SIMD loops run.

NumPy's vectorised loops for ``maximum`` need both operands to advance through memory, and
every loop pays a fixed cost per call along the innermost axis. Two common steps fall off
those paths: ``maximum(a, 0)`` (a scalar operand: a plain loop, measured 2.2x slower than with
a row of zeros, NumPy 2.4) and adding a bias of a few values to each row of a tall matrix
(one short inner loop per row: 1.8x slower for 32 values than for 1,024). Both helpers give the
same values as the plain expressions, NaN included; they only change how the loops are shaped.

>>> import numpy as np
>>> from neuropil.functional.long_rows import add_bias, relu_values
>>> a = np.array([[-1.0, 2.0], [3.0, -4.0]], dtype=np.float32)
>>> relu_values(add_bias(a, np.array([0.5, 0.5], dtype=np.float32)))
array([[0. , 2.5],
       [3.5, 0. ]], dtype=float32)
"""

import numpy as np

__all__ = ["add_bias", "relu_values"]

_WIDTH = 1024  # values per row handed to NumPy: long enough for its per-call cost to vanish
# Below these sizes the reshaping costs more than it saves (measured with 128 x 10 ... 128 x 256).
_RELU_MIN, _BIAS_MIN = 16 * _WIDTH, 64 * _WIDTH
_zero_rows = {}


def _zeros(dtype):
    row = _zero_rows.get((dtype, _WIDTH))
    if row is None:
        row = _zero_rows[dtype, _WIDTH] = np.zeros(_WIDTH, dtype=dtype)
        row.flags.writeable = False
    return row


def _output_for(a, out):
    """``out`` (or a new array like ``a``) if both can be viewed as long rows of ``a``'s dtype,
    else None."""
    if out is None:
        return np.empty_like(a) if a.flags.c_contiguous else None
    same = out.shape == a.shape and out.dtype == a.dtype
    return out if same and a.flags.c_contiguous and out.flags.c_contiguous else None


def relu_values(a, out=None):
    """``np.maximum(a, 0, out=out)`` (``out=a`` works in place), with 0 given as a broadcast
    row of zeros over a (rows, 1024) view of ``a``; arrays that are not C-contiguous floats
    take the plain call.

    >>> import numpy as np
    >>> relu_values(np.array([-2.0, 0.0, 3.0]))
    array([0., 0., 3.])
    """
    target = _output_for(a, out) if a.size >= _RELU_MIN and a.dtype.kind == "f" else None
    if target is None:
        return np.maximum(a, 0, out=out)
    out = target
    src, dst = a.reshape(-1), out.reshape(-1)
    body = src.size - src.size % _WIDTH
    np.maximum(src[:body].reshape(-1, _WIDTH), _zeros(a.dtype), out=dst[:body].reshape(-1, _WIDTH))
    np.maximum(src[body:], 0, out=dst[body:])
    return out


def add_bias(a, bias, out=None):
    """``np.add(a, bias, out=out)`` (``out=a`` works in place) for ``a`` of shape (..., n)
    and ``bias`` (n,). When n is short and the rows many, groups of k rows of C-contiguous
    arrays are added as one long row of k*n values to ``bias`` repeated k times; the rows left
    over take the plain broadcast.

    >>> import numpy as np
    >>> add_bias(np.zeros((2, 3), dtype=np.float32), np.arange(3, dtype=np.float32))
    array([[0., 1., 2.],
           [0., 1., 2.]], dtype=float32)
    """
    if a.size < _BIAS_MIN or bias.ndim != 1 or bias.dtype != a.dtype or a.dtype.kind != "f":
        return np.add(a, bias, out=out)  # small, or NumPy's type promotion has a say
    n = bias.shape[0]
    target = _output_for(a, out) if n < _WIDTH // 4 and a.shape[-1] == n else None
    if target is None:
        return np.add(a, bias, out=out)
    out = target
    src, dst = a.reshape(-1, n), out.reshape(-1, n)
    group = -(-_WIDTH // n)
    body = len(src) - len(src) % group
    if body:
        width = group * n
        np.add(src[:body].reshape(-1, width), np.tile(bias, group),
               out=dst[:body].reshape(-1, width))  # fmt: skip
    np.add(src[body:], bias, out=dst[body:])
    return out
