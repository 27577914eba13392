"""The progress display: silent, one plain line per epoch, or a live tqdm bar on a terminal."""

import io
import re
import sys

import pytest

from neuropil import progress
from neuropil.callbacks import CallbackList, ReduceLROnPlateau
from neuropil.errors import ConfigError
from neuropil.progress import ProgressBar, format_logs, format_value, write


class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


class FakeModel:
    stop_training = False


def test_a_terminal_of_zero_columns_gets_plain_lines(monkeypatch):
    # an unsized pseudo-terminal (some editors and containers): a bar would print empty lines
    class SizedTerminal(FakeTerminal):
        def fileno(self):
            return 1

    columns = {"n": 0}
    monkeypatch.setattr(progress.os, "get_terminal_size",
                        lambda fd: progress.os.terminal_size((columns["n"], 0)))  # fmt: skip
    out = fit(SizedTerminal(), 1)
    assert "\r" not in out and len(LINE.findall(out)) == 3
    assert not progress._interactive(SizedTerminal())
    columns["n"] = 80  # a sized terminal still gets the live bar
    assert progress._interactive(SizedTerminal())


def fit(stream, verbose, epochs=3, steps=5, callbacks=(), validation=True):
    """Drive a ProgressBar writing to ``stream`` through a whole fit, like Sequential.fit."""
    model = FakeModel()
    model.optimizer = type("Opt", (), {"learning_rate": 0.01})()
    cbs = CallbackList([*callbacks, ProgressBar(stream=stream)], model=model, verbose=verbose,
                       epochs=epochs, steps=steps)  # fmt: skip
    cbs.on_train_begin({})
    for epoch in range(epochs):
        cbs.on_epoch_begin(epoch, {})
        logs = {}
        for batch in range(steps):
            cbs.on_train_batch_begin(batch, logs)
            logs = {"loss": 1.0 / (batch + 1 + epoch), "accuracy": 0.5 + 0.01 * batch}
            cbs.on_train_batch_end(batch, logs)
        if validation:
            cbs.on_test_begin({})  # validation inside fit is not shown separately
            cbs.on_test_batch_end(0, {"loss": 1.0})
            cbs.on_test_end({"loss": 1.0})
            logs.update({"val_loss": 0.361, "val_accuracy": 0.855})
        cbs.on_epoch_end(epoch, logs)
    cbs.on_train_end(logs)
    return stream.getvalue()


LINE = re.compile(
    r"Epoch (\d)/3 - \d+\.\d\ds - loss: \d\.\d{4} - accuracy: \d\.\d{4} - "
    r"val_loss: 0\.3610 - val_accuracy: 0\.8550"
)


@pytest.mark.parametrize(("stream_type", "verbose"), [(io.StringIO, 1), (io.StringIO, 2),
                                                      (FakeTerminal, 2)])  # fmt: skip
def test_one_clean_line_per_epoch(stream_type, verbose):
    out = fit(stream_type(), verbose)
    assert "\r" not in out and "\b" not in out
    lines = out.splitlines()
    assert len(lines) == 3 and out.endswith("\n")
    assert [LINE.fullmatch(line).group(1) for line in lines] == ["1", "2", "3"]


def test_line_shows_what_other_callbacks_add():
    out = fit(io.StringIO(), 2, epochs=1, callbacks=[ReduceLROnPlateau(monitor="loss")])
    assert out.rstrip().endswith("learning_rate: 0.0100")


def test_verbose_zero_prints_nothing(capsys):
    assert fit(FakeTerminal(), 0) == ""
    assert fit(io.StringIO(), 0) == ""
    model = FakeModel()
    cbs = CallbackList([], model=model, verbose=0, epochs=1, steps=1)  # default stream: stdout
    cbs.on_train_begin()
    cbs.on_epoch_begin(0)
    cbs.on_epoch_end(0, {"loss": 1.0})
    cbs.on_train_end()
    assert capsys.readouterr() == ("", "")


