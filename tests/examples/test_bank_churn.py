"""Course note 003's bank-churn case study on the real CSV: accuracy at least 0.85."""

import pytest

from tests.examples.loader import load_example


@pytest.mark.parametrize("seed", [0, 1])
def test_churn_network_reaches_the_notes_accuracy(shared_data, seed, capsys):
    pytest.importorskip("pandas")
    pytest.importorskip("sklearn")
    example = load_example("bank_churn")
    result = example.run(shared_data / "churn" / "Churn_Modelling.csv", seed=seed, verbose=0)
    confusion = result["confusion"]
    with capsys.disabled():
        print(
            f"\nchurn seed {seed}: accuracy {result['accuracy']:.4f} "
            f"(notes {example.NOTES_ACCURACY}), confusion {confusion} "
            f"(notes {example.NOTES_CONFUSION}), {result['epochs']} epochs"
        )
    assert result["accuracy"] >= 0.85
    assert sum(map(sum, confusion)) == 2000  # the 20% test split of 10,000 rows
    assert sum(confusion[1]) == 405  # as in the notes: 215 + 190 churners in the test split
    assert result["epochs"] < 1000  # early stopping ended the run
