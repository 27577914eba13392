"""What every figure shares: the lazy matplotlib import, new figures and axes, saving.

matplotlib is imported on the first call of a plotting function, never by ``import neuropil``.
Without a display (no ``DISPLAY``/``WAYLAND_DISPLAY`` on Linux, no ``MPLBACKEND`` set and pyplot
not yet imported) the Agg backend is chosen, so figures render on servers and in CI.
"""

import os
import sys

import numpy as np

from neuropil.errors import ConfigError
from neuropil.tensor import Tensor

INSTALL_HINT = "pip install 'neuropil[plot]'"
DPI = 120

# Colours for classes and lines: matplotlib's tab10, written out so tests and users can refer
# to them without importing matplotlib.
PALETTE = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
)  # fmt: skip


def _headless():
    if os.environ.get("MPLBACKEND"):
        return False
    if sys.platform.startswith("linux"):
        return not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return False


def pyplot():
    """``matplotlib.pyplot``, imported on first use; ImportError naming the extra if missing."""
    try:
        import matplotlib
    except ImportError as exc:
        raise ImportError(
            "neuropil.plot draws with matplotlib, which is not installed. "
            f"Install it with: {INSTALL_HINT}"
        ) from exc
    if "matplotlib.pyplot" not in sys.modules and _headless():
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def new_figure(figsize, nrows=1, ncols=1, **kwargs):
    """A figure with constrained layout (no overlapping labels) and its grid of axes."""
    plt = pyplot()
    return plt.subplots(nrows, ncols, figsize=figsize, layout="constrained", squeeze=False,
                        **kwargs)  # fmt: skip


def figure_and_axes(ax, figsize):
    """``(figure, ax)``: the given axes and its figure, or a new figure with one axes."""
    if ax is not None:
        if not hasattr(ax, "figure") or not hasattr(ax, "plot"):
            raise ConfigError(f"ax must be a matplotlib Axes. Received: {ax!r}")
        return ax.figure, ax
    fig, axes = new_figure(figsize)
    return fig, axes[0, 0]


def finish(fig, path):
    """Save ``fig`` as a PNG at ``path`` (if given) and return it."""
    if path is not None:
        try:
            path = os.fspath(path)
        except TypeError:
            raise ConfigError(f"path must be a file path. Received: path={path!r}") from None
        fig.savefig(path, dpi=DPI, bbox_inches="tight", facecolor="white")
    return fig


def integer_ticks(axis):
    """Only whole numbers as ticks on ``axis`` (epochs, classes)."""
    from matplotlib.ticker import MaxNLocator

    axis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))


def as_numpy(x, name, owner):
    """A NumPy array from an array, list or neuropil Tensor."""
    try:
        return np.asarray(x.data if isinstance(x, Tensor) else x)
    except (TypeError, ValueError):
        raise ConfigError(f"{owner} expects {name} as an array. Received: {x!r}") from None


def check_positive_int(value, name, owner, least=1):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < least:
        raise ConfigError(
            f"{owner} expects {name} to be an integer >= {least}. Received: {name}={value!r}"
        )
    return int(value)


def grid_shape(n, ncols=None):
    """(rows, columns) of a near-square grid holding ``n`` panels."""
    cols = ncols or int(np.ceil(np.sqrt(n)))
    cols = max(1, min(cols, n))
    return int(np.ceil(n / cols)), cols


def balanced_columns(n, most=8):
    """Columns for ``n`` small image panels: a landscape grid with as few empty cells as can be.

    >>> balanced_columns(16), balanced_columns(32), balanced_columns(12), balanced_columns(3)
    (4, 8, 4, 3)
    """
    target = min(most, int(np.ceil(np.sqrt(n * 1.5))))
    candidates = [c for c in (target - 1, target, target + 1) if 1 <= c <= most] or [1]
    return min(candidates, key=lambda c: (-(-n // c) * c - n, abs(c - target)))


def hide_unused(axes, used):
    """Switch off the panels of a grid past the first ``used``."""
    for ax in axes.flat[used:]:
        ax.set_visible(False)
