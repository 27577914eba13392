"""neuropil: ``Sequential`` built from the workload's layer specs, trained with ``model.fit``."""

import neuropil as npl
from neuropil.layers import Conv2D, Dense, Dropout, Flatten, Input, MaxPooling2D
from neuropil.models import Sequential


def build(w):
    npl.set_seed(0)
    layers = [Input(w.input_shape)]
    for spec in w.layers:
        kind = spec[0]
        if kind == "dense":
            layers.append(Dense(spec[1], activation=spec[2]))
        elif kind == "conv":
            layers.append(Conv2D(spec[1], spec[2], activation=spec[3]))
        elif kind == "pool":
            layers.append(MaxPooling2D(spec[1]))
        elif kind == "flatten":
            layers.append(Flatten())
        elif kind == "dropout":
            layers.append(Dropout(spec[1]))
    model = Sequential(layers)
    if w.output == "sigmoid":
        loss = "binary_crossentropy"
    else:
        loss = npl.losses.SparseCategoricalCrossentropy(from_logits=w.output is None)
    model.compile(optimizer=npl.optimizers.Adam(learning_rate=1e-3, epsilon=1e-7), loss=loss)
    return model


def train(w):
    """One shuffled epoch of ``model.fit`` per call (Keras defaults: glorot_uniform, zeros)."""
    model = build(w)
    return lambda: model.fit(w.x, w.y, batch_size=w.batch_size, epochs=1, verbose=0)


def predict(w):
    model = build(w)
    return lambda: model.predict(w.x, batch_size=w.batch_size, verbose=0)
