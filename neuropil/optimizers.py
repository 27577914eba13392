"""Optimizers with Keras 3 names, defaults and update formulas: SGD, Adagrad, Adadelta, RMSprop,
Adam and AdamW, plus ``get``/``serialize``/``deserialize`` by name.

Each updates all its parameters at once, in place, on flat buffers (see
``neuropil.optimizer_base``). Use them through ``model.compile(optimizer=...)`` or in a
PyTorch-style loop: ``opt.zero_grad(); loss.backward(); opt.step()``. A parameter whose
``grad`` is ``None`` at ``step`` is skipped (neither it nor its state changes), as in Keras and
PyTorch.

>>> import neuropil as npl
>>> from neuropil import optimizers
>>> w = npl.Tensor([[1.0, 2.0]], requires_grad=True)
>>> opt = optimizers.get("adam")
>>> opt.learning_rate = 0.1
>>> opt.build([w])
>>> for _ in range(3):
...     opt.zero_grad(); (w * w).sum().backward(); opt.step()
>>> opt.iterations, w.data.round(2)
(3, array([[0.7, 1.7]], dtype=float32))
"""

import math

import numpy as np

from neuropil.errors import ConfigError, unknown_name
from neuropil.optimizer_base import Optimizer, _hyper

__all__ = [
    "Optimizer", "SGD", "Adagrad", "Adadelta", "RMSprop", "Adam", "AdamW",
    "get", "serialize", "deserialize",
]  # fmt: skip


class SGD(Optimizer):
    """Gradient descent, optionally with momentum or Nesterov momentum (Keras formulas).

    Without momentum ``w -= lr * g``. With momentum the velocity ``v`` (zero at first) follows
    ``v = momentum * v - lr * g`` and ``w += v``; with ``nesterov=True``,
    ``w += momentum * v - lr * g``. PyTorch's momentum buffer is ``-v / lr`` for a constant rate,
    so the two give the same weights.

    Full-batch gradient descent, stochastic gradient descent and mini-batch SGD are all this
    optimizer: ``model.fit(..., batch_size=n)`` with ``n`` the number of training samples gives
    full-batch gradient descent, ``batch_size=1`` stochastic gradient descent and
    ``batch_size=k`` mini-batch SGD.

    >>> import neuropil as npl
    >>> w = npl.Tensor([1.0, -2.0], requires_grad=True)
    >>> opt = SGD(learning_rate=0.1, params=[w])
    >>> opt.zero_grad(); (w * w).sum().backward(); opt.step()
    >>> w.data
    array([ 0.8, -1.6], dtype=float32)
    """

    _config_keys = ("momentum", "nesterov")
    _n_scratch = 2

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, **kwargs):
        self.momentum = _hyper("SGD", "momentum", momentum, "[0,1]")
        self.nesterov = bool(nesterov)
        super().__init__(learning_rate, **kwargs)

    def _slots(self):
        return [("momentum", 0.0)] if self.momentum else []

    def _update(self, grp, w, g, lr):
        c, step = w.dtype.type, grp.scratch[0]
        np.multiply(g, c(lr), out=step)
        if not self.momentum:
            w -= step
            return
        v = self._slot(grp, "momentum")
        v *= c(self.momentum)
        v -= step
        if self.nesterov:
            ahead = grp.scratch[1]
            np.multiply(v, c(self.momentum), out=ahead)
            ahead -= step
            w += ahead
        else:
            w += v


class Adagrad(Optimizer):
    """Adagrad: ``acc += g**2; w -= lr * g / sqrt(acc + epsilon)``, acc starting at
    ``initial_accumulator_value`` (Keras puts epsilon inside the root; PyTorch adds it outside).

    >>> import neuropil as npl
    >>> w = npl.Tensor([3.0], requires_grad=True)
    >>> opt = Adagrad(learning_rate=0.1, initial_accumulator_value=0.0, epsilon=0.0, params=[w])
    >>> opt.zero_grad(); (w * w).sum().backward(); opt.step(); w.data
    array([2.9], dtype=float32)
    """

    _config_keys = ("initial_accumulator_value", "epsilon")

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7, **kwargs):
        init = initial_accumulator_value
        self.initial_accumulator_value = _hyper("Adagrad", "initial_accumulator_value", init)
        self.epsilon = _hyper("Adagrad", "epsilon", epsilon)
        super().__init__(learning_rate, **kwargs)

    def _slots(self):
        return [("accumulator", self.initial_accumulator_value)]

    def _update(self, grp, w, g, lr):
        c, t = w.dtype.type, grp.scratch[0]
        acc = self._slot(grp, "accumulator", self.initial_accumulator_value)
        np.multiply(g, g, out=t)
        acc += t
        np.add(acc, c(self.epsilon), out=t)
        np.sqrt(t, out=t)
        np.divide(g, t, out=t)
        t *= c(lr)
        w -= t


