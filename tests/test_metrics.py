"""Metrics against scikit-learn on random data, accumulated over uneven batches."""

import numpy as np
import pytest
import sklearn.metrics as skm

import neuropil as npl
from neuropil import metrics
from neuropil.errors import ConfigError, LabelError, ShapeError, UnknownNameError
from neuropil.metrics.accuracy import _AccuracyByShape

BATCHES = (7, 1, 30, 12, 50)  # uneven sizes; sums to 100
N = sum(BATCHES)


def _slices():
    start = 0
    for size in BATCHES:
        yield slice(start, start + size)
        start += size


def _accumulate(metric, y_true, y_pred, weights=None):
    for s in _slices():
        metric.update_state(y_true[s], y_pred[s], None if weights is None else weights[s])
    return metric.result()


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture(params=[False, True], ids=["unweighted", "weighted"])
def weights(request, rng):
    return rng.uniform(0.0, 2.0, size=N) if request.param else None


def _binary_data(rng):
    y = rng.integers(0, 2, size=N)
    p = np.clip(0.3 * y + rng.uniform(0, 0.7, size=N), 0, 1)  # informative, not perfect
    return y, p


# -- the mean family ------------------------------------------------------------------------


def test_mean_is_weighted_running_mean(rng, weights):
    values = rng.normal(size=N)
    m = metrics.Mean()
    for s in _slices():
        m.update_state(values[s], None if weights is None else weights[s])
    assert m.result() == pytest.approx(np.average(values, weights=weights), rel=1e-12)
    assert isinstance(m.result(), float) and m.name == "mean"


def test_mean_of_batch_losses_weighted_by_batch_size():
    m = metrics.Mean(name="loss")
    m.update_state(2.0, sample_weight=3)
    m.update_state(np.float32(4.0), sample_weight=1)
    assert m.result() == pytest.approx(2.5)


@pytest.mark.parametrize("threshold", [0.5, 0.3])
def test_binary_accuracy(rng, weights, threshold):
    y, p = _binary_data(rng)
    got = _accumulate(metrics.BinaryAccuracy(threshold), y, p[:, None], weights)
    want = skm.accuracy_score(y, p > threshold, sample_weight=weights)
    assert got == pytest.approx(want, abs=1e-12)


def test_binary_accuracy_multi_output_scores_fraction_per_sample(rng, weights):
    y = rng.integers(0, 2, size=(N, 3))
    p = rng.uniform(size=(N, 3))
    got = _accumulate(metrics.BinaryAccuracy(), y, p, weights)
    per_sample = ((p > 0.5) == y).mean(axis=1)
    assert got == pytest.approx(np.average(per_sample, weights=weights), abs=1e-12)


def test_categorical_accuracy(rng, weights):
    labels = rng.integers(0, 4, size=N)
    probs = rng.dirichlet(np.ones(4), size=N).astype(np.float32)
    got = _accumulate(metrics.CategoricalAccuracy(), np.eye(4)[labels], probs, weights)
    want = skm.accuracy_score(labels, probs.argmax(1), sample_weight=weights)
    assert got == pytest.approx(want, abs=1e-12)


@pytest.mark.parametrize("label_shape", ["flat", "column"])
def test_sparse_categorical_accuracy(rng, weights, label_shape):
    labels = rng.integers(0, 5, size=N)
    probs = rng.dirichlet(np.ones(5), size=N)
    y = labels if label_shape == "flat" else labels[:, None]
    got = _accumulate(metrics.SparseCategoricalAccuracy(), y, probs, weights)
    want = skm.accuracy_score(labels, probs.argmax(1), sample_weight=weights)
    assert got == pytest.approx(want, abs=1e-12)


@pytest.mark.parametrize(
    "cls, reference",
    [(metrics.MeanAbsoluteError, skm.mean_absolute_error),
     (metrics.MeanSquaredError, skm.mean_squared_error)],
)  # fmt: skip
@pytest.mark.parametrize("outputs", [None, 1, 3])
def test_regression_metrics(rng, weights, cls, reference, outputs):
    shape = (N,) if outputs is None else (N, outputs)
    y, p = rng.normal(size=shape), rng.normal(size=shape)
    got = _accumulate(cls(), y, p, weights)
    assert got == pytest.approx(reference(y, p, sample_weight=weights), rel=1e-10)


def test_regression_lines_up_flat_labels_with_column_predictions(rng):
    y, p = rng.normal(size=N), rng.normal(size=(N, 1))
    got = _accumulate(metrics.MeanAbsoluteError(), y, p)
    assert got == pytest.approx(skm.mean_absolute_error(y, p[:, 0]), rel=1e-10)


# -- confusion-count metrics ----------------------------------------------------------------


@pytest.mark.parametrize(
    "cls, reference", [(metrics.Precision, skm.precision_score), (metrics.Recall, skm.recall_score)]
)
@pytest.mark.parametrize("threshold", [0.5, 0.65])
def test_precision_recall(rng, weights, cls, reference, threshold):
    y, p = _binary_data(rng)
    got = _accumulate(cls(thresholds=threshold), y[:, None], p[:, None], weights)
    assert got == pytest.approx(reference(y, p > threshold, sample_weight=weights), abs=1e-12)


