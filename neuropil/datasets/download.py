"""Finding, downloading and verifying the publishers' dataset files.

Every real dataset lives in its own folder of the **cache**: ``$NEUROPIL_DATA/<dataset>/``, or
``~/.cache/neuropil/<dataset>/`` when ``NEUROPIL_DATA`` is not set. A missing file is downloaded
with ``urllib`` from the publisher's URLs (then the mirrors), written to a temporary file in that
folder, checked against the published SHA-256 and only then renamed into place, so an
interrupted or tampered download never leaves a file that looks valid.

A **mirror** of the whole cache layout (``<base>/<dataset>/<file>``) can replace the publishers'
hosts: pass ``base_url=`` to a loader or set ``NEUROPIL_DATA_URL``. Tests use this to serve files
from ``http://127.0.0.1:PORT/``.

>>> import hashlib
>>> sha256_of_bytes(b"neuropil") == hashlib.sha256(b"neuropil").hexdigest()
True
>>> str(dataset_folder("mnist", root="/data"))
'/data/mnist'
"""

import hashlib
import http.client
import os
import pathlib
import sys
import tempfile
import time
import urllib.error
import urllib.request

from neuropil.errors import CacheError, ChecksumError, DatasetNotFoundError, DownloadError
from neuropil.saving import usual_permissions

__all__ = [
    "CacheError",
    "ChecksumError",
    "DownloadError",
    "DatasetNotFoundError",
    "cache_root",
    "dataset_folder",
    "sha256_of_file",
    "fetch",
]

ENV_ROOT = "NEUROPIL_DATA"
ENV_URL = "NEUROPIL_DATA_URL"
TIMEOUT = 30.0  # seconds without data before a URL counts as unreachable
# A download in progress writes its .part file at least every TIMEOUT seconds, so one left
# unchanged this long belongs to a process that was killed; it is removed.
STALE_PART = 600.0
_CHUNK = 1 << 16


class _WriteFailed(Exception):
    """An OSError from writing the cache (disk full, read-only), not from the network."""


def cache_root():
    """The cache folder: ``$NEUROPIL_DATA`` if set, else ``~/.cache/neuropil``."""
    root = os.environ.get(ENV_ROOT)
    if root:
        return pathlib.Path(root).expanduser()
    return pathlib.Path.home() / ".cache" / "neuropil"


def dataset_folder(name, root=None):
    """The folder holding dataset ``name`` in the cache (not created here)."""
    return (pathlib.Path(root) if root is not None else cache_root()) / name


def sha256_of_bytes(data):
    """Hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def sha256_of_file(path):
    """Hex SHA-256 of the file at ``path``, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verify(path, sha256, delete=False):
    """Raise ``ChecksumError`` if the file at ``path`` does not hash to ``sha256``.

    With ``delete=True`` a bad file is removed first (used for files neuropil itself wrote).
    """
    received = sha256_of_file(path)
    if received != sha256:
        fate = ""
        if delete:
            try:
                pathlib.Path(path).unlink(missing_ok=True)
                fate = "It was removed; the next call downloads it again. "
            except OSError as exc:
                fate = (
                    f"It could not be removed ({exc.strerror or exc}): delete it, or set "
                    f"{ENV_ROOT} to another cache folder. "
                )
        raise ChecksumError(
            f"'{path}' is not the publisher's file: its SHA-256 differs (corrupted, truncated or "
            f"a different version). {fate}Expected SHA-256: {sha256}. Received: {received}"
        )


def _urls(dataset, filename, urls, base_url):
    base = base_url if base_url is not None else os.environ.get(ENV_URL)
    if base:
        return [f"{base.rstrip('/')}/{dataset}/{filename}"]
    return [url.rstrip("/") + "/" + filename for url in urls]


def _progress(total, label):
    """A tqdm bar on an interactive stderr, else ``None`` (one plain line is printed instead)."""
    stream = sys.stderr
    if hasattr(stream, "isatty") and stream.isatty():
        try:
            from tqdm.auto import tqdm
        except ImportError:
            pass
        else:
            return tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024, desc=label)
    size = f" ({total / 1e6:.1f} MB)" if total else ""
    print(f"neuropil: downloading {label}{size}", file=stream, flush=True)
    return None


def _download(url, handle, label, timeout):
    """Stream ``url`` into the open binary file ``handle``; return its SHA-256."""
    request = urllib.request.Request(url, headers={"User-Agent": "neuropil"})
    digest = hashlib.sha256()
    with urllib.request.urlopen(request, timeout=timeout) as response:
        total = int(response.headers.get("Content-Length") or 0)
        bar = _progress(total, label)
        try:
            for chunk in iter(lambda: response.read(_CHUNK), b""):
                try:
                    handle.write(chunk)
                except OSError as exc:  # the disk, not the network: no other URL would help
                    raise _WriteFailed(exc) from exc
                digest.update(chunk)
                if bar is not None:
                    bar.update(len(chunk))
        finally:
            if bar is not None:
                bar.close()
        if total and handle.tell() != total:
            raise urllib.error.URLError(f"connection closed after {handle.tell()} of {total} bytes")
    return digest.hexdigest()


