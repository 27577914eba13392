"""The argument parser of the ``neuropil`` command: subcommands, options and their checks.

Usage errors are reported on one line (``neuropil train: error: ...``) with exit status 2; the
full usage is one ``--help`` away.

>>> args = build_parser().parse_args(["train", "--epochs", "2", "--quiet"])
>>> args.command, args.epochs, args.quiet, args.dataset
('train', 2, True, 'embedded-mnist')
"""

import argparse
import textwrap

from neuropil.cli.data import DATASETS, PRESETS

OPTIMIZERS = ("sgd", "adagrad", "adadelta", "rmsprop", "adam", "adamw")


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line on stderr (exit status 2)."""

    def error(self, message):
        self.exit(2, f"neuropil: error: {message} (see '{self.prog} --help')\n")


def _number(kind, low, name, low_open=False, high=None):
    def check(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {name}, got {text!r}") from None
        finite = value == value and value not in (float("inf"), float("-inf"))  # not NaN/inf
        bad_range = value < low or (low_open and value == low)
        if not finite or bad_range or (high is not None and value >= high):
            raise argparse.ArgumentTypeError(f"expected {name}, got {text!r}")
        return value

    check.__name__ = name
    return check


positive_int = _number(int, 1, "a positive integer")
non_negative_int = _number(int, 0, "an integer >= 0")
positive_float = _number(float, 0.0, "a positive number", low_open=True)
fraction = _number(float, 0.0, "a number in [0, 1)", high=1.0)


def threshold(text):
    """A gray level in [0, 255) or ``otsu``."""
    if text.lower() == "otsu":
        return "otsu"
    return _number(int, 0, "a gray level 0..254 or 'otsu'", high=255)(text)


def _dataset(text):
    name = text.lower().replace("_", "-")
    if name not in DATASETS:
        raise argparse.ArgumentTypeError(
            f"unknown dataset {text!r} (choose from {', '.join(DATASETS)})"
        )
    return name


def _common(parser):
    """Options every subcommand takes (also accepted before the subcommand)."""
    group = parser.add_argument_group("output")
    group.add_argument("-q", "--quiet", action="store_true", default=argparse.SUPPRESS,
                       help="no progress display; print only the results")  # fmt: skip
    group.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                       help="show the full traceback when something fails")  # fmt: skip


def _data_options(parser, default):
    parser.add_argument("--dataset", type=_dataset, default=default, metavar="NAME",
                        help=f"one of {', '.join(DATASETS)} (default: {default})")  # fmt: skip
    parser.add_argument("--data-dir", metavar="DIR",
                        help="folder holding (or receiving) the dataset files")  # fmt: skip
    parser.add_argument("--no-download", action="store_true",
                        help="fail instead of downloading a missing dataset")  # fmt: skip
    parser.add_argument("--limit", type=positive_int, metavar="N",
                        help="use only the first N images of the split the command works "
                        "on (train: the training images; its test score uses all test "
                        "images)")  # fmt: skip
    parser.add_argument("--threads", type=positive_int, metavar="N",
                        help="BLAS threads to use (default: all; 1 can be faster on a busy "
                        "machine)")  # fmt: skip


def _presets_text():
    lines = ["model presets, with their default --epochs and --learning-rate:"]
    for name, (_, epochs, rate, about) in PRESETS.items():
        lines.append(f"  {name:11s}{epochs:3d} epochs, lr {rate:<6g} {about}")
    lines.append("  --config    10 epochs, lr 0.001  (or the optimizer saved in the file)")
    return "\n".join(lines)


def build_parser():
    """The parser for ``neuropil [--quiet] [--debug] COMMAND ...``."""
    from neuropil import __version__
    from neuropil.cli import commands, info

    parser = Parser(
        prog="neuropil",
        description="Train, evaluate and use neuropil models from the command line.",
        epilog="Run 'neuropil COMMAND --help' for the options of a command.",
    )
    parser.add_argument("--version", action="version", version=f"neuropil {__version__}")
    parser.add_argument("-q", "--quiet", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--debug", action="store_true", help=argparse.SUPPRESS)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)

    train = sub.add_parser(
        "train", help="train a model and write a run folder",
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=_presets_text(),
        description=textwrap.fill(
            "Train a model, evaluate it on the test split and write a run folder with "
            "model.npil, history.csv, metrics.json and PNG plots (loss, accuracy, confusion "
            "matrix). With no options: the mnist-cnn digit recognizer on the MNIST images "
            "shipped inside neuropil, in under a minute.", 78),
    )  # fmt: skip
    _data_options(train, "embedded-mnist")
    which = train.add_mutually_exclusive_group()
    which.add_argument("--model", choices=list(PRESETS), default=None, metavar="PRESET",
                       help=f"model preset: {', '.join(PRESETS)} (default: mnist-cnn)")  # fmt: skip
    which.add_argument("--config", metavar="FILE",
                       help="a model config as JSON (Sequential.get_config(), or the config.json "
                       "of a .npil file), or a .npil file whose architecture to reuse")  # fmt: skip
    train.add_argument("--epochs", type=positive_int, metavar="N",
                       help="training epochs (default: the preset's)")  # fmt: skip
    train.add_argument("--batch-size", type=positive_int, default=128, metavar="N",
                       help="samples per training step (default: 128)")  # fmt: skip
    train.add_argument("--optimizer", type=str.lower, choices=OPTIMIZERS, metavar="NAME",
                       help=f"one of {', '.join(OPTIMIZERS)} (default: adam)")  # fmt: skip
    train.add_argument("--learning-rate", "--lr", type=positive_float, metavar="LR",
                       help="learning rate (default: the preset's)")  # fmt: skip
    train.add_argument("--validation-split", type=fraction, default=0.1, metavar="F",
                       help="fraction of training images held out for validation curves "
                       "(default: 0.1)")  # fmt: skip
    train.add_argument("--seed", type=non_negative_int, default=0,
                       help="seed for weights, dropout, shuffling (default: 0)")  # fmt: skip
    train.add_argument("--output", "-o", metavar="DIR",
                       help="run folder to write (default: runs/PRESET-DATE-TIME); one that "
                       "already holds a run is refused unless --overwrite")  # fmt: skip
    train.add_argument("--overwrite", action="store_true",
                       help="replace the run already in the --output folder")  # fmt: skip
    train.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    _common(train)
    train.set_defaults(run=commands.train)

    evaluate = sub.add_parser(
        "evaluate", help="loss and accuracy of a saved model on a test split",
        description="Evaluate a saved model on the test split of a dataset.",
    )  # fmt: skip
    evaluate.add_argument("model", metavar="MODEL", help="a .npil model file")
    _data_options(evaluate, "embedded-mnist")
    evaluate.add_argument("--batch-size", type=positive_int, default=500, metavar="N")
    evaluate.add_argument("--json", action="store_true", help="print the results as JSON")
    _common(evaluate)
    evaluate.set_defaults(run=commands.evaluate)

    predict = sub.add_parser(
        "predict", help="classify image files",
        description="Classify image files with a saved model; prints one line per image: the "
        "file name, the predicted class and its probability. For 28x28 gray models the image "
        "is prepared as MNIST digits were (neuropil.vision.load_digit) unless --prepare "
        "resize is given; other models get the whole picture resized.",
    )  # fmt: skip
    predict.add_argument("model", metavar="MODEL", help="a .npil model file")
    predict.add_argument("images", nargs="+", metavar="IMAGE",
                         help="image files (PNG, JPEG, ...)")  # fmt: skip
    predict.add_argument("--threshold", type=threshold, default=127, metavar="LEVEL",
                         help="ink/paper gray level, or 'otsu' for coloured or faint ink "
                         "(default: 127); digits only")  # fmt: skip
    predict.add_argument("--prepare", choices=("auto", "digit", "resize"), default="auto",
                         help="'digit': threshold, crop and centre the image as MNIST "
                         "digits were; 'resize': resize the whole picture to the model's input "
                         "(Fashion-MNIST, say); 'auto' (default): digit for 28x28 gray "
                         "models")  # fmt: skip
    _common(predict)
    predict.set_defaults(run=commands.predict)

    summary = sub.add_parser(
        "summary", help="the layers and training settings of a saved model",
        description="Print the layers, output shapes and parameter counts of a saved model, "
        "then its compile settings and epochs trained.",
    )  # fmt: skip
    summary.add_argument("model", metavar="MODEL", help="a .npil model file")
    _common(summary)
    summary.set_defaults(run=commands.summary)

    about = sub.add_parser(
        "info", help="versions, BLAS, threads and devices",
        description="Print neuropil's and NumPy's versions, NumPy's BLAS, the CPU cores and "
        "threads in use, the devices neuropil computes on, and the optional packages found.",
    )  # fmt: skip
    _common(about)
    about.set_defaults(run=info.run)
    return parser
