"""``neuropil.plot.decision_boundary``: class regions of any 2-D classifier."""

import numpy as np
import pytest

pytest.importorskip("matplotlib")

import neuropil.plot as nplt  # noqa: E402
from neuropil.errors import ConfigError, ShapeError  # noqa: E402
from neuropil.layers import Dense, Input  # noqa: E402
from neuropil.models import Sequential  # noqa: E402
from neuropil.plot.boundary import shade_colors  # noqa: E402
from tests.plot.helpers import assert_valid_png, panels, rgb_at, texts_overlap  # noqa: E402

RNG = np.random.default_rng(0)
X = RNG.uniform(-2, 2, size=(60, 2))


def sample_points(ax, n=300, avoid=X, keep_away=0.15):
    """Points inside the axes, not under a data marker."""
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    pts = np.column_stack([RNG.uniform(x0, x1, n * 3), RNG.uniform(y0, y1, n * 3)])
    inset = 0.02 * max(x1 - x0, y1 - y0)
    inside = (pts[:, 0] > x0 + inset) & (pts[:, 0] < x1 - inset)
    inside &= (pts[:, 1] > y0 + inset) & (pts[:, 1] < y1 - inset)
    far = np.min(np.linalg.norm(pts[:, None] - avoid[None], axis=2), axis=1) > keep_away
    return pts[inside & far][:n]


def stable(predict, pts, eps):
    """Points whose class does not change within ``eps`` (no boundary line under them)."""
    base = predict(pts)
    ok = np.ones(len(pts), bool)
    for dx, dy in [(eps, 0), (-eps, 0), (0, eps), (0, -eps)]:
        ok &= predict(pts + [dx, dy]) == base
    return pts[ok], base[ok]


def check_colours(fig, predict, classes):
    ax = panels(fig)[0]
    pts, labels = stable(predict, sample_points(ax), eps=0.08)
    assert len(pts) > 50
    shades = shade_colors(len(classes))
    expected = shades[np.searchsorted(classes, labels)]
    np.testing.assert_allclose(rgb_at(fig, ax, pts), expected, atol=0.02)


def test_png_and_labels(tmp_path):
    y = (X.sum(axis=1) > 0).astype(int)
    fig = nplt.decision_boundary(lambda p: p.sum(axis=1) > 0, X, y, path=tmp_path / "b.png")
    assert_valid_png(tmp_path / "b.png")
    ax = panels(fig)[0]
    assert ax.get_xlabel() == "x₁" and ax.get_ylabel() == "x₂"
    assert ax.get_title() == "Decision regions (accuracy on these points: 100.0%)"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["0", "1"]
    assert texts_overlap(fig) == []


def test_shading_agrees_with_a_callable_at_sampled_pixels():
    def predict(p):
        return (p[:, 0] - 0.5 * p[:, 1] > 0.3).astype(int)

    fig = nplt.decision_boundary(predict, X, predict(X), resolution=300)
    check_colours(fig, predict, np.array([0, 1]))


def test_shading_agrees_with_a_softmax_model_at_sampled_pixels():
    model = Sequential([Input((2,)), Dense(3, activation="softmax")])
    kernel = np.array([[2.0, -1.0, -1.0], [0.0, 1.5, -1.5]], dtype="float32")
    model.set_weights([kernel, np.array([0.0, 0.2, -0.1], dtype="float32")])

    def predict(p):
        return model.predict(p.astype("float32"), verbose=0).argmax(axis=1)

    y = predict(X)
    fig = nplt.decision_boundary(model, X, y, resolution=300)
    check_colours(fig, predict, np.array([0, 1, 2]))
    assert len(panels(fig)[0].get_legend().get_texts()) == 3


def test_sigmoid_model_uses_threshold_one_half():
    model = Sequential([Input((2,)), Dense(1, activation="sigmoid")])
    model.set_weights([np.array([[3.0], [3.0]], dtype="float32"), np.array([-1.5], "float32")])

    def predict(p):
        return (model.predict(p.astype("float32"), verbose=0)[:, 0] > 0.5).astype(int)

    fig = nplt.decision_boundary(model, X, predict(X), resolution=300)
    check_colours(fig, predict, np.array([0, 1]))


