"""The classic neurons the course starts from, before layers and backpropagation.

- ``MPNeuron``: the McCulloch–Pitts logic neuron of 1943 (binary inputs, a threshold, inhibitory
  inputs), with the AND, OR, NOT and "A and not B" gates;
- ``Perceptron``: Rosenblatt's perceptron and its learning rule, online or whole-batch, with step
  or sign activation; it learns AND and OR and, as Minsky and Papert showed, never XOR;
- ``SigmoidNeuron``: one sigmoid neuron trained by gradient descent in NumPy (course note 002).

They share the habits of the rest of neuropil: ``fit``/``predict``, errors that end with
"Received: ...", and ``save``/``load`` to a small JSON file written atomically, with no pickle;
``load(path)`` reads any of them back (see ``neuropil.classic.files``).

>>> import numpy as np
>>> from neuropil.classic import MPNeuron, Perceptron
>>> X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
>>> learned = Perceptron(seed=3).fit(X, [0, 0, 0, 1])
>>> MPNeuron.and_gate().predict(X).tolist() == learned.predict(X).tolist()
True
"""

from neuropil.classic.files import load
from neuropil.classic.mcculloch_pitts import MPNeuron
from neuropil.classic.perceptron import Perceptron
from neuropil.classic.sigmoid_neuron import SigmoidNeuron

__all__ = ["MPNeuron", "Perceptron", "SigmoidNeuron", "load"]
