"""Every lesson example runs in its quick mode, reaches the notes' outcome and writes its PNGs."""

import pathlib

import numpy as np
import pytest

from tests.examples.loader import load_example

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _assert_pngs(paths):
    """Each figure exists, is a PNG matplotlib can read, and is not a blank canvas."""
    image = pytest.importorskip("matplotlib.image")
    assert paths
    for path in map(pathlib.Path, paths):
        assert path.read_bytes()[:8] == PNG_SIGNATURE, path
        pixels = image.imread(path)
        assert pixels.ndim == 3 and min(pixels.shape[:2]) > 100, path
        assert float(np.std(pixels[..., :3])) > 0.02, f"{path} looks blank"


def test_logic_gates(tmp_path):
    result = load_example("logic_gates").run(tmp_path, quick=True)
    assert result["AND"]["predicted"] == [0, 0, 0, 1] and result["AND"]["converged"]
    assert result["OR"]["predicted"] == [0, 1, 1, 1] and result["OR"]["converged"]
    assert result["XOR"]["correct"] < 4 and not result["XOR"]["converged"]
    assert result["mlp_xor"]["predicted"] == [0, 1, 1, 0]
    _assert_pngs(result["figures"])


def test_forward_pass_matches_note_001(tmp_path):
    example = load_example("forward_pass")
    result = example.run(tmp_path, quick=True)
    for key, notes in example.NOTES.items():
        np.testing.assert_allclose(result[key], notes, atol=1.5e-3, err_msg=key)
    np.testing.assert_allclose(result["network_output"], example.NOTES["o_output"], atol=1.5e-3)
    _assert_pngs(result["figures"])


def test_single_neuron_matches_note_002(tmp_path):
    result = load_example("single_neuron").run(tmp_path, quick=True)
    np.testing.assert_allclose(result["unseen"], [0.0145, 0.9998], atol=1e-4)
    _assert_pngs(result["figures"])


def test_activation_gallery(tmp_path):
    result = load_example("activation_gallery").run(tmp_path, quick=True)
    assert result["max_derivative"]["sigmoid"] == pytest.approx(0.25, abs=1e-3)
    assert result["max_derivative"]["relu"] == pytest.approx(1.0)
    assert sum(result["softmax_out"]) == pytest.approx(1.0, abs=1e-3)
    _assert_pngs(result["figures"])


def test_vanishing_gradients_sigmoid_vs_relu(tmp_path):
    result = load_example("vanishing_gradients").run(tmp_path, quick=True)
    assert result["sigmoid"]["ratio"] >= 100 * result["relu"]["ratio"]
    _assert_pngs(result["figures"])


def test_convolution_by_hand(tmp_path):
    result = load_example("convolution_by_hand").run(tmp_path, quick=True)
    assert result["by_hand"] == [[0, -4, -4, 0]] * 4
    np.testing.assert_allclose(result["neuropil"], result["by_hand"])
    assert result["scaled"] == [[255, 0, 0, 255]] * 4
    assert result["padded_shape"] == (6, 6) and result["strided_shape"] == (3, 3)
    assert all(r["formula"] == r["neuropil"] for r in result["sizes"])
    _assert_pngs(result["figures"])


def test_optimizers_compared(tmp_path):
    result = load_example("optimizers_compared").run(tmp_path, quick=True)
    assert len(result["final_loss"]) == 8
    start_loss = 50.0  # the loss at (w, b) = (-3, 4) is about 55
    assert all(loss < start_loss for loss in result["final_loss"].values())
    assert result["final_loss"]["GD (full batch)"] < result["minimum_loss"] + 0.05
    _assert_pngs(result["figures"])


def test_churn_regularized(tmp_path, shared_data):
    pytest.importorskip("pandas")
    pytest.importorskip("sklearn")
    example = load_example("churn_regularized")
    result = example.run(shared_data / "churn" / "Churn_Modelling.csv", tmp_path, quick=True)
    assert sum(map(sum, result["confusion"])) == 2000
    assert result["accuracy"] > 0.79  # better than always answering "stays"
    _assert_pngs(result["figures"])


def test_sklearn_vs_neuropil(tmp_path):
    pytest.importorskip("sklearn")
    result = load_example("sklearn_vs_neuropil").run(tmp_path, quick=True)
    assert result["n_features"] == 13
    assert result["neuropil"]["accuracy"] >= 0.9 and result["sklearn"]["accuracy"] >= 0.9
    _assert_pngs(result["figures"])


def test_digit_recognizer(tmp_path):
    result = load_example("digit_recognizer").run(tmp_path, quick=True)
    assert result["accuracy"] > 0.5  # one epoch on 1,000 images; chance is 0.1
    _assert_pngs(result["figures"])


def test_cifar10_cnn_explains_missing_files_and_runs_a_step(tmp_path, monkeypatch):
    monkeypatch.setenv("NEUROPIL_DATA", str(tmp_path / "empty-cache"))
    example = load_example("cifar10_cnn")
    result = example.run(tmp_path, download=False)
    assert result["status"] == "missing"
    assert "--download" in result["message"] and "cifar-10-python.tar.gz" in result["message"]
    smoke = example.run(tmp_path, quick=True)
    assert smoke["status"] == "smoke" and np.isfinite(smoke["loss"])
