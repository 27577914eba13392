"""compile and fit (models/training.py): which metric a loss gets, and weighted metrics."""

import numpy as np
import pytest

import neuropil as npl
from neuropil.layers import Dense, Dropout, Input
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


def test_a_class_left_out_of_class_weight_weighs_one_as_in_keras():
    from neuropil.models.data import class_weight_to_sample_weight

    labels = np.array([0, 1, 0, 2, 3])
    weights = class_weight_to_sample_weight(labels, {1: 2.0, 2: 0.5})
    np.testing.assert_array_equal(weights, [1.0, 2.0, 1.0, 0.5, 1.0])
    one_hot = np.eye(4)[labels]
    np.testing.assert_array_equal(class_weight_to_sample_weight(one_hot, {1: 2.0, 2: 0.5}), weights)
    np.testing.assert_array_equal(class_weight_to_sample_weight(labels, {}), np.ones(5))
    y = (np.arange(10) % 3 == 0).astype(np.float32)
    model = _frozen_binary()
    partial = model.fit(X, y, class_weight={1: 9.0}, epochs=1, verbose=0).history["loss"]
    full = model.fit(X, y, class_weight={0: 1.0, 1: 9.0}, epochs=1, verbose=0).history["loss"]
    assert partial == pytest.approx(full)


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


def _regression(seed=0):
    npl.set_seed(seed)
    model = Sequential([Input((4,)), Dense(5, activation="relu"), Dense(1)])
    x = np.random.default_rng(seed).normal(size=(16, 4)).astype(np.float32)
    return model, x, x.sum(axis=1, keepdims=True)


def test_a_frozen_model_trains_nothing_and_saves_frozen(tmp_path):
    model, x, y = _regression()
    model.trainable = False
    model.compile(optimizer="adam", loss="mse")
    before = model.get_weights()
    model.fit(x, y, batch_size=4, epochs=2, verbose=0)
    for a, b in zip(before, model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert model.trainable_weights == [] and len(model.non_trainable_weights) == 4
    model.save(tmp_path / "frozen.npil")
    loaded = npl.models.load_model(tmp_path / "frozen.npil")
    assert not loaded.trainable and not any(layer.trainable for layer in loaded.layers)
    model.trainable = True  # unfrozen: trains again
    model.fit(x, y, batch_size=4, epochs=1, verbose=0)
    assert not np.array_equal(before[0], model.get_weights()[0])


def test_freezing_a_layer_between_fits_keeps_the_optimizer_going():
    schedule = npl.schedules.ExponentialDecay(0.01, decay_steps=1, decay_rate=0.5)
    model, x, y = _regression()
    model.compile(optimizer=npl.optimizers.Adam(schedule), loss="mse")
    model.fit(x, y, batch_size=4, epochs=1, verbose=0)  # 4 steps
    moments = model.optimizer.get_state()
    model.layers[0].trainable = False
    model.compile(optimizer=model.optimizer, loss="mse")
    model.optimizer.build(model.trainable_weights)  # what fit does first
    for slot in ("momentum", "velocity"):  # the output layer's kernel: slot 2 before, 0 now
        np.testing.assert_array_equal(model.optimizer.get_state()[f"{slot}.0"],
                                      moments[f"{slot}.2"])  # fmt: skip
    kernel = model.layers[0].kernel.data.copy()
    model.fit(x, y, batch_size=4, epochs=1, verbose=0)
    assert model.optimizer.iterations == 8  # as in Keras; the schedule's step goes on too
    assert model.optimizer.current_learning_rate() == pytest.approx(0.01 * 0.5**8)
    np.testing.assert_array_equal(model.layers[0].kernel.data, kernel)
    model.layers[0].trainable = True
    model.optimizer.build(model.trainable_weights)  # what the next fit does first
    assert model.optimizer.iterations == 8


def test_class_weight_weights_only_the_training_part_of_a_validation_split():
    model, x, y = _regression()
    y = (x[:, :1] > 0).astype(np.float32)
    model.compile(optimizer=npl.optimizers.SGD(0.0), loss="binary_crossentropy")
    history = model.fit(x, y, validation_split=0.25, class_weight={0: 1.0, 1: 5.0},
                        shuffle=False, epochs=1, verbose=0)  # fmt: skip
    plain = model.evaluate(x[12:], y[12:], verbose=0)  # the last quarter, unweighted (Keras)
    assert history.history["val_loss"][0] == pytest.approx(plain, rel=1e-6)
    weighted = model.evaluate(x[:12], y[:12], sample_weight=np.where(y[:12, 0] > 0, 5.0, 1.0),
                              verbose=0)  # fmt: skip
    assert history.history["loss"][0] == pytest.approx(weighted, rel=1e-5)


def test_each_fit_call_draws_new_shuffles_and_masks_and_a_resumed_run_the_same_ones(tmp_path):
    def first_batches(model, calls):
        seen = []
        for _ in range(calls):
            cb = npl.callbacks.LambdaCallback(
                on_train_batch_end=lambda batch, logs: seen.append(logs["loss"]) if batch == 0
                else None)  # fmt: skip
            model.fit(x, y, batch_size=4, epochs=1, verbose=0, callbacks=[cb])
        return seen

    npl.set_seed(0)
    model = Sequential([Input((4,)), Dense(8, activation="relu"), Dropout(0.5), Dense(1)])
    model.compile(optimizer=npl.optimizers.SGD(0.0), loss="mse")  # weights never change
    x = np.random.default_rng(0).normal(size=(16, 4)).astype(np.float32)
    y = x.sum(axis=1, keepdims=True)
    losses = first_batches(model, 3)
    assert len(set(losses)) == 3  # as in Keras: not the same batch and masks every call
    model.save(tmp_path / "m.npil")
    resumed = npl.models.load_model(tmp_path / "m.npil")
    assert first_batches(resumed, 1) == first_batches(model, 1)
