"""Datasets and model presets for the ``neuropil`` command.

Images become float32 in [0, 1] with a channel axis (NHWC), labels become int64 class indices:

>>> import numpy as np
>>> x, y = prepare_arrays(np.full((2, 28, 28), 255, np.uint8), np.array([[3], [5]]))
>>> x.shape, x.dtype, float(x.max()), y.tolist()
((2, 28, 28, 1), dtype('float32'), 1.0, [3, 5])
>>> model = build_preset("mnist-mlp", (28, 28, 1), 10)
>>> model.output_shape, model.count_params()
((10,), 101770)
"""

import json
import os
import zipfile

import numpy as np

from neuropil.errors import (
    CacheError,
    ConfigError,
    DatasetNotFoundError,
    DownloadError,
    FileFormatError,
)

# name -> (function in neuropil.datasets, description)
DATASETS = {
    "embedded-mnist": ("embedded_mnist", "MNIST digits shipped with neuropil (8,000 / 2,000)"),
    "mnist": ("mnist", "MNIST handwritten digits (60,000 / 10,000)"),
    "fashion-mnist": ("fashion_mnist", "Fashion-MNIST clothing images (60,000 / 10,000)"),
    "cifar10": ("cifar10", "CIFAR-10 colour images, 32x32 (50,000 / 10,000)"),
    "digits": ("digits", "scikit-learn's 8x8 digits"),
}


def load_dataset(name, data_dir=None, download=True):
    """``((x_train, y_train), (x_test, y_test))`` of dataset ``name``, prepared for training."""
    from neuropil import datasets

    function_name = DATASETS[name][0]
    loader = getattr(datasets, function_name, None)
    if loader is None:
        raise ConfigError(
            f"This neuropil has no neuropil.datasets.{function_name}() for the dataset "
            f"'{name}'. Received: --dataset {name}"
        )
    kwargs = {}
    if name in ("mnist", "fashion-mnist", "cifar10"):
        kwargs = {"path": data_dir, "download": download}
    elif data_dir is not None:
        raise ConfigError(f"--data-dir does not apply to the dataset '{name}' (it ships with "
                          f"its package). Received: --data-dir {data_dir}")  # fmt: skip
    try:
        (x_train, y_train), (x_test, y_test) = loader(**kwargs)
    except (CacheError, DatasetNotFoundError, DownloadError) as exc:
        raise type(exc)(_in_cli_words(str(exc))) from None
    return prepare_arrays(x_train, y_train), prepare_arrays(x_test, y_test)


# the loaders' advice names their Python arguments; the command line has options for them
_CLI_WORDS = (
    ("call without path= to use the cache", "leave out --data-dir to use the cache"),
    ("pass path='<folder holding ", "pass --data-dir '<folder holding "),
    (">' to the loader", ">'"),
    ("and download=False", "and --no-download was given"),
    ("Received: download=False", "Received: --no-download"),
    ("Received: path=", "Received: --data-dir "),
)


def _in_cli_words(text):
    for python, command_line in _CLI_WORDS:
        text = text.replace(python, command_line)
    return text


def prepare_arrays(x, y):
    """Images as float32 NHWC in [0, 1] and labels as int64 indices.

    Integer pixels (0-255, as every ``neuropil.datasets`` loader returns them) are divided by
    255; float images are kept as they are.
    """
    x, y = np.asarray(x), np.asarray(y)
    if x.ndim == 3:
        x = x[..., None]
    if x.dtype.kind in "ui":
        x = x.astype(np.float32) / np.float32(255)
    else:
        x = x.astype(np.float32)
    return x, y.reshape(len(y)).astype(np.int64)


def _convnet(input_shape, classes):
    from neuropil.layers import Conv2D, Dense, Dropout, Flatten, Input, MaxPooling2D

    return [
        Input(input_shape),
        Conv2D(32, 3, activation="relu"), MaxPooling2D(2),
        Conv2D(64, 3, activation="relu"), MaxPooling2D(2),
        Flatten(), Dropout(0.5), Dense(classes, activation="softmax"),
    ]  # fmt: skip


def _mlp(input_shape, classes):
    from neuropil.layers import Dense, Dropout, Flatten, Input

    return [Input(input_shape), Flatten(), Dense(128, activation="relu"), Dropout(0.2),
            Dense(classes, activation="softmax")]  # fmt: skip


def _notes(input_shape, classes):
    from neuropil.layers import Dense, Flatten, Input

    return [Input(input_shape), Flatten(), Dense(15, activation="sigmoid"),
            Dense(classes, activation="softmax")]  # fmt: skip


# name -> (layers(input_shape, classes), default epochs, default learning rate, description)
PRESETS = {
    "mnist-cnn": (_convnet, 6, 0.003, "Keras's MNIST convnet: 2 x (conv, pool), dense"),
    "mnist-mlp": (_mlp, 10, 0.001, "Dense(128, relu), Dropout(0.2), Dense"),
    "mnist-tiny": (_notes, 10, 0.01, "the notes' 784-15-10 net, sigmoid hidden"),
}


def build_preset(name, input_shape, classes):
    """A Sequential model of preset ``name`` for inputs of ``input_shape`` (batch excluded)."""
    from neuropil.models import Sequential

    return Sequential(PRESETS[name][0](tuple(input_shape), classes), name=name)


def read_config(path):
    """The architecture stored in ``path``: JSON (a Sequential config, or a .npil config.json
    with its ``class_name``/``config``/``compile_config``) or a ``.npil`` file.

    Returns ``(config, compile_config)``; JSON is parsed as data only, nothing is executed.
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"No model config file at '{path}'")
    if zipfile.is_zipfile(path):
        from neuropil.saving import _read_members

        _, members = _read_members(path)
        spec = json.loads(members["config.json"])
    else:
        try:
            with open(path, encoding="utf-8") as f:
                spec = json.load(f)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise FileFormatError(
                f"Cannot read the model config '{path}': not JSON ({exc})"
            ) from None
    if not isinstance(spec, dict):
        raise FileFormatError(f"The model config '{path}' must be a JSON object. "
                              f"Received: {type(spec).__name__}")  # fmt: skip
    compile_config = spec.get("compile_config")
    if "config" in spec and "layers" not in spec:
        if spec.get("class_name", "Sequential") != "Sequential":
            raise FileFormatError(f"The model config '{path}' describes a "
                                  f"{spec.get('class_name')!r}; neuropil reads Sequential. "
                                  f"Received: class_name={spec.get('class_name')!r}")  # fmt: skip
        spec = spec["config"]
    if not isinstance(spec, dict) or not isinstance(spec.get("layers"), list):
        raise FileFormatError(
            f"The model config '{path}' has no list of layers (expected the output of "
            "Sequential.get_config()). Received: keys " + ", ".join(map(repr, spec or {}))
        )
    return spec, compile_config


def build_from_config(config, input_shape, path):
    """A Sequential model from ``config``, built for ``input_shape`` when it names none."""
    from neuropil.errors import NeuropilError
    from neuropil.models import Sequential

    try:
        model = Sequential.from_config(config)
        if not model.built:
            model.build((None, *input_shape))
    except NeuropilError as exc:
        raise type(exc)(f"The model config '{path}' is invalid: {exc}") from None
    except (TypeError, KeyError, AttributeError) as exc:
        raise FileFormatError(f"The model config '{path}' is invalid: {exc!r}") from None
    return model
