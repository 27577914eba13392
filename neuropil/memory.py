"""Keep freed step buffers in the process instead of handing them back to the operating system.

A training step allocates the same large temporaries every time (im2col matrices, activations,
their gradients) and frees them at its end. With its default settings the GNU C library serves
blocks above 128 KiB with fresh ``mmap`` calls and returns freed memory at the top of the heap to
the system, so every step faults all of those pages in again: measured on the MNIST convnet
(benchmark W2), a step took 50 ms with the defaults and 25 ms with the settings below. TensorFlow
avoids the same cost with its own caching allocator; neuropil asks glibc to cache instead.

``keep_freed_memory()`` (called by ``fit``, ``evaluate`` and ``predict``) raises glibc's mmap
threshold to 128 MiB and its trim threshold to 256 MiB, once per process. The process then keeps
up to 256 MiB of freed memory for reuse. It does nothing when the C library is not glibc, when
the user has set these through ``MALLOC_MMAP_THRESHOLD_``, ``MALLOC_TRIM_THRESHOLD_`` or
``GLIBC_TUNABLES``, or when ``NEUROPIL_MALLOC=system``.

>>> from neuropil import memory
>>> memory.keep_freed_memory() in (True, False)
True
"""

import ctypes
import os
import platform

__all__ = ["keep_freed_memory"]

MMAP_THRESHOLD = 128 << 20
TRIM_THRESHOLD = 256 << 20
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # mallopt parameter numbers in <malloc.h>
_USER_SETTINGS = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "GLIBC_TUNABLES")

_applied = None  # None: not tried yet; then True or False


def _wanted():
    if os.environ.get("NEUROPIL_MALLOC", "").lower() == "system":
        return False
    if any(name in os.environ for name in _USER_SETTINGS):
        return False  # the user chose; leave it
    return platform.system() == "Linux" and platform.libc_ver()[0] == "glibc"


def keep_freed_memory():
    """Apply the allocator settings above once; True if they are in force."""
    global _applied
    if _applied is None:
        _applied = False
        if _wanted():
            try:
                mallopt = ctypes.CDLL("libc.so.6").mallopt
            except (OSError, AttributeError):
                return False
            mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
            # both are needed: setting either turns off glibc's sliding mmap threshold, and
            # the trim threshold alone would leave large blocks to mmap
            _applied = bool(
                mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)
                and mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD)
            )
    return _applied
