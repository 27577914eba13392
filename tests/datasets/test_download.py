"""Tests for neuropil/datasets/download.py: cache, download, verification, offline errors."""

import errno
import io
import os
import socket
import time
import urllib.error
import urllib.request

import numpy as np
import pytest

from neuropil import datasets
from neuropil.datasets import download
from neuropil.errors import FileFormatError, NeuropilError
from tests.datasets.conftest import mnist_module, serve, write_fake_mnist


def test_cache_root_follows_neuropil_data(monkeypatch, tmp_path):
    monkeypatch.setenv("NEUROPIL_DATA", str(tmp_path / "here"))
    assert download.cache_root() == tmp_path / "here"
    assert download.dataset_folder("mnist") == tmp_path / "here" / "mnist"
    monkeypatch.delenv("NEUROPIL_DATA")
    assert download.cache_root().parts[-2:] == (".cache", "neuropil")


def test_download_verify_then_reuse_the_cache(cache, fake_mnist):
    (x_train, y_train), (x_test, y_test) = datasets.mnist(base_url=fake_mnist["url"])
    arrays = fake_mnist["arrays"]
    np.testing.assert_array_equal(x_train, arrays["x_train"])
    np.testing.assert_array_equal(y_test, arrays["y_test"])
    assert x_train.dtype == np.uint8 and x_train.shape == (6, 28, 28)
    cached = sorted(p.name for p in (cache / "mnist").iterdir())
    assert cached == sorted(mnist_module.FILES.values())
    assert len(fake_mnist["server"].requests) == 4
    assert all(r.startswith("/mnist/") for r in fake_mnist["server"].requests)

    datasets.mnist(base_url=fake_mnist["url"])  # second call: from the cache
    assert len(fake_mnist["server"].requests) == 4


def test_neuropil_data_url_env_is_the_mirror(cache, fake_mnist, monkeypatch):
    monkeypatch.setenv("NEUROPIL_DATA_URL", fake_mnist["url"] + "/")
    (x_train, _), _ = datasets.mnist()
    np.testing.assert_array_equal(x_train, fake_mnist["arrays"]["x_train"])
    assert (cache / "mnist" / "train-images-idx3-ubyte.gz").is_file()


def test_checksum_mismatch_is_clear_and_removes_the_file(cache, fake_mnist):
    name = "train-labels-idx1-ubyte.gz"
    (fake_mnist["files"] / name).write_bytes(b"tampered")
    with pytest.raises(datasets.ChecksumError) as info:
        datasets.mnist(base_url=fake_mnist["url"])
    message = str(info.value)
    assert name in message and "removed" in message
    assert mnist_module.MNIST_FILES[name] in message
    assert message.endswith(f"Received: {download.sha256_of_bytes(b'tampered')}")
    assert isinstance(info.value, FileFormatError) and isinstance(info.value, ValueError)
    assert not (cache / "mnist" / name).exists()
    assert not list((cache / "mnist").glob(".*.part"))  # no temporary file left behind


def test_corrupted_cached_file_is_replaced(cache, fake_mnist):
    datasets.mnist(base_url=fake_mnist["url"])
    target = cache / "mnist" / "t10k-images-idx3-ubyte.gz"
    target.write_bytes(target.read_bytes()[:-10])
    _, (x_test, _) = datasets.mnist(base_url=fake_mnist["url"])
    np.testing.assert_array_equal(x_test, fake_mnist["arrays"]["x_test"])
    assert fake_mnist["server"].requests[-1] == "/mnist/t10k-images-idx3-ubyte.gz"


def test_corrupted_cached_file_without_download_raises(cache, fake_mnist):
    datasets.mnist(base_url=fake_mnist["url"])
    (cache / "mnist" / "t10k-labels-idx1-ubyte.gz").write_bytes(b"junk")
    with pytest.raises(datasets.ChecksumError, match="t10k-labels-idx1-ubyte.gz"):
        datasets.mnist(download=False)


