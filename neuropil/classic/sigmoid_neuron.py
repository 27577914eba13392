"""The single sigmoid neuron of course note 002, trained by plain gradient descent in NumPy.

The neuron computes ``sigmoid(x . w)`` (no bias unless ``use_bias=True``). Each iteration feeds
the whole training set forward and adds ::

    learning_rate * X.T @ ((y - out) * out * (1 - out))

to the weights, the gradient step of the summed squared error ``0.5 * sum((y - out)**2)``
(``out * (1 - out)`` is the sigmoid's derivative written with its output). The starting weights
are uniform in [-1, 1): ``2 * random((n, 1)) - 1`` from NumPy's legacy generator seeded with
``seed``, exactly as ``np.random.seed(42); 2 * np.random.random((3, 1)) - 1`` draws them, without
touching NumPy's global random state.

Note 002 trains it on six rows of a 3-input truth table whose output copies the second input,
for 10,000 iterations from seed 42 with a step size of 1, and then asks about two rows it never
saw: it reports 0.01453545 for [1, 0, 0] and 0.99981224 for [0, 1, 1] (weights
[-4.2165, 12.7968, -4.2166]). This class reproduces those numbers:

>>> import numpy as np
>>> from neuropil.classic import SigmoidNeuron
>>> X = np.array([[0, 0, 0], [0, 0, 1], [0, 1, 0], [1, 0, 0], [1, 1, 0], [1, 1, 1]])
>>> y = np.array([0, 0, 1, 0, 1, 1])
>>> neuron = SigmoidNeuron(learning_rate=1.0, iterations=10_000, seed=42)
>>> neuron.fit(X, y).predict([[1, 0, 0], [0, 1, 1]]).round(8).tolist()
[0.01453545, 0.99981224]
>>> neuron.initial_weights_.round(8).tolist()
[-0.25091976, 0.90142861, 0.46398788]
>>> neuron.weights_.round(4).tolist()
[-4.2165, 12.7968, -4.2166]
"""

import numpy as np

from neuropil import backend
from neuropil.classic import _checks
from neuropil.classic import files as _files
from neuropil.errors import ConfigError


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


