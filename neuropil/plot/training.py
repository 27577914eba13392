"""``history``: learning curves from ``model.fit``'s History, one panel per quantity.

>>> import neuropil.plot as nplt
>>> fig = nplt.history({"loss": [0.9, 0.5, 0.4], "val_loss": [1.0, 0.7, 0.75],
...                     "accuracy": [0.6, 0.8, 0.85], "val_accuracy": [0.55, 0.7, 0.7]})
>>> [ax.get_title() for ax in fig.axes if ax.get_visible()]
['Loss', 'Accuracy']
"""

import numpy as np

from neuropil.callbacks.monitor import infer_mode
from neuropil.errors import ConfigError
from neuropil.plot._common import (
    PALETTE,
    finish,
    grid_shape,
    hide_unused,
    integer_ticks,
    new_figure,
)

_TITLES = {"loss": "Loss", "lr": "Learning rate", "learning_rate": "Learning rate",
           "mae": "Mean absolute error", "mse": "Mean squared error", "auc": "AUC"}  # fmt: skip


def _records(h):
    """(dict key -> list of values, list of 1-based epoch numbers or None)."""
    epochs = None
    if isinstance(h, dict):
        records = h
    else:
        inner = getattr(h, "history", None)
        if not isinstance(inner, dict):  # a model: its ``history`` is the History callback
            epochs_owner, inner = inner, getattr(inner, "history", None)
        else:
            epochs_owner = h
        if not isinstance(inner, dict):
            raise ConfigError(
                "history expects a History (what fit returns), its .history dict or a trained "
                f"model. Received: {type(h).__name__}"
            )
        records = inner
        epoch_list = getattr(epochs_owner, "epoch", None)
        if epoch_list:
            epochs = [int(e) + 1 for e in epoch_list]
    if not records:
        raise ConfigError("history has nothing to plot: no logged values. Received: {}")
    return records, epochs


def _series(records, key):
    try:
        values = np.asarray(
            [np.nan if v is None else v for v in records[key]], dtype=np.float64
        )  # fmt: skip
    except (TypeError, ValueError):
        return None
    return values if values.ndim == 1 and values.size else None


def _quantities(records, metrics):
    """The panel names in log order, loss first: ``accuracy`` covers accuracy and val_accuracy."""
    names = []
    for key in records:
        base = key.removeprefix("val_")
        if base not in names:
            names.append(base)
    if "loss" in names:
        names.remove("loss")
        names.insert(0, "loss")
    if metrics is not None:
        metrics = [metrics] if isinstance(metrics, str) else list(metrics)
        unknown = [m for m in metrics if m not in names]
        if unknown:
            raise ConfigError(
                f"history has no panel named {unknown}: panels are named by the quantity, "
                f"each drawing its training and val_ values together ({names}). "
                f"Received: metrics={metrics!r}"
            )
        names = metrics
    return names


def _title(name):
    return _TITLES.get(name, name.replace("_", " ").capitalize())


def _mark_best(ax, x, values, name):
    mode = infer_mode(name)
    if mode is None or np.all(np.isnan(values)):
        return
    i = int(np.nanargmin(values) if mode == "min" else np.nanargmax(values))
    word = "lowest" if mode == "min" else "highest"
    ax.plot(x[i], values[i], "o", ms=9, mfc="none", mec="black", mew=1.5,
            label=f"{word} validation: epoch {x[i]} ({values[i]:.4g})")  # fmt: skip


def history(h, metrics=None, path=None, figsize=None, ncols=3, title=None):
    """Learning curves: training and validation value of each logged quantity per epoch.

    ``h`` is what ``model.fit`` returns (a ``History``), its ``.history`` dict or the trained
    model. The loss comes first; every other quantity (``accuracy``, ``mae``, ...) gets its own
    panel with its ``val_`` twin, and the best validation epoch is circled, the one
    ``EarlyStopping(restore_best_weights=True)`` would keep. Epochs count from 1 on the x-axis.
    ``metrics`` picks the panels (e.g. ``["loss"]``); ``ncols`` panels go in a row. Returns the
    matplotlib Figure; ``path`` also saves it as a PNG.

    >>> import neuropil.plot as nplt
    >>> fig = nplt.history({"loss": [0.8, 0.6, 0.5]})
    >>> ax = fig.axes[0]; ax.get_xlabel(), ax.get_ylabel()
    ('epoch', 'loss')
    """
    records, epochs = _records(h)
    names = _quantities(records, metrics)
    series = {key: _series(records, key) for key in records}
    panels = [n for n in names if series.get(n) is not None or series.get("val_" + n) is not None]
    if not panels:
        raise ConfigError(
            f"history found no numeric per-epoch values to plot. Received keys: {sorted(records)}"
        )
    rows, cols = grid_shape(len(panels), min(ncols, len(panels)))
    fig, axes = new_figure(figsize or (4.6 * cols, 3.6 * rows), rows, cols)
    for ax, name in zip(axes.flat, panels):
        drawn = []
        for key, label, color in ((name, "training", PALETTE[0]),
                                  ("val_" + name, "validation", PALETTE[1])):  # fmt: skip
            values = series.get(key)
            if values is None:
                continue
            x = np.asarray(epochs if epochs and len(epochs) == len(values)
                           else np.arange(1, len(values) + 1))  # fmt: skip
            ax.plot(x, values, color=color, label=label, lw=1.8,
                    marker="o" if len(values) <= 30 else None, ms=3.5)  # fmt: skip
            drawn.append(label)
            if key.startswith("val_"):
                _mark_best(ax, x, values, name)
        rate = series.get(name)
        if name in ("lr", "learning_rate") and rate is not None and np.nanmin(rate) > 0:
            ax.set_yscale("log")
        one_of_two = len(drawn) == 1 and name not in ("lr", "learning_rate")  # no val_ twin
        ax.set_title(_title(name) + (f" ({drawn[0]})" if one_of_two else ""))
        ax.set_xlabel("epoch")
        ax.set_ylabel(name)
        integer_ticks(ax.xaxis)
        ax.grid(alpha=0.3)
        if len(drawn) > 1:
            ax.legend(fontsize="small")
    hide_unused(axes, len(panels))
    if title:
        fig.suptitle(title)
    return finish(fig, path)
