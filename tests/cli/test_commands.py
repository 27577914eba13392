"""The ``neuropil`` command end to end: train a tiny model, evaluate it, predict PNGs, summary.

Most tests call ``neuropil.cli.main`` in this process; the ones about what a user sees in a
shell (exit codes, no tracebacks, clean output when piped) start the real command.
"""

import csv
import json
import os
import shutil
import subprocess
import sys

import cv2
import numpy as np
import pytest

from neuropil.cli import main
from tests.cli.conftest import run_cli
from tests.cli.drawing import draw_strokes, render_text

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _one_error_line(err):
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("neuropil: error: "), err
    assert "Traceback" not in err
    return lines[0]


# -- train -------------------------------------------------------------------------------------
def test_train_writes_the_run_folder(tiny_run):
    folder = tiny_run["folder"]
    names = sorted(os.listdir(folder))
    assert names == ["accuracy.png", "confusion_matrix.png", "history.csv", "loss.png",
                     "metrics.json", "model.npil"]  # fmt: skip
    for name in ("loss.png", "accuracy.png", "confusion_matrix.png"):
        image = cv2.imread(str(folder / name))
        assert (folder / name).read_bytes()[:8] == PNG_SIGNATURE
        assert image.shape[0] >= 300 and image.shape[1] >= 400
    with open(folder / "history.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [row["epoch"] for row in rows] == ["0", "1"]
    assert {"loss", "accuracy", "val_loss", "val_accuracy"} <= set(rows[0])


def test_train_metrics_json(tiny_run):
    metrics = json.loads((tiny_run["folder"] / "metrics.json").read_text())
    assert metrics["dataset"] == "embedded-mnist" and metrics["model"] == "mnist-tiny"
    assert (metrics["train_images"], metrics["validation_images"]) == (900, 100)
    assert metrics["test_images"] == 2000 and metrics["epochs"] == 2 and metrics["seed"] == 0
    matrix = metrics["confusion_matrix"]
    assert len(matrix) == 10 and sum(map(sum, matrix)) == 2000
    assert sum(matrix[i][i] for i in range(10)) / 2000 == pytest.approx(metrics["test_accuracy"])
    assert 0.5 < metrics["test_accuracy"] <= 1.0
    assert metrics["command"].startswith("neuropil train --model mnist-tiny")


def test_train_prints_progress_and_test_accuracy(tiny_run):
    out = tiny_run["stdout"]
    assert "Epoch 1/2" in out and "Epoch 2/2" in out  # one line per epoch (not a terminal)
    assert "\r" not in out and "\x1b" not in out
    last = out.strip().splitlines()
    assert last[-2].startswith("test accuracy: 0.")
    assert last[-1].startswith("run folder: ")


def test_train_is_repeatable_with_a_seed(tiny_run, tmp_path):
    status, out, _ = run_cli("train", "--model", "mnist-tiny", "--epochs", "2", "--limit",
                             "1000", "--output", tmp_path, "--quiet", "--no-plots")  # fmt: skip
    assert status == 0
    first = json.loads((tiny_run["folder"] / "metrics.json").read_text())
    again = json.loads((tmp_path / "metrics.json").read_text())
    assert again["test_loss"] == first["test_loss"]
    assert not (tmp_path / "loss.png").exists()
    assert len(out.strip().splitlines()) == 2  # --quiet: the accuracy and the folder


def test_train_options_reach_the_model(tmp_path):
    status, _, err = run_cli("train", "--model", "mnist-mlp", "--epochs", "1", "--limit", "300",
                             "--batch-size", "50", "--optimizer", "SGD", "--lr", "0.05",
                             "--validation-split", "0", "--seed", "3", "--output", tmp_path,
                             "--quiet", "--no-plots")  # fmt: skip
    assert status == 0, err
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["optimizer"] == "SGD" and metrics["learning_rate"] == 0.05
    assert metrics["batch_size"] == 50
    assert metrics["validation_images"] == 0 and metrics["train_images"] == 300
    status, out, _ = run_cli("summary", tmp_path / "model.npil")
    assert "Optimizer: SGD (learning rate 0.05)" in out and "Epochs trained: 1" in out


def test_train_from_a_json_config(tmp_path):
    from neuropil.layers import Dense, Flatten, Input
    from neuropil.models import Sequential

    config = Sequential([Input((28, 28, 1)), Flatten(), Dense(10, activation="softmax")],
                        name="softmax-regression").get_config()  # fmt: skip
    path = tmp_path / "model.json"
    path.write_text(json.dumps(config))
    status, out, err = run_cli("train", "--config", path, "--epochs", "1", "--limit", "500",
                               "--output", tmp_path / "run", "--quiet", "--no-plots")  # fmt: skip
    assert status == 0, err
    assert json.loads((tmp_path / "run" / "metrics.json").read_text())["model"] == str(path)
    # the config.json layout inside a .npil file, and the .npil file itself, work too
    status, out, err = run_cli("train", "--config", tmp_path / "run" / "model.npil", "--epochs",
                               "1", "--limit", "200", "--output", tmp_path / "again", "--quiet",
                               "--no-plots")  # fmt: skip
    assert status == 0, err
    _, summary, _ = run_cli("summary", tmp_path / "again" / "model.npil")
    assert 'Model: "softmax-regression"' in summary and "7,850" in summary


def test_a_config_ending_in_logits_trains_from_logits_and_predicts_probabilities(tmp_path):
    from neuropil.layers import Dense, Flatten, Input
    from neuropil.models import Sequential

    config = Sequential([Input((28, 28, 1)), Flatten(), Dense(10)]).get_config()  # logits
    path = tmp_path / "logits.json"
    path.write_text(json.dumps(config))
    status, out, err = run_cli("train", "--config", path, "--epochs", "2", "--limit", "1000",
                               "--output", tmp_path / "run", "--quiet", "--no-plots")  # fmt: skip
    assert status == 0, err
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["test_accuracy"] > 0.3  # a probability loss on logits stays near chance (0.1)
    _, summary, _ = run_cli("summary", tmp_path / "run" / "model.npil")
    assert "Loss: sparse_categorical_crossentropy (from logits)" in summary
    image = tmp_path / "one.png"
    cv2.imwrite(str(image), render_text(1))
    status, out, err = run_cli("predict", tmp_path / "run" / "model.npil", image)
    assert status == 0, err
    assert 0.1 < float(out.split()[-1]) <= 1.0  # softmax of the scores, not a raw score


def test_evaluate_fits_flat_inputs_and_one_hot_losses(tmp_path):
    import neuropil as npl
    from neuropil.layers import Dense, Input
    from neuropil.models import Sequential

    npl.set_seed(0)
    model = Sequential([Input((784,)), Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    model.save(tmp_path / "flat.npil")
    status, out, err = run_cli("evaluate", tmp_path / "flat.npil", "--limit", "200", "--json")
    assert status == 0, err
    from neuropil.cli import data

    x, y = data.load_dataset("embedded-mnist")[1]
    expected = model.evaluate(x[:200].reshape(200, 784), np.eye(10)[y[:200]], verbose=0)
    assert json.loads(out)["loss"] == pytest.approx(expected[0], rel=1e-5)


def test_a_folder_holding_a_run_is_kept_unless_overwrite(tmp_path):
    folder = tmp_path / "run"
    argv = ["train", "--model", "mnist-tiny", "--epochs", "1", "--limit", "300", "--output",
            folder, "--quiet"]  # fmt: skip
    assert run_cli(*argv)[0] == 0
    before = (folder / "model.npil").read_bytes()
    status, _, err = run_cli(*argv[:-1], "--seed", "5", "--quiet")
    assert status == 1 and "already holds a run (model.npil, history.csv" in err
    assert (folder / "model.npil").read_bytes() == before  # nothing the user saved is lost
    (folder / "notes.txt").write_text("mine")
    status, _, err = run_cli(*argv, "--seed", "5", "--no-plots", "--overwrite")
    assert status == 0, err
    assert (folder / "model.npil").read_bytes() != before
    assert sorted(p.name for p in folder.iterdir()) == [
        "history.csv",
        "metrics.json",
        "model.npil",
        "notes.txt",
    ]  # old plots gone, notes kept


def test_a_run_stopped_before_its_first_epoch_leaves_no_folder(tmp_path, monkeypatch):
    from neuropil.callbacks import LambdaCallback
    from neuropil.models import Sequential

    fit, stop_at = Sequential.fit, {}

    def interrupted_fit(self, *args, callbacks=(), **kwargs):
        def stop(epoch, logs):
            if epoch == stop_at["epoch"]:
                raise KeyboardInterrupt

        hook = LambdaCallback(on_epoch_end=stop)
        return fit(self, *args, callbacks=[hook, *callbacks], **kwargs)

    monkeypatch.setattr(Sequential, "fit", interrupted_fit)
    argv = ["train", "--model", "mnist-tiny", "--epochs", "3", "--limit", "200", "--quiet"]
    stop_at["epoch"] = 0  # before CSVLogger writes epoch 0: the run has nothing to show
    status, _, err = run_cli(*argv, "--output", tmp_path / "new")
    assert status == 130 and "interrupted" in err
    assert not (tmp_path / "new").exists()
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("kept")
    assert run_cli(*argv, "--output", tmp_path / "mine")[0] == 130
    assert [p.name for p in (tmp_path / "mine").iterdir()] == ["notes.txt"]
    stop_at["epoch"] = 1  # after epoch 0 is written: the history stays for the user to see
    assert run_cli(*argv, "--output", tmp_path / "later")[0] == 130
    assert (tmp_path / "later" / "history.csv").read_text().count("\n") == 2


# -- evaluate, predict, summary, info ----------------------------------------------------------
def test_evaluate_reproduces_the_training_metrics(tiny_run):
    status, out, err = run_cli("evaluate", tiny_run["model"], "--json")
    assert status == 0, err
    result = json.loads(out)  # nothing but the JSON document on stdout
    metrics = json.loads((tiny_run["folder"] / "metrics.json").read_text())
    assert result["images"] == 2000
    assert result["accuracy"] == pytest.approx(metrics["test_accuracy"])
    assert result["loss"] == pytest.approx(metrics["test_loss"], rel=1e-5)
    status, out, _ = run_cli("evaluate", tiny_run["model"], "--limit", "100")
    assert status == 0 and "accuracy: " in out and "100 test images" in out


def test_predict_prints_name_class_and_probability(tiny_run, tmp_path):
    paths = []
    for digit, image in ((1, render_text(1)), (7, draw_strokes(7, paper=0, ink=255))):
        paths.append(tmp_path / f"digit {digit}.png")  # a space in the name is fine
        cv2.imwrite(str(paths[-1]), image)
    status, out, err = run_cli("predict", tiny_run["model"], *paths)
    assert status == 0, err
    lines = out.strip().splitlines()
    assert len(lines) == 2
    for path, line in zip(paths, lines):
        name, label, probability = line.rsplit(" ", 2)
        assert name == str(path) and label in "0123456789" and 0.1 < float(probability) <= 1.0


def test_predict_reports_bad_files_and_goes_on(tiny_run, tmp_path):
    good = tmp_path / "good.png"
    cv2.imwrite(str(good), render_text(3))
    (tmp_path / "empty.png").write_bytes(b"")
    (tmp_path / "notes.png").write_text("not an image")
    cv2.imwrite(str(tmp_path / "blank.png"), render_text(3, ink=255))  # white on white
    bad = ["empty.png", "notes.png", "blank.png", "missing.png"]
    status, out, err = run_cli("predict", tiny_run["model"], good, *(tmp_path / n for n in bad))
    assert status == 1
    assert out.startswith(f"{good} ") and len(out.strip().splitlines()) == 1
    lines = err.strip().splitlines()
    assert len(lines) == 4 and all(line.startswith("neuropil: error: ") for line in lines)
    assert "empty" in lines[0] and "cannot decode" in lines[1]
    assert "No digit found" in lines[2] and "No image file" in lines[3]


def test_predict_prepares_digits_or_resizes_the_picture(tiny_run, tmp_path):
    from neuropil import vision
    from neuropil.layers import Dense, Flatten, Input
    from neuropil.models import Sequential, load_model

    picture = tmp_path / "coat.png"  # a light shape filling a 28x28 frame, as Fashion-MNIST's
    image = np.zeros((28, 28), np.uint8)
    image[3:26, 6:22] = 200
    cv2.imwrite(str(picture), image)
    model = load_model(tiny_run["model"])
    shape = (1, *model.input_shape)
    for prepare, x in (("auto", vision.load_digit(picture)), ("digit", vision.load_digit(picture)),
                       ("resize", vision.load_image(picture, (28, 28)))):  # fmt: skip
        status, out, err = run_cli("predict", tiny_run["model"], picture, "--prepare", prepare)
        assert status == 0, err
        scores = model.predict(x.reshape(shape), verbose=0)[0]
        label, probability = out.split()[-2:]
        assert int(label) == scores.argmax()
        assert float(probability) == pytest.approx(scores.max(), abs=1e-4)
    assert not np.allclose(vision.load_digit(picture), vision.load_image(picture, (28, 28))[..., 0])

    small = Sequential([Input((8, 8, 1)), Flatten(), Dense(2, activation="softmax")])
    small.save(tmp_path / "small.npil")
    status, out, err = run_cli("predict", tmp_path / "small.npil", picture, "--prepare", "digit")
    assert status == 1 and out == ""
    assert "--prepare digit makes 28x28 gray digits" in err and "(8, 8, 1)" in err
    status, out, err = run_cli("predict", tmp_path / "small.npil", picture)
    assert status == 0 and out.startswith(f"{picture} "), err


def test_summary_lists_layers_and_training(tiny_run):
    status, out, _ = run_cli("summary", tiny_run["model"])
    assert status == 0
    assert 'Model: "mnist-tiny"' in out and "(None, 15)" in out and "Total params: 11,935" in out
    assert "Optimizer: Adam (learning rate 0.01)" in out
    assert "Loss: sparse_categorical_crossentropy; metrics: accuracy" in out
    assert "Epochs trained: 2" in out


def test_info_reports_numpy_blas_threads_and_devices():
    status, out, _ = run_cli("info")
    assert status == 0
    text = out.splitlines()
    assert text[0].startswith("neuropil ") and any(line.startswith("NumPy ") for line in text)
    assert any(line.strip().startswith("BLAS: ") for line in text)
    assert "Threads:" in text and any("threads" in line for line in text)
    assert any(line.startswith("CPU is available") for line in text)
    assert any(line.startswith("GPU not available") for line in text)


def test_info_without_threadpoolctl_reads_the_environment(monkeypatch):
    monkeypatch.setitem(sys.modules, "threadpoolctl", None)
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    status, out, _ = run_cli("info")
    assert status == 0
    assert "install threadpoolctl" in out and "environment: OMP_NUM_THREADS=1" in out


# -- errors --------------------------------------------------------------------------------
@pytest.mark.parametrize("argv, expected", [
    (["train", "--epochs", "0"], "--epochs: expected a positive integer"),
    (["train", "--dataset", "imagenet"], "unknown dataset 'imagenet'"),
    (["train", "--model", "resnet"], "invalid choice: 'resnet'"),
    (["train", "--optimizer", "lbfgs"], "invalid choice: 'lbfgs'"),
    (["train", "--lr", "-1"], "expected a positive number"),
    (["train", "--lr", "nan"], "expected a positive number, got 'nan'"),
    (["train", "--validation-split", "nan"], "expected a number in [0, 1), got 'nan'"),
    (["train", "--epochs", "inf"], "expected a positive integer"),
    (["train", "--model", "mnist-cnn", "--config", "x.json"], "not allowed with argument"),
    (["predict", "model.npil"], "required: IMAGE"),
    (["predict", "m.npil", "x.png", "--threshold", "300"], "a gray level 0..254 or 'otsu'"),
    (["fly"], "invalid choice: 'fly'"),
])  # fmt: skip
def test_usage_errors_are_one_line_with_status_2(argv, expected):
    status, out, err = run_cli(*argv)
    assert status == 2 and out == ""
    assert expected in _one_error_line(err)


@pytest.mark.parametrize("make, argv, expected", [
    (None, ["summary", "{tmp}/missing.npil"], "No model file at"),
    ("text", ["evaluate", "{tmp}/file"], "not a neuropil model file"),
    ("text", ["train", "--config", "{tmp}/file"], "not JSON"),
    ("json", ["train", "--config", "{tmp}/file"], "has no list of layers"),
    (None, ["train", "--dataset", "digits", "--output", "{tmp}/run"], "does not fit the images"),
    (None, ["train", "--dataset", "digits", "--data-dir", "{tmp}"], "--data-dir does not apply"),
    (None, ["evaluate", "{model}", "--dataset", "digits"], "The model expects inputs of shape"),
])  # fmt: skip
def test_runtime_errors_are_one_line_with_status_1(make, argv, expected, tmp_path, tiny_run):
    if make == "text":
        (tmp_path / "file").write_text("hello")
    elif make == "json":
        (tmp_path / "file").write_text('{"name": "x"}')
    argv = [a.format(tmp=tmp_path, model=tiny_run["model"]) for a in argv]
    status, out, err = run_cli(*argv)
    assert status == 1
    assert expected in _one_error_line(err)


@pytest.mark.parametrize("options, expected", [
    (["--no-download"], "and --no-download was given. Copy the publisher's files"),
    (["--data-dir", "{tmp}/nothing"], "leave out --data-dir to use the cache. Received: "
                                      "--data-dir '{tmp}/nothing'"),
    ([], "or pass --data-dir '<folder holding train-images-idx3-ubyte.gz>'. Received: "),
])  # fmt: skip
def test_missing_data_errors_name_the_command_line_options(options, expected, tmp_path,
                                                           monkeypatch):  # fmt: skip
    monkeypatch.setenv("NEUROPIL_DATA", str(tmp_path / "cache"))  # an empty cache
    monkeypatch.setenv("NEUROPIL_DATA_URL", "http://127.0.0.1:9")  # nothing listens there
    options = [o.format(tmp=tmp_path) for o in options]
    status, out, err = run_cli("train", "--dataset", "mnist", "--output", tmp_path / "run",
                               *options)  # fmt: skip
    line = _one_error_line(err)
    assert status == 1 and expected.format(tmp=tmp_path) in line
    assert not (tmp_path / "run").exists()
    assert "path=" not in line and "download=" not in line


def test_an_unwritable_cache_error_names_the_command_line_options(tmp_path, monkeypatch):
    (tmp_path / "cache").write_text("a file where the cache folder should be")
    monkeypatch.setenv("NEUROPIL_DATA", str(tmp_path / "cache"))
    status, out, err = run_cli("train", "--dataset", "mnist", "--output", tmp_path / "run")
    line = _one_error_line(err)
    assert status == 1 and "Cannot write the mnist file" in line
    assert "or pass --data-dir '<folder holding train-images-idx3-ubyte.gz>'. Received: " in line
    assert "path=" not in line and not (tmp_path / "run").exists()


def test_debug_shows_the_traceback(tmp_path):
    with pytest.raises(FileNotFoundError):
        main(["--debug", "summary", str(tmp_path / "missing.npil")])
    with pytest.raises(FileNotFoundError):
        main(["summary", str(tmp_path / "missing.npil"), "--debug"])


def test_no_command_prints_help(capsys):
    assert main([]) == 2
    assert "train" in capsys.readouterr().err


# -- the real command in a shell -----------------------------------------------------------
def _shell(*argv, **kwargs):
    command = shutil.which("neuropil", path=os.path.dirname(sys.executable))
    prefix = [command] if command else [sys.executable, "-m", "neuropil.cli"]
    return subprocess.run([*prefix, *map(str, argv)], capture_output=True, text=True,
                          timeout=300, **kwargs)  # fmt: skip


def test_piped_output_is_clean_and_errors_have_no_traceback(tmp_path):
    done = _shell("train", "--model", "mnist-tiny", "--epochs", "2", "--limit", "400",
                  "--output", tmp_path / "run", "--no-plots")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "\r" not in done.stdout and "\x1b" not in done.stdout and done.stderr == ""
    assert [line[:9] for line in done.stdout.splitlines() if line.startswith("Epoch")] == [
        "Epoch 1/2", "Epoch 2/2"]  # fmt: skip
    done = _shell("predict", tmp_path / "run" / "model.npil", tmp_path / "nothing.png")
    assert done.returncode == 1 and done.stdout == ""
    assert _one_error_line(done.stderr) == (
        f"neuropil: error: No image file at '{tmp_path / 'nothing.png'}'")  # fmt: skip
    done = _shell("train", "--batch-size", "many")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    _one_error_line(done.stderr)
