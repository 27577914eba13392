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

from neuropil import optimizer_options as options
from neuropil import schedules
from neuropil.errors import ConfigError, NotReadyError, ShapeError
from neuropil.optimizer_state import OptimizerState
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
                 "state", "scratch", "clip", "decayed")  # fmt: skip


class Optimizer(OptimizerState):
    """Base class: learning rate (float or schedule), build, step, zero_grad, config and state.

    Subclasses define ``_update(group, w, g, lr)``, an in-place update of the flat weights ``w``
    from the flat gradients ``g``. Keyword arguments shared by all optimizers:

    - ``weight_decay``: decoupled decay ``w -= lr * weight_decay * w`` before each update
      (Keras applies it the same way); ``None`` for none.
    - ``clipnorm``: scale each parameter's gradient to an L2 norm of at most ``clipnorm``;
      ``clipvalue``: clip each gradient entry to [-clipvalue, clipvalue]; ``global_clipnorm``:
      scale all gradients together to a joint norm of at most ``global_clipnorm``. At most one of
      the three. ``p.grad`` itself is left unclipped.
    - ``use_ema``, ``ema_momentum``, ``ema_overwrite_frequency``,
      ``gradient_accumulation_steps``, and the method ``exclude_from_weight_decay``: Keras 3's,
      see ``neuropil.optimizer_options``.
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
                 global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, gradient_accumulation_steps=None,
                 params=None):  # fmt: skip
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
        (self.use_ema, self.ema_momentum, self.ema_overwrite_frequency,
         self.gradient_accumulation_steps) = options.check_options(
            name, use_ema, ema_momentum, ema_overwrite_frequency, gradient_accumulation_steps
        )  # fmt: skip
        self._excluded = ([], [])  # weight decay leaves out: (Tensors, name patterns)
        self.iterations = 0  # updates made (with gradient accumulation, not calls of step)
        self.accumulated_calls = 0  # gradients accumulated since the last update
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
        a function of no arguments (Keras's callable learning rate) is called as it is.

        With ``gradient_accumulation_steps`` a schedule counts calls of ``step``, as Keras's
        does, so one written in batches keeps its meaning."""
        lr = self._learning_rate
        if not callable(lr):
            return lr
        if not self._lr_takes_step:
            return float(lr())
        steps = self.gradient_accumulation_steps
        return float(lr(self.iterations * steps + self.accumulated_calls if steps else
                        self.iterations))  # fmt: skip

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
        for slot, init in self._slots() + options.slots(self):
            self._slot(grp, slot, init)
        grp.scratch = [np.empty_like(grp.data) for _ in range(self._n_scratch)]
        grp.clip = None
        grp.decayed = options.decayed_slices(self, grp)
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
        """Update every built parameter from its ``.grad`` in place; ``iterations += 1``
        (with ``gradient_accumulation_steps``, only at the calls that update)."""
        if not self._built:
            raise NotReadyError(
                f"{type(self).__name__}.step() needs the parameters first: call build(params) "
                "or pass params= to the constructor. Received: an optimizer with no parameters"
            )
        lr = self.current_learning_rate()
        skipped = [self._sync(grp) for grp in self._groups]
        grads = [grp.grad for grp in self._groups]
        if self.gradient_accumulation_steps:
            grads = options.accumulate(self, grads)  # None until the n-th call
        if grads is not None:
            grads = self._clipped_grads(grads)
            for grp, g, skip in zip(self._groups, grads, skipped, strict=True):
                saved = self._save(grp, skip) if skip else None
                if self.weight_decay:
                    self._decay(grp, grp.data.dtype.type(1.0 - lr * self.weight_decay))
                self._update(grp, grp.data, g, lr)
                if saved:
                    for array, sl, copy in saved:
                        array[sl] = copy
            if self.gradient_accumulation_steps:
                options.reset_accumulators(self)
        if self.use_ema:
            options.update_average(self)
        if grads is not None:
            self.iterations += 1

    @staticmethod
    def _decay(grp, factor):
        if grp.decayed is None:
            grp.data *= factor
        for sl in grp.decayed or ():
            grp.data[sl] *= factor

    def exclude_from_weight_decay(self, var_list=None, var_names=None):
        """Leave the Tensors in ``var_list``, and those whose name matches a regular expression
        in ``var_names``, out of weight decay. Call it before the optimizer is built.

        >>> import neuropil as npl
        >>> from neuropil.optimizers import AdamW
        >>> w = npl.Tensor([1.0], requires_grad=True, name="dense/bias")
        >>> opt = AdamW(learning_rate=0.1, weight_decay=0.5)
        >>> opt.exclude_from_weight_decay(var_names=["bias"]); opt.build([w])
        >>> opt.zero_grad(); opt.step(); w.data
        array([1.], dtype=float32)
        """
        options.set_exclusions(self, var_list, var_names)

    def finalize_variable_values(self, var_list=None):
        """With ``use_ema``, copy the moving average into the weights (of ``var_list``, or all
        built ones); otherwise nothing. ``fit`` calls it when it ends, as Keras does."""
        if self.use_ema and self._built:
            options.copy_average(self, var_list)

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

    def _clipped_grads(self, grads):
        """The flat gradients ``grads`` (one per group), clipped into scratch buffers if
        clipping is on."""
        groups = self._groups
        if not (self.clipnorm or self.clipvalue or self.global_clipnorm):
            return grads
        for grp in groups:
            if grp.clip is None:
                grp.clip = np.empty_like(grp.grad)
        pairs = list(zip(groups, grads, strict=True))
        if self.clipvalue:
            return [np.clip(g, -self.clipvalue, self.clipvalue, out=grp.clip) for grp, g in pairs]
        if self.global_clipnorm:
            norm = math.sqrt(sum(float(np.dot(g, g)) for g in grads))
            factor = self.global_clipnorm / max(norm, self.global_clipnorm)
            return [np.multiply(g, g.dtype.type(factor), out=grp.clip) for grp, g in pairs]
        for grp, g in pairs:
            for sl in grp.slices:
                part = g[sl]
                factor = self.clipnorm / max(math.sqrt(float(np.dot(part, part))), self.clipnorm)
                np.multiply(part, part.dtype.type(factor), out=grp.clip[sl])
        return [grp.clip for grp in groups]

    def _update(self, grp, w, g, lr):
        raise NotImplementedError
