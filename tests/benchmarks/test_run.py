"""benchmarks/run.py end to end on the smallest workload: cells start, warm up, take turns."""

import pathlib
import re
import subprocess
import sys

RUN = pathlib.Path(__file__).resolve().parents[2] / "benchmarks" / "run.py"


def test_one_workload_one_library_gives_a_timed_row():
    out = subprocess.run(
        [sys.executable, str(RUN), "--workloads", "W4", "--libraries", "neuropil",
         "--repeats", "2"],
        capture_output=True, text=True, check=True, timeout=300,
    ).stdout  # fmt: skip
    row = next(line for line in out.splitlines() if line.startswith("| W4"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[3] == "neuropil"
    median, spread = float(cells[4]), cells[5]
    low, high = map(float, spread.split("-"))
    assert 0 < low <= median <= high
    assert re.search(r"GEMM \d+ GFLOP/s", out)
    assert re.search(r"BLAS \S+", out)


def test_the_activation_benchmark_times_both_libraries():
    script = RUN.parent / "activations.py"
    out = subprocess.run(
        [sys.executable, str(script), "--names", "relu,gelu", "--rows", "4", "--cols", "8",
         "--number", "2", "--repeats", "1"],
        capture_output=True, text=True, check=True, timeout=300,
    ).stdout  # fmt: skip
    rows = [line for line in out.splitlines() if line.startswith("| relu") or
            line.startswith("| gelu")]  # fmt: skip
    assert len(rows) == 2
    for row in rows:
        ours, theirs, ratio = (float(c) for c in row.strip("|").split("|")[1:])
        # the printed times are rounded to 0.1 us, so the ratio is checked loosely
        assert ours > 0 and theirs > 0 and abs(ratio - ours / theirs) < 0.01 + 0.1 * ratio
