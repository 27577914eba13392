"""The run folder ``neuropil train`` writes, beside ``model.npil`` and ``history.csv``.

- ``metrics.json``: the settings of the run, the test loss and accuracy, the accuracy of every
  class, the confusion matrix (rows: true class, columns: predicted class) and the last
  epoch's training logs;
- ``loss.png`` and ``accuracy.png``: training and validation curves per epoch;
- ``confusion_matrix.png``: the test confusion matrix with its counts.

The figures come from ``neuropil.plot`` on matplotlib's Agg backend (no display needed); without
matplotlib (``pip install neuropil[plot]``) the run is written without them and a note says so.

>>> import json, os, tempfile, numpy as np
>>> folder = tempfile.mkdtemp()
>>> written = write_run(folder, {"test_accuracy": 0.75}, {"loss": [0.9, 0.5]},
...                     np.array([0, 1, 1, 0]), np.array([0, 1, 0, 0]), 2, plots=False)
>>> written, json.load(open(os.path.join(folder, "metrics.json")))["confusion_matrix"]
(['metrics.json'], [[2, 0], [1, 1]])
"""

import json
import os
import sys


def write_run(folder, run, history, y_true, y_pred, classes, plots=True):
    """Write metrics.json (and the plots); returns the names of the files written, in order."""
    from neuropil import __version__
    from neuropil.metrics import confusion_matrix

    matrix = confusion_matrix(y_true, y_pred, num_classes=classes)
    totals = matrix.sum(axis=1)
    per_class = [float(matrix[i, i] / totals[i]) if totals[i] else None for i in range(classes)]
    metrics = {
        "neuropil_version": __version__,
        **run,
        "per_class_accuracy": per_class,
        "confusion_matrix": matrix.tolist(),
        "final_epoch": {key: float(values[-1]) for key, values in history.items() if values},
    }
    written = ["model.npil", "history.csv"]
    written = [name for name in written if os.path.exists(os.path.join(folder, name))]
    lines = [f"  {json.dumps(key)}: {json.dumps(value)}" for key, value in metrics.items()]
    with open(os.path.join(folder, "metrics.json"), "w", encoding="utf-8") as f:
        f.write("{\n" + ",\n".join(lines) + "\n}\n")  # one line per entry
    written.append("metrics.json")
    if plots:
        written += _plots(folder, history, y_true, y_pred, classes, run)
    return written


def _plots(folder, history, y_true, y_pred, classes, run):
    """loss.png, accuracy.png and confusion_matrix.png, drawn by ``neuropil.plot``."""
    try:
        import matplotlib
    except ImportError:
        print("neuropil: note: plots skipped; they need matplotlib (pip install neuropil[plot])",
              file=sys.stderr)  # fmt: skip
        return []
    if "matplotlib.pyplot" not in sys.modules:
        matplotlib.use("Agg")  # files only: never open a window or load a GUI toolkit
    import matplotlib.pyplot as plt

    import neuropil.plot as nplt

    written = []
    for key in ("loss", "accuracy"):
        if history.get(key):
            title = f"{run.get('model', 'model')} on {run.get('dataset', 'the data')}"
            figure = nplt.history(history, metrics=[key], figsize=(6.4, 4.2), title=title)
            written.append(_save(plt, figure, folder, f"{key}.png"))
    title = f"Confusion matrix, {len(y_true):,} test images"
    if "test_accuracy" in run:
        title += f" (accuracy {run['test_accuracy']:.4f})"
    figure = nplt.confusion_matrix(y_true, y_pred, labels=range(classes), title=title)
    written.append(_save(plt, figure, folder, "confusion_matrix.png"))
    return written


def _save(plt, figure, folder, name):
    figure.savefig(os.path.join(folder, name), dpi=100, bbox_inches="tight", facecolor="white")
    plt.close(figure)
    return name
