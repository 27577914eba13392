"""What ``neuropil train``, ``evaluate``, ``predict`` and ``summary`` do.

Each function takes the parsed arguments, prints its results on stdout and returns the exit
status; errors propagate to ``neuropil.cli.main``, which turns them into one line on stderr.
Progress goes through ``fit``'s own display: a tqdm bar per epoch on a terminal, one plain line
per epoch otherwise, nothing with ``--quiet``.
"""

import contextlib
import math
import os
import shlex
import sys
import time

import numpy as np

from neuropil import losses
from neuropil.cli import data, report
from neuropil.errors import ConfigError, ShapeError


def stdout_is_terminal():
    """Whether results go to a terminal (where a progress bar makes sense)."""
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False


def _say(args, text):
    if not args.quiet:
        print(text, flush=True)


def _load_data(args, train=True):
    name = args.dataset
    _say(args, f"Loading {name}: {data.DATASETS[name][1]}")
    (x_train, y_train), (x_test, y_test) = data.load_dataset(
        name, data_dir=args.data_dir, download=not args.no_download
    )
    if args.limit:
        if train:
            x_train, y_train = x_train[: args.limit], y_train[: args.limit]
        else:
            x_test, y_test = x_test[: args.limit], y_test[: args.limit]
    return (x_train, y_train), (x_test, y_test)


def threads(limit):
    """A context limiting the BLAS thread pools to ``limit`` threads (None: no change)."""
    if limit is None:
        return contextlib.nullcontext()
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        raise ImportError("--threads needs threadpoolctl: pip install neuropil[cli]") from None
    return threadpool_limits(limits=limit)


def _load_model(path):
    from neuropil.models import load_model

    if not os.path.exists(path):
        raise FileNotFoundError(f"No model file at '{path}'")
    return load_model(path)


def _fitted(model, x, dataset):
    """``x`` in the model's input shape: images are reshaped when only the layout differs
    (a model taking 784 values or 28x28 arrays gets MNIST's 28x28x1 images flattened or
    squeezed, as its own training data was); other shapes are a ShapeError."""
    expected = tuple(model.input_shape or ())
    if tuple(x.shape[1:]) == expected:
        return x
    if expected and math.prod(expected) == math.prod(x.shape[1:]):
        return x.reshape(len(x), *expected)
    raise ShapeError(
        f"The model expects inputs of shape {expected} but the dataset '{dataset}' has "
        f"images of shape {tuple(x.shape[1:])}. Received: --dataset {dataset}"
    )


def _labels_for(model, y):
    """Class indices as the model's loss wants them: one-hot rows for categorical_crossentropy."""
    if getattr(model.loss, "kind", None) == "categorical_crossentropy":
        return np.eye(model.output_shape[-1], dtype=np.float32)[y]
    return y


def _compile(model, args, compile_config, learning_rate):
    """Compile for class labels; a config's saved optimizer is kept unless --optimizer is given."""
    from neuropil import optimizers

    saved = (compile_config or {}).get("optimizer")
    if args.optimizer is None and saved:
        spec = {"class_name": saved["class_name"], "config": dict(saved.get("config", {}))}
        if args.learning_rate is not None:
            spec["config"]["learning_rate"] = args.learning_rate
        optimizer = optimizers.deserialize(spec)
    else:
        optimizer = type(optimizers.get(args.optimizer or "adam"))(learning_rate=learning_rate)
    from_logits = not _outputs_probabilities(model)
    loss = losses.SparseCategoricalCrossentropy(from_logits=from_logits)
    model.compile(optimizer=optimizer, loss=loss, metrics=["accuracy"])
    return optimizer


def _outputs_probabilities(model):
    """Whether the model's last layer gives probabilities (softmax or sigmoid); a linear last
    layer gives logits (scores), which the loss and ``predict`` must turn into probabilities."""
    from neuropil.layers import Softmax

    last = model.layers[-1] if model.layers else None
    return isinstance(last, Softmax) or getattr(last, "_activation_name", None) in (
        "softmax", "sigmoid")  # fmt: skip


def _probabilities(model, scores):
    """One row of ``predict`` output as class probabilities: softmax (or sigmoid for one unit)
    of a model that outputs logits; a one-unit output becomes [P(0), P(1)]."""
    scores = np.asarray(scores, dtype=np.float64)
    if not _outputs_probabilities(model):
        if scores.shape == (1,):
            scores = 1 / (1 + np.exp(-scores))
        else:
            scores = np.exp(scores - scores.max())
            scores /= scores.sum()
    if scores.shape == (1,):
        scores = np.array([1 - scores[0], scores[0]])
    return scores


def _rate(value, number=False):
    if isinstance(value, (int, float)):
        return float(value) if number else f"{value:g}"
    return type(value).__name__  # a schedule


