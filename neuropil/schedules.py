"""Learning-rate schedules: callables mapping the optimizer's step count to a learning rate.

Pass one as ``learning_rate`` to any optimizer; the optimizer evaluates it at its
``iterations`` before each update (Keras semantics: the first update uses ``schedule(0)``).
Names, arguments and formulas follow ``keras.optimizers.schedules``; ``StepDecay`` is
neuropil's own convenience.

>>> from neuropil import optimizers, schedules
>>> lr = schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
>>> opt = optimizers.SGD(learning_rate=lr)
>>> round(lr(20), 6), opt.current_learning_rate()
(0.025, 0.1)
"""

import math
import numbers

from neuropil.backend import unknown_arguments
from neuropil.errors import ConfigError, unknown_name


def _number(owner, name, value, low=None, *, strict=False, integer=False):
    """``value`` as a float (or int), checked to be finite and >= (or >) ``low``."""
    kinds = numbers.Integral if integer else numbers.Real
    ok = isinstance(value, kinds) and not isinstance(value, bool) and math.isfinite(value)
    if ok and low is not None:
        ok = value > low if strict else value >= low
    if not ok:
        what = "an integer" if integer else "a finite number"
        if low is not None:
            what += f" {'>' if strict else '>='} {low}"
        raise ConfigError(f"{owner} expects {name} to be {what}. Received: {name}={value!r}")
    return int(value) if isinstance(value, numbers.Integral) else float(value)


def _initial(owner, value):
    return _number(owner, "initial_learning_rate", value, 0)


class LearningRateSchedule:
    """Base class: subclasses implement ``__call__(step) -> float`` and ``get_config()``.

    >>> class Halving(LearningRateSchedule):
    ...     def __call__(self, step):
    ...         return 0.1 / 2 ** step
    >>> Halving()(3)
    0.0125
    """

    name = None  # the built-in schedules take name=, as Keras's do; it changes nothing

    def __call__(self, step):
        raise NotImplementedError(f"{type(self).__name__} must implement __call__(step)")

    def get_config(self):
        raise NotImplementedError(f"{type(self).__name__} must implement get_config()")

    @classmethod
    def from_config(cls, config):
        """Rebuild a schedule from ``get_config()`` output."""
        unknown = unknown_arguments(cls, config)
        if unknown:
            raise ConfigError(f"{cls.__name__} does not take {unknown}. Received: {sorted(config)}")
        return cls(**config)


def _name(owner, name):
    if name is not None and not isinstance(name, str):
        raise ConfigError(f"{owner} expects name to be a string or None. Received: {name!r}")
    return name


class ExponentialDecay(LearningRateSchedule):
    """``initial_learning_rate * decay_rate ** (step / decay_steps)``.

    With ``staircase=True`` the exponent is ``floor(step / decay_steps)``, so the rate drops
    once every ``decay_steps`` steps.

    >>> s = ExponentialDecay(0.1, decay_steps=100, decay_rate=0.5, staircase=True)
    >>> s(0), s(99), s(100)
    (0.1, 0.1, 0.05)
    """

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False, name=None):
        owner = type(self).__name__
        self.initial_learning_rate = _initial(owner, initial_learning_rate)
        self.decay_steps = _number(owner, "decay_steps", decay_steps, 0, strict=True)
        self.decay_rate = _number(owner, "decay_rate", decay_rate, 0)
        self.staircase = bool(staircase)
        self.name = _name(owner, name)

    def _progress(self, step):
        p = float(step) / self.decay_steps
        return math.floor(p) if self.staircase else p

    def __call__(self, step):
        return self.initial_learning_rate * self.decay_rate ** self._progress(step)

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "decay_rate": self.decay_rate,
            "staircase": self.staircase,
            "name": self.name,
        }


class InverseTimeDecay(ExponentialDecay):
    """``initial_learning_rate / (1 + decay_rate * step / decay_steps)`` (floor with staircase).

    >>> s = InverseTimeDecay(0.1, decay_steps=1, decay_rate=0.5)
    >>> s(0), s(2)
    (0.1, 0.05)
    """

    def __call__(self, step):
        return self.initial_learning_rate / (1.0 + self.decay_rate * self._progress(step))