@pytest.mark.parametrize(
    "cls, reference", [(metrics.Precision, skm.precision_score), (metrics.Recall, skm.recall_score)]
)
def test_precision_recall_list_of_thresholds_keeps_order(rng, cls, reference):
    y, p = _binary_data(rng)
    thresholds = [0.7, 0.2, 0.5]
    got = _accumulate(cls(thresholds=thresholds), y, p)
    assert isinstance(got, list) and len(got) == 3
    for value, t in zip(got, thresholds, strict=True):
        assert value == pytest.approx(reference(y, p > t), abs=1e-12)


def test_precision_recall_are_zero_without_positives():
    assert metrics.Precision()([1, 0, 1], [0.1, 0.2, 0.3]) == 0.0
    assert metrics.Recall()([0, 0, 0], [0.9, 0.2, 0.3]) == 0.0


def test_auc_close_to_sklearn(rng, weights):
    y, p = _binary_data(rng)
    got = _accumulate(metrics.AUC(), y, p[:, None], weights)
    assert got == pytest.approx(skm.roc_auc_score(y, p, sample_weight=weights), abs=1e-2)


def test_auc_is_exact_auc_of_bucketed_predictions(rng, weights):
    y, p = _binary_data(rng)
    m = metrics.AUC(num_thresholds=11)  # coarse on purpose: the bucketing is what we check
    got = _accumulate(m, y, p, weights)
    edges = np.concatenate([[-1e-7], np.arange(1, 10) / 10, [1 + 1e-7]])
    buckets = np.searchsorted(edges, p, side="left")
    assert got == pytest.approx(skm.roc_auc_score(y, buckets, sample_weight=weights), abs=1e-12)
    assert abs(got - skm.roc_auc_score(y, p, sample_weight=weights)) > 1e-6  # it is approximate


def test_auc_from_logits_matches_probabilities(rng):
    y, p = _binary_data(rng)
    p = np.clip(p, 1e-3, 1 - 1e-3)
    logits = np.log(p / (1 - p))
    by_logits = _accumulate(metrics.AUC(from_logits=True), y, logits)
    assert by_logits == pytest.approx(_accumulate(metrics.AUC(), y, p), abs=1e-12)


def test_auc_perfect_and_reversed():
    y = np.array([0, 0, 1, 1])
    assert metrics.AUC()(y, [0.1, 0.2, 0.8, 0.9]) == pytest.approx(1.0)
    assert metrics.AUC()(y, [0.9, 0.8, 0.2, 0.1]) == pytest.approx(0.0)


@pytest.mark.parametrize("cls", [metrics.Precision, metrics.Recall, metrics.AUC])
def test_confusion_metrics_reject_non_binary_labels(cls):
    with pytest.raises(LabelError, match="Received"):
        cls().update_state([0, 2, 1], [0.1, 0.5, 0.9])


# -- state, config, inputs ------------------------------------------------------------------


ALL = [
    (metrics.BinaryAccuracy, lambda r: (r.integers(0, 2, (20, 1)), r.uniform(size=(20, 1)))),
    (metrics.CategoricalAccuracy, lambda r: (np.eye(3)[r.integers(0, 3, 20)], r.uniform(size=(20, 3)))),  # noqa: E501
    (metrics.SparseCategoricalAccuracy, lambda r: (r.integers(0, 3, 20), r.uniform(size=(20, 3)))),
    (metrics.MeanAbsoluteError, lambda r: (r.normal(size=(20, 2)), r.normal(size=(20, 2)))),
    (metrics.MeanSquaredError, lambda r: (r.normal(size=(20, 2)), r.normal(size=(20, 2)))),
    (metrics.Precision, lambda r: (r.integers(0, 2, 20), r.uniform(size=20))),
    (metrics.Recall, lambda r: (r.integers(0, 2, 20), r.uniform(size=20))),
    (metrics.AUC, lambda r: (r.integers(0, 2, 20), r.uniform(size=20))),
]  # fmt: skip


@pytest.mark.parametrize("cls, make", ALL, ids=[c.__name__ for c, _ in ALL])
def test_reset_state_forgets_earlier_batches(rng, cls, make):
    first, second = make(rng), make(rng)
    m = cls()
    m.update_state(*first)
    m.reset_state()
    m.update_state(*second)
    fresh = cls()
    fresh.update_state(*second)
    assert m.result() == fresh.result()
    m.reset_state()
    assert m.result() == 0.0


@pytest.mark.parametrize("cls, make", ALL, ids=[c.__name__ for c, _ in ALL])
def test_float32_and_tensor_inputs_give_the_same_result(rng, cls, make):
    y, p = make(rng)
    reference = cls()(y, p)
    assert cls()(y, p.astype(np.float32)) == pytest.approx(reference, abs=1e-6)
    assert cls()(npl.Tensor(y), npl.Tensor(p)) == pytest.approx(reference, abs=1e-6)


