"""Three options every optimizer takes, as in Keras 3: gradient accumulation, a moving average
of the weights (EMA), and weight decay that leaves some weights out.

- ``gradient_accumulation_steps=n``: ``step`` adds the gradients into an accumulator and changes
  the weights only at every n-th call, with the mean of the n gradients (clipped and decayed
  then). As in Keras 3, ``iterations`` counts those updates (Adam's bias correction sees
  them) while a learning-rate schedule counts the calls. Training with batches of b then
  moves like batches of n*b.
- ``use_ema=True``: after each call, ``average = m * average + (1 - m) * w`` with
  ``m = ema_momentum`` (0 at the first call, so the average starts at the weights). ``fit``
  ends by copying the average into the weights (``finalize_variable_values``); with
  ``ema_overwrite_frequency=k`` they are also copied every k calls.
- ``exclude_from_weight_decay(var_list, var_names)``: the weights given, or whose names match
  one of the regular expressions in ``var_names`` (``["bias"]``: every bias), are not decayed.

>>> import neuropil as npl
>>> from neuropil.optimizers import SGD
>>> w = npl.Tensor([1.0], requires_grad=True)
>>> opt = SGD(learning_rate=0.1, gradient_accumulation_steps=2, params=[w])
>>> for g in (1.0, 3.0):
...     w.grad[...] = g; opt.step()
>>> opt.iterations, w.data  # one update, with the mean gradient 2
(1, array([0.8], dtype=float32))
"""

import numbers
import re

import numpy as np

from neuropil.backend import optional_count
from neuropil.errors import ConfigError

ACCUMULATED, AVERAGE = "accumulated_gradient", "average"  # the state slots they keep


def check_options(owner, use_ema, ema_momentum, ema_overwrite_frequency, accumulation_steps):
    """The four settings, checked as Keras checks them; ConfigError names the bad one."""
    if not isinstance(use_ema, (bool, np.bool_)):
        raise ConfigError(
            f"{owner} expects use_ema to be True or False. Received: use_ema={use_ema!r}"
        )
    ok = isinstance(ema_momentum, numbers.Real) and not isinstance(ema_momentum, bool)
    if not (ok and 0 <= ema_momentum <= 1):
        raise ConfigError(
            f"{owner} expects ema_momentum to be a number in [0, 1]. "
            f"Received: ema_momentum={ema_momentum!r}"
        )
    return (
        bool(use_ema),
        float(ema_momentum),
        optional_count(ema_overwrite_frequency, "ema_overwrite_frequency", owner, 1),
        optional_count(accumulation_steps, "gradient_accumulation_steps", owner, 2),
    )


def slots(optimizer):
    """The state arrays the options need, as (name, initial value)."""
    needed = []
    if optimizer.gradient_accumulation_steps:
        needed.append((ACCUMULATED, 0.0))
    if optimizer.use_ema:
        needed.append((AVERAGE, 0.0))
    return needed


def accumulate(optimizer, grads):
    """Add ``grads`` into the accumulators; on an update call (every n-th), the mean of the n
    gradients (the accumulators, divided in place), else None."""
    steps = optimizer.gradient_accumulation_steps
    sums = [grp.state[ACCUMULATED] for grp in optimizer._groups]
    for total, g in zip(sums, grads, strict=True):
        total += g
    optimizer.accumulated_calls += 1
    if optimizer.accumulated_calls < steps:
        return None
    optimizer.accumulated_calls = 0
    return [np.divide(total, total.dtype.type(steps), out=total) for total in sums]


def reset_accumulators(optimizer):
    for grp in optimizer._groups:
        grp.state[ACCUMULATED].fill(0)


def update_average(optimizer):
    """``average = m * average + (1 - m) * w`` (m = 0 at the first call), then the weights
    take the average every ``ema_overwrite_frequency`` calls."""
    for grp in optimizer._groups:
        c, average, part = grp.data.dtype.type, grp.state[AVERAGE], grp.scratch[0]
        m = c(optimizer.ema_momentum if optimizer.iterations else 0.0)
        np.multiply(grp.data, c(1) - m, out=part)  # 1 - m in the weights' precision, as Keras
        average *= m
        average += part
    frequency = optimizer.ema_overwrite_frequency
    if frequency and (optimizer.iterations + 1) % frequency == 0:
        copy_average(optimizer)


def copy_average(optimizer, params=None):
    """Copy the moving average into the weights (of ``params``, or every built one)."""
    chosen = None if params is None else {id(p) for p in params}
    for grp in optimizer._groups:
        for j, p in enumerate(grp.params):
            if chosen is None or id(p) in chosen:
                grp.data[grp.slices[j]] = grp.state[AVERAGE][grp.slices[j]]


def set_exclusions(optimizer, var_list, var_names):
    """Record which weights weight decay leaves out (before ``build``, as in Keras)."""
    owner = type(optimizer).__name__
    if optimizer.built:
        raise ConfigError(
            f"{owner}.exclude_from_weight_decay must be called before the optimizer is built "
            "(before fit, or build(params)). Received: a call on a built optimizer"
        )
    names = [] if var_names is None else [var_names] if isinstance(var_names, str) else var_names
    try:
        names = list(names)
        for n in names:
            re.compile(n)
    except (TypeError, re.error) as err:
        raise ConfigError(
            f"{owner}.exclude_from_weight_decay expects var_names to be a list of regular "
            f"expressions ({err}). Received: var_names={var_names!r}"
        ) from None
    optimizer._excluded = (list(var_list or []), names)


def decayed_slices(optimizer, grp):
    """The slices of ``grp``'s flat buffer that weight decay acts on; None for all of them."""
    excluded, names = optimizer._excluded
    ids, patterns = {id(p) for p in excluded}, [re.compile(n) for n in names]

    def left_out(p):
        return id(p) in ids or any(pt.search(p.name or "") for pt in patterns)

    if not any(left_out(p) for p in grp.params):
        return None
    return [sl for p, sl in zip(grp.params, grp.slices, strict=True) if not left_out(p)]
