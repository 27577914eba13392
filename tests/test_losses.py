"""Loss objects: the name registry, (de)serialization and the one-time target checks."""

import json

import numpy as np
import pytest

import neuropil as npl
import neuropil.functional as F
from neuropil import losses
from neuropil.errors import ConfigError, LabelError, UnknownNameError

ALIASES = {
    "mse": losses.MeanSquaredError, "mean_squared_error": losses.MeanSquaredError,
    "MeanSquaredError": losses.MeanSquaredError,
    "mae": losses.MeanAbsoluteError, "mean_absolute_error": losses.MeanAbsoluteError,
    "MeanAbsoluteError": losses.MeanAbsoluteError,
    "huber": losses.Huber, "Huber": losses.Huber,
    "binary_crossentropy": losses.BinaryCrossentropy,
    "BinaryCrossentropy": losses.BinaryCrossentropy,
    "categorical_crossentropy": losses.CategoricalCrossentropy,
    "CategoricalCrossentropy": losses.CategoricalCrossentropy,
    "sparse_categorical_crossentropy": losses.SparseCategoricalCrossentropy,
    "SparseCategoricalCrossentropy": losses.SparseCategoricalCrossentropy,
}  # fmt: skip

CONFIGURED = [
    losses.MeanSquaredError(reduction="sum"),
    losses.MeanAbsoluteError(name="l1"),
    losses.Huber(delta=2.5),
    losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.1),
    losses.CategoricalCrossentropy(from_logits=True, reduction="none", label_smoothing=0.2),
    losses.SparseCategoricalCrossentropy(from_logits=True, name="scce"),
]

rng = np.random.default_rng(5)
PRED = rng.standard_normal((4, 3))
TARGETS = {
    "MeanSquaredError": rng.standard_normal((4, 3)),
    "MeanAbsoluteError": rng.standard_normal((4, 3)),
    "Huber": rng.standard_normal((4, 3)) * 3,
    "BinaryCrossentropy": rng.integers(0, 2, (4, 3)),
    "CategoricalCrossentropy": np.eye(3)[[0, 1, 2, 1]],
    "SparseCategoricalCrossentropy": np.array([0, 1, 2, 1]),
}


@pytest.mark.parametrize("name", sorted(ALIASES))
def test_get_resolves_names_and_class_names(name):
    loss = losses.get(name)
    assert type(loss) is ALIASES[name]
    assert loss.reduction == "sum_over_batch_size"


def test_get_passes_instances_and_wraps_callables():
    mine = losses.Huber(delta=3.0)
    assert losses.get(mine) is mine
    assert losses.get(None) is None
    assert type(losses.get(F.binary_crossentropy)) is losses.BinaryCrossentropy
    assert type(losses.get(losses.MeanAbsoluteError)) is losses.MeanAbsoluteError

    def squared_gap(y_true, y_pred):
        return ((y_pred - y_true) ** 2).sum(axis=-1)

    wrapped = losses.get(squared_gap)
    assert isinstance(wrapped, losses.LossFunctionWrapper) and wrapped.name == "squared_gap"
    pred = npl.Tensor(PRED, dtype="float64")
    expected = ((PRED - 1) ** 2).sum(-1) * [1, 2, 0, 1]
    value = wrapped(np.ones((4, 3)), pred, sample_weight=np.array([1, 2, 0, 1]))
    assert value.item() == pytest.approx(expected.sum() / 4)


def test_unknown_names_list_the_valid_ones():
    with pytest.raises(UnknownNameError, match="Unknown loss 'cross_entropy'.*mse.*Received"):
        losses.get("cross_entropy")
    with pytest.raises(ConfigError, match="Received: 3"):
        losses.get(3)
    with pytest.raises(UnknownNameError, match="'Focal'"):
        losses.deserialize({"class_name": "Focal", "config": {}})
    with pytest.raises(ConfigError, match="positive number for delta"):
        losses.Huber(delta=-1)
    with pytest.raises(ConfigError, match="reduction"):
        losses.MeanSquaredError(reduction="average")
    with pytest.raises(ConfigError, match=r"CategoricalCrossentropy expects label_smoothing in "
                                          r"\[0, 1\]. Received: 2"):  # fmt: skip
        losses.CategoricalCrossentropy(label_smoothing=2)