@pytest.mark.parametrize(
    "metric",
    [metrics.BinaryAccuracy(0.3, name="ba"), metrics.Precision([0.2, 0.4]), metrics.Recall(0.1),
     metrics.AUC(num_thresholds=50, from_logits=True), metrics.Mean(name="loss"),
     metrics.MeanSquaredError(name="mse"), metrics.Precision(top_k=2, class_id=1),
     metrics.Recall(0.4, 3), metrics.AUC(multi_label=True, num_labels=3, label_weights=[1, 0, 2]),
     metrics.AUC(curve="PR", thresholds=[0.7, 0.2], label_weights=[1, 2])],
)  # fmt: skip
def test_get_config_round_trips(metric):
    rebuilt = type(metric).from_config(metric.get_config())
    assert rebuilt.get_config() == metric.get_config()
    assert rebuilt.name == metric.name


def test_bad_sample_weight_raises_before_changing_state():
    m = metrics.BinaryAccuracy()
    m.update_state([1, 0], [0.9, 0.1])
    with pytest.raises(ShapeError, match="sample_weight"):
        m.update_state([1, 0, 1], [0.9, 0.1, 0.2], sample_weight=[1.0, 2.0])
    assert m.result() == 1.0


@pytest.mark.parametrize(
    "cls, y_true, y_pred",
    [(metrics.BinaryAccuracy, np.zeros(4), np.zeros((3, 1))),
     (metrics.CategoricalAccuracy, np.zeros(4), np.zeros((4, 3))),
     (metrics.SparseCategoricalAccuracy, np.zeros((4, 2)), np.zeros((4, 3))),
     (metrics.MeanSquaredError, np.zeros((4, 2)), np.zeros((4, 3))),
     (metrics.AUC, np.zeros(5), np.zeros(4))],
)  # fmt: skip
def test_shape_mismatch_is_a_clear_error(cls, y_true, y_pred):
    with pytest.raises(ShapeError, match=r"y_true.*Received"):
        cls().update_state(y_true, y_pred)


@pytest.mark.parametrize(
    "make",
    [lambda: metrics.AUC(num_thresholds=1), lambda: metrics.AUC(num_thresholds=2.5),
     lambda: metrics.Precision(thresholds=[]), lambda: metrics.Recall(thresholds="high"),
     lambda: metrics.BinaryAccuracy(threshold=float("nan")),
     lambda: metrics.Precision(top_k=0), lambda: metrics.Recall(top_k=1.0),
     lambda: metrics.Precision(class_id=-1), lambda: metrics.Recall(class_id=True)],
)  # fmt: skip
def test_bad_constructor_arguments(make):
    with pytest.raises(ConfigError, match="Received"):
        make()


# -- get ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "loss, shape, expected",
    [("binary_crossentropy", None, metrics.BinaryAccuracy),
     ("binary_crossentropy", (None, 3), metrics.BinaryAccuracy),
     ("mse", (None, 1), metrics.BinaryAccuracy),
     ("sparse_categorical_crossentropy", (None, 10), metrics.SparseCategoricalAccuracy),
     ("categorical_crossentropy", (None, 10), metrics.CategoricalAccuracy),
     (None, (10,), _AccuracyByShape),
     (None, None, _AccuracyByShape)],
)  # fmt: skip
@pytest.mark.parametrize("name", ["accuracy", "acc"])
def test_get_accuracy_variant(loss, shape, expected, name):
    m = metrics.get(name, loss_name=loss, output_shape=shape)
    assert type(m) is expected
    assert m.name == name  # Keras names a metric by the string it was given


def test_get_accuracy_reads_loss_objects():
    class BinaryCrossentropy:  # stands in for neuropil.losses.BinaryCrossentropy
        from_logits = True

    m = metrics.get("accuracy", loss_name=BinaryCrossentropy())
    assert type(m) is metrics.BinaryAccuracy and m.threshold == 0.0

    def sparse_categorical_crossentropy(y_true, y_pred):
        return 0.0

    m = metrics.get("accuracy", loss_name=sparse_categorical_crossentropy)
    assert type(m) is metrics.SparseCategoricalAccuracy


def test_get_from_logits():
    assert metrics.get("accuracy", output_shape=(1,), from_logits=True).threshold == 0.0
    assert metrics.get("binary_accuracy", from_logits=True).threshold == 0.0
    assert metrics.get("accuracy", output_shape=(1,)).threshold == 0.5
    assert metrics.get("precision", from_logits=True).thresholds == 0.0
    assert metrics.get("auc", from_logits=True).from_logits is True
    # logits thresholded at 0 agree with sigmoid probabilities thresholded at 0.5
    logits = np.array([[-2.0], [0.3], [1.5], [-0.1]])
    y = np.array([0, 0, 1, 1])
    probs = 1 / (1 + np.exp(-logits))
    by_logits = metrics.get("accuracy", loss_name="binary_crossentropy", from_logits=True)
    assert by_logits(y, logits) == metrics.BinaryAccuracy()(y, probs) == 0.5


