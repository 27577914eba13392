"""The optimizers of course note 003 compared on one problem: paths and loss curves.

    python examples/optimizers_compared.py [--out figures] [--quick]

The problem is a line fit y = w x + b to 200 noisy points with mean squared error, so the loss
is a bowl over the two parameters (w, b) that a contour map shows whole. Gradient descent uses
all points per step, SGD one, mini-batch SGD 16; momentum, Adagrad, RMSprop, Adadelta and Adam
use mini-batches of 16 too. Every optimizer starts at (w, b) = (-3, 4) and takes the same number
of steps; the learning rates are the ones printed. Adadelta's step is its own running scale,
started from sqrt(epsilon): with the Keras defaults (learning rate 0.001, epsilon 1e-7) it barely
moves in 100 steps, so it runs at learning rate 1.0 (its paper's setting) with epsilon 1e-2.
"""

import argparse
import pathlib

import numpy as np

import neuropil as npl
import neuropil.plot as nplt
from neuropil import optimizers

START = (-3.0, 4.0)
TRUE_W, TRUE_B = 2.0, -1.0
# name: (optimizer factory, batch size, learning rate)
OPTIMIZERS = {
    "GD (full batch)": (lambda lr: optimizers.SGD(lr), None, 0.1),
    "SGD (batch 1)": (lambda lr: optimizers.SGD(lr), 1, 0.05),
    "mini-batch SGD (16)": (lambda lr: optimizers.SGD(lr), 16, 0.1),
    "momentum 0.9": (lambda lr: optimizers.SGD(lr, momentum=0.9), 16, 0.02),
    "Adagrad": (lambda lr: optimizers.Adagrad(lr), 16, 1.0),
    "RMSprop": (lambda lr: optimizers.RMSprop(lr), 16, 0.1),
    "Adadelta": (lambda lr: optimizers.Adadelta(lr, epsilon=1e-2), 16, 1.0),
    "Adam": (lambda lr: optimizers.Adam(lr), 16, 0.1),
}


def make_data(n=200, seed=0):
    """Points on the line y = 2x - 1 with Gaussian noise."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-2, 2, n)
    return x, TRUE_W * x + TRUE_B + rng.normal(0, 0.5, n)


def mse(w, x, y):
    """Mean squared error of the line (w[0], w[1]) on (x, y), written with the data's moments.

    Expanding mean((a x + b - y)^2) makes it elementwise in a and b, so the same function
    evaluates one point for training or a whole grid for the contour map.
    """
    a, b = w[0], w[1]
    sxx, sx, sxy, sy, syy = (float(v) for v in (np.mean(x * x), np.mean(x), np.mean(x * y),
                                                np.mean(y), np.mean(y * y)))  # fmt: skip
    return a * a * sxx + 2 * a * b * sx + b * b - 2 * a * sxy - 2 * b * sy + syy


def train(factory, batch, lr, x, y, steps, seed=0):
    """Minimize the loss with mini-batches of ``batch`` rows; returns (path, full-data losses)."""
    rng = np.random.default_rng(seed)
    w = npl.Tensor(np.array(START), requires_grad=True, dtype="float64")
    opt = factory(lr)
    opt.build([w])
    path, losses = [w.data.copy()], [float(mse(w.data, x, y))]
    order = rng.permutation(len(x))
    cursor = 0
    for _ in range(steps):
        if batch is None:
            rows = slice(None)
        else:
            if cursor + batch > len(x):
                order, cursor = rng.permutation(len(x)), 0
            rows = order[cursor : cursor + batch]
            cursor += batch
        opt.zero_grad()
        mse(w, x[rows], y[rows]).sum().backward()
        opt.step()
        path.append(w.data.copy())
        losses.append(float(mse(w.data, x, y)))
    return np.array(path), np.array(losses)


def run(out="figures", quick=False, seed=0):
    """Train every optimizer, draw paths and loss curves; returns the final losses and figures."""
    out = pathlib.Path(out)
    out.mkdir(parents=True, exist_ok=True)
    x, y = make_data(seed=seed)
    steps = 40 if quick else 100
    paths, curves, result = {}, {}, {"final_loss": {}, "learning_rate": {}, "figures": []}
    for name, (factory, batch, lr) in OPTIMIZERS.items():
        paths[name], curves[name] = train(factory, batch, lr, x, y, steps, seed=seed)
        result["final_loss"][name] = float(curves[name][-1])
        result["learning_rate"][name] = lr
    best = np.linalg.lstsq(np.c_[x, np.ones_like(x)], y, rcond=None)[0]
    result["least_squares"] = (float(best[0]), float(best[1]))
    result["minimum_loss"] = float(mse(best, x, y))

    plt = nplt._common.pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(15, 6), layout="constrained")
    surface = lambda w: mse(w, x, y)  # noqa: E731
    nplt.optimizer_path(surface, paths, xlim=(-3.5, 3.5), ylim=(-2.5, 4.5), minimum=best,
                        ax=axes[0], resolution=120,
                        title=f"Paths over the loss surface ({steps} steps)")  # fmt: skip
    axes[0].set(xlabel="slope w", ylabel="intercept b")
    colors = {line.get_label().split(" (loss")[0]: line.get_color() for line in axes[0].lines}
    for name, curve in curves.items():
        axes[1].semilogy(curve - result["minimum_loss"] + 1e-6, label=name,
                         color=colors.get(name))  # fmt: skip
    axes[1].set(xlabel="step", ylabel="loss above the minimum, + 1e-6 (log scale)",
                title="Loss curves on the whole data set")  # fmt: skip
    axes[1].legend(fontsize=9)
    path = out / "optimizers_compared.png"
    fig.savefig(path, dpi=100, facecolor="white")
    plt.close(fig)
    result["figures"].append(path)
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="figures", help="folder for the PNG figure")
    parser.add_argument("--quick", action="store_true", help="fewer steps")
    args = parser.parse_args()
    result = run(args.out, quick=args.quick)
    w, b = result["least_squares"]
    print(f"least squares: w = {w:.3f}, b = {b:.3f}, loss {result['minimum_loss']:.4f}")
    for name, loss in result["final_loss"].items():
        print(f"{name:20s} lr {result['learning_rate'][name]:<5} final loss {loss:.4f}")
    print("figures:", ", ".join(str(p) for p in result["figures"]))


if __name__ == "__main__":
    main()
