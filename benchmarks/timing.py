"""Timing helpers shared by the benchmarks: medians of repeats, resident memory, tables."""

import gc
import resource
import statistics
import time


def median_seconds(run_once, repeats, warmup=1):
    """Median wall time of ``run_once()`` over ``repeats`` calls, after ``warmup`` untimed calls;
    returns ``(median, all times)``."""
    for _ in range(warmup):
        run_once()
    times = []
    for _ in range(repeats):
        gc.collect()
        start = time.perf_counter()
        run_once()
        times.append(time.perf_counter() - start)
    return statistics.median(times), times


def current_rss_mb():
    """Resident memory of this process now (Linux /proc; falls back to the peak so far)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return peak_rss_mb()


def reset_peak_rss():
    """Restart the peak-RSS count from the current RSS (Linux >= 4.0: writing 5 to clear_refs
    resets the high-water mark that ``ru_maxrss`` reports). Returns False where unsupported."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def peak_rss_mb():
    """Highest resident memory of this process (since the last reset), ``ru_maxrss``, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def format_table(rows, headers):
    """A Markdown table from ``rows`` (lists of cells)."""
    widths = [max(len(str(h)), *(len(str(r[i])) for r in rows)) for i, h in enumerate(headers)]
    line = lambda cells: "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths)) + " |"  # noqa: E731
    return "\n".join([line(headers), line(["-" * w for w in widths]), *map(line, rows)])
