"""``neuropil info``: what neuropil runs on.

Versions of neuropil, Python and NumPy; the BLAS library NumPy calls for matrix products
(from ``numpy.show_config``); the CPU cores and the threads the BLAS uses (from threadpoolctl
when installed, else the usual environment variables); the devices, answering the course's
"is a GPU available?" check; and the optional packages found.

>>> lines = report_lines()
>>> lines[0].startswith("neuropil "), any(line.startswith("GPU") for line in lines)
(True, True)
"""

import contextlib
import io
import os
import platform
import shutil
import sys

import numpy as np

THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                    "BLIS_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")  # fmt: skip
OPTIONAL = (("tqdm", "tqdm", "progress bars"), ("matplotlib", "matplotlib", "plots"),
            ("cv2", "opencv", "reading images"))  # fmt: skip


def blas_description():
    """NumPy's BLAS and LAPACK as one line each, e.g. ``BLAS: scipy-openblas 0.3.27``."""
    try:
        config = np.show_config(mode="dicts")  # NumPy >= 1.26
    except TypeError:
        config = None
    if isinstance(config, dict):
        deps = config.get("Build Dependencies", {})
        lines = []
        for key in ("blas", "lapack"):
            dep = deps.get(key) or {}
            text = f"{dep.get('name', 'unknown')} {dep.get('version', '')}".strip()
            detail = dep.get("openblas configuration")
            if detail and key == "blas":
                text += f" ({' '.join(detail.split())})"
            lines.append(f"{key.upper()}: {text}")
        return lines
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        np.show_config()
    names = [line.strip() for line in buffer.getvalue().splitlines() if "libraries" in line]
    return [f"BLAS: {names[0] if names else 'see numpy.show_config()'}"]


def thread_lines():
    """The thread pools in use (threadpoolctl) or the thread-count environment variables."""
    lines = []
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        threadpool_info = None
    if threadpool_info is not None:
        for pool in threadpool_info():
            version = pool.get("version") or ""
            lines.append(f"  {pool.get('internal_api')} {version} ({pool.get('user_api')}): "
                         f"{pool.get('num_threads')} threads")  # fmt: skip
    if not lines:
        lines.append("  (install threadpoolctl to see the thread pools in use)")
    set_vars = [f"{name}={os.environ[name]}" for name in THREAD_VARIABLES if name in os.environ]
    lines.append("  environment: " + (", ".join(set_vars) or "no thread-count variables set"))
    return lines


def _usable_cores():
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return None


def device_lines():
    """CPU and GPU, in the words of the notes' device check."""
    cores, usable = os.cpu_count(), _usable_cores()
    cpu = f"CPU is available: {platform.processor() or platform.machine()}, {cores} logical cores"
    if usable is not None and usable != cores:
        cpu += f" ({usable} usable by this process)"
    gpu = ("GPU not available to neuropil: it computes with NumPy, which runs on the CPU only "
           "(a CuPy backend is planned)")  # fmt: skip
    if shutil.which("nvidia-smi"):
        gpu += "; this machine has an NVIDIA driver (nvidia-smi), but neuropil does not use it"
    return [cpu + "; neuropil computes here", gpu]


def _version(module_name):
    try:
        module = __import__(module_name)
    except ImportError:
        return None
    return getattr(module, "__version__", "installed")


def report_lines():
    """Every line ``neuropil info`` prints."""
    from neuropil import __version__

    lines = [
        f"neuropil {__version__}",
        f"Python {platform.python_version()} ({platform.python_implementation()}) on "
        f"{platform.platform()}",
        f"NumPy {np.__version__}",
        *("  " + line for line in blas_description()),
        "Threads:",
        *thread_lines(),
        *device_lines(),
        "Optional packages:",
    ]
    for module_name, label, purpose in OPTIONAL:
        version = _version(module_name)
        state = version if version else "not installed"
        lines.append(f"  {label}: {state} ({purpose})")
    return lines


def run(args):
    """Print the report; always succeeds."""
    sys.stdout.write("\n".join(report_lines()) + "\n")
    return 0
