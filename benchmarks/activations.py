"""Activation functions, forward and backward, neuropil against PyTorch on the same batch.

Each activation runs on one (rows x cols) float32 batch of standard-normal values (random signs,
as a hidden layer's pre-activations have): forward, then backward with an upstream gradient of
ones. The time is the median over ``--repeats`` rounds of ``--number`` calls each; the ratio is
neuropil's time over PyTorch's (below 1: neuropil is faster).

    python benchmarks/activations.py
    python benchmarks/activations.py --names sigmoid,elu --rows 1024 --repeats 9
"""

import argparse
import functools
import sys

import numpy as np
from timing import median_seconds

NAMES = ("relu", "sigmoid", "tanh", "leaky_relu", "elu", "selu", "silu", "softplus", "gelu")


def _torch_function(name):
    import torch
    import torch.nn.functional as TF

    special = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu,
               "leaky_relu": functools.partial(TF.leaky_relu, negative_slope=0.2)}  # fmt: skip
    return special.get(name) or getattr(TF, name)


def _time_per_call(fn, tensor, ones, number, repeats):
    """Median seconds of one forward + backward of ``fn`` (either library's tensors)."""

    def rounds():
        for _ in range(number):
            tensor.grad = None
            fn(tensor).backward(ones)

    return median_seconds(rounds, repeats)[0] / number


def time_neuropil(name, x, number, repeats):
    import neuropil as npl
    import neuropil.functional as F

    fn = getattr(F, name)
    if name == "leaky_relu":
        fn = functools.partial(fn, negative_slope=0.2)  # the same slope as the torch call
    return _time_per_call(fn, npl.Tensor(x, requires_grad=True), np.ones_like(x), number, repeats)


def time_pytorch(name, x, number, repeats):
    import torch

    tensor = torch.tensor(x, requires_grad=True)
    return _time_per_call(_torch_function(name), tensor, torch.ones_like(tensor), number, repeats)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--names", default=",".join(NAMES), help="comma-separated activations")
    parser.add_argument("--rows", type=int, default=128)
    parser.add_argument("--cols", type=int, default=256)
    parser.add_argument("--number", type=int, default=200, help="calls per round")
    parser.add_argument("--repeats", type=int, default=7, help="rounds; the median is kept")
    args = parser.parse_args(argv)
    x = np.random.default_rng(0).standard_normal((args.rows, args.cols)).astype(np.float32)
    import torch

    print(f"# {args.rows} x {args.cols} float32, forward + backward, median of {args.repeats} "
          f"rounds of {args.number} calls; torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads")  # fmt: skip
    print("| activation | neuropil us | pytorch us | neuropil / pytorch |")
    print("| ---------- | ----------- | ---------- | ------------------ |")
    for name in args.names.split(","):
        ours = time_neuropil(name, x, args.number, args.repeats)
        theirs = time_pytorch(name, x, args.number, args.repeats)
        print(f"| {name} | {ours * 1e6:.1f} | {theirs * 1e6:.1f} | {ours / theirs:.2f} |")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
