"""Pooling on channels-last (NHWC) images: max, average and min pooling, global pooling, padding.

A pool of size (ph, pw) moved with strides (sh, sw) turns an (N, H, W, C) input into
(N, OH, OW, C). With ``padding="valid"`` every window lies inside the input and
OH = floor((H - ph) / sh) + 1 (the notes' floor((n + 2p - f) / s) + 1 with p = 0); rows and
columns that no window reaches are dropped and get a zero gradient. With ``padding="same"``
(Keras/TensorFlow) OH = ceil(H / sh) and the input is padded by max((OH - 1) sh + ph - H, 0)
cells in total, half of them (rounded down) before and the rest after. Padded cells never win a
max or min pool and average pooling leaves them out of the divisor, as Keras does.

How it is computed: instead of gathering every window, the ops loop over the ph * pw pool taps.
For tap (i, j) the strided view ``x[:, i::sh, j::sw, :]`` (cut to OH x OW) holds that tap of every
window at once, so the pool is ph * pw vectorised ``maximum``/``minimum``/``add`` calls into one
preallocated output.

>>> import numpy as np, neuropil as npl, neuropil.functional as F
>>> x = npl.Tensor(np.arange(16.0).reshape(1, 4, 4, 1), requires_grad=True)
>>> y = F.max_pool2d(x, 2)
>>> y.data[0, :, :, 0]
array([[ 5.,  7.],
       [13., 15.]], dtype=float32)
>>> y.sum().backward(); x.grad[0, :, :, 0]
array([[0., 0., 0., 0.],
       [0., 1., 0., 1.],
       [0., 0., 0., 0.],
       [0., 1., 0., 1.]], dtype=float32)
"""

import numbers

import numpy as np

from neuropil.errors import ConfigError, ShapeError
from neuropil.functional.reduce import max as _reduce_max
from neuropil.functional.reduce import mean as _reduce_mean
from neuropil.functional.shape import pad as _pad
from neuropil.tensor import Tensor, make

__all__ = [
    "avg_pool2d",
    "global_avg_pool2d",
    "global_max_pool2d",
    "max_pool2d",
    "min_pool2d",
    "zero_pad2d",
]

PADDINGS = ("valid", "same")


# -- arguments and geometry (shared with functional.conv and the conv and pooling layers) ------


def is_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def int_pair(value, argument, owner):
    """``value`` (an int or a pair of ints) as a pair of positive ints; ConfigError otherwise."""
    pair = (value, value) if is_int(value) else value
    try:
        pair = tuple(pair)
    except TypeError:
        pair = ()
    if len(pair) != 2 or not all(is_int(n) and n > 0 for n in pair):
        raise ConfigError(
            f"{owner} {argument} must be a positive integer or a pair of positive integers. "
            f"Received: {value!r}"
        )
    return int(pair[0]), int(pair[1])


def padding_mode(padding, owner):
    """``"valid"`` or ``"same"`` (any case); ConfigError otherwise."""
    mode = padding.lower() if isinstance(padding, str) else padding
    if mode not in PADDINGS:
        raise ConfigError(f"{owner} padding must be 'valid' or 'same'. Received: {padding!r}")
    return mode


def pool_arguments(pool_size, strides, padding, owner):
    """Validated (pool, strides, padding); strides default to the pool size, as in Keras."""
    pool = int_pair(pool_size, "pool_size", owner)
    stride = pool if strides is None else int_pair(strides, "strides", owner)
    return pool, stride, padding_mode(padding, owner)


