"""Course note 003's CIFAR-10 CNN (conv 32-64-64, dense 64), when the CIFAR-10 files are present.

    python examples/cifar10_cnn.py [--out figures] [--epochs 10] [--download]

The data are not shipped: without ``cifar-10-python.tar.gz`` in the neuropil cache this script
says where to put it (or pass ``--download`` to fetch it, 170 MB). ``--quick`` instead checks the
model on one small batch of random images, so the network itself is exercised offline.
"""

import argparse
import pathlib
import time

import numpy as np

import neuropil as npl
import neuropil.plot as nplt
from neuropil import datasets, optimizers
from neuropil.layers import Conv2D, Dense, Flatten, Input, MaxPooling2D
from neuropil.models import Sequential

HOW_TO_GET = (
    "CIFAR-10 is not in the neuropil cache. Run this script with --download (170 MB from "
    "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz), or copy cifar-10-python.tar.gz "
    "into {folder} (set NEUROPIL_DATA to use another cache folder)."
)


def build_model():
    """The notes' tutorial CNN: three 3x3 convolutions (32, 64, 64), two poolings, Dense 64."""
    model = Sequential([
        Input((32, 32, 3)),
        Conv2D(32, 3, activation="relu"), MaxPooling2D(2),
        Conv2D(64, 3, activation="relu"), MaxPooling2D(2),
        Conv2D(64, 3, activation="relu"),
        Flatten(), Dense(64, activation="relu"), Dense(10),
    ])  # fmt: skip
    model.compile(optimizer=optimizers.Adam(), metrics=["accuracy"],
                  loss=npl.losses.SparseCategoricalCrossentropy(from_logits=True))  # fmt: skip
    return model


def run(out="figures", quick=False, epochs=10, download=False, seed=0):
    """Train on CIFAR-10 if available; returns a dict with ``status`` and results or ``message``."""
    out = pathlib.Path(out)
    npl.set_seed(seed)
    if quick:
        model = build_model()
        x = np.random.default_rng(seed).random((8, 32, 32, 3), dtype=np.float32)
        y = np.arange(8) % 10
        history = model.fit(x, y, batch_size=8, epochs=1, verbose=0)
        return {"status": "smoke", "loss": float(history.history["loss"][0]),
                "params": model.count_params(), "figures": []}  # fmt: skip
    try:
        (x_train, y_train), (x_test, y_test) = datasets.cifar10(download=download)
    except datasets.DatasetNotFoundError:
        folder = datasets.cache_root() / "cifar10"
        return {"status": "missing", "message": HOW_TO_GET.format(folder=folder), "figures": []}
    out.mkdir(parents=True, exist_ok=True)
    x_train, x_test = x_train.astype("float32") / 255, x_test.astype("float32") / 255
    model = build_model()
    start = time.perf_counter()
    history = model.fit(x_train, y_train.ravel(), batch_size=64, epochs=epochs,
                        validation_data=(x_test, y_test.ravel()), verbose=2)  # fmt: skip
    seconds = time.perf_counter() - start
    _, accuracy = model.evaluate(x_test, y_test.ravel(), verbose=0)
    path = out / "cifar10_history.png"
    nplt._common.pyplot().close(nplt.history(history, path=path, title="CIFAR-10 CNN"))
    return {"status": "trained", "accuracy": float(accuracy), "seconds": seconds,
            "figures": [path]}  # fmt: skip


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="figures", help="folder for the PNG figure")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--download", action="store_true", help="download CIFAR-10 if missing")
    parser.add_argument("--quick", action="store_true", help="one step on random images")
    args = parser.parse_args()
    result = run(args.out, quick=args.quick, epochs=args.epochs, download=args.download)
    if result["status"] == "missing":
        print(result["message"])
    elif result["status"] == "smoke":
        print(f"model with {result['params']:,} parameters ran one step; loss {result['loss']:.3f}")
    else:
        print(f"test accuracy {result['accuracy']:.4f} after {args.epochs} epochs "
              f"({result['seconds']:.0f} s)")  # fmt: skip


if __name__ == "__main__":
    main()
