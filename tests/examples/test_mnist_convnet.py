"""The Keras MNIST convnet trained by neuropil on the real MNIST files: >= 99.0% in 8 epochs."""

import importlib.util
import pathlib

import numpy as np

EXAMPLE = pathlib.Path(__file__).resolve().parents[2] / "examples" / "mnist_convnet.py"


def _example():
    spec = importlib.util.spec_from_file_location("mnist_convnet", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_convnet_reaches_99_percent_in_8_epochs(shared_data, capsys):
    example = _example()
    result = example.run(shared_data / "mnist", epochs=8, seed=0, verbose=0)
    with capsys.disabled():
        print(
            f"\nMNIST convnet: test accuracy {result['accuracy']:.4f} after 8 epochs, "
            f"{result['seconds']:.1f} s of training"
        )
    assert result["accuracy"] >= 0.990
    assert len(result["history"]["loss"]) == 8
    assert all(w.dtype == np.float32 for w in result["model"].get_weights())
