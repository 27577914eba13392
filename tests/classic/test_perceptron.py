"""Rosenblatt's perceptron: AND/OR learned and XOR not (eta=0.5, 10 epochs, as in note 000), the
notes' whole-batch trajectory reproduced from their printed starting weights, checks and files."""

import json
import os
import warnings

import numpy as np
import pytest

import neuropil as npl
from neuropil.classic import Perceptron, load
from neuropil.errors import ConfigError, FileFormatError, NotReadyError, ShapeError

X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
AND, OR, XOR = [0, 0, 0, 1], [0, 1, 1, 1], [0, 1, 1, 0]


def fit_quietly(model, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return model.fit(X, y)


@pytest.mark.parametrize("mode", ["online", "batch"])
@pytest.mark.parametrize("y", [AND, OR], ids=["AND", "OR"])
def test_and_or_converge_in_ten_epochs(mode, y):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # converging must not warn
        p = Perceptron(eta=0.5, epochs=10, mode=mode).fit(X, y)
    assert p.converged_
    assert p.predict(X).tolist() == y
    assert p.errors_[-1] == 0 and len(p.errors_) == p.epochs_run_ <= 10
    assert p.score(X, y) == 1.0
    assert p.report_.startswith("Perceptron converged after")


@pytest.mark.parametrize("mode", ["online", "batch"])
def test_xor_never_converges(mode):
    with pytest.warns(UserWarning, match="did not converge in 10 epochs"):
        p = Perceptron(eta=0.5, epochs=10, mode=mode).fit(X, XOR)
    assert not p.converged_
    assert p.epochs_run_ == 10 and len(p.errors_) == 10 and min(p.errors_) > 0
    assert p.predict(X).tolist() != XOR
    assert "not converge" in p.report_


@pytest.mark.parametrize("mode", ["online", "batch"])
def test_convergence_does_not_hang_on_a_lucky_seed(mode):
    for seed in range(30):
        for y in (AND, OR):
            assert Perceptron(eta=0.5, epochs=10, mode=mode, seed=seed).fit(X, y).converged_
        p = fit_quietly(Perceptron(eta=0.5, epochs=50, mode=mode, seed=seed), X, XOR)
        assert not p.converged_ and p.epochs_run_ == 50


def test_batch_mode_reproduces_the_notes_and_run(monkeypatch):
    # note 000 prints its random start as [w1, w2, bias]; ours is [w0 (bias), w1, w2]
    start = np.array([-3.14676580e-05, 4.49529150e-05, 1.85654482e-04])
    p = Perceptron(eta=0.5, epochs=1, mode="batch")
    monkeypatch.setattr(p, "_initial_weights", lambda n: start.copy())
    fit_quietly(p, X, AND)
    assert p.errors_ == [3]  # the notes' first epoch predicts [1, 1, 1, 1]
    np.testing.assert_allclose(p.weights_, [1.49996853, -0.49995505, -0.49981435], atol=1e-8)
    p = Perceptron(eta=0.5, epochs=10, mode="batch")
    monkeypatch.setattr(p, "_initial_weights", lambda n: start.copy())
    p.fit(X, AND)
    np.testing.assert_allclose(p.weights_, [0.99996853, 0.50004495, 0.50018565], atol=1e-8)
    assert p.threshold_ == pytest.approx(0.99996853)
    np.testing.assert_allclose(p.coef_, [0.50004495, 0.50018565], atol=1e-8)


def test_bias_is_the_weight_of_a_constant_minus_one():
    p = Perceptron(seed=0).fit(X, OR)
    np.testing.assert_allclose(p.decision_function(X), X @ p.coef_ - p.threshold_)
    assert p.predict(X).tolist() == (p.decision_function(X) >= 0).astype(int).tolist()


def test_sign_activation_uses_minus_one_and_one():
    y = [-1, -1, -1, 1]
    for mode in ("online", "batch"):
        p = Perceptron(activation="sign", mode=mode, seed=0).fit(X, y)
        assert p.converged_ and p.predict(X).tolist() == y
    with pytest.raises(ConfigError, match=r"targets must each be -1 or 1. Received: \[0\]"):
        Perceptron(activation="sign").fit(X, AND)
    with pytest.raises(ConfigError, match=r"Received: \[-1\]"):
        Perceptron().fit(X, y)


def test_epochs_are_counted_and_stop_early():
    p = Perceptron(epochs=100, seed=0).fit(X, OR)
    assert p.epochs_run_ < 100 and p.errors_[-1] == 0 and all(e > 0 for e in p.errors_[:-1])


def test_seeds():
    a = Perceptron(seed=7).fit(X, AND).weights_
    b = Perceptron(seed=7).fit(X, AND).weights_
    assert np.array_equal(a, b)
    npl.set_seed(5)
    c = Perceptron().fit(X, AND).weights_
    npl.set_seed(5)
    assert np.array_equal(c, Perceptron().fit(X, AND).weights_)


def test_more_features_and_dataframes():
    rng = np.random.default_rng(0)
    data = rng.normal(size=(300, 3))
    score = data @ [1.0, -2.0, 0.5] - 0.3
    data, y = data[np.abs(score) > 0.3], (score[np.abs(score) > 0.3] > 0).astype(int)
    p = Perceptron(eta=0.1, epochs=200, seed=0).fit(data, y)
    assert p.converged_ and p.score(data, y) == 1.0 and p.weights_.shape == (4,)
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"x1": X[:, 0], "x2": X[:, 1], "y": AND})
    q = Perceptron(seed=0).fit(frame.drop("y", axis=1), frame["y"])
    assert q.predict(frame.drop("y", axis=1)).tolist() == AND


