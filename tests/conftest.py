import pathlib

import pytest

import neuropil as npl

SHARED_DATA = pathlib.Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture(autouse=True)
def _fresh_seed():
    """Every test starts from the same seed and the default float dtype."""
    npl.set_seed(1234)
    npl.backend.set_floatx("float32")
    yield
    npl.backend.set_floatx("float32")


@pytest.fixture
def shared_data():
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared datasets not found at {SHARED_DATA}")
    return SHARED_DATA
