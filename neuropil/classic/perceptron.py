"""Rosenblatt's perceptron (1958): a threshold logic unit trained by the perceptron rule.

The unit computes ``z = w . x - w0`` and outputs ``step(z)`` (1 if z >= 0, else 0) or
``sign(z)`` (+1 if z >= 0, else -1). The threshold is learned as the weight ``w0`` of a constant
input ``x0 = -1``, so every weight, the bias included, follows the same rule::

    w_i <- w_i + eta * (y - y_hat) * x_i          (x_0 = -1)

Training is online by default (Rosenblatt's way: one update per sample, in order); ``mode="batch"``
is the variant the course notes code, which predicts the whole training set with the current
weights and then adds ``eta * X_aug.T @ (y - y_hat)`` once per epoch. Either way an epoch without a
single mistake means the weights no longer change, and training stops there. Rosenblatt's
convergence theorem promises such an epoch when the classes are linearly separable; for XOR no
line separates them, so the mistakes never stop (Minsky and Papert, 1969) and ``fit`` warns.

With ``eta=0.5`` and ``epochs=10``, AND and OR converge (weights start as tiny normal draws,
scaled by 1e-4 as in the notes) and XOR does not:

>>> import warnings, numpy as np
>>> from neuropil.classic import Perceptron
>>> X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
>>> p = Perceptron(eta=0.5, epochs=10, seed=0).fit(X, [0, 0, 0, 1])
>>> p.predict(X).tolist(), p.converged_, p.errors_
([0, 0, 0, 1], True, [2, 2, 3, 2, 1, 0])
>>> with warnings.catch_warnings(record=True) as caught:
...     warnings.simplefilter("always")
...     xor = Perceptron(eta=0.5, epochs=10, seed=0).fit(X, [0, 1, 1, 0])
>>> xor.converged_, xor.epochs_run_, caught[0].category.__name__
(False, 10, 'UserWarning')
"""

import warnings

import numpy as np

from neuropil import backend
from neuropil.classic import _checks
from neuropil.classic import files as _files

_INIT_SCALE = 1e-4  # the notes draw the starting weights as randn(...) * 1e-4
_LABELS = {"step": (0.0, 1.0), "sign": (-1.0, 1.0)}


