"""compile and fit: the Keras training loop on top of the Tensor engine (``evaluate`` and
``predict`` come from models/inference.py).

A training step is: forward with ``training=True``, the loss, ``zero_grad``, ``backward``, one
optimizer step, then the metrics on the batch's outputs. Each epoch draws its shuffle and dropout
masks from a generator seeded by the model's training seed and the count of epochs drawn so far
(kept across fit calls and in model files), so every fit call draws anew and a run saved after
epoch k and resumed with ``initial_epoch=k`` continues exactly like an uninterrupted one.
"""

import contextlib
import copy
import math

import numpy as np

from neuropil import backend, memory
from neuropil import losses as losses_module
from neuropil import metrics as metrics_module
from neuropil import optimizers as optimizers_module
from neuropil.callbacks import CallbackList, TerminateOnNaN
from neuropil.errors import ConfigError, InvalidValueError, NotReadyError
from neuropil.models import data as D
from neuropil.models.inference import InferenceMixin
from neuropil.tensor import Tensor


class TrainingMixin(InferenceMixin):
    """Keras's training API for a model with ``layers``, ``call`` and ``trainable_weights``."""

    # -- compile ---------------------------------------------------------------------------
    def compile(self, optimizer="rmsprop", loss=None, metrics=None, weighted_metrics=None):
        """Choose the optimizer, loss and metrics (names or objects, as in Keras).

        As in Keras, ``sample_weight`` and ``class_weight`` weight the loss and the
        ``weighted_metrics``, not the ``metrics``; a weighted metric whose name is also that of
        an unweighted one logs as ``weighted_<name>``.

        >>> import neuropil as npl
        >>> from neuropil.models import Sequential
        >>> from neuropil.layers import Input, Dense
        >>> model = Sequential([Input((2,)), Dense(1, activation="sigmoid")])
        >>> model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"],
        ...               weighted_metrics=["accuracy"])
        >>> [m.name for m in model.compiled_metrics]
        ['accuracy', 'weighted_accuracy']
        """
        specs, weighted_specs = _as_list(metrics), _as_list(weighted_metrics)
        resolved_optimizer = optimizers_module.get(optimizer)
        resolved_loss = None if loss is None else losses_module.get(loss)
        resolved_metrics = self._resolve_metrics(specs, weighted_specs, resolved_loss)  # may raise
        self.optimizer, self.loss = resolved_optimizer, resolved_loss
        self._metric_specs, self._weighted_metric_specs = specs, weighted_specs
        # resolved again once the output shape is known ("accuracy" depends on it)
        self.compiled_metrics = resolved_metrics if self.built else None
        self.compiled = True
        if self.built:
            self._prepare_training()

    def _resolve_metrics(self, specs, weighted_specs, loss):
        """The metric objects: the unweighted ones, then the weighted ones (renamed
        ``weighted_<name>`` where a name is taken)."""
        output_shape = (None, *self.output_shape) if self.built else None
        resolved = [
            metrics_module.get(
                m, loss_name=loss, from_logits=bool(getattr(loss, "from_logits", False)),
                output_shape=output_shape,
            )
            for m in [*specs, *weighted_specs]
        ]  # fmt: skip
        taken = {m.name for m in resolved[: len(specs)]}
        for i in range(len(specs), len(resolved)):
            if resolved[i].name in taken:  # a copy: the object passed in keeps name and state
                resolved[i] = copy.copy(resolved[i])
                resolved[i].reset_state()
                resolved[i].name = f"weighted_{resolved[i].name}"
        return resolved

    def _update_metrics(self, y, out, sample_weight):
        """Every compiled metric on a batch; only the weighted ones see ``sample_weight``."""
        first_weighted = len(self.compiled_metrics) - len(self._weighted_metric_specs)
        for i, metric in enumerate(self.compiled_metrics):
            metric.update_state(y, out, sample_weight if i >= first_weighted else None)

    def _prepare_training(self):
        if self.compiled_metrics is None:
            self.compiled_metrics = self._resolve_metrics(
                self._metric_specs, self._weighted_metric_specs, self.loss
            )
        self.optimizer.build(self.trainable_weights)  # a no-op when already built for them

    def _require(self, what):
        if not getattr(self, "compiled", False) or self.loss is None:
            state = "compiled without a loss" if self.compiled else "not compiled"
            raise NotReadyError(
                f"Call compile(optimizer=..., loss=...) before {what}(). "
                f"Received: a model that is {state}"
            )

    # -- data ------------------------------------------------------------------------------
    @contextlib.contextmanager
    def _build_undone_on_error(self):
        """A model without Input is built from the first x it sees, before the other arguments
        are checked. If a check inside this block fails, the layers it built and the model go
        back to unbuilt, and the global generator (which drew the initial weights) to its
        state before, so the failed call leaves everything as it was.
        """
        if self.built:
            yield
            return
        was_built = [layer.built for layer in self.layers]
        generator = backend.rng()
        state = generator.bit_generator.state
        try:
            yield
        except BaseException:
            for layer, built in zip(self.layers, was_built):
                if not built:
                    layer.unbuild()
            self.built, self.input_shape, self.output_shape = False, None, None
            generator.bit_generator.state = state
            raise

    def _inputs(self, x, argument="x"):
        x = D.as_inputs(x, argument, self.dtype)
        if not self.built:
            self.build((None, *x.shape[1:]))
        else:
            self.check_input_shape(x.shape, argument)
        return x

    def _targets(self, y, x, argument="y"):
        sparse = "sparse" in str(getattr(self.loss, "kind", ""))
        y = D.as_targets(y, argument, self.dtype, sparse=sparse)
        D.check_same_length(x, y, "x" if argument == "y" else "validation x", argument)
        self.loss.validate(y, (None, *self.output_shape))
        return y

    def _weights_for(self, y, n, sample_weight, class_weight):
        sw = D.as_sample_weight(sample_weight, n)
        if class_weight is not None:
            cw = D.class_weight_to_sample_weight(y, class_weight)
            sw = cw if sw is None else sw * cw
        return None if sw is None else sw.astype(self.dtype)

    # -- fit -------------------------------------------------------------------------------
    def fit(
        self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
        validation_split=0.0, validation_data=None, shuffle=True, class_weight=None,
        sample_weight=None, initial_epoch=0,
    ):  # fmt: skip
        """Train for ``epochs`` epochs (from ``initial_epoch``); returns the ``History``.

        >>> import numpy as np, neuropil as npl
        >>> from neuropil.models import Sequential
        >>> from neuropil.layers import Input, Dense
        >>> npl.set_seed(0)
        >>> model = Sequential([Input((2,)), Dense(1)])
        >>> model.compile(optimizer="sgd", loss="mse")
        >>> h = model.fit(np.ones((8, 2)), np.ones(8), epochs=3, verbose=0)
        >>> len(h.history["loss"])
        3
        """
        self._require("fit")
        for name, value in (("epochs", epochs), ("initial_epoch", initial_epoch)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
                raise ConfigError(f"{name} must be a non-negative integer. Received: {value!r}")
        if initial_epoch > epochs:
            raise ConfigError(
                f"initial_epoch ({initial_epoch}) cannot exceed epochs ({epochs}). "
                f"Received: initial_epoch={initial_epoch}, epochs={epochs}"
            )
        batch_size = D.check_batch_size(batch_size)
        verbose = 1 if verbose == "auto" else verbose
        memory.keep_freed_memory()
        with self._build_undone_on_error():
            x = self._inputs(x)
            y = self._targets(y, x)
            sw = self._weights_for(y, len(x), sample_weight, None)
            val = None
            if validation_data is not None:
                val = self._validation_arrays(validation_data)
            elif validation_split:
                (x, y, sw), val = D.split_validation([x, y, sw], validation_split)
            if class_weight is not None:  # the training part only, as in Keras
                sw = self._weights_for(y, len(x), sw, class_weight)
            if len(x) == 0:
                raise ConfigError("fit needs at least one training sample. Received: 0 samples")
            steps = math.ceil(len(x) / batch_size)
            cbs = CallbackList(  # checks verbose and callbacks before anything changes
                callbacks, model=self, add_history=True, add_progress=verbose != 0,
                verbose=verbose, epochs=epochs, steps=steps,
            )  # fmt: skip
            defer_nan = any(isinstance(cb, TerminateOnNaN) for cb in cbs)
            # ModelCheckpoint checks its filepath against these keys when no callback adds others
            adds_keys = any(cb.log_keys_added or not type(cb).__module__.startswith("neuropil.")
                            for cb in cbs)  # fmt: skip
            keys = self._log_keys(val is not None)
            cbs.set_params({**cbs.params, "metrics": keys, "log_keys_complete": not adds_keys})
        self._prepare_training()
        if self._train_seed is None:
            self._train_seed = int(backend.rng().integers(2**63))
        self.stop_training = False
        logs = {}
        cbs.on_train_begin(logs)
        for epoch in range(initial_epoch, epochs):
            cbs.on_epoch_begin(epoch, {})
            logs = self._train_epoch(x, y, sw, batch_size, shuffle, epoch, cbs, defer_nan)
            if val is not None:
                val_logs = self._evaluate_arrays(*val, batch_size, cbs)
                logs.update({f"val_{k}": v for k, v in val_logs.items()})
            self.epochs_trained = epoch + 1
            cbs.on_epoch_end(epoch, logs)
            if self.stop_training:
                break
        if epochs > initial_epoch:  # the moving average, if the optimizer keeps one (Keras)
            self.optimizer.finalize_variable_values(self.trainable_weights)
        cbs.on_train_end(logs)
        return self.history

    def _log_keys(self, validation):
        """The keys fit writes into each epoch's logs (Keras 2's ``params["metrics"]``)."""
        metrics = self.compiled_metrics
        if metrics is None:  # resolved for good once the model is built
            metrics = self._resolve_metrics(
                self._metric_specs, self._weighted_metric_specs, self.loss
            )
        keys = ["loss", *(m.name for m in metrics)]
        return keys + [f"val_{k}" for k in keys] if validation else keys

    def _validation_arrays(self, validation_data):
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
            raise ConfigError(
                "validation_data must be a tuple (x_val, y_val) or (x_val, y_val, sample_weight). "
                f"Received: {type(validation_data).__name__} of length "
                f"{len(validation_data) if hasattr(validation_data, '__len__') else '?'}"
            )
        xv = self._inputs(validation_data[0], "validation x")
        yv = self._targets(validation_data[1], xv, "validation y")
        swv = validation_data[2] if len(validation_data) == 3 else None
        return xv, yv, self._weights_for(yv, len(xv), swv, None)

    def _train_epoch(self, x, y, sw, batch_size, shuffle, epoch, cbs, defer_nan):
        for metric in self.compiled_metrics:
            metric.reset_state()
        total = count = 0.0
        logs = {}
        # Each epoch's shuffle and dropout masks come from the training seed and the count of
        # epochs drawn so far, kept across fit calls and in model files: a second fit draws
        # anew, and a run resumed from a file draws what the uninterrupted run would have.
        generator = np.random.default_rng([self._train_seed, self._epochs_drawn])
        self._epochs_drawn += 1
        with backend.using_rng(generator):
            order = generator.permutation(len(x)) if shuffle else None
            for step, part in enumerate(D.batch_slices(len(x), batch_size)):
                index = part if order is None else order[part]
                xb, yb = x[index], y[index]
                swb = None if sw is None else sw[index]
                cbs.on_train_batch_begin(step, {})  # Keras passes no logs here
                value = self._train_step(xb, yb, swb, epoch, step, defer_nan)
                total += value * len(xb)
                count += len(xb)
                logs = self._metric_logs(total / count)
                cbs.on_train_batch_end(step, logs)
                if self.stop_training:
                    break
        return logs

    def _train_step(self, xb, yb, swb, epoch, step, defer_nan):
        out = self.call(Tensor._wrap(xb), training=True)
        loss = self.loss(yb, out, sample_weight=swb)
        value = float(loss.data)
        if not math.isfinite(value) and not defer_nan:
            raise InvalidValueError(
                f"The loss became {value} at epoch {epoch + 1}, batch {step + 1}; the weights "
                "keep their values from before this batch. Try a lower learning rate or check "
                f"the inputs for extreme values. Received: loss={value}"
            )
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        self._update_metrics(yb, out.data, swb)
        return value


def _as_list(metrics):
    """A compile metrics argument as a list (one metric may come alone, as in Keras)."""
    if metrics is None:
        return []
    return list(metrics) if isinstance(metrics, (list, tuple)) else [metrics]
