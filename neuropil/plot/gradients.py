"""``gradient_norms``: how large each layer's gradient is, epoch after epoch, on a log scale.

Lines far apart mean some layers learn much faster than others; lines falling towards the
input layer show vanishing gradients (deep sigmoid networks), lines shooting up show exploding
ones. Layers are coloured from dark (near the input) to light (near the output).

>>> import neuropil.plot as nplt
>>> fig = nplt.gradient_norms({"dense": [0.01, 0.008], "dense_1": [0.5, 0.3]})
>>> fig.axes[0].get_yscale(), fig.axes[0].get_legend_handles_labels()[1]
('log', ['dense', 'dense_1'])
"""

import numpy as np

from neuropil.errors import ConfigError
from neuropil.plot._common import figure_and_axes, finish, integer_ticks


def _records(records):
    """{layer name: float array of norms}, from a dict or an object holding one as ``history``."""
    source = records
    if not isinstance(source, dict):
        source = getattr(records, "history", None)
        if not isinstance(source, dict):
            raise ConfigError(
                "gradient_norms expects a dict {layer name: [gradient norm per epoch]} or a "
                f"callback whose .history is one. Received: {type(records).__name__}"
            )
    suffix = (
        "/grad_norm"  # GradientDiagnostics records "<layer>/grad_norm" and "<layer>/dead_fraction"
    )
    if any(str(name).endswith(suffix) for name in source):
        source = {n[: -len(suffix)]: v for n, v in source.items() if str(n).endswith(suffix)}
    if not source:
        raise ConfigError("gradient_norms has nothing to plot: no layers recorded. Received: {}")
    out = {}
    for name, values in source.items():
        try:
            array = np.asarray(
                [np.nan if v is None else v for v in values], dtype=np.float64
            )  # fmt: skip
        except (TypeError, ValueError):
            raise ConfigError(
                f"gradient_norms expects a list of numbers for layer {name!r}. Received: {values!r}"
            ) from None
        if array.ndim != 1:
            raise ConfigError(
                f"gradient_norms expects one number per epoch for layer {name!r}. "
                f"Received: shape {array.shape}"
            )
        out[str(name)] = array
    return out


def gradient_norms(records, ax=None, path=None, title=None, log=True, xlabel="epoch",
                   figsize=(7.5, 4.5)):  # fmt: skip
    """One line per layer: the L2 norm of its gradient at each epoch (log y-axis by default).

    ``records`` maps a layer name to its norms, one per epoch, in the order of the layers from
    input to output (the diagnostics callback's ``history`` has this shape, and the callback
    itself is accepted too). Zero norms cannot sit on a log axis; they are left out and the
    legend marks the layer "(zeros hidden)" - a layer whose gradient is exactly zero has
    stopped learning (dead relus, a step activation). ``xlabel`` names the x-axis if the
    records are per batch rather than per epoch. Returns the Figure (draws into ``ax`` if
    given); ``path`` saves a PNG.
    """
    norms = _records(records)
    from matplotlib import colormaps

    outside = ax is None and len(norms) > 3  # beside the axes only in a figure of our own
    fig, ax = figure_and_axes(ax, figsize)
    cmap = colormaps["viridis"]
    n = len(norms)
    for i, (name, values) in enumerate(norms.items()):
        shown = values.copy()
        label = name
        if log and np.any(shown <= 0):
            shown[shown <= 0] = np.nan
            label += " (zeros hidden)"
        x = np.arange(1, len(values) + 1)
        ax.plot(x, shown, color=cmap(0.85 * i / max(n - 1, 1)), lw=1.8, label=label,
                marker="o" if len(values) <= 30 else None, ms=3)  # fmt: skip
    if log:
        finite = np.concatenate([v[np.isfinite(v) & (v > 0)] for v in norms.values()])
        if finite.size:
            ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("gradient L2 norm" + (" (log scale)" if ax.get_yscale() == "log" else ""))
    integer_ticks(ax.xaxis)
    ax.grid(alpha=0.3, which="both" if ax.get_yscale() == "log" else "major")
    ax.set_title(title or "Gradient norm per layer during training")
    ax.legend(
        title="layer (input → output)",
        fontsize="small",
        title_fontsize="small",
        ncols=1 if n <= 12 else 2,
        **({"loc": "upper left", "bbox_to_anchor": (1.02, 1)} if outside else {}),
    )
    return finish(fig, path)
