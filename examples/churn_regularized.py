"""Course note 003's bank-churn network with dropout and early stopping.

    python examples/churn_regularized.py [--data PATH/Churn_Modelling.csv] [--out figures] [--quick]

The preprocessing and the 11-7-6-1 network of ``bank_churn.py``, with ``Dropout(0.1)`` after each
hidden layer (as the notes add it) and ``EarlyStopping`` on the validation loss restoring the
best weights. Prints the test accuracy and confusion matrix beside the notes' and saves the
learning curves and the two confusion matrices side by side.
"""

import argparse
import os
import pathlib
import time

import numpy as np

import neuropil as npl
import neuropil.plot as nplt
from neuropil import callbacks, datasets, optimizers
from neuropil.layers import Dense, Dropout, Input
from neuropil.metrics import confusion_matrix
from neuropil.models import Sequential

NOTES_ACCURACY = 0.8585
NOTES_CONFUSION = [[1527, 68], [215, 190]]
DEFAULT_DATA = pathlib.Path(__file__).resolve().parents[2] / "shared/data/churn/Churn_Modelling.csv"


def build_model(rate=0.1):
    """11-7-6-1 ReLU network with dropout after each hidden layer, Adam at 0.01."""
    model = Sequential([Input((11,)), Dense(11, activation="relu"), Dropout(rate),
                        Dense(7, activation="relu"), Dropout(rate), Dense(6, activation="relu"),
                        Dropout(rate), Dense(1, activation="sigmoid")])  # fmt: skip
    model.compile(optimizer=optimizers.Adam(learning_rate=0.01), loss="binary_crossentropy",
                  metrics=["accuracy"])  # fmt: skip
    return model


def run(data=DEFAULT_DATA, out="figures", quick=False, seed=0, verbose=0):
    """Train, evaluate, draw; ``quick`` stops after 3 epochs. Returns a dict of outcomes."""
    out = pathlib.Path(out)
    out.mkdir(parents=True, exist_ok=True)
    npl.set_seed(seed)
    if not os.path.exists(data):
        raise SystemExit(
            f"No churn table at '{data}': pass --data PATH to Churn_Modelling.csv "
            "(the bank-churn data the course notes use)"
        )
    x_train, x_test, y_train, y_test = datasets.churn_preprocess(datasets.load_churn(data))
    model = build_model()
    stop = callbacks.EarlyStopping(monitor="val_loss", min_delta=1e-4, patience=20,
                                   restore_best_weights=True)  # fmt: skip
    start = time.perf_counter()
    history = model.fit(x_train, y_train, validation_split=0.33, batch_size=10,
                        epochs=3 if quick else 1000, callbacks=[stop], verbose=verbose)  # fmt: skip
    seconds = time.perf_counter() - start
    predicted = (model.predict(x_test, verbose=0)[:, 0] > 0.5).astype(int)
    confusion = confusion_matrix(y_test.astype(int), predicted)
    result = {"accuracy": float((predicted == y_test).mean()), "confusion": confusion.tolist(),
              "epochs": len(history.history["loss"]), "seconds": seconds,
              "figures": []}  # fmt: skip
    plt = nplt._common.pyplot()
    path = out / "churn_history.png"
    fig = nplt.history(history, path=path, title="Churn network with dropout 0.1: learning curves")
    plt.close(fig)
    result["figures"].append(path)
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.2), layout="constrained")
    names = ["stayed", "left"]
    nplt.confusion_matrix(y_test.astype(int), predicted, ax=axes[0], colorbar=False,
                          title=f"neuropil (accuracy {result['accuracy']:.4f})")  # fmt: skip
    notes = np.array(NOTES_CONFUSION)
    truth = np.repeat([0, 0, 1, 1], notes.ravel())
    guess = np.repeat([0, 1, 0, 1], notes.ravel())
    nplt.confusion_matrix(truth, guess, ax=axes[1], colorbar=False,
                          title=f"course notes (accuracy {NOTES_ACCURACY})")  # fmt: skip
    for ax in axes:
        ax.set_xticks([0, 1], names)
        ax.set_yticks([0, 1], names)
    path = out / "churn_confusion.png"
    fig.savefig(path, dpi=100, facecolor="white")
    plt.close(fig)
    result["figures"].append(path)
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(DEFAULT_DATA), help="path to Churn_Modelling.csv")
    parser.add_argument("--out", default="figures", help="folder for the PNG figures")
    parser.add_argument("--quick", action="store_true", help="3 epochs only")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    result = run(args.data, args.out, quick=args.quick, seed=args.seed)
    print(f"trained {result['epochs']} epochs in {result['seconds']:.1f} s (early stopping)")
    print(f"test accuracy     neuropil {result['accuracy']:.4f}   course notes {NOTES_ACCURACY}")
    print(f"confusion matrix  neuropil {result['confusion']}   course notes {NOTES_CONFUSION}")
    print("figures:", ", ".join(str(p) for p in result["figures"]))


if __name__ == "__main__":
    main()
