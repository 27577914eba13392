"""The McCulloch–Pitts neuron (1943): binary inputs, an integer threshold, absolute inhibition.

McCulloch and Pitts ("A logical calculus of the ideas immanent in nervous activity", Bulletin of
Mathematical Biophysics 5, 1943) modelled a neuron as a unit that fires (outputs 1) when enough of
its excitatory inputs are active at once, and never fires while any inhibitory input is active.
There are no weights and nothing is learned: the threshold and the wiring decide the logic.
With two inputs, threshold 2 gives AND and threshold 1 gives OR; one inhibitory input and
threshold 0 gives NOT; threshold 1 with the second input inhibitory gives "A and not B".

>>> from neuropil.classic import MPNeuron
>>> AND, OR = MPNeuron.and_gate(), MPNeuron.or_gate()
>>> X = [[0, 0], [0, 1], [1, 0], [1, 1]]
>>> AND.predict(X).tolist(), OR.predict(X).tolist()
([0, 0, 0, 1], [0, 1, 1, 1])
>>> MPNeuron.not_gate().predict([[0], [1]]).tolist()
[1, 0]
>>> MPNeuron.and_not_gate().predict(X).tolist()      # A and not B
[0, 0, 1, 0]
>>> MPNeuron(threshold=2, inhibitory=[2]).predict([1, 1, 0])   # one sample -> an int
1
"""

import itertools

import numpy as np

from neuropil.classic import _checks
from neuropil.classic import files as _files
from neuropil.errors import ConfigError, ShapeError


