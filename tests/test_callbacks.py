"""Callbacks driven the way ``fit`` drives them, on a fake model with scripted logs.

Expected stop epochs are worked out by hand from the Keras 3 EarlyStopping rules:
each monitored epoch does ``wait += 1``; if the value beats ``best`` by more than ``min_delta`` it
becomes ``best`` and ``wait`` goes back to 0 (only if it also beats ``baseline``, when given) and
the epoch ends there; otherwise training stops when ``wait >= patience`` and ``epoch > 0``.
Epochs are 0-based.
"""

import math
import os
import warnings

import numpy as np
import pytest

from neuropil import schedules
from neuropil.callbacks import (
    Callback,
    CallbackList,
    CSVLogger,
    EarlyStopping,
    History,
    LearningRateScheduler,
    ModelCheckpoint,
    MonitorCallback,
    ReduceLROnPlateau,
    TerminateOnNaN,
)
from neuropil.errors import ConfigError, NotReadyError


class FakeOptimizer:
    def __init__(self, learning_rate):
        self.learning_rate = learning_rate


class FakeModel:
    """What callbacks use of a model: weights, stop_training, an optimizer, save/save_weights."""

    def __init__(self, learning_rate=0.1):
        self.weights = [np.zeros((2, 3), "float32"), np.zeros(3, "float32")]
        self.stop_training = False
        self.optimizer = FakeOptimizer(learning_rate)
        self.saved = []

    def get_weights(self):  # returns the live arrays, so a callback that keeps them must copy
        return self.weights

    def set_weights(self, weights):
        self.weights = [np.array(w) for w in weights]

    def save(self, path):
        with open(path, "w") as f:
            f.write("model")
        self.saved.append(("model", os.path.basename(path)))

    def save_weights(self, path):
        with open(path, "w") as f:
            f.write("weights")
        self.saved.append(("weights", os.path.basename(path)))


def run(callbacks, epoch_logs, model=None, batches=1, batch_logs=None):
    """Drive ``callbacks`` like fit: epoch e fills the weights with e, then ends with
    ``epoch_logs[e]``; stops when model.stop_training is set. Returns (model, epochs run)."""
    model = model or FakeModel()
    cbs = CallbackList(callbacks, model=model, add_progress=False, epochs=len(epoch_logs),
                       steps=batches)  # fmt: skip
    model.stop_training = False
    cbs.on_train_begin({})
    ran = 0
    for epoch, logs in enumerate(epoch_logs):
        cbs.on_epoch_begin(epoch, {})
        for w in model.weights:
            w[...] = epoch
        for batch in range(batches):
            cbs.on_train_batch_begin(batch, {})
            blogs = batch_logs(epoch, batch) if batch_logs else {"loss": 1.0}
            cbs.on_train_batch_end(batch, blogs)
            if model.stop_training:
                break
        cbs.on_epoch_end(epoch, dict(logs))
        ran += 1
        if model.stop_training:
            break
    cbs.on_train_end({})
    return model, ran


def val_losses(*values):
    return [{"loss": v, "val_loss": v} for v in values]


# -- EarlyStopping ---------------------------------------------------------------------------


def test_early_stopping_patience():
    # e0 1.0 best; e1 0.8 best; e2 0.9 wait=1; e3 0.85 wait=2 >= 2 -> stop at epoch 3
    es = EarlyStopping(patience=2)
    _, ran = run([es], val_losses(1.0, 0.8, 0.9, 0.85, 0.7, 0.6))
    assert (ran, es.stopped_epoch, es.best_epoch, es.best) == (4, 3, 1, 0.8)


def test_early_stopping_patience_zero_stops_at_first_non_improvement():
    # e0 1.0 best; e1 0.9 best; e2 0.95 wait=1 >= 0 -> stop at epoch 2
    es = EarlyStopping()
    _, ran = run([es], val_losses(1.0, 0.9, 0.95, 0.5))
    assert (ran, es.stopped_epoch) == (3, 2)


