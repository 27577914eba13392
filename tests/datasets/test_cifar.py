"""Tests for neuropil/datasets/cifar.py: the CIFAR-10 python batches and the safe unpickler."""

import importlib
import io
import os
import pickle
import tarfile

import numpy as np
import pytest

from neuropil import datasets
from neuropil.datasets.cifar import SafeUnpickler, load_batch
from neuropil.errors import FileFormatError

cifar_module = importlib.import_module("neuropil.datasets.cifar")
BATCHES = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]


def make_batches(n=4, seed=0):
    """Six small batches shaped like the real ones: {name: (rows (n, 3072) uint8, labels)}."""
    rng = np.random.default_rng(seed)
    return {
        name: (
            rng.integers(0, 256, (n, 3072), dtype=np.uint8),
            rng.integers(0, 10, n).tolist(),
        )
        for name in BATCHES
    }


def _string(value):
    """A Python 2 ``str`` opcode (what cPickle wrote for byte strings)."""
    if len(value) < 256:
        return b"U" + bytes([len(value)]) + value
    return b"T" + len(value).to_bytes(4, "little") + value


def _py2_array(array):
    """A uint8 2-D array pickled as Python 2's cPickle (protocol 2) did for the real batches."""
    rows, cols = array.shape
    return (
        b"cnumpy.core.multiarray\n_reconstruct\ncnumpy\nndarray\nK\x00\x85" + _string(b"b")
        + b"\x87R(K\x01J" + rows.to_bytes(4, "little") + b"J" + cols.to_bytes(4, "little")
        + b"\x86cnumpy\ndtype\n" + _string(b"u1") + b"K\x00K\x01\x87R(K\x03" + _string(b"|")
        + b"NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb\x89" + _string(array.tobytes()) + b"tb"
    )  # fmt: skip


def batch_pickle(data, labels, name):
    """One batch as the publisher's files hold it: a Python 2 pickle of a dict with str keys."""
    items = [
        _string(b"batch_label") + _string(name.encode()),
        _string(b"labels") + b"](" + b"".join(b"K" + bytes([v]) for v in labels) + b"e",
        _string(b"data") + _py2_array(data),
    ]
    return b"\x80\x02}(" + b"".join(items) + b"u."


def write_tarball(path, batches, extra=()):
    path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, "w:gz") as tar:
        members = [(name, batch_pickle(*batches[name], name)) for name in batches]
        members += [("batches.meta", pickle.dumps({b"label_names": []}, protocol=3)), *extra]
        for name, raw in members:
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(raw)
            tar.addfile(info, io.BytesIO(raw))
    return path


def expected(batches):
    def images(rows):
        return rows.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)

    x_train = np.concatenate([images(batches[n][0]) for n in BATCHES[:5]])
    y_train = np.concatenate([batches[n][1] for n in BATCHES[:5]]).astype(np.uint8)
    return x_train, y_train, images(batches["test_batch"][0])


def check(data, batches, n=4):
    (x_train, y_train), (x_test, y_test) = data
    want_x, want_y, want_test = expected(batches)
    assert x_train.shape == (5 * n, 32, 32, 3) and x_test.shape == (n, 32, 32, 3)
    assert y_train.shape == (5 * n, 1) and y_test.shape == (n, 1)
    assert {a.dtype for a in (x_train, y_train, x_test, y_test)} == {np.dtype(np.uint8)}
    np.testing.assert_array_equal(x_train, want_x)
    np.testing.assert_array_equal(y_train[:, 0], want_y)
    np.testing.assert_array_equal(x_test, want_test)
    # channels last: pixel (0, 0) of image 0 holds the first R, G and B values of its row
    row = batches["data_batch_1"][0][0]
    assert x_train[0, 0, 0].tolist() == [row[0], row[1024], row[2048]]