class PiecewiseConstantDecay(LearningRateSchedule):
    """``values[0]`` while ``step <= boundaries[0]``, ``values[i]`` while
    ``boundaries[i-1] < step <= boundaries[i]``, and ``values[-1]`` after the last boundary.

    >>> s = PiecewiseConstantDecay(boundaries=[10, 20], values=[1.0, 0.5, 0.1])
    >>> s(10), s(11), s(21)
    (1.0, 0.5, 0.1)
    """

    def __init__(self, boundaries, values, name=None):
        owner = type(self).__name__
        self.name = _name(owner, name)
        try:
            boundaries, values = list(boundaries), list(values)
        except TypeError:
            raise ConfigError(
                f"{owner} expects lists for boundaries and values. "
                f"Received: boundaries={boundaries!r}, values={values!r}"
            ) from None
        if len(values) != len(boundaries) + 1:
            raise ConfigError(
                f"{owner} expects one more value than boundaries. Received: "
                f"{len(boundaries)} boundaries={boundaries} and {len(values)} values={values}"
            )
        self.boundaries = [_number(owner, "boundaries", b) for b in boundaries]
        self.values = [_number(owner, "values", v, 0) for v in values]
        if any(a >= b for a, b in zip(self.boundaries[:-1], self.boundaries[1:], strict=True)):
            raise ConfigError(
                f"{owner} expects strictly increasing boundaries. Received: boundaries={boundaries}"
            )

    def __call__(self, step):
        for boundary, value in zip(self.boundaries, self.values[:-1], strict=True):
            if step <= boundary:
                return value
        return self.values[-1]

    def get_config(self):
        return {"boundaries": list(self.boundaries), "values": list(self.values), "name": self.name}


class StepDecay(LearningRateSchedule):
    """``initial_learning_rate * factor ** floor(step / step_size)``.

    neuropil's own convenience (like PyTorch's ``StepLR``, counted in optimizer steps, not
    epochs); Keras has no class of this name. It equals ``ExponentialDecay(initial_learning_rate,
    step_size, factor, staircase=True)``.

    >>> s = StepDecay(0.1, step_size=5, factor=0.1)
    >>> s(4), round(s(5), 12), round(s(10), 12)
    (0.1, 0.01, 0.001)
    """

    def __init__(self, initial_learning_rate, step_size, factor, name=None):
        owner = type(self).__name__
        self.name = _name(owner, name)
        self.initial_learning_rate = _initial(owner, initial_learning_rate)
        self.step_size = _number(owner, "step_size", step_size, 0, strict=True, integer=True)
        self.factor = _number(owner, "factor", factor, 0)

    def __call__(self, step):
        return self.initial_learning_rate * self.factor ** (int(step) // self.step_size)

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "step_size": self.step_size,
            "factor": self.factor,
            "name": self.name,
        }


class PolynomialDecay(LearningRateSchedule):
    """From ``initial_learning_rate`` to ``end_learning_rate`` over ``decay_steps`` steps:
    ``(initial - end) * (1 - min(step, decay_steps) / decay_steps) ** power + end``.

    With ``cycle=True``, ``decay_steps`` is replaced by its first multiple >= ``step``.

    >>> s = PolynomialDecay(0.1, decay_steps=10, end_learning_rate=0.0)
    >>> round(s(5), 12), s(50)
    (0.05, 0.0)
    """

    def __init__(self, initial_learning_rate, decay_steps, end_learning_rate=0.0001, power=1.0,
                 cycle=False, name=None):  # fmt: skip
        owner = type(self).__name__
        self.name = _name(owner, name)
        self.initial_learning_rate = _initial(owner, initial_learning_rate)
        self.decay_steps = _number(owner, "decay_steps", decay_steps, 0, strict=True)
        self.end_learning_rate = _number(owner, "end_learning_rate", end_learning_rate, 0)
        self.power = _number(owner, "power", power, 0)
        self.cycle = bool(cycle)

    def __call__(self, step):
        step, steps = float(step), self.decay_steps
        if self.cycle:
            steps *= max(1.0, math.ceil(step / steps))
        else:
            step = min(step, steps)
        span = self.initial_learning_rate - self.end_learning_rate
        return span * (1.0 - step / steps) ** self.power + self.end_learning_rate

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "end_learning_rate": self.end_learning_rate,
            "power": self.power,
            "cycle": self.cycle,
            "name": self.name,
        }


