"""Course note 003's bank-churn network, trained with neuropil.

    python examples/bank_churn.py [--data PATH/Churn_Modelling.csv] [--seed 0]

Preprocessing as in the notes, an 11-7-6-1 ReLU network with a sigmoid output, Adam at the
learning rate the notes pass explicitly (0.01), early stopping on the validation loss, then the
test accuracy and confusion matrix printed beside the notes' own figures.
"""

import argparse
import os
import pathlib
import time

import neuropil as npl
from neuropil import callbacks, datasets, optimizers
from neuropil.layers import Dense, Input
from neuropil.metrics import confusion_matrix
from neuropil.models import Sequential

NOTES_ACCURACY = 0.8585
NOTES_CONFUSION = [[1527, 68], [215, 190]]
DEFAULT_DATA = pathlib.Path(__file__).resolve().parents[2] / "shared/data/churn/Churn_Modelling.csv"


def build_model():
    model = Sequential([Input((11,)), Dense(11, activation="relu"), Dense(7, activation="relu"),
                        Dense(6, activation="relu"), Dense(1, activation="sigmoid")])  # fmt: skip
    model.compile(optimizer=optimizers.Adam(learning_rate=0.01), loss="binary_crossentropy",
                  metrics=["accuracy"])  # fmt: skip
    return model


def run(data_path=DEFAULT_DATA, seed=0, epochs=1000, verbose=2):
    """Train and evaluate; returns a dict with accuracy, confusion matrix, epochs and seconds."""
    npl.set_seed(seed)
    if not os.path.exists(data_path):
        raise SystemExit(
            f"No churn table at '{data_path}': pass --data PATH to Churn_Modelling.csv "
            "(the bank-churn data the course notes use)"
        )
    x_train, x_test, y_train, y_test = datasets.churn_preprocess(datasets.load_churn(data_path))
    model = build_model()
    stop = callbacks.EarlyStopping(monitor="val_loss", min_delta=1e-4, patience=20,
                                   restore_best_weights=True)  # fmt: skip
    start = time.perf_counter()
    history = model.fit(x_train, y_train, validation_split=0.33, batch_size=10, epochs=epochs,
                        callbacks=[stop], verbose=verbose)  # fmt: skip
    seconds = time.perf_counter() - start
    predicted = (model.predict(x_test, verbose=0)[:, 0] > 0.5).astype(int)
    return {
        "accuracy": float((predicted == y_test).mean()),
        "confusion": confusion_matrix(y_test.astype(int), predicted).tolist(),
        "epochs": len(history.history["loss"]),
        "seconds": seconds,
        "model": model,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(DEFAULT_DATA), help="path to Churn_Modelling.csv")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--verbose", type=int, default=2)
    args = parser.parse_args()
    result = run(args.data, seed=args.seed, verbose=args.verbose)
    print(f"\ntrained {result['epochs']} epochs in {result['seconds']:.1f} s")
    print(f"test accuracy     neuropil {result['accuracy']:.4f}   course notes {NOTES_ACCURACY}")
    print(f"confusion matrix  neuropil {result['confusion']}   course notes {NOTES_CONFUSION}")


if __name__ == "__main__":
    main()