def test_offline_server_stopped(cache, tmp_path, monkeypatch):
    folder = tmp_path / "gone"
    digests, _ = write_fake_mnist(folder / "mnist")
    monkeypatch.setattr(mnist_module, "MNIST_FILES", digests)
    with serve(folder) as (url, _):
        pass  # the server is stopped: nothing listens on that port any more
    with pytest.raises(datasets.DownloadError) as info:
        datasets.mnist(base_url=url)
    message = str(info.value)
    assert f"{url}/mnist/train-images-idx3-ubyte.gz" in message  # the URL tried
    assert str(cache / "mnist" / "train-images-idx3-ubyte.gz") in message  # where to put it
    assert "path=" in message and "NEUROPIL_DATA" in message
    assert isinstance(info.value, NeuropilError) and isinstance(info.value, OSError)
    assert "Received: " in message
    assert not list((cache / "mnist").iterdir())


def test_offline_tries_every_publisher_url(cache, monkeypatch):
    tried = []

    def no_network(request, timeout=None):
        tried.append(request.full_url)
        raise urllib.error.URLError(OSError("Network is unreachable"))

    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    with pytest.raises(datasets.DownloadError) as info:
        datasets.mnist()
    assert tried == [u + "train-images-idx3-ubyte.gz" for u in mnist_module.MNIST_URLS]
    assert "storage.googleapis.com/cvdf-datasets/mnist/" in tried[0]
    assert all(url in str(info.value) for url in tried)
    assert "Network is unreachable" in str(info.value)


def test_timeout_counts_as_offline(cache, monkeypatch):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)  # accepts the connection but never answers
    monkeypatch.setattr(download, "TIMEOUT", 0.3)
    monkeypatch.setenv("NEUROPIL_DATA_URL", f"http://127.0.0.1:{listener.getsockname()[1]}")
    try:
        with pytest.raises(datasets.DownloadError, match="timed out"):
            datasets.mnist()
    finally:
        listener.close()


def test_missing_file_on_the_mirror_is_reported(cache, mirror):
    _, url, _ = mirror
    with pytest.raises(datasets.DownloadError, match="404"):
        datasets.mnist(base_url=url)


def test_download_false_never_fetches(cache, fake_mnist):
    with pytest.raises(datasets.DatasetNotFoundError) as info:
        datasets.mnist(download=False, base_url=fake_mnist["url"])
    assert str(cache / "mnist") in str(info.value)
    assert isinstance(info.value, FileNotFoundError)
    assert fake_mnist["server"].requests == []


def test_progress_is_one_line_off_a_terminal(cache, fake_mnist, capsys):
    datasets.mnist(base_url=fake_mnist["url"])
    err = capsys.readouterr().err
    assert err.count("neuropil: downloading") == 4
    assert "\r" not in err and "\b" not in err


def test_progress_bar_on_a_terminal(cache, fake_mnist, monkeypatch):
    pytest.importorskip("tqdm")

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    terminal = Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    datasets.mnist(base_url=fake_mnist["url"])
    assert "train-images-idx3-ubyte.gz" in terminal.getvalue()
    assert "neuropil: downloading" not in terminal.getvalue()


def test_fetch_is_atomic_and_returns_the_path(tmp_path, mirror):
    folder, url, _ = mirror
    (folder / "toy").mkdir()
    (folder / "toy" / "a.bin").write_bytes(b"abc")
    digest = download.sha256_of_bytes(b"abc")
    path = download.fetch("toy", "a.bin", digest, (), tmp_path / "out", base_url=url)
    assert path == tmp_path / "out" / "a.bin" and path.read_bytes() == b"abc"
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["a.bin"]
    umask = os.umask(0o022)
    try:  # readable by others, as files made with this umask are (mkstemp alone gives 0600)
        again = download.fetch("toy", "a.bin", digest, (), tmp_path / "other", base_url=url)
        assert again.stat().st_mode & 0o777 == 0o644
    finally:
        os.umask(umask)


def test_a_bad_mirror_falls_through_to_a_good_one(tmp_path, monkeypatch):
    good, bad = tmp_path / "good", tmp_path / "bad"
    good.mkdir(), bad.mkdir()
    (good / "a.bin").write_bytes(b"right")
    (bad / "a.bin").write_bytes(b"wrong")
    digest = download.sha256_of_bytes(b"right")
    monkeypatch.delenv("NEUROPIL_DATA_URL", raising=False)
    with serve(bad) as (bad_url, _), serve(good) as (good_url, _):
        path = download.fetch("toy", "a.bin", digest, (bad_url, good_url), tmp_path / "out")
    assert path.read_bytes() == b"right"