def pooled_length(n, pool, stride, padding):
    """Output length along one axis: floor((n - pool) / stride) + 1, or ceil(n / stride)."""
    if padding == "same":
        return -(-n // stride)
    return (n - pool) // stride + 1


def check_pool_fits(height_width, pool, padding, owner, received):
    """Raise ShapeError if a "valid" pool is larger than the input (no window would fit)."""
    if padding == "valid" and (pool[0] > height_width[0] or pool[1] > height_width[1]):
        raise ShapeError(
            f"{owner}: pool {pool} does not fit input {height_width[0]}x{height_width[1]} "
            f"with padding='valid'; use a smaller pool or padding='same'. Received: {received}"
        )


def check_image_batch(shape, owner, received):
    """Raise ShapeError unless ``shape`` is (batch, height, width, channels)."""
    if len(shape) != 4:
        raise ShapeError(
            f"{owner} expects 4-D input (batch, height, width, channels). Received: {received}"
        )


def _axis_taps(n, pool, stride, out, before):
    """For each tap i of one axis: (output slice, input slice) of the windows that tap i reaches
    inside the input, or None. Window o covers input cells o * stride - before + [0, pool)."""
    taps = []
    for i in range(pool):
        lo = max(0, -((i - before) // stride))  # first o with o * stride + i - before >= 0
        hi = min(out - 1, (n - 1 + before - i) // stride)  # last o with that index <= n - 1
        if lo > hi:
            taps.append(None)
            continue
        start = lo * stride + i - before
        taps.append((slice(lo, hi + 1), slice(start, hi * stride + i - before + 1, stride)))
    return taps


def _axis_counts(n, pool, stride, out, before):
    """How many input cells (not padding) each window of one axis covers."""
    starts = np.arange(out) * stride - before
    return np.minimum(starts + pool, n) - np.maximum(starts, 0)


def _pad_before(n, pool, stride, out, padding):
    """Cells padded before the input along one axis: half of the total, rounded down."""
    if padding == "valid":
        return 0
    return max((out - 1) * stride + pool - n, 0) // 2


class _Geometry:
    """Everything about one pooling call that depends only on shapes (computed once per call)."""

    def __init__(self, shape, pool, stride, padding):
        _, h, w, _ = shape
        self.out_h = pooled_length(h, pool[0], stride[0], padding)
        self.out_w = pooled_length(w, pool[1], stride[1], padding)
        befores = [
            _pad_before(h, pool[0], stride[0], self.out_h, padding),
            _pad_before(w, pool[1], stride[1], self.out_w, padding),
        ]
        self.before = tuple(befores)
        rows = _axis_taps(h, pool[0], stride[0], self.out_h, befores[0])
        cols = _axis_taps(w, pool[1], stride[1], self.out_w, befores[1])
        # (output index, input index) per tap, row-major tap order; taps reaching nothing are left
        # out (a "same" pool larger than the input can have a tap that only ever sees padding).
        self.taps = [
            ((slice(None), r[0], c[0]), (slice(None), r[1], c[1]))
            for r in rows
            for c in cols
            if r is not None and c is not None
        ]
        # tap (0, 0) of every window is inside the input iff nothing is padded before
        self.first_covers_all = befores == [0, 0]
        # each input cell is in at most one window: backward may assign instead of add
        self.disjoint = stride[0] >= pool[0] and stride[1] >= pool[1]
        # ... and in exactly one: the input gradient needs no zero fill
        self.exact = (
            stride == pool
            and self.out_h * pool[0] == h
            and self.out_w * pool[1] == w
            and self.first_covers_all
        )
        self.shape, self.pool, self.stride, self.padding = shape, pool, stride, padding

    def window_counts(self, dtype):
        """Cells per window, (OH, OW, 1) (or a Python int when no window touches padding)."""
        _, h, w, _ = self.shape
        ch = _axis_counts(h, self.pool[0], self.stride[0], self.out_h, self.before[0])
        cw = _axis_counts(w, self.pool[1], self.stride[1], self.out_w, self.before[1])
        if ch.min() == self.pool[0] and cw.min() == self.pool[1]:
            return self.pool[0] * self.pool[1]
        return (ch[:, None] * cw[None, :]).astype(dtype)[:, :, None]


def _prepare(x, pool_size, strides, padding, op):
    if not isinstance(x, Tensor):
        x = Tensor(x)
    pool, stride, padding = pool_arguments(pool_size, strides, padding, op)
    received = f"input of shape {x.shape}"
    check_image_batch(x.shape, op, received)
    check_pool_fits(x.shape[1:3], pool, padding, op, received)
    return x, _Geometry(x.shape, pool, stride, padding)


def _identity(dtype, largest):
    """The value a padded cell takes so that it never wins a max (or a min) pool."""
    if dtype.kind == "f":
        return np.inf if largest else -np.inf
    info = np.iinfo(dtype)
    return info.max if largest else info.min


# -- max / min pooling ---------------------------------------------------------------------------


def _combine_taps(xd, geo, combine, fill):
    """(N, OH, OW, C): ``combine`` (np.maximum, np.minimum, np.add) of every window's taps.
    Windows start from their first tap when it is always inside the input, else from ``fill``
    (the value a padded cell stands for)."""
    out = np.empty((xd.shape[0], geo.out_h, geo.out_w, xd.shape[3]), dtype=xd.dtype)
    taps = geo.taps
    if geo.first_covers_all:
        np.copyto(out, xd[taps[0][1]])
        taps = taps[1:]
    else:
        out.fill(fill)
    for o, i in taps:
        view = out[o]
        combine(view, xd[i], out=view)
    return out


def _extreme_pool(x, pool_size, strides, padding, op, combine, identity_largest):
    x, geo = _prepare(x, pool_size, strides, padding, op)
    xd = x.data
    out = _combine_taps(xd, geo, combine, _identity(xd.dtype, identity_largest))

    def backward(g):
        # Each window's gradient goes to its first tap (row-major) holding the extreme value, as
        # in PyTorch: ``taken`` marks the windows already served by an earlier tap. The last tap
        # serves whatever is left without comparing (every window holds its own extreme; only a
        # window whose extreme is NaN, which nothing equals, ends up there by elimination).
        dx = np.empty_like(xd) if geo.exact else np.zeros_like(xd)
        taken = np.zeros(out.shape, dtype=bool)
        hits = np.empty(out.shape, dtype=bool)
        scratch = None if geo.disjoint else np.empty_like(g)
        last = len(geo.taps) - 1
        for k, (o, i) in enumerate(geo.taps):
            hit, seen = hits[o], taken[o]
            if k < last:
                np.equal(xd[i], out[o], out=hit)
                if k:
                    np.greater(hit, seen, out=hit)  # hit and not seen
                np.logical_or(seen, hit, out=seen)
            else:
                np.logical_not(seen, out=hit)
            dxv = dx[i]
            if geo.disjoint:
                np.multiply(g[o], hit, out=dxv)
            else:
                share = scratch[o]
                np.multiply(g[o], hit, out=share)
                np.add(dxv, share, out=dxv)
        return (dx,)

    return make(out, (x,), backward)


def max_pool2d(x, pool_size=2, strides=None, padding="valid"):
    """Max pooling over (N, H, W, C):  y = max of each window;  the gradient goes to the first
    maximal cell of each window (row-major order, as in PyTorch), the other cells get 0.

    ``pool_size`` and ``strides`` are ints or (height, width) pairs; strides default to the pool
    size. ``padding`` is ``"valid"`` or ``"same"`` (see the module docstring).

    >>> import numpy as np, neuropil as npl, neuropil.functional as F
    >>> x = npl.Tensor(np.arange(25.0).reshape(1, 5, 5, 1))
    >>> F.max_pool2d(x, 2).shape, F.max_pool2d(x, 2, padding="same").shape
    ((1, 2, 2, 1), (1, 3, 3, 1))
    >>> F.max_pool2d(x, 3, strides=1).data[0, :, :, 0]
    array([[12., 13., 14.],
           [17., 18., 19.],
           [22., 23., 24.]], dtype=float32)
    """
    return _extreme_pool(x, pool_size, strides, padding, "max_pool2d", np.maximum, False)


def min_pool2d(x, pool_size=2, strides=None, padding="valid"):
    """Min pooling over (N, H, W, C):  y = min of each window;  the gradient goes to the first
    minimal cell of each window (row-major order). Same arguments as ``max_pool2d``.

    >>> import numpy as np, neuropil as npl, neuropil.functional as F
    >>> x = npl.Tensor(np.arange(16.0).reshape(1, 4, 4, 1))
    >>> F.min_pool2d(x, 2).data[0, :, :, 0]
    array([[ 0.,  2.],
           [ 8., 10.]], dtype=float32)
    """
    return _extreme_pool(x, pool_size, strides, padding, "min_pool2d", np.minimum, True)


# -- average pooling -----------------------------------------------------------------------------


def avg_pool2d(x, pool_size=2, strides=None, padding="valid"):
    """Average pooling over (N, H, W, C):  y = sum of the window / count;  every cell of a window
    gets g / count. ``count`` is the number of input cells in the window: padded cells of a
    ``"same"`` pool are not counted (Keras's behaviour; PyTorch's ``count_include_pad=False``).

    >>> import numpy as np, neuropil as npl, neuropil.functional as F
    >>> x = npl.Tensor(np.arange(9.0).reshape(1, 3, 3, 1), requires_grad=True)
    >>> y = F.avg_pool2d(x, 2, strides=1)
    >>> y.data[0, :, :, 0]
    array([[2., 3.],
           [5., 6.]], dtype=float32)
    >>> y.sum().backward(); x.grad[0, :, :, 0]
    array([[0.25, 0.5 , 0.25],
           [0.5 , 1.  , 0.5 ],
           [0.25, 0.5 , 0.25]], dtype=float32)
    >>> F.avg_pool2d(x, 2, padding="same").data[0, :, :, 0]  # the last row/column average 2, 1
    array([[2. , 3.5],
           [6.5, 8. ]], dtype=float32)
    """
    x, geo = _prepare(x, pool_size, strides, padding, "avg_pool2d")
    xd = x.data
    out = _combine_taps(xd, geo, np.add, 0)
    count = geo.window_counts(xd.dtype)  # a Python int or an array of x's dtype: no upcast
    out /= count

    def backward(g):
        dx = np.empty_like(xd) if geo.exact else np.zeros_like(xd)
        share = g / count
        for o, i in geo.taps:
            dxv = dx[i]
            if geo.disjoint:
                np.copyto(dxv, share[o])
            else:
                np.add(dxv, share[o], out=dxv)
        return (dx,)

    return make(out, (x,), backward)


# -- global pooling ------------------------------------------------------------------------------


def global_avg_pool2d(x, keepdims=False):
    """Mean over height and width:  (N, H, W, C) -> (N, C) (or (N, 1, 1, C) with ``keepdims``);
    every cell gets g / (H W).

    >>> import numpy as np, neuropil as npl, neuropil.functional as F
    >>> x = npl.Tensor(np.arange(8.0).reshape(1, 2, 2, 2))
    >>> F.global_avg_pool2d(x).data
    array([[3., 4.]], dtype=float32)
    >>> F.global_avg_pool2d(x, keepdims=True).shape
    (1, 1, 1, 2)
    """
    if not isinstance(x, Tensor):
        x = Tensor(x)
    check_image_batch(x.shape, "global_avg_pool2d", f"input of shape {x.shape}")
    return _reduce_mean(x, axis=(1, 2), keepdims=bool(keepdims))


def global_max_pool2d(x, keepdims=False):
    """Max over height and width:  (N, H, W, C) -> (N, C) (or (N, 1, 1, C) with ``keepdims``);
    the gradient goes to the maximal cells, split evenly between ties (like ``torch.amax``).

    >>> import numpy as np, neuropil as npl, neuropil.functional as F
    >>> x = npl.Tensor(np.arange(8.0).reshape(1, 2, 2, 2))
    >>> F.global_max_pool2d(x).data
    array([[6., 7.]], dtype=float32)
    """
    if not isinstance(x, Tensor):
        x = Tensor(x)
    check_image_batch(x.shape, "global_max_pool2d", f"input of shape {x.shape}")
    return _reduce_max(x, axis=(1, 2), keepdims=bool(keepdims))


# -- zero padding --------------------------------------------------------------------------------


def padding_2d(padding, owner):
    """``padding`` (int, (h, w) or ((top, bottom), (left, right))) as ((t, b), (l, r)) of
    non-negative ints; ConfigError otherwise."""

    def bad():
        return ConfigError(
            f"{owner} padding must be a non-negative int, a pair (height, width) or a pair of "
            f"pairs ((top, bottom), (left, right)). Received: {padding!r}"
        )

    if is_int(padding):
        padding_pairs = ((padding, padding), (padding, padding))
    else:
        try:
            parts = tuple(padding)
        except TypeError:
            raise bad() from None
        if len(parts) != 2:
            raise bad()
        if all(is_int(p) for p in parts):
            padding_pairs = ((parts[0], parts[0]), (parts[1], parts[1]))
        else:
            try:
                padding_pairs = tuple(tuple(p) for p in parts)
            except TypeError:
                raise bad() from None
    flat = [v for pair in padding_pairs for v in pair]
    if any(len(p) != 2 for p in padding_pairs) or not all(is_int(v) and v >= 0 for v in flat):
        raise bad()
    (t, b), (l, r) = padding_pairs
    return (int(t), int(b)), (int(l), int(r))


def zero_pad2d(x, padding):
    """Add rows and columns of zeros around (N, H, W, C) images;  dx = g without the border.

    ``padding``: an int (all four sides), (h, w) (h rows above and below, w columns left and
    right) or ((top, bottom), (left, right)).

    >>> import numpy as np, neuropil as npl, neuropil.functional as F
    >>> x = npl.Tensor(np.ones((1, 2, 2, 1)))
    >>> F.zero_pad2d(x, ((1, 0), (0, 2))).data[0, :, :, 0]
    array([[0., 0., 0., 0.],
           [1., 1., 0., 0.],
           [1., 1., 0., 0.]], dtype=float32)
    """
    if not isinstance(x, Tensor):
        x = Tensor(x)
    (t, b), (l, r) = padding_2d(padding, "zero_pad2d")
    check_image_batch(x.shape, "zero_pad2d", f"input of shape {x.shape}")
    return _pad(x, ((0, 0), (t, b), (l, r), (0, 0)))
