"""evaluate and predict: a model's forward pass over many samples, building no tape.

Both run under ``no_grad`` and compute each batch in cache-sized slices (``INFERENCE_SLICE_BYTES``).
``InferenceMixin`` is the half of ``TrainingMixin`` (models/training.py) that needs no optimizer;
its argument checks (``_inputs``, ``_targets``, ``_weights_for``, ``_require``) and metric
helpers live there.
"""

import math

import numpy as np

from neuropil import memory
from neuropil.callbacks import CallbackList
from neuropil.models import data as D
from neuropil.tensor import Tensor, no_grad

# predict and evaluate run each batch in slices whose largest intermediate array (a conv layer's
# im2col matrix, say) stays within this many bytes, so that what one layer writes is still in
# cache when the next layer reads it. Measured with W5 (benchmarks/; 2-core EPYC, 1 MiB L2 per
# core, 32 MiB L3; fastest of 7): slices of 16-32 images 0.39-0.42 s, 48 images 0.44 s, all 128
# at once 0.54 s. Results equal one pass over the batch up to float rounding (BLAS may round a
# product of fewer rows differently), as with another batch_size.
INFERENCE_SLICE_BYTES = 4 * 2**20


class InferenceMixin:
    """Keras's ``evaluate`` and ``predict`` for a model with ``layers`` and ``call``."""

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
        self.stop_evaluating = False  # a callback may set it to end the pass early (Keras 3)
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
                if self.stop_evaluating:
                    x = x[: part.stop]  # the loss below averages over what was evaluated
                    break
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
        # x is cut straight into slices of at most batch_size samples, with no short slice at
        # the end of every batch (W5: 334 forward passes instead of 395); batches exist only
        # for the batch hooks, called as each batch's last row is computed.
        rows = min(batch_size, self._inference_rows())
        outputs = []  # joined once for the whole of x
        self.stop_predicting = False  # a callback may set it to end the pass early (Keras 3)
        cbs.on_predict_begin({})
        batches = _BatchHooks(self, cbs, len(x), batch_size)
        with no_grad():
            for start in range(0, len(x), rows):
                if start >= batches.limit:
                    break
                out = self.call(Tensor._wrap(x[start : start + rows]), training=False).data
                outputs.append(out)
                batches.computed(start, out)
        cbs.on_predict_end({})
        if not outputs:
            return np.zeros((0, *self.output_shape), dtype=self.dtype)
        return np.concatenate(outputs, axis=0)[: batches.limit]

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
        parts = [self.call(Tensor._wrap(xb[i : i + rows]), training=False)
                 for i in range(0, len(xb), rows)]  # fmt: skip
        if len(parts) == 1:
            return parts[0]
        out = Tensor._wrap(np.concatenate([p.data for p in parts]))
        kinds = {p._logits[0] if p._logits else None for p in parts}
        if len(kinds) == 1 and None not in kinds:
            logits = np.concatenate([p._logits[1].data for p in parts])
            out._logits = (kinds.pop(), Tensor._wrap(logits))
        return out


class _BatchHooks:
    """``predict``'s batches over slices that may span two batches: batch k's
    ``on_predict_batch_end`` gets its ``"outputs"`` once its last row is computed, and batch
    k+1's ``on_predict_batch_begin`` follows at once (after any of its rows that shared a slice
    with batch k). Callbacks that want no batch hooks cost nothing.

    ``limit``: the rows predict returns. When a callback sets ``model.stop_predicting``, it
    becomes the end of the batch whose end hook saw it (or, set elsewhere, of the batch under
    way), as Keras stops after that batch.
    """

    def __init__(self, model, cbs, n, batch_size):
        self.model, self.cbs, self.n, self.batch_size = model, cbs, n, batch_size
        self.begin = cbs.calls("on_predict_batch_begin")
        self.end = cbs.calls("on_predict_batch_end")
        self.step, self.pieces = 0, []  # the batch under way and its rows computed so far
        self.limit = n
        if self.begin and n:
            cbs.on_predict_batch_begin(0, {})

    def computed(self, start, out):
        """``out`` holds the outputs of rows ``start`` to ``start + len(out)``."""
        stop, pos = start + len(out), start
        while pos < stop and (self.begin or self.end) and self.limit == self.n:
            last = min((self.step + 1) * self.batch_size, self.n)  # the batch's end row
            cut = min(stop, last)
            if self.end:
                self.pieces.append(out[pos - start : cut - start])
            pos = cut
            if cut < last:
                break
            if self.end:
                # a copy, so that a callback cannot change what predict returns
                self.cbs.on_predict_batch_end(self.step, {"outputs": np.concatenate(self.pieces)})
            self.step, self.pieces = self.step + 1, []
            if self.model.stop_predicting:
                self.limit = last
            elif self.begin and last < self.n:
                self.cbs.on_predict_batch_begin(self.step, {})
        if self.model.stop_predicting and self.limit == self.n:
            self.limit = min(-(-stop // self.batch_size) * self.batch_size, self.n)