def test_early_stopping_never_stops_at_epoch_zero():
    # e0 nan is no improvement, wait=1 >= 0 but epoch == 0 -> go on; e1 1.0 best (wait=0);
    # e2 2.0 wait=1 -> stop at epoch 2
    es = EarlyStopping(monitor="loss")
    _, ran = run([es], val_losses(float("nan"), 1.0, 2.0, 0.1))
    assert (ran, es.stopped_epoch) == (3, 2)


@pytest.mark.parametrize("min_delta", [0.1, -0.1])  # the sign is ignored, as in Keras
def test_early_stopping_min_delta(min_delta):
    # best must drop by more than 0.1: e0 1.0 best; e1 0.95 (1.05 !< 1.0) wait=1;
    # e2 0.89 (0.99 < 1.0) best, wait=0; e3 0.85 wait=1; e4 0.84 wait=2 >= 2 -> stop at epoch 4
    es = EarlyStopping(patience=2, min_delta=min_delta)
    _, ran = run([es], val_losses(1.0, 0.95, 0.89, 0.85, 0.84, 0.83))
    assert (ran, es.stopped_epoch, es.best) == (5, 4, 0.89)
    # without min_delta every epoch improves: all 6 run
    es = EarlyStopping(patience=2)
    _, ran = run([es], val_losses(1.0, 0.95, 0.89, 0.85, 0.84, 0.83))
    assert (ran, es.stopped_epoch) == (6, 0)


def test_early_stopping_mode_auto_max_for_accuracy():
    logs = [{"val_accuracy": a} for a in (0.5, 0.6, 0.55, 0.7)]
    # auto -> max: e0 0.5 best; e1 0.6 best; e2 0.55 wait=1 >= 1 -> stop at epoch 2
    es = EarlyStopping(monitor="val_accuracy", patience=1)
    assert es.direction == "max"
    _, ran = run([es], logs)
    assert (ran, es.stopped_epoch) == (3, 2)
    # forced min: e0 0.5 best; e1 0.6 wait=1 >= 1 -> stop at epoch 1
    es = EarlyStopping(monitor="val_accuracy", patience=1, mode="min")
    _, ran = run([es], logs)
    assert (ran, es.stopped_epoch) == (2, 1)


def test_early_stopping_mode_max_on_a_loss():
    # max on a falling loss: e0 1.0 best (> -inf); e1 0.9 wait=1 >= 1 -> stop at epoch 1
    es = EarlyStopping(patience=1, mode="max")
    _, ran = run([es], val_losses(1.0, 0.9, 0.8))
    assert (ran, es.stopped_epoch) == (2, 1)


def test_early_stopping_baseline_reached_later():
    # baseline 0.5: e0..e3 improve but stay above 0.5, so wait is not reset (1, 2, 3, 4) and
    # improving epochs never stop; e4 0.4 beats best and baseline -> wait=0; e5 0.45 wait=1;
    # e6 0.46 wait=2 >= 2 -> stop at epoch 6
    es = EarlyStopping(patience=2, baseline=0.5)
    _, ran = run([es], val_losses(0.9, 0.8, 0.7, 0.6, 0.4, 0.45, 0.46, 0.47))
    assert (ran, es.stopped_epoch, es.best_epoch) == (7, 6, 4)


def test_early_stopping_baseline_never_reached():
    # e0 0.9 best but not < 0.5: wait=1; e1 0.95 wait=2 >= 2 -> stop at epoch 1
    es = EarlyStopping(patience=2, baseline=0.5)
    _, ran = run([es], val_losses(0.9, 0.95, 0.97, 0.8))
    assert (ran, es.stopped_epoch) == (2, 1)


def test_early_stopping_restore_best_weights():
    # e0 1.0 best; e1 0.7 best; e2 wait=1; e3 wait=2 -> stop at 3; weights of epoch 1 restored
    es = EarlyStopping(patience=2, restore_best_weights=True)
    model, ran = run([es], val_losses(1.0, 0.7, 0.8, 0.9, 0.1))
    assert (ran, es.stopped_epoch, es.best_epoch) == (4, 3, 1)
    assert all(np.all(w == 1) for w in model.weights)
    # without restore_best_weights the last epoch's weights stay
    model, _ = run([EarlyStopping(patience=2)], val_losses(1.0, 0.7, 0.8, 0.9, 0.1))
    assert all(np.all(w == 3) for w in model.weights)


