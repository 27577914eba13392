"""The bank-churn case study (course note 003): reading the CSV and its preprocessing.

``churn(path=None)`` returns the table as a pandas DataFrame. Its publisher (SuperDataScience,
most often fetched from Kaggle) offers no download without a login, so the file comes from
``path`` (the CSV, or a folder holding ``Churn_Modelling.csv``) or the cache
(``$NEUROPIL_DATA/churn/Churn_Modelling.csv``); nothing is downloaded. Copies differ in line
endings, so the digest is not checked; the columns are.

The preprocessing follows the notes: drop RowNumber, CustomerId and Surname; one-hot encode
Geography and Gender dropping the first level; split 80/20 with ``random_state=0``; standardize
with statistics of the training part. It needs the ``data`` extra (pandas, scikit-learn).

>>> import pandas as pd
>>> from neuropil.datasets import churn_preprocess
>>> frame = pd.DataFrame({
...     "RowNumber": range(10), "CustomerId": range(10), "Surname": ["x"] * 10,
...     "CreditScore": range(600, 610), "Geography": ["France", "Spain", "Germany", "France",
...     "Spain"] * 2, "Gender": ["Male", "Female"] * 5, "Age": range(30, 40), "Tenure": [1] * 10,
...     "Balance": [0.0] * 10, "NumOfProducts": [1] * 10, "HasCrCard": [1] * 10,
...     "IsActiveMember": [0] * 10, "EstimatedSalary": [1e5] * 10, "Exited": [0, 1] * 5})
>>> x_train, x_test, y_train, y_test = churn_preprocess(frame)
>>> x_train.shape, x_test.shape, x_train.dtype
((8, 11), (2, 11), dtype('float32'))
"""

import pathlib

import numpy as np

from neuropil.datasets.download import ENV_ROOT, DatasetNotFoundError, dataset_folder
from neuropil.errors import ConfigError, FileFormatError

FEATURE_COLUMNS = (
    "CreditScore", "Geography", "Gender", "Age", "Tenure", "Balance", "NumOfProducts",
    "HasCrCard", "IsActiveMember", "EstimatedSalary",
)  # fmt: skip
TARGET_COLUMN = "Exited"
CSV_NAME = "Churn_Modelling.csv"


def _require(module, extra="data"):
    try:
        return __import__(module)
    except ImportError:
        raise ImportError(f"This needs {module}: pip install 'neuropil[{extra}]'") from None


def load_churn(path):
    """The churn CSV at ``path`` as a pandas DataFrame (columns as published)."""
    pd = _require("pandas")
    try:
        frame = pd.read_csv(path)
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise FileFormatError(
            f"'{path}' is not the bank-churn table: it cannot be read as CSV text. "
            f"Received: {exc!r}"
        ) from None
    missing = [c for c in (*FEATURE_COLUMNS, TARGET_COLUMN) if c not in frame.columns]
    if missing:
        raise ConfigError(
            f"'{path}' is not the bank-churn table: columns {missing} are missing. "
            f"Received columns: {list(frame.columns)}"
        )
    return frame


def churn(path=None):
    """The bank-churn table (10,000 customers, 14 columns, target ``Exited``) as a DataFrame.

    ``path`` is the CSV file or a folder holding ``Churn_Modelling.csv``; by default the cache
    folder ``$NEUROPIL_DATA/churn/`` (``~/.cache/neuropil/churn/``) is used. Preprocess it as the
    notes do with ``churn_preprocess(churn())``.
    """
    if path is None:
        candidate = dataset_folder("churn") / CSV_NAME
    else:
        candidate = pathlib.Path(path).expanduser()
        if candidate.is_dir():
            candidate = candidate / CSV_NAME
    if not candidate.is_file():
        raise DatasetNotFoundError(
            f"The bank-churn CSV is not at '{candidate}'. Its publisher offers no download "
            "without a login: get 'Churn_Modelling.csv' (Kaggle, 'Churn Modelling', 684,858 "
            f"bytes) and pass path='<the file or its folder>', or copy it to "
            f"'{dataset_folder('churn') / CSV_NAME}' (set {ENV_ROOT} to use another cache "
            f"folder). Received: path={None if path is None else str(path)!r}"
        )
    return load_churn(candidate)


def churn_preprocess(frame, test_size=0.2, random_state=0):
    """(x_train, x_test, y_train, y_test) as float32 arrays, preprocessed as in the notes."""
    pd = _require("pandas")
    _require("sklearn")
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    features = frame[list(FEATURE_COLUMNS)]
    dummies = [pd.get_dummies(features[c], drop_first=True) for c in ("Geography", "Gender")]
    x = pd.concat([features.drop(columns=["Geography", "Gender"]), *dummies], axis=1)
    x = x.to_numpy(dtype=np.float64)
    y = frame[TARGET_COLUMN].to_numpy(dtype=np.float32)
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=test_size, random_state=random_state
    )
    scaler = StandardScaler().fit(x_train)
    return (
        scaler.transform(x_train).astype(np.float32),
        scaler.transform(x_test).astype(np.float32),
        y_train,
        y_test,
    )
