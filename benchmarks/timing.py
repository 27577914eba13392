"""Timing helpers shared by the benchmark workloads: medians of repeats, peak memory, tables."""

import gc
import statistics
import time
import tracemalloc


def median_seconds(run_once, repeats, warmup=1):
    """Median wall time of ``run_once()`` over ``repeats`` calls, after ``warmup`` untimed calls."""
    for _ in range(warmup):
        run_once()
    times = []
    for _ in range(repeats):
        gc.collect()
        start = time.perf_counter()
        run_once()
        times.append(time.perf_counter() - start)
    return statistics.median(times), times


def peak_python_memory_mb(run_once):
    """Peak memory allocated through Python's allocator during one call (NumPy arrays included;
    PyTorch's own allocator is not seen by tracemalloc, so torch peaks read low)."""
    gc.collect()
    tracemalloc.start()
    try:
        run_once()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def format_table(rows, headers):
    """A Markdown table from ``rows`` (lists of cells)."""
    widths = [max(len(str(h)), *(len(str(r[i])) for r in rows)) for i, h in enumerate(headers)]
    line = lambda cells: "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths)) + " |"  # noqa: E731
    return "\n".join([line(headers), line(["-" * w for w in widths]), *map(line, rows)])
