"""Tests for neuropil/datasets/churn.py: the bank-churn CSV and the notes' preprocessing."""

import shutil

import numpy as np
import pytest

from neuropil import datasets
from neuropil.errors import ConfigError, FileFormatError

pytest.importorskip("pandas")


def test_churn_from_the_file_and_its_folder(shared_data, cache):
    frame = datasets.churn(shared_data / "churn" / "Churn_Modelling.csv")
    assert frame.shape == (10000, 14)
    assert frame["Exited"].value_counts().to_dict() == {0: 7963, 1: 2037}
    assert datasets.churn(shared_data / "churn").equals(frame)


def test_churn_from_the_cache(shared_data, cache):
    (cache / "churn").mkdir(parents=True)
    shutil.copy(shared_data / "churn" / "Churn_Modelling.csv", cache / "churn")
    assert datasets.churn().shape == (10000, 14)


def test_churn_missing_is_a_clear_error(cache, tmp_path):
    with pytest.raises(datasets.DatasetNotFoundError) as info:
        datasets.churn()
    message = str(info.value)
    assert str(cache / "churn" / "Churn_Modelling.csv") in message
    assert "login" in message and "Received: path=None" in message
    with pytest.raises(FileNotFoundError, match="Received: path="):
        datasets.churn(tmp_path)


def test_not_the_churn_table(tmp_path):
    (tmp_path / "other.csv").write_text("a,b\n1,2\n")
    with pytest.raises(ConfigError, match="not the bank-churn table"):
        datasets.churn(tmp_path / "other.csv")


@pytest.mark.parametrize("content", [b"", b"\xff\xfe\x00binary\x81\x82"])
def test_an_unreadable_file_is_a_clear_error(content, tmp_path):
    (tmp_path / "Churn_Modelling.csv").write_bytes(content)
    with pytest.raises(FileFormatError, match="cannot be read as CSV text"):
        datasets.churn(tmp_path)


def test_preprocess_as_in_the_notes(shared_data):
    pytest.importorskip("sklearn")
    frame = datasets.load_churn(shared_data / "churn" / "Churn_Modelling.csv")
    x_train, x_test, y_train, y_test = datasets.churn_preprocess(frame)
    assert x_train.shape == (8000, 11) and x_test.shape == (2000, 11)
    assert x_train.dtype == np.float32 and y_train.dtype == np.float32
    np.testing.assert_allclose(x_train.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(x_train.std(axis=0), 1, atol=1e-4)
    assert set(np.unique(y_test)) == {0.0, 1.0}
