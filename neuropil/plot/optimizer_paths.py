"""``trace_optimizer`` and ``optimizer_path``: optimizers walking down a 2-D loss surface.

``trace_optimizer`` runs a real neuropil optimizer on a 2-parameter Tensor, so the path is
exactly what that optimizer does in a network; ``optimizer_path`` draws such paths over the
contour lines of the loss.

>>> import neuropil.plot as nplt
>>> from neuropil import optimizers
>>> bowl = lambda w: w[0] ** 2 + 10 * w[1] ** 2          # a long, narrow valley
>>> sgd = nplt.trace_optimizer(optimizers.SGD(learning_rate=0.09), bowl, [-4, 1], steps=30)
>>> adam = nplt.trace_optimizer(optimizers.Adam(learning_rate=0.3), bowl, [-4, 1], steps=30)
>>> sgd.shape, bool(abs(sgd[-1]).max() < 1)
((31, 2), True)
>>> fig = nplt.optimizer_path(bowl, {"SGD": sgd, "Adam": adam})
>>> [label.split(" (")[0] for label in fig.axes[0].get_legend_handles_labels()[1]]
['SGD', 'Adam', 'start', 'end']
"""

import warnings

import numpy as np

from neuropil import optimizers as _optimizers
from neuropil.errors import ConfigError, InvalidValueError, ShapeError
from neuropil.plot._common import PALETTE, as_numpy, check_positive_int, figure_and_axes, finish
from neuropil.tensor import Tensor, no_grad


def trace_optimizer(optimizer, loss_fn, start, steps=50, dtype="float64"):
    """The points an optimizer visits minimizing ``loss_fn`` from ``start``: shape (steps+1, 2).

    ``optimizer`` is a neuropil optimizer or its name (``"adam"``, with Keras defaults); a fresh
    copy of it (same settings, empty state; the object passed in is left as it is) is built on
    one fresh parameter ``w``, a Tensor of shape (2,).
    Each step is the usual loop: ``zero_grad()``, ``loss_fn(w).backward()``, ``step()``.
    ``loss_fn`` takes ``w`` and returns a one-element Tensor, using ``w[0]`` and ``w[1]``.
    Row 0 is ``start``; if the loss or ``w`` becomes NaN or infinite (a learning rate that is
    too large) the path stops at the last finite point, with a RuntimeWarning.

    >>> import neuropil.plot as nplt
    >>> nplt.trace_optimizer("sgd", lambda w: (w * w).sum(), [1.0, -2.0], steps=2).round(4)
    array([[ 1.    , -2.    ],
           [ 0.98  , -1.96  ],
           [ 0.9604, -1.9208]])
    """
    opt = _optimizers.deserialize(_optimizers.serialize(_optimizers.get(optimizer)))
    steps = check_positive_int(steps, "steps", "trace_optimizer", least=0)
    start = as_numpy(start, "start", "trace_optimizer")
    if start.shape != (2,) or start.dtype.kind not in "fiu" or not np.all(np.isfinite(start)):
        raise ShapeError(
            "trace_optimizer expects start as 2 finite numbers (a point on the loss surface). "
            f"Received: {start!r}"
        )
    if not callable(loss_fn):
        raise ConfigError(f"trace_optimizer expects loss_fn to be callable. Received: {loss_fn!r}")
    w = Tensor(start, requires_grad=True, dtype=dtype, name="w")
    opt.build([w])
    path = [w.data.astype(np.float64).copy()]
    with np.errstate(over="ignore", invalid="ignore"):
        for step in range(steps):
            opt.zero_grad()
            loss = loss_fn(w)
            if not isinstance(loss, Tensor) or loss.size != 1:
                raise ShapeError(
                    "trace_optimizer expects loss_fn(w) to return a one-element Tensor. "
                    f"Received: {type(loss).__name__} of shape {getattr(loss, 'shape', None)}"
                )
            if np.isfinite(loss.data).all():
                loss.backward()
                opt.step()
            if not (np.isfinite(loss.data).all() and np.isfinite(w.data).all()):
                warnings.warn(
                    f"trace_optimizer: the loss or w became NaN or infinite at step {step + 1} "
                    f"of {steps} (diverged; try a smaller learning rate); the path stops at the "
                    "last finite point.",
                    RuntimeWarning,
                    stacklevel=2,
                )
                break
            path.append(w.data.astype(np.float64).copy())
    return np.array(path)


