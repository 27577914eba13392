"""``GradientDiagnostics``: per-layer gradient norms and dead ReLU units, epoch by epoch.

Backpropagation multiplies, layer by layer, by the derivative of each activation. The sigmoid's
derivative ``s(z) * (1 - s(z))`` is at most 0.25 (at z = 0), so in a deep sigmoid network the
gradient shrinks by a factor of four or more per layer on its way back to the input: the first
layers barely learn (the vanishing-gradient problem). ReLU's derivative is 1 wherever the unit is
active, so the gradient keeps its size, at the price of units that output 0 for every input and
so never learn again ("dead" ReLUs). This callback measures both.

Recorded in ``history`` (a dict of lists, one value per epoch, keys named after the layers):
- ``"<layer>/grad_norm"``: the L2 norm of the layer's kernel gradient, averaged over the epoch's
  batches, for every layer with a trainable ``kernel`` (Dense, Conv2D, ...);
- ``"<layer>/dead_fraction"``: for every ReLU layer (Dense/Conv2D with ``activation="relu"``,
  ``ReLU()``, ``Activation("relu")``) and when a ``probe`` batch is given, the fraction of its
  units (features, or channels of a Conv2D) that output 0 for every sample of the probe (and, for
  a Conv2D, at every position), measured at the end of the epoch in inference mode.

``shrinkage(epoch)`` is the last kernel's gradient norm divided by the first one's: how many times
smaller the gradient is at the input end than at the output end. It is near 1 (or below) when
gradients flow and very large when they vanish.

>>> import numpy as np, neuropil as npl
>>> from neuropil.models import Sequential
>>> from neuropil.layers import Input, Dense
>>> from neuropil.callbacks import GradientDiagnostics
>>> npl.set_seed(0)
>>> x = np.random.default_rng(0).normal(size=(64, 4)).astype("float32")
>>> y = (x[:, 0] > 0).astype("float32")
>>> model = Sequential([Input((4,)), Dense(8, activation="relu", name="hidden"),
...                     Dense(1, activation="sigmoid", name="out")])
>>> model.compile(optimizer="sgd", loss="binary_crossentropy")
>>> diag = GradientDiagnostics(probe=x)
>>> _ = model.fit(x, y, epochs=2, batch_size=16, verbose=0, callbacks=[diag])
>>> sorted(diag.history)
['hidden/dead_fraction', 'hidden/grad_norm', 'out/grad_norm']
>>> len(diag.history["hidden/grad_norm"]), list(diag.grad_norms())
(2, ['hidden', 'out'])
"""

import numpy as np

from neuropil.callback_base import Callback
from neuropil.errors import ConfigError, NotReadyError
from neuropil.tensor import Tensor, no_grad


def _kernel(layer):
    """The layer's trainable kernel Tensor, or None."""
    kernel = getattr(layer, "kernel", None)
    if kernel is None or not any(kernel is w for w in layer.trainable_weights):
        return None
    return kernel


def _is_relu(layer):
    if type(layer).__name__ == "ReLU":
        return True
    return getattr(layer, "_activation_name", None) == "relu"


