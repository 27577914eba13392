"""The single sigmoid neuron of note 002: its printed numbers, its gradient, checks and files."""

import numpy as np
import pytest

import neuropil as npl
from neuropil.classic import SigmoidNeuron, load
from neuropil.errors import ConfigError, NotReadyError, ShapeError

# note 002's training table: the output copies the second input
X = np.array([[0, 0, 0], [0, 0, 1], [0, 1, 0], [1, 0, 0], [1, 1, 0], [1, 1, 1]])
Y = np.array([0, 0, 1, 0, 1, 1])


@pytest.fixture(scope="module")
def trained():
    return SigmoidNeuron(learning_rate=1.0, iterations=10_000, seed=42).fit(X, Y)


def test_reproduces_note_002(trained):
    # the note prints these after np.random.seed(42) and 10,000 iterations
    np.testing.assert_allclose(
        trained.initial_weights_, [-0.25091976, 0.90142861, 0.46398788], atol=5e-9
    )
    np.testing.assert_allclose(trained.weights_, [-4.21652261, 12.79677774, -4.21664048], atol=5e-8)
    unseen = trained.predict([[1, 0, 0], [0, 1, 1]])
    np.testing.assert_allclose(unseen, [0.01453545, 0.99981224], atol=5e-9)
    assert round(float(unseen[0]), 4) == 0.0145 and round(float(unseen[1]), 4) == 0.9998
    assert trained.predict([1, 0, 0]).shape == (1,)


def test_defaults_are_the_notes_settings():
    neuron = SigmoidNeuron()
    assert (neuron.learning_rate, neuron.iterations, neuron.seed) == (1.0, 10_000, 42)


def test_does_not_touch_numpys_global_random_state(trained):
    np.random.seed(0)
    expected = np.random.random()
    np.random.seed(0)
    SigmoidNeuron(iterations=5).fit(X, Y)
    assert np.random.random() == expected


def test_loss_falls_and_the_update_is_the_squared_error_gradient():
    neuron = SigmoidNeuron(iterations=1, learning_rate=0.1, seed=3).fit(X, Y)
    w0 = neuron.initial_weights_

    def half_sse(w):
        out = 1 / (1 + np.exp(-(X @ w)))
        return 0.5 * np.sum((Y - out) ** 2)

    eps = 1e-6
    steps = np.eye(3) * eps
    grad = np.array([(half_sse(w0 + s) - half_sse(w0 - s)) / (2 * eps) for s in steps])
    np.testing.assert_allclose(neuron.weights_, w0 - 0.1 * grad, rtol=1e-7, atol=1e-10)
    curve = SigmoidNeuron(iterations=500).fit(X, Y).loss_curve_
    assert len(curve) == 500 and curve[-1] < curve[0] / 4
    assert all(b <= a for a, b in zip(curve, curve[1:]))


def test_bias_option_learns_a_shifted_threshold():
    neuron = SigmoidNeuron(learning_rate=0.5, iterations=3000, seed=0, use_bias=True)
    neuron.fit([[0.0], [1.0], [2.0], [3.0]], [0, 0, 1, 1])
    assert neuron.bias_ < 0 and neuron.weights_.shape == (1,)
    outputs = neuron.predict([[0.0], [1.0], [2.0], [3.0]])
    assert (outputs > 0.5).tolist() == [False, False, True, True]
    assert SigmoidNeuron(seed=0).fit([[1.0], [0.0]], [1, 0]).bias_ == 0.0


def test_seed_none_uses_neuropils_generator():
    npl.set_seed(11)
    a = SigmoidNeuron(seed=None, iterations=3).fit(X, Y).weights_
    npl.set_seed(11)
    assert np.array_equal(a, SigmoidNeuron(seed=None, iterations=3).fit(X, Y).weights_)


@pytest.mark.parametrize(
    "kwargs",
    [{"learning_rate": 0}, {"learning_rate": "1"}, {"iterations": 0}, {"seed": 1.5}],
)
def test_bad_arguments(kwargs):
    with pytest.raises(ConfigError, match="Received"):
        SigmoidNeuron(**kwargs)


def test_bad_data():
    with pytest.raises(NotReadyError):
        SigmoidNeuron().predict(X)
    with pytest.raises(ConfigError, match=r"\[0, 1\]"):
        SigmoidNeuron().fit(X, [0, 0, 2, 0, 1, 1])
    with pytest.raises(ShapeError):
        SigmoidNeuron().fit(X, [0, 1])
    neuron = SigmoidNeuron(iterations=2).fit(X, Y)
    with pytest.raises(ShapeError, match="fitted on 3 features"):
        neuron.predict([[1, 0]])


def test_save_load_round_trip(tmp_path, trained):
    path = tmp_path / "neuron.json"
    trained.save(path)
    for loaded in (SigmoidNeuron.load(path), load(path)):
        assert loaded.get_config() == trained.get_config()
        assert np.array_equal(loaded.weights_, trained.weights_)
        assert np.array_equal(loaded.initial_weights_, trained.initial_weights_)
        assert loaded.loss_curve_ == trained.loss_curve_
        assert np.array_equal(loaded.predict(X), trained.predict(X))
    SigmoidNeuron().save(tmp_path / "new.json")
    assert SigmoidNeuron.load(tmp_path / "new.json").weights_ is None
