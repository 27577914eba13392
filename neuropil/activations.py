"""Activation functions by name, as Keras spells them: ``Dense(4, activation="relu")``.

``get`` turns a name, ``None`` or a callable into a function Tensor -> Tensor; ``serialize``
turns such a function back into its name for a saved model config; ``deserialize`` is ``get``.

>>> import neuropil as npl
>>> from neuropil import activations
>>> activations.get("relu")(npl.Tensor([-1.0, 2.0])).data
array([0., 2.], dtype=float32)
>>> activations.serialize(activations.get("relu"))
'relu'
"""

from neuropil.errors import ConfigError, unknown_name
from neuropil.functional import activations as _fa

__all__ = [
    "get", "serialize", "deserialize", "names",
    "elu", "exponential", "hard_sigmoid", "leaky_relu", "linear", "log_softmax", "mish",
    "relu", "relu6", "selu", "sigmoid", "sign", "silu", "softmax", "softplus", "softsign",
    "step", "swish", "tanh",
]  # fmt: skip

elu = _fa.elu
exponential = _fa.exponential
hard_sigmoid = _fa.hard_sigmoid
leaky_relu = _fa.leaky_relu
linear = _fa.linear
log_softmax = _fa.log_softmax
mish = _fa.mish
relu = _fa.relu
relu6 = _fa.relu6
selu = _fa.selu
sigmoid = _fa.sigmoid
sign = _fa.sign
silu = _fa.silu
softmax = _fa.softmax
softplus = _fa.softplus
softsign = _fa.softsign
step = _fa.step
swish = _fa.swish
tanh = _fa.tanh

# name -> function. Functions with parameters use their defaults (leaky_relu: slope 0.2,
# elu: alpha 1, softmax: last axis); prelu and maxout need extra arguments and so live as
# layers, not names.
_REGISTRY = {
    "linear": linear,
    "step": step,
    "sign": sign,
    "sigmoid": sigmoid,
    "hard_sigmoid": hard_sigmoid,
    "tanh": tanh,
    "relu": relu,
    "relu6": relu6,
    "leaky_relu": leaky_relu,
    "elu": elu,
    "selu": selu,
    "silu": silu,
    "swish": swish,
    "softplus": softplus,
    "softsign": softsign,
    "softmax": softmax,
    "log_softmax": log_softmax,
    "exponential": exponential,
    "mish": mish,
}

# function -> the one name saved for it; for aliases (silu and swish are one function) the
# first name listed in _REGISTRY wins, as Keras saves swish as "silu".
_NAMES = {}
for _name, _fn in _REGISTRY.items():
    _NAMES.setdefault(_fn, _name)
del _name, _fn


def names():
    """The registered activation names, sorted.

    >>> "relu" in names()
    True
    """
    return sorted(_REGISTRY)


def get(identifier):
    """The activation function for ``identifier``: ``None`` (the identity), a name, or a callable.

    A callable is returned unchanged, so custom functions Tensor -> Tensor work anywhere a name
    does. An unknown name raises ``UnknownNameError`` listing the valid names.

    >>> get(None) is linear, get("sigmoid") is sigmoid
    (True, True)
    >>> get("swish") is get("silu")
    True
    """
    if identifier is None:
        return linear
    if isinstance(identifier, str):
        fn = _REGISTRY.get(identifier)
        if fn is None:
            raise unknown_name("activation", identifier, _REGISTRY)
        return fn
    if callable(identifier):
        return identifier
    raise ConfigError(
        "activation expects None, a name such as 'relu' or a callable Tensor -> Tensor. "
        f"Received: {identifier!r}"
    )


def deserialize(name):
    """The function for a saved activation name (the same as ``get``).

    >>> deserialize("tanh") is tanh
    True
    """
    return get(name)


def serialize(activation):
    """The registered name of an activation function, for saving a model's config.

    ``None`` serializes as ``"linear"``; a name is checked and returned as the canonical name of
    its function. A callable that is not registered (a lambda, a ``functools.partial`` of
    ``leaky_relu`` with another slope) raises ``ConfigError``: it could not be rebuilt on load.

    >>> serialize(relu), serialize(None), serialize("swish")
    ('relu', 'linear', 'silu')
    """
    if activation is None:
        return "linear"
    if isinstance(activation, str):
        return _NAMES[get(activation)]
    try:
        return _NAMES[activation]
    except (KeyError, TypeError):
        pass
    raise ConfigError(
        "serialize expects a registered activation (one of "
        f"{', '.join(names())}) so the model can be rebuilt on load; use an activation layer "
        f"for a custom function. Received: {activation!r}"
    )