@pytest.fixture
def tarball(tmp_path, monkeypatch):
    batches = make_batches()
    path = write_tarball(tmp_path / "src" / "cifar-10-python.tar.gz", batches)
    digest = datasets.download.sha256_of_file(path)
    monkeypatch.setattr(cifar_module, "CIFAR10_FILES", {"cifar-10-python.tar.gz": digest})
    return path, batches


def test_cifar10_from_the_archive_folder(tarball, cache):
    path, batches = tarball
    check(datasets.cifar10(path=path.parent), batches)
    check(datasets.cifar10(path=path), batches)


def test_cifar10_from_the_extracted_folder(tmp_path, cache):
    batches = make_batches(n=3, seed=1)
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    for name, (data, labels) in batches.items():
        (folder / name).write_bytes(batch_pickle(data, labels, name))
    check(datasets.cifar10(path=tmp_path), batches, n=3)
    check(datasets.cifar10(path=folder), batches, n=3)


def test_cifar10_downloads_verifies_and_caches(tarball, cache, mirror):
    path, batches = tarball
    folder, url, server = mirror
    (folder / "cifar10").mkdir()
    os.replace(path, folder / "cifar10" / path.name)
    check(datasets.cifar10(base_url=url), batches)
    assert server.requests == ["/cifar10/cifar-10-python.tar.gz"]
    check(datasets.cifar10(base_url=url), batches)
    assert len(server.requests) == 1


def test_cifar10_checksum_mismatch(tarball, cache, mirror, monkeypatch):
    path, _ = tarball
    folder, url, _ = mirror
    (folder / "cifar10").mkdir()
    os.replace(path, folder / "cifar10" / path.name)
    monkeypatch.setattr(cifar_module, "CIFAR10_FILES", {path.name: "0" * 64})
    with pytest.raises(datasets.ChecksumError, match="cifar-10-python.tar.gz") as info:
        datasets.cifar10(base_url=url)
    assert "0" * 64 in str(info.value)
    assert not (cache / "cifar10" / path.name).exists()


def test_cifar10_publisher_table():
    assert cifar_module.CIFAR10_URLS == ("https://www.cs.toronto.edu/~kriz/",)
    assert cifar_module.CIFAR10_FILES["cifar-10-python.tar.gz"].startswith("6d958be0")


def test_cifar10_missing_and_offline(tmp_path, cache, monkeypatch):
    with pytest.raises(datasets.DatasetNotFoundError, match="cifar-10-python.tar.gz"):
        datasets.cifar10(path=tmp_path)
    monkeypatch.setenv("NEUROPIL_DATA_URL", "http://127.0.0.1:9")  # discard port: refused
    with pytest.raises(datasets.DownloadError, match="cifar10/cifar-10-python.tar.gz"):
        datasets.cifar10()


class Exploit:
    def __reduce__(self):
        return (os.system, ("touch pwned",))


def test_malicious_pickle_is_refused_without_running_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FileFormatError, match="system") as info:
        load_batch(pickle.dumps(Exploit()), "data_batch_1")
    assert str(info.value).endswith(("posix.system", "nt.system"))
    assert not (tmp_path / "pwned").exists()


def test_malicious_batch_inside_the_archive_is_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    batches = make_batches(n=2)
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    for name, (data, labels) in batches.items():
        (folder / name).write_bytes(batch_pickle(data, labels, name))
    (folder / "test_batch").write_bytes(pickle.dumps({b"data": Exploit(), b"labels": []}))
    with pytest.raises(FileFormatError, match="refusing"):
        datasets.cifar10(path=folder)
    assert not (tmp_path / "pwned").exists()


@pytest.mark.parametrize(
    "payload",
    [pickle.dumps(print), pickle.dumps(np.load), pickle.dumps(pickle.loads), pickle.dumps(eval)],
)
def test_only_array_helpers_are_allowed(payload):
    with pytest.raises(FileFormatError):
        SafeUnpickler(io.BytesIO(payload)).load()


