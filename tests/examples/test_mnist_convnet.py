"""The Keras MNIST convnet trained by neuropil on the real MNIST files: >= 99.0% in 8 epochs."""

import numpy as np

from tests.examples.loader import load_example


def test_convnet_reaches_99_percent_in_8_epochs(shared_data, capsys):
    example = load_example("mnist_convnet")
    result = example.run(shared_data / "mnist", epochs=8, seed=0, verbose=0)
    with capsys.disabled():
        print(
            f"\nMNIST convnet: test accuracy {result['accuracy']:.4f} after 8 epochs, "
            f"{result['seconds']:.1f} s of training"
        )
    assert result["accuracy"] >= 0.990
    assert len(result["history"]["loss"]) == 8
    assert all(w.dtype == np.float32 for w in result["model"].get_weights())
