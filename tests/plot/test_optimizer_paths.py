"""``neuropil.plot.trace_optimizer`` and ``optimizer_path``: optimizers on a 2-D loss surface."""

import numpy as np
import pytest

pytest.importorskip("matplotlib")

import neuropil.plot as nplt  # noqa: E402
from neuropil import optimizers  # noqa: E402
from neuropil.errors import ConfigError, ShapeError  # noqa: E402
from tests.plot.helpers import assert_valid_png, panels, texts_overlap  # noqa: E402

A, B = 1.0, 10.0


def bowl(w):
    return A * w[0] ** 2 + B * w[1] ** 2


def rosenbrock(w):
    return (1 - w[0]) ** 2 + 100 * (w[1] - w[0] ** 2) ** 2


def test_sgd_path_equals_the_closed_form_iterates():
    lr, steps, start = 0.04, 25, np.array([-3.0, 1.5])
    path = nplt.trace_optimizer(optimizers.SGD(learning_rate=lr), bowl, start, steps=steps)
    t = np.arange(steps + 1)[:, None]
    # w <- w - lr * 2 * (A, B) * w, so w_t = (1 - 2 lr (A, B))^t * w_0
    expected = (1 - 2 * lr * np.array([A, B])) ** t * start
    np.testing.assert_allclose(path, expected, rtol=1e-12, atol=1e-14)


def test_momentum_path_follows_the_heavy_ball_recurrence():
    lr, mu, steps = 0.02, 0.9, 30
    path = nplt.trace_optimizer(optimizers.SGD(learning_rate=lr, momentum=mu), bowl, [2.0, 1.0],
                                steps=steps)  # fmt: skip
    w, v = np.array([2.0, 1.0]), np.zeros(2)
    for t in range(steps):
        v = mu * v - lr * 2 * np.array([A, B]) * w
        w = w + v
        np.testing.assert_allclose(path[t + 1], w, rtol=1e-12)


def test_named_optimizer_and_a_fresh_state_on_each_trace():
    adam = optimizers.Adam(learning_rate=0.1)
    first = nplt.trace_optimizer(adam, rosenbrock, [-1.0, 1.0], steps=40)
    second = nplt.trace_optimizer(adam, rosenbrock, [-1.0, 1.0], steps=40)
    np.testing.assert_array_equal(first, second)
    assert nplt.trace_optimizer("rmsprop", bowl, [1.0, 1.0], steps=3).shape == (4, 2)


def test_divergence_stops_at_the_last_finite_point():
    with pytest.warns(RuntimeWarning, match="diverged"):
        path = nplt.trace_optimizer(optimizers.SGD(learning_rate=10.0), bowl, [1.0, 1.0], 500)
    assert len(path) < 501 and np.isfinite(path).all()


def test_optimizer_path_png_legend_and_labels(tmp_path):
    paths = {
        "SGD": nplt.trace_optimizer(optimizers.SGD(learning_rate=0.09), bowl, [-4, 1], 30),
        "Adam": nplt.trace_optimizer(optimizers.Adam(learning_rate=0.3), bowl, [-4, 1], 30),
    }
    fig = nplt.optimizer_path(bowl, paths, minimum=(0, 0), path=tmp_path / "o.png")
    assert_valid_png(tmp_path / "o.png")
    ax = panels(fig)[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    final = {name: A * p[-1, 0] ** 2 + B * p[-1, 1] ** 2 for name, p in paths.items()}
    assert labels == [f"SGD (loss {final['SGD']:.3g})", f"Adam (loss {final['Adam']:.3g})",
                      "minimum", "start", "end"]  # fmt: skip
    assert ax.get_xlabel().startswith("w[0]") and ax.get_ylabel().startswith("w[1]")
    bar = [a for a in fig.axes if a.get_label() == "<colorbar>"][0]
    assert bar.get_ylabel().startswith("loss")
    drawn = [line for line in ax.get_lines() if line.get_label().startswith("SGD")][0]
    np.testing.assert_allclose(np.column_stack(drawn.get_data()), paths["SGD"])
    assert texts_overlap(fig) == []


def test_log_levels_for_a_loss_spanning_decades(tmp_path):
    path = nplt.trace_optimizer(optimizers.Adam(learning_rate=0.05), rosenbrock, [-1.5, 2], 300)
    fig = nplt.optimizer_path(rosenbrock, {"Adam": path}, minimum=(1, 1), xlim=(-2, 2),
                              ylim=(-1, 3), path=tmp_path / "r.png")  # fmt: skip
    assert_valid_png(tmp_path / "r.png")
    bar = [a for a in fig.axes if a.get_label() == "<colorbar>"][0]
    assert bar.get_ylabel() == "loss (log scale)"
    assert panels(fig)[0].get_xlim() == (-2, 2)


def test_loss_surface_vectorized_and_point_by_point_agree():
    xs, ys = np.linspace(-1, 1, 7), np.linspace(-2, 2, 5)
    fast = nplt.loss_surface(rosenbrock, xs, ys)

    def pointwise(w):  # only works on a single point
        assert w.shape == (2,)
        return rosenbrock(w)

    slow = nplt.loss_surface(pointwise, xs, ys)
    gx, gy = np.meshgrid(xs, ys)
    np.testing.assert_allclose(fast, (1 - gx) ** 2 + 100 * (gy - gx**2) ** 2)
    np.testing.assert_allclose(slow, fast)


def test_single_array_path_and_errors():
    fig = nplt.optimizer_path(bowl, np.array([[1.0, 1.0], [0.5, 0.2]]))
    assert panels(fig)[0].get_legend().get_texts()[0].get_text().startswith("path (loss")
    with pytest.raises(ShapeError, match=r"\(steps, 2\)"):
        nplt.optimizer_path(bowl, {"bad": np.zeros((3, 3))})
    with pytest.raises(ConfigError, match="at least one path"):
        nplt.optimizer_path(bowl, {})
    with pytest.raises(ShapeError, match="2 finite numbers"):
        nplt.trace_optimizer("sgd", bowl, [1.0, 2.0, 3.0])
    with pytest.raises(ShapeError, match="one-element Tensor"):
        nplt.trace_optimizer("sgd", lambda w: w * 2, [1.0, 2.0])


def test_a_loss_that_reduces_over_w_is_computed_point_by_point():
    # (w * w).sum() over the whole grid adds one constant everywhere: right shape, wrong values
    def penalized(w):
        return (w[0] - 1) ** 2 + (w[1] + 1) ** 2 + 0.5 * (w * w).sum()

    xs, ys = np.linspace(-2, 2, 9), np.linspace(-2, 2, 7)
    surface = nplt.loss_surface(penalized, xs, ys)
    gx, gy = np.meshgrid(xs, ys)
    expected = (gx - 1) ** 2 + (gy + 1) ** 2 + 0.5 * (gx**2 + gy**2)
    np.testing.assert_allclose(surface, expected, rtol=1e-12)
    i, j = np.unravel_index(surface.argmin(), surface.shape)
    assert (xs[j], ys[i]) == (0.5, pytest.approx(-2 / 3))  # the grid point nearest (2/3, -2/3)
