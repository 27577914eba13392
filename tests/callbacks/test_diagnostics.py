"""GradientDiagnostics: the vanishing-gradient lesson of note 003 measured, and dead ReLUs.

A 10-hidden-layer sigmoid network and the same network with ReLU are trained on one synthetic
task. ``shrinkage`` = (last layer's kernel-gradient norm) / (first layer's): how many times
smaller the gradient is when it reaches the first layer. The sigmoid's derivative is at most 0.25,
so the sigmoid network's gradient shrinks about fourfold per layer; the ReLU network's does not.
The issue's "first-to-last-layer gradient-norm ratio of the sigmoid network is at least 100 times
that of the ReLU network" is the assertion ``sigmoid shrinkage >= 100 * relu shrinkage``.
"""

import numpy as np
import pytest

import neuropil as npl
from neuropil.callbacks import GradientDiagnostics
from neuropil.errors import ConfigError, NotReadyError
from neuropil.layers import Activation, Conv2D, Dense, Flatten, Input, MaxPooling2D, ReLU
from neuropil.models import Sequential


def task(seed=0, n=512):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 8)).astype("float32")
    y = (x[:, 0] * x[:, 1] + x[:, 2] > 0).astype("float32")
    return x, y


def deep_network(activation, depth=10, width=32):
    hidden = [Dense(width, activation=activation, name=f"h{i}") for i in range(depth)]
    return Sequential([Input((8,)), *hidden, Dense(1, activation="sigmoid", name="out")])


def train(activation, optimizer="sgd", seed=0):
    npl.set_seed(seed)
    x, y = task(seed)
    model = deep_network(activation)
    model.compile(optimizer=optimizer, loss="binary_crossentropy")
    diag = GradientDiagnostics(probe=x[:256])
    model.fit(x, y, epochs=2, batch_size=32, verbose=0, callbacks=[diag])
    return diag


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_sigmoid_gradients_vanish_and_relu_gradients_do_not(optimizer):
    sigmoid, relu = train("sigmoid", optimizer), train("relu", optimizer)
    for epoch in (0, 1):
        assert sigmoid.shrinkage(epoch) >= 100 * relu.shrinkage(epoch)
    # the numbers behind it: ~4x less per sigmoid layer (0.25 is the derivative's maximum)
    norms = list(sigmoid.grad_norms().values())
    assert all(a < b for a, b in zip(norms, norms[1:]))  # smaller at every step towards the input
    assert sigmoid.shrinkage() > 1e4 and relu.shrinkage() < 10
    per_layer = sigmoid.shrinkage() ** (1 / 10)
    assert 2.5 < per_layer < 8


def test_history_layout_and_dead_relu_fractions():
    diag = train("relu")
    names = [f"h{i}" for i in range(10)]
    assert diag.layer_names == [*names, "out"] and diag.relu_layer_names == names
    assert set(diag.history) == {f"{n}/grad_norm" for n in diag.layer_names} | {
        f"{n}/dead_fraction" for n in names
    }
    assert all(len(v) == 2 for v in diag.history.values())
    dead = diag.dead_fractions()
    assert list(dead) == names and all(0.0 <= f <= 1.0 for f in dead.values())
    assert dead == {n: diag.history[f"{n}/dead_fraction"][-1] for n in names}
    for f in dead.values():
        assert (f * 32) == pytest.approx(round(f * 32))  # a whole number of the 32 units


def test_dead_fraction_counts_units_that_never_fire():
    npl.set_seed(0)
    model = Sequential([Input((3,)), Dense(4, activation="relu", name="r"), Dense(1, name="o")])
    kernel, bias = model.layers[0].kernel, model.layers[0].bias
    kernel.data[...] = [[1, 1, 1, 1], [1, 1, 1, 1], [1, 1, 1, 1]]
    bias.data[...] = [0, -100, 0, -100]  # units 1 and 3 are off for every input in [0, 1]
    diag = GradientDiagnostics(probe=np.random.default_rng(0).random((20, 3)))
    diag.set_model(model)
    diag.on_train_begin()
    diag.on_epoch_end(0)
    assert diag.dead_fractions(0) == {"r": 0.5}
    assert diag.grad_norms() == {"r": 0.0, "o": 0.0}  # no batch has run


def test_relu_layers_activation_layers_and_convolutions():
    npl.set_seed(0)
    rng = np.random.default_rng(1)
    x = rng.normal(size=(32, 6, 6, 1)).astype("float32")
    y = rng.integers(0, 2, size=32).astype("float32")
    model = Sequential([
        Input((6, 6, 1)), Conv2D(4, 3, activation="relu", name="conv"), MaxPooling2D(2),
        Flatten(), Dense(8, name="d"), ReLU(name="relu"), Dense(8, name="d2"),
        Activation("relu", name="act"), Dense(1, activation="sigmoid", name="out"),
    ])  # fmt: skip
    model.compile(optimizer="adam", loss="binary_crossentropy")
    diag = GradientDiagnostics(probe=x)
    model.fit(x, y, epochs=1, batch_size=8, verbose=0, callbacks=[diag])
    assert diag.layer_names == ["conv", "d", "d2", "out"]
    assert diag.relu_layer_names == ["conv", "relu", "act"]
    assert all(v > 0 for v in diag.grad_norms().values())
    assert set(diag.dead_fractions()) == {"conv", "relu", "act"}


def test_without_probe_only_gradient_norms(capsys):
    npl.set_seed(0)
    x, y = task(n=64)
    model = deep_network("relu", depth=2)
    model.compile(optimizer="sgd", loss="binary_crossentropy")
    diag = GradientDiagnostics(verbose=1)
    model.fit(x, y, epochs=1, batch_size=32, verbose=0, callbacks=[diag])
    assert all(k.endswith("/grad_norm") for k in diag.history)
    assert diag.dead_fractions() == {}
    assert "gradient shrinkage" in capsys.readouterr().out


def test_average_over_the_epochs_batches():
    npl.set_seed(0)
    x, y = task(n=96)
    model = deep_network("relu", depth=1)
    model.compile(optimizer="sgd", loss="binary_crossentropy")

    class Spy(GradientDiagnostics):
        def on_train_batch_end(self, batch, logs=None):
            self.seen.append(float(np.linalg.norm(self.model.layers[0].kernel.grad)))
            super().on_train_batch_end(batch, logs)

    diag = Spy()
    diag.seen = []
    model.fit(x, y, epochs=1, batch_size=32, shuffle=False, verbose=0, callbacks=[diag])
    assert len(diag.seen) == 3
    assert diag.history["h0/grad_norm"][0] == pytest.approx(np.mean(diag.seen), rel=1e-6)


def test_errors():
    with pytest.raises(ConfigError, match="probe"):
        GradientDiagnostics(probe=[])
    with pytest.raises(ConfigError, match="verbose"):
        GradientDiagnostics(verbose=2)
    diag = GradientDiagnostics()
    with pytest.raises(NotReadyError, match="Received"):
        diag.on_train_begin()
    diag.set_model(deep_network("relu", depth=1))
    diag.on_train_begin()
    with pytest.raises(NotReadyError, match="train first"):
        diag.grad_norms()
    diag.on_epoch_end(0)
    with pytest.raises(ConfigError, match="recorded 1 epochs"):
        diag.grad_norms(epoch=3)
    only_one = GradientDiagnostics()
    only_one.set_model(Sequential([Input((2,)), Dense(1)]))
    only_one.on_train_begin()
    only_one.on_epoch_end(0)
    with pytest.raises(NotReadyError, match="at least two layers"):
        only_one.shrinkage()
