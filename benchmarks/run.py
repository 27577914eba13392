"""Time neuropil against PyTorch, Keras (TensorFlow) and scikit-learn on the same work, in one run.

    python benchmarks/run.py [--workloads W1,W2,W3,W4,W5] [--repeats N]
                             [--libraries neuropil,pytorch,keras,scikit-learn]

Every (library, workload) cell runs in its own process (benchmarks/cell.py): one untimed warm-up
epoch (or predict), then REPEATS timed ones (default: 3 for W2/W3, 5 for the others). The table
gives the median seconds, the fastest and slowest repeat, the ratio neuropil / peer (below 1 means
neuropil is faster), the peak resident memory of the cell, and the arithmetic floor: the
workload's matrix-product FLOPs divided by the float32 GEMM rate NumPy reaches in this run.
"""

import argparse
import datetime
import importlib.metadata
import json
import os
import platform
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from timing import format_table, median_seconds  # noqa: E402
from workloads import ALL_LIBRARIES, WORKLOADS  # noqa: E402

HEADERS = ["id", "workload", "data", "library", "median s", "min-max", "neuropil / peer",
           "peak RSS MB", "setup RSS MB", "floor s"]  # fmt: skip


def gemm_rate(n=2048, repeats=5):
    """float32 GEMM FLOP/s of NumPy's BLAS on this machine, now."""
    a = np.random.default_rng(0).random((n, n), dtype=np.float32)
    seconds, _ = median_seconds(lambda: a @ a, repeats)
    return 2 * n**3 / seconds


def version(*names):
    for name in names:
        try:
            return importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            pass
    return "absent"


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            return next(line.split(":", 1)[1].strip() for line in f if "model name" in line)
    except (OSError, StopIteration):
        return platform.processor() or platform.machine()


def machine_line(rate):
    return (
        f"{datetime.date.today()} | {cpu_name()}, {os.cpu_count()} cores | "
        f"python {platform.python_version()} | numpy {np.__version__} | "
        f"torch {version('torch')} | tensorflow {version('tensorflow-cpu', 'tensorflow')} | "
        f"keras {version('keras')} | scikit-learn {version('scikit-learn')} | "
        f"GEMM {rate / 1e9:.0f} GFLOP/s float32 | load {os.getloadavg()[0]:.2f}"
    )


def run_cell(library, key, repeats):
    """One cell in a fresh interpreter; its JSON result, or {"error": ...}."""
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", KERAS_BACKEND="tensorflow")
    cmd = [sys.executable, os.path.join(HERE, "cell.py"), library, key, str(repeats)]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode or not lines:
        return {"error": (proc.stderr.strip().splitlines() or ["no output"])[-1]}
    return json.loads(lines[-1])


def seconds(value):
    return f"{value:.3f}" if value >= 0.01 else f"{value:.1e}"


def rows_for(workload, results, floor):
    ours = results.get("neuropil", {}).get("median")
    rows = []
    for library, r in results.items():
        if "error" in r:
            rows.append([workload.key, workload.description, "", library, "failed", r["error"][:60],
                         "", "", "", seconds(floor)])  # fmt: skip
            continue
        ratio = "" if library == "neuropil" or ours is None else f"{ours / r['median']:.2f}"
        spread = f"{min(r['times']):.3f}-{max(r['times']):.3f}"
        rows.append([workload.key, workload.description, r["source"], library,
                     f"{r['median']:.3f}", spread, ratio, f"{r['peak_rss_mb']:.0f}",
                     f"{r['setup_rss_mb']:.0f}", seconds(floor)])  # fmt: skip
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workloads", default=",".join(WORKLOADS))
    parser.add_argument("--repeats", type=int, default=None, help="default: per workload")
    parser.add_argument("--libraries", default=",".join(ALL_LIBRARIES))
    args = parser.parse_args()
    libraries, keys = args.libraries.split(","), args.workloads.split(",")
    if set(libraries) - set(ALL_LIBRARIES) or set(keys) - set(WORKLOADS):
        parser.error(f"libraries are {ALL_LIBRARIES}, workloads {tuple(WORKLOADS)}")
    start = time.perf_counter()
    rate = gemm_rate()
    print(f"# {machine_line(rate)}", flush=True)
    rows = []
    for key in keys:
        workload = WORKLOADS[key]
        repeats = args.repeats or workload.repeats
        floor = workload.flops() / rate
        print(f"{key}: {workload.description}; {workload.flops() / 1e9:.1f} GFLOP, "
              f"floor {seconds(floor)} s", flush=True)  # fmt: skip
        results = {}
        for library in libraries:
            if library not in workload.libraries:
                continue
            r = results[library] = run_cell(library, key, repeats)
            elapsed = time.perf_counter() - start
            if "error" in r:
                print(f"  [{elapsed:6.0f} s] {library}: FAILED {r['error']}", flush=True)
            else:
                print(f"  [{elapsed:6.0f} s] {library}: {r['median']:.3f} s "
                      f"({min(r['times']):.3f}-{max(r['times']):.3f}), peak RSS "
                      f"{r['peak_rss_mb']:.0f} MB; {r['threads'] or 'default threads'}; "
                      f"load {os.getloadavg()[0]:.2f}", flush=True)  # fmt: skip
        rows += rows_for(workload, results, floor)
    print()
    print(format_table(rows, HEADERS))
    print(f"\nTotal {time.perf_counter() - start:.0f} s; load average now "
          f"{os.getloadavg()[0]:.2f}.")  # fmt: skip


if __name__ == "__main__":
    main()
