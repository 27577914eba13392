"""Runs of the ``neuropil`` command shared by the CLI tests (each made once per session)."""

import contextlib
import io
import time

import pytest

from neuropil.cli import main

pytest.importorskip("cv2")


def run_cli(*argv):
    """``(exit status, stdout, stderr)`` of ``neuropil ARGV...`` run in this process."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main([str(a) for a in argv])
    return status, out.getvalue(), err.getvalue()


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory):
    """A tiny model trained by ``neuropil train``: the notes' 784-15-10 net, 1,000 images."""
    folder = tmp_path_factory.mktemp("tiny") / "run"
    status, out, err = run_cli("train", "--model", "mnist-tiny", "--epochs", "2", "--limit",
                               "1000", "--output", folder)  # fmt: skip
    assert status == 0, err
    return {"folder": folder, "model": folder / "model.npil", "stdout": out, "stderr": err}


@pytest.fixture(scope="session")
def recognizer(tmp_path_factory):
    """The digit recognizer exactly as ``neuropil train`` with no options makes it."""
    folder = tmp_path_factory.mktemp("default") / "run"
    start = time.perf_counter()
    status, out, err = run_cli("train", "--quiet", "--output", folder)
    seconds = time.perf_counter() - start
    assert status == 0, err
    return {"folder": folder, "model": folder / "model.npil", "stdout": out, "seconds": seconds}