@pytest.mark.parametrize(
    "name, cls",
    [("binary_accuracy", metrics.BinaryAccuracy),
     ("categorical_accuracy", metrics.CategoricalAccuracy),
     ("sparse_categorical_accuracy", metrics.SparseCategoricalAccuracy),
     ("precision", metrics.Precision), ("recall", metrics.Recall), ("auc", metrics.AUC),
     ("mae", metrics.MeanAbsoluteError), ("mean_absolute_error", metrics.MeanAbsoluteError),
     ("mse", metrics.MeanSquaredError), ("mean_squared_error", metrics.MeanSquaredError)],
)  # fmt: skip
def test_get_names(name, cls):
    m = metrics.get(name)
    assert type(m) is cls and m.name == name


def test_default_names_follow_keras():
    assert [c().name for c, _ in ALL] == [
        "binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy",
        "mean_absolute_error", "mean_squared_error", "precision", "recall", "auc",
    ]  # fmt: skip


def test_get_passes_instances_classes_and_functions():
    m = metrics.Recall(0.2)
    assert metrics.get(m) is m
    assert type(metrics.get(metrics.AUC)) is metrics.AUC

    def within_one(y_true, y_pred):
        return np.abs(np.asarray(y_true) - np.asarray(y_pred)) <= 1

    wrapped = metrics.get(within_one)
    assert wrapped.name == "within_one"
    assert wrapped([0, 0, 0, 0], [0, 1, 2, 3], sample_weight=[1, 1, 1, 0]) == pytest.approx(2 / 3)


def test_get_unknown_name():
    with pytest.raises(UnknownNameError, match=r"Unknown metric 'acuracy'.*Received: 'acuracy'"):
        metrics.get("acuracy")
    with pytest.raises(KeyError):
        metrics.get("f1")
    with pytest.raises(ConfigError, match="Received: 3"):
        metrics.get(3)


# -- confusion_matrix -----------------------------------------------------------------------


def test_confusion_matrix_labels(rng):
    y, p = rng.integers(0, 4, 200), rng.integers(0, 4, 200)
    got = metrics.confusion_matrix(y, p)
    assert got.dtype == np.int64
    np.testing.assert_array_equal(got, skm.confusion_matrix(y, p))


def test_confusion_matrix_probabilities_and_one_hot(rng):
    y = rng.integers(0, 5, 150)
    probs = rng.dirichlet(np.ones(5), size=150).astype(np.float32)
    want = skm.confusion_matrix(y, probs.argmax(1), labels=np.arange(5))
    np.testing.assert_array_equal(metrics.confusion_matrix(y, probs), want)
    np.testing.assert_array_equal(metrics.confusion_matrix(np.eye(5)[y], probs), want)
    np.testing.assert_array_equal(metrics.confusion_matrix(y[:, None], probs), want)


def test_confusion_matrix_single_probability_column(rng):
    y, p = _binary_data(rng)
    want = skm.confusion_matrix(y, p > 0.5, labels=[0, 1])
    np.testing.assert_array_equal(metrics.confusion_matrix(y, p[:, None]), want)
    np.testing.assert_array_equal(metrics.confusion_matrix(y.astype(float), p), want)
    # one class only in the labels, yet a probability column still means two classes
    np.testing.assert_array_equal(metrics.confusion_matrix([0, 0], [0.2, 0.7]), [[1, 1], [0, 0]])


def test_confusion_matrix_num_classes_larger_than_present(rng):
    y, p = rng.integers(0, 3, 60), rng.integers(0, 3, 60)
    got = metrics.confusion_matrix(y, p, num_classes=6)
    assert got.shape == (6, 6) and got[3:].sum() == 0 and got[:, 3:].sum() == 0
    np.testing.assert_array_equal(got, skm.confusion_matrix(y, p, labels=np.arange(6)))


@pytest.mark.parametrize(
    "y_true, y_pred, kwargs, error, match",
    [([0, 1, 2], [0, 1], {}, ShapeError, "same number of samples"),
     ([0, -1, 2], [0, 1, 2], {}, LabelError, "labels >= 0"),
     ([0, 1, 2], [0, 1, 5], {"num_classes": 3}, LabelError, "num_classes"),
     ([0, 1], [0, 1], {"num_classes": 0}, LabelError, "num_classes"),
     ([0, 1], [0, 1], {"num_classes": 2.0}, ConfigError, "integer"),
     ([0, 1], [0.5, 1.7], {}, LabelError, r"\[0, 1\]"),
     (np.zeros((2, 2, 2)), [0, 1], {}, ShapeError, "shape"),
     (["a", "b"], [0, 1], {}, LabelError, "numeric")],
)  # fmt: skip
def test_confusion_matrix_bad_input(y_true, y_pred, kwargs, error, match):
    with pytest.raises(error, match=match):
        metrics.confusion_matrix(y_true, y_pred, **kwargs)