def test_early_stopping_restores_at_train_end_even_without_stopping():
    es = EarlyStopping(patience=5, restore_best_weights=True)
    model, ran = run([es], val_losses(1.0, 0.5, 0.9))
    assert ran == 3 and es.stopped_epoch == 0
    assert all(np.all(w == 1) for w in model.weights)


def test_early_stopping_start_from_epoch():
    # epochs 0 and 1 are not monitored (0.5 at e1 is ignored); e2 0.9 best; e3 0.95 wait=1 >= 0
    # -> stop at epoch 3 (without the warm-up it would stop at epoch 2)
    es = EarlyStopping(start_from_epoch=2)
    _, ran = run([es], val_losses(1.0, 0.5, 0.9, 0.95, 0.97))
    assert (ran, es.stopped_epoch, es.best) == (4, 3, 0.9)
    es = EarlyStopping()
    _, ran = run([es], val_losses(1.0, 0.5, 0.9, 0.95, 0.97))
    assert (ran, es.stopped_epoch) == (3, 2)


def test_early_stopping_can_be_reused():
    es = EarlyStopping(patience=1)
    for _ in range(2):
        _, ran = run([es], val_losses(1.0, 0.8, 0.9, 0.1))
        assert (ran, es.stopped_epoch, es.best) == (3, 2, 0.8)


def test_early_stopping_missing_monitor_warns_once_with_available_keys():
    es = EarlyStopping(monitor="val_loss")
    with pytest.warns(UserWarning) as record:
        _, ran = run([es], [{"loss": 1.0, "accuracy": 0.5}] * 3)
    assert ran == 3 and len(record) == 1
    message = str(record[0].message)
    assert "val_loss" in message and "loss, accuracy" in message


def test_early_stopping_verbose_messages(capsys):
    es = EarlyStopping(patience=1, verbose=1, restore_best_weights=True)
    run([es], val_losses(1.0, 0.8, 0.9))
    out = capsys.readouterr().out
    assert "Epoch 3: early stopping" in out
    assert "best epoch: 2." in out


@pytest.mark.parametrize(
    "kwargs",
    [{"patience": -1}, {"patience": 1.5}, {"mode": "maximum"},
     {"min_delta": "small"}, {"baseline": float("nan")}, {"start_from_epoch": -2}],
)  # fmt: skip
def test_early_stopping_rejects_bad_arguments(kwargs):
    with pytest.raises(ConfigError, match="Received"):
        EarlyStopping(**kwargs)


def test_monitor_helper_is_shared_and_infers_direction():
    assert issubclass(EarlyStopping, MonitorCallback)
    assert issubclass(ModelCheckpoint, MonitorCallback)
    assert issubclass(ReduceLROnPlateau, MonitorCallback)
    for name, direction in [("val_loss", "min"), ("mse", "min"), ("val_auc", "max"),
                            ("precision", "max"), ("val_recall", "max"),
                            ("sparse_categorical_accuracy", "max"),
                            ("mean_absolute_error", "min")]:  # fmt: skip
        assert MonitorCallback(name).direction == direction, name
    assert EarlyStopping("val_speed", mode="max").direction == "max"


# -- ModelCheckpoint -------------------------------------------------------------------------


def test_checkpoint_template_with_epoch_and_logs(tmp_path):
    template = str(tmp_path / "ckpt-{epoch:02d}-{val_loss:.2f}.npil")
    model, _ = run([ModelCheckpoint(template)], val_losses(0.5, 0.4567, 0.6))
    names = ["ckpt-01-0.50.npil", "ckpt-02-0.46.npil", "ckpt-03-0.60.npil"]
    assert model.saved == [("model", n) for n in names]
    assert sorted(os.listdir(tmp_path)) == names


