"""``activations``: activation functions next to their derivatives, one small panel each.

The derivatives are not written out here: each panel evaluates f on a grid of inputs that
requires a gradient, calls ``f(x).sum().backward()`` and plots ``x.grad``. Because f acts on
each element alone, d(sum f(x_i))/dx_i = f'(x_i), so one backward pass gives f' at every point,
exactly the numbers a network's backward pass uses (including the value taken at a kink, such
as relu's f'(0) = 0).

>>> import neuropil.plot as nplt
>>> fig = nplt.activations(["relu", "sigmoid"])
>>> [ax.get_title() for ax in fig.axes if ax.get_visible()]
['relu', 'sigmoid']
>>> fig.axes[0].get_legend_handles_labels()[1]
['f(x)', "f'(x)"]
"""

import numpy as np

from neuropil import activations as _activations
from neuropil.errors import ConfigError
from neuropil.plot._common import (
    PALETTE,
    check_positive_int,
    finish,
    grid_shape,
    hide_unused,
    new_figure,
)
from neuropil.tensor import Tensor

DEFAULT = ("step", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "softplus", "silu", "selu")
_NOT_ELEMENTWISE = ("softmax", "log_softmax")


def derivative(fn, x):
    """``(f(x), f'(x))`` for an elementwise activation ``fn`` on the points ``x``, by autodiff.

    >>> import numpy as np
    >>> from neuropil import activations
    >>> f, df = derivative(activations.sigmoid, np.array([0.0]))
    >>> float(f[0]), float(df[0])
    (0.5, 0.25)
    """
    t = Tensor(np.asarray(x, dtype=np.float64), requires_grad=True, dtype="float64")
    out = fn(t)
    if not isinstance(out, Tensor) or out.shape != t.shape:
        raise ConfigError(
            "activations plots elementwise functions Tensor -> Tensor of the same shape. "
            f"Received: {getattr(fn, '__name__', fn)!r} returning "
            f"{type(out).__name__} of shape {getattr(out, 'shape', None)}"
        )
    if out.requires_grad:
        out.sum().backward()
    grad = t.grad if t.grad is not None else np.zeros_like(t.data)
    return out.data.astype(np.float64), grad.astype(np.float64)


def _resolve(item):
    if isinstance(item, str):
        if item in _NOT_ELEMENTWISE:
            raise ConfigError(
                f"activations plots elementwise functions; {item} mixes all its inputs, so its "
                "derivative is a matrix (a Jacobian), not a curve. Received: " + repr(item)
            )
        return item, _activations.get(item)
    if callable(item):
        return getattr(item, "__name__", type(item).__name__), item
    raise ConfigError(
        f"activations expects activation names or functions Tensor -> Tensor. Received: {item!r}"
    )


def activations(names=DEFAULT, x_range=(-4.0, 4.0), points=801, ncols=3, path=None,
                figsize=None, title=None):  # fmt: skip
    """Each activation f (solid) and its derivative f' (dashed) over ``x_range``.

    ``names`` lists registered names (``"relu"``, ``"tanh"``, ...; see
    ``neuropil.activations.names()``) or functions Tensor -> Tensor. f' comes from neuropil's
    own backward pass (see ``derivative``), so the plot shows what training really uses: where
    f' is near 0 (sigmoid far from 0, relu below 0) gradients vanish. Returns the Figure;
    ``path`` saves a PNG.

    >>> import neuropil.plot as nplt
    >>> fig = nplt.activations(["tanh"], x_range=(-3, 3))
    >>> fig.axes[0].get_title()
    "tanh: f (solid), f' (dashed, by autodiff)"
    """
    if isinstance(names, str) or callable(names):
        names = [names]
    resolved = [_resolve(item) for item in names]
    if not resolved:
        raise ConfigError("activations needs at least one activation to plot. Received: []")
    try:
        lo, hi = (float(v) for v in x_range)
    except (TypeError, ValueError):
        raise ConfigError(
            f"x_range must be two numbers (low, high). Received: {x_range!r}"
        ) from None
    if not lo < hi:
        raise ConfigError(f"x_range must have low < high. Received: x_range={x_range!r}")
    points = check_positive_int(points, "points", "activations", least=3)
    x = np.linspace(lo, hi, points)
    if lo < 0 < hi and not np.any(x == 0):  # include 0 so kinks show their f'(0)
        x = np.sort(np.append(x, 0.0))
    rows, cols = grid_shape(len(resolved), min(ncols, len(resolved)))
    single = len(resolved) == 1
    default_size = (5.4, 3.8) if single else (max(6.8, 3.4 * cols), 2.8 * rows + 0.5)
    fig, axes = new_figure(figsize or default_size, rows, cols)
    for ax, (name, fn) in zip(axes.flat, resolved):
        f, df = derivative(fn, x)
        ax.axhline(0, color="0.75", lw=0.8, zorder=0)
        ax.axvline(0, color="0.75", lw=0.8, zorder=0)
        ax.plot(x, f, color=PALETTE[0], lw=2, label="f(x)")
        ax.plot(x, df, color=PALETTE[3], lw=1.6, ls="--", label="f'(x)")
        span = np.concatenate([f, df])
        top, bottom = np.percentile(span, 99), np.percentile(span, 1)
        if top - bottom < 1e-9:
            top, bottom = bottom + 1, bottom - 1
        pad = 0.08 * (top - bottom)
        ax.set_ylim(min(bottom, -0.1) - pad, top + pad)
        ax.set_xlim(lo, hi)
        ax.set_title(f"{name}: f (solid), f' (dashed, by autodiff)" if single else name)
        ax.set_xlabel("x (input to the activation)", fontsize="small")
        ax.set_ylabel("value", fontsize="small")
        ax.grid(alpha=0.3)
        ax.legend(fontsize="x-small", loc="upper left")
    hide_unused(axes, len(resolved))
    if title or not single:
        fig.suptitle(title or "Activations f (solid) and derivatives f' (dashed, by autodiff)")
    return finish(fig, path)
