"""Time neuropil against PyTorch and scikit-learn on the same training work, in one run.

    python benchmarks/run.py [--workloads W1,W4] [--repeats 5]

For each workload every library trains one epoch per repeat (after an untimed warm-up epoch); the
table shows the median seconds per epoch, the ratio neuropil / peer (< 1 means neuropil is faster)
and the arithmetic floor (FLOPs / the float32 GEMM rate measured in this run).
"""

import argparse
import datetime
import os
import platform
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from dense_workloads import PEERS, W1, W4, Workload  # noqa: E402
from timing import format_table, median_seconds  # noqa: E402

WORKLOADS = {"W1": W1, "W4": W4}


def gemm_rate(n=1024, repeats=5):
    """float32 GEMM FLOP/s of NumPy's BLAS on this machine, now."""
    a = np.random.default_rng(0).random((n, n), dtype=np.float32)
    seconds, _ = median_seconds(lambda: a @ a, repeats)
    return 2 * n**3 / seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workloads", default=",".join(WORKLOADS))
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--peers", default=",".join(PEERS))
    args = parser.parse_args()
    rate = gemm_rate()
    import torch

    print(
        f"# {datetime.date.today()} | {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores | numpy {np.__version__} | torch {torch.__version__} "
        f"({torch.get_num_threads()} threads) | GEMM {rate / 1e9:.0f} GFLOP/s float32"
    )
    rows = []
    for key in args.workloads.split(","):
        workload = Workload(*WORKLOADS[key])
        floor = workload.flops_per_epoch() / rate
        times, spread = {}, {}
        for peer in args.peers.split(","):
            times[peer], runs = median_seconds(PEERS[peer](workload), args.repeats)
            spread[peer] = f"{min(runs):.3f}-{max(runs):.3f}"
            print(f"{key} {peer}: {times[peer]:.3f} s/epoch ({spread[peer]})", flush=True)
        ours = times["neuropil"]
        for peer, seconds in times.items():
            ratio = "" if peer == "neuropil" else f"{ours / seconds:.2f}"
            rows.append([key, workload.description, workload.source, peer, f"{seconds:.3f}",
                         spread[peer], ratio, f"{floor:.3f}"])  # fmt: skip
    print()
    print(format_table(rows, ["id", "workload", "data", "library", "s/epoch (median)",
                              "min-max", "neuropil / peer", "floor s"]))  # fmt: skip


if __name__ == "__main__":
    main()