def test_checkpoint_save_weights_only_and_creates_folders(tmp_path):
    path = tmp_path / "a" / "b" / "w-{epoch}.npil"
    model, _ = run([ModelCheckpoint(path, save_weights_only=True)], val_losses(0.5, 0.4))
    assert model.saved == [("weights", "w-1.npil"), ("weights", "w-2.npil")]
    assert (tmp_path / "a" / "b" / "w-2.npil").read_text() == "weights"


def test_checkpoint_save_best_only(tmp_path):
    # saves at epochs 0 (0.5 < inf) and 2 (0.4 < 0.5); 0.6 and 0.45 are not better
    ckpt = ModelCheckpoint(tmp_path / "best-{epoch}.npil", save_best_only=True)
    model, _ = run([ckpt], val_losses(0.5, 0.6, 0.4, 0.45))
    assert model.saved == [("model", "best-1.npil"), ("model", "best-3.npil")]
    assert ckpt.best == 0.4


def test_checkpoint_save_best_only_max_mode_and_threshold(tmp_path):
    logs = [{"val_accuracy": a} for a in (0.5, 0.7, 0.6, 0.8)]
    ckpt = ModelCheckpoint(tmp_path / "m{epoch}.npil", monitor="val_accuracy",
                           save_best_only=True, initial_value_threshold=0.75)  # fmt: skip
    model, _ = run([ckpt], logs)
    assert model.saved == [("model", "m4.npil")]


def test_checkpoint_save_best_only_verbose(tmp_path, capsys):
    ckpt = ModelCheckpoint(tmp_path / "m.npil", save_best_only=True, verbose=1)
    run([ckpt], val_losses(0.5, 0.6))
    out = capsys.readouterr().out
    assert "Epoch 1: val_loss improved from inf to 0.50000, saving model to" in out
    assert "Epoch 2: val_loss did not improve from 0.50000" in out


def test_checkpoint_template_key_missing_from_logs(tmp_path):
    ckpt = ModelCheckpoint(tmp_path / "m-{epoch}-{val_acc:.2f}.npil")
    with pytest.raises(ConfigError, match=r"\{val_acc\}.*not in the logs.*val_loss.*Received"):
        run([ckpt], val_losses(0.5))


