"""Tensor: a NumPy array that remembers how it was made, for reverse-mode autodiff.

Every differentiable op (in ``neuropil.functional``) computes its result with NumPy and, when an
input needs a gradient, records on the result its parents and a ``backward`` function mapping the
gradient of the result to the gradients of the parents. ``Tensor.backward`` walks that record in
reverse topological order (iteratively, so deep graphs do not hit Python's recursion limit) and
adds each gradient into the leaves' ``.grad``.

>>> import numpy as np, neuropil as npl
>>> x = npl.Tensor([[1.0, -2.0]], requires_grad=True)
>>> y = (x * x).sum()
>>> y.backward()
>>> x.grad
array([[ 2., -4.]], dtype=float32)
"""

import contextlib

import numpy as np

from neuropil import backend
from neuropil.errors import ConfigError, ShapeError

_grad_enabled = True


@contextlib.contextmanager
def no_grad():
    """Context in which ops record nothing for backward (inference, weight updates).

    >>> import neuropil as npl
    >>> w = npl.Tensor([1.0], requires_grad=True)
    >>> with npl.no_grad():
    ...     y = w * 2
    >>> y.requires_grad
    False
    """
    global _grad_enabled
    previous, _grad_enabled = _grad_enabled, False
    try:
        yield
    finally:
        _grad_enabled = previous


def is_grad_enabled():
    """True unless inside ``no_grad()``."""
    return _grad_enabled


def as_array(data, dtype=None):
    """Convert ``data`` to an ndarray of ``dtype``; float by default (``backend.floatx()``)."""
    if isinstance(data, Tensor):
        data = data.data
    if dtype is None:
        dtype = backend.floatx()
    return np.asarray(data, dtype=dtype)


class Tensor:
    """An n-dimensional array with an optional gradient.

    ``Tensor(data)`` converts ``data`` to the default float dtype (float32); pass
    ``dtype="float64"`` for double precision. ``requires_grad=True`` makes it a leaf whose
    ``.grad`` (a NumPy array of the same shape) is filled by ``backward``.

    >>> import neuropil as npl
    >>> t = npl.Tensor([[1, 2], [3, 4]], dtype="float64")
    >>> t.shape, t.dtype
    ((2, 2), dtype('float64'))
    """

    __slots__ = ("data", "grad", "requires_grad", "_parents", "_backward", "_logits", "name")
    __array_priority__ = 1000  # make ``ndarray + Tensor`` defer to ``Tensor.__radd__``

    def __init__(self, data, requires_grad=False, dtype=None, name=None):
        self.data = as_array(data, dtype)
        if requires_grad and self.data.dtype.kind != "f":
            raise ConfigError(
                f"Only float tensors can require gradients. Received dtype {self.data.dtype}"
            )
        self.grad = None
        self.requires_grad = bool(requires_grad)
        self._parents = ()
        self._backward = None
        self._logits = None  # (activation name, pre-activation Tensor) for stable losses
        self.name = name

    # -- properties ------------------------------------------------------------------------
    shape = property(lambda self: self.data.shape)
    ndim = property(lambda self: self.data.ndim)
    dtype = property(lambda self: self.data.dtype)
    size = property(lambda self: self.data.size)

    def __len__(self):
        return len(self.data)

    def __repr__(self):
        grad = ", requires_grad=True" if self.requires_grad else ""
        return f"Tensor({np.array2string(self.data, prefix='Tensor(')}{grad})"

    def numpy(self):
        """The underlying array (not a copy)."""
        return self.data

    def item(self):
        """The value of a one-element tensor as a Python number."""
        return self.data.item()

    def detach(self):
        """A tensor sharing this data that is cut off from the graph."""
        return Tensor._wrap(self.data)

    def __hash__(self):
        return id(self)

    # -- autodiff --------------------------------------------------------------------------
    @staticmethod
    def _wrap(data):
        """A tensor around an existing array, no conversion, no graph."""
        out = Tensor.__new__(Tensor)
        out.data = data
        out.grad = None
        out.requires_grad = False
        out._parents = ()
        out._backward = None
        out._logits = None
        out.name = None
        return out

    def backward(self, grad=None):
        """Add d(self)/d(leaf) into ``leaf.grad`` for every leaf that requires a gradient.

        ``grad`` is the gradient flowing into ``self``; it defaults to 1 for a one-element tensor.
        Gradients accumulate across calls, as in PyTorch: zero them between steps.
        """
        if not self.requires_grad:
            raise ConfigError(
                "backward() needs a tensor that depends on a tensor with requires_grad=True. "
                f"Received a tensor of shape {self.shape} with requires_grad=False"
            )
        if grad is None:
            if self.data.size != 1:
                raise ShapeError(
                    "backward() without a gradient needs a one-element tensor (a loss). "
                    f"Received shape {self.shape}; pass grad= or reduce with .sum() or .mean()"
                )
            grad = np.ones_like(self.data)
        else:
            grad = as_array(grad, self.data.dtype)
            if grad.shape != self.data.shape:
                raise ShapeError(
                    f"backward(grad) expects a gradient of shape {self.shape}. "
                    f"Received: {grad.shape}"
                )
        if self._backward is None:  # a leaf: d(self)/d(self) = grad
            _accumulate_leaf(self, grad)
            return
        grads = {id(self): grad}
        for node in _reverse_topological_order(self):
            g = grads.pop(id(node), None)
            if g is None:
                continue
            for parent, pg in zip(node._parents, node._backward(g)):
                if pg is None or not parent.requires_grad:
                    continue
                if parent._backward is None:
                    _accumulate_leaf(parent, pg)
                else:
                    key = id(parent)
                    seen = grads.get(key)
                    grads[key] = pg if seen is None else seen + pg

    def zero_grad(self):
        """Forget the accumulated gradient."""
        self.grad = None


def _accumulate_leaf(leaf, g):
    if leaf.grad is None:
        # copy: ``g`` may be shared with another parent of the same op
        leaf.grad = np.array(g, dtype=leaf.data.dtype, copy=True)
    else:
        leaf.grad += g


def _reverse_topological_order(root):
    """Interior nodes reachable from ``root``, each after every node that consumes it."""
    # A node is marked when it is expanded, not when pushed: a node reached again through a
    # later sibling must still be finished only after all of its consumers.
    order, visited, stack = [], set(), [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in visited:
            continue
        visited.add(id(node))
        stack.append((node, True))
        for parent in node._parents:
            if parent._backward is not None and id(parent) not in visited:
                stack.append((parent, False))
    order.reverse()
    return order


def make(data, parents, backward):
    """The result of an op: ``data``, recording ``backward`` if a parent needs a gradient.

    ``backward(g)`` receives the gradient of the result and returns one gradient (or None) per
    parent, in order, each of that parent's shape.
    """
    out = Tensor._wrap(data)
    if _grad_enabled:
        for p in parents:
            if p.requires_grad:
                out.requires_grad = True
                out._parents = parents
                out._backward = backward
                break
    return out


def lift(x, like):
    """``x`` as a Tensor; non-tensors take the dtype of ``like`` so no op upcasts silently."""
    if isinstance(x, Tensor):
        return x
    return Tensor._wrap(np.asarray(x, dtype=like.data.dtype))


def unbroadcast(g, shape):
    """Sum ``g`` over the axes that broadcasting added or stretched, back to ``shape``."""
    if g.shape == shape:
        return g
    extra = g.ndim - len(shape)
    if extra:
        g = g.sum(axis=tuple(range(extra)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    if stretched:
        g = g.sum(axis=stretched, keepdims=True)
    return g