class CosineDecay(LearningRateSchedule):
    """Cosine decay from ``initial_learning_rate`` to ``alpha * initial_learning_rate``.

    ``lr(step) = initial * ((1 - alpha) * 0.5 * (1 + cos(pi * s / decay_steps)) + alpha)`` with
    ``s = min(step, decay_steps)``. With ``warmup_target`` set, the rate first rises linearly
    from ``initial_learning_rate`` to ``warmup_target`` over ``warmup_steps`` steps, then decays
    from ``warmup_target`` as above (as in Keras).

    >>> s = CosineDecay(0.1, decay_steps=10, alpha=0.1)
    >>> s(0), round(s(5), 12), round(s(10), 12), round(s(99), 12)
    (0.1, 0.055, 0.01, 0.01)
    """

    def __init__(self, initial_learning_rate, decay_steps, alpha=0.0, name=None,
                 warmup_target=None, warmup_steps=0):  # fmt: skip
        owner = type(self).__name__
        self.name = _name(owner, name)  # name comes before warmup_target, as in Keras
        self.initial_learning_rate = _initial(owner, initial_learning_rate)
        self.decay_steps = _number(owner, "decay_steps", decay_steps, 0, strict=True)
        self.alpha = _number(owner, "alpha", alpha, 0)
        if self.alpha > 1:
            raise ConfigError(f"{owner} expects alpha in [0, 1]. Received: alpha={alpha!r}")
        self.warmup_target = None
        if warmup_target is not None:
            self.warmup_target = _number(owner, "warmup_target", warmup_target, 0)
        self.warmup_steps = _number(owner, "warmup_steps", warmup_steps, 0)

    def __call__(self, step):
        step, start = float(step), self.initial_learning_rate
        if self.warmup_target is not None:
            if step < self.warmup_steps:
                return start + (self.warmup_target - start) * step / self.warmup_steps
            step, start = step - self.warmup_steps, self.warmup_target
        fraction = min(step, self.decay_steps) / self.decay_steps
        cosine = 0.5 * (1.0 + math.cos(math.pi * fraction))
        return start * ((1.0 - self.alpha) * cosine + self.alpha)

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "alpha": self.alpha,
            "warmup_target": self.warmup_target,
            "warmup_steps": self.warmup_steps,
            "name": self.name,
        }


class CosineDecayRestarts(LearningRateSchedule):
    """Cosine decay with warm restarts (SGDR; Loshchilov and Hutter, 2017).

    The first cycle lasts ``first_decay_steps`` steps and each later one ``t_mul`` times the one
    before; within a cycle the rate falls as in ``CosineDecay`` and at its end jumps back up,
    to ``m_mul`` times the previous cycle's starting rate. With cycle i (from 0) starting at
    step S_i = first_decay_steps * (1 + t_mul + ... + t_mul**(i-1)) and c its fraction done:

    ``lr(step) = initial * ((1 - alpha) * m_mul**i * 0.5 * (1 + cos(pi * c)) + alpha)``

    >>> s = CosineDecayRestarts(0.1, first_decay_steps=10, t_mul=2.0, m_mul=0.5)
    >>> [round(s(t), 6) for t in (0, 5, 10, 20, 30)]
    [0.1, 0.05, 0.05, 0.025, 0.025]
    """

    def __init__(self, initial_learning_rate, first_decay_steps, t_mul=2.0, m_mul=1.0, alpha=0.0,
                 name=None):  # fmt: skip
        owner = type(self).__name__
        self.initial_learning_rate = _initial(owner, initial_learning_rate)
        self.first_decay_steps = _number(owner, "first_decay_steps", first_decay_steps, 0,
                                         strict=True)  # fmt: skip
        self.t_mul = _number(owner, "t_mul", t_mul, 1)  # shorter cycles would run out of steps
        self.m_mul = _number(owner, "m_mul", m_mul, 0)
        self.alpha = _number(owner, "alpha", alpha, 0)
        if self.alpha > 1:
            raise ConfigError(f"{owner} expects alpha in [0, 1]. Received: alpha={alpha!r}")
        self.name = _name(owner, name)

    def _cycle(self, done):
        """(i, c): the cycle that ``done`` first-cycle lengths fall in and its fraction done."""
        if self.t_mul == 1.0:
            i = math.floor(done)
            return i, done - i

        def start(i):  # where cycle i starts, in first-cycle lengths: 1 + t + ... + t**(i-1)
            return (1.0 - self.t_mul**i) / (1.0 - self.t_mul)

        i = math.floor(math.log(1.0 - done * (1.0 - self.t_mul)) / math.log(self.t_mul))
        # the logarithm can land a rounding error short of a restart: settle on the cycle whose
        # start is the last one at or before ``done``
        while start(i + 1) <= done:
            i += 1
        while i > 0 and start(i) > done:
            i -= 1
        return i, (done - start(i)) / self.t_mul**i

    def __call__(self, step):
        i, c = self._cycle(max(float(step), 0.0) / self.first_decay_steps)
        cosine = 0.5 * self.m_mul**i * (1.0 + math.cos(math.pi * c))
        return self.initial_learning_rate * ((1.0 - self.alpha) * cosine + self.alpha)

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "first_decay_steps": self.first_decay_steps,
            "t_mul": self.t_mul,
            "m_mul": self.m_mul,
            "alpha": self.alpha,
            "name": self.name,
        }