@_files.register
class SigmoidNeuron:
    """One neuron with a sigmoid output, trained by full-batch gradient descent (float64).

    Args:
        learning_rate: the step size (> 0); note 002 uses 1.
        iterations: gradient steps over the whole training set (>= 1).
        seed: seeds the starting weights (legacy ``np.random.RandomState(seed)``); ``None`` draws
            them from ``neuropil``'s generator instead.
        use_bias: add a bias, learned as the weight of a constant input 1 (drawn after the
            others); note 002's neuron has none.

    After ``fit``: ``weights_`` (one per input), ``bias_`` (0.0 without ``use_bias``),
    ``initial_weights_`` (the starting draw, bias excluded) and
    ``loss_curve_`` (mean squared error before each iteration's update).

    >>> neuron = SigmoidNeuron(learning_rate=0.5, iterations=2000, seed=0, use_bias=True)
    >>> neuron.fit([[0, 0], [0, 1], [1, 0], [1, 1]], [0, 1, 1, 1]).predict([[0, 0], [1, 1]]).round()
    array([0., 1.])
    """

    def __init__(self, learning_rate=1.0, iterations=10_000, seed=42, use_bias=False):
        self.learning_rate = _checks.positive_number(
            "SigmoidNeuron", "learning_rate", learning_rate
        )
        self.iterations = _checks.count("SigmoidNeuron", "iterations", iterations)
        self.seed = _checks.seed("SigmoidNeuron", seed)
        self.use_bias = bool(use_bias)
        self.weights_ = None
        self.bias_ = 0.0
        self.loss_curve_ = []
        self.initial_weights_ = None

    def _draw(self, n_inputs):
        n = n_inputs + int(self.use_bias)
        if self.seed is None:
            column = 2 * backend.rng().random((n, 1)) - 1
        else:
            column = 2 * np.random.RandomState(self.seed).random_sample((n, 1)) - 1
        return column[:, 0].astype(np.float64)

    def fit(self, X, y):
        """Run ``iterations`` gradient steps on ``X`` (samples, inputs) and targets ``y`` in
        [0, 1]; returns ``self``."""
        X = _checks.matrix("SigmoidNeuron", X)
        y = _checks.targets("SigmoidNeuron", y, len(X), None)
        if np.any((y < 0) | (y > 1)):
            raise ConfigError(
                f"SigmoidNeuron targets must lie in [0, 1]. Received: min {y.min()}, max {y.max()}"
            )
        if self.use_bias:
            X = np.hstack([X, np.ones((len(X), 1))])
        w = self._draw(X.shape[1] - int(self.use_bias))
        self.initial_weights_ = w[: X.shape[1] - int(self.use_bias)].copy()
        losses = []
        for _ in range(self.iterations):
            out = _sigmoid(X @ w)
            error = y - out
            losses.append(float(np.mean(error**2)))
            w = w + self.learning_rate * (X.T @ (error * out * (1.0 - out)))
        if self.use_bias:
            self.weights_, self.bias_ = w[:-1], float(w[-1])
        else:
            self.weights_, self.bias_ = w, 0.0
        self.loss_curve_ = losses
        return self

    def predict(self, X):
        """The neuron's output ``sigmoid(x . w + b)`` in (0, 1), one per sample (a 1-D input is
        one sample)."""
        _checks.fitted("SigmoidNeuron", self.weights_)
        X = _checks.matrix("SigmoidNeuron", X, n_features=len(self.weights_))
        return _sigmoid(X @ self.weights_ + self.bias_)

    # -- configs and files -----------------------------------------------------------------
    def get_config(self):
        return {
            "learning_rate": self.learning_rate,
            "iterations": self.iterations,
            "seed": self.seed,
            "use_bias": self.use_bias,
        }

    def save(self, filepath):
        """Write settings and learned weights to a JSON file (atomic, no pickle).

        >>> import os, tempfile
        >>> n = SigmoidNeuron(iterations=100).fit([[0, 1], [1, 0]], [1, 0])
        >>> path = os.path.join(tempfile.mkdtemp(), "neuron.json")
        >>> n.save(path)
        >>> bool((SigmoidNeuron.load(path).predict([[0, 1]]) == n.predict([[0, 1]])).all())
        True
        """
        state = {
            "weights": self.weights_,
            "bias": self.bias_,
            "initial_weights": self.initial_weights_,
            "loss_curve": list(self.loss_curve_),
        }
        _files.write(self, filepath, self.get_config(), state)

    @classmethod
    def load(cls, filepath):
        """Read a neuron written by ``save``."""
        _, config, state = _files.read(filepath, expected=cls)
        return cls._from_file(filepath, config, state)

    @classmethod
    def _from_file(cls, filepath, config, state):
        neuron = _files.construct(filepath, cls, config)
        weights = _files.numbers(filepath, state, "weights", optional=True)
        if weights is not None and weights.ndim != 1:
            raise _files.bad(
                filepath, f"'weights' must be a flat list; found shape {weights.shape}"
            )
        bias = state.get("bias", 0.0)
        if not _files.is_finite_number(bias):
            raise _files.bad(filepath, f"'bias' must be a finite number; found {bias!r}")
        initial = _files.numbers(filepath, state, "initial_weights", optional=True)
        curve = _files.numbers(filepath, state, "loss_curve", optional=True)
        neuron.weights_, neuron.bias_ = weights, float(bias)
        neuron.initial_weights_ = initial
        neuron.loss_curve_ = [] if curve is None else curve.tolist()
        return neuron

    def __repr__(self):
        return (
            f"SigmoidNeuron(learning_rate={self.learning_rate}, iterations={self.iterations}, "
            f"seed={self.seed}, use_bias={self.use_bias})"
        )