class Adadelta(Optimizer):
    """Adadelta (Keras form, the same as PyTorch's):

    ``E[g²] = rho E[g²] + (1-rho) g²``; ``d = sqrt(E[d²] + eps) / sqrt(E[g²] + eps) * g``;
    ``E[d²] = rho E[d²] + (1-rho) d²``; ``w -= lr * d``. Use ``learning_rate=1.0`` for the
    paper's form.

    >>> import neuropil as npl
    >>> w = npl.Tensor([1.0], requires_grad=True)
    >>> opt = Adadelta(learning_rate=1.0, params=[w])
    >>> opt.zero_grad(); (w * w).sum().backward(); opt.step(); bool(w.data[0] < 1.0)
    True
    """

    _config_keys = ("rho", "epsilon")
    _n_scratch = 2

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-7, **kwargs):
        self.rho = _hyper("Adadelta", "rho", rho, "[0,1]")
        self.epsilon = _hyper("Adadelta", "epsilon", epsilon)
        super().__init__(learning_rate, **kwargs)

    def _slots(self):
        return [("accumulated_grad", 0.0), ("accumulated_delta", 0.0)]

    def _update(self, grp, w, g, lr):
        c, (t, u) = w.dtype.type, grp.scratch
        rho, eps = c(self.rho), c(self.epsilon)
        eg, ed = self._slot(grp, "accumulated_grad"), self._slot(grp, "accumulated_delta")
        eg *= rho
        np.multiply(g, g, out=t)
        t *= c(1.0 - self.rho)
        eg += t
        np.add(ed, eps, out=t)
        np.sqrt(t, out=t)
        t *= g
        np.add(eg, eps, out=u)
        np.sqrt(u, out=u)
        t /= u  # t is now the step d
        ed *= rho
        np.multiply(t, t, out=u)
        u *= c(1.0 - self.rho)
        ed += u
        t *= c(lr)
        w -= t


class RMSprop(Optimizer):
    """RMSprop (Keras form): ``v = rho v + (1-rho) g²``; ``step = lr g / sqrt(v + eps)``.

    ``centered=True`` also tracks ``a = rho a + (1-rho) g`` and divides by
    ``sqrt(v - a² + eps)``. With ``momentum > 0``: ``m = momentum m + step; w -= m``;
    otherwise ``w -= step``. PyTorch adds epsilon outside the root and multiplies by the rate
    after the momentum buffer; with ``epsilon=0`` and a constant rate the two agree.

    >>> import neuropil as npl
    >>> w = npl.Tensor([1.0], requires_grad=True)
    >>> opt = RMSprop(learning_rate=0.01, epsilon=0.0, params=[w])
    >>> opt.zero_grad(); (w * w).sum().backward(); opt.step(); w.data.round(4)
    array([0.9684], dtype=float32)
    """

    _config_keys = ("rho", "momentum", "epsilon", "centered")

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7,
                 centered=False, **kwargs):  # fmt: skip
        self.rho = _hyper("RMSprop", "rho", rho, "[0,1]")
        self.momentum = _hyper("RMSprop", "momentum", momentum, "[0,1]")
        self.epsilon = _hyper("RMSprop", "epsilon", epsilon)
        self.centered = bool(centered)
        super().__init__(learning_rate, **kwargs)

    def _slots(self):
        return ([("velocity", 0.0)] + [("momentum", 0.0)] * (self.momentum > 0)
                + [("average_gradient", 0.0)] * self.centered)  # fmt: skip

    def _update(self, grp, w, g, lr):
        c, t = w.dtype.type, grp.scratch[0]
        rho, keep = c(self.rho), c(1.0 - self.rho)
        v = self._slot(grp, "velocity")
        v *= rho
        np.multiply(g, g, out=t)
        t *= keep
        v += t
        if self.centered:
            a = self._slot(grp, "average_gradient")
            a *= rho
            np.multiply(g, keep, out=t)
            a += t
            np.multiply(a, a, out=t)
            np.subtract(v, t, out=t)
            t += c(self.epsilon)
        else:
            np.add(v, c(self.epsilon), out=t)
        np.sqrt(t, out=t)
        np.divide(g, t, out=t)
        t *= c(lr)
        if self.momentum > 0:
            m = self._slot(grp, "momentum")
            m *= c(self.momentum)
            m += t
            t = m
        w -= t


