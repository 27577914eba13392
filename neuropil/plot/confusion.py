"""``confusion_matrix``: which classes a classifier mistakes for which, with counts in the cells.

>>> import neuropil.plot as nplt
>>> fig = nplt.confusion_matrix([0, 1, 1, 2], [0, 1, 2, 2])
>>> [t.get_text() for t in fig.axes[0].texts]
['1', '0', '0', '0', '1', '1', '0', '0', '1']
"""

import numpy as np

from neuropil import metrics
from neuropil.errors import ConfigError, ShapeError
from neuropil.plot._common import figure_and_axes, finish

_NORMALIZE = {
    False: (None, "samples"),
    None: (None, "samples"),
    True: ("true", "share of the true class (recall)"),
    "true": ("true", "share of the true class (recall)"),
    "pred": ("pred", "share of the predicted class (precision)"),
    "all": ("all", "share of all samples"),
}


def _normalized(counts, mode):
    counts = counts.astype(np.float64)
    if mode == "true":
        totals = counts.sum(axis=1, keepdims=True)
    elif mode == "pred":
        totals = counts.sum(axis=0, keepdims=True)
    else:
        totals = counts.sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(totals > 0, counts / np.where(totals > 0, totals, 1), 0.0)


def confusion_matrix(
    y_true, y_pred, labels=None, normalize=False, ax=None, path=None, title=None, cmap="Blues",
    figsize=None, colorbar=True,
):  # fmt: skip
    """Draw the confusion matrix: true class down the rows, predicted class along the columns.

    The counts come from ``neuropil.metrics.confusion_matrix``, so ``y_true`` and ``y_pred`` may
    be labels, one-hot rows, softmax scores or a column of probabilities (thresholded at 0.5).
    ``labels`` names the classes (their number sets the matrix size). ``normalize`` colours by
    a share instead of the count: ``True``/``"true"`` divides each row by its class's size
    (the diagonal is then each class's recall), ``"pred"`` divides columns (precision),
    ``"all"`` the whole matrix; cells then show the share and, below it, the count. Returns the
    Figure (draws into ``ax`` if given); ``path`` saves a PNG.

    >>> import neuropil.plot as nplt
    >>> fig = nplt.confusion_matrix([0, 0, 1], [0, 1, 1], labels=["cat", "dog"], normalize=True)
    >>> [t.get_text() for t in fig.axes[0].texts]
    ['0.50\\n(1)', '0.50\\n(1)', '0.00\\n(0)', '1.00\\n(1)']
    """
    key = normalize if isinstance(normalize, (bool, str)) or normalize is None else object()
    if key not in _NORMALIZE:
        raise ConfigError(
            "confusion_matrix normalize must be False, True, 'true', 'pred' or 'all'. "
            f"Received: normalize={normalize!r}"
        )
    mode, bar_label = _NORMALIZE[key]
    if labels is not None:
        labels = [str(name) for name in labels]
        if not labels:
            raise ConfigError("confusion_matrix labels must name at least one class. Received: []")
    counts = metrics.confusion_matrix(y_true, y_pred, None if labels is None else len(labels))
    k = counts.shape[0]
    if k == 0:
        raise ShapeError(
            "confusion_matrix needs at least one sample to count. Received: empty y_true and y_pred"
        )
    names = labels or [str(i) for i in range(k)]
    values = counts if mode is None else _normalized(counts, mode)

    side = min(12.0, max(4.4, 0.6 * k + 2.6))
    fig, ax = figure_and_axes(ax, figsize or (side + (1.0 if colorbar else 0), side))
    vmax = values.max() if mode is None else 1.0
    image = ax.imshow(values, cmap=cmap, vmin=0, vmax=max(vmax, 1e-12), interpolation="nearest")
    if colorbar:
        bar = fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
        bar.set_label(bar_label)
    fontsize = 11 if k <= 5 else 9 if k <= 10 else 7 if k <= 20 else 5
    if mode is not None and k > 10:
        fontsize = max(4, fontsize - 2)
    cmap_obj = image.get_cmap()
    for i in range(k):
        for j in range(k):
            text = str(counts[i, j]) if mode is None else f"{values[i, j]:.2f}\n({counts[i, j]})"
            r, g, b, _ = cmap_obj(image.norm(values[i, j]))
            dark = 0.299 * r + 0.587 * g + 0.114 * b < 0.5
            ax.text(j, i, text, ha="center", va="center", fontsize=fontsize,
                    color="white" if dark else "black")  # fmt: skip
    ax.set_xticks(range(k), names)
    ax.set_yticks(range(k), names)
    if max(len(n) for n in names) * k > 40:
        ax.tick_params(axis="x", labelrotation=45)
        for tick in ax.get_xticklabels():
            tick.set_horizontalalignment("right")
            tick.set_rotation_mode("anchor")
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    if title is None:
        total = counts.sum()
        accuracy = np.trace(counts) / total if total else 0.0
        title = f"Confusion matrix ({total} samples, accuracy {100 * accuracy:.1f}%)"
    ax.set_title(title)
    return finish(fig, path)
