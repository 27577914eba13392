"""The Keras MNIST convnet, trained with neuropil on the real MNIST files.

    python examples/mnist_convnet.py [--data PATH/TO/mnist] [--epochs 8] [--seed 0]

Conv2D(32, 3, relu) - MaxPooling2D(2) - Conv2D(64, 3, relu) - MaxPooling2D(2) - Flatten -
Dropout(0.5) - Dense(10, softmax), Adam, batch 128, trained on all 60,000 training images and
evaluated on the 10,000 test images. The learning rate starts at 0.003 and follows a cosine decay
to zero over the run, so the last epochs settle into a minimum instead of circling it.
"""

import argparse
import os
import pathlib
import time

import numpy as np

import neuropil as npl
from neuropil import datasets, optimizers, schedules
from neuropil.layers import Conv2D, Dense, Dropout, Flatten, Input, MaxPooling2D
from neuropil.models import Sequential

DEFAULT_DATA = pathlib.Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"


def build_model(learning_rate=1e-3):
    """The convnet, compiled; ``learning_rate`` may be a float or a schedule."""
    model = Sequential([
        Input((28, 28, 1)),
        Conv2D(32, 3, activation="relu"), MaxPooling2D(2),
        Conv2D(64, 3, activation="relu"), MaxPooling2D(2),
        Flatten(), Dropout(0.5), Dense(10, activation="softmax"),
    ])  # fmt: skip
    model.compile(optimizer=optimizers.Adam(learning_rate=learning_rate),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])  # fmt: skip
    return model


def load(folder):
    """MNIST from ``folder`` if it holds the files, else from neuropil's cache (downloaded
    there the first time, checksums verified)."""
    if os.path.isdir(folder):
        (x_train, y_train), (x_test, y_test) = datasets.load_mnist(folder)
    else:
        (x_train, y_train), (x_test, y_test) = datasets.mnist()
    scale = np.float32(1 / 255)
    return (x_train[..., None] * scale, y_train), (x_test[..., None] * scale, y_test)


def run(data=DEFAULT_DATA, epochs=8, seed=0, verbose=2, limit=None, learning_rate=3e-3):
    """Train and evaluate; ``limit`` trains on the first ``limit`` images (quick checks)."""
    npl.set_seed(seed)
    (x_train, y_train), (x_test, y_test) = load(data)
    if limit:
        x_train, y_train = x_train[:limit], y_train[:limit]
    steps = epochs * -(-len(x_train) // 128)
    model = build_model(schedules.CosineDecay(learning_rate, decay_steps=steps))
    start = time.perf_counter()
    history = model.fit(x_train, y_train, batch_size=128, epochs=epochs, verbose=verbose)
    seconds = time.perf_counter() - start
    loss, accuracy = model.evaluate(x_test, y_test, batch_size=500, verbose=0)
    return {"accuracy": accuracy, "loss": loss, "seconds": seconds, "model": model,
            "history": history.history}  # fmt: skip


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(DEFAULT_DATA))
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    result = run(args.data, args.epochs, args.seed)
    print(f"\n{args.epochs} epochs in {result['seconds']:.1f} s "
          f"({result['seconds'] / args.epochs:.1f} s/epoch)")  # fmt: skip
    print(f"test accuracy {result['accuracy']:.4f}, test loss {result['loss']:.4f}")


if __name__ == "__main__":
    main()
