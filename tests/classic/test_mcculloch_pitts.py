"""McCulloch–Pitts neurons: the gates of the 1943 paper, absolute inhibition, input checks."""

import numpy as np
import pytest

from neuropil.classic import MPNeuron, load
from neuropil.errors import ConfigError, ShapeError

X2 = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])


@pytest.mark.parametrize(
    ("gate", "expected"),
    [
        (MPNeuron.and_gate, [0, 0, 0, 1]),
        (MPNeuron.or_gate, [0, 1, 1, 1]),
        (MPNeuron.and_not_gate, [0, 0, 1, 0]),
    ],
)
def test_two_input_gates(gate, expected):
    neuron = gate()
    assert neuron.predict(X2).tolist() == expected
    inputs, outputs = neuron.truth_table()
    assert inputs.tolist() == X2.tolist() and outputs.tolist() == expected


def test_not_gate_and_single_samples():
    neuron = MPNeuron.not_gate()
    assert neuron.predict([[0], [1]]).tolist() == [1, 0]
    assert neuron.predict([0]) == 1 and neuron([1]) == 0
    assert isinstance(neuron.predict([0]), int)


def test_wide_and_or():
    table, out = MPNeuron.and_gate(3).truth_table()
    assert out.tolist() == [int(row.all()) for row in table]
    table, out = MPNeuron.or_gate(4).truth_table()
    assert out.tolist() == [int(row.any()) for row in table]


def test_any_active_inhibitory_input_forces_zero():
    neuron = MPNeuron(threshold=1, inhibitory=[2, 3])
    assert neuron.predict([[1, 1, 0, 0], [1, 1, 1, 0], [1, 1, 0, 1], [0, 0, 0, 0]]).tolist() == [
        1, 0, 0, 0,
    ]  # fmt: skip
    # inhibitory inputs do not count towards the threshold
    assert MPNeuron(threshold=2, inhibitory=1).predict([1, 0, 1]) == 1
    assert MPNeuron(threshold=2, inhibitory=1).predict([1, 0, 0]) == 0


def test_booleans_and_float_zeros_and_ones_are_binary():
    assert MPNeuron.and_gate().predict(np.array([[True, True]])).tolist() == [1]
    assert MPNeuron.and_gate().predict([[1.0, 1.0]]).tolist() == [1]


@pytest.mark.parametrize("bad", [[[0, 2]], [[0.5, 1]], [[-1, 0]], [[np.nan, 1]]])
def test_non_binary_inputs_are_rejected(bad):
    with pytest.raises(ConfigError, match=r"binary \(0 or 1\)\. Received"):
        MPNeuron.or_gate().predict(bad)


def test_shape_errors():
    with pytest.raises(ShapeError, match="has 2 inputs. Received: 3"):
        MPNeuron.and_gate().predict([[1, 1, 1]])
    with pytest.raises(ShapeError, match="needs at least 3 inputs"):
        MPNeuron(threshold=1, inhibitory=[2]).predict([[1, 1]])
    with pytest.raises(ShapeError, match="Received: shape"):
        MPNeuron.and_gate().predict(np.ones((1, 2, 2)))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"threshold": -1},
        {"threshold": 1.5},
        {"threshold": True},
        {"threshold": 1, "inhibitory": [-1]},
        {"threshold": 1, "inhibitory": ["a"]},
        {"threshold": 1, "inhibitory": "01"},
        {"threshold": 1, "inhibitory": [True]},
        {"threshold": 1, "inhibitory": [2], "n_inputs": 2},
        {"threshold": 1, "n_inputs": 0},
    ],
)
def test_bad_arguments(kwargs):
    with pytest.raises(ConfigError, match="Received"):
        MPNeuron(**kwargs)


def test_truth_table_needs_n_inputs():
    with pytest.raises(ConfigError, match="n_inputs"):
        MPNeuron(threshold=1).truth_table()


def test_save_load_round_trip(tmp_path):
    neuron = MPNeuron(threshold=2, inhibitory=[0], n_inputs=4)
    path = tmp_path / "mp.json"
    neuron.save(path)
    for loaded in (MPNeuron.load(path), load(path)):
        assert isinstance(loaded, MPNeuron)
        assert loaded.get_config() == neuron.get_config()
        assert loaded.truth_table()[1].tolist() == neuron.truth_table()[1].tolist()
    assert repr(loaded) == "MPNeuron(threshold=2, inhibitory=[0], n_inputs=4)"


def test_many_non_binary_inputs_give_a_short_message():
    with pytest.raises(ConfigError) as info:
        MPNeuron.and_gate().predict(np.random.default_rng(0).random((1000, 2)))
    assert "(2000 distinct values)" in str(info.value) and len(str(info.value)) < 200
