"""Fixtures for the dataset tests: an isolated cache, a local HTTP mirror, small fake files."""

import contextlib
import functools
import gzip
import hashlib
import http.server
import importlib
import shutil
import threading

import numpy as np
import pytest

mnist_module = importlib.import_module("neuropil.datasets.mnist")  # the name is shadowed


class _Handler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep test output clean
        pass

    def do_GET(self):
        self.server.requests.append(self.path)
        super().do_GET()


@contextlib.contextmanager
def serve(directory):
    """Serve ``directory`` on 127.0.0.1 (any free port) in a thread; yield (base_url, server)."""
    handler = functools.partial(_Handler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.requests = []
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """An empty cache folder set as NEUROPIL_DATA; no mirror override from the environment."""
    root = tmp_path / "cache"
    monkeypatch.setenv("NEUROPIL_DATA", str(root))
    monkeypatch.delenv("NEUROPIL_DATA_URL", raising=False)
    return root


@pytest.fixture
def mirror(tmp_path):
    """An empty folder served over HTTP: yields (folder, base_url, server)."""
    folder = tmp_path / "mirror"
    folder.mkdir()
    with serve(folder) as (url, server):
        yield folder, url, server


def idx_bytes(array):
    """An uncompressed IDX file holding a uint8 ``array``."""
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(
        int(n).to_bytes(4, "big") for n in array.shape
    )
    return header + np.ascontiguousarray(array, dtype=np.uint8).tobytes()


def sha256(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_fake_mnist(folder, n_train=6, n_test=4, seed=0):
    """Four small valid IDX gzip files named like MNIST's; returns ({name: sha256}, arrays)."""
    rng = np.random.default_rng(seed)
    arrays = {
        "x_train": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "y_train": rng.integers(0, 10, n_train, dtype=np.uint8),
        "x_test": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "y_test": rng.integers(0, 10, n_test, dtype=np.uint8),
    }
    folder.mkdir(parents=True, exist_ok=True)
    digests = {}
    for key, name in mnist_module.FILES.items():
        (folder / name).write_bytes(gzip.compress(idx_bytes(arrays[key]), mtime=0))
        digests[name] = sha256(folder / name)
    return digests, arrays


@pytest.fixture
def fake_mnist(tmp_path, monkeypatch, mirror):
    """Fake MNIST files on the mirror, their digests patched into the loader; returns arrays."""
    folder, url, server = mirror
    digests, arrays = write_fake_mnist(folder / "mnist")
    monkeypatch.setattr(mnist_module, "MNIST_FILES", digests)
    return {"arrays": arrays, "url": url, "server": server, "files": folder / "mnist"}


@pytest.fixture
def shared_mirror(tmp_path, shared_data):
    """A temporary copy of /work/shared/data/mnist served over HTTP as ``<url>/mnist/...``."""
    root = tmp_path / "shared-mirror"
    shutil.copytree(shared_data / "mnist", root / "mnist")
    with serve(root) as (url, server):
        yield url, server
