"""The ``neuropil`` command: train, evaluate, predict, summary and info.

    neuropil train                       # the digit recognizer on the embedded MNIST images
    neuropil train --model mnist-mlp --epochs 5 --output runs/mlp
    neuropil evaluate runs/mlp/model.npil --dataset embedded-mnist
    neuropil predict runs/mlp/model.npil seven.png three.jpg
    neuropil summary runs/mlp/model.npil
    neuropil info

Every command takes ``--quiet`` (no progress, only results) and ``--debug`` (show tracebacks).
A bad argument prints one line ``neuropil: error: ...`` and exits with status 2; a failure while
running (a missing file, a model that does not fit the data) prints one such line and exits
with status 1. ``main`` returns the exit status instead of exiting, so it can be called from
Python:

>>> main(["--version"])
neuropil 0.1.0
0
"""

import os
import sys

from neuropil.cli.parser import build_parser

__all__ = ["main", "build_parser"]


def _message(exc):
    """One line describing ``exc`` for the user."""
    if isinstance(exc, OSError) and exc.filename and exc.strerror:
        text = f"{exc.strerror}: '{exc.filename}'"
    elif isinstance(exc, KeyError) and not str(exc).startswith("Unknown"):
        text = f"missing key {exc}"
    else:
        text = str(exc) or type(exc).__name__
    return " ".join(text.split())


def _silence_stdout():
    """Point stdout at /dev/null so the interpreter's final flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # not a real file (tests, notebooks)
        pass


def main(argv=None):
    """Run the command line ``argv`` (default ``sys.argv[1:]``); returns the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # --help, --version and usage errors end here
        return exit_.code if isinstance(exit_.code, int) else 0
    args.argv = list(sys.argv[1:] if argv is None else argv)
    if getattr(args, "run", None) is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(args.run(args) or 0)
    except BrokenPipeError:  # the reader went away (``neuropil info | head -1``): stop quietly
        _silence_stdout()
        return 1
    except KeyboardInterrupt:
        if args.debug:
            raise
        print("neuropil: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if args.debug:
            raise
        from neuropil.errors import NeuropilError

        expected = isinstance(exc, (NeuropilError, OSError, ImportError, ValueError))
        text = _message(exc)
        if not expected:
            text = f"unexpected {type(exc).__name__}: {text} (run again with --debug for details)"
        print(f"neuropil: error: {text}", file=sys.stderr)
        return 1