# -- a cache folder that cannot be written ---------------------------------------------------
def _served_pair(tmp_path):
    """Two mirrors serving the same small file; returns (folder, digest)."""
    served = tmp_path / "served"
    served.mkdir()
    (served / "a.bin").write_bytes(b"abc" * 50_000)
    return served, download.sha256_of_bytes(b"abc" * 50_000)


def test_a_cache_root_that_is_a_file_raises_cache_error(cache, fake_mnist):
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text("not a folder")
    with pytest.raises(datasets.CacheError) as info:
        datasets.mnist(base_url=fake_mnist["url"])
    message = str(info.value)
    assert f"cache folder '{cache / 'mnist'}'" in message and "NEUROPIL_DATA" in message
    assert "pass path='<folder holding train-images-idx3-ubyte.gz>'" in message
    assert isinstance(info.value, OSError) and isinstance(info.value, NeuropilError)
    assert fake_mnist["server"].requests == []  # nothing was downloaded for nothing


def test_a_read_only_cache_raises_cache_error(cache, fake_mnist, monkeypatch):
    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(download.tempfile, "mkstemp", read_only)
    with pytest.raises(datasets.CacheError, match="Read-only file system. Free some space"):
        datasets.mnist(base_url=fake_mnist["url"])


def test_a_full_disk_stops_at_once_and_leaves_no_part_file(tmp_path, monkeypatch):
    served, digest = _served_pair(tmp_path)
    real_fdopen = os.fdopen

    class FullDisk(io.RawIOBase):
        def __init__(self, fd):
            self.file = real_fdopen(fd, "wb")

        def write(self, data):
            raise OSError(errno.ENOSPC, "No space left on device")

        def close(self):
            self.file.close()
            super().close()

    monkeypatch.setattr(download.os, "fdopen", lambda fd, mode: FullDisk(fd))
    monkeypatch.delenv("NEUROPIL_DATA_URL", raising=False)
    with serve(served) as (first, one), serve(served) as (second, two):
        with pytest.raises(datasets.CacheError, match="No space left on device") as info:
            download.fetch("toy", "a.bin", digest, (first, second), tmp_path / "out")
    assert "offline" not in str(info.value)
    assert len(one.requests) == 1 and two.requests == []  # another URL would not help
    assert list((tmp_path / "out").iterdir()) == []


def test_a_corrupted_cached_file_that_cannot_be_removed_is_never_used(cache, fake_mnist,
                                                                     monkeypatch):  # fmt: skip
    datasets.mnist(base_url=fake_mnist["url"])
    target = cache / "mnist" / "t10k-labels-idx1-ubyte.gz"
    target.write_bytes(b"truncated")
    real_unlink = type(target).unlink

    def refuse(self, missing_ok=False):
        if self == target:
            raise OSError(errno.EROFS, "Read-only file system")
        return real_unlink(self, missing_ok=missing_ok)

    monkeypatch.setattr(type(target), "unlink", refuse)
    with pytest.raises(datasets.ChecksumError, match="could not be removed .Read-only file"):
        datasets.mnist(base_url=fake_mnist["url"])
    assert target.read_bytes() == b"truncated"


def test_stale_part_files_of_killed_downloads_are_removed(tmp_path, mirror):
    folder, url, _ = mirror
    (folder / "toy").mkdir()
    (folder / "toy" / "a.bin").write_bytes(b"abc")
    out = tmp_path / "out"
    out.mkdir()
    stale, running = out / ".a.bin.x1.part", out / ".a.bin.x2.part"
    stale.write_bytes(b"ab"), running.write_bytes(b"a")
    old = time.time() - download.STALE_PART - 60
    os.utime(stale, (old, old))
    download.fetch("toy", "a.bin", download.sha256_of_bytes(b"abc"), (), out, base_url=url)
    assert not stale.exists() and running.exists()  # another process may still be writing it
