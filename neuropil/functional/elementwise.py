"""Elementwise arithmetic and math functions, each with its derivative.

Binary ops broadcast like NumPy; their backward sums the gradient back to each input's shape.

>>> import neuropil as npl, neuropil.functional as F
>>> x = npl.Tensor([1.0, 4.0], requires_grad=True)
>>> F.sqrt(x).sum().backward(); x.grad
array([0.5 , 0.25], dtype=float32)
"""

import numpy as np

from neuropil.tensor import Tensor, lift, make, unbroadcast


def _pair(a, b):
    if isinstance(a, Tensor):
        return a, lift(b, a)
    b = lift(b, Tensor._wrap(np.asarray(a)))
    return lift(a, b), b


def add(a, b):
    """a + b;  da = g, db = g."""
    a, b = _pair(a, b)

    def backward(g):
        return unbroadcast(g, a.shape), unbroadcast(g, b.shape)

    return make(a.data + b.data, (a, b), backward)


def sub(a, b):
    """a - b;  da = g, db = -g."""
    a, b = _pair(a, b)

    def backward(g):
        return unbroadcast(g, a.shape), (unbroadcast(-g, b.shape) if b.requires_grad else None)

    return make(a.data - b.data, (a, b), backward)


def mul(a, b):
    """a * b;  da = g * b, db = g * a."""
    a, b = _pair(a, b)

    def backward(g):
        ga = unbroadcast(g * b.data, a.shape) if a.requires_grad else None
        gb = unbroadcast(g * a.data, b.shape) if b.requires_grad else None
        return ga, gb

    return make(a.data * b.data, (a, b), backward)


def div(a, b):
    """a / b;  da = g / b, db = -g * a / b**2."""
    a, b = _pair(a, b)
    out = a.data / b.data

    def backward(g):
        ga = unbroadcast(g / b.data, a.shape) if a.requires_grad else None
        gb = unbroadcast(-g * out / b.data, b.shape) if b.requires_grad else None
        return ga, gb

    return make(out, (a, b), backward)


def neg(a):
    """-a;  da = -g."""
    return make(-a.data, (a,), lambda g: (-g,))


def power(a, b):
    """a ** b;  da = g * b * a**(b-1), db = g * a**b * log(a) (defined for a > 0)."""
    a, b = _pair(a, b)
    out = a.data**b.data

    def backward(g):
        ga = gb = None
        if a.requires_grad:
            ga = unbroadcast(g * b.data * a.data ** (b.data - 1), a.shape)
        if b.requires_grad:
            with np.errstate(divide="ignore", invalid="ignore"):
                logs = np.where(a.data > 0, np.log(np.where(a.data > 0, a.data, 1)), 0)
            gb = unbroadcast(g * out * logs, b.shape)
        return ga, gb

    return make(out, (a, b), backward)


def exp(a):
    """e**a;  da = g * e**a."""
    out = np.exp(a.data)
    return make(out, (a,), lambda g: (g * out,))


def log(a):
    """Natural logarithm;  da = g / a."""
    return make(np.log(a.data), (a,), lambda g: (g / a.data,))


def sqrt(a):
    """Square root;  da = g / (2 sqrt(a))."""
    out = np.sqrt(a.data)
    return make(out, (a,), lambda g: (g / (2 * out),))


def abs(a):  # noqa: A001 - mirrors numpy.abs
    """|a|;  da = g * sign(a)  (0 at a = 0, as in PyTorch)."""
    return make(np.abs(a.data), (a,), lambda g: (g * np.sign(a.data),))


def clip(a, low, high):
    """Clamp to [low, high];  da = g where low <= a <= high, else 0 (PyTorch's convention)."""
    low = None if low is None else np.asarray(low, dtype=a.dtype)
    high = None if high is None else np.asarray(high, dtype=a.dtype)
    out = np.clip(a.data, low, high)

    def backward(g):
        inside = np.ones(a.shape, dtype=bool)
        if low is not None:
            inside &= a.data >= low
        if high is not None:
            inside &= a.data <= high
        return (g * inside,)

    return make(out, (a,), backward)


def maximum(a, b):
    """Elementwise max;  the gradient goes to the larger input, split evenly on ties."""
    return _select_extreme(a, b, np.greater)


def minimum(a, b):
    """Elementwise min;  the gradient goes to the smaller input, split evenly on ties."""
    return _select_extreme(a, b, np.less)


def _select_extreme(a, b, wins):
    a, b = _pair(a, b)
    a_wins = wins(a.data, b.data)
    tie = a.data == b.data
    out = np.where(a_wins | tie, a.data, b.data)

    def backward(g):
        share = np.where(tie, 0.5, a_wins).astype(g.dtype)
        ga = unbroadcast(g * share, a.shape) if a.requires_grad else None
        gb = unbroadcast(g * (1 - share), b.shape) if b.requires_grad else None
        return ga, gb

    return make(out, (a, b), backward)


def where(condition, a, b):
    """Pick ``a`` where ``condition`` holds, else ``b``;  the gradient follows the pick."""
    cond = np.asarray(condition.data if isinstance(condition, Tensor) else condition, dtype=bool)
    a, b = _pair(a, b)
    out = np.where(cond, a.data, b.data)

    def backward(g):
        ga = unbroadcast(np.where(cond, g, 0), a.shape) if a.requires_grad else None
        gb = unbroadcast(np.where(cond, 0, g), b.shape) if b.requires_grad else None
        return ga, gb

    return make(out, (a, b), backward)


def cast(a, dtype):
    """``a`` converted to the float ``dtype``;  da = g converted back to ``a``'s dtype.

    Layers cast float inputs of another precision to their own dtype with it, as Keras does.

    >>> import neuropil as npl, neuropil.functional as F
    >>> x = npl.Tensor([1.5], requires_grad=True, dtype="float64")
    >>> y = F.cast(x, "float32"); y.backward(np.ones(1, np.float32)); y.dtype, x.grad.dtype
    (dtype('float32'), dtype('float64'))
    """
    dtype = np.dtype(dtype)
    if a.dtype == dtype:
        return a
    return make(a.data.astype(dtype), (a,), lambda g: (g.astype(a.dtype),))


def _comparison(op):
    def compare(a, b):
        a, b = _pair(a, b)
        return Tensor._wrap(op(a.data, b.data))  # booleans carry no gradient

    compare.__doc__ = f"Elementwise ``{op.__name__}``; a boolean tensor with no gradient."
    return compare


equal = _comparison(np.equal)
not_equal = _comparison(np.not_equal)
less = _comparison(np.less)
less_equal = _comparison(np.less_equal)
greater = _comparison(np.greater)
greater_equal = _comparison(np.greater_equal)
