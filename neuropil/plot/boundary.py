"""``decision_boundary``: the regions a 2-D classifier assigns to each class, under its data.

>>> import numpy as np
>>> import neuropil.plot as nplt
>>> x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
>>> y = np.array([0, 0, 0, 1])                           # logical AND
>>> fig = nplt.decision_boundary(lambda p: p.sum(axis=1) > 1.5, x, y, resolution=50)
>>> fig.axes[0].get_xlabel(), fig.axes[0].get_ylabel()
('x₁', 'x₂')
"""

import inspect

import numpy as np

from neuropil.errors import ConfigError, InvalidValueError, ShapeError
from neuropil.plot._common import (
    PALETTE,
    as_numpy,
    check_positive_int,
    figure_and_axes,
    finish,
)

MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*", "<", ">")
SHADE = 0.35  # share of the class colour in a region's shade; the rest is white


def shade_colors(n):
    """RGB rows (floats in [0, 1]) of the light shades used for ``n`` predicted classes."""
    from matplotlib.colors import to_rgb

    full = np.array([to_rgb(PALETTE[i % len(PALETTE)]) for i in range(n)])
    return SHADE * full + (1 - SHADE)


def predictor(classifier):
    """A function grid -> outputs for a model or object with ``predict``, or a callable."""
    predict = getattr(classifier, "predict", None)
    if callable(predict):
        try:
            params = inspect.signature(predict).parameters
        except (TypeError, ValueError):
            params = {}
        kwargs = {}
        if "verbose" in params:
            kwargs["verbose"] = 0
        if "batch_size" in params:  # one pass over the grid, not thousands of small batches
            kwargs["batch_size"] = 8192
        return lambda grid: predict(grid, **kwargs)
    if callable(classifier):
        return classifier
    raise ConfigError(
        "decision_boundary expects a classifier with a predict method (a neuropil model, a "
        f"Perceptron) or a function points -> outputs. Received: {type(classifier).__name__}"
    )


def class_labels(out, what, threshold=0.5):
    """Class labels (N,) from outputs: labels, one column of probabilities, or scores per class.

    Scores of shape (N, classes) give their arg-max; a column that is not all whole numbers is
    read as probabilities of class 1 and thresholded (``p > threshold``); whole numbers, in any
    dtype, are labels as they are (so a perceptron's -1/+1 outputs work).
    """
    out = as_numpy(out, what, "decision_boundary")
    if out.ndim == 2 and out.shape[1] > 1:
        return out.argmax(axis=1)
    if out.ndim == 2 and out.shape[1] == 1:
        out = out[:, 0]
    if out.ndim != 1:
        raise ShapeError(
            f"decision_boundary expects {what} as labels (N,), one column (N, 1) or scores "
            f"(N, classes). Received: shape {out.shape}"
        )
    if out.dtype.kind == "b":
        return out.astype(np.int64)
    if out.dtype.kind == "f":
        if not np.all(np.isfinite(out)):
            raise InvalidValueError(f"decision_boundary: {what} contain NaN or infinity.")
        if np.any(out != np.round(out)):
            return (out > threshold).astype(np.int64)
        return out.astype(np.int64)
    return out


def _bounds(column, margin):
    lo, hi = float(column.min()), float(column.max())
    pad = margin * (hi - lo) if hi > lo else 1.0
    return lo - pad, hi + pad


