"""Activation functions, each with its derivative next to it.

Where a derivative does not exist (the kink of relu at 0, the jump of step), the value used is
the one PyTorch uses, stated in each docstring, so results match it bit for bit in spirit.
Backward formulas reuse the forward output where they can (sigmoid: ``g*out*(1-out)``, relu:
``g*(out>0)``) so no extra exponentials are computed.

``sigmoid`` and ``softmax`` (over the last axis) remember their input on the output as
``out._logits = (name, x)``; the cross-entropy losses use it to work from the logits, which is
stable where ``log(sigmoid(x))`` would underflow.

>>> import neuropil as npl, neuropil.functional as F
>>> x = npl.Tensor([-2.0, 0.0, 3.0], requires_grad=True)
>>> F.relu(x).data
array([0., 0., 3.], dtype=float32)
"""

import numbers

import numpy as np

from neuropil.errors import ConfigError, ShapeError
from neuropil.functional.long_rows import relu_values
from neuropil.tensor import lift, make, unbroadcast

__all__ = [
    "elu", "exponential", "hard_sigmoid", "leaky_relu", "log_softmax", "maxout", "mish",
    "prelu", "relu", "relu6", "selu", "sigmoid", "sign", "silu", "softmax", "softplus",
    "softsign", "step", "swish", "tanh",
]  # fmt: skip
# ``linear`` (the identity) is defined here for the activation registry but left out of
# ``__all__``: ``neuropil.functional.linear`` is the dense product x @ kernel + bias.

# SELU constants (Klambauer et al., 2017), the values Keras and PyTorch use.
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def _const(c, x):
    """A constant in ``x``'s dtype, so float32 stays float32."""
    return np.asarray(c, dtype=x.dtype)


def _number(value, name, op):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ConfigError(f"{op} expects {name} to be a real number. Received: {value!r}")
    return float(value)


def _zero_grad(x):
    return lambda g: (np.zeros_like(x.data),)


def _sigmoid_array(x):
    # exp of -|x| never overflows: r = 1/(1+e^-|x|) is sigmoid(|x|), and for x < 0 sigmoid(x)
    # is e^x/(1+e^x) = r * e^-|x|. The factor max([x >= 0], e^-|x|) picks 1 or e^-|x| without
    # np.where, whose unpredictable branch costs more than the exponential here.
    e = np.exp(-np.abs(x))
    return np.maximum(np.greater_equal(x, 0).astype(e.dtype), e) / (1 + e)


def _positive(x):
    """[x > 0] as 1.0 / 0.0 in x's dtype."""
    return np.greater(x, 0).astype(x.dtype)


def _slopes(positive, slope):
    """1 where ``positive`` (from ``_positive``) is 1, else ``slope``: exact for finite slopes.

    Activations that are linear on each side of 0 multiply by this rather than pick with
    np.where: a random sign pattern makes np.where's branch mispredict about half the time,
    which costs 4-5x the arithmetic (128 x 256 float32 values: about 45 us against 10).
    """
    return positive + (1 - positive) * slope


def linear(x):
    """The identity, f(x) = x (returns ``x`` itself); df = g.

    >>> import neuropil as npl
    >>> x = npl.Tensor([1.0]); linear(x) is x
    True
    """
    return x


def step(x):
    """Heaviside step: 1 where x >= 0, else 0 (McCulloch-Pitts, perceptron).

    The derivative is 0 everywhere it exists; at the jump x = 0 it is taken as 0 too, so the
    gradient is all zeros (nothing learns through a step).

    >>> import neuropil as npl
    >>> step(npl.Tensor([-1.0, 0.0, 2.0])).data
    array([0., 1., 1.], dtype=float32)
    """
    return make((x.data >= 0).astype(x.dtype), (x,), _zero_grad(x))


def sign(x):
    """-1, 0 or 1 by the sign of x (sign(0) = 0); the gradient is all zeros, as in PyTorch.

    >>> import neuropil as npl
    >>> sign(npl.Tensor([-3.0, 0.0, 2.0])).data
    array([-1.,  0.,  1.], dtype=float32)
    """
    return make(np.sign(x.data), (x,), _zero_grad(x))