def test_accuracy_follows_the_loss_class_not_its_name():
    from neuropil import losses

    sparse = losses.SparseCategoricalCrossentropy(name="xent")
    binary = losses.BinaryCrossentropy(name="multilabel_bce")  # 3 independent yes/no outputs
    assert type(metrics.get("accuracy", loss_name=sparse)).__name__ == "SparseCategoricalAccuracy"
    picked = metrics.get("accuracy", loss_name=binary, output_shape=(None, 3))
    assert type(picked).__name__ == "BinaryAccuracy"
    wrapped = losses.get(lambda y_true, y_pred: (y_pred - y_true).abs().mean())
    assert type(metrics.get("accuracy", loss_name=wrapped)) is _AccuracyByShape


def test_accuracy_for_a_loss_of_your_own_reads_the_labels_shape():
    # Keras 3 decides by shapes for every loss; a custom loss with integer labels used to
    # get CategoricalAccuracy and stop fit with a ShapeError
    import neuropil.functional as F
    from neuropil.layers import Dense, Input
    from neuropil.models import Sequential

    def my_loss(y_true, y_pred):
        return F.sparse_categorical_crossentropy(y_true, y_pred)

    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 4)).astype(np.float32)
    labels = rng.integers(0, 3, 40)
    model = Sequential([Input((4,)), Dense(3, activation="softmax")])
    model.compile("adam", loss=my_loss, metrics=["accuracy"])
    logged = model.fit(x, labels, epochs=1, batch_size=40, verbose=0).history["accuracy"][0]
    before = model.predict(x, verbose=0)  # the weights the one batch's metric saw were updated
    m = metrics.get("accuracy", loss_name=my_loss, output_shape=(None, 3))
    assert m(labels, before) == metrics.SparseCategoricalAccuracy()(labels, before)
    assert m.reset_state() is None and m(np.eye(3)[labels], before) == m.result()
    assert 0 <= logged <= 1


# -- Keras parity of the threshold metrics ----------------------------------------------------
# Reference values printed by Keras 3.15 (keras.metrics, TensorFlow CPU) for the same inputs
# (script: the same arrays through keras.metrics.AUC / Precision / Recall, two batches).
_KERAS_AUC = {("ROC", "interpolation"): 0.8881503, ("ROC", "minoring"): 0.8724855,
              ("ROC", "majoring"): 0.9038152, ("PR", "interpolation"): 0.8225132,
              ("PR", "minoring"): 0.7279646, ("PR", "majoring"): 0.8314709}  # fmt: skip


@pytest.mark.parametrize("curve, summation", sorted(_KERAS_AUC))
def test_auc_curves_and_summation_methods_match_keras(curve, summation):
    rng = np.random.default_rng(7)
    y = (rng.random(60) < 0.3).astype("float32")
    p = np.clip(0.35 * y + rng.random(60) * 0.7, 0, 1).astype("float32")
    w = rng.uniform(0.2, 2.0, 60).astype("float32")
    m = metrics.AUC(num_thresholds=50, curve=curve, summation_method=summation)
    m.update_state(y[:25], p[:25], sample_weight=w[:25])
    m.update_state(y[25:], p[25:], sample_weight=w[25:])
    assert m.result() == pytest.approx(_KERAS_AUC[curve, summation], abs=1e-6)
    again = metrics.deserialize(metrics.serialize(m))
    assert (again.curve, again.summation_method) == (curve, summation)


def test_auc_takes_keras_positional_arguments_and_checks_them():
    assert metrics.AUC(20, "pr").curve == "PR"
    with pytest.raises(TypeError):
        metrics.AUC(20, "ROC", "interpolation", "auc", True)  # from_logits is keyword-only
    for bad in [{"curve": True}, {"curve": "AP"}, {"summation_method": "trapezoid"},
                {"from_logits": "yes"}]:  # fmt: skip
        with pytest.raises(ConfigError, match=f"AUC {next(iter(bad))} must be.*Received"):
            metrics.AUC(**bad)


def test_float32_predictions_meet_thresholds_in_float32_as_keras_does():
    # float32(0.3) > 0.3 in float64: compared in float64, a prediction equal to the threshold
    # counted as positive, and Precision disagreed with BinaryAccuracy on the same data
    y = np.array([0, 0, 1, 1, 0, 1], "float32")
    p = np.array([0.3, 0.3, 0.3, 0.7, 0.1, 0.9], "float32")
    assert metrics.Precision(thresholds=[0.1, 0.3, 0.7])(y, p) == pytest.approx([0.6, 1, 1])
    assert metrics.Recall(thresholds=[0.1, 0.3, 0.7])(y, p) == pytest.approx([1, 2 / 3, 1 / 3])
    for dtype in ("float32", "float64"):  # Keras gives 1.0 for both
        two = np.array([0.4, 0.5], dtype)
        assert metrics.AUC(num_thresholds=11)(np.array([0, 1], dtype), two) == 1.0


def test_nan_predictions_are_below_every_threshold():
    y, p = np.array([0, 0, 1, 1], "float32"), np.array([np.nan, 0.2, 0.9, np.nan], "float32")
    assert metrics.Precision()(y, p) == 1.0  # Keras 3.15: 1.0, 0.5, 0.25
    assert metrics.Recall()(y, p) == 0.5
    assert metrics.AUC()(y, p) == pytest.approx(0.25)


