"""The half of an optimizer that is saved and restored: its config (hyper-parameters) and its
state (``iterations`` and every per-parameter array), for model files and resumed training.

``Optimizer`` (``neuropil.optimizer_base``) inherits this class; it relies on the optimizer's
learning rate, settings and built groups.

>>> import neuropil as npl
>>> from neuropil.optimizers import SGD
>>> w = npl.Tensor([1.0], requires_grad=True)
>>> opt = SGD(learning_rate=0.1, momentum=0.9, params=[w])
>>> sorted(opt.get_state())
['iterations', 'learning_rate', 'momentum.0']
"""

import numpy as np

from neuropil import backend, schedules
from neuropil.errors import ConfigError, ShapeError


class OptimizerState:
    """``get_config``/``from_config`` and ``get_state``/``set_state`` of ``Optimizer``."""

    def get_config(self):
        """Hyper-parameters as a JSON-able dict (a schedule as ``{"class_name", "config"}``)."""
        lr = self._learning_rate
        config = {"learning_rate": schedules.serialize(lr) if callable(lr) else lr}
        config.update({key: getattr(self, key) for key in self._config_keys})
        for key in (
            "weight_decay",
            "clipnorm",
            "clipvalue",
            "global_clipnorm",
            "use_ema",
            "ema_momentum",
            "ema_overwrite_frequency",
            "gradient_accumulation_steps",
        ):
            config[key] = getattr(self, key)  # fmt: skip
        if self._excluded[1]:  # names are kept with the model (Tensors given by var_list are not)
            config["exclude_from_weight_decay"] = list(self._excluded[1])
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """An optimizer from ``get_config()`` (on ``Optimizer`` itself: from ``serialize``);
        ``custom_objects`` maps the names of schedules of your own to their classes."""
        from neuropil.optimizer_base import Optimizer  # this class's heir, imported when used

        if cls is Optimizer:
            from neuropil.optimizers import deserialize  # the registry lives one floor up

            return deserialize(config, custom_objects)
        config = dict(config)
        excluded = config.pop("exclude_from_weight_decay", None)
        unknown = backend.unknown_arguments(cls, config)
        if unknown:
            raise ConfigError(
                f"{cls.__name__}.from_config got keys it does not know: {unknown}. "
                f"Received: {sorted(config)}"
            )
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = schedules.deserialize(config["learning_rate"], custom_objects)
        optimizer = cls(**config)
        if excluded:
            optimizer.exclude_from_weight_decay(var_names=excluded)
        return optimizer

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
        if self.gradient_accumulation_steps:
            state["accumulated_calls"] = np.array(self.accumulated_calls, dtype=np.int64)
        if not callable(self._learning_rate):
            state["learning_rate"] = np.array(self._learning_rate, dtype=np.float64)
        for key, (flat, sl, shape) in self._state_layout().items():
            state[key] = flat[sl].reshape(shape).copy()
        return state

    def _counter(self, state, key, limit=None):
        """``state[key]`` as an int, checked to be a count (below ``limit`` if given)."""
        value = np.asarray(state.get(key, 0))
        ok = value.shape == () and value.dtype.kind in "iu" and value >= 0
        if not ok or (limit is not None and value >= limit):
            bound = f" below {limit}" if limit is not None else ""
            raise ConfigError(
                f"{type(self).__name__}.set_state expects {key} to be an integer >= 0{bound}. "
                f"Received: {key}={state.get(key)!r}"
            )
        return int(value)

    def set_state(self, state):
        """Restore ``get_state()`` output so training resumes exactly where it stopped.

        Before ``build`` the state is kept and applied when the optimizer is built.
        """
        name = type(self).__name__
        if not isinstance(state, dict) or "iterations" not in state:
            raise ConfigError(
                f"{name}.set_state expects a dict from get_state(). Received: {state!r}"
            )
        iterations = self._counter(state, "iterations")
        steps = self.gradient_accumulation_steps
        calls = self._counter(state, "accumulated_calls", steps) if steps else 0
        if not self._built:
            self._pending_state = dict(state)
            self.iterations, self.accumulated_calls = iterations, calls
            return
        layout = self._state_layout()
        counters = {"iterations", "learning_rate"} | ({"accumulated_calls"} if steps else set())
        given = set(state) - counters
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
        self.iterations, self.accumulated_calls = iterations, calls
        if "learning_rate" in state and not callable(self._learning_rate):
            self.learning_rate = float(np.asarray(state["learning_rate"]))
