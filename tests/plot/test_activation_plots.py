"""``neuropil.plot.activations``: each activation next to its autodiff derivative."""

import numpy as np
import pytest

pytest.importorskip("matplotlib")

import neuropil.plot as nplt  # noqa: E402
from neuropil.errors import ConfigError, UnknownNameError  # noqa: E402
from tests.plot.helpers import assert_valid_png, panels, texts_overlap  # noqa: E402


def test_default_grid_png(tmp_path):
    fig = nplt.activations(path=tmp_path / "a.png")
    assert_valid_png(tmp_path / "a.png")
    axes = panels(fig)
    assert [ax.get_title() for ax in axes] == list(nplt.activation_plots.DEFAULT)
    for ax in axes:
        assert ax.get_xlabel() and ax.get_ylabel()
        assert [t.get_text() for t in ax.get_legend().get_texts()] == ["f(x)", "f'(x)"]
    assert "derivatives" in fig.get_suptitle()
    assert texts_overlap(fig) == []


@pytest.mark.parametrize(
    "name, f, df",
    [
        ("sigmoid", lambda x: 1 / (1 + np.exp(-x)), lambda x: np.exp(-x) / (1 + np.exp(-x)) ** 2),
        ("tanh", np.tanh, lambda x: 1 - np.tanh(x) ** 2),
        ("relu", lambda x: np.maximum(x, 0), lambda x: (x > 0).astype(float)),
        ("softplus", lambda x: np.log1p(np.exp(x)), lambda x: 1 / (1 + np.exp(-x))),
        ("leaky_relu", lambda x: np.where(x > 0, x, 0.2 * x), lambda x: np.where(x > 0, 1, 0.2)),
    ],
)
def test_plotted_curves_are_the_function_and_its_derivative(name, f, df):
    fig = nplt.activations([name], x_range=(-3, 3), points=61)
    fx, dfx = panels(fig)[0].get_lines()[2:4]  # after the two zero lines
    x = fx.get_xdata()
    assert 0.0 in x  # the kink's f'(0) is shown
    np.testing.assert_allclose(fx.get_ydata(), f(x), atol=1e-12)
    np.testing.assert_allclose(dfx.get_ydata(), df(x), atol=1e-12)


def test_derivative_by_autodiff_matches_central_differences():
    x = np.linspace(-2.5, 2.5, 11) + 0.013  # away from kinks
    h = 1e-6
    for name in ["elu", "selu", "silu", "mish", "softsign", "gelu"]:
        fn = nplt.activation_plots._resolve(name)[1]
        _, df = nplt.derivative(fn, x)
        numeric = (nplt.derivative(fn, x + h)[0] - nplt.derivative(fn, x - h)[0]) / (2 * h)
        np.testing.assert_allclose(df, numeric, atol=1e-6, err_msg=name)


def test_single_panel_and_custom_function():
    def cube(t):
        return t * t * t

    fig = nplt.activations(cube, x_range=(-1, 1), points=21)
    ax = panels(fig)[0]
    assert ax.get_title().startswith("cube:")
    dfx = ax.get_lines()[3]
    np.testing.assert_allclose(dfx.get_ydata(), 3 * dfx.get_xdata() ** 2, atol=1e-12)
    assert texts_overlap(fig) == []


def test_errors():
    with pytest.raises(ConfigError, match="Jacobian"):
        nplt.activations(["softmax"])
    with pytest.raises(UnknownNameError):
        nplt.activations(["relu", "nope"])
    with pytest.raises(ConfigError, match="low < high"):
        nplt.activations(["relu"], x_range=(1, -1))
    with pytest.raises(ConfigError, match="at least one"):
        nplt.activations([])
    with pytest.raises(ConfigError, match="same shape"):
        nplt.activations([lambda t: t.sum()])