def test_precision_and_recall_thresholds_none_mean_one_half_and_strings_are_refused():
    y, p = [0, 1, 1, 1], [0.6, 0.4, 0.7, 0.9]
    assert metrics.Precision(thresholds=None)(y, p) == metrics.Precision(thresholds=0.5)(y, p)
    assert metrics.Recall(None).get_config()["thresholds"] is None
    for bad in ("0.5", [0.5, "0.7"], True):
        with pytest.raises(ConfigError, match="thresholds must be a number"):
            metrics.Recall(thresholds=bad)


# -- top_k and class_id -----------------------------------------------------------------------


def _one_hot_data(rng, n=N, classes=5):
    y = np.eye(classes)[rng.integers(0, classes, n)]
    return y, rng.random((n, classes))


@pytest.mark.parametrize(
    "cls, reference", [(metrics.Precision, skm.precision_score), (metrics.Recall, skm.recall_score)]
)
@pytest.mark.parametrize("threshold", [None, 0.3])
def test_class_id_scores_one_column(rng, weights, cls, reference, threshold):
    y, p = _one_hot_data(rng)
    got = _accumulate(cls(thresholds=threshold, class_id=3), y, p, weights)
    column = p[:, 3] > (0.5 if threshold is None else threshold)
    assert got == pytest.approx(reference(y[:, 3], column, sample_weight=weights), abs=1e-12)


@pytest.mark.parametrize("k", [1, 2, 5])
def test_top_k_counts_the_k_highest_predictions_of_each_sample(rng, k):
    y, p = _one_hot_data(rng)
    y[::4, 0] = 1  # samples with two true classes
    top = np.argsort(-p, axis=1)[:, :k]
    hits = np.take_along_axis(y, top, axis=1).sum()
    assert metrics.Precision(top_k=k)(y, p) == pytest.approx(hits / (k * len(y)), abs=1e-12)
    assert metrics.Recall(top_k=k)(y, p) == pytest.approx(hits / y.sum(), abs=1e-12)
    # with a threshold, only the top k predictions above it are positive
    kept = np.zeros_like(p, dtype=bool)
    np.put_along_axis(kept, top, True, axis=1)
    positive = kept & (p > 0.6)
    expected = (positive & (y == 1)).sum() / positive.sum()
    assert metrics.Precision(0.6, top_k=k)(y, p) == pytest.approx(expected, abs=1e-12)


def test_top_k_then_class_id_and_ties_keep_the_lower_class():
    y = np.array([[0, 1, 0], [0, 1, 0], [1, 0, 0]], "float32")
    p = np.array([[0.4, 0.4, 0.2], [0.1, 0.3, 0.6], [0.5, 0.2, 0.3]], "float32")
    # sample 0: a tie at the top; class 0 is kept (a false positive), class 1 dropped
    assert metrics.Precision(top_k=1)(y, p) == pytest.approx(1 / 3)
    assert metrics.Recall(top_k=1, class_id=1)(y, p) == 0.0
    assert metrics.Recall(top_k=2, class_id=1)(y, p) == 1.0
    assert metrics.Precision(top_k=1, class_id=0)(y, p) == 0.5


# Printed by Keras 3.15 (keras.metrics, TensorFlow CPU) for the arrays of _keras_case, two
# batches (17 and 23 samples) with sample weights.
_KERAS_TOP_K = [
    ("Precision", {"top_k": 1}, 0.1567843),
    ("Recall", {"top_k": 2}, 0.4142537),
    ("Precision", {"class_id": 2}, 0.2980205),
    ("Recall", {"class_id": 1, "thresholds": 0.3}, 0.5687611),
    ("Precision", {"top_k": 2, "class_id": 1}, 0.1240601),
    ("Recall", {"thresholds": [0.2, 0.5], "top_k": 2}, [0.4142537, 0.3847582]),
    ("Precision", {"thresholds": [0.9, 0.4], "top_k": 3}, [0.2599706, 0.2287618]),
]


def _keras_case():
    rng = np.random.default_rng(11)
    y = np.eye(5, dtype="float32")[rng.integers(0, 5, 40)]
    y[::7, 0] = 1
    p = rng.random((40, 5)).astype("float32")
    p[3, 1] = p[3, 2] = p[3].max() + 0.1  # a tie at the top
    return y, p, rng.uniform(0.2, 2.0, 40).astype("float32")


@pytest.mark.parametrize("name, kwargs, expected", _KERAS_TOP_K)
def test_top_k_and_class_id_match_keras(name, kwargs, expected):
    y, p, w = _keras_case()
    m = getattr(metrics, name)(**kwargs)
    m.update_state(y[:17], p[:17], sample_weight=w[:17])
    m.update_state(y[17:], p[17:], sample_weight=w[17:])
    assert m.result() == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize(
    "kwargs, y_true, y_pred, match",
    [({"top_k": 1}, [0, 1], [0.2, 0.7], "class axis"),
     ({"class_id": 3}, np.eye(3), np.eye(3), "class_id=3 needs more than the 3 classes"),
     ({"top_k": 4}, np.eye(3), np.eye(3), "top_k=4 needs more than the 3 classes"),
     ({"class_id": 1}, [0, 1, 2], np.eye(3), "same shape")],
)  # fmt: skip
def test_top_k_and_class_id_shape_errors_leave_the_state_alone(kwargs, y_true, y_pred, match):
    m = metrics.Recall(**kwargs)
    with pytest.raises(ShapeError, match=match):
        m.update_state(y_true, y_pred)
    assert m.result() == 0.0 and not m._counts.any()


