"""matplotlib stays optional: ``import neuropil`` never loads it; without it, a clear hint."""

import subprocess
import sys

import pytest


def run(code):
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120)  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_import_neuropil_does_not_import_matplotlib():
    out = run("import sys, neuropil; print('matplotlib' in sys.modules)")
    assert out == "False"


def test_import_neuropil_plot_does_not_import_matplotlib_until_a_figure_is_drawn():
    out = run(
        "import sys, neuropil.plot as nplt\n"
        "before = 'matplotlib' in sys.modules\n"
        "nplt.history({'loss': [1.0, 0.5]})\n"
        "print(before, 'matplotlib' in sys.modules)"
    )
    assert out == "False True"


def test_without_matplotlib_the_error_names_the_extra():
    out = run(
        "import sys\n"
        "sys.modules['matplotlib'] = None  # as if it were not installed\n"
        "import neuropil.plot as nplt\n"
        "try:\n"
        "    nplt.history({'loss': [1.0]})\n"
        "except ImportError as e:\n"
        "    print(e)\n"
    )
    assert "pip install 'neuropil[plot]'" in out
    assert "matplotlib" in out


def test_headless_runs_choose_agg():
    pytest.importorskip("matplotlib")
    code = (
        "import os\n"
        "for k in ('DISPLAY', 'WAYLAND_DISPLAY', 'MPLBACKEND'):\n"
        "    os.environ.pop(k, None)\n"
        "import matplotlib, neuropil.plot as nplt\n"
        "nplt.activations(['relu'])\n"
        "print(matplotlib.get_backend().lower())"
    )
    if not sys.platform.startswith("linux"):
        pytest.skip("the display check is for Linux")
    assert run(code) == "agg"
