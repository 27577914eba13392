"""compile and fit (models/training.py): which metric a loss gets, and weighted metrics."""

import numpy as np
import pytest

import neuropil as npl
from neuropil.layers import Dense, Input
from neuropil.models import Sequential

X = np.random.default_rng(1).normal(size=(10, 4)).astype(np.float32)
Y = np.arange(10) % 3


def test_a_renamed_sparse_loss_still_takes_class_indices():
    npl.set_seed(0)
    model = Sequential([Input((4,)), Dense(3, activation="softmax")])
    model.compile(optimizer="adam", metrics=["accuracy"],
                  loss=npl.losses.SparseCategoricalCrossentropy(name="xent"))  # fmt: skip
    history = model.fit(X, Y, epochs=1, verbose=0).history
    assert set(history) == {"loss", "accuracy"}
    assert type(model.compiled_metrics[0]).__name__ == "SparseCategoricalAccuracy"


def _frozen_binary(**compile_args):
    npl.set_seed(1)
    model = Sequential([Input((4,)), Dense(1, activation="sigmoid")])
    model.compile(optimizer=npl.optimizers.SGD(learning_rate=0.0), loss="binary_crossentropy",
                  **compile_args)  # fmt: skip
    return model


def test_sample_and_class_weights_reach_only_the_weighted_metrics():
    # As in Keras: weights change the loss and weighted_metrics, never the plain metrics
    y = (np.arange(10) % 3 == 0).astype(np.float32)
    model = _frozen_binary(metrics=["accuracy"], weighted_metrics=["accuracy"])
    hit = ((model.predict(X, verbose=0)[:, 0] > 0.5) == y).astype(np.float64)
    weights = np.where(y == 1, 9.0, 1.0)
    logs = model.evaluate(X, y, sample_weight=weights, verbose=0, return_dict=True)
    assert logs["accuracy"] == pytest.approx(hit.mean())
    assert logs["weighted_accuracy"] == pytest.approx((hit * weights).sum() / weights.sum())
    history = model.fit(X, y, class_weight={0: 1.0, 1: 9.0}, epochs=1, verbose=0).history
    assert history["accuracy"][0] == pytest.approx(hit.mean())  # the weights froze: lr 0
    assert history["weighted_accuracy"][0] == pytest.approx(logs["weighted_accuracy"])


def test_weighted_metrics_survive_save_and_load(tmp_path):
    model = _frozen_binary(weighted_metrics=["mae"])
    path = str(tmp_path / "m.npil")
    model.save(path)
    loaded = npl.models.load_model(path)
    y = (np.arange(10) % 2).astype(np.float32)
    w = np.linspace(0.5, 2.0, 10)
    assert loaded.evaluate(X, y, sample_weight=w, verbose=0, return_dict=True) == pytest.approx(
        model.evaluate(X, y, sample_weight=w, verbose=0, return_dict=True))  # fmt: skip
    assert [m.name for m in loaded.compiled_metrics] == ["mae"]
    assert loaded._weighted_metric_specs == ["mae"]


def test_one_metric_object_in_both_lists_counts_twice_apart():
    shared = npl.metrics.BinaryAccuracy(name="acc")
    y = (np.arange(10) % 3 == 0).astype(np.float32)
    model = _frozen_binary(metrics=[shared], weighted_metrics=[shared])
    hit = ((model.predict(X, verbose=0)[:, 0] > 0.5) == y).astype(np.float64)
    weights = np.where(y == 1, 9.0, 1.0)
    logs = model.evaluate(X, y, sample_weight=weights, verbose=0, return_dict=True)
    assert logs["acc"] == pytest.approx(hit.mean())
    assert logs["weighted_acc"] == pytest.approx((hit * weights).sum() / weights.sum())
    assert shared.name == "acc"  # the object passed in is not renamed
