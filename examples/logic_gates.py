"""Logic gates: the perceptron learns AND and OR but never XOR; a small MLP solves XOR.

    python examples/logic_gates.py [--out figures] [--quick]

Course note 000: Rosenblatt's rule with eta = 0.5 for 10 epochs converges on AND and OR, whose
classes one straight line separates, and keeps making mistakes on XOR, where no line does. A
network with one hidden layer bends the boundary and classifies all four XOR cases.
"""

import argparse
import pathlib
import warnings

import numpy as np

import neuropil as npl
import neuropil.plot as nplt
from neuropil import optimizers
from neuropil.classic import Perceptron
from neuropil.layers import Dense, Input
from neuropil.models import Sequential

X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
GATES = {"AND": [0, 0, 0, 1], "OR": [0, 1, 1, 1], "XOR": [0, 1, 1, 0]}


def train_perceptrons(eta=0.5, epochs=10, seed=0):
    """One perceptron per gate; returns {gate: fitted Perceptron} (XOR's warning is silenced)."""
    fitted = {}
    for gate, y in GATES.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            fitted[gate] = Perceptron(eta=eta, epochs=epochs, seed=seed).fit(X, y)
    return fitted


def train_xor_mlp(epochs=400, seed=0):
    """A 2-4-1 tanh/sigmoid network trained on the four XOR cases; returns (model, history)."""
    npl.set_seed(seed)
    model = Sequential([Input((2,)), Dense(4, activation="tanh"), Dense(1, activation="sigmoid")])
    model.compile(optimizer=optimizers.Adam(learning_rate=0.05), loss="binary_crossentropy",
                  metrics=["accuracy"])  # fmt: skip
    history = model.fit(X.astype("float32"), np.array(GATES["XOR"], dtype="float32"),
                        batch_size=4, epochs=epochs, verbose=0)  # fmt: skip
    return model, history


def run(out="figures", quick=False, seed=0):
    """Train the perceptrons and the MLP, save the figures; returns a dict of outcomes."""
    out = pathlib.Path(out)
    out.mkdir(parents=True, exist_ok=True)
    plt = nplt._common.pyplot()
    perceptrons = train_perceptrons(seed=seed)
    fig, axes = plt.subplots(1, 3, figsize=(13, 4.2), layout="constrained")
    result = {"figures": []}
    for ax, (gate, p) in zip(axes, perceptrons.items()):
        predicted = p.predict(X).tolist()
        result[gate] = {"predicted": predicted, "converged": bool(p.converged_),
                        "correct": int(np.sum(np.array(predicted) == GATES[gate])),
                        "errors_per_epoch": list(p.errors_)}  # fmt: skip
        nplt.decision_boundary(p, X, np.array(GATES[gate]), ax=ax, resolution=120, margin=0.3)
        state = "converged" if p.converged_ else "did not converge"
        ax.set_title(f"{gate}: {result[gate]['correct']}/4 correct, {state}")
    fig.suptitle("Perceptron (eta = 0.5, 10 epochs): one straight line per gate")
    path = out / "logic_gates_perceptron.png"
    fig.savefig(path, dpi=100, facecolor="white")
    plt.close(fig)
    result["figures"].append(path)

    model, history = train_xor_mlp(epochs=250 if quick else 400, seed=seed)
    probabilities = model.predict(X.astype("float32"), verbose=0)[:, 0]
    result["mlp_xor"] = {"probabilities": [round(float(p), 4) for p in probabilities],
                         "predicted": (probabilities > 0.5).astype(int).tolist(),
                         "final_loss": float(history.history["loss"][-1])}  # fmt: skip
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), layout="constrained")
    nplt.decision_boundary(model, X, np.array(GATES["XOR"]), ax=axes[0], resolution=120,
                           margin=0.3)  # fmt: skip
    axes[0].set_title("XOR solved by a 2-4-1 network: a curved boundary")
    axes[1].plot(np.arange(1, len(history.history["loss"]) + 1), history.history["loss"])
    axes[1].set(xlabel="epoch", ylabel="binary cross-entropy", title="MLP training loss on XOR")
    path = out / "logic_gates_mlp_xor.png"
    fig.savefig(path, dpi=100, facecolor="white")
    plt.close(fig)
    result["figures"].append(path)
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="figures", help="folder for the PNG figures")
    parser.add_argument("--quick", action="store_true", help="fewer MLP epochs")
    args = parser.parse_args()
    result = run(args.out, quick=args.quick)
    for gate in GATES:
        r = result[gate]
        print(f"perceptron {gate:3s}: predicts {r['predicted']} (targets {GATES[gate]}), "
              f"converged {r['converged']}, errors per epoch {r['errors_per_epoch']}")  # fmt: skip
    m = result["mlp_xor"]
    print(f"MLP on XOR: probabilities {m['probabilities']} -> {m['predicted']}, "
          f"final loss {m['final_loss']:.4f}")  # fmt: skip
    print("figures:", ", ".join(str(p) for p in result["figures"]))


if __name__ == "__main__":
    main()