def sigmoid(x):
    """1 / (1 + e^-x), computed without overflow for large |x|;  dx = g * out * (1 - out).

    The output carries ``_logits = ("sigmoid", x)`` for the losses.

    >>> import neuropil as npl
    >>> sigmoid(npl.Tensor([0.0, 1000.0, -1000.0])).data
    array([0.5, 1. , 0. ], dtype=float32)
    """
    out = _sigmoid_array(x.data)
    result = make(out, (x,), lambda g: (g * out * (1 - out),))
    result._logits = ("sigmoid", x)
    return result


def tanh(x):
    """Hyperbolic tangent;  dx = g * (1 - out^2).

    >>> import neuropil as npl
    >>> tanh(npl.Tensor([0.0])).data
    array([0.], dtype=float32)
    """
    out = np.tanh(x.data)
    return make(out, (x,), lambda g: (g * (1 - out * out),))


def relu(x):
    """max(x, 0);  dx = g where x > 0, else 0 (relu'(0) = 0, as in PyTorch).

    >>> import neuropil as npl
    >>> relu(npl.Tensor([-1.0, 0.0, 2.0])).data
    array([0., 0., 2.], dtype=float32)
    """
    out = relu_values(x.data)
    return make(out, (x,), lambda g: (g * (out > 0),))


def relu6(x):
    """min(max(x, 0), 6);  dx = g where 0 < x < 6, else 0 (0 at both kinks, as in PyTorch).

    >>> import neuropil as npl
    >>> relu6(npl.Tensor([-1.0, 3.0, 9.0])).data
    array([0., 3., 6.], dtype=float32)
    """
    out = np.clip(x.data, 0, 6)
    return make(out, (x,), lambda g: (g * ((out > 0) & (out < 6)),))


def leaky_relu(x, negative_slope=0.2):
    """x where x >= 0, else negative_slope * x;  dx = g where x > 0, else g * negative_slope.

    The default slope 0.2 is that of Keras 3's ``keras.activations.leaky_relu`` (the Keras
    *layer* ``LeakyReLU`` defaults to 0.3, PyTorch to 0.01). At x = 0 the derivative is taken
    as ``negative_slope``, as in PyTorch.

    >>> import neuropil as npl
    >>> leaky_relu(npl.Tensor([-1.0, 0.0, 2.0])).data
    array([-0.2,  0. ,  2. ], dtype=float32)
    """
    slope = _const(_number(negative_slope, "negative_slope", "leaky_relu"), x)
    factor = _slopes(_positive(x.data), slope)
    return make(x.data * factor, (x,), lambda g: (g * factor,))


def prelu(x, alpha):
    """Parametric ReLU: x where x > 0, else alpha * x, with ``alpha`` learnable.

    ``alpha`` (a Tensor, array or number) broadcasts against ``x`` like NumPy; a Keras-style
    PReLU layer passes one slope per feature, shape ``x.shape[1:]``.
    dx = g where x > 0, else g * alpha (alpha at x = 0, as in PyTorch);
    dalpha = sum over broadcast axes of g * x where x <= 0.

    >>> import neuropil as npl
    >>> a = npl.Tensor([0.1, 0.5], requires_grad=True)
    >>> y = prelu(npl.Tensor([[-2.0, -2.0], [3.0, 1.0]]), a); y.data
    array([[-0.2, -1. ],
           [ 3. ,  1. ]], dtype=float32)
    >>> y.sum().backward(); a.grad
    array([-2., -2.], dtype=float32)
    """
    alpha = lift(alpha, x)
    try:
        shape = np.broadcast_shapes(x.shape, alpha.shape)
    except ValueError:
        shape = None
    if shape != x.shape:
        raise ShapeError(
            f"prelu expects alpha to broadcast to the input shape {x.shape} without growing "
            f"it. Received: alpha of shape {alpha.shape}"
        )
    a = alpha.data.astype(x.dtype, copy=False)
    factor = _slopes(_positive(x.data), a)

    def backward(g):
        gx = g * factor if x.requires_grad else None
        galpha = None
        if alpha.requires_grad:
            galpha = unbroadcast(g * np.minimum(x.data, 0), alpha.shape)
            galpha = galpha.astype(alpha.dtype, copy=False)
        return gx, galpha

    return make(x.data * factor, (x, alpha), backward)


