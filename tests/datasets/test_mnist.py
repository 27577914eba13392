"""Tests for neuropil/datasets/mnist.py and idx.py: MNIST and Fashion-MNIST from IDX gzip files."""

import gzip
import shutil

import numpy as np
import pytest

from neuropil import datasets
from neuropil.datasets import download
from neuropil.errors import FileFormatError
from tests.datasets.conftest import idx_bytes, mnist_module, write_fake_mnist

MNIST_TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]


def check_mnist(data):
    (x_train, y_train), (x_test, y_test) = data
    assert x_train.shape == (60000, 28, 28) and y_train.shape == (60000,)
    assert x_test.shape == (10000, 28, 28) and y_test.shape == (10000,)
    assert {a.dtype for a in (x_train, y_train, x_test, y_test)} == {np.dtype(np.uint8)}
    assert np.bincount(y_train).tolist() == MNIST_TRAIN_COUNTS
    assert abs(x_train.mean() / 255 - 0.1307) < 1e-4


def test_shared_digests_match_the_loader_table(shared_data):
    lines = (shared_data / "mnist" / "SHA256SUMS").read_text().split("\n")
    published = dict(reversed(line.split()) for line in lines if line.strip())
    assert published == mnist_module.MNIST_FILES


def test_mnist_from_a_local_folder(shared_data, cache):
    check_mnist(datasets.mnist(path=shared_data / "mnist"))
    assert not cache.exists()  # a local folder is read in place, nothing copied or fetched


def test_mnist_downloads_the_real_files_from_a_local_mirror(shared_mirror, cache):
    url, server = shared_mirror
    check_mnist(datasets.mnist(base_url=url))
    assert len(server.requests) == 4
    check_mnist(datasets.mnist(download=False))  # now served from the cache
    assert len(server.requests) == 4


def test_mnist_folder_missing_files(tmp_path, cache):
    with pytest.raises(datasets.DatasetNotFoundError, match="train-images-idx3-ubyte.gz"):
        datasets.mnist(path=tmp_path)


def test_local_folder_with_a_wrong_file_is_refused_not_deleted(tmp_path, monkeypatch, cache):
    digests, _ = write_fake_mnist(tmp_path / "mine")
    monkeypatch.setattr(mnist_module, "MNIST_FILES", digests)
    bad = tmp_path / "mine" / "t10k-labels-idx1-ubyte.gz"
    bad.write_bytes(b"other")
    with pytest.raises(datasets.ChecksumError, match="t10k-labels-idx1-ubyte.gz"):
        datasets.mnist(path=tmp_path / "mine")
    assert bad.read_bytes() == b"other"  # the user's own file is left alone


def test_truncated_gzip_is_a_clear_error(tmp_path, monkeypatch, cache):
    _, arrays = write_fake_mnist(tmp_path / "mine")
    target = tmp_path / "mine" / "train-images-idx3-ubyte.gz"
    target.write_bytes(target.read_bytes()[:200])
    with pytest.raises(FileFormatError, match="train-images-idx3-ubyte.gz"):
        datasets.read_idx(target)
    with pytest.raises(FileFormatError):
        datasets.load_mnist(tmp_path / "mine")  # the unverified reader also fails clearly
    digests = {p.name: download.sha256_of_file(p) for p in (tmp_path / "mine").iterdir()}
    monkeypatch.setattr(mnist_module, "MNIST_FILES", digests)  # digest matches: parse fails
    with pytest.raises(FileFormatError):
        datasets.mnist(path=tmp_path / "mine")


def test_idx_with_a_short_payload(tmp_path):
    path = tmp_path / "short-idx1-ubyte.gz"
    path.write_bytes(gzip.compress(idx_bytes(np.arange(10, dtype=np.uint8))[:-3]))
    with pytest.raises(FileFormatError, match="Received: 15 bytes"):
        datasets.read_idx(path)
    with pytest.raises(FileFormatError, match="bad magic"):
        datasets.parse_idx(b"\x01\x02\x03\x04")
    # sizes whose product wraps around in int64 (2**32 * 2**32 = 0) are still refused
    huge = bytes([0, 0, 8, 2]) + (2**32 - 1).to_bytes(4, "big") * 2
    with pytest.raises(FileFormatError, match="should hold 18446744065119617037 bytes"):
        datasets.parse_idx(huge + b"\x00")


def test_load_mnist_keeps_working(tmp_path):
    _, arrays = write_fake_mnist(tmp_path / "mine", n_train=3, n_test=2)
    (x_train, y_train), (x_test, y_test) = datasets.load_mnist(tmp_path / "mine")
    np.testing.assert_array_equal(x_train, arrays["x_train"])
    np.testing.assert_array_equal(y_test, arrays["y_test"])
    with pytest.raises(FileNotFoundError, match="missing"):
        datasets.load_mnist(tmp_path / "nowhere")


def test_fashion_mnist_downloads_into_its_own_folder(cache, mirror, monkeypatch):
    folder, url, server = mirror
    digests, arrays = write_fake_mnist(folder / "fashion_mnist", seed=5)
    monkeypatch.setattr(mnist_module, "FASHION_MNIST_FILES", digests)
    (x_train, y_train), (x_test, y_test) = datasets.fashion_mnist(base_url=url)
    np.testing.assert_array_equal(x_train, arrays["x_train"])
    np.testing.assert_array_equal(y_train, arrays["y_train"])
    assert x_test.shape == (4, 28, 28) and y_test.dtype == np.uint8
    assert all(r.startswith("/fashion_mnist/") for r in server.requests)
    assert (cache / "fashion_mnist" / "t10k-labels-idx1-ubyte.gz").is_file()
    assert len(datasets.FASHION_MNIST_CLASSES) == 10


def test_fashion_mnist_tables_are_the_published_ones():
    assert list(mnist_module.FASHION_MNIST_FILES) == list(mnist_module.FILES.values())
    assert mnist_module.FASHION_MNIST_FILES["t10k-labels-idx1-ubyte.gz"].startswith("67da17c7")
    publisher = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
    assert mnist_module.FASHION_MNIST_URLS[0] == publisher


def test_fashion_mnist_from_a_local_folder(tmp_path, monkeypatch, cache):
    digests, arrays = write_fake_mnist(tmp_path / "fm", seed=9)
    monkeypatch.setattr(mnist_module, "FASHION_MNIST_FILES", digests)
    _, (x_test, _) = datasets.fashion_mnist(path=tmp_path / "fm")
    np.testing.assert_array_equal(x_test, arrays["x_test"])


def test_local_folder_may_be_the_shared_layout(shared_data, monkeypatch, tmp_path):
    # NEUROPIL_DATA pointing at a copy of the shared layout (<root>/mnist/...) needs no download
    shutil.copytree(shared_data / "mnist", tmp_path / "root" / "mnist")
    monkeypatch.setenv("NEUROPIL_DATA", str(tmp_path / "root"))
    check_mnist(datasets.mnist(download=False))