def _cache_error(dataset, filename, folder, exc):
    return CacheError(
        f"Cannot write the {dataset} file '{filename}' into the cache folder '{folder}': "
        f"{exc.strerror or exc}. Free some space there, set {ENV_ROOT} to a folder you can "
        f"write to, or pass path='<folder holding {filename}>' to the loader. Received: {exc!r}"
    )


def _remove_stale_parts(folder, filename):
    """Delete the .part files of ``filename`` that a killed download left in ``folder``."""
    for part in folder.glob(f".{filename}.*.part"):
        try:
            if time.time() - part.stat().st_mtime > STALE_PART:
                part.unlink()
        except OSError:  # gone already, or not ours to remove: harmless either way
            pass


def fetch(dataset, filename, sha256, urls, folder, base_url=None, timeout=None):
    """Download ``filename`` into ``folder`` (verified, atomic) and return its path.

    ``urls`` are base URLs tried in order (the publisher first). A file that arrives with the
    wrong SHA-256 is deleted; if no URL delivers the right bytes, ``ChecksumError`` (some URL
    answered with other bytes) or ``DownloadError`` (none answered) says what was tried. A
    folder that cannot be written (read-only, full, a file in its place) raises ``CacheError``.
    """
    folder = pathlib.Path(folder)
    destination = folder / filename
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _cache_error(dataset, filename, folder, exc) from None
    _remove_stale_parts(folder, filename)
    timeout = TIMEOUT if timeout is None else timeout
    failures, mismatch = [], None
    for url in _urls(dataset, filename, urls, base_url):
        try:
            fd, partial = tempfile.mkstemp(prefix=f".{filename}.", suffix=".part", dir=folder)
        except OSError as exc:
            raise _cache_error(dataset, filename, folder, exc) from None
        try:
            handle = os.fdopen(fd, "wb")
            try:
                received = _download(url, handle, filename, timeout)
            finally:
                try:
                    handle.close()  # its last buffered bytes can meet a full disk too
                except OSError as exc:
                    raise _WriteFailed(exc) from exc
            if received == sha256:
                try:
                    usual_permissions(partial)  # a cache file readable as any other
                    os.replace(partial, destination)
                except OSError as exc:
                    raise _WriteFailed(exc) from exc
                return destination
            mismatch = (url, received)
        except _WriteFailed as failed:
            raise _cache_error(dataset, filename, folder, failed.args[0]) from None
        except (OSError, http.client.HTTPException) as exc:  # URLError, timeouts, resets
            reason = exc if isinstance(exc, urllib.error.HTTPError) else getattr(exc, "reason", exc)
            failures.append(f"{url} ({reason})")
        finally:
            pathlib.Path(partial).unlink(missing_ok=True)
    if mismatch is not None:
        url, received = mismatch
        raise ChecksumError(
            f"The {dataset} file '{filename}' downloaded from {url} has the wrong SHA-256 "
            "(tampered, truncated or a changed upstream file); the bad download was removed and "
            f"nothing was saved to '{destination}'. Expected SHA-256: {sha256}. "
            f"Received: {received}"
        )
    raise DownloadError(
        f"Could not download the {dataset} file '{filename}'. URLs tried: {'; '.join(failures)}. "
        f"If this machine is offline, fetch the file elsewhere and copy it to '{destination}' "
        f"(set {ENV_ROOT} to use another cache folder), or pass path='<folder holding "
        f"{filename}>' to the loader. Received: {failures[-1] if failures else 'no URL'}"
    )


def locate(dataset, files, urls, path=None, download=True, base_url=None):
    """Paths of ``files`` (``{filename: sha256}``), verified, from ``path`` or the cache.

    With ``path`` the files must be in that folder (nothing is downloaded or deleted there).
    Otherwise the cache is used and missing files are downloaded when ``download`` is true; a
    cached file with the wrong digest is removed and downloaded again.
    """
    if path is not None:
        folder = pathlib.Path(path).expanduser()
        missing = [name for name in files if not (folder / name).is_file()]
        if missing:
            raise DatasetNotFoundError(
                f"The {dataset} files {missing} are not in '{folder}'. Put the publisher's files "
                f"{list(files)} there, or call without path= to use the cache. "
                f"Received: path='{path}'"
            )
        for name, sha256 in files.items():
            verify(folder / name, sha256)
        return [folder / name for name in files]

    folder = dataset_folder(dataset)
    paths = []
    for name, sha256 in files.items():
        target = folder / name
        if target.is_file():
            try:
                verify(target, sha256, delete=download)
            except ChecksumError:
                if not download or target.exists():  # kept, or could not be removed
                    raise
        if not target.is_file():
            if not download:
                raise DatasetNotFoundError(
                    f"The {dataset} file '{name}' is not in the cache folder '{folder}' and "
                    f"download=False. Copy the publisher's files {list(files)} there "
                    f"(set {ENV_ROOT} to use another folder). Received: download=False"
                )
            target = fetch(dataset, name, sha256, urls, folder, base_url=base_url)
        paths.append(target)
    return paths
