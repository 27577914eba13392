"""Differentiable functions on Tensors (the counterpart of ``torch.nn.functional``).

Each module keeps an op's forward and backward side by side with the formula in its docstring.
Importing this package also gives ``Tensor`` its operators (``+ - * / @ **``, comparisons,
indexing) and methods (``sum``, ``mean``, ``reshape``, ...), which delegate to the functions here.

>>> import neuropil as npl, neuropil.functional as F
>>> x = npl.Tensor([[-1.0, 2.0]], requires_grad=True)
>>> F.relu(x).sum().backward(); x.grad
array([[0., 1.]], dtype=float32)
"""

from neuropil.functional import activations as _activations
from neuropil.functional import conv as _conv
from neuropil.functional import conv_pool as _conv_pool
from neuropil.functional import dropout as _dropout
from neuropil.functional import gelu as _gelu
from neuropil.functional import losses as _losses
from neuropil.functional import normalization as _normalization
from neuropil.functional import pooling as _pooling
from neuropil.functional.activations import *  # noqa: F401,F403
from neuropil.functional.conv import *  # noqa: F401,F403
from neuropil.functional.conv_pool import *  # noqa: F401,F403
from neuropil.functional.dropout import *  # noqa: F401,F403
from neuropil.functional.elementwise import (
    abs,
    add,
    cast,
    clip,
    div,
    equal,
    exp,
    greater,
    greater_equal,
    less,
    less_equal,
    log,
    maximum,
    minimum,
    mul,
    neg,
    not_equal,
    power,
    sqrt,
    sub,
    where,
)
from neuropil.functional.gelu import *  # noqa: F401,F403
from neuropil.functional.linalg import linear, matmul
from neuropil.functional.losses import *  # noqa: F401,F403
from neuropil.functional.normalization import *  # noqa: F401,F403
from neuropil.functional.pooling import *  # noqa: F401,F403
from neuropil.functional.reduce import max, mean, min, sum, var
from neuropil.functional.shape import concatenate, flatten, getitem, pad, reshape, stack, transpose
from neuropil.tensor import Tensor

__all__ = [
    "abs", "add", "cast", "clip", "concatenate", "div", "equal", "exp", "flatten", "getitem",
    "greater", "greater_equal", "less", "less_equal", "linear", "log", "matmul", "max",
    "maximum", "mean", "min", "minimum", "mul", "neg", "not_equal", "pad", "power",
    "reshape", "sqrt", "stack", "sub", "sum", "transpose", "var", "where",
]  # fmt: skip
__all__ += (
    _activations.__all__
    + _conv.__all__
    + _conv_pool.__all__
    + _dropout.__all__
    + _gelu.__all__
    + _losses.__all__
    + _normalization.__all__
    + _pooling.__all__
)


def _swap(op):
    return lambda a, b: op(b, a)


def _install_tensor_methods():
    methods = {
        "__add__": add, "__radd__": add, "__sub__": sub, "__rsub__": _swap(sub),
        "__mul__": mul, "__rmul__": mul, "__truediv__": div, "__rtruediv__": _swap(div),
        "__matmul__": matmul, "__rmatmul__": _swap(matmul),
        "__pow__": power, "__rpow__": _swap(power), "__neg__": neg,
        "__eq__": equal, "__ne__": not_equal, "__lt__": less, "__le__": less_equal,
        "__gt__": greater, "__ge__": greater_equal, "__getitem__": getitem,
        "sum": sum, "mean": mean, "max": max, "min": min, "var": var,
        "exp": exp, "log": log, "sqrt": sqrt, "abs": abs, "clip": clip,
        "maximum": maximum, "minimum": minimum, "flatten": flatten,
        "reshape": reshape, "transpose": transpose,
        "T": property(lambda self: transpose(self)),
    }  # fmt: skip
    for name, fn in methods.items():
        setattr(Tensor, name, fn)
    Tensor.__hash__ = lambda self: id(self)  # __eq__ is elementwise, identity hashes


_install_tensor_methods()
