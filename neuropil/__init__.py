"""neuropil: neural networks from first principles on NumPy, behind a Keras-style API.

>>> import numpy as np, neuropil as npl
>>> npl.set_seed(0)
>>> x = npl.Tensor(np.ones((2, 3)), requires_grad=True)
>>> (x * 2).mean().backward(); x.grad.shape
(2, 3)
"""

from neuropil import (
    activations,
    callbacks,
    errors,
    functional,
    initializers,
    layers,
    losses,
    metrics,
    models,
    optimizers,
    schedules,
)
from neuropil.backend import floatx, set_floatx, set_seed
from neuropil.tensor import Tensor, is_grad_enabled, no_grad

__version__ = "0.1.0"

__all__ = [
    "Tensor", "no_grad", "is_grad_enabled", "set_seed", "floatx", "set_floatx", "activations",
    "callbacks", "errors", "functional", "initializers", "layers", "losses", "metrics", "models",
    "optimizers", "schedules", "__version__",
]  # fmt: skip
