"""The optimizer base class: learning rate, flat parameter buffers, clipping, config and state.

``build(params)`` packs all parameters of one dtype into one contiguous flat array and rebinds
each ``p.data`` and ``p.grad`` to a view of it. Backward adds into ``p.grad`` with ``+=``, so the
gradients land in the flat buffer; ``zero_grad`` is one ``fill(0)`` and ``step`` a handful of
in-place NumPy operations over every parameter together. If code rebinds ``p.data`` or ``p.grad``
to another array, the next ``step`` copies it into the buffer and re-points the attribute.
A parameter whose ``grad`` is ``None`` at ``step`` is skipped, as in Keras and PyTorch: neither it
nor its optimizer state (momentum, ...) changes. After ``zero_grad()`` every gradient is a zero
array, so a parameter that backward did not reach gets a zero-gradient update, like PyTorch's
``zero_grad(set_to_none=False)``.

The optimizers themselves (SGD, Adam, ...) live in ``neuropil.optimizers``.

>>> import neuropil as npl
>>> from neuropil.optimizers import SGD
>>> a, b = npl.Tensor([1.0, 2.0], requires_grad=True), npl.Tensor([[3.0]], requires_grad=True)
>>> opt = SGD(params=[a, b])
>>> a.data.base is b.data.base  # both are views of one flat buffer
True
"""

import inspect
import math
import numbers

import numpy as np

from neuropil import backend, schedules
from neuropil.errors import ConfigError, NotReadyError, ShapeError
from neuropil.tensor import Tensor

_RULES = {
    ">=0": (lambda v: v >= 0, ">= 0"),
    ">0": (lambda v: v > 0, "> 0"),
    "[0,1]": (lambda v: 0 <= v <= 1, "in [0, 1]"),
    "[0,1)": (lambda v: 0 <= v < 1, "in [0, 1)"),
}


def _hyper(owner, name, value, rule=">=0", allow_none=False):
    """``value`` as a float, or a ConfigError naming ``name`` if it breaks ``rule``."""
    if value is None and allow_none:
        return None
    test, text = _RULES[rule]
    number = isinstance(value, numbers.Real) and not isinstance(value, bool)
    if not (number and math.isfinite(value) and test(value)):
        raise ConfigError(
            f"{owner} expects {name} to be a number {text}. Received: {name}={value!r}"
        )
    return float(value)


def _takes_step(fn, owner):
    """Whether a callable learning rate takes the step count (a schedule) or nothing (Keras's
    plain callable); neither is a ConfigError now rather than a TypeError at the first step."""
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):  # some built-ins do not say: call them with the step
        return True
    for arguments in ((0,), ()):
        try:
            signature.bind(*arguments)
            return bool(arguments)
        except TypeError:
            pass
    raise ConfigError(
        f"{owner} expects learning_rate to be a number, a schedule (a callable of the step "
        f"count) or a callable of no arguments. Received: {fn!r} with arguments {signature}"
    )


class _Group:
    """The built parameters of one dtype, packed into flat ``data`` and ``grad`` arrays."""

    __slots__ = ("params", "index", "data", "grad", "data_views", "grad_views", "slices",
                 "state", "scratch", "clip")  # fmt: skip