def _output_folder(args, model_name):
    folder = args.output
    if folder is None:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        folder = base = os.path.join("runs", f"{model_name}-{stamp}")
        suffix = 1
        while os.path.exists(folder):
            folder, suffix = f"{base}-{suffix}", suffix + 1
    if os.path.exists(folder) and not os.path.isdir(folder):
        raise FileExistsError(f"--output '{folder}' exists and is not a folder")
    earlier = [name for name in _RUN_FILES if os.path.exists(os.path.join(folder, name))]
    if earlier and not args.overwrite:
        raise FileExistsError(
            f"--output '{folder}' already holds a run ({', '.join(earlier)}); choose another "
            "folder, or pass --overwrite to replace it"
        )
    for name in earlier:  # --overwrite: no file of the old run stays beside the new one
        os.remove(os.path.join(folder, name))
    created = not os.path.isdir(folder)
    os.makedirs(folder, exist_ok=True)
    return folder, created


@contextlib.contextmanager
def _cleaned_on_failure(folder, created):
    """If what runs inside fails before an epoch is written, leave no trace of the run: its
    empty history.csv goes, and the folder too when this run made it and nothing else is in it."""
    try:
        yield
    except BaseException:
        history = os.path.join(folder, "history.csv")
        with contextlib.suppress(OSError):
            if os.path.getsize(history) == 0:
                os.remove(history)
        if created:
            with contextlib.suppress(OSError):
                os.rmdir(folder)  # only succeeds when the folder is empty
        raise


# what a run folder holds (report.write_run writes the last three)
_RUN_FILES = ("model.npil", "history.csv", "metrics.json", "loss.png", "accuracy.png",
              "confusion_matrix.png")  # fmt: skip


def train(args):
    """``neuropil train``: fit a model, evaluate it on the test split, write the run folder."""
    with threads(args.threads):
        return _train(args)


def _train(args):
    import neuropil as npl
    from neuropil.callbacks import CSVLogger

    npl.set_seed(args.seed)
    config = compile_config = None
    if args.config:
        config, compile_config = data.read_config(args.config)
    (x_train, y_train), (x_test, y_test) = _load_data(args, train=True)
    classes = int(max(y_train.max(initial=0), y_test.max(initial=0))) + 1
    if config is not None:
        model = data.build_from_config(config, x_train.shape[1:], args.config)
        model_name, default_epochs, default_lr = model.name, 10, 0.001
    else:
        model_name = args.model or "mnist-cnn"
        try:
            model = data.build_preset(model_name, x_train.shape[1:], classes)
        except ShapeError as exc:
            raise ShapeError(f"The preset '{model_name}' does not fit the images of "
                             f"'{args.dataset}', of shape {x_train.shape[1:]} (try --model "
                             f"mnist-mlp): {exc}") from None  # fmt: skip
        _, default_epochs, default_lr, _ = data.PRESETS[model_name]
    x_train, x_test = _fitted(model, x_train, args.dataset), _fitted(model, x_test, args.dataset)
    epochs = args.epochs or default_epochs
    learning_rate = args.learning_rate or default_lr
    optimizer = _compile(model, args, compile_config, learning_rate)
    held_out = len(x_train) - math.floor(len(x_train) * (1 - args.validation_split))
    if args.validation_split and held_out in (0, len(x_train)):
        raise ConfigError(f"--validation-split {args.validation_split} leaves no images on one "
                          f"side of {len(x_train)} training images")  # fmt: skip
    folder, created = _output_folder(args, model_name)
    _say(args, f"Training {model_name} ({model.count_params():,} parameters) on "
         f"{len(x_train) - held_out:,} images ({held_out:,} held out for validation) for "
         f"{epochs} epochs, batch size {args.batch_size}, {type(optimizer).__name__} "
         f"learning rate {_rate(optimizer.learning_rate)}")  # fmt: skip
    start = time.perf_counter()
    with _cleaned_on_failure(folder, created):
        history = model.fit(
            x_train, y_train, batch_size=args.batch_size, epochs=epochs,
            validation_split=args.validation_split, verbose=0 if args.quiet else "auto",
            callbacks=[CSVLogger(os.path.join(folder, "history.csv"))],
        )  # fmt: skip
    seconds = time.perf_counter() - start
    loss, accuracy = model.evaluate(x_test, y_test, batch_size=500, verbose=0)
    predicted = model.predict(x_test, batch_size=500, verbose=0).argmax(axis=1)
    model.save(os.path.join(folder, "model.npil"))
    run = {
        "command": shlex.join(["neuropil", *args.argv]),
        "dataset": args.dataset, "model": args.config or model_name, "epochs": epochs,
        "batch_size": args.batch_size, "optimizer": type(optimizer).__name__,
        "learning_rate": _rate(optimizer.learning_rate, number=True),
        "validation_split": args.validation_split,
        "seed": args.seed, "train_images": len(x_train) - held_out,
        "validation_images": held_out, "test_images": len(x_test),
        "train_seconds": round(seconds, 3), "test_loss": float(loss),
        "test_accuracy": float(accuracy),
    }  # fmt: skip
    written = report.write_run(folder, run, history.history, y_test, predicted, classes,
                               plots=not args.no_plots)  # fmt: skip
    print(f"test accuracy: {accuracy:.4f} (loss {loss:.4f}) on {len(x_test):,} test images, "
          f"after {seconds:.1f} s of training")  # fmt: skip
    print(f"run folder: {folder} ({', '.join(written)})")
    return 0


