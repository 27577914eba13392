"""Reading the IDX files MNIST is published in (optionally gzip-compressed).

An IDX file starts with two zero bytes, a type code (0x08 for unsigned bytes) and the number of
dimensions, then one big-endian 32-bit size per dimension, then the values.

>>> import gzip, io, numpy as np
>>> from neuropil.datasets.idx import parse_idx
>>> raw = bytes([0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 3]) + bytes(range(6))
>>> parse_idx(raw)
array([[0, 1, 2],
       [3, 4, 5]], dtype=uint8)
"""

import gzip
import math

import numpy as np

from neuropil.errors import FileFormatError

_TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def parse_idx(raw, name="IDX data"):
    """The array held in the bytes of an IDX file."""
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _TYPES:
        raise FileFormatError(
            f"{name} is not an IDX file (bad magic number). Received: {raw[:4]!r}"
        )
    ndim = raw[3]
    header = 4 + 4 * ndim
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    dtype = np.dtype(_TYPES[raw[2]])
    expected = header + math.prod(shape) * dtype.itemsize  # Python ints: no wrap-around
    if len(raw) != expected:
        raise FileFormatError(
            f"{name} should hold {expected} bytes for shape {shape}. Received: {len(raw)} bytes "
            "(truncated or corrupted)"
        )
    return (
        np.frombuffer(raw, dtype=dtype, offset=header)
        .reshape(shape)
        .astype(dtype.newbyteorder("="))
    )


def read_idx(path):
    """The array in the IDX file at ``path`` (``.gz`` files are decompressed)."""
    path = str(path)
    opener = gzip.open if path.endswith(".gz") else open
    try:
        with opener(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError) as exc:
        if isinstance(exc, FileNotFoundError):
            raise
        raise FileFormatError(f"Cannot read '{path}': {exc}") from None
    return parse_idx(raw, f"'{path}'")