class Optimizer:
    """Base class: learning rate (float or schedule), build, step, zero_grad, config and state.

    Subclasses define ``_update(group, w, g, lr)``, an in-place update of the flat weights ``w``
    from the flat gradients ``g``. Keyword arguments shared by all optimizers:

    - ``weight_decay``: decoupled decay ``w -= lr * weight_decay * w`` before each update
      (Keras applies it the same way); ``None`` for none.
    - ``clipnorm``: scale each parameter's gradient to an L2 norm of at most ``clipnorm``;
      ``clipvalue``: clip each gradient entry to [-clipvalue, clipvalue]; ``global_clipnorm``:
      scale all gradients together to a joint norm of at most ``global_clipnorm``. At most one of
      the three. ``p.grad`` itself is left unclipped.
    - ``params``: a list of Tensors to ``build`` right away (PyTorch style).

    >>> import neuropil as npl
    >>> from neuropil.optimizers import SGD
    >>> opt = SGD(learning_rate=0.5, clipvalue=1.0)
    >>> opt.get_config()["clipvalue"], opt.current_learning_rate()
    (1.0, 0.5)
    """

    _config_keys = ()
    _n_scratch = 1

    def __init__(self, learning_rate, *, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, params=None):  # fmt: skip
        name = type(self).__name__
        self.learning_rate = learning_rate
        self.weight_decay = _hyper(name, "weight_decay", weight_decay, ">=0", allow_none=True)
        self.clipnorm = _hyper(name, "clipnorm", clipnorm, ">0", allow_none=True)
        self.clipvalue = _hyper(name, "clipvalue", clipvalue, ">0", allow_none=True)
        self.global_clipnorm = _hyper(name, "global_clipnorm", global_clipnorm, ">0", True)
        clips = [c for c in ("clipnorm", "clipvalue", "global_clipnorm") if getattr(self, c)]
        if len(clips) > 1:
            raise ConfigError(
                f"{name} accepts at most one of clipnorm, clipvalue and global_clipnorm. "
                f"Received: {', '.join(f'{c}={getattr(self, c)}' for c in clips)}"
            )
        self.iterations = 0
        self.params = []
        self._groups = []
        self._built = False
        self._pending_state = None
        if params is not None:
            self.build(params)

    # -- learning rate -------------------------------------------------------------------------
    @property
    def learning_rate(self):
        """A float, or a schedule (callable of the step count); assigning a float replaces it."""
        return self._learning_rate

    @learning_rate.setter
    def learning_rate(self, value):
        if isinstance(value, dict):
            value = schedules.deserialize(value)
        if callable(value) and not isinstance(value, type):
            self._lr_takes_step = _takes_step(value, type(self).__name__)
            self._learning_rate = value
        else:
            self._learning_rate = _hyper(type(self).__name__, "learning_rate", value)

    def current_learning_rate(self):
        """The learning rate the next ``step`` uses: a schedule is evaluated at ``iterations``,
        a function of no arguments (Keras's callable learning rate) is called as it is."""
        lr = self._learning_rate
        if not callable(lr):
            return lr
        return float(lr(self.iterations) if self._lr_takes_step else lr())

    # -- building ------------------------------------------------------------------------------
    @property
    def built(self):
        """True once ``build`` has packed a list of parameters."""
        return self._built

    def build(self, params):
        """Pack ``params`` (Tensors with ``requires_grad=True``) into flat buffers and make state.

        Each ``p.data`` and ``p.grad`` becomes a view of the buffers (an existing gradient is
        kept, a missing one starts at zero). Building again with the same list does nothing.
        With a different list (a layer frozen or unfrozen, then ``compile`` again), as in
        Keras, ``iterations`` (and so a schedule's step) go on and every parameter that was
        already built keeps its state (momentum, moments, ...); new ones start fresh.
        """
        params = self._check_params(params)
        if self._built and len(params) == len(self.params):
            if all(a is b for a, b in zip(params, self.params, strict=True)):
                return
        kept = self._state_by_param() if self._built else {}
        by_dtype = {}
        for i, p in enumerate(params):
            by_dtype.setdefault(p.data.dtype, []).append(i)
        self._groups = [self._make_group(params, index, dt) for dt, index in by_dtype.items()]
        self.params, self._built = params, True
        for grp in self._groups:
            for j, p in enumerate(grp.params):
                for name, values in kept.get(id(p), {}).items():
                    if name in grp.state:
                        grp.state[name][grp.slices[j]] = values
        if self._pending_state is not None:
            state, self._pending_state = self._pending_state, None
            try:
                self.set_state(state)
            except Exception:  # a state that does not fit: unbuilt again, the state still kept
                self._groups, self.params, self._built = [], [], False
                self._pending_state = state
                raise

    def _state_by_param(self):
        """{id(parameter): {slot: copy of its state}} for every built parameter."""
        return {
            id(p): {name: flat[grp.slices[j]].copy() for name, flat in grp.state.items()}
            for grp in self._groups
            for j, p in enumerate(grp.params)
        }

    def _check_params(self, params):
        name = type(self).__name__
        if isinstance(params, (Tensor, np.ndarray)) or not hasattr(params, "__iter__"):
            raise ConfigError(f"{name}.build expects a list of Tensors. Received: {params!r}")
        params = list(params)
        for i, p in enumerate(params):
            if not isinstance(p, Tensor) or not p.requires_grad:
                raise ConfigError(
                    f"{name}.build expects Tensors with requires_grad=True; item {i} is not. "
                    f"Received: {type(p).__name__}"
                    + (f" with requires_grad={p.requires_grad}" if isinstance(p, Tensor) else "")
                )
        if len({id(p) for p in params}) != len(params):
            raise ConfigError(f"{name}.build received the same Tensor twice. Received: {params}")
        return params

    def _make_group(self, params, index, dtype):
        grp = _Group()
        sizes = [params[i].data.size for i in index]
        bounds = np.concatenate([[0], np.cumsum(sizes)]).astype(int).tolist()
        grp.params, grp.index = [params[i] for i in index], index
        grp.data, grp.grad = np.empty(bounds[-1], dtype), np.zeros(bounds[-1], dtype)
        grp.slices = [slice(a, b) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
        grp.data_views, grp.grad_views = [], []
        for j, (p, sl) in enumerate(zip(grp.params, grp.slices, strict=True)):
            grp.data_views.append(grp.data[sl].reshape(p.data.shape))
            grp.grad_views.append(grp.grad[sl].reshape(p.data.shape))
            self._gather(grp, j, "data", p.data)
            if p.grad is not None:
                self._gather(grp, j, "grad", p.grad)
            p.data, p.grad = grp.data_views[j], grp.grad_views[j]
        grp.state = {}
        for slot, init in self._slots():
            self._slot(grp, slot, init)
        grp.scratch = [np.empty_like(grp.data) for _ in range(self._n_scratch)]
        grp.clip = None
        return grp

    def _gather(self, grp, j, what, array):
        view = grp.data_views[j] if what == "data" else grp.grad_views[j]
        array = np.asarray(array)
        if array.shape != view.shape:
            raise ShapeError(
                f"{type(self).__name__}: parameter {grp.index[j]} has {what} of shape "
                f"{array.shape} but was built with shape {view.shape}; rebuild the optimizer "
                f"after changing a weight's shape. Received: shape {array.shape}"
            )
        view[...] = array

    def _slots(self):
        """(name, initial value) of each per-parameter state array."""
        return []

    @staticmethod
    def _slot(grp, name, init=0.0):
        array = grp.state.get(name)
        if array is None:
            array = grp.state[name] = np.full_like(grp.data, init)
        return array

    # -- stepping ------------------------------------------------------------------------------
    def zero_grad(self):
        """Set every gradient to zero (one ``fill(0)`` per dtype; ``p.grad`` stays an array)."""
        for grp in self._groups:
            grp.grad.fill(0)
            for p, view in zip(grp.params, grp.grad_views, strict=True):
                if p.grad is not view:
                    p.grad = view

    def step(self):
        """Update every built parameter from its ``.grad`` in place; ``iterations += 1``."""
        if not self._built:
            raise NotReadyError(
                f"{type(self).__name__}.step() needs the parameters first: call build(params) "
                "or pass params= to the constructor. Received: an optimizer with no parameters"
            )
        lr = self.current_learning_rate()
        skipped = [self._sync(grp) for grp in self._groups]
        grads = self._clipped_grads()
        for grp, g, skip in zip(self._groups, grads, skipped, strict=True):
            saved = self._save(grp, skip) if skip else None
            if self.weight_decay:
                grp.data *= grp.data.dtype.type(1.0 - lr * self.weight_decay)
            self._update(grp, grp.data, g, lr)
            if saved:
                for array, sl, copy in saved:
                    array[sl] = copy
        self.iterations += 1

    def _sync(self, grp):
        """Bring rebound ``p.data``/``p.grad`` back into the buffers; indices with grad None."""
        skipped = None
        for j, p in enumerate(grp.params):
            if p.data is not grp.data_views[j]:
                self._gather(grp, j, "data", p.data)
                p.data = grp.data_views[j]
            grad = p.grad
            if grad is not grp.grad_views[j]:
                if grad is None:
                    grp.grad_views[j].fill(0)
                    skipped = (skipped or []) + [j]
                else:
                    self._gather(grp, j, "grad", grad)
                    p.grad = grp.grad_views[j]
        return skipped

    @staticmethod
    def _save(grp, skipped):
        arrays = [grp.data, *grp.state.values()]
        return [(a, grp.slices[j], a[grp.slices[j]].copy()) for j in skipped for a in arrays]

    def _clipped_grads(self):
        """The flat gradients to use, clipped into scratch buffers if clipping is on."""
        groups = self._groups
        if not (self.clipnorm or self.clipvalue or self.global_clipnorm):
            return [grp.grad for grp in groups]
        for grp in groups:
            if grp.clip is None:
                grp.clip = np.empty_like(grp.grad)
        if self.clipvalue:
            return [np.clip(g.grad, -self.clipvalue, self.clipvalue, out=g.clip) for g in groups]
        if self.global_clipnorm:
            norm = math.sqrt(sum(float(np.dot(g.grad, g.grad)) for g in groups))
            factor = self.global_clipnorm / max(norm, self.global_clipnorm)
            return [np.multiply(g.grad, g.grad.dtype.type(factor), out=g.clip) for g in groups]
        for grp in groups:
            for sl in grp.slices:
                part = grp.grad[sl]
                factor = self.clipnorm / max(math.sqrt(float(np.dot(part, part))), self.clipnorm)
                np.multiply(part, part.dtype.type(factor), out=grp.clip[sl])
        return [grp.clip for grp in groups]

    def _update(self, grp, w, g, lr):
        raise NotImplementedError

    # -- config and state ----------------------------------------------------------------------
    def get_config(self):
        """Hyper-parameters as a JSON-able dict (a schedule as ``{"class_name", "config"}``)."""
        lr = self._learning_rate
        config = {"learning_rate": schedules.serialize(lr) if callable(lr) else lr}
        config.update({key: getattr(self, key) for key in self._config_keys})
        for key in ("weight_decay", "clipnorm", "clipvalue", "global_clipnorm"):
            config[key] = getattr(self, key)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """An optimizer from ``get_config()`` (on ``Optimizer`` itself: from ``serialize``);
        ``custom_objects`` maps the names of schedules of your own to their classes."""
        if cls is Optimizer:
            from neuropil.optimizers import deserialize  # the registry lives one floor up

            return deserialize(config, custom_objects)
        config = dict(config)
        unknown = backend.unknown_arguments(cls, config)
        if unknown:
            raise ConfigError(
                f"{cls.__name__}.from_config got keys it does not know: {unknown}. "
                f"Received: {sorted(config)}"
            )
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = schedules.deserialize(config["learning_rate"], custom_objects)
        return cls(**config)

    def _state_layout(self):
        """{state key: (flat array, slice, shape)} for every parameter's state."""
        layout = {}
        for grp in self._groups:
            for name, flat in grp.state.items():
                for j, i in enumerate(grp.index):
                    layout[f"{name}.{i}"] = (flat, grp.slices[j], grp.data_views[j].shape)
        return layout

    def get_state(self):
        """``iterations``, a float ``learning_rate`` and each state array as plain ndarrays.

        Keys are ``"iterations"``, ``"learning_rate"`` and ``"<slot>.<i>"`` with ``i`` the
        parameter's position in the built list (e.g. ``"momentum.0"``).
        """
        state = {"iterations": np.array(self.iterations, dtype=np.int64)}
        if not callable(self._learning_rate):
            state["learning_rate"] = np.array(self._learning_rate, dtype=np.float64)
        for key, (flat, sl, shape) in self._state_layout().items():
            state[key] = flat[sl].reshape(shape).copy()
        return state

    def set_state(self, state):
        """Restore ``get_state()`` output so training resumes exactly where it stopped.

        Before ``build`` the state is kept and applied when the optimizer is built.
        """
        name = type(self).__name__
        if not isinstance(state, dict) or "iterations" not in state:
            raise ConfigError(
                f"{name}.set_state expects a dict from get_state(). Received: {state!r}"
            )
        iterations = np.asarray(state["iterations"])
        if iterations.shape != () or iterations.dtype.kind not in "iu" or iterations < 0:
            raise ConfigError(
                f"{name}.set_state expects a non-negative integer iterations. "
                f"Received: iterations={state['iterations']!r}"
            )
        if not self._built:
            self._pending_state = dict(state)
            self.iterations = int(iterations)
            return
        layout = self._state_layout()
        given = set(state) - {"iterations", "learning_rate"}
        if given != set(layout):
            raise ConfigError(
                f"{name}.set_state expects state keys {sorted(layout)} (this optimizer's "
                f"settings and parameters). Received: {sorted(given)}"
            )
        for key, (_, _, shape) in layout.items():
            if np.shape(state[key]) != shape:
                raise ShapeError(
                    f"{name}.set_state expects {key} of shape {shape}. "
                    f"Received: {np.shape(state[key])}"
                )
        for key, (flat, sl, _) in layout.items():
            flat[sl] = np.asarray(state[key]).ravel()
        self.iterations = int(iterations)
        if "learning_rate" in state and not callable(self._learning_rate):
            self.learning_rate = float(np.asarray(state["learning_rate"]))
