"""Time one (library, workload) cell in this process and print one JSON line.

    python benchmarks/cell.py LIBRARY WORKLOAD REPEATS

run.py starts one such process per cell, so each library has the machine's thread pools to itself
(its own defaults: PyTorch's OpenMP, TensorFlow's inter/intra-op pools, OpenBLAS for NumPy) and
its memory is counted alone. Memory: ``setup_rss_mb`` is the resident memory after imports, data
load and model build; then the peak is reset, and ``peak_rss_mb`` is the highest resident memory
during the warm-up and timed calls (it includes interpreter, libraries, data and model).
"""

import gc
import importlib
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from timing import current_rss_mb, median_seconds, peak_rss_mb, reset_peak_rss  # noqa: E402
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
    library, key, repeats = sys.argv[1], sys.argv[2], int(sys.argv[3])
    impl = importlib.import_module(MODULES[library])
    workload = WORKLOADS[key].load()
    run_once = impl.predict(workload) if workload.predict else impl.train(workload)
    gc.collect()
    setup = current_rss_mb()
    reset = reset_peak_rss()
    median, times = median_seconds(run_once, repeats)
    result = {"library": library, "workload": key, "median": median, "times": times,
              "setup_rss_mb": setup, "peak_rss_mb": peak_rss_mb(), "peak_reset": reset,
              "source": workload.source, "threads": threads(library)}  # fmt: skip
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
