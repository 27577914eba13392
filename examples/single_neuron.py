"""Course note 002's single sigmoid neuron, trained by gradient descent on a truth table.

    python examples/single_neuron.py [--out figures] [--quick]

Six rows of a 3-input table whose output copies the second input; 10,000 full-batch steps from
seed 42, step size 1, no bias. The neuron then answers two rows it never saw: the note reports
about 0.0145 for [1, 0, 0] and 0.9998 for [0, 1, 1].
"""

import argparse
import pathlib

import numpy as np

import neuropil.plot as nplt
from neuropil.classic import SigmoidNeuron

X = np.array([[0, 0, 0], [0, 0, 1], [0, 1, 0], [1, 0, 0], [1, 1, 0], [1, 1, 1]])
Y = np.array([0, 0, 1, 0, 1, 1])
UNSEEN = np.array([[1, 0, 0], [0, 1, 1]])
NOTES = [0.0145, 0.9998]


def run(out="figures", quick=False, iterations=10_000):
    """Train the neuron (``quick`` keeps the note's 10,000 steps: they take milliseconds)."""
    out = pathlib.Path(out)
    out.mkdir(parents=True, exist_ok=True)
    neuron = SigmoidNeuron(learning_rate=1.0, iterations=iterations, seed=42).fit(X, Y)
    unseen = neuron.predict(UNSEEN)
    plt = nplt._common.pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
    curve = np.asarray(neuron.loss_curve_)
    axes[0].loglog(np.arange(1, len(curve) + 1), curve, color=nplt.PALETTE[0])
    axes[0].axhline(0.25 / 6, color="gray", linestyle="--",
                    label="floor: with no bias, [0, 0, 0] always gives 0.5")  # fmt: skip
    axes[0].set(xlabel="iteration", ylabel="mean squared error", title="Training error (log-log)")
    axes[0].legend()
    names = ["w1 (input 1)", "w2 (input 2)", "w3 (input 3)"]
    pos = np.arange(3)
    axes[1].bar(pos - 0.2, neuron.initial_weights_, width=0.4, label="start (seed 42)",
                color=nplt.PALETTE[1])  # fmt: skip
    bars = axes[1].bar(pos + 0.2, neuron.weights_, width=0.4, label="after training",
                       color=nplt.PALETTE[0])  # fmt: skip
    axes[1].bar_label(bars, fmt="%.2f")
    axes[1].axhline(0, color="black", linewidth=0.8)
    axes[1].set(xticks=pos, xticklabels=names, ylabel="weight",
                title="The neuron learns to copy input 2")  # fmt: skip
    axes[1].set_ylim(-6, 15)
    axes[1].legend()
    path = out / "single_neuron.png"
    fig.savefig(path, dpi=100, facecolor="white")
    plt.close(fig)
    return {"unseen": [round(float(v), 4) for v in unseen],
            "weights": [round(float(w), 4) for w in neuron.weights_],
            "final_error": float(curve[-1]), "figures": [path]}  # fmt: skip


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="figures", help="folder for the PNG figure")
    parser.add_argument("--quick", action="store_true", help="accepted for symmetry; same run")
    args = parser.parse_args()
    result = run(args.out, quick=args.quick)
    print(f"[1, 0, 0] -> {result['unseen'][0]:.4f}   notes ~{NOTES[0]}")
    print(f"[0, 1, 1] -> {result['unseen'][1]:.4f}   notes ~{NOTES[1]}")
    print(f"weights {result['weights']}, final mean squared error {result['final_error']:.2e}")
    print("figures:", ", ".join(str(p) for p in result["figures"]))


if __name__ == "__main__":
    main()
