"""GELU, x * Phi(x) with Phi the standard normal CDF, and the normal CDF it needs.

NumPy has no ``erf``, so Phi is computed two ways:

- float32 (the default dtype): the Chebyshev-fitted approximation of erfc in *Numerical Recipes
  in C* (Press et al., 2nd ed., 1992, section 6.2), whose relative error is below 1.2e-7 for
  every argument, about one float32 step, so even the far tail of Phi keeps float32 accuracy.
  It costs a division, an exponential and a few multiply-adds per value.
- any other dtype (float64 for gradient checks): the C library's ``math.erfc`` value by value,
  exact to float64 rounding, about 150 ns a value.

Both give Phi from erfc(|x| / sqrt(2)), so the tail x << 0, where Phi is tiny, is not the
difference of two numbers close to 1.

>>> import neuropil as npl, neuropil.functional as F
>>> F.gelu(npl.Tensor([-1.0, 0.0, 1.0])).data
array([-0.15865526,  0.        ,  0.8413447 ], dtype=float32)
"""

import math

import numpy as np

from neuropil.errors import ConfigError
from neuropil.functional.activations import _sigmoid_array
from neuropil.tensor import make

__all__ = ["gelu"]

# Numerical Recipes' erfcc: erfc(z) ~ t * exp(-z^2 + c0 + c1 t + ... + c9 t^9), t = 1/(1 + z/2)
_ERFC = (-1.26551223, 1.00002368, 0.37409196, 0.09678418, -0.18628806,
         0.27886807, -1.13520398, 1.48851587, -0.82215223, 0.17087277)  # fmt: skip
_INV_SQRT2 = 1 / math.sqrt(2)
_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)
_SQRT_2_OVER_PI = math.sqrt(2 / math.pi)
_TANH_CUBIC = 0.044715  # the cubic coefficient of the tanh form (Hendrycks and Gimpel, 2016)
_erfc = np.frompyfunc(math.erfc, 1, 1)


def normal_cdf(x):
    """Phi(x) = P(N(0, 1) <= x) = erfc(-x / sqrt(2)) / 2 for an array ``x``, and the density
    phi(x) = exp(-x^2 / 2) / sqrt(2 pi) that gelu's gradient needs; both in x's dtype.

    >>> import numpy as np
    >>> cdf, pdf = normal_cdf(np.array([0.0, 1.959963984540054]))
    >>> np.round(cdf, 6), np.round(pdf, 6)
    (array([0.5  , 0.975]), array([0.398942, 0.058445]))
    """
    z = np.abs(x)
    z *= _INV_SQRT2
    gauss = np.square(z)
    np.negative(gauss, out=gauss)
    np.exp(gauss, out=gauss)  # exp(-z^2), in place: this runs in every gelu layer's step
    if x.dtype == np.float32:
        t = np.multiply(z, 0.5)
        t += 1
        np.reciprocal(t, out=t)
        tail = np.multiply(t, _ERFC[-1])
        for coefficient in reversed(_ERFC[1:-1]):
            tail += coefficient
            tail *= t
        tail += _ERFC[0]
        np.exp(tail, out=tail)
        tail *= t
        tail *= gauss
        tail *= 0.5  # Phi(-|x|) = erfc(|x| / sqrt 2) / 2
    else:
        tail = np.asarray(_erfc(z), dtype=x.dtype) * 0.5
    # Phi(x) = step - (2 step - 1) * tail with step = [x >= 0]: tail where x < 0, else
    # 1 - tail, each rounded once. Arithmetic, because np.where's unpredictable branch costs
    # more than all of the above (measured 57 us for 128 x 256 values).
    step = np.greater_equal(x, 0).astype(x.dtype)
    cdf = np.multiply(step, 2, out=z)
    cdf -= 1
    cdf *= tail
    np.subtract(step, cdf, out=cdf)
    gauss *= _INV_SQRT_2PI
    return cdf, gauss


def gelu(x, approximate=False):
    """Gaussian error linear unit (Hendrycks and Gimpel, 2016), Keras's and PyTorch's ``gelu``.

    Exact form (the default, as in both): out = x * Phi(x);  dx = g * (Phi(x) + x * phi(x)).
    ``approximate=True`` gives the tanh form, with u = sqrt(2/pi) * (x + 0.044715 x^3):
    out = x * (1 + tanh(u)) / 2, computed as x * sigmoid(2u) (the same function), which keeps its
    accuracy where tanh(u) is close to -1; with s = sigmoid(2u),
    dx = g * (s + 2 x s (1 - s) * sqrt(2/pi) * (1 + 3 * 0.044715 x^2)).

    >>> import neuropil as npl
    >>> x = npl.Tensor([-2.0, 0.5, 3.0], requires_grad=True)
    >>> gelu(x).data
    array([-0.04550026,  0.34573123,  2.9959502 ], dtype=float32)
    >>> gelu(x, approximate=True).data
    array([-0.04540231,  0.345714  ,  2.9963627 ], dtype=float32)
    """
    if not isinstance(approximate, (bool, np.bool_)):
        raise ConfigError(
            f"gelu expects approximate to be True or False. Received: approximate={approximate!r}"
        )
    d = x.data
    if approximate:
        scale = np.asarray(2 * _SQRT_2_OVER_PI, dtype=d.dtype)
        k = np.asarray(_TANH_CUBIC, dtype=d.dtype)
        sig = _sigmoid_array(scale * (d + k * d * d * d))
        out = d * sig

        def backward(g):
            return (g * (sig + d * sig * (1 - sig) * scale * (1 + 3 * k * d * d)),)

        return make(out, (x,), backward)
    cdf, pdf = normal_cdf(d)
    return make(d * cdf, (x,), lambda g: (g * (cdf + d * pdf),))
