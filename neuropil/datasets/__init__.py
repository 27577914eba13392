"""Datasets for the course's case studies.

>>> from neuropil import datasets
>>> callable(datasets.churn_preprocess)
True
"""

from neuropil.datasets.churn import churn_preprocess, load_churn
from neuropil.datasets.mnist import load_mnist

__all__ = ["load_churn", "churn_preprocess", "load_mnist"]
