"""``neuropil.plot.confusion_matrix``: counts drawn in the cells."""

import numpy as np
import pytest

pytest.importorskip("matplotlib")

import neuropil.plot as nplt  # noqa: E402
from neuropil import metrics  # noqa: E402
from neuropil.errors import ConfigError, LabelError, ShapeError  # noqa: E402
from tests.plot.helpers import assert_valid_png, panels, texts_overlap  # noqa: E402

RNG = np.random.default_rng(0)
Y_TRUE = RNG.integers(0, 4, 200)
Y_PRED = np.where(RNG.random(200) < 0.7, Y_TRUE, RNG.integers(0, 4, 200))


def cell_texts(fig):
    return [t.get_text() for t in panels(fig)[0].texts]


def test_png_labels_and_colorbar(tmp_path):
    fig = nplt.confusion_matrix(Y_TRUE, Y_PRED, path=tmp_path / "c.png")
    assert_valid_png(tmp_path / "c.png")
    ax = panels(fig)[0]
    assert ax.get_xlabel() == "predicted class" and ax.get_ylabel() == "true class"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0", "1", "2", "3"]
    bar = [a for a in fig.axes if a.get_label() == "<colorbar>"][0]
    assert bar.get_ylabel() == "samples"
    accuracy = np.mean(Y_TRUE == Y_PRED)
    assert ax.get_title() == f"Confusion matrix (200 samples, accuracy {100 * accuracy:.1f}%)"
    assert texts_overlap(fig) == []


def test_cell_counts_equal_the_metric():
    expected = metrics.confusion_matrix(Y_TRUE, Y_PRED)
    fig = nplt.confusion_matrix(Y_TRUE, Y_PRED)
    drawn = np.array([int(t) for t in cell_texts(fig)]).reshape(expected.shape)
    np.testing.assert_array_equal(drawn, expected)
    image = panels(fig)[0].images[0]
    np.testing.assert_array_equal(image.get_array(), expected)


def test_scores_and_probabilities_are_read_like_the_metric():
    scores = np.eye(4)[Y_PRED] * 0.7 + 0.1
    fig = nplt.confusion_matrix(np.eye(4)[Y_TRUE], scores)
    expected = metrics.confusion_matrix(Y_TRUE, Y_PRED).ravel().astype(str).tolist()
    assert cell_texts(fig) == expected
    probs = np.array([[0.2], [0.9], [0.6], [0.1]])
    assert cell_texts(nplt.confusion_matrix([0, 1, 0, 0], probs)) == ["2", "1", "0", "1"]


@pytest.mark.parametrize("mode, axis", [(True, 1), ("true", 1), ("pred", 0), ("all", None)])
def test_normalize(mode, axis):
    counts = metrics.confusion_matrix(Y_TRUE, Y_PRED)
    fig = nplt.confusion_matrix(Y_TRUE, Y_PRED, normalize=mode)
    shares = panels(fig)[0].images[0].get_array()
    totals = counts.sum() if axis is None else counts.sum(axis=axis, keepdims=True)
    np.testing.assert_allclose(shares, counts / totals)
    first = cell_texts(fig)[0]
    assert first == f"{shares[0, 0]:.2f}\n({counts[0, 0]})"
    bar = [a for a in fig.axes if a.get_label() == "<colorbar>"][0]
    assert bar.get_ylabel().startswith("share of")


def test_class_names_set_the_size_and_long_names_do_not_overlap():
    names = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
             "Sneaker", "Bag", "Ankle boot"]  # fmt: skip
    y = RNG.integers(0, 3, 50)  # only 3 classes seen, 10 named
    fig = nplt.confusion_matrix(y, y, labels=names)
    ax = panels(fig)[0]
    assert len(ax.texts) == 100
    assert [t.get_text() for t in ax.get_yticklabels()] == names
    assert texts_overlap(fig) == []


def test_empty_rows_normalize_to_zero():
    fig = nplt.confusion_matrix([0, 0], [0, 0], labels=["a", "b"], normalize=True)
    np.testing.assert_allclose(panels(fig)[0].images[0].get_array(), [[1, 0], [0, 0]])


def test_errors():
    with pytest.raises(ConfigError, match="normalize"):
        nplt.confusion_matrix([0, 1], [0, 1], normalize="rows")
    with pytest.raises(LabelError):
        nplt.confusion_matrix([0, 3], [0, 1], labels=["a", "b"])
    with pytest.raises(ConfigError, match="at least one class"):
        nplt.confusion_matrix([0], [0], labels=[])
    with pytest.raises(ShapeError, match="at least one sample"):
        nplt.confusion_matrix([], [])