def test_default_stream_is_stdout_at_call_time(capsys):
    cbs = CallbackList([], model=FakeModel(), verbose=1, epochs=2, steps=1)
    cbs.on_train_begin()
    for epoch in range(2):
        cbs.on_epoch_begin(epoch)
        cbs.on_epoch_end(epoch, {"loss": 0.5})
    cbs.on_train_end()
    out = capsys.readouterr().out  # captured stdout is not a terminal: plain lines
    assert [line.split(" - ")[0] for line in out.splitlines()] == ["Epoch 1/2", "Epoch 2/2"]


def test_terminal_gets_a_live_tqdm_bar():
    pytest.importorskip("tqdm")
    out = fit(FakeTerminal(), 1, epochs=2, steps=4)
    assert "\r" in out
    assert "Epoch 1/2" in out and "Epoch 2/2" in out
    assert "4/4" in out and "100%" in out
    final = out.splitlines()[-1].split("\r")[-1]  # the second epoch's bar as left on screen
    assert "val_loss: 0.3610" in final and "loss: " in final
    assert not progress._live_bars


def test_write_during_a_live_bar_goes_through_tqdm():
    pytest.importorskip("tqdm")
    term = FakeTerminal()
    bar = ProgressBar(verbose=1, stream=term)
    bar.set_params({"epochs": 1, "steps": 3})
    bar.on_train_begin()
    bar.on_epoch_begin(0)
    bar.on_train_batch_end(0, {"loss": 0.5})
    write("Epoch 1: saving model", stream=term)
    bar.on_epoch_end(0, {"loss": 0.5})
    bar.on_train_end()
    assert "Epoch 1: saving model\n" in term.getvalue()


def test_without_tqdm_a_terminal_gets_lines_and_one_hint(monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", None)  # makes ``import tqdm`` fail
    monkeypatch.setattr(progress, "_tqdm_note_shown", False)
    first, second = fit(FakeTerminal(), 1), fit(FakeTerminal(), 1)
    assert first.count("pip install neuropil[progress]") == 1
    assert "pip install" not in second  # said once per process
    assert "\r" not in first + second
    assert len(first.splitlines()) == 4 and len(second.splitlines()) == 3


def test_evaluate_and_predict_on_their_own_get_one_line():
    out = io.StringIO()
    cbs = CallbackList([ProgressBar(stream=out)], verbose=1, steps=2)
    cbs.on_test_begin()
    cbs.on_test_batch_end(0, {"loss": 0.25})
    cbs.on_test_batch_end(1, {"loss": 0.5})
    cbs.on_test_end({"loss": 0.5, "accuracy": 0.75})
    cbs.on_predict_begin()
    cbs.on_predict_batch_end(0, {"outputs": [1, 2]})
    cbs.on_predict_end()
    evaluate, predict = out.getvalue().splitlines()
    assert re.fullmatch(r"Evaluate - \d+\.\d\ds - loss: 0\.5000 - accuracy: 0\.7500", evaluate)
    assert re.fullmatch(r"Predict - \d+\.\d\ds", predict)


def test_evaluate_on_a_terminal_draws_a_bar():
    pytest.importorskip("tqdm")
    term = FakeTerminal()
    cbs = CallbackList([ProgressBar(stream=term)], verbose=1, steps=2)
    cbs.on_test_begin()
    for batch in range(2):
        cbs.on_test_batch_end(batch, {"loss": 0.5})
    cbs.on_test_end({"loss": 0.5})
    assert "Evaluate" in term.getvalue() and "2/2" in term.getvalue()


def test_format_values_like_keras():
    assert format_value(0.35214) == "0.3521"
    assert format_value(0) == "0.0000"
    assert format_value(2.5e-5) == "2.5000e-05"
    assert format_value(float("nan")) == "nan"
    assert format_value("text") == "text"
    assert format_logs({"loss": 1, "acc": 0.5}) == "loss: 1.0000 - acc: 0.5000"


@pytest.mark.parametrize("verbose", [3, -1, True, "loud"])
def test_progress_bar_rejects_bad_verbose(verbose):
    with pytest.raises(ConfigError, match="Received: verbose="):
        ProgressBar(verbose=verbose)
