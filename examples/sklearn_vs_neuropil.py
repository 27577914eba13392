"""Course note 004: scikit-learn's MLPClassifier against a neuropil network on the same data.

    python examples/sklearn_vs_neuropil.py [--out figures] [--quick]

The note compares ``MLPClassifier(hidden_layer_sizes=(8,), learning_rate_init=0.001,
max_iter=100)`` with a Keras ``Dense(8)`` + ``Dense(1, sigmoid)`` model on a 13-feature binary
task. Its data set is not given, so this uses a real one with 13 features: scikit-learn's wine
data (``load_wine``) reduced to its first two cultivars (130 samples), standardized, split 70/30.
Both models get 100 passes over the training set with Adam at 0.001, batch size 32 (Keras'
default; MLPClassifier's is min(200, n_samples)), and ReLU hidden units.
"""

import argparse
import pathlib
import time
import warnings

import numpy as np

import neuropil as npl
import neuropil.plot as nplt
from neuropil import optimizers
from neuropil.layers import Dense, Input
from neuropil.models import Sequential


def load(seed=0):
    """Wine, classes 0 and 1 only: (x_train, x_test, y_train, y_test), standardized float32."""
    from sklearn.datasets import load_wine
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    x, y = load_wine(return_X_y=True)
    keep = y < 2
    x_train, x_test, y_train, y_test = train_test_split(
        x[keep], y[keep], test_size=0.3, random_state=seed, stratify=y[keep]
    )
    scaler = StandardScaler().fit(x_train)
    return (scaler.transform(x_train).astype("float32"), scaler.transform(x_test).astype("float32"),
            y_train, y_test)  # fmt: skip


def run(out="figures", quick=False, seed=0, epochs=100):
    """Fit both models; returns their test accuracies, seconds, loss curves and figures."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    out = pathlib.Path(out)
    out.mkdir(parents=True, exist_ok=True)
    x_train, x_test, y_train, y_test = load(seed)
    result = {"n_features": x_train.shape[1], "n_train": len(x_train), "n_test": len(x_test),
              "figures": []}  # fmt: skip
    start = time.perf_counter()
    mlp = MLPClassifier(hidden_layer_sizes=(8,), learning_rate_init=0.001, max_iter=epochs,
                        batch_size=32, random_state=seed)  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        mlp.fit(x_train, y_train)
    result["sklearn"] = {"accuracy": float(mlp.score(x_test, y_test)),
                         "seconds": time.perf_counter() - start,
                         "loss": [float(v) for v in mlp.loss_curve_]}  # fmt: skip

    npl.set_seed(seed)
    model = Sequential([Input((13,)), Dense(8, activation="relu"), Dense(1, activation="sigmoid")])
    model.compile(optimizer=optimizers.Adam(learning_rate=0.001), loss="binary_crossentropy",
                  metrics=["accuracy"])  # fmt: skip
    start = time.perf_counter()
    history = model.fit(x_train, y_train.astype("float32"), batch_size=32, epochs=epochs,
                        verbose=0)  # fmt: skip
    seconds = time.perf_counter() - start
    predicted = (model.predict(x_test, verbose=0)[:, 0] > 0.5).astype(int)
    result["neuropil"] = {"accuracy": float((predicted == y_test).mean()), "seconds": seconds,
                          "loss": [float(v) for v in history.history["loss"]]}  # fmt: skip

    plt = nplt._common.pyplot()
    fig, ax = plt.subplots(figsize=(7.5, 4.5), layout="constrained")
    for i, name in enumerate(("sklearn", "neuropil")):
        r = result[name]
        label = f"{name} (test accuracy {r['accuracy']:.3f})"
        ax.plot(np.arange(1, len(r["loss"]) + 1), r["loss"], label=label, color=nplt.PALETTE[i])
    ax.set(xlabel="epoch", ylabel="training log-loss",
           title="Wine (2 classes, 13 features): 13-8-1 networks, Adam 0.001")  # fmt: skip
    ax.legend()
    path = out / "sklearn_vs_neuropil.png"
    fig.savefig(path, dpi=100, facecolor="white")
    plt.close(fig)
    result["figures"].append(path)
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="figures", help="folder for the PNG figure")
    parser.add_argument("--quick", action="store_true", help="accepted for symmetry; same run")
    args = parser.parse_args()
    result = run(args.out, quick=args.quick)
    print(f"wine, classes 0 and 1: {result['n_features']} features, {result['n_train']} train / "
          f"{result['n_test']} test samples")  # fmt: skip
    for name in ("sklearn", "neuropil"):
        r = result[name]
        print(f"{name:8s} test accuracy {r['accuracy']:.4f}, final training loss "
              f"{r['loss'][-1]:.4f}, {r['seconds']:.2f} s")  # fmt: skip
    print("figures:", ", ".join(str(p) for p in result["figures"]))


if __name__ == "__main__":
    main()
