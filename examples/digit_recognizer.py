"""Course note 004's MNIST digit recognizer, trained on the MNIST images shipped with neuropil.

    python examples/digit_recognizer.py [--out figures] [--epochs 5] [--quick]

``datasets.embedded_mnist()`` needs no download: the 10,000 MNIST test images split 8,000 for
training and 2,000 for testing. Pixels are scaled to [0, 1]; a Flatten - Dense(128, relu) -
Dense(10, softmax) network is trained with Adam. ``--quick`` trains one epoch on 1,000 images.
"""

import argparse
import pathlib
import time

import numpy as np

import neuropil as npl
import neuropil.plot as nplt
from neuropil import datasets, optimizers
from neuropil.layers import Dense, Flatten, Input
from neuropil.models import Sequential


def build_model():
    """784-128-10 network for 28x28 digits."""
    model = Sequential([Input((28, 28)), Flatten(), Dense(128, activation="relu"),
                        Dense(10, activation="softmax")])  # fmt: skip
    model.compile(optimizer=optimizers.Adam(learning_rate=0.001),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])  # fmt: skip
    return model


def run(out="figures", quick=False, epochs=5, seed=0):
    """Train and evaluate; returns accuracy, seconds and figures."""
    out = pathlib.Path(out)
    out.mkdir(parents=True, exist_ok=True)
    npl.set_seed(seed)
    (x_train, y_train), (x_test, y_test) = datasets.embedded_mnist()
    x_train = x_train.astype("float32") / 255
    x_test = x_test.astype("float32") / 255
    if quick:
        x_train, y_train, epochs = x_train[:1000], y_train[:1000], 1
    model = build_model()
    start = time.perf_counter()
    history = model.fit(x_train, y_train, validation_split=0.1, batch_size=32, epochs=epochs,
                        verbose=0)  # fmt: skip
    seconds = time.perf_counter() - start
    predicted = model.predict(x_test, verbose=0).argmax(axis=1)
    result = {"accuracy": float((predicted == y_test).mean()), "seconds": seconds,
              "epochs": epochs, "n_train": len(x_train), "figures": []}  # fmt: skip
    plt = nplt._common.pyplot()
    path = out / "digits_history.png"
    plt.close(nplt.history(history, path=path, title="Digit recognizer: learning curves"))
    result["figures"].append(path)
    path = out / "digits_confusion.png"
    title = f"Test digits (accuracy {result['accuracy']:.3f})"
    fig = nplt.confusion_matrix(y_test, predicted, path=path, figsize=(6.5, 5.5), title=title)
    plt.close(fig)
    result["figures"].append(path)
    fig, axes = plt.subplots(3, 8, figsize=(10, 4.4), layout="constrained")
    wrong = np.flatnonzero(predicted != y_test)[:8]
    shown = np.concatenate([np.arange(16), wrong])
    for ax, i in zip(axes.ravel(), shown):
        ax.imshow(x_test[i], cmap="gray_r")
        ok = predicted[i] == y_test[i]
        ax.set_title(f"{predicted[i]} (true {y_test[i]})", fontsize=9,
                     color="black" if ok else "red")  # fmt: skip
    for ax in axes.ravel():
        ax.axis("off")
    fig.suptitle("Predictions on test digits; the bottom row shows mistakes (red)")
    path = out / "digits_samples.png"
    fig.savefig(path, dpi=100, facecolor="white")
    plt.close(fig)
    result["figures"].append(path)
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="figures", help="folder for the PNG figures")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="1 epoch on 1,000 images")
    args = parser.parse_args()
    result = run(args.out, quick=args.quick, epochs=args.epochs)
    print(f"{result['epochs']} epochs on {result['n_train']} images in {result['seconds']:.1f} s")
    print(f"test accuracy {result['accuracy']:.4f} on 2,000 held-out digits")
    print("figures:", ", ".join(str(p) for p in result["figures"]))


if __name__ == "__main__":
    main()
