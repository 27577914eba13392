"""compile, fit, evaluate and predict: the Keras training loop on top of the Tensor engine.

A training step is: forward with ``training=True``, the loss, ``zero_grad``, ``backward``, one
optimizer step, then the metrics on the batch's outputs. ``evaluate`` and ``predict`` run under
``no_grad`` so they build no tape. Each epoch draws its shuffle and dropout masks from a generator
seeded by the model's training seed and the epoch number, so a run saved after epoch k and resumed
with ``initial_epoch=k`` continues exactly like an uninterrupted one.
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
from neuropil.tensor import Tensor, no_grad

# predict and evaluate run each batch in slices whose largest intermediate array (a conv layer's
# im2col matrix, say) stays within this many bytes, so that what one layer writes is still in
# cache when the next layer reads it. Measured with W5 (benchmarks/; 2-core EPYC, 1 MiB L2 per
# core, 32 MiB L3; fastest of 7): slices of 16-32 images 0.39-0.42 s, 48 images 0.44 s, all 128
# at once 0.54 s. Results equal one pass over the batch up to float rounding (BLAS may round a
# product of fewer rows differently), as with another batch_size.
INFERENCE_SLICE_BYTES = 4 * 2**20


class TrainingMixin:
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
            sw = self._weights_for(y, len(x), sample_weight, class_weight)
            val = None
            if validation_data is not None:
                val = self._validation_arrays(validation_data)
            elif validation_split:
                (x, y, sw), val = D.split_validation([x, y, sw], validation_split)
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
        generator = np.random.default_rng([self._train_seed, epoch])
        with backend.using_rng(generator):
            order = generator.permutation(len(x)) if shuffle else None
            for step, part in enumerate(D.batch_slices(len(x), batch_size)):
                index = part if order is None else order[part]
                xb, yb = x[index], y[index]
                swb = None if sw is None else sw[index]
                cbs.on_train_batch_begin(step, logs)
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

    # -- evaluate and predict --------------------------------------------------------------
    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None,
                 return_dict=False, callbacks=None):  # fmt: skip
        """Loss and metrics on ``(x, y)``: a float, a list ``[loss, *metrics]``, or a dict.

        ``verbose`` (0, 1, 2 or "auto" = 1) shows a progress bar on a terminal and one line
        elsewhere, as in ``fit``; ``callbacks`` get the ``on_test_*`` hooks, their batch logs
        holding the running loss and metrics.

        >>> import numpy as np
        >>> from neuropil.models import Sequential
        >>> from neuropil.layers import Input, Dense
        >>> model = Sequential([Input((2,)), Dense(1, kernel_initializer="zeros")])
        >>> model.compile(loss="mse")
        >>> model.evaluate(np.ones((4, 2)), np.full(4, 2.0), verbose=0)
        4.0
        """
        self._require("evaluate")
        batch_size = D.check_batch_size(batch_size)
        with self._build_undone_on_error():
            x = self._inputs(x)
            y = self._targets(y, x)
            sw = self._weights_for(y, len(x), sample_weight, None)
            cbs = self._inference_callbacks(callbacks, verbose, len(x), batch_size)
        self._prepare_training()
        memory.keep_freed_memory()
        logs = self._evaluate_arrays(x, y, sw, batch_size, cbs)
        if return_dict:
            return logs
        values = list(logs.values())
        return values[0] if len(values) == 1 else values

    def _inference_callbacks(self, callbacks, verbose, n, batch_size):
        """The CallbackList of an ``evaluate`` or ``predict`` call (checks both arguments)."""
        return CallbackList(callbacks, model=self, add_history=False, add_progress=verbose != 0,
                            verbose=verbose, steps=math.ceil(n / batch_size))  # fmt: skip

    def _evaluate_arrays(self, x, y, sw, batch_size, cbs):
        """Loss and metrics over ``(x, y)`` batch by batch, with ``cbs``'s ``on_test_*`` hooks
        (``fit``'s validation passes its own list, whose progress bar stays quiet)."""
        for metric in self.compiled_metrics:
            metric.reset_state()
        total = 0.0
        rows = self._inference_rows()
        cbs.on_test_begin({})
        with no_grad():
            for step, part in enumerate(D.batch_slices(len(x), batch_size)):
                cbs.on_test_batch_begin(step, {})
                out = self._infer(x[part], rows)
                swb = None if sw is None else sw[part]
                total += float(self.loss(y[part], out, sample_weight=swb).data) * len(out.data)
                self._update_metrics(y[part], out.data, swb)
                if cbs.calls("on_test_batch_end"):
                    cbs.on_test_batch_end(step, self._metric_logs(total / part.stop))
        logs = self._metric_logs(total / max(len(x), 1))
        cbs.on_test_end(logs)
        return logs

    def _metric_logs(self, loss):
        return {"loss": loss, **{m.name: m.result() for m in self.compiled_metrics}}

    def predict(self, x, batch_size=None, verbose="auto", callbacks=None):
        """Model outputs for ``x`` as a NumPy array, in inference mode, building no tape.

        ``verbose`` and ``callbacks`` as in ``evaluate``; the ``on_predict_batch_end`` logs hold
        the batch's ``"outputs"``.

        >>> import numpy as np
        >>> from neuropil.models import Sequential
        >>> from neuropil.layers import Input, Dense
        >>> model = Sequential([Input((3,)), Dense(2)])
        >>> model.predict(np.zeros((5, 3)), verbose=0).shape
        (5, 2)
        """
        batch_size = D.check_batch_size(batch_size)
        with self._build_undone_on_error():
            x = self._inputs(x)
            cbs = self._inference_callbacks(callbacks, verbose, len(x), batch_size)
        memory.keep_freed_memory()
        # Slices of at most batch_size samples; batches matter only to batch hooks. Without
        # any, x is cut straight into slices, with no short slice at the end of every batch
        # (W5: 334 forward passes instead of 395).
        per_batch = cbs.calls("on_predict_batch_begin") or cbs.calls("on_predict_batch_end")
        parts = D.batch_slices(len(x), batch_size) if per_batch else [slice(0, len(x))]
        rows = min(batch_size, self._inference_rows())
        outputs = []  # joined once for the whole of x
        cbs.on_predict_begin({})
        with no_grad():
            for step, part in enumerate(parts):
                if per_batch:
                    cbs.on_predict_batch_begin(step, {})
                outs = [out.data for out in self._infer_slices(x[part], rows)]
                outputs += outs
                if per_batch:
                    cbs.on_predict_batch_end(step, {"outputs": np.concatenate(outs)})
        cbs.on_predict_end({})
        if not outputs:
            return np.zeros((0, *self.output_shape), dtype=self.dtype)
        return np.concatenate(outputs, axis=0)

    def _inference_rows(self):
        """Samples per forward pass in ``predict`` and ``evaluate`` (see INFERENCE_SLICE_BYTES)."""
        floats = max((layer.forward_floats() for layer in self.layers), default=1)
        return max(1, INFERENCE_SLICE_BYTES // (floats * np.dtype(self.dtype).itemsize))

    def _infer(self, xb, rows):
        """``call(xb, training=False)``, ``rows`` samples at a time (under ``no_grad``).

        The slices' outputs are joined, and so are the logits a softmax or sigmoid output
        carries for the losses, so the result is that of one pass over the whole batch up to
        float rounding. Layers see slices of ``rows`` samples, not ``batch_size``.
        """
        parts = self._infer_slices(xb, rows)
        if len(parts) == 1:
            return parts[0]
        out = Tensor._wrap(np.concatenate([p.data for p in parts]))
        kinds = {p._logits[0] if p._logits else None for p in parts}
        if len(kinds) == 1 and None not in kinds:
            logits = np.concatenate([p._logits[1].data for p in parts])
            out._logits = (kinds.pop(), Tensor._wrap(logits))
        return out

    def _infer_slices(self, xb, rows):
        """The outputs of ``call(slice, training=False)`` for ``xb`` cut into ``rows``-sample
        slices, in order."""
        return [self.call(Tensor._wrap(xb[i : i + rows]), training=False)
                for i in range(0, len(xb), rows)]  # fmt: skip


def _as_list(metrics):
    """A compile metrics argument as a list (one metric may come alone, as in Keras)."""
    if metrics is None:
        return []
    return list(metrics) if isinstance(metrics, (list, tuple)) else [metrics]