@_files.register
class MPNeuron:
    """A McCulloch–Pitts neuron.

    Args:
        threshold: how many excitatory inputs must be active (1) for the neuron to fire; an
            integer >= 0 (0 means it fires unless inhibited, as in NOT).
        inhibitory: indices of the inhibitory inputs; any one of them at 1 forces the output to 0.
        n_inputs: the number of inputs, checked on every call; ``None`` takes any width that
            contains the inhibitory indices.

    >>> neuron = MPNeuron(threshold=1, inhibitory=[1], n_inputs=2)
    >>> neuron.predict([[1, 0], [1, 1]]).tolist()
    [1, 0]
    >>> neuron.truth_table()[1].tolist()
    [0, 0, 1, 0]
    """

    def __init__(self, threshold, inhibitory=(), n_inputs=None):
        self.threshold = _checks.count("MPNeuron", "threshold", threshold, minimum=0)
        items = [inhibitory] if isinstance(inhibitory, (int, np.integer)) else inhibitory
        try:
            indices = [] if isinstance(items, (str, bytes)) else list(items)
            ok = not isinstance(items, (str, bytes)) and all(
                isinstance(i, (int, np.integer)) and not isinstance(i, bool) and i >= 0
                for i in indices
            )
        except TypeError:
            ok = False
        if not ok:
            raise ConfigError(
                "MPNeuron inhibitory must be a list of non-negative input indices. "
                f"Received: {inhibitory!r}"
            )
        self.inhibitory = tuple(sorted({int(i) for i in indices}))
        self.n_inputs = None
        if n_inputs is not None:
            self.n_inputs = _checks.count("MPNeuron", "n_inputs", n_inputs)
            if self.inhibitory and self.inhibitory[-1] >= self.n_inputs:
                raise ConfigError(
                    f"MPNeuron has {self.n_inputs} inputs, so inhibitory indices must be below "
                    f"{self.n_inputs}. Received: inhibitory={list(self.inhibitory)}"
                )

    # -- the gates of the 1943 paper -------------------------------------------------------
    @classmethod
    def and_gate(cls, n_inputs=2):
        """Fires only when all ``n_inputs`` inputs are active (threshold ``n_inputs``)."""
        n = _checks.count("MPNeuron.and_gate", "n_inputs", n_inputs)
        return cls(threshold=n, n_inputs=n)

    @classmethod
    def or_gate(cls, n_inputs=2):
        """Fires when at least one input is active (threshold 1)."""
        return cls(threshold=1, n_inputs=_checks.count("MPNeuron.or_gate", "n_inputs", n_inputs))

    @classmethod
    def not_gate(cls):
        """One inhibitory input and threshold 0: fires unless the input is active."""
        return cls(threshold=0, inhibitory=[0], n_inputs=1)

    @classmethod
    def and_not_gate(cls):
        """The gate "A and not B": input 0 excitatory, input 1 inhibitory, threshold 1."""
        return cls(threshold=1, inhibitory=[1], n_inputs=2)

    # -- running ---------------------------------------------------------------------------
    def _binary(self, X):
        array = np.asarray(X)
        if array.dtype == bool:
            array = array.astype(np.int64)
        try:
            values = array.astype(np.float64)
        except (TypeError, ValueError):
            raise ConfigError(
                f"MPNeuron inputs must be binary (0 or 1). Received: {type(X).__name__}"
            ) from None
        single = values.ndim == 1
        if single:
            values = values[None, :]
        if values.ndim != 2:
            raise ShapeError(
                "MPNeuron expects one sample (a 1-D list of 0/1) or a batch (samples, inputs). "
                f"Received: shape {np.shape(X)}"
            )
        width = values.shape[1]
        if self.n_inputs is not None and width != self.n_inputs:
            raise ShapeError(
                f"MPNeuron has {self.n_inputs} inputs. Received: {width} per sample "
                f"(shape {np.shape(X)})"
            )
        if self.inhibitory and self.inhibitory[-1] >= width:
            raise ShapeError(
                f"MPNeuron has an inhibitory input at index {self.inhibitory[-1]}, so a sample "
                f"needs at least {self.inhibitory[-1] + 1} inputs. Received: {width}"
            )
        if not np.all((values == 0) | (values == 1)):
            bad = np.unique(values[(values != 0) & (values != 1)])
            raise ConfigError(
                "MPNeuron inputs must be binary (0 or 1). "
                f"Received: values {_checks.some_values(bad)}"
            )
        return values.astype(np.int64), single

    def predict(self, X):
        """0/1 outputs for a batch ``(samples, inputs)``; an ``int`` for one 1-D sample."""
        x, single = self._binary(X)
        inhibited = np.zeros(len(x), dtype=bool)
        excitatory = np.ones(x.shape[1], dtype=bool)
        if self.inhibitory:
            idx = list(self.inhibitory)
            inhibited = x[:, idx].any(axis=1)
            excitatory[idx] = False
        fires = (x[:, excitatory].sum(axis=1) >= self.threshold) & ~inhibited
        out = fires.astype(np.int64)
        return int(out[0]) if single else out

    __call__ = predict

    def truth_table(self):
        """Every input combination (rows in binary counting order) and the neuron's outputs."""
        if self.n_inputs is None:
            raise ConfigError(
                "MPNeuron.truth_table needs n_inputs; create the neuron with n_inputs=... "
                "Received: n_inputs=None"
            )
        inputs = np.array(list(itertools.product((0, 1), repeat=self.n_inputs)), dtype=np.int64)
        return inputs, self.predict(inputs)

    # -- configs and files -----------------------------------------------------------------
    def get_config(self):
        return {
            "threshold": self.threshold,
            "inhibitory": list(self.inhibitory),
            "n_inputs": self.n_inputs,
        }

    def save(self, filepath):
        """Write the neuron to a JSON file (atomic; see ``neuropil.classic.files``)."""
        _files.write(self, filepath, self.get_config(), {})

    @classmethod
    def load(cls, filepath):
        """Read a neuron written by ``save``."""
        _, config, state = _files.read(filepath, expected=cls)
        return cls._from_file(filepath, config, state)

    @classmethod
    def _from_file(cls, filepath, config, state):
        return _files.construct(filepath, cls, config)

    def __repr__(self):
        return (
            f"MPNeuron(threshold={self.threshold}, inhibitory={list(self.inhibitory)}, "
            f"n_inputs={self.n_inputs})"
        )
