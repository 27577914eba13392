"""Checks that a target array can be the target of a loss, run once per ``fit`` or ``evaluate``
on the whole array (never per batch), so labels that cannot fit the loss fail with a clear
``LabelError`` naming the first bad entry instead of giving a wrong result.

>>> import numpy as np
>>> from neuropil.loss_targets import fits, numeric_targets
>>> numeric_targets([[0.0], [1.0]], "mse").shape, fits((1,), (None,))
((2, 1), True)
"""

import numpy as np

from neuropil.errors import LabelError
from neuropil.tensor import Tensor


def at(y, bad):
    """'y_true[i, j] is v' for the first True entry of ``bad``."""
    first = tuple(int(i) for i in np.argwhere(bad)[0])
    return f"y_true[{', '.join(map(str, first))}] is {y[first]}"


def numeric_targets(y_true, loss):
    """``y_true`` as a numeric array with one row per sample and no NaN or infinity."""
    y = np.asarray(y_true.data if isinstance(y_true, Tensor) else y_true)
    if y.dtype.kind not in "biuf" or y.ndim == 0:
        raise LabelError(
            f"{loss} expects a numeric array of targets, one row per sample (encode class "
            f"names as integers first). Received: y_true of dtype {y.dtype}, shape {y.shape}"
        )
    if y.dtype.kind == "f":
        bad = ~np.isfinite(y)
        if bad.any():
            raise LabelError(
                f"{loss} expects finite targets, but {at(y, bad)}. "
                f"Received: {int(bad.sum())} NaN or infinite value(s) in y_true"
            )
    return y


def same(shape, expected):
    """Equal shapes, where None in ``expected`` matches any size."""
    return len(shape) == len(expected) and all(
        e is None or s == e for s, e in zip(shape, expected, strict=True)
    )


def fits(per_sample, expected):
    """Target shape fits the output, allowing a trailing axis of size 1 on one side."""
    return (
        same(per_sample, expected)
        or (per_sample[-1:] == (1,) and same(per_sample[:-1], expected))
        or (expected[-1:] == (1,) and same(per_sample, expected[:-1]))
    )


def shape_error(y, output_shape, loss, expected, hint=""):
    expected = "(" + ", ".join(["N"] + ["?" if d is None else str(d) for d in expected]) + ")"
    return LabelError(
        f"{loss} expects targets of shape {expected} to match the model output "
        f"{output_shape} (batch axis first).{hint} Received: y_true of shape {y.shape}"
    )


def in_unit_interval(y, loss, hint):
    bad = (y < 0) | (y > 1)
    if bad.any():
        raise LabelError(
            f"{loss} expects targets in [0, 1], but {at(y, bad)}.{hint} "
            f"Received: targets from {y.min()} to {y.max()}"
        )