def loss_surface(loss_fn, xs, ys):
    """``loss_fn`` on the grid ``xs`` x ``ys`` as an array (len(ys), len(xs)).

    ``loss_fn`` first gets all points at once, a Tensor of shape (2, len(ys), len(xs)) whose
    ``w[0]`` and ``w[1]`` are coordinate grids; a function written with ``w[0]``, ``w[1]`` and
    elementwise operations handles that. A few points (corners and centre) are then computed
    one by one: a function that reduces over ``w`` (``(w * w).sum()`` for a penalty) gives a
    grid of the right shape but the wrong values, and is then called point by point.
    """
    gx, gy = np.meshgrid(xs, ys)

    def at(i, j):
        value = loss_fn(Tensor(np.array([gx[i, j], gy[i, j]]), dtype="float64"))
        return float(np.asarray(getattr(value, "data", value)).reshape(()))

    with no_grad():
        try:
            out = loss_fn(Tensor(np.stack([gx, gy]), dtype="float64"))
            values = np.asarray(getattr(out, "data", out), dtype=np.float64)
        except Exception:  # noqa: BLE001 - a non-vectorizable loss; fall back to points
            values = None
        if values is not None and values.shape == gx.shape:
            rows, cols = gx.shape
            probes = {(0, 0), (0, cols - 1), (rows - 1, 0), (rows - 1, cols - 1),
                      (rows // 2, cols // 2)}  # fmt: skip
            if all(np.isclose(values[i, j], at(i, j), rtol=1e-9, atol=1e-12, equal_nan=True)
                   for i, j in probes):  # fmt: skip
                return values
        flat = [at(i, j) for i in range(gx.shape[0]) for j in range(gx.shape[1])]
    return np.array(flat).reshape(gx.shape)


def _limits(paths, xlim, ylim, minimum):
    points = list(paths.values())
    if minimum is not None:
        points.append(np.reshape(np.asarray(minimum, dtype=np.float64), (1, 2)))
    points = np.concatenate(points)
    out = []
    for axis, given in ((0, xlim), (1, ylim)):
        if given is not None:
            out.append((float(given[0]), float(given[1])))
            continue
        lo, hi = points[:, axis].min(), points[:, axis].max()
        pad = 0.15 * (hi - lo) if hi > lo else 1.0
        out.append((lo - pad, hi + pad))
    return out


def _readable_ticks(bar, levels, log):
    """Colour-bar ticks at round numbers (powers of ten on a log scale) instead of levels."""
    from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator

    lo, hi = levels[0], levels[-1]
    if log:
        powers = 10.0 ** np.arange(np.floor(np.log10(lo)), np.ceil(np.log10(hi)) + 1)
        ticks = powers[(powers >= lo * (1 - 1e-9)) & (powers <= hi * (1 + 1e-9))]
        if len(ticks) > 8:
            ticks = ticks[:: int(np.ceil(len(ticks) / 8))]
        if len(ticks) < 2:
            ticks = np.geomspace(lo, hi, 4)
    else:
        ticks = MaxNLocator(6).tick_values(lo, hi)
        ticks = ticks[(ticks >= lo) & (ticks <= hi)]
    bar.ax.yaxis.set_major_locator(FixedLocator(ticks))
    bar.ax.yaxis.set_minor_locator(FixedLocator([]))
    bar.ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}" if log else f"{v:.3g}"))


def optimizer_path(loss_fn, paths, xlim=None, ylim=None, minimum=None, levels=25, log_levels=None,
                   resolution=200, ax=None, path=None, title=None, figsize=(7.5, 5.8)):  # fmt: skip
    """Paths of optimizers over the contour map of a 2-parameter loss.

    ``paths`` maps a name to an array (steps, 2) of points, e.g. from ``trace_optimizer``
    (a single array is shown as "path"). Each path is a line with a marker per step, a circle
    at its start and a cross at its end; the legend gives its final loss. The filled contours
    show ``loss_fn`` (evaluated as described in ``loss_surface``) over ``xlim`` x ``ylim``,
    by default the region the paths and ``minimum`` (a point to mark with a star) cover.
    ``log_levels`` spaces the contour levels geometrically, by default when the loss spans
    more than two orders of magnitude (Rosenbrock's banana valley). Returns the Figure (draws
    into ``ax`` if given); ``path`` saves a PNG.
    """
    if isinstance(paths, dict):
        items = {str(k): as_numpy(v, f"paths[{k!r}]", "optimizer_path") for k, v in paths.items()}
    else:
        items = {"path": as_numpy(paths, "paths", "optimizer_path")}
    if not items:
        raise ConfigError("optimizer_path needs at least one path. Received: {}")
    for name, p in items.items():
        if p.ndim != 2 or p.shape[1] != 2 or len(p) == 0:
            raise ShapeError(
                f"optimizer_path expects each path as an array (steps, 2) of points. "
                f"Received: {name!r} of shape {p.shape}"
            )
        if not np.all(np.isfinite(p)):
            raise InvalidValueError(f"optimizer_path: path {name!r} contains NaN or infinity.")
    resolution = check_positive_int(resolution, "resolution", "optimizer_path", least=10)
    (x0, x1), (y0, y1) = _limits(items, xlim, ylim, minimum)
    xs, ys = np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution)
    surface = loss_surface(loss_fn, xs, ys)
    finite = surface[np.isfinite(surface)]
    if finite.size == 0:
        raise InvalidValueError("optimizer_path: the loss is not finite anywhere in view.")
    lo, hi = float(finite.min()), float(finite.max())
    if log_levels is None:
        log_levels = lo >= 0 and hi > 100 * max(lo, 1e-12) and hi - lo > 1e-9
    if log_levels:
        level_values = np.geomspace(max(lo, hi * 1e-6, 1e-12), hi, levels)
    else:
        level_values = np.linspace(lo, hi if hi > lo else lo + 1, levels)
    from matplotlib.colors import LogNorm

    fig, ax = figure_and_axes(ax, figsize)
    norm = LogNorm(level_values[0], level_values[-1]) if log_levels else None
    filled = ax.contourf(
        xs,
        ys,
        np.maximum(surface, level_values[0]),
        levels=level_values,
        cmap="YlGnBu_r",
        norm=norm,
    )
    ax.contour(xs, ys, surface, levels=level_values, colors="white", linewidths=0.4, alpha=0.6)
    bar = fig.colorbar(filled, ax=ax)
    bar.set_label("loss" + (" (log scale)" if log_levels else ""))
    _readable_ticks(bar, level_values, log_levels)
    for i, (name, p) in enumerate(items.items()):
        color = PALETTE[[3, 1, 6, 0, 4, 5, 2, 7, 8, 9][i % 10]]
        final = float(loss_surface(loss_fn, p[-1:, 0], p[-1:, 1])[0, 0])
        width = max(1.2, 2.6 - 0.5 * i)  # earlier paths wider, so later ones do not hide them
        ax.plot(
            p[:, 0],
            p[:, 1],
            "-",
            color=color,
            lw=width,
            ms=5,
            marker="." if len(p) <= 200 else None,
            label=f"{name} (loss {final:.3g})",
        )
        ax.plot(*p[0], "o", color=color, ms=9, mec="black")
        ax.plot(*p[-1], "X", color=color, ms=10, mec="black")
    if minimum is not None:
        ax.plot(*np.reshape(minimum, 2), "*", color="gold", ms=16, mec="black", label="minimum")
    ax.plot([], [], "o", color="0.6", mec="black", label="start")
    ax.plot([], [], "X", color="0.6", mec="black", label="end")
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_xlabel("w[0] (first parameter)")
    ax.set_ylabel("w[1] (second parameter)")
    ax.set_title(title or "Optimizer paths on the loss surface")
    ax.legend(fontsize="small", loc="best", framealpha=0.9)
    return finish(fig, path)