def test_a_model_trained_from_logits_is_cut_at_zero():
    import neuropil as npl

    model = Sequential([Input((2,)), Dense(1)])  # one logit
    model.compile(optimizer="sgd", loss=npl.losses.BinaryCrossentropy(from_logits=True))
    model.set_weights([np.array([[3.0], [3.0]], dtype="float32"), np.array([-1.5], "float32")])

    def predict(p):
        return (model.predict(p.astype("float32"), verbose=0)[:, 0] > 0).astype(int)

    fig = nplt.decision_boundary(model, X, predict(X), resolution=300)
    check_colours(fig, predict, np.array([0, 1]))
    assert "100.0%" in fig.axes[0].get_title()


def test_perceptron_style_object_with_minus_one_plus_one_labels():
    class Perceptron:  # a stand-in for neuropil.classic.Perceptron: predict(X) -> labels
        def predict(self, x):
            return np.where(x @ np.array([1.0, 1.0]) - 0.5 > 0, 1, -1)

    x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    y = np.array([-1, 1, 1, 1])  # logical OR as -1/+1
    fig = nplt.decision_boundary(Perceptron(), x, y)
    ax = panels(fig)[0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["-1", "1"]
    assert "accuracy on these points: 100.0%" in ax.get_title()
    colours = rgb_at(fig, ax, [[-0.05, -0.05], [1.05, 1.05]])
    np.testing.assert_allclose(colours, shade_colors(2), atol=0.02)


def test_draws_into_a_given_axes_and_without_labels():
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2)
    out = nplt.decision_boundary(lambda p: p[:, 0] > 0, X, ax=right, class_names=None)
    assert out is fig and right.get_title() == "Decision regions"
    assert len(right.images) == 1 and len(left.images) == 0


def test_class_names_name_the_legend():
    y = (X[:, 0] > 0).astype(int)
    fig = nplt.decision_boundary(lambda p: p[:, 0] > 0, X, y, class_names=["stays", "leaves"])
    assert [t.get_text() for t in panels(fig)[0].get_legend().get_texts()] == ["stays", "leaves"]


def test_errors():
    with pytest.raises(ShapeError, match=r"shape \(N, 2\)"):
        nplt.decision_boundary(lambda p: p[:, 0] > 0, np.zeros((5, 3)))
    with pytest.raises(ConfigError, match="predict method"):
        nplt.decision_boundary(42, X)
    with pytest.raises(ShapeError, match="one label per point"):
        nplt.decision_boundary(lambda p: p[:, 0] > 0, X, np.zeros(3))
    with pytest.raises(ShapeError, match="returned 1 outputs"):
        nplt.decision_boundary(lambda p: np.zeros(1), X)
    with pytest.raises(ConfigError, match="class_names"):
        nplt.decision_boundary(lambda p: p[:, 0] > 0, X, X[:, 0] > 0, class_names=["a"])


def test_without_labels_the_legend_explains_the_shading():
    def predict(p):
        return (p[:, 0] > 0).astype(int) + (p[:, 1] > 0)

    fig = nplt.decision_boundary(predict, X)
    labels = [t.get_text() for t in panels(fig)[0].get_legend().get_texts()]
    assert labels == ["data", "predicted 0", "predicted 1", "predicted 2"]
    check_colours(fig, predict, np.array([0, 1, 2]))


def test_a_predicted_class_without_points_is_named_in_the_legend():
    def predict(p):  # three regions; the points belong to classes 0 and 2 only
        return (p[:, 0] > -0.5).astype(int) + (p[:, 0] > 0.5)

    y = np.where(X[:, 0] > 0, 2, 0)
    fig = nplt.decision_boundary(predict, X, y)
    legend = panels(fig)[0].get_legend()
    assert [t.get_text() for t in legend.get_texts()] == ["0", "1 (no points)", "2"]
    patch = legend.legend_handles[1]
    np.testing.assert_allclose(patch.get_facecolor()[:3], shade_colors(3)[1][:3], atol=1e-6)
