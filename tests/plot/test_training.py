"""``neuropil.plot.history``: learning curves."""

import numpy as np
import pytest

pytest.importorskip("matplotlib")

import neuropil as npl  # noqa: E402
import neuropil.plot as nplt  # noqa: E402
from neuropil.callbacks import History  # noqa: E402
from neuropil.errors import ConfigError  # noqa: E402
from neuropil.layers import Dense, Input  # noqa: E402
from neuropil.models import Sequential  # noqa: E402
from tests.plot.helpers import assert_valid_png, panels, texts_overlap  # noqa: E402

LOGS = {
    "loss": [0.9, 0.6, 0.45, 0.4, 0.38],
    "accuracy": [0.5, 0.7, 0.8, 0.85, 0.86],
    "val_loss": [1.0, 0.7, 0.55, 0.6, 0.65],
    "val_accuracy": [0.45, 0.65, 0.75, 0.74, 0.73],
}


def test_history_writes_a_readable_png(tmp_path):
    fig = nplt.history(LOGS, path=tmp_path / "h.png")
    assert_valid_png(tmp_path / "h.png")
    axes = panels(fig)
    assert [ax.get_title() for ax in axes] == ["Loss", "Accuracy"]
    for ax in axes:
        assert ax.get_xlabel() == "epoch" and ax.get_ylabel()
        assert ax.get_legend() is not None
    assert texts_overlap(fig) == []


def test_loss_and_val_loss_share_a_panel_with_epochs_from_one():
    ax = panels(nplt.history(LOGS))[0]
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert list(lines["training"].get_xdata()) == [1, 2, 3, 4, 5]
    assert list(lines["training"].get_ydata()) == LOGS["loss"]
    assert list(lines["validation"].get_ydata()) == LOGS["val_loss"]
    best = [label for label in lines if label.startswith("lowest validation")]
    assert best == ["lowest validation: epoch 3 (0.55)"]
    ticks = [t for t in ax.get_xticks() if 1 <= t <= 5]
    assert all(float(t).is_integer() for t in ticks)


def test_history_from_fit_a_history_object_and_the_model():
    npl.set_seed(0)
    x = np.random.default_rng(0).normal(size=(40, 3)).astype("float32")
    y = (x[:, 0] > 0).astype("float32")
    model = Sequential([Input((3,)), Dense(4, activation="relu"), Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    h = model.fit(x, y, validation_split=0.25, epochs=4, verbose=0)
    for source in (h, h.history, model):
        fig = nplt.history(source)
        assert [ax.get_title() for ax in panels(fig)] == ["Loss", "Accuracy"]
        train = panels(fig)[0].get_lines()[0]
        np.testing.assert_allclose(train.get_ydata(), h.history["loss"])
        assert list(train.get_xdata()) == [1, 2, 3, 4]


def test_history_epochs_follow_initial_epoch():
    h = History()
    h.on_train_begin()
    for epoch, loss in [(3, 0.5), (4, 0.4)]:
        h.on_epoch_end(epoch, {"loss": loss})
    line = panels(nplt.history(h))[0].get_lines()[0]
    assert list(line.get_xdata()) == [4, 5]


def test_training_only_history_names_the_curve_in_the_title():
    fig = nplt.history({"loss": [0.5]})
    ax = panels(fig)[0]
    assert ax.get_title() == "Loss (training)"
    assert [t for t in ax.get_xticks() if 0.5 < t < 1.5] == [1]


def test_metrics_selects_panels_and_many_panels_wrap():
    assert [ax.get_title() for ax in panels(nplt.history(LOGS, metrics=["accuracy"]))] == [
        "Accuracy"
    ]
    logs = {name: [1.0, 0.5] for name in ["loss", "mae", "mse", "auc", "precision"]}
    fig = nplt.history(logs, ncols=2)
    assert len(panels(fig)) == 5
    assert texts_overlap(fig) == []


def test_history_errors():
    with pytest.raises(ConfigError, match="nothing to plot"):
        nplt.history({})
    with pytest.raises(ConfigError, match="no panel named.*named by the quantity"):
        nplt.history(LOGS, metrics=["f1"])
    with pytest.raises(ConfigError, match=r"no panel named \['val_loss'\]"):
        nplt.history(LOGS, metrics=["val_loss"])


def test_the_learning_rate_panel_is_not_called_training():
    fig = nplt.history({"loss": [0.5, 0.4], "learning_rate": [0.1, 0.05]})
    assert [ax.get_title() for ax in panels(fig)] == ["Loss (training)", "Learning rate"]
    with pytest.raises(ConfigError, match="History"):
        nplt.history([0.5, 0.4])