def evaluate(args):
    """``neuropil evaluate MODEL``: loss and metrics on a dataset's test split."""
    with threads(args.threads):
        return _evaluate(args)


def _evaluate(args):
    if args.json:
        args.quiet = True  # stdout carries the JSON document alone
    model = _load_model(args.model)
    _, (x_test, y_test) = _load_data(args, train=False)
    x_test = _fitted(model, x_test, args.dataset)
    if not model.compiled or model.loss is None:
        loss = losses.SparseCategoricalCrossentropy(from_logits=not _outputs_probabilities(model))
        model.compile(optimizer="adam", loss=loss, metrics=["accuracy"])
    y_test = _labels_for(model, y_test)
    verbose = 1 if stdout_is_terminal() and not args.quiet else 0
    results = model.evaluate(x_test, y_test, batch_size=args.batch_size, verbose=verbose,
                             return_dict=True)  # fmt: skip
    results = {key: float(value) for key, value in results.items()}
    if args.json:
        import json

        print(json.dumps({"model": args.model, "dataset": args.dataset,
                          "images": len(x_test), **results}))  # fmt: skip
    else:
        for key, value in results.items():
            print(f"{key}: {value:.4f}")
        _say(args, f"({len(x_test):,} test images of {args.dataset})")
    return 0


_DIGIT_SHAPES = ((28, 28), (28, 28, 1), (784,))  # what a model trained on MNIST takes


def _reader(model, threshold, prepare="auto"):
    """A function path -> model input for ``model``'s input shape: ``prepare="digit"`` makes
    an MNIST-style digit (``vision.load_digit``), ``"resize"`` resizes the whole picture,
    ``"auto"`` chooses digit for the 28x28 gray shapes only."""
    from neuropil import vision

    shape = tuple(model.input_shape or ())
    if prepare == "auto":
        prepare = "digit" if shape in _DIGIT_SHAPES else "resize"
    if prepare == "digit":
        if shape not in _DIGIT_SHAPES:
            raise ShapeError(f"--prepare digit makes 28x28 gray digits, which this model does "
                             f"not take. Received: a model with input shape {shape}")  # fmt: skip
        return lambda path: vision.load_digit(path, threshold=threshold).reshape(shape)
    if len(shape) == 3 and shape[2] in (1, 3):
        return lambda path: vision.load_image(path, shape[:2], channels=shape[2])
    if shape in _DIGIT_SHAPES:  # flat or channel-less 28x28 gray input, resized as it is
        return lambda path: vision.load_image(path, (28, 28)).reshape(shape)
    raise ShapeError(f"predict reads images for models with inputs (height, width, 1 or 3) "
                     f"or 28x28 digits. Received: a model with input shape {shape}")  # fmt: skip


def predict(args):
    """``neuropil predict MODEL IMAGE...``: one line per image: name, class, probability."""
    model = _load_model(args.model)
    read = _reader(model, args.threshold, args.prepare)
    failures = 0
    for path in args.images:
        try:
            x = read(path)[None]
        except (OSError, ValueError) as exc:  # one bad file does not stop the others
            from neuropil.cli import _message

            print(f"neuropil: error: {_message(exc)}", file=sys.stderr, flush=True)
            failures += 1
            continue
        scores = _probabilities(model, model.predict(x, verbose=0)[0])
        best = int(np.argmax(scores))
        print(f"{path} {best} {float(scores[best]):.4f}", flush=True)
    return 1 if failures else 0


def summary(args):
    """``neuropil summary MODEL``: the layer table, compile settings and epochs trained."""
    from neuropil import optimizers

    model = _load_model(args.model)
    model.summary()
    if model.compiled:
        spec = optimizers.serialize(model.optimizer)
        rate = f" (learning rate {_rate(model.optimizer.learning_rate)})"
        loss = getattr(model.loss, "name", type(model.loss).__name__)
        if getattr(model.loss, "from_logits", False):
            loss += " (from logits)"
        metrics = ", ".join(m if isinstance(m, str) else m.name for m in model._metric_specs)
        print(f"Optimizer: {spec['class_name']}{rate}")
        print(f"Loss: {loss}" + (f"; metrics: {metrics}" if metrics else ""))
    else:
        print("Not compiled (saved without optimizer and loss)")
    print(f"Epochs trained: {model.epochs_trained}")
    return 0
