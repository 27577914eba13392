"""Keras 3 on TensorFlow CPU: ``keras.Sequential`` from the layer specs, ``fit`` / ``predict``.

Keras defaults are the reference (glorot_uniform kernels, zero biases). The warm-up call traces
the ``tf.function``; later calls reuse it.
"""

import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402


def build(w):
    keras.utils.set_random_seed(0)
    layers = [keras.Input(w.input_shape)]
    for spec in w.layers:
        kind = spec[0]
        if kind == "dense":
            layers.append(keras.layers.Dense(spec[1], activation=spec[2]))
        elif kind == "conv":
            layers.append(keras.layers.Conv2D(spec[1], spec[2], activation=spec[3]))
        elif kind == "pool":
            layers.append(keras.layers.MaxPooling2D(spec[1]))
        elif kind == "flatten":
            layers.append(keras.layers.Flatten())
        elif kind == "dropout":
            layers.append(keras.layers.Dropout(spec[1]))
    model = keras.Sequential(layers)
    if w.output == "sigmoid":
        loss = "binary_crossentropy"
    else:
        loss = keras.losses.SparseCategoricalCrossentropy(from_logits=w.output is None)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3, epsilon=1e-7), loss=loss)
    return model


def train(w):
    model = build(w)
    return lambda: model.fit(w.x, w.y, batch_size=w.batch_size, epochs=1, verbose=0)


def predict(w):
    model = build(w)
    return lambda: model.predict(w.x, batch_size=w.batch_size, verbose=0)