def test_python2_batch_format_is_read():
    data = np.arange(2 * 3072, dtype=np.uint64).astype(np.uint8).reshape(2, 3072)
    raw = batch_pickle(data, [7, 2], "training batch 1 of 5")
    assert pickle.loads(raw, encoding="bytes")[b"labels"] == [7, 2]  # the helper is sound
    images, labels = load_batch(raw)
    assert images.shape == (2, 32, 32, 3) and labels.tolist() == [7, 2]
    np.testing.assert_array_equal(images, data.reshape(2, 3, 32, 32).transpose(0, 2, 3, 1))


def test_python3_pickles_of_batches_are_read_too():
    data = np.arange(3 * 3072, dtype=np.uint64).astype(np.uint8).reshape(3, 3072)
    for protocol in (3, 4, 5):  # protocol 2 from Python 3 needs _codecs.encode: refused
        raw = pickle.dumps({b"data": data, b"labels": [1, 2, 3]}, protocol=protocol)
        if protocol == 5:  # NumPy pickles arrays through numpy._core.numeric._frombuffer here
            with pytest.raises(FileFormatError, match="_frombuffer"):
                load_batch(raw)
            continue
        assert load_batch(raw)[1].tolist() == [1, 2, 3]
    # GLOBAL opcodes (protocol 3) name the module in text: check both NumPy spellings
    raw = pickle.dumps({b"data": data, b"labels": [1, 2, 3]}, protocol=3)
    raw = raw.replace(b"numpy._core.multiarray", b"numpy.core.multiarray")
    for module in (b"numpy.core.multiarray", b"numpy._core.multiarray"):
        named = raw.replace(b"numpy.core.multiarray", module)
        assert module in named and load_batch(named)[1].tolist() == [1, 2, 3]


def test_garbled_batches_are_clear_errors(tmp_path):
    with pytest.raises(FileFormatError, match="not a readable CIFAR batch"):
        load_batch(b"\x80\x03}q", "data_batch_1")
    with pytest.raises(FileFormatError, match="3072"):
        load_batch(pickle.dumps({b"data": np.zeros((2, 5), np.uint8), b"labels": [1, 2]}, 3))
    broken = tmp_path / "cifar-10-python.tar.gz"
    write_tarball(broken, make_batches())
    broken.write_bytes(broken.read_bytes()[:300])
    with pytest.raises(FileFormatError, match="Cannot read the archive"):
        cifar_module._batches_from_archive(broken)


@pytest.mark.parametrize("data, labels, expected", [
    (np.full((2, 3072), 300), [1, 2], "pixels that are integers from 0 to 255. Received: dtype "
                                      "int64, values from 300 to 300"),
    (np.full((2, 3072), -1), [1, 2], "pixels that are integers from 0 to 255"),
    (np.full((2, 3072), 0.5), [1, 2], "pixels that are integers.*float64"),
    (np.zeros((2, 3072), np.uint8), [1, 700], "labels that are integers from 0 to 9. Received: "
                                              "dtype int64, values from 1 to 700"),
])  # fmt: skip
def test_out_of_range_batches_are_refused_not_wrapped(data, labels, expected):
    # an extracted batch is read without a checksum; uint8 would turn 300 into 44 silently
    with pytest.raises(FileFormatError, match=expected):
        load_batch(pickle.dumps({b"data": data, b"labels": labels}, 3))


def test_archive_without_all_batches(tmp_path):
    batches = make_batches()
    del batches["data_batch_3"]
    path = write_tarball(tmp_path / "cifar-10-python.tar.gz", batches)
    with pytest.raises(FileFormatError, match="data_batch_3"):
        cifar_module._batches_from_archive(path)


def test_path_traversal_members_are_never_written(tmp_path):
    batches = make_batches(n=1)
    evil = ("../../escape", b"x")
    path = write_tarball(tmp_path / "a" / "cifar-10-python.tar.gz", batches, extra=[evil])
    cifar_module._batches_from_archive(path)
    assert not (tmp_path / "escape").exists()
