"""One (library, workload) cell: set up, warm up, then time one call per request.

    python benchmarks/cell.py LIBRARY WORKLOAD

run.py starts one such process per library for a workload and keeps them all alive: each sets
up (imports, data, model) and runs its untimed warm-up call while the others wait, then run.py
asks them in turn, round after round, for one timed call each ("time" on stdin; the answer is
one JSON line with the seconds). A slow spell of this shared machine then falls on every library
in the round instead of on whichever cell happened to be running, and only one process computes
at any moment, so each library has the cores and its own thread pools (PyTorch's OpenMP,
TensorFlow's inter/intra-op pools, OpenBLAS for NumPy) to itself. "finish" ends the cell.
Memory: ``setup_rss_mb`` is the resident memory after imports, data load and model build; then
the peak is reset, and ``peak_rss_mb`` is the highest resident memory during the warm-up and
timed calls (it includes interpreter, libraries, data and model).
"""

import gc
import importlib
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from timing import current_rss_mb, peak_rss_mb, reset_peak_rss  # noqa: E402
from workloads import WORKLOADS  # noqa: E402

MODULES = {"neuropil": "impl_neuropil", "pytorch": "impl_pytorch", "keras": "impl_keras",
           "scikit-learn": "impl_sklearn"}  # fmt: skip


def threads(library):
    if library == "pytorch":
        import torch

        return f"torch {torch.get_num_threads()} threads"
    if library == "keras":
        import tensorflow as tf

        intra = tf.config.threading.get_intra_op_parallelism_threads()
        return f"tf intra-op {intra or 'default'}"
    return ""


def main():
    library, key = sys.argv[1], sys.argv[2]
    impl = importlib.import_module(MODULES[library])
    workload = WORKLOADS[key].load()
    run_once = impl.predict(workload) if workload.predict else impl.train(workload)
    gc.collect()
    setup = current_rss_mb()
    reset = reset_peak_rss()
    run_once()  # warm-up: tracing, first-touch allocations, caches
    say({"ready": True, "setup_rss_mb": setup, "peak_reset": reset,
         "source": workload.source, "threads": threads(library)})  # fmt: skip
    for command in sys.stdin:
        if command.strip() != "time":
            break
        gc.collect()
        start = time.perf_counter()
        run_once()
        say({"seconds": time.perf_counter() - start})
    say({"peak_rss_mb": peak_rss_mb()})


def say(message):
    print(json.dumps(message), flush=True)


if __name__ == "__main__":
    main()