# -- AUC over several labels: multi_label, num_labels, label_weights, thresholds -------------


def _multi_label_data(rng, labels=4, n=N):
    y = (rng.random((n, labels)) < np.linspace(0.2, 0.7, labels)).astype(int)
    signal = np.linspace(0.05, 0.5, labels)  # the labels differ in how well p separates them
    return y, np.clip(signal * y + rng.uniform(0, 0.7, size=y.shape), 0, 1)


@pytest.mark.parametrize("label_weights", [None, [0.5, 2.0, 0.0, 1.0]], ids=["mean", "weighted"])
@pytest.mark.parametrize("curve", ["ROC", "PR"])
def test_multi_label_auc_averages_the_labels_aucs(rng, weights, label_weights, curve):
    y, p = _multi_label_data(rng)
    m = metrics.AUC(curve=curve, multi_label=True, label_weights=label_weights)
    got = _accumulate(m, y, p, weights)
    per_label = [_accumulate(metrics.AUC(curve=curve), y[:, j], p[:, j], weights) for j in range(4)]
    assert got == pytest.approx(np.average(per_label, weights=label_weights), abs=1e-12)
    assert abs(got - _accumulate(metrics.AUC(curve=curve), y, p, weights)) > 1e-3  # not pooled
    if curve == "ROC":
        exact = [skm.roc_auc_score(y[:, j], p[:, j], sample_weight=weights) for j in range(4)]
        assert got == pytest.approx(np.average(exact, weights=label_weights), abs=1e-2)
        if label_weights is None:
            macro = skm.roc_auc_score(y, p, average="macro", sample_weight=weights)
            assert got == pytest.approx(macro, abs=1e-2)


def test_label_weights_without_multi_label_weigh_the_pooled_pairs(rng, weights):
    y, p = _multi_label_data(rng)
    label_weights = np.array([0.5, 2.0, 0.0, 1.0])
    got = _accumulate(metrics.AUC(label_weights=label_weights), y, p, weights)
    pair_weights = label_weights * (np.ones((N, 1)) if weights is None else weights[:, None])
    want = metrics.AUC()(y.ravel(), p.ravel(), sample_weight=pair_weights.ravel())
    assert got == pytest.approx(want, abs=1e-12)
    assert abs(got - _accumulate(metrics.AUC(), y, p, weights)) > 1e-3


def test_num_labels_builds_the_state_and_otherwise_the_first_batch_does(rng):
    y, p = _multi_label_data(rng, labels=3)
    fixed, later = metrics.AUC(multi_label=True, num_labels=3), metrics.AUC(multi_label=True)
    assert fixed.result() == later.result() == 0.0 and fixed._counts.shape == (4, 3, 200)
    assert later._counts is None
    assert fixed(y, p) == later(y, p) > 0.5
    later.reset_state()
    assert later.result() == 0.0 and later._counts.shape == (4, 3, 200)
    assert later(y[:10], p[:10]) == metrics.AUC(multi_label=True)(y[:10], p[:10])
    # one label: labels (batch,) line up with predictions (batch, 1)
    assert metrics.AUC(multi_label=True)(y[:, 0], p[:, :1]) == metrics.AUC()(y[:, 0], p[:, 0])


def test_explicit_thresholds_are_sorted_between_the_two_ends(rng, weights):
    y, p = _binary_data(rng)
    m = metrics.AUC(thresholds=[0.75, 0.25, 0.5], num_thresholds=1)  # num_thresholds is ignored
    assert m.thresholds == [-1e-7, 0.25, 0.5, 0.75, 1 + 1e-7] and m.num_thresholds == 5
    assert _accumulate(m, y, p, weights) == _accumulate(metrics.AUC(5), y, p, weights)
    again = metrics.deserialize(metrics.serialize(m))
    assert again.get_config()["thresholds"] == [0.25, 0.5, 0.75]
    assert again.thresholds == m.thresholds and metrics.AUC().get_config()["thresholds"] is None


# Printed by Keras 3.15.1 (keras.metrics.AUC(num_thresholds=50, **kwargs), TensorFlow CPU) for
# the arrays of _keras_multi_label_case, fed in two batches (21 and 29 samples) with sample
# weights; script: /work/scratch/k/auc_multilabel.py.
_KERAS_MULTI_LABEL = [
    ({"multi_label": True}, 0.7992042),
    ({"multi_label": True, "curve": "PR"}, 0.8085034),
    ({"multi_label": True, "label_weights": [0.2, 1.0, 3.0]}, 0.7863387),
    ({"multi_label": False, "label_weights": [0.2, 1.0, 3.0]}, 0.7884924),
    ({"thresholds": [0.05, 0.3, 0.35, 0.8]}, 0.7954015),
    ({"multi_label": True, "num_labels": 3, "label_weights": [2.0, 0.0, 1.0], "curve": "PR",
      "summation_method": "minoring", "thresholds": [0.7, 0.1, 0.45, 0.5]}, 0.3159091),
]  # fmt: skip