_SCHEDULES = {
    cls.__name__: cls
    for cls in (
        ExponentialDecay,
        InverseTimeDecay,
        PiecewiseConstantDecay,
        StepDecay,
        PolynomialDecay,
        CosineDecay,
        CosineDecayRestarts,
    )
}


def serialize(schedule):
    """``{"class_name": ..., "config": ...}`` for a schedule (JSON-able).

    >>> serialize(StepDecay(0.1, 5, 0.5))["class_name"]
    'StepDecay'
    """
    if not isinstance(schedule, LearningRateSchedule):
        raise ConfigError(
            "serialize expects a LearningRateSchedule (a plain function cannot be saved). "
            f"Received: {schedule!r}"
        )
    return {"class_name": type(schedule).__name__, "config": schedule.get_config()}


def deserialize(config, custom_objects=None):
    """Rebuild a schedule from ``serialize`` output; ``custom_objects`` maps the names of
    ``LearningRateSchedule`` subclasses of your own to them.

    >>> deserialize({"class_name": "StepDecay", "config": {"initial_learning_rate": 0.1,
    ...              "step_size": 5, "factor": 0.5}})(5)
    0.05
    """
    if not isinstance(config, dict) or "class_name" not in config:
        raise ConfigError(
            f"deserialize expects a dict with 'class_name' and 'config'. Received: {config!r}"
        )
    name = config["class_name"]
    own = (custom_objects or {}).get(name)
    if isinstance(own, type) and issubclass(own, LearningRateSchedule):
        return own.from_config(dict(config.get("config") or {}))
    lookup = {k.lower(): v for k, v in _SCHEDULES.items()}
    if not isinstance(name, str) or name.lower() not in lookup:
        raise unknown_name("learning-rate schedule", name, _SCHEDULES)
    return lookup[name.lower()].from_config(dict(config.get("config") or {}))


def get(identifier):
    """A schedule from an instance (returned as is), a plain callable or a ``serialize`` dict.

    >>> s = StepDecay(0.1, 5, 0.5)
    >>> get(s) is s, get(serialize(s))(5)
    (True, 0.05)
    """
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if callable(identifier) and not isinstance(identifier, type):
        return identifier
    if isinstance(identifier, str):
        if identifier.lower() in {k.lower() for k in _SCHEDULES}:
            raise ConfigError(
                f"Schedule {identifier!r} needs arguments; create it as an object, e.g. "
                f"StepDecay(0.1, step_size=10, factor=0.5). Received: {identifier!r}"
            )
        raise unknown_name("learning-rate schedule", identifier, _SCHEDULES)
    raise ConfigError(
        f"get expects a schedule object, a callable or a serialized dict. Received: {identifier!r}"
    )
