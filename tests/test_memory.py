"""neuropil.memory: glibc keeps freed step buffers once fit/evaluate/predict has run.

Each case runs in a fresh interpreter, since the allocator settings last for the process.
"""

import os
import platform
import subprocess
import sys
import textwrap

import pytest

glibc_linux = pytest.mark.skipif(
    platform.system() != "Linux" or platform.libc_ver()[0] != "glibc",
    reason="the allocator settings apply to glibc on Linux only",
)

# Free a 64 MB array and report whether the process still holds the memory (resident pages).
PROBE = textwrap.dedent(
    """
    import numpy as np
    from neuropil import memory

    def rss_mb():
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * 4096 / 2**20

    applied = memory.keep_freed_memory()
    block = np.ones(16 * 2**20, dtype=np.float32)  # 64 MB, every page touched
    before = rss_mb()
    del block
    print(applied, before - rss_mb() < 32)
    """
)


def _probe(**env):
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("MALLOC_", "GLIBC_"))}
    clean.pop("NEUROPIL_MALLOC", None)
    out = subprocess.run([sys.executable, "-c", PROBE], env={**clean, **env},
                         capture_output=True, text=True, check=True)  # fmt: skip
    applied, kept = out.stdout.split()
    return applied == "True", kept == "True"


@glibc_linux
def test_freed_memory_stays_in_the_process():
    assert _probe() == (True, True)


@glibc_linux
def test_system_setting_leaves_the_allocator_alone():
    # without the settings glibc unmaps a freed 64 MB block at once
    assert _probe(NEUROPIL_MALLOC="system") == (False, False)


@glibc_linux
def test_users_own_malloc_settings_win():
    assert _probe(MALLOC_TRIM_THRESHOLD_="131072")[0] is False


def test_fit_applies_the_settings(monkeypatch):
    import numpy as np

    from neuropil import memory
    from neuropil.layers import Dense, Input
    from neuropil.models import Sequential

    calls = []
    monkeypatch.setattr(memory, "keep_freed_memory", lambda: calls.append(1) or True)
    model = Sequential([Input((2,)), Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(np.ones((4, 2)), np.ones(4), verbose=0)
    model.evaluate(np.ones((4, 2)), np.ones(4), verbose=0)
    model.predict(np.ones((4, 2)), verbose=0)
    assert len(calls) == 3