def _keras_multi_label_case():
    rng = np.random.default_rng(23)
    y = (rng.random((50, 3)) < [0.3, 0.5, 0.7]).astype("float32")
    p = np.clip(0.3 * y + rng.random((50, 3)) * 0.75, 0, 1).astype("float32")
    p[0] = [0.0, 1.0, 0.5]  # the ends of the range and a value on a threshold
    return y, p, rng.uniform(0.2, 2.0, 50).astype("float32")


@pytest.mark.parametrize("kwargs, expected", _KERAS_MULTI_LABEL)
def test_multi_label_and_label_weights_match_keras(kwargs, expected):
    y, p, w = _keras_multi_label_case()
    m = metrics.AUC(num_thresholds=50, **kwargs)
    m.update_state(y[:21], p[:21], sample_weight=w[:21])
    m.update_state(y[21:], p[21:], sample_weight=w[21:])
    assert m.result() == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize(
    "kwargs, first, second, source",
    [({"multi_label": True}, 3, 2, "the first batch"),
     ({"multi_label": True, "num_labels": 3}, 3, 4, "num_labels"),
     ({"multi_label": True, "label_weights": [1, 2, 3]}, 3, 2, "label_weights"),
     ({"label_weights": [1, 2, 3]}, 3, 5, "label_weights")],
)  # fmt: skip
def test_another_number_of_labels_raises_before_counting(rng, kwargs, first, second, source):
    m = metrics.AUC(**kwargs)
    m.update_state(*_multi_label_data(rng, first))
    before, counts = m.result(), m._counts.copy()
    other = _multi_label_data(rng, second)
    with pytest.raises(ShapeError, match=f"length {first} as {source} set. Received: y_pred"):
        m.update_state(*other)
    assert m.result() == before and np.array_equal(m._counts, counts)
    m.reset_state()  # the number of labels outlives reset_state, as in Keras
    with pytest.raises(ShapeError, match=f"length {first}"):
        m.update_state(*other)


@pytest.mark.parametrize(
    "kwargs, y_pred, match",
    [({"multi_label": True}, np.zeros(4), r"multi_label=True expects y_pred of shape \(batch"),
     ({"multi_label": True}, np.zeros((4, 2, 2)), "multi_label=True expects"),
     ({"multi_label": True}, np.zeros((4, 0)), "multi_label=True expects"),
     ({"label_weights": [1.0]}, np.zeros(4), "label_weights expects y_pred with a last axis")],
)  # fmt: skip
def test_multi_label_shape_errors_leave_the_state_alone(kwargs, y_pred, match):
    m = metrics.AUC(**kwargs)
    with pytest.raises(ShapeError, match=match + ".*Received: y_pred of shape"):
        m.update_state(np.zeros_like(y_pred), y_pred)
    assert m.result() == 0.0 and (m._counts is None or not m._counts.any())


@pytest.mark.parametrize(
    "kwargs, match",
    [({"label_weights": [1.0, -0.5]}, "label_weights must be None or a list of non-negative"),
     ({"label_weights": ["a", 1.0]}, "label_weights must be None or a list"),
     ({"label_weights": [True, 1.0]}, "label_weights must be None or a list"),
     ({"label_weights": [1.0, float("nan")]}, "label_weights must be None or a list"),
     ({"label_weights": 2.0}, "label_weights must be None or a list"),
     ({"label_weights": []}, "label_weights must be None or a list"),
     ({"multi_label": True, "num_labels": 3, "label_weights": [1, 2]},
      r"label_weights must hold one weight per label \(num_labels=3\)"),
     ({"multi_label": True, "num_labels": 0}, "num_labels must be None or an integer >= 1"),
     ({"multi_label": True, "num_labels": 2.0}, "num_labels must be None or an integer >= 1"),
     ({"multi_label": True, "num_labels": True}, "num_labels must be None or an integer >= 1"),
     ({"num_labels": 2}, "num_labels is used only with multi_label=True"),
     ({"multi_label": "yes"}, "multi_label must be True or False"),
     ({"thresholds": 0.5}, r"thresholds must be None or a list of numbers in \[0, 1\]"),
     ({"thresholds": [0.2, 1.5]}, "thresholds must be None or a list"),
     ({"thresholds": [0.2, "0.4"]}, "thresholds must be None or a list")],
)  # fmt: skip
def test_bad_multi_label_and_threshold_arguments(kwargs, match):
    with pytest.raises(ConfigError, match=f"^AUC {match}.*Received: "):
        metrics.AUC(**kwargs)


def test_new_auc_arguments_are_keyword_only():
    with pytest.raises(TypeError):
        metrics.AUC(200, "ROC", "interpolation", "auc", None, [0.5])  # Keras's dtype, thresholds
