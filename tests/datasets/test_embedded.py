"""Tests for neuropil/datasets/embedded.py: the MNIST test split shipped inside the package."""

import hashlib
import importlib
import pathlib
import shutil
import subprocess
import sys
import zipfile

import numpy as np
import pytest

from neuropil import datasets
from neuropil.errors import ConfigError, FileFormatError

embedded_module = importlib.import_module("neuropil.datasets.embedded")
mnist_module = importlib.import_module("neuropil.datasets.mnist")
REPO = pathlib.Path(__file__).resolve().parents[2]
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def test_default_split_is_first_8000_then_last_2000():
    (x_train, y_train), (x_test, y_test) = datasets.embedded_mnist()
    assert x_train.shape == (8000, 28, 28) and x_test.shape == (2000, 28, 28)
    assert y_train.shape == (8000,) and y_test.shape == (2000,)
    assert {a.dtype for a in (x_train, y_train, x_test, y_test)} == {np.dtype(np.uint8)}
    assert np.bincount(np.concatenate([y_train, y_test])).tolist() == TEST_COUNTS
    assert y_train[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]  # MNIST's t10k order
    assert abs(np.concatenate([x_train, x_test]).mean() / 255 - 0.1325) < 1e-3


def test_split_equals_the_publisher_test_files(shared_data):
    (x_train, y_train), (x_test, y_test) = datasets.embedded_mnist(test_fraction=0.25)
    _, (x_ref, y_ref) = datasets.load_mnist(shared_data / "mnist")
    np.testing.assert_array_equal(np.concatenate([x_train, x_test]), x_ref)
    np.testing.assert_array_equal(np.concatenate([y_train, y_test]), y_ref)
    assert len(x_train) == 7500


def test_embedded_files_are_the_official_ones():
    for name, digest in embedded_module.EMBEDDED_FILES.items():
        raw = embedded_module.embedded_file(name).read_bytes()
        assert hashlib.sha256(raw).hexdigest() == digest == mnist_module.MNIST_FILES[name]
    note = embedded_module.embedded_file("SOURCE.md").read_text()
    assert "CC BY-SA" in note or "Creative Commons Attribution-Share Alike 3.0" in note
    assert "Yann LeCun" in note and "Corinna Cortes" in note and "Burges" in note


@pytest.mark.parametrize("bad", [0, 1, -0.1, 1.5, True, 0.00001, 0.99999])
def test_bad_test_fraction(bad):
    with pytest.raises(ConfigError, match="test_fraction"):
        datasets.embedded_mnist(test_fraction=bad)


def test_damaged_embedded_file_is_detected(monkeypatch):
    digests = dict(embedded_module.EMBEDDED_FILES)
    digests["t10k-labels-idx1-ubyte.gz"] = "f" * 64
    monkeypatch.setattr(embedded_module, "EMBEDDED_FILES", digests)
    with pytest.raises(FileFormatError, match="t10k-labels-idx1-ubyte.gz.*reinstall") as info:
        datasets.embedded_mnist()
    assert "f" * 64 in str(info.value) and "Received: f7ae60f9" in str(info.value)


def test_missing_embedded_file_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setattr(embedded_module, "embedded_file", lambda name: tmp_path / name)
    with pytest.raises(FileFormatError, match="missing from the installed package"):
        datasets.embedded_mnist()


def test_embedded_mnist_needs_no_network_and_no_cache(monkeypatch, tmp_path):
    import urllib.request

    def no_network(*args, **kwargs):
        raise AssertionError("embedded_mnist must not touch the network")

    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    monkeypatch.setenv("NEUROPIL_DATA", str(tmp_path / "nowhere"))
    datasets.embedded_mnist()
    assert not (tmp_path / "nowhere").exists()


def test_the_wheel_ships_the_files_and_works_installed(tmp_path):
    """Build a wheel from a copy of the sources, unpack it as pip would, load from there."""
    pytest.importorskip("setuptools")
    source = tmp_path / "src"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(REPO / "neuropil", source / "neuropil", ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        if (REPO / name).exists():
            shutil.copy(REPO / name, source / name)
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "--no-index", "-q", "-w", str(tmp_path / "dist"), str(source)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    if built.returncode != 0:
        pytest.skip(f"cannot build a wheel here: {built.stderr[-500:]}")
    (wheel,) = (tmp_path / "dist").glob("neuropil-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        for name in (*embedded_module.EMBEDDED_FILES, "SOURCE.md"):
            assert f"neuropil/datasets/data/{name}" in names
        archive.extractall(tmp_path / "site")
    code = (
        "import neuropil.datasets as d, pathlib; (x, y), (xt, yt) = d.embedded_mnist(); "
        "print(pathlib.Path(d.__file__).parent.parent.parent, x.shape, xt.shape)"
    )
    run = subprocess.run(
        [sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(tmp_path / 'site')!r}); "
         "import numpy; " + code],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert run.stdout.split()[0] == str(tmp_path / "site")
    assert "(8000, 28, 28) (2000, 28, 28)" in run.stdout
