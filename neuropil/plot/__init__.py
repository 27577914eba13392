"""Figures for learning and teaching with matplotlib (an optional extra): ``pip install
'neuropil[plot]'``.

``import neuropil`` never imports matplotlib; this package imports it on the first call, with
the Agg backend when there is no display. Every function returns the matplotlib ``Figure``;
``path=`` also saves it as a PNG, and those that draw one axes take ``ax=`` to draw into an
existing one.

- ``history`` - learning curves from ``model.fit`` (``training.py``)
- ``decision_boundary`` - the class regions of any 2-D classifier over its data (``boundary.py``)
- ``confusion_matrix`` - counts of true against predicted classes (``confusion.py``)
- ``activations`` - activation functions and their autodiff derivatives (``activation_plots.py``)
- ``gradient_norms`` - per-layer gradient norms over training (``gradients.py``)
- ``filters``, ``feature_maps`` - convolution kernels and a layer's outputs (``convolution.py``)
- ``optimizer_path``, ``trace_optimizer`` - optimizers on a 2-D loss surface
  (``optimizer_paths.py``)

>>> import numpy as np, neuropil as npl, neuropil.plot as nplt
>>> from neuropil.models import Sequential
>>> from neuropil.layers import Input, Dense
>>> npl.set_seed(0)
>>> x = np.random.default_rng(0).normal(size=(64, 2)); y = (x[:, 0] * x[:, 1] > 0).astype(int)
>>> model = Sequential([Input((2,)), Dense(8, activation="tanh"), Dense(1, activation="sigmoid")])
>>> model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
>>> h = model.fit(x, y, validation_split=0.25, epochs=3, verbose=0)
>>> fig = nplt.history(h)                       # add path="curves.png" to save it
>>> fig = nplt.decision_boundary(model, x, y, resolution=60)
>>> fig = nplt.confusion_matrix(y, model.predict(x, verbose=0))
"""

from neuropil.plot._common import INSTALL_HINT, PALETTE
from neuropil.plot.activation_plots import activations, derivative
from neuropil.plot.boundary import decision_boundary
from neuropil.plot.confusion import confusion_matrix
from neuropil.plot.convolution import feature_maps, filters
from neuropil.plot.gradients import gradient_norms
from neuropil.plot.optimizer_paths import loss_surface, optimizer_path, trace_optimizer
from neuropil.plot.training import history

__all__ = [
    "history", "decision_boundary", "confusion_matrix", "activations", "derivative",
    "gradient_norms", "filters", "feature_maps", "optimizer_path", "trace_optimizer",
    "loss_surface", "PALETTE", "INSTALL_HINT",
]  # fmt: skip
