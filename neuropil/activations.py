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
from neuropil.functional.gelu import gelu as _gelu

__all__ = [
    "get", "serialize", "deserialize", "names",
    "elu", "exponential", "gelu", "hard_sigmoid", "leaky_relu", "linear", "log_softmax", "mish",
    "relu", "relu6", "selu", "sigmoid", "sign", "silu", "softmax", "softplus", "softsign",
    "step", "swish", "tanh",
]  # fmt: skip

elu = _fa.elu
exponential = _fa.exponential
gelu = _gelu
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
# elu: alpha 1, softmax: last axis, gelu: the exact form); prelu and maxout need extra
# arguments and so live as layers, not names.
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
    "gelu": gelu,
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


def deserialize(saved, custom_objects=None):
    """The function for what ``serialize`` saved: a registered name, or a function of the
    user's own (``{"class_name": "function", "config": name}``) found in ``custom_objects``.

    >>> deserialize("tanh") is tanh
    True
    >>> def twice(x):
    ...     return x * 2
    >>> deserialize(serialize(twice), {"twice": twice}) is twice
    True
    """
    if isinstance(saved, dict) and saved.get("class_name") == "function":
        name = saved.get("config")
        fn = (custom_objects or {}).get(name)
        if not callable(fn):
            raise ConfigError(
                f"activation {name!r} is a function of your own, not saved in the file: pass "
                f"load_model(..., custom_objects={{{name!r}: {name}}}). Received: {saved!r}"
            )
        return fn
    return get(saved)


def registered_name(fn):
    """The canonical name of a built-in activation function, or None for any other callable.

    >>> registered_name(relu), registered_name(lambda x: x)
    ('relu', None)
    """
    try:
        return _NAMES.get(fn)
    except TypeError:  # an unhashable callable object
        return None


def serialize(activation):
    """What a model file holds for an activation: the registered name of a built-in one
    (``None`` is ``"linear"``), or ``{"class_name": "function", "config": name}`` for a named
    function of the user's own, which ``load_model`` then finds in its ``custom_objects``.

    A lambda or a ``functools.partial`` has no name to find it by and raises ``ConfigError``
    (define it with ``def`` instead).

    >>> serialize(relu), serialize(None), serialize("swish")
    ('relu', 'linear', 'silu')
    """
    if activation is None:
        return "linear"
    if isinstance(activation, str):
        return _NAMES[get(activation)]
    name = registered_name(activation)
    if name is not None:
        return name
    own = getattr(activation, "__name__", None)
    if callable(activation) and isinstance(own, str) and own.isidentifier():
        return {"class_name": "function", "config": own}
    raise ConfigError(
        "serialize expects a registered activation (one of "
        f"{', '.join(names())}) or a function defined with def, so the model can be rebuilt on "
        f"load from custom_objects; a lambda or partial has no name to find it by. "
        f"Received: {activation!r}"
    )