@_files.register
class Perceptron:
    """A single threshold unit trained by the perceptron learning rule.

    Args:
        eta: the learning rate (> 0).
        epochs: the most passes over the training set (>= 1); training stops earlier at the first
            epoch without a mistake.
        activation: ``"step"`` (targets 0/1) or ``"sign"`` (targets -1/+1).
        mode: ``"online"`` (an update after every misclassified sample) or ``"batch"`` (one
            update per epoch from all samples, as in the course notes' code).
        seed: seeds the starting weights; ``None`` draws them from ``neuropil``'s generator, so
            ``neuropil.set_seed`` makes them repeatable.
        verbose: 1 prints one line per epoch.

    After ``fit``:
        ``weights_``: ``[w0, w1, ..., wn]``, with ``w0`` the weight of the constant input -1 (the
        threshold); ``coef_`` is ``weights_[1:]`` and ``threshold_`` is ``w0``.
        ``errors_``: per epoch, the mistakes made (online: as the samples were visited; batch:
        by the weights the epoch started with).
        ``epochs_run_``, ``converged_`` (the final weights classify every training sample) and
        ``report_`` (a one-line summary).

    >>> import numpy as np
    >>> X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
    >>> p = Perceptron(eta=0.5, epochs=10, activation="sign", mode="batch", seed=1)
    >>> p.fit(X, [-1, 1, 1, 1]).predict(X).tolist()
    [-1, 1, 1, 1]
    >>> p.report_
    'Perceptron converged after 3 epochs (errors per epoch: [1, 1, 0]).'
    """

    def __init__(self, eta=0.5, epochs=10, activation="step", mode="online", seed=None,
                 verbose=0):  # fmt: skip
        self.eta = _checks.positive_number("Perceptron", "eta", eta)
        self.epochs = _checks.count("Perceptron", "epochs", epochs)
        self.activation = _checks.choice("Perceptron", "activation", activation, ("step", "sign"))
        self.mode = _checks.choice("Perceptron", "mode", mode, ("online", "batch"))
        self.seed = _checks.seed("Perceptron", seed)
        self.verbose = _checks.count("Perceptron", "verbose", verbose, minimum=0)
        self.weights_ = None
        self.errors_ = []
        self.epochs_run_ = 0
        self.converged_ = False
        self.report_ = ""

    # -- the unit --------------------------------------------------------------------------
    @staticmethod
    def _augment(X):
        """Prepend the constant input x0 = -1 to every sample."""
        return np.hstack([-np.ones((len(X), 1)), X])

    def _fire(self, z):
        low, high = _LABELS[self.activation]
        return np.where(z >= 0, high, low)

    def _initial_weights(self, n):
        if self.seed is None:
            draws = backend.rng().standard_normal(n)
        else:
            draws = np.random.default_rng(self.seed).standard_normal(n)
        return draws.astype(np.float64) * _INIT_SCALE

    # -- training --------------------------------------------------------------------------
    def fit(self, X, y):
        """Train on ``X`` (samples, features) and targets ``y``; returns ``self``.

        Warns (``UserWarning``) when ``epochs`` run out before the weights classify every
        training sample; ``converged_`` and ``report_`` say the same.
        """
        X = _checks.matrix("Perceptron", X)
        y = _checks.targets("Perceptron", y, len(X), _LABELS[self.activation])
        Xa = self._augment(X)
        w = self._initial_weights(Xa.shape[1])
        errors = []
        for epoch in range(self.epochs):
            if self.mode == "online":
                mistakes = 0
                for xi, target in zip(Xa, y):
                    delta = target - self._fire(xi @ w)
                    if delta != 0:
                        mistakes += 1
                        w = w + self.eta * delta * xi
            else:
                delta = y - self._fire(Xa @ w)
                mistakes = int(np.count_nonzero(delta))
                w = w + self.eta * (Xa.T @ delta)
            errors.append(mistakes)
            if self.verbose:
                print(f"epoch {epoch + 1}/{self.epochs} - errors: {mistakes} - weights: {w}")
            if mistakes == 0:
                break
        self.weights_ = w
        self.errors_ = errors
        self.epochs_run_ = len(errors)
        remaining = int(np.count_nonzero(self._fire(Xa @ w) != y))
        self.converged_ = remaining == 0
        shown = f"errors per epoch: {errors}"
        if len(errors) > 12:
            shown = f"errors in the last 10 epochs: {errors[-10:]}"
        if self.converged_:
            self.report_ = f"Perceptron converged after {self.epochs_run_} epochs ({shown})."
        else:
            self.report_ = (
                f"Perceptron did not converge in {self.epochs} epochs: {remaining} of {len(X)} "
                f"training samples are still misclassified ({shown}). The "
                "perceptron rule converges only when a line (hyperplane) separates the classes; "
                "XOR-like data needs a hidden layer."
            )
            warnings.warn(self.report_, UserWarning, stacklevel=2)
        return self

    # -- using it --------------------------------------------------------------------------
    def _inputs(self, X):
        _checks.fitted("Perceptron", self.weights_)
        return _checks.matrix("Perceptron", X, n_features=len(self.weights_) - 1)

    def decision_function(self, X):
        """The net input ``z = w . x - w0`` for each sample."""
        return self._augment(self._inputs(X)) @ self.weights_

    def predict(self, X):
        """Class labels: 0/1 for ``"step"``, -1/+1 for ``"sign"`` (ints)."""
        return self._fire(self.decision_function(X)).astype(np.int64)

    def score(self, X, y):
        """Accuracy of ``predict(X)`` against ``y``."""
        X = self._inputs(X)
        y = _checks.targets("Perceptron", y, len(X), _LABELS[self.activation])
        return float(np.mean(self.predict(X) == y))

    @property
    def coef_(self):
        return None if self.weights_ is None else self.weights_[1:]

    @property
    def threshold_(self):
        return None if self.weights_ is None else float(self.weights_[0])

    # -- configs and files -----------------------------------------------------------------
    def get_config(self):
        return {
            "eta": self.eta,
            "epochs": self.epochs,
            "activation": self.activation,
            "mode": self.mode,
            "seed": self.seed,
            "verbose": self.verbose,
        }

    def save(self, filepath):
        """Write settings, weights and training record to a JSON file (atomic, no pickle).

        >>> import os, tempfile
        >>> X = [[0, 0], [0, 1], [1, 0], [1, 1]]
        >>> p = Perceptron(seed=0).fit(X, [0, 1, 1, 1])
        >>> path = os.path.join(tempfile.mkdtemp(), "or.json")
        >>> p.save(path)
        >>> q = Perceptron.load(path)
        >>> q.predict(X).tolist(), bool((q.weights_ == p.weights_).all()), q.errors_ == p.errors_
        ([0, 1, 1, 1], True, True)
        """
        state = {
            "weights": self.weights_,
            "errors": list(self.errors_),
            "epochs_run": self.epochs_run_,
            "converged": self.converged_,
            "report": self.report_,
        }
        _files.write(self, filepath, self.get_config(), state)

    @classmethod
    def load(cls, filepath):
        """Read a perceptron written by ``save``."""
        _, config, state = _files.read(filepath, expected=cls)
        return cls._from_file(filepath, config, state)

    @classmethod
    def _from_file(cls, filepath, config, state):
        model = _files.construct(filepath, cls, config)
        weights = _files.numbers(filepath, state, "weights", optional=True)
        if weights is not None and (weights.ndim != 1 or len(weights) < 2):
            raise _files.bad(filepath, f"'weights' must be a list of >= 2 numbers; found {weights}")
        errors = state.get("errors", [])
        if not isinstance(errors, list) or not all(
            isinstance(e, int) and not isinstance(e, bool) and e >= 0 for e in errors
        ):
            raise _files.bad(filepath, f"'errors' must be a list of counts; found {errors!r}")
        model.weights_ = weights
        model.errors_ = errors
        model.epochs_run_ = _files.integer(filepath, state, "epochs_run")
        model.converged_ = bool(state.get("converged", False))
        model.report_ = str(state.get("report", ""))
        return model

    def __repr__(self):
        return (
            f"Perceptron(eta={self.eta}, epochs={self.epochs}, activation={self.activation!r}, "
            f"mode={self.mode!r}, seed={self.seed})"
        )
