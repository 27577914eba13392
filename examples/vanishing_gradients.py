"""Vanishing gradients: the same deep network with sigmoid and with ReLU hidden layers.

    python examples/vanishing_gradients.py [--out figures] [--quick]

Course note 003: the sigmoid's derivative is at most 0.25, so each sigmoid layer the error passes
on its way back shrinks the gradient again; ReLU's derivative is 1 where a unit is active.
``GradientDiagnostics`` records every layer's kernel-gradient norm per epoch; the printed ratio
is the last layer's norm over the first layer's (how many times smaller the gradient is where
it reaches the input).
"""

import argparse
import pathlib

import numpy as np

import neuropil as npl
import neuropil.plot as nplt
from neuropil import datasets, optimizers
from neuropil.callbacks import GradientDiagnostics
from neuropil.layers import Dense, Input
from neuropil.models import Sequential


def build(activation, depth=8, width=32):
    """``depth`` hidden Dense layers of ``width`` units with ``activation``, a sigmoid output."""
    layers = [Input((2,))]
    layers += [Dense(width, activation=activation, name=f"dense_{i + 1}") for i in range(depth)]
    layers.append(Dense(1, activation="sigmoid", name="output"))
    model = Sequential(layers)
    model.compile(optimizer=optimizers.SGD(learning_rate=0.1), loss="binary_crossentropy",
                  metrics=["accuracy"])  # fmt: skip
    return model


def run(out="figures", quick=False, seed=0, depth=8):
    """Train both networks on the moons set; returns the gradient-norm ratios and figures."""
    out = pathlib.Path(out)
    out.mkdir(parents=True, exist_ok=True)
    x, y = datasets.moons(n_samples=256 if quick else 512, noise=0.1, seed=seed)
    epochs = 3 if quick else 20
    result = {"figures": []}
    plt = nplt._common.pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.8), layout="constrained", sharey=True)
    for ax, activation in zip(axes, ("sigmoid", "relu")):
        npl.set_seed(seed)
        model = build(activation, depth=depth)
        diag = GradientDiagnostics()
        history = model.fit(x, y.astype("float32"), batch_size=32, epochs=epochs, verbose=0,
                            callbacks=[diag])  # fmt: skip
        first_epoch = diag.grad_norms(0)
        result[activation] = {
            "ratio": float(np.mean([diag.shrinkage(e) for e in range(epochs)])),
            "first_layer": float(list(first_epoch.values())[0]),
            "last_layer": float(list(first_epoch.values())[-1]),
            "accuracy": float(history.history["accuracy"][-1]),
        }
        nplt.gradient_norms(diag, ax=ax)
        ax.set_title(f"{activation}: output / layer-1 gradient norm = "
                     f"{result[activation]['ratio']:,.1f}")  # fmt: skip
        ax.get_legend().remove()
    axes[1].legend(*axes[0].get_legend_handles_labels(), fontsize=8, ncol=3, loc="lower right",
                   title="layer (dense_1 is nearest the input)")  # fmt: skip
    fig.suptitle(f"Per-layer gradient norms, {depth} hidden layers of 32 units, SGD on moons")
    path = out / "vanishing_gradients.png"
    fig.savefig(path, dpi=100, facecolor="white")
    plt.close(fig)
    result["figures"].append(path)
    result["ratio_of_ratios"] = result["sigmoid"]["ratio"] / result["relu"]["ratio"]
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="figures", help="folder for the PNG figure")
    parser.add_argument("--quick", action="store_true", help="fewer samples and epochs")
    args = parser.parse_args()
    result = run(args.out, quick=args.quick)
    for activation in ("sigmoid", "relu"):
        r = result[activation]
        print(f"{activation:7s}: last/first gradient norm {r['ratio']:10.1f}  (epoch 1: first "
              f"layer {r['first_layer']:.2e}, output {r['last_layer']:.2e}), "
              f"train accuracy {r['accuracy']:.3f}")  # fmt: skip
    print(f"the sigmoid network's ratio is {result['ratio_of_ratios']:,.0f} times the ReLU one's")
    print("figures:", ", ".join(str(p) for p in result["figures"]))


if __name__ == "__main__":
    main()