class GradientDiagnostics(Callback):
    """Record per-layer kernel gradient norms and the fraction of dead ReLU units each epoch.

    Args:
        probe: inputs (an array of samples, as for ``predict``) on which dead ReLU units are
            counted at each epoch's end; ``None`` records gradient norms only. A few hundred
            samples are plenty; fewer make more units look dead.
        verbose: 1 prints the shrinkage and the dead fractions after each epoch.

    Attributes: ``history`` (see the module docstring), ``layer_names`` (layers with a kernel, in
    model order) and ``relu_layer_names``.
    """

    def __init__(self, probe=None, verbose=0):
        if probe is not None:
            try:
                probe = np.asarray(probe)
            except (TypeError, ValueError):
                probe = None
            if probe is None or probe.ndim < 1 or len(probe) == 0 or probe.dtype == object:
                raise ConfigError(
                    "GradientDiagnostics probe must be a non-empty array of input samples. "
                    f"Received: {type(probe).__name__}"
                )
        if verbose not in (0, 1, False, True):
            raise ConfigError(f"GradientDiagnostics verbose must be 0 or 1. Received: {verbose!r}")
        self.probe = probe
        self.verbose = int(verbose)
        self.history = {}
        self.layer_names = []
        self.relu_layer_names = []
        self._sums = {}
        self._batches = 0

    # -- hooks -----------------------------------------------------------------------------
    def on_train_begin(self, logs=None):
        if self.model is None or not hasattr(self.model, "layers"):
            raise NotReadyError(
                "GradientDiagnostics needs a model with layers; pass it to model.fit(callbacks=...)"
                f". Received: {type(self.model).__name__}"
            )
        self.history = {}
        self.layer_names = [l.name for l in self.model.layers if _kernel(l) is not None]
        self.relu_layer_names = [l.name for l in self.model.layers if _is_relu(l)]
        if self.probe is None:
            self.relu_layer_names = []
        self._start_epoch()

    def _start_epoch(self):
        self._sums = dict.fromkeys(self.layer_names, 0.0)
        self._batches = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._start_epoch()

    def on_train_batch_end(self, batch, logs=None):
        self._batches += 1
        for layer in self.model.layers:
            if layer.name in self._sums:
                grad = _kernel(layer).grad
                if grad is not None:
                    self._sums[layer.name] += float(np.linalg.norm(grad.astype(np.float64)))

    def on_epoch_end(self, epoch, logs=None):
        count = max(self._batches, 1)
        for name in self.layer_names:
            self.history.setdefault(f"{name}/grad_norm", []).append(self._sums[name] / count)
        for name, fraction in self._dead_fractions().items():
            self.history.setdefault(f"{name}/dead_fraction", []).append(fraction)
        if self.verbose:
            dead = self.dead_fractions(epoch=-1)
            dead_text = ", ".join(f"{k} {v:.0%}" for k, v in dead.items()) or "none measured"
            print(
                f"GradientDiagnostics epoch {epoch + 1}: gradient shrinkage first<-last "
                f"{self.shrinkage():.3g}x; dead ReLU units: {dead_text}"
            )

    def _dead_fractions(self):
        if not self.relu_layer_names:
            return {}
        fractions = {}
        with no_grad():
            x = Tensor(self.probe, dtype=self.model.dtype)
            for layer in self.model.layers:
                x = layer(x, training=False)
                if layer.name in self.relu_layer_names:
                    out = x.data
                    reduce = tuple(range(out.ndim - 1))  # keep the units/channels axis
                    dead = np.all(out <= 0, axis=reduce)
                    fractions[layer.name] = float(np.mean(dead))
        return fractions

    # -- reading the record ----------------------------------------------------------------
    def _per_layer(self, suffix, names, epoch):
        out = {}
        for name in names:
            values = self.history.get(f"{name}/{suffix}", [])
            if not values:
                raise NotReadyError(
                    f"GradientDiagnostics has no {suffix} for layer '{name}' yet; train first. "
                    f"Received: epoch={epoch}"
                )
            try:
                out[name] = values[epoch]
            except IndexError:
                raise ConfigError(
                    f"GradientDiagnostics recorded {len(values)} epochs. Received: epoch={epoch}"
                ) from None
        return out

    def grad_norms(self, epoch=-1):
        """``{layer name: mean kernel-gradient norm}`` for one epoch (0-based; -1 = last)."""
        return self._per_layer("grad_norm", self.layer_names, epoch)

    def dead_fractions(self, epoch=-1):
        """``{ReLU layer name: fraction of dead units}`` for one epoch (empty without a probe)."""
        return self._per_layer("dead_fraction", self.relu_layer_names, epoch)

    def shrinkage(self, epoch=-1):
        """Last kernel's gradient norm / first kernel's: how much the gradient shrinks from the
        output end to the input end (>> 1 means vanishing gradients; < 1 means growing)."""
        norms = list(self.grad_norms(epoch).values())
        if len(norms) < 2:
            raise NotReadyError(
                "GradientDiagnostics.shrinkage needs at least two layers with a kernel. "
                f"Received: {len(norms)}"
            )
        first, last = norms[0], norms[-1]
        return float("inf") if first == 0 else last / first
