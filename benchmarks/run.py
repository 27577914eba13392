"""Time neuropil against PyTorch, Keras (TensorFlow) and scikit-learn on the same work, in one run.

    python benchmarks/run.py [--workloads W1,W2,W3,W4,W5] [--repeats N]
                             [--libraries neuropil,pytorch,keras,scikit-learn]

Every (library, workload) cell runs in its own process (benchmarks/cell.py). For each workload
the cells set up and run one untimed warm-up epoch (or predict) one after the other, then take
turns: REPEATS rounds (default 5), each timing one epoch of every
library in a row, so that a slow spell of the machine touches every library alike. The table
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
import statistics
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


def blas_kernels():
    """NumPy's BLAS and the kernel set it runs, e.g. "openblas Haswell"; an OPENBLAS_CORETYPE
    setting in the environment decides the set (the cells inherit it)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "unknown"
    names = [f"{i['internal_api']} {i.get('architecture', '?')}" for i in threadpool_info()
             if i["user_api"] == "blas"]  # fmt: skip
    forced = os.environ.get("OPENBLAS_CORETYPE")
    return (", ".join(names) or "unknown") + (f" (OPENBLAS_CORETYPE={forced})" if forced else "")


def machine_line(rate):
    return (
        f"{datetime.date.today()} | {cpu_name()}, {os.cpu_count()} cores | "
        f"python {platform.python_version()} | numpy {np.__version__} | "
        f"torch {version('torch')} | tensorflow {version('tensorflow-cpu', 'tensorflow')} | "
        f"keras {version('keras')} | scikit-learn {version('scikit-learn')} | "
        f"BLAS {blas_kernels()} | GEMM {rate / 1e9:.0f} GFLOP/s float32 | "
        f"load {os.getloadavg()[0]:.2f}"
    )


class Cell:
    """One library's cell process for a workload (benchmarks/cell.py), answering requests."""

    def __init__(self, library, key):
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", KERAS_BACKEND="tensorflow")
        cmd = [sys.executable, os.path.join(HERE, "cell.py"), library, key]
        self.library, self.times, self.error = library, [], None
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, env=env)  # fmt: skip
        self.info = self._answer()  # returns after setup and the warm-up call

    def _answer(self):
        if self.error is None:
            for line in self.proc.stdout:
                if line.startswith("{"):
                    return json.loads(line)
            lines = self.proc.stderr.read().strip().splitlines() or ["no output"]
            self.error = lines[-1]
        return {}

    def time_once(self):
        if self.error is None:
            self.proc.stdin.write("time\n")
            self.proc.stdin.flush()
            self.times.append(self._answer().get("seconds"))

    def finish(self):
        """This cell's result: {"median", "times", "peak_rss_mb", ...} or {"error": ...}."""
        if self.error is None:
            self.proc.stdin.write("finish\n")
            self.proc.stdin.flush()
            self.info.update(self._answer())
        self.proc.kill()
        self.proc.wait()
        if self.error is not None or None in self.times:
            return {"error": self.error or "no time"}
        return {**self.info, "median": statistics.median(self.times), "times": self.times}


def run_workload(libraries, key, repeats):
    """Every library's cell set up and warmed up one after the other, then timed in rounds."""
    cells = [Cell(library, key) for library in libraries]
    for _ in range(repeats):
        for cell in cells:
            cell.time_once()
    return {cell.library: cell.finish() for cell in cells}


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
        present = [library for library in libraries if library in workload.libraries]
        results = run_workload(present, key, repeats)
        elapsed = time.perf_counter() - start
        for library, r in results.items():
            if "error" in r:
                print(f"  [{elapsed:6.0f} s] {library}: FAILED {r['error']}", flush=True)
            else:
                print(f"  [{elapsed:6.0f} s] {library}: {r['median']:.3f} s "
                      f"({min(r['times']):.3f}-{max(r['times']):.3f}), peak RSS "
                      f"{r['peak_rss_mb']:.0f} MB; {r['threads'] or 'default threads'}",
                      flush=True)  # fmt: skip
        print(f"  load average {os.getloadavg()[0]:.2f}", flush=True)
        rows += rows_for(workload, results, floor)
    print()
    print(format_table(rows, HEADERS))
    print(f"\nTotal {time.perf_counter() - start:.0f} s; load average now "
          f"{os.getloadavg()[0]:.2f}.")  # fmt: skip


if __name__ == "__main__":
    main()
