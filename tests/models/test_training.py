"""predict and evaluate compute in cache-sized slices (models/training.py)."""

import numpy as np
import pytest

import neuropil as npl
from neuropil.layers import Conv2D, Dense, Flatten, Input, MaxPooling2D
from neuropil.models import Sequential
from neuropil.models import training as T


def _convnet(output="softmax"):
    npl.set_seed(3)
    model = Sequential([
        Input((12, 12, 1)), Conv2D(4, 3, activation="relu"), MaxPooling2D(2),
        Flatten(), Dense(5, activation=output),
    ])  # fmt: skip
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model


def _counting_calls(model, monkeypatch):
    sizes = []
    call = model.call

    def spy(x, training=False):
        sizes.append(len(x.data))
        return call(x, training)

    monkeypatch.setattr(model, "call", spy)
    return sizes


def test_slice_rows_follow_the_largest_array():
    model = Sequential([Input((28, 28, 1)), Conv2D(32, 3), MaxPooling2D(2), Conv2D(64, 3)])
    # the second conv's im2col matrix: 11 * 11 positions x 3 * 3 * 32 values, float32
    assert model._inference_rows() == T.INFERENCE_SLICE_BYTES // (11 * 11 * 288 * 4)
    mlp = Sequential([Input((784,)), Dense(256), Dense(10)])
    assert mlp._inference_rows() == T.INFERENCE_SLICE_BYTES // (256 * 4)  # its widest output


def test_predict_in_slices_matches_one_pass(monkeypatch):
    model = _convnet()
    x = np.random.default_rng(0).normal(size=(23, 12, 12, 1)).astype(np.float32)
    with npl.no_grad():
        whole = model.call(npl.Tensor(x), training=False).data
    monkeypatch.setattr(T, "INFERENCE_SLICE_BYTES", 4 * 100 * 9 * 3)  # 3 images per slice
    sizes = _counting_calls(model, monkeypatch)
    out = model.predict(x, batch_size=10, verbose=0)
    assert sizes == [3] * 7 + [2]  # slices across batch boundaries: no short slice per batch
    assert out.dtype == np.float32 and out.shape == (23, 5)
    np.testing.assert_allclose(out, whole, rtol=1e-6, atol=1e-7)
    sizes.clear()
    model.predict(x, batch_size=2, verbose=0)
    assert sizes == [2] * 11 + [1]  # batch_size still bounds a forward pass


def test_evaluate_in_slices_keeps_the_logits_for_the_loss(monkeypatch):
    # Saturated softmax outputs: the true class's probability underflows to 0, so a loss taken
    # from the joined probabilities would be clipped; from the joined logits it is exact.
    model = _convnet()
    for w in model.layers[-1].weights:
        w.data *= 400
    rng = np.random.default_rng(1)
    x = rng.normal(size=(16, 12, 12, 1)).astype(np.float32)
    logits = model.predict(x, verbose=0)
    y = np.argmin(logits, axis=1)
    whole = model.evaluate(x, y, batch_size=16, verbose=0)
    monkeypatch.setattr(T, "INFERENCE_SLICE_BYTES", 4 * 100 * 9 * 5)  # 5 images per slice
    sizes = _counting_calls(model, monkeypatch)
    sliced = model.evaluate(x, y, batch_size=16, verbose=0)
    assert sizes == [5, 5, 5, 1]
    assert whole > 100  # far beyond what clipped probabilities could give
    assert sliced == pytest.approx(whole, rel=1e-6)


def test_evaluate_in_slices_without_logits(monkeypatch):
    model = _convnet(output=None)
    model.compile(loss="mse")
    rng = np.random.default_rng(2)
    x = rng.normal(size=(9, 12, 12, 1)).astype(np.float32)
    y = rng.normal(size=(9, 5)).astype(np.float32)
    whole = model.evaluate(x, y, batch_size=9, verbose=0)
    monkeypatch.setattr(T, "INFERENCE_SLICE_BYTES", 1)  # one image per slice
    assert model.evaluate(x, y, batch_size=9, verbose=0) == pytest.approx(whole, rel=1e-6)
