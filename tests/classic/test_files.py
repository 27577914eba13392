"""The shared JSON file of the classic neurons: dispatch, exact floats, and safe reading."""

import json

import numpy as np
import pytest

from neuropil.classic import MPNeuron, Perceptron, SigmoidNeuron, load
from neuropil.errors import FileFormatError


def test_load_rebuilds_each_class(tmp_path):
    X = [[0, 0], [0, 1], [1, 0], [1, 1]]
    neurons = [
        MPNeuron.or_gate(),
        Perceptron(seed=0).fit(X, [0, 1, 1, 1]),
        SigmoidNeuron(iterations=50).fit(X, [0, 1, 1, 1]),
    ]
    for i, neuron in enumerate(neurons):
        path = tmp_path / f"{i}.json"
        neuron.save(path)
        loaded = load(path)
        assert type(loaded) is type(neuron)
        assert np.array_equal(loaded.predict(X), neuron.predict(X))


def test_floats_survive_exactly(tmp_path):
    p = Perceptron(seed=0).fit([[0.1, 0.7], [0.3, 0.2]], [1, 0])
    p.weights_ = np.array([np.pi, 1 / 3, np.nextafter(1.0, 2.0)])
    p.save(tmp_path / "p.json")
    assert np.array_equal(load(tmp_path / "p.json").weights_, p.weights_)


FOREIGN = [
    "",
    "[]",
    "null",
    "\x00\x01binary",
    '{"format": "neuropil.model"}',
    '{"format": "neuropil.classic", "format_version": "1"}',
]


@pytest.mark.parametrize("content", FOREIGN)
def test_foreign_files_are_refused(tmp_path, content):
    path = tmp_path / "x.json"
    path.write_text(content)
    with pytest.raises(FileFormatError, match="Cannot load"):
        load(path)


def test_only_registered_classes_are_built(tmp_path):
    path = tmp_path / "x.json"
    path.write_text(json.dumps({
        "format": "neuropil.classic", "format_version": 1, "class_name": "Popen",
        "config": {"args": ["echo"]}, "state": {},
    }))  # fmt: skip
    with pytest.raises(FileFormatError, match="unknown class 'Popen'"):
        load(path)
