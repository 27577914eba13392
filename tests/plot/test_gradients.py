"""``neuropil.plot.gradient_norms``: per-layer gradient norms over training."""

import numpy as np
import pytest

pytest.importorskip("matplotlib")

import neuropil.plot as nplt  # noqa: E402
from neuropil.errors import ConfigError  # noqa: E402
from tests.plot.helpers import assert_valid_png, panels, texts_overlap  # noqa: E402

RECORDS = {f"dense_{i}": list(10.0 ** (i - 3) * np.linspace(1, 0.5, 12)) for i in range(4)}


def test_png_log_axis_and_legend(tmp_path):
    fig = nplt.gradient_norms(RECORDS, path=tmp_path / "g.png")
    assert_valid_png(tmp_path / "g.png")
    ax = panels(fig)[0]
    assert ax.get_yscale() == "log"
    assert ax.get_xlabel() == "epoch" and "gradient" in ax.get_ylabel()
    assert [t.get_text() for t in ax.get_legend().get_texts()] == list(RECORDS)
    for line, values in zip(ax.get_lines(), RECORDS.values()):
        np.testing.assert_allclose(line.get_ydata(), values)
        assert list(line.get_xdata()) == list(range(1, 13))
    assert all(float(t).is_integer() for t in ax.get_xticks())
    assert texts_overlap(fig) == []


def test_accepts_a_callback_with_a_history_dict():
    class Diagnostics:  # the shape of the diagnostics callback's record
        history = {"conv2d": [0.1, 0.2], "dense": [1.0, 2.0]}

    ax = panels(nplt.gradient_norms(Diagnostics()))[0]
    assert [line.get_label() for line in ax.get_lines()] == ["conv2d", "dense"]


def test_zero_norms_are_hidden_on_a_log_axis_and_said_so():
    ax = panels(nplt.gradient_norms({"dead": [0.5, 0.0, 0.0], "alive": [1.0, 0.9, 0.8]}))[0]
    dead = ax.get_lines()[0]
    assert dead.get_label() == "dead (zeros hidden)"
    assert np.isnan(dead.get_ydata()[1:]).all()
    linear = panels(nplt.gradient_norms({"dead": [0.5, 0.0]}, log=False))[0]
    assert linear.get_yscale() == "linear" and linear.get_lines()[0].get_label() == "dead"


def test_many_layers_put_the_legend_outside(tmp_path):
    records = {f"layer_{i}": list(np.linspace(1, 2, 30) * (i + 1)) for i in range(14)}
    fig = nplt.gradient_norms(records, path=tmp_path / "many.png")
    assert_valid_png(tmp_path / "many.png")
    assert texts_overlap(fig) == []


def test_errors():
    with pytest.raises(ConfigError, match="nothing to plot"):
        nplt.gradient_norms({})
    with pytest.raises(ConfigError, match="dict"):
        nplt.gradient_norms([1, 2, 3])
    with pytest.raises(ConfigError, match="one number per epoch"):
        nplt.gradient_norms({"a": [[1, 2], [3, 4]]})
    with pytest.raises(ConfigError, match="list of numbers"):
        nplt.gradient_norms({"a": ["x"]})


def test_accepts_the_gradient_diagnostics_callback_itself(tmp_path):
    import numpy as np

    import neuropil as npl
    from neuropil.callbacks import GradientDiagnostics
    from neuropil.layers import Dense, Input
    from neuropil.models import Sequential
    from neuropil.plot import gradient_norms

    npl.set_seed(0)
    x = np.random.default_rng(0).normal(size=(64, 4)).astype("float32")
    model = Sequential(
        [Input((4,)), Dense(8, activation="relu", name="hidden"), Dense(1, name="out")]
    )
    model.compile(optimizer="sgd", loss="mse")
    diagnostics = GradientDiagnostics(probe=x[:16])
    model.fit(x, x[:, :1], epochs=2, batch_size=16, verbose=0, callbacks=[diagnostics])
    fig = gradient_norms(diagnostics, path=tmp_path / "g.png")
    labels = [line.get_label() for line in fig.axes[0].get_lines()]
    assert any("hidden" in label for label in labels) and any("out" in label for label in labels)
    assert not any("dead_fraction" in label for label in labels)
    assert (tmp_path / "g.png").stat().st_size > 0