def test_single_sample_predict():
    p = Perceptron(seed=0).fit(X, AND)
    assert p.predict([1, 1]).tolist() == [1]


def test_verbose_prints_each_epoch(capsys):
    p = Perceptron(seed=0, verbose=1).fit(X, OR)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == p.epochs_run_ and lines[0].startswith("epoch 1/10 - errors:")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"eta": 0},
        {"eta": -1},
        {"eta": float("nan")},
        {"eta": "0.5"},
        {"epochs": 0},
        {"epochs": 2.5},
        {"activation": "relu"},
        {"mode": "minibatch"},
        {"seed": -1},
        {"verbose": -1},
    ],
)
def test_bad_arguments(kwargs):
    with pytest.raises(ConfigError, match="Received"):
        Perceptron(**kwargs)


def test_bad_data():
    with pytest.raises(NotReadyError, match="fit"):
        Perceptron().predict(X)
    with pytest.raises(ShapeError, match="one value per sample"):
        Perceptron().fit(X, [0, 1])
    with pytest.raises(ShapeError, match=r"\(samples, features\)"):
        Perceptron().fit(np.ones((2, 2, 2)), [0, 1])
    with pytest.raises(npl.errors.InvalidValueError, match="NaN"):
        Perceptron().fit([[0, np.nan], [1, 1]], [0, 1])
    with pytest.raises(ConfigError, match="hold numbers"):
        Perceptron().fit([["a", "b"]], [0])
    p = Perceptron(seed=0).fit(X, AND)
    with pytest.raises(ShapeError, match="fitted on 2 features"):
        p.predict(np.ones((4, 3)))


def test_save_load_round_trip(tmp_path):
    p = Perceptron(eta=0.25, epochs=20, activation="sign", mode="batch", seed=3)
    p.fit(X, [-1, 1, 1, 1])
    path = tmp_path / "or.json"
    p.save(path)
    assert os.listdir(tmp_path) == ["or.json"]  # no temporary file left behind
    for q in (Perceptron.load(path), load(str(path))):
        assert q.get_config() == p.get_config()
        assert np.array_equal(q.weights_, p.weights_)  # bit for bit
        assert q.errors_ == p.errors_ and q.epochs_run_ == p.epochs_run_
        assert q.converged_ == p.converged_ and q.report_ == p.report_
        assert q.predict(X).tolist() == [-1, 1, 1, 1]
    unfitted = tmp_path / "new.json"
    Perceptron(seed=1).save(unfitted)
    assert Perceptron.load(unfitted).weights_ is None


def test_save_is_plain_json_and_overwrites_atomically(tmp_path):
    path = tmp_path / "and.json"
    Perceptron(seed=0).fit(X, AND).save(path)
    Perceptron(seed=0).fit(X, OR).save(path)
    document = json.loads(path.read_text())
    assert document["format"] == "neuropil.classic" and document["class_name"] == "Perceptron"
    assert Perceptron.load(path).predict(X).tolist() == OR
    with pytest.raises(FileNotFoundError):
        Perceptron().save(tmp_path / "missing" / "p.json")


def _edit(path, change):
    document = json.loads(path.read_text())
    change(document)
    path.write_text(json.dumps(document))


def test_damaged_files_give_clear_errors(tmp_path):
    path = tmp_path / "p.json"
    Perceptron(seed=0).fit(X, AND).save(path)
    text = path.read_text()

    path.write_text(text[: len(text) // 2])
    with pytest.raises(FileFormatError, match="truncated"):
        Perceptron.load(path)
    cases = [
        (lambda d: d.update(format="other"), "does not name the format"),
        (lambda d: d.update(format_version=99), "newer than this neuropil reads"),
        (lambda d: d.update(class_name="os.system"), "unknown class"),
        (lambda d: d.update(class_name="MPNeuron"), "holds a MPNeuron, not a Perceptron"),
        (lambda d: d["state"].update(weights=[1.0, "x", 2.0]), "must hold numbers"),
        (lambda d: d["state"].update(weights=[1.0]), "list of >= 2 numbers"),
        (lambda d: d["state"].update(errors=[1, -2]), "list of counts"),
        (lambda d: d["state"].pop("epochs_run"), "'epochs_run' must be an integer"),
        (lambda d: d["config"].update(eta=-1), "configuration is invalid"),
        (lambda d: d["config"].update(evil=1), "configuration is invalid"),
        (lambda d: d.update(state=[]), "must be JSON objects"),
    ]
    for change, message in cases:
        path.write_text(text)
        _edit(path, change)
        with pytest.raises(FileFormatError, match=message):
            Perceptron.load(path)
    path.write_text(text.replace('"weights": [', '"weights": [NaN, '))
    with pytest.raises(FileFormatError, match="NaN or infinity"):
        Perceptron.load(path)
    with pytest.raises(FileNotFoundError):
        Perceptron.load(tmp_path / "nothing.json")


def test_many_bad_targets_give_a_short_message():
    rng = np.random.default_rng(0)
    with pytest.raises(ConfigError) as info:
        Perceptron().fit(rng.random((1000, 2)), rng.random(1000))
    message = str(info.value)
    assert "targets must each be 0 or 1" in message and "(1000 distinct values)" in message
    assert len(message) < 200
