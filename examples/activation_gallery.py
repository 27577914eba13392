"""The activation gallery of course notes 003 and 004: each function beside its derivative.

    python examples/activation_gallery.py [--out figures]

Derivatives come from neuropil's own backward pass. The printed table gives each derivative's
largest value: the sigmoid's never exceeds 0.25, the root of vanishing gradients, while ReLU's
is 1 wherever the unit is active. Softmax, which acts on a whole vector, is shown on one example.
"""

import argparse
import pathlib

import numpy as np

import neuropil as npl
import neuropil.functional as F
import neuropil.plot as nplt
from neuropil import activations

NAMES = ("step", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "swish", "softplus", "selu")


def run(out="figures", quick=False):
    """Draw the gallery and measure each derivative's range; returns a dict."""
    out = pathlib.Path(out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "activation_gallery.png"
    title = "Activation functions f (solid) and derivatives f' (dashed)"
    fig = nplt.activations(NAMES, x_range=(-5, 5), path=path, figsize=(12, 9), title=title)
    nplt._common.pyplot().close(fig)
    x = np.linspace(-5, 5, 2001)
    peaks = {}
    for name in NAMES:
        _, d = nplt.derivative(activations.get(name), x)
        peaks[name] = round(float(np.max(d)), 4)
    logits = np.array([2.0, 1.0, 0.1])
    softmax = F.softmax(npl.Tensor(logits[None]), axis=-1).data[0]
    return {"max_derivative": peaks, "softmax_in": logits.tolist(),
            "softmax_out": [round(float(v), 4) for v in softmax], "figures": [path]}  # fmt: skip


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="figures", help="folder for the PNG figure")
    args = parser.parse_args()
    result = run(args.out)
    print("largest derivative on [-5, 5]:")
    for name, peak in result["max_derivative"].items():
        print(f"  {name:10s} {peak}")
    print(f"softmax{tuple(result['softmax_in'])} = {result['softmax_out']} (sums to 1)")
    print("figures:", ", ".join(str(p) for p in result["figures"]))


if __name__ == "__main__":
    main()
