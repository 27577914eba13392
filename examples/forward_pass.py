"""Course note 001's worked forward pass, computed by hand and by a neuropil network.

    python examples/forward_pass.py [--out figures]

Two steps, as the note takes them: two inputs (1.0, 0.5) into two sigmoid nodes (weights
0.9/0.3 and 0.2/0.8), then a 3-3-3 network whose weight matrices the note writes with one row per
receiving node, X = W . I. A neuropil ``Dense`` kernel has shape (in, out), so it holds W
transposed; both routes must print the note's numbers.
"""

import argparse
import pathlib

import numpy as np

import neuropil.plot as nplt
from neuropil.layers import Dense, Input
from neuropil.models import Sequential

TWO_INPUTS = np.array([1.0, 0.5])
TWO_WEIGHTS = np.array([[0.9, 0.3], [0.2, 0.8]])  # row j: weights into node j
I = np.array([0.9, 0.1, 0.8])
W_IH = np.array([[0.9, 0.3, 0.4], [0.2, 0.8, 0.2], [0.1, 0.5, 0.6]])
W_HO = np.array([[0.3, 0.7, 0.5], [0.6, 0.5, 0.2], [0.8, 0.1, 0.9]])
NOTES = {"two_x": [1.05, 0.6], "two_y": [0.7408, 0.6457], "x_hidden": [1.16, 0.42, 0.62],
         "o_hidden": [0.761, 0.603, 0.650], "x_output": [0.975, 0.888, 1.254],
         "o_output": [0.726, 0.708, 0.778]}  # fmt: skip


def sigmoid(x):
    """The logistic function 1 / (1 + e^-x)."""
    return 1.0 / (1.0 + np.exp(-x))


def by_hand():
    """Every intermediate value of the note's two examples, in NumPy."""
    two_x = TWO_WEIGHTS @ TWO_INPUTS
    x_hidden = W_IH @ I
    o_hidden = sigmoid(x_hidden)
    x_output = W_HO @ o_hidden
    return {"two_x": two_x, "two_y": sigmoid(two_x), "x_hidden": x_hidden, "o_hidden": o_hidden,
            "x_output": x_output, "o_output": sigmoid(x_output)}  # fmt: skip


def by_network():
    """The 3-3-3 example as a neuropil Sequential model without biases; returns its output."""
    model = Sequential([Input((3,)), Dense(3, activation="sigmoid", use_bias=False),
                        Dense(3, activation="sigmoid", use_bias=False)])  # fmt: skip
    model.set_weights([W_IH.T.astype("float32"), W_HO.T.astype("float32")])
    return model.predict(I[None].astype("float32"), verbose=0)[0].astype(float)


def run(out="figures", quick=False):
    """Compute both routes and draw the layer values; returns a dict of arrays and figures."""
    out = pathlib.Path(out)
    out.mkdir(parents=True, exist_ok=True)
    values = by_hand()
    result = {k: np.round(v, 4).tolist() for k, v in values.items()}
    result["network_output"] = np.round(by_network(), 4).tolist()
    plt = nplt._common.pyplot()
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.8), layout="constrained")
    panels = [("input I", I, None), ("hidden layer", values["x_hidden"], values["o_hidden"]),
              ("output layer", values["x_output"], values["o_output"])]  # fmt: skip
    for ax, (name, x, o) in zip(axes, panels):
        nodes = np.arange(1, 4)
        if o is None:
            bars = ax.bar(nodes, x, color=nplt.PALETTE[0], label="value")
            ax.bar_label(bars, fmt="%.2f")
        else:
            b1 = ax.bar(nodes - 0.2, x, width=0.4, color=nplt.PALETTE[0], label="X = W . input")
            b2 = ax.bar(nodes + 0.2, o, width=0.4, color=nplt.PALETTE[1], label="O = sigmoid(X)")
            ax.bar_label(b1, fmt="%.3f", fontsize=8)
            ax.bar_label(b2, fmt="%.3f", fontsize=8)
        ax.set(title=name, xlabel="node", xticks=nodes, ylim=(0, 1.45))
        ax.legend(loc="upper left", fontsize=8)
    fig.suptitle("Note 001's forward pass: each layer sums weighted inputs, then squashes them")
    path = out / "forward_pass.png"
    fig.savefig(path, dpi=100, facecolor="white")
    plt.close(fig)
    result["figures"] = [path]
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="figures", help="folder for the PNG figure")
    args = parser.parse_args()
    result = run(args.out)
    for key, notes in NOTES.items():
        print(f"{key:9s} computed {result[key]}   notes {notes}")
    print(f"neuropil Sequential output {result['network_output']}")
    print("figures:", ", ".join(str(p) for p in result["figures"]))


if __name__ == "__main__":
    main()