@pytest.mark.parametrize("loss", CONFIGURED, ids=lambda loss: type(loss).__name__)
def test_serialize_round_trip_keeps_config_and_values(loss):
    config = json.loads(json.dumps(losses.serialize(loss)))  # JSON-ready
    assert config["class_name"] == type(loss).__name__
    again = losses.deserialize(config)
    assert type(again) is type(loss) and again.get_config() == loss.get_config()
    assert type(loss).from_config(loss.get_config()).get_config() == loss.get_config()
    y, pred = TARGETS[type(loss).__name__], npl.Tensor(PRED, dtype="float64")
    np.testing.assert_array_equal(loss(y, pred).data, again(y, pred).data)


def test_serialize_and_deserialize_accept_names():
    assert losses.serialize("mse") == {
        "class_name": "MeanSquaredError",
        "config": {"name": "mean_squared_error", "reduction": "sum_over_batch_size"},
    }
    assert type(losses.deserialize("sparse_categorical_crossentropy")).__name__ == (
        "SparseCategoricalCrossentropy"
    )


def test_custom_function_round_trip_needs_custom_objects():
    def gap(y_true, y_pred):
        return (y_pred - y_true).abs()

    config = losses.serialize(gap)
    assert config["config"]["fn"] == "gap"
    restored = losses.deserialize(config, custom_objects={"gap": gap})
    assert restored.fn is gap
    with pytest.raises(UnknownNameError, match="gap"):
        losses.deserialize(config)


@pytest.mark.parametrize("loss", CONFIGURED, ids=lambda loss: type(loss).__name__)
def test_objects_match_the_functional_form(loss):
    y, weight = TARGETS[type(loss).__name__], np.array([1.0, 0.5, 2.0, 0.0])
    pred = npl.Tensor(PRED, requires_grad=True, dtype="float64")
    options = {k: v for k, v in loss.get_config().items() if k != "name"}
    direct = type(loss)._function(y, pred, sample_weight=weight, **options)
    np.testing.assert_array_equal(loss(y, pred, sample_weight=weight).data, direct.data)


# -- validate: run once on the whole target array before training ----------------------------
def _error(loss, y, output_shape):
    with pytest.raises(LabelError) as info:
        losses.get(loss).validate(y, output_shape)
    message = str(info.value)
    assert "Received:" in message
    return message


@pytest.mark.parametrize(
    "loss, y, output_shape",
    [
        ("mse", rng.standard_normal((5, 2)), (None, 2)),
        ("mse", rng.standard_normal(5), (None, 1)),
        ("mse", rng.standard_normal((5, 1)), (None,)),
        ("huber", rng.standard_normal((5, 2, 3)), (None, 2, 3)),
        ("binary_crossentropy", np.array([0, 1, 1, 0]), (None, 1)),
        ("binary_crossentropy", np.array([[0.0, 0.3, 1.0]]), (None, 3)),
        ("binary_crossentropy", np.array([True, False]), (None, 1)),
        ("categorical_crossentropy", np.eye(4)[[0, 3, 2]], (None, 4)),
        ("sparse_categorical_crossentropy", np.array([0, 9, 3]), (None, 10)),
        ("sparse_categorical_crossentropy", np.array([[0.0], [9.0]]), (None, 10)),
        ("sparse_categorical_crossentropy", np.array([0, 99]), (None, None)),
    ],
)
def test_valid_targets_pass(loss, y, output_shape):
    losses.get(loss).validate(y, output_shape)


def test_sparse_index_out_of_range_names_value_and_class_count():
    message = _error("sparse_categorical_crossentropy", np.array([0, 3, 10, 2]), (None, 10))
    assert "y_true[2] is 10" in message and "10 output classes" in message
    assert "[0, 9]" in message
    message = _error("sparse_categorical_crossentropy", np.array([[1], [-1]]), (None, 3))
    assert "y_true[1, 0] is -1" in message


def test_sparse_non_integer_labels():
    message = _error("sparse_categorical_crossentropy", np.array([0.0, 1.5, 2.0]), (None, 3))
    assert "integer class indices" in message and "y_true[1] is 1.5" in message