class Adam(Optimizer):
    """Adam (Keras form): ``m += (1-beta_1)(g - m)``, ``v += (1-beta_2)(g² - v)``,
    ``w -= alpha m / (sqrt(v) + epsilon)`` with ``alpha = lr sqrt(1 - beta_2^t) / (1 - beta_1^t)``
    at step ``t = iterations + 1``.

    The bias correction sits in ``alpha``, so epsilon is compared with the uncorrected
    ``sqrt(v)``; PyTorch compares it with the corrected one (the same when ``epsilon=0``).
    ``amsgrad=True`` divides by the running maximum of ``v`` instead. The default learning rate
    is Keras's 0.001 (the course notes say 0.01; Keras wins).

    >>> import neuropil as npl
    >>> w = npl.Tensor([1.0, -1.0], requires_grad=True)
    >>> opt = Adam(learning_rate=0.1, params=[w])
    >>> opt.zero_grad(); (w * w).sum().backward(); opt.step(); w.data.round(4)
    array([ 0.9, -0.9], dtype=float32)
    """

    _config_keys = ("beta_1", "beta_2", "epsilon", "amsgrad")

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 amsgrad=False, **kwargs):  # fmt: skip
        name = type(self).__name__
        self.beta_1 = _hyper(name, "beta_1", beta_1, "[0,1)")
        self.beta_2 = _hyper(name, "beta_2", beta_2, "[0,1)")
        self.epsilon = _hyper(name, "epsilon", epsilon)
        self.amsgrad = bool(amsgrad)
        super().__init__(learning_rate, **kwargs)

    def _slots(self):
        return [("momentum", 0.0), ("velocity", 0.0)] + [("velocity_hat", 0.0)] * self.amsgrad

    def _update(self, grp, w, g, lr):
        c, t = w.dtype.type, grp.scratch[0]
        step = self.iterations + 1
        alpha = lr * math.sqrt(1.0 - self.beta_2**step) / (1.0 - self.beta_1**step)
        m, v = self._slot(grp, "momentum"), self._slot(grp, "velocity")
        np.subtract(g, m, out=t)
        t *= c(1.0 - self.beta_1)
        m += t
        np.multiply(g, g, out=t)
        t -= v
        t *= c(1.0 - self.beta_2)
        v += t
        if self.amsgrad:
            v = np.maximum(self._slot(grp, "velocity_hat"), v, out=grp.state["velocity_hat"])
        np.sqrt(v, out=t)
        t += c(self.epsilon)
        np.divide(m, t, out=t)
        t *= c(alpha)
        w -= t


class AdamW(Adam):
    """Adam with decoupled weight decay: ``w -= lr * weight_decay * w`` before each Adam update.

    Same as Keras's ``AdamW`` and PyTorch's (``weight_decay`` default 0.004 as in Keras; PyTorch
    uses 0.01).

    >>> import neuropil as npl
    >>> w = npl.Tensor([1.0], requires_grad=True)
    >>> opt = AdamW(learning_rate=0.1, weight_decay=0.5, params=[w])
    >>> opt.zero_grad(); opt.step(); w.data  # zero gradient: only the decay acts
    array([0.95], dtype=float32)
    """

    def __init__(self, learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-7, amsgrad=False, **kwargs):  # fmt: skip
        if weight_decay is None:
            raise ConfigError("AdamW expects weight_decay to be a number >= 0. Received: None")
        super().__init__(learning_rate, beta_1, beta_2, epsilon, amsgrad,
                         weight_decay=weight_decay, **kwargs)  # fmt: skip


_OPTIMIZERS = {cls.__name__.lower(): cls for cls in (SGD, Adagrad, Adadelta, RMSprop, Adam, AdamW)}


def serialize(optimizer):
    """``{"class_name": ..., "config": ...}`` for an optimizer (JSON-able).

    >>> serialize(Adam())["config"]["beta_2"]
    0.999
    """
    if not isinstance(optimizer, Optimizer):
        raise ConfigError(f"serialize expects an Optimizer. Received: {optimizer!r}")
    return {"class_name": type(optimizer).__name__, "config": optimizer.get_config()}


def deserialize(config, custom_objects=None):
    """An optimizer from ``serialize`` output; ``custom_objects`` maps the names of your own
    ``Optimizer`` or ``LearningRateSchedule`` subclasses to them.

    >>> type(deserialize({"class_name": "RMSprop", "config": {"rho": 0.8}})).__name__
    'RMSprop'
    """
    if not isinstance(config, dict) or "class_name" not in config:
        raise ConfigError(
            f"deserialize expects a dict with 'class_name' and 'config'. Received: {config!r}"
        )
    name = config["class_name"]
    own = (custom_objects or {}).get(name)
    if isinstance(own, type) and issubclass(own, Optimizer):
        cls = own
    elif not isinstance(name, str) or name.lower() not in _OPTIMIZERS:
        raise unknown_name("optimizer", name, _OPTIMIZERS)
    else:
        cls = _OPTIMIZERS[name.lower()]
    return cls.from_config(dict(config.get("config") or {}), custom_objects)


def get(identifier):
    """An optimizer from an instance (returned as is), a name, a class or ``serialize`` output.

    Names are case-insensitive: ``"sgd"``, ``"adagrad"``, ``"adadelta"``, ``"rmsprop"``,
    ``"adam"``, ``"adamw"`` (so the class names work too); they give Keras's defaults.

    >>> get("Adam").learning_rate, type(get("RMSprop")).__name__
    (0.001, 'RMSprop')
    """
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Optimizer):
        return identifier()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        if identifier.lower() not in _OPTIMIZERS:
            raise unknown_name("optimizer", identifier, _OPTIMIZERS)
        return _OPTIMIZERS[identifier.lower()]()
    raise ConfigError(
        f"get expects an optimizer, its name or a serialized dict. Received: {identifier!r}"
    )