def decision_boundary(
    classifier, x, y=None, resolution=200, ax=None, path=None, title=None,
    feature_names=("x₁", "x₂"), class_names=None, threshold=None, margin=0.1, figsize=(7.6, 5),
):  # fmt: skip
    """Shade the plane by the class ``classifier`` predicts, draw the boundary, scatter the data.

    ``classifier`` is anything that classifies 2-D points: a neuropil model (sigmoid, softmax
    or any output), an object with ``predict`` (a perceptron) or a function points -> outputs.
    Outputs may be labels, one column of probabilities (class 1 where ``p > threshold``,
    0.5 by default; 0 for a model compiled with a ``from_logits=True`` loss, whose column holds
    logits) or scores per class (the arg-max wins). ``x`` has shape (N, 2); ``y`` (labels or
    one-hot, may be omitted) colours the points, which are drawn in their true class's colour
    and marker over the shade of the predicted class, so misclassified points stand out.
    ``resolution``
    grid points per axis are classified; ``margin`` widens the view by that share of the data
    range. Returns the Figure (draws into ``ax`` if given); ``path`` saves a PNG.

    >>> import numpy as np
    >>> import neuropil.plot as nplt
    >>> x = np.random.default_rng(0).normal(size=(40, 2)); y = (x[:, 0] > 0).astype(int)
    >>> fig = nplt.decision_boundary(lambda p: p[:, 0] > 0, x, y, resolution=40)
    >>> fig.axes[0].get_title()
    'Decision regions (accuracy on these points: 100.0%)'
    """
    x = as_numpy(x, "x", "decision_boundary")
    if x.ndim != 2 or x.shape[1] != 2 or len(x) == 0:
        raise ShapeError(
            "decision_boundary draws classifiers of 2 features: x must have shape (N, 2) with "
            f"N > 0. Received: shape {x.shape}"
        )
    if x.dtype.kind not in "fiub" or not np.all(np.isfinite(x)):
        raise InvalidValueError("decision_boundary expects finite numbers in x.")
    resolution = check_positive_int(resolution, "resolution", "decision_boundary", least=2)
    if len(feature_names) != 2:
        raise ConfigError(f"feature_names must name 2 features. Received: {feature_names!r}")
    if threshold is None:
        logits = getattr(getattr(classifier, "loss", None), "from_logits", False)
        threshold = 0.0 if logits else 0.5
    predict = predictor(classifier)
    dtype = getattr(classifier, "dtype", None) or (x.dtype if x.dtype.kind == "f" else "float64")
    (x0, x1), (y0, y1) = _bounds(x[:, 0], margin), _bounds(x[:, 1], margin)
    xs, ys = np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution)
    gx, gy = np.meshgrid(xs, ys)
    grid = np.column_stack([gx.ravel(), gy.ravel()]).astype(dtype)
    raw = as_numpy(predict(grid), "the classifier's outputs", "decision_boundary")
    predicted = class_labels(raw, "the classifier's outputs", threshold)
    if len(predicted) != len(grid):
        raise ShapeError(
            f"decision_boundary: the classifier returned {len(predicted)} outputs for "
            f"{len(grid)} points. Received: shape {np.shape(predicted)}"
        )
    truth = None if y is None else class_labels(y, "y", threshold)
    if truth is not None and len(truth) != len(x):
        raise ShapeError(
            f"decision_boundary expects one label per point: x has {len(x)} rows. "
            f"Received: {len(truth)} labels"
        )
    classes = np.unique(predicted if truth is None else np.concatenate([predicted, truth]))
    if class_names is not None and len(class_names) != len(classes):
        raise ConfigError(
            f"class_names must name the {len(classes)} classes {classes.tolist()}. "
            f"Received: {len(class_names)} names"
        )
    names = [str(c) for c in (class_names if class_names is not None else classes)]
    index = np.searchsorted(classes, predicted).reshape(resolution, resolution)

    own_figure = ax is None
    fig, ax = figure_and_axes(ax, figsize)
    dx, dy = (xs[1] - xs[0]) / 2, (ys[1] - ys[0]) / 2
    extent = (x0 - dx, x1 + dx, y0 - dy, y1 + dy)
    ax.imshow(shade_colors(len(classes))[index], origin="lower", extent=extent, aspect="auto",
              interpolation="nearest")  # fmt: skip
    column = raw.reshape(len(raw), -1)[:, 0] if raw.size == len(raw) else None
    if column is not None and column.dtype.kind == "f" and np.any(column != np.round(column)):
        # probabilities: the smooth line p = threshold, not the staircase between pixels
        ax.contour(xs, ys, column.reshape(resolution, resolution), levels=[threshold],
                   colors="black", linewidths=1.2)  # fmt: skip
    elif raw.ndim == 2 and raw.shape[1] > 1 and raw.dtype.kind == "f":
        # scores per class: where each class's score ties with the best other one (smooth)
        for c in range(raw.shape[1]):
            lead = raw[:, c] - np.delete(raw, c, axis=1).max(axis=1)
            if lead.min() < 0 < lead.max():
                ax.contour(xs, ys, lead.reshape(resolution, resolution), levels=[0.0],
                           colors="black", linewidths=1.2)  # fmt: skip
    elif len(classes) > 1:
        ax.contour(xs, ys, index, levels=np.arange(len(classes) - 1) + 0.5, colors="black",
                   linewidths=1.2)  # fmt: skip
    from matplotlib.patches import Patch

    size = 40 if len(x) <= 200 else 18 if len(x) <= 1000 else 8
    handles = []
    shades = shade_colors(len(classes))
    if truth is None:
        handles.append(ax.scatter(x[:, 0], x[:, 1], s=size, c="black", label="data"))
        handles += [
            Patch(facecolor=colour, edgecolor="0.4", label=f"predicted {names[i]}")
            for i, colour in enumerate(shades)
        ]
    else:
        for i, c in enumerate(classes):
            mask = truth == c
            if mask.any():
                handles.append(ax.scatter(
                    x[mask, 0], x[mask, 1], s=size, c=PALETTE[i % len(PALETTE)],
                    marker=MARKERS[i % len(MARKERS)], edgecolors="black", linewidths=0.6,
                    label=names[i],
                ))  # fmt: skip
            else:  # a region the model predicts but no point belongs to: name its shade
                handles.append(Patch(facecolor=shades[i], edgecolor="0.4",
                                     label=f"{names[i]} (no points)"))  # fmt: skip
    ax.set_xlim(extent[:2])
    ax.set_ylim(extent[2:])
    ax.set_xlabel(feature_names[0])
    ax.set_ylabel(feature_names[1])
    if title is None:
        title = "Decision regions"
        if truth is not None:
            on_data = class_labels(predict(x.astype(dtype)), "the classifier's outputs", threshold)
            title += f" (accuracy on these points: {100 * np.mean(on_data == truth):.1f}%)"
    ax.set_title(title)
    legend_title = None if truth is None else "points: true class\nshading: predicted"
    # beside the axes in a figure of our own; inside a given axes, not to spill onto neighbours
    place = {"loc": "upper left", "bbox_to_anchor": (1.02, 1), "borderaxespad": 0}
    ax.legend(handles=handles, title=legend_title, fontsize="small", title_fontsize="small",
              **(place if own_figure else {"loc": "best", "framealpha": 0.85}))  # fmt: skip
    return finish(fig, path)
