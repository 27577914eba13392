"""Convolution by hand: course note 003's 6x6 image, its 3x3 vertical-edge filter and sizes.

    python examples/convolution_by_hand.py [--out figures]

The image is dark (0) on its left half and bright (1) on its right; the filter weighs the left
column +1, +2, +1 and the right column -1, -2, -1. Sliding it with two nested loops gives a 4x4
map whose middle columns are -4 (the edge) and whose outer columns are 0; scaled to 0..255 as
the note does, -4 becomes 0 and 0 becomes 255. ``neuropil.functional.conv2d`` must give the same
map. Then the output-size formula floor((n + 2p - f) / s) + 1 for padding p and stride s.
"""

import argparse
import pathlib

import numpy as np

import neuropil as npl
import neuropil.functional as F
import neuropil.plot as nplt

IMAGE = np.zeros((6, 6))
IMAGE[:, 3:] = 1.0
VERTICAL_EDGE = np.array([[1.0, 0.0, -1.0], [2.0, 0.0, -2.0], [1.0, 0.0, -1.0]])
SIZES = [(6, 3, 0, 1), (6, 3, 1, 1), (6, 3, 1, 2), (28, 3, 0, 1), (32, 5, 2, 1), (7, 3, 1, 2)]


def convolve(image, kernel, padding=0, stride=1):
    """Slide ``kernel`` over ``image`` with two loops: each output is a sum of products."""
    image = np.pad(image, padding)
    f = kernel.shape[0]
    n_out = (image.shape[0] - f) // stride + 1
    out = np.zeros((n_out, n_out))
    for i in range(n_out):
        for j in range(n_out):
            patch = image[i * stride : i * stride + f, j * stride : j * stride + f]
            out[i, j] = np.sum(patch * kernel)
    return out


def output_size(n, f, p=0, s=1):
    """floor((n + 2p - f) / s) + 1 positions along one axis."""
    return (n + 2 * p - f) // s + 1


def _show(ax, values, title, signed=False):
    """Grey for images; for a filter, red positive and blue negative as in plot.filters."""
    if signed:
        limit = np.abs(values).max()
        ax.imshow(values, cmap="RdBu_r", vmin=-limit, vmax=limit)
    else:
        ax.imshow(values, cmap="gray")
    mid = (values.max() + values.min()) / 2
    for (i, j), v in np.ndenumerate(values):
        dark = abs(v) > 0.5 * limit if signed else v <= mid  # white text on dark cells
        ax.text(j, i, f"{v:.0f}", ha="center", va="center", fontsize=10,
                color="white" if dark else "black")  # fmt: skip
    ax.set_title(title)
    ax.set_xticks([])
    ax.set_yticks([])


def run(out="figures", quick=False):
    """Convolve by hand and with neuropil, tabulate sizes, draw the figure; returns a dict."""
    out = pathlib.Path(out)
    out.mkdir(parents=True, exist_ok=True)
    by_hand = convolve(IMAGE, VERTICAL_EDGE)
    kernel = npl.Tensor(VERTICAL_EDGE.reshape(3, 3, 1, 1).astype("float32"))
    library = F.conv2d(npl.Tensor(IMAGE[None, :, :, None].astype("float32")), kernel).data
    scaled = np.round(255 * (by_hand - by_hand.min()) / (by_hand.max() - by_hand.min()))
    padded = convolve(IMAGE, VERTICAL_EDGE, padding=1)
    strided = convolve(IMAGE, VERTICAL_EDGE, padding=1, stride=2)
    sizes = []
    for n, f, p, s in SIZES:
        measured = F.conv_output_length(n, f, s, pads=(p, p))
        sizes.append({"n": n, "f": f, "p": p, "s": s, "formula": output_size(n, f, p, s),
                      "neuropil": int(measured)})  # fmt: skip
    plt = nplt._common.pyplot()
    fig, axes = plt.subplots(1, 5, figsize=(17, 3.9), layout="constrained",
                             gridspec_kw={"width_ratios": [6, 3, 4, 4, 6]})  # fmt: skip
    _show(axes[0], IMAGE, "6x6 image (0 dark, 1 bright)")
    _show(axes[1], VERTICAL_EDGE, "3x3 vertical-edge filter", signed=True)
    _show(axes[2], by_hand, "output 4x4 = 6 - 3 + 1")
    _show(axes[3], scaled, "output scaled to 0..255")
    _show(axes[4], padded, "padding 1: 6 + 2 - 3 + 1 = 6")
    fig.suptitle("Convolution by hand: the filter responds (-4) where dark meets bright")
    path = out / "convolution_by_hand.png"
    fig.savefig(path, dpi=100, facecolor="white")
    plt.close(fig)
    return {"by_hand": by_hand.tolist(), "neuropil": library[0, :, :, 0].tolist(),
            "scaled": scaled.astype(int).tolist(), "padded_shape": padded.shape,
            "strided_shape": strided.shape, "sizes": sizes, "figures": [path]}  # fmt: skip


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="figures", help="folder for the PNG figure")
    args = parser.parse_args()
    result = run(args.out)
    print("by hand:\n", np.array(result["by_hand"]))
    print("neuropil conv2d:\n", np.array(result["neuropil"]))
    print("scaled to 0..255:\n", np.array(result["scaled"]))
    print(f"padding 1 -> {result['padded_shape']}, padding 1 and stride 2 -> "
          f"{result['strided_shape']}")  # fmt: skip
    print(" n  f  p  s  floor((n+2p-f)/s)+1  neuropil")
    for r in result["sizes"]:
        print(f"{r['n']:2d} {r['f']:2d} {r['p']:2d} {r['s']:2d}  {r['formula']:19d}  "
              f"{r['neuropil']:8d}")  # fmt: skip
    print("figures:", ", ".join(str(p) for p in result["figures"]))


if __name__ == "__main__":
    main()