def elu(x, alpha=1.0):
    """x where x > 0, else alpha * (e^x - 1);  dx = g where x > 0, else g * (out + alpha).

    At x = 0 the derivative is taken as alpha (PyTorch's choice; equal to 1 for alpha = 1).

    >>> import neuropil as npl
    >>> elu(npl.Tensor([-1.0, 2.0])).data
    array([-0.63212055,  2.        ], dtype=float32)
    """
    a = _const(_number(alpha, "alpha", "elu"), x)
    negative_part = a * np.expm1(np.minimum(x.data, 0))  # 0 where x > 0
    out = relu_values(x.data) + negative_part

    def backward(g):
        return (g * _slopes(_positive(x.data), negative_part + a),)

    return make(out, (x,), backward)


def selu(x):
    """scale * elu(x, alpha) with the self-normalizing constants SELU_SCALE, SELU_ALPHA;

    dx = g * scale where x > 0, else g * (out + scale * alpha) (the latter at x = 0).

    >>> import neuropil as npl
    >>> selu(npl.Tensor([1.0])).data
    array([1.050701], dtype=float32)
    """
    scale, scaled_alpha = _const(SELU_SCALE, x), _const(SELU_SCALE * SELU_ALPHA, x)
    negative_part = scaled_alpha * np.expm1(np.minimum(x.data, 0))  # 0 where x > 0
    out = scale * relu_values(x.data) + negative_part

    def backward(g):
        positive = _positive(x.data)
        return (g * (positive * scale + (1 - positive) * (negative_part + scaled_alpha)),)

    return make(out, (x,), backward)


def silu(x):
    """x * sigmoid(x), also called swish;  dx = g * (s + out * (1 - s)) with s = sigmoid(x).

    >>> import neuropil as npl
    >>> silu(npl.Tensor([0.0, 1.0])).data
    array([0.       , 0.7310586], dtype=float32)
    """
    s = _sigmoid_array(x.data)
    out = x.data * s
    return make(out, (x,), lambda g: (g * (s + out * (1 - s)),))


swish = silu  # Keras 3 names the same function both ways


def softplus(x):
    """log(1 + e^x) = max(x, 0) + log(1 + e^-|x|), finite for any x;  dx = g * sigmoid(x).

    >>> import neuropil as npl
    >>> softplus(npl.Tensor([0.0, 1000.0])).data
    array([6.931472e-01, 1.000000e+03], dtype=float32)
    """
    out = relu_values(x.data) + np.log1p(np.exp(-np.abs(x.data)))
    return make(out, (x,), lambda g: (g * _sigmoid_array(x.data),))


def softsign(x):
    """x / (1 + |x|);  dx = g / (1 + |x|)^2.

    >>> import neuropil as npl
    >>> softsign(npl.Tensor([1.0, -3.0])).data
    array([ 0.5 , -0.75], dtype=float32)
    """
    denom = 1 + np.abs(x.data)
    return make(x.data / denom, (x,), lambda g: (g / (denom * denom),))


def hard_sigmoid(x):
    """relu6(x + 3) / 6, Keras 3's piecewise-linear sigmoid;

    dx = g / 6 where -3 < x < 3, else 0 (0 at the kinks, as in PyTorch's hardsigmoid).

    >>> import neuropil as npl
    >>> hard_sigmoid(npl.Tensor([-4.0, 0.0, 1.5])).data
    array([0.  , 0.5 , 0.75], dtype=float32)
    """
    out = np.clip(x.data / _const(6, x) + _const(0.5, x), 0, 1)
    sixth = _const(1 / 6, x)
    return make(out, (x,), lambda g: (g * (((x.data > -3) & (x.data < 3)) * sixth),))


def exponential(x):
    """e^x;  dx = g * out.

    >>> import neuropil as npl
    >>> exponential(npl.Tensor([0.0])).data
    array([1.], dtype=float32)
    """
    out = np.exp(x.data)
    return make(out, (x,), lambda g: (g * out,))


