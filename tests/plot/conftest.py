"""Figure tests: the Agg backend (no windows) and every figure closed after each test."""

import pytest

try:
    import matplotlib
except ImportError:  # the test modules skip themselves
    matplotlib = None
else:
    matplotlib.use("Agg")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    if matplotlib is not None:
        import matplotlib.pyplot as plt

        plt.close("all")
