"""scikit-learn: ``MLPClassifier(solver="adam", alpha=0, max_iter=1)``, one epoch per call.

Dense networks only (W1, W4). Each call builds and fits a fresh classifier, so its time includes
scikit-learn's input checks and weight initialisation (as neuropil's ``fit`` includes its own).
scikit-learn initialises with its own glorot-style uniform ranges.
"""

import warnings

from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier


def train(w):
    hidden = tuple(spec[1] for spec in w.layers[:-1])

    def epoch():
        net = MLPClassifier(hidden_layer_sizes=hidden, solver="adam", alpha=0.0,
                            batch_size=w.batch_size, learning_rate_init=1e-3, max_iter=1,
                            shuffle=True, random_state=0, epsilon=1e-7)  # fmt: skip
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            net.fit(w.x, w.y)

    return epoch


def predict(w):
    raise NotImplementedError("scikit-learn has no convolutional networks")