def mish(x):
    """x * tanh(softplus(x));  dx = g * (t + x * (1 - t^2) * sigmoid(x)) with t = tanh(softplus(x)).

    >>> import neuropil as npl
    >>> mish(npl.Tensor([0.0, 1.0])).data
    array([0.       , 0.8650984], dtype=float32)
    """
    t = np.tanh(relu_values(x.data) + np.log1p(np.exp(-np.abs(x.data))))
    out = x.data * t

    def backward(g):
        return (g * (t + x.data * (1 - t * t) * _sigmoid_array(x.data)),)

    return make(out, (x,), backward)


def _check_axis(axis, x, op):
    if isinstance(axis, bool) or not isinstance(axis, numbers.Integral):
        raise ConfigError(f"{op} expects an integer axis. Received: axis={axis!r}")
    if not -x.ndim <= axis < x.ndim:
        raise ShapeError(
            f"{op} expects axis in [{-x.ndim}, {x.ndim}) for an input of shape {x.shape}. "
            f"Received: axis={axis}"
        )
    return int(axis) % x.ndim


def softmax(x, axis=-1):
    """e^x / sum(e^x) along ``axis``, computed as e^(x - max) so large inputs cannot overflow;

    dx = out * (g - sum(g * out, axis)). Over the last axis the output carries
    ``_logits = ("softmax", x)`` for the cross-entropy losses.

    >>> import neuropil as npl
    >>> softmax(npl.Tensor([[0.0, 0.0], [1000.0, 0.0]])).data
    array([[0.5, 0.5],
           [1. , 0. ]], dtype=float32)
    """
    ax = _check_axis(axis, x, "softmax")
    e = np.exp(x.data - x.data.max(axis=ax, keepdims=True))
    out = e / e.sum(axis=ax, keepdims=True)
    result = make(out, (x,), lambda g: (out * (g - (g * out).sum(axis=ax, keepdims=True)),))
    if ax == x.ndim - 1:
        result._logits = ("softmax", x)
    return result


def log_softmax(x, axis=-1):
    """x - log(sum(e^x)) along ``axis``, via the max shift;  dx = g - softmax(x) * sum(g, axis).

    >>> import neuropil as npl
    >>> log_softmax(npl.Tensor([0.0, 0.0])).data
    array([-0.6931472, -0.6931472], dtype=float32)
    """
    ax = _check_axis(axis, x, "log_softmax")
    shifted = x.data - x.data.max(axis=ax, keepdims=True)
    out = shifted - np.log(np.exp(shifted).sum(axis=ax, keepdims=True))
    return make(out, (x,), lambda g: (g - np.exp(out) * g.sum(axis=ax, keepdims=True),))


def maxout(x, pieces):
    """Maximum over groups of ``pieces`` consecutive features on the last axis.

    An input (..., d) gives (..., d // pieces); ``d`` must be divisible by ``pieces``. The
    gradient of a group goes to its maximal element; if several elements tie for the maximum
    it is split evenly between them (like ``neuropil.functional.max`` and ``torch.amax``).

    >>> import neuropil as npl
    >>> x = npl.Tensor([[1.0, 5.0, -2.0, -1.0]], requires_grad=True)
    >>> y = maxout(x, 2); y.data
    array([[ 5., -1.]], dtype=float32)
    >>> y.sum().backward(); x.grad
    array([[0., 1., 0., 1.]], dtype=float32)
    """
    if isinstance(pieces, bool) or not isinstance(pieces, numbers.Integral) or pieces < 1:
        raise ConfigError(f"maxout expects pieces to be a positive integer. Received: {pieces!r}")
    if x.ndim == 0 or x.shape[-1] % pieces:
        raise ShapeError(
            f"maxout expects the last dimension to be divisible by pieces={pieces}. "
            f"Received: input of shape {x.shape}"
        )
    grouped = x.data.reshape(x.shape[:-1] + (x.shape[-1] // pieces, int(pieces)))
    kept = grouped.max(axis=-1, keepdims=True)

    def backward(g):
        hits = grouped == kept
        share = hits / hits.sum(axis=-1, keepdims=True).astype(g.dtype)
        return ((share * g[..., None]).reshape(x.shape),)

    return make(kept[..., 0], (x,), backward)
