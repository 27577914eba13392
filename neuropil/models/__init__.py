"""Models: ``Sequential`` and ``load_model``.

>>> from neuropil.models import Sequential, load_model
"""

from neuropil.models.sequential import Sequential
from neuropil.saving import load_model

__all__ = ["Sequential", "load_model"]