def _fit_with(callbacks, validation=True):
    """Two epochs of a real ``fit`` with validation data, loss and accuracy in the logs."""
    from neuropil.layers import Dense, Input
    from neuropil.models import Sequential

    x = np.random.default_rng(0).normal(size=(8, 3)).astype(np.float32)
    y = np.arange(8) % 2
    model = Sequential([Input((3,)), Dense(2, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    val = (x, y) if validation else None
    model.fit(x, y, epochs=2, batch_size=4, verbose=0, validation_data=val, callbacks=callbacks)


@pytest.mark.parametrize(
    "template, save_freq, missing",
    [("m-{epoch}-{val_acc:.2f}.npil", "epoch", "val_acc"),  # a typo of val_accuracy
     ("m-{batch}-{val_loss:.2f}.npil", 1, "val_loss")],  # batch logs hold no val_ keys
)  # fmt: skip
def test_fit_checks_checkpoint_template_before_training(tmp_path, template, save_freq, missing):
    ckpt = ModelCheckpoint(tmp_path / template, save_freq=save_freq)
    with pytest.raises(
        ConfigError,
        match=rf"uses \{{{missing}\}}, which is not in the logs; "
        r"available keys: epoch.*\bloss\b.*accuracy",
    ):
        _fit_with([ckpt])
    assert os.listdir(tmp_path) == []


def test_fit_leaves_keys_that_callbacks_add_to_the_epoch_end(tmp_path):
    class Score(Callback):
        def on_epoch_end(self, epoch, logs=None):
            logs["score"] = 10.0 * (epoch + 1)

    lr_then_ckpt = [ReduceLROnPlateau(monitor="loss"),
                    ModelCheckpoint(tmp_path / "lr-{epoch}-{learning_rate:.2f}.npil")]  # fmt: skip
    _fit_with(lr_then_ckpt)
    _fit_with([Score(), ModelCheckpoint(tmp_path / "s-{epoch}-{score:.0f}.npil")])
    _fit_with([ModelCheckpoint(tmp_path / "v-{epoch}-{val_accuracy:.1f}.npil")])
    names = sorted(os.listdir(tmp_path))
    assert names[:4] == ["lr-1-0.01.npil", "lr-2-0.01.npil", "s-1-10.npil", "s-2-20.npil"]
    assert [n[:4] for n in names[4:]] == ["v-1-", "v-2-"]


def test_checkpoint_save_best_only_missing_monitor_warns_and_saves(tmp_path):
    ckpt = ModelCheckpoint(tmp_path / "m{epoch}.npil", save_best_only=True)
    with pytest.warns(UserWarning, match="val_loss"):
        model, _ = run([ckpt], [{"loss": 0.3}, {"loss": 0.2}])
    assert len(model.saved) == 2


def test_checkpoint_save_freq_in_batches(tmp_path):
    # every 2 batches over 2 epochs of 3: e0b1, e1b0, e1b2 (1-based batch in the name)
    ckpt = ModelCheckpoint(tmp_path / "m-{epoch}-{batch}.npil", save_freq=2)
    model, _ = run([ckpt], val_losses(0.5, 0.4), batches=3)
    assert [n for _, n in model.saved] == ["m-1-2.npil", "m-2-1.npil", "m-2-3.npil"]


@pytest.mark.parametrize(
    "kwargs",
    [{"filepath": "m-{epoch.npil"}, {"filepath": "m-{}.npil"}, {"filepath": 3},
     {"filepath": "m-{batch}.npil"}, {"filepath": "m.npil", "save_freq": 0},
     {"filepath": "m.npil", "save_freq": "batch"}],
)  # fmt: skip
def test_checkpoint_rejects_bad_arguments(kwargs):
    with pytest.raises(ConfigError, match="Received"):
        ModelCheckpoint(**kwargs)


def test_checkpoint_unknown_monitor_is_fine_without_save_best_only(tmp_path):
    model, _ = run([ModelCheckpoint(tmp_path / "m.npil", monitor="speed")], val_losses(0.5))
    assert model.saved == [("model", "m.npil")]


# -- TerminateOnNaN --------------------------------------------------------------------------


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_terminate_on_nan_reports_epoch_and_batch(bad, capsys):
    cb = TerminateOnNaN()

    def batch_logs(epoch, batch):
        return {"loss": bad if (epoch, batch) >= (1, 2) else 0.5}

    model, ran = run([cb], val_losses(1, 1, 1, 1), batches=4, batch_logs=batch_logs)
    assert model.stop_training and ran == 2
    assert (cb.stopped_epoch, cb.stopped_batch) == (1, 2)
    assert f"Epoch 2, batch 3: the loss is {bad}" in capsys.readouterr().out


def test_terminate_on_nan_ignores_finite_losses():
    cb = TerminateOnNaN()
    model, ran = run([cb], val_losses(1, 1, 1), batches=3)
    assert ran == 3 and not model.stop_training and cb.stopped_epoch is None


# -- CSVLogger -------------------------------------------------------------------------------


def test_csv_logger_content(tmp_path):
    path = tmp_path / "log.csv"
    logs = [{"loss": 1.0, "accuracy": 0.5, "val_loss": 1.25, "val_accuracy": 0.25},
            {"loss": 0.75, "accuracy": 0.625, "val_loss": 1.0, "val_accuracy": 0.5}]  # fmt: skip
    run([CSVLogger(path)], logs)
    assert path.read_text() == (
        "epoch,accuracy,loss,val_accuracy,val_loss\n0,0.5,1.0,0.25,1.25\n1,0.625,0.75,0.5,1.0\n"
    )


def test_csv_logger_flushes_each_epoch_and_writes_na(tmp_path):
    path = tmp_path / "log.csv"
    log = CSVLogger(path, separator=";")
    log.on_train_begin()
    log.on_epoch_end(0, {"loss": 0.5, "val_loss": 0.75})
    assert path.read_text() == "epoch;loss;val_loss\n0;0.5;0.75\n"  # before on_train_end
    log.on_epoch_end(1, {"loss": 0.25, "extra": 3})
    log.on_train_end()
    assert path.read_text().splitlines()[-1] == "1;0.25;NA"


def test_csv_logger_append_and_overwrite(tmp_path):
    path = tmp_path / "log.csv"
    run([CSVLogger(path)], [{"loss": 1.0}])
    run([CSVLogger(path, append=True)], [{"loss": 0.5}, {"loss": 0.25}])
    assert path.read_text() == "epoch,loss\n0,1.0\n0,0.5\n1,0.25\n"
    run([CSVLogger(path)], [{"loss": 2.0}])
    assert path.read_text() == "epoch,loss\n0,2.0\n"


def test_csv_logger_appending_new_columns_widens_the_file(tmp_path):
    path = tmp_path / "log.csv"
    run([CSVLogger(path)], [{"loss": 1.0}])
    run([CSVLogger(path, append=True)], [{"loss": 0.5, "val_loss": 0.75}])  # validation added
    assert path.read_text() == "epoch,loss,val_loss\n0,1.0,NA\n0,0.5,0.75\n"


def test_csv_logger_rejects_bad_separator(tmp_path):
    with pytest.raises(ConfigError, match="separator"):
        CSVLogger(tmp_path / "x.csv", separator="ab")


# -- ReduceLROnPlateau -----------------------------------------------------------------------


def test_reduce_lr_with_cooldown_and_min_lr():
    # lr 1.0, factor 0.5, patience 1, cooldown 2, min_lr 0.2, val_loss constant:
    # e0 best; e1 wait=1 -> 0.5, cooldown=2; e2 cooldown->1; e3 cooldown->0, wait=1 -> 0.25;
    # e4 cooldown->1; e5 cooldown->0 -> max(0.125, 0.2) = 0.2; e6 cooldown->1; e7, e8 at min_lr.
    # "learning_rate" in the logs is the rate used during that epoch.
    cb = ReduceLROnPlateau(factor=0.5, patience=1, cooldown=2, min_lr=0.2)
    model, _ = run([cb], val_losses(*[1.0] * 9), model=FakeModel(learning_rate=1.0))
    assert model.optimizer.learning_rate == 0.2
    assert model.history.history["learning_rate"] == [1.0, 1.0, 0.5, 0.5, 0.25, 0.25, 0.2, 0.2, 0.2]
    # without cooldown it reduces every epoch until min_lr
    cb = ReduceLROnPlateau(factor=0.5, patience=1, min_lr=0.2)
    model, _ = run([cb], val_losses(*[1.0] * 6), model=FakeModel(learning_rate=1.0))
    assert model.history.history["learning_rate"] == [1.0, 1.0, 0.5, 0.25, 0.2, 0.2]


def test_reduce_lr_improvement_resets_wait_and_min_delta():
    # patience 2: e0 best; e1 wait=1; e2 0.5 best, wait=0; e3 wait=1; e4 wait=2 -> 0.1 at e4
    cb = ReduceLROnPlateau(factor=0.1, patience=2)
    model, _ = run([cb], val_losses(1.0, 1.0, 0.5, 0.5, 0.5), model=FakeModel(1.0))
    assert model.history.history["learning_rate"] == [1.0] * 5
    assert math.isclose(model.optimizer.learning_rate, 0.1)
    # a reduction resets wait: e0 best; e1 wait=1; e2 wait=2 -> 0.5; e3 wait=1; e4 -> 0.25; ...
    cb = ReduceLROnPlateau(factor=0.5, patience=2)
    model, _ = run([cb], val_losses(*[1.0] * 7), model=FakeModel(1.0))
    assert model.history.history["learning_rate"] == [1.0, 1.0, 1.0, 0.5, 0.5, 0.25, 0.25]
    # 0.99995 is within the default min_delta 1e-4 of 1.0: no improvement -> reduce at e1
    cb = ReduceLROnPlateau(factor=0.5, patience=1)
    model, _ = run([cb], val_losses(1.0, 0.99995), model=FakeModel(1.0))
    assert model.optimizer.learning_rate == 0.5


def test_reduce_lr_verbose(capsys):
    cb = ReduceLROnPlateau(factor=0.5, patience=1, verbose=1)
    run([cb], val_losses(1.0, 1.0), model=FakeModel(1.0))
    assert "Epoch 2: ReduceLROnPlateau reducing learning rate to 0.5." in capsys.readouterr().out


@pytest.mark.parametrize("kwargs", [{"factor": 1.0}, {"factor": -0.5}, {"cooldown": -1},
                                    {"min_lr": -1e-3}, {"patience": None}])  # fmt: skip
def test_reduce_lr_rejects_bad_arguments(kwargs):
    with pytest.raises(ConfigError, match="Received"):
        ReduceLROnPlateau(**kwargs)


def test_reduce_lr_needs_a_float_learning_rate():
    model = FakeModel(schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5))
    with pytest.raises(ConfigError, match="schedule"):
        run([ReduceLROnPlateau()], val_losses(1.0), model=model)
    model.optimizer = None
    with pytest.raises(NotReadyError, match="compile"):
        run([ReduceLROnPlateau()], val_losses(1.0), model=model)


# -- LearningRateScheduler -------------------------------------------------------------------


def test_learning_rate_scheduler_two_and_one_argument_schedules():
    cb = LearningRateScheduler(lambda epoch, lr: lr if epoch < 2 else lr / 2)
    model, _ = run([cb], val_losses(1, 1, 1, 1), model=FakeModel(0.8))
    assert model.history.history["learning_rate"] == [0.8, 0.8, 0.4, 0.2]
    cb = LearningRateScheduler(lambda epoch: 0.1 * (epoch + 1))
    model, _ = run([cb], val_losses(1, 1, 1), model=FakeModel(0.8))
    assert np.allclose(model.history.history["learning_rate"], [0.1, 0.2, 0.3])


@pytest.mark.parametrize("value", ["fast", float("nan"), -0.1, None])
def test_learning_rate_scheduler_rejects_bad_rates(value):
    with pytest.raises(ConfigError, match="epoch 0"):
        run([LearningRateScheduler(lambda epoch, lr: value)], val_losses(1))
    with pytest.raises(ConfigError, match="Received"):
        LearningRateScheduler(0.1)


# -- History and CallbackList ----------------------------------------------------------------


def test_history_records_every_key_and_sets_model_history():
    logs = [{"loss": 1.0, "val_loss": 2.0}, {"loss": 0.5, "val_loss": 1.5}]
    model, _ = run([], logs)
    assert isinstance(model.history, History)
    assert model.history.history == {"loss": [1.0, 0.5], "val_loss": [2.0, 1.5]}
    assert model.history.epoch == [0, 1]


def test_history_turns_numpy_scalars_into_floats():
    model, _ = run([], [{"loss": np.float32(0.5), "acc": np.array(0.25)}])
    assert model.history.history == {"loss": [0.5], "acc": [0.25]}
    assert type(model.history.history["loss"][0]) is float


def test_callback_list_order_and_reuse_of_given_history():
    class Marker(Callback):
        pass

    own = History()
    cbs = CallbackList([own, Marker()], model=FakeModel(), verbose=0, epochs=1, steps=1)
    assert [type(c).__name__ for c in cbs] == ["History", "Marker", "ProgressBar"]
    assert cbs.history is own
    cbs = CallbackList(Marker(), add_history=False, add_progress=False)
    assert [type(c).__name__ for c in cbs] == ["Marker"] and cbs.history is None


def test_callback_list_sets_model_and_params_and_calls_every_hook():
    calls = []
    hooks = ["on_train_begin", "on_epoch_begin", "on_train_batch_begin", "on_train_batch_end",
             "on_epoch_end", "on_train_end", "on_test_begin", "on_test_batch_begin",
             "on_test_batch_end", "on_test_end", "on_predict_begin", "on_predict_batch_begin",
             "on_predict_batch_end", "on_predict_end"]  # fmt: skip

    def recorder(name):
        def hook(self, *args):
            calls.append(name)

        return hook

    Recorder = type("Recorder", (Callback,), {hook: recorder(hook) for hook in hooks})

    class Legacy(Callback):  # the Keras 2 batch hook names still work
        def on_batch_end(self, batch, logs=None):
            calls.append("legacy")

    model = FakeModel()
    rec = Recorder()
    cbs = CallbackList([rec, Legacy()], model=model, add_history=False, add_progress=False,
                       verbose=2, epochs=3, steps=7)  # fmt: skip
    assert rec.model is model and rec.params == {"verbose": 2, "epochs": 3, "steps": 7}
    for hook in hooks:
        getattr(cbs, hook)(*([0] if "epoch" in hook or "batch" in hook else []))
    assert [c for c in calls if c != "legacy"] == hooks
    assert calls.count("legacy") == 1


def test_callback_list_rejects_non_callbacks():
    with pytest.raises(ConfigError, match="item 1 of type str"):
        CallbackList([EarlyStopping(), "early_stopping"])
    with pytest.raises(ConfigError, match="verbose"):
        CallbackList([], verbose=3)
    with pytest.raises(ConfigError, match="Received"):
        CallbackList([]).append(object())


def test_plain_callback_hooks_are_no_ops():
    cb = Callback()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _, ran = run([cb], val_losses(1.0, 0.5))
    assert ran == 2


def test_lambda_callback_calls_its_functions_including_batch_hooks():
    import neuropil as npl
    from neuropil.callbacks import LambdaCallback
    from neuropil.layers import Dense, Input
    from neuropil.models import Sequential

    npl.set_seed(0)
    model = Sequential([Input((2,)), Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    seen = []
    cb = LambdaCallback(on_train_batch_end=lambda batch, logs: seen.append(("batch", batch)),
                        on_epoch_end=lambda epoch, logs: seen.append(("epoch", epoch)))  # fmt: skip
    model.fit(np.ones((6, 2)), np.ones(6), batch_size=4, epochs=2, verbose=0, callbacks=[cb])
    assert seen == [("batch", 0), ("batch", 1), ("epoch", 0)] * 1 + [
        ("batch", 0), ("batch", 1), ("epoch", 1)]  # fmt: skip
    with pytest.raises(ConfigError, match="LambdaCallback takes hooks.*Received: on_epoch="):
        LambdaCallback(on_epoch=print)
    with pytest.raises(ConfigError, match="on_epoch_end must be callable"):
        LambdaCallback(on_epoch_end=3)


def test_auto_mode_follows_a_metric_named_by_the_user_and_refuses_an_unknown_name(tmp_path):
    import neuropil as npl
    from neuropil.layers import Dense, Input
    from neuropil.models import Sequential

    npl.set_seed(0)
    model = Sequential([Input((2,)), Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy",
                  metrics=[npl.metrics.Precision(name="prec"), npl.metrics.MeanAbsoluteError(
                      name="gap")])  # fmt: skip
    x = np.random.default_rng(0).normal(size=(20, 2)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.float32)
    watch = [
        EarlyStopping(monitor="val_prec"),
        ReduceLROnPlateau(monitor="gap"),
        ModelCheckpoint(tmp_path / "m.npil", monitor="val_prec", save_best_only=True),
    ]
    model.fit(x, y, validation_split=0.25, epochs=1, verbose=0, callbacks=watch)
    assert [cb.direction for cb in watch] == ["max", "min", "max"]
    before = model.get_weights()
    for cb in (
        EarlyStopping(monitor="speed"),
        ModelCheckpoint(tmp_path / "s.npil", monitor="speed", save_best_only=True),
    ):
        with pytest.raises(ConfigError, match=r"cannot tell whether 'speed'.*mode='min'"):
            model.fit(x, y, epochs=1, verbose=0, callbacks=[cb])
    for a, b in zip(before, model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)  # refused before any training