def test_sparse_given_one_hot_suggests_categorical():
    message = _error("sparse_categorical_crossentropy", np.eye(3)[[0, 2]], (None, 3))
    assert "one-hot" in message and "categorical_crossentropy" in message
    assert "(2, 3)" in message


def test_categorical_given_integer_labels_suggests_sparse():
    for y in (np.array([0, 2, 1]), np.array([[0], [2], [1]])):
        message = _error("categorical_crossentropy", y, (None, 3))
        assert "integer class labels" in message
        assert "sparse_categorical_crossentropy" in message and "one-hot" in message


def test_categorical_wrong_number_of_classes():
    message = _error("categorical_crossentropy", np.eye(4)[[0, 1]], (None, 3))
    assert "(N, 3)" in message and "(2, 4)" in message and "one unit per class" in message


@pytest.mark.parametrize("loss", ["binary_crossentropy", "categorical_crossentropy"])
def test_crossentropy_targets_outside_unit_interval(loss):
    y = np.array([[0.0, 1.0], [2.0, 0.0]]) if loss.startswith("c") else np.array([[1.0], [-1.0]])
    message = _error(loss, y, (None, y.shape[1]))
    assert "[0, 1]" in message
    assert ("y_true[1, 0] is 2.0" if loss.startswith("c") else "y_true[1, 0] is -1.0") in message


def test_binary_shape_that_cannot_match_the_output():
    message = _error("binary_crossentropy", np.zeros((8, 3)), (None, 1))
    assert "3 columns" in message and "(None, 1)" in message and "(8, 3)" in message


@pytest.mark.parametrize("loss", sorted(set(ALIASES)))
def test_nan_and_inf_targets_give_their_position(loss):
    y = np.zeros((4, 1))
    y[2, 0] = np.nan
    message = _error(loss, y, (None, 1))
    assert "y_true[2, 0] is nan" in message and "1 NaN or infinite" in message
    y[2, 0], y[3, 0] = 0.0, np.inf
    assert "y_true[3, 0] is inf" in _error(loss, y, (None, 1))


def test_regression_shape_mismatch_and_non_numeric_targets():
    message = _error("mse", np.zeros((5, 3)), (None, 2))
    assert "(N, 2)" in message and "(5, 3)" in message
    assert "numeric" in _error("binary_crossentropy", np.array(["yes", "no"]), (None, 1))


def test_validate_accepts_tensors_and_lists():
    losses.get("mse").validate(npl.Tensor(np.zeros((3, 2))), (None, 2))
    losses.get("sparse_categorical_crossentropy").validate([0, 1, 1], (None, 2))


class HalfSquares(losses.Loss):
    """A loss of the user's own, written as in Keras."""

    def call(self, y_true, y_pred):
        return ((y_pred - y_true) ** 2).mean(axis=-1) * 0.5


def _sparse_nll(y_true, y_pred):  # class indices of shape (N,) against (N, classes)
    picked = y_pred[np.arange(len(y_true)), np.asarray(y_true, dtype=int)]
    return -picked.log()


def test_keras_style_subclass_and_sparse_function_losses_train():
    from neuropil.layers import Dense, Input
    from neuropil.models import Sequential

    x = np.random.default_rng(0).normal(size=(12, 3)).astype(np.float32)
    y = x.sum(axis=1, keepdims=True)
    loss = HalfSquares()
    np.testing.assert_allclose(
        loss(y, npl.Tensor(y + 2), sample_weight=np.arange(12.0)).item(), 2 * np.arange(12.0).mean()
    )
    npl.set_seed(0)
    model = Sequential([Input((3,)), Dense(1)])
    model.compile(optimizer="adam", loss=loss)
    history = model.fit(x, y, epochs=5, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    labels = (x[:, 0] > 0).astype(int)  # shape (12,) against a (12, 2) softmax
    model = Sequential([Input((3,)), Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss=_sparse_nll)
    history = model.fit(x, labels, epochs=5, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    with pytest.raises(npl.errors.InvalidValueError, match="finite"):
        model.fit(x, np.full(12, np.nan), verbose=0)
