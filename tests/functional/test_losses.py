"""Loss functions: central differences, PyTorch parity, the fused logits path, shapes and dtypes."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import neuropil as npl
import neuropil.functional as F
from neuropil.errors import ConfigError, LabelError, ShapeError
from tests.gradcheck import check_gradients, compare_with_torch

EPS = 1e-7
N, C = 4, 3
rng = np.random.default_rng(0)
Y_REAL = rng.standard_normal((N, C))
P_REAL = rng.standard_normal((N, C)) * 2  # errors on both sides of Huber's delta
Y_SOFT = rng.uniform(0, 1, (N, C))  # soft binary targets
P_PROB = rng.uniform(0.05, 0.95, (N, C))
Z = rng.standard_normal((N, C)) * 3
ONE_HOT = np.eye(C)[[0, 2, 1, 2]]
SOFT_ROWS = rng.dirichlet(np.ones(C), N)  # soft categorical targets
P_UNNORMALIZED = rng.uniform(0.1, 1.0, (N, C))  # Keras renormalizes rows to sum to 1
LABELS = np.array([0, 2, 1, 2])
WEIGHT = np.array([0.5, 2.0, 0.0, 1.5])


def t(a):
    return torch.as_tensor(np.asarray(a, dtype=np.float64))


def _renormalized_log(p):
    return torch.log(torch.clamp(p / p.sum(-1, keepdim=True), EPS, 1 - EPS))


# name -> (our call, torch per-sample loss, targets, predictions)
CASES = {
    "mse": (F.mean_squared_error, lambda y, p: TF.mse_loss(p, y, reduction="none").mean(-1),
            Y_REAL, P_REAL),
    "mae": (F.mean_absolute_error, lambda y, p: TF.l1_loss(p, y, reduction="none").mean(-1),
            Y_REAL, P_REAL),
    "huber": (F.huber, lambda y, p: TF.huber_loss(p, y, reduction="none").mean(-1),
              Y_REAL, P_REAL),
    "huber_delta_0.5": (
        lambda y, p, **kw: F.huber(y, p, delta=0.5, **kw),
        lambda y, p: TF.huber_loss(p, y, reduction="none", delta=0.5).mean(-1), Y_REAL, P_REAL),
    "bce": (F.binary_crossentropy,
            lambda y, p: TF.binary_cross_entropy(p, y, reduction="none").mean(-1),
            Y_SOFT, P_PROB),
    "bce_logits": (
        lambda y, p, **kw: F.binary_crossentropy(y, p, from_logits=True, **kw),
        lambda y, p: TF.binary_cross_entropy_with_logits(p, y, reduction="none").mean(-1),
        Y_SOFT, Z),
    "cce": (F.categorical_crossentropy, lambda y, p: -(y * _renormalized_log(p)).sum(-1),
            ONE_HOT, P_UNNORMALIZED),
    "cce_soft": (F.categorical_crossentropy, lambda y, p: -(y * _renormalized_log(p)).sum(-1),
                 SOFT_ROWS, P_UNNORMALIZED),
    "cce_logits": (
        lambda y, p, **kw: F.categorical_crossentropy(y, p, from_logits=True, **kw),
        lambda y, p: TF.cross_entropy(p, y, reduction="none"), SOFT_ROWS, Z),
    "cce_logits_rows_not_summing_to_one": (
        lambda y, p, **kw: F.categorical_crossentropy(y, p, from_logits=True, **kw),
        lambda y, p: TF.cross_entropy(p, y, reduction="none"), Y_SOFT, Z),
    # label smoothing s: targets become y (1 - s) + s / 2 (binary) or s / C (categorical)
    "bce_smoothed": (
        lambda y, p, **kw: F.binary_crossentropy(y, p, label_smoothing=0.2, **kw),
        lambda y, p: TF.binary_cross_entropy(p, y * 0.8 + 0.1, reduction="none").mean(-1),
        Y_SOFT, P_PROB),
    "bce_logits_smoothed": (
        lambda y, p, **kw: F.binary_crossentropy(y, p, from_logits=True, label_smoothing=0.3,
                                                 **kw),
        lambda y, p: TF.binary_cross_entropy_with_logits(p, y * 0.7 + 0.15,
                                                         reduction="none").mean(-1),
        Y_SOFT, Z),
    "cce_smoothed": (
        lambda y, p, **kw: F.categorical_crossentropy(y, p, label_smoothing=0.3, **kw),
        lambda y, p: -((y * 0.7 + 0.1) * _renormalized_log(p)).sum(-1), ONE_HOT, P_UNNORMALIZED),
    "cce_logits_smoothed": (
        lambda y, p, **kw: F.categorical_crossentropy(y, p, from_logits=True,
                                                      label_smoothing=0.25, **kw),
        lambda y, p: TF.cross_entropy(p, y, reduction="none", label_smoothing=0.25),
        ONE_HOT, Z),
    "sparse": (
        F.sparse_categorical_crossentropy,
        lambda y, p: TF.nll_loss(_renormalized_log(p), y.long(), reduction="none"),
        LABELS, P_UNNORMALIZED),
    "sparse_column_labels": (
        F.sparse_categorical_crossentropy,
        lambda y, p: TF.nll_loss(_renormalized_log(p), y.long()[:, 0], reduction="none"),
        LABELS[:, None], P_UNNORMALIZED),
    "sparse_logits": (
        lambda y, p, **kw: F.sparse_categorical_crossentropy(y, p, from_logits=True, **kw),
        lambda y, p: TF.cross_entropy(p, y.long(), reduction="none"), LABELS, Z),
}  # fmt: skip


def _torch_reduce(per, weight, reduction):
    if weight is not None:
        per = per * t(weight).to(per.dtype)
    if reduction == "none":
        return per
    return per.sum() if reduction == "sum" else per.sum() / per.numel()


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_gradient_matches_central_differences(case, weighted):
    ours, _, y, p = CASES[case]
    weight = WEIGHT if weighted else None
    check_gradients(lambda pred: ours(y, pred, sample_weight=weight), p)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_matches_torch_forward_and_backward(case, weighted, reduction):
    ours, theirs, y, p = CASES[case]
    weight = WEIGHT if weighted else None
    compare_with_torch(
        lambda pred: ours(y, pred, sample_weight=weight, reduction=reduction),
        lambda pred: _torch_reduce(theirs(t(y).to(pred.dtype), pred), weight, reduction),
        p, dtype="float64", atol=1e-10, rtol=1e-9,
    )  # fmt: skip


@pytest.mark.parametrize("case", sorted(CASES))
def test_matches_torch_in_float32(case):
    ours, theirs, y, p = CASES[case]
    compare_with_torch(
        lambda pred: ours(y, pred, sample_weight=WEIGHT),
        lambda pred: _torch_reduce(theirs(t(y).to(pred.dtype), pred), WEIGHT, "mean"),
        p, dtype="float32", atol=1e-5, rtol=1e-4,
    )  # fmt: skip


@pytest.mark.parametrize("case", sorted(CASES))
def test_float32_stays_float32(case):
    ours, _, y, p = CASES[case]
    pred = npl.Tensor(p, requires_grad=True)  # float32; y and weights arrive as float64/int
    for reduction in ("mean", "none"):
        loss = ours(y, pred, sample_weight=WEIGHT, reduction=reduction)
        assert loss.dtype == np.float32
    loss.sum().backward()
    assert pred.grad.dtype == np.float32


def test_keras_reference_values():
    y, p = np.array([[0.0, 1.0], [0.0, 0.0]]), npl.Tensor([[0.6, 0.4], [0.4, 0.6]])
    assert F.binary_crossentropy(y, p).item() == pytest.approx(0.8149, abs=1e-4)
    assert F.binary_crossentropy(y, p, sample_weight=[1, 0]).item() == pytest.approx(0.4581, 1e-3)
    y, p = np.array([[0.0, 1.0], [0.0, 0.0]]), npl.Tensor([[1.0, 1.0], [1.0, 0.0]])
    assert F.mean_squared_error(y, p).item() == pytest.approx(0.5)
    assert F.mean_squared_error(y, p, sample_weight=[0.7, 0.3]).item() == pytest.approx(0.25)
    assert F.huber(y, p).item() == pytest.approx(0.25)
    probs = npl.Tensor([[0.05, 0.95, 0.0], [0.1, 0.8, 0.1]])
    one_hot = np.array([[0, 1, 0], [0, 0, 1]])
    assert F.categorical_crossentropy(one_hot, probs).item() == pytest.approx(1.1769, abs=1e-4)
    sparse = F.sparse_categorical_crossentropy(np.array([1, 2]), probs)
    assert sparse.item() == pytest.approx(1.1769, abs=1e-4)
    # label_smoothing, values printed by Keras 3.15's losses with the same arguments
    probs = npl.Tensor([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1]])
    smoothed = F.categorical_crossentropy(np.eye(3)[[0, 1]], probs, label_smoothing=0.1)
    assert smoothed.item() == pytest.approx(0.41253519, abs=1e-6)
    z = npl.Tensor([[2.0], [-1.0]])
    smoothed = F.binary_crossentropy(np.array([[1.0], [0.0]]), z, True, label_smoothing=0.2)
    assert smoothed.item() == pytest.approx(0.37009481, abs=1e-6)
    p = npl.Tensor([[0.9, 0.3], [0.2, 0.6]])
    smoothed = F.binary_crossentropy(np.eye(2)[[0, 1]], p, label_smoothing=0.2)
    assert smoothed.item() == pytest.approx(0.41990817, abs=1e-6)


# -- the fused path: probabilities that remember their logits ---------------------------------
def _sigmoid(z):
    return 1 / (1 + (-z).exp())


def _softmax(z):
    e = (z - z.data.max(axis=-1, keepdims=True)).exp()
    return e / e.sum(axis=-1, keepdims=True)


def _fused(kind, z):
    probs = _sigmoid(z) if kind == "sigmoid" else _softmax(z)
    probs._logits = (kind, z)
    return probs


FUSED = {
    "bce": ("sigmoid", F.binary_crossentropy, Y_SOFT,
            lambda y, z: TF.binary_cross_entropy_with_logits(z, y, reduction="none").mean(-1)),
    "cce": ("softmax", F.categorical_crossentropy, SOFT_ROWS,
            lambda y, z: TF.cross_entropy(z, y, reduction="none")),
    "sparse": ("softmax", F.sparse_categorical_crossentropy, LABELS,
               lambda y, z: TF.cross_entropy(z, y.long(), reduction="none")),
}  # fmt: skip


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("case", sorted(FUSED))
def test_fused_path_equals_unfused_composition(case, weighted):
    kind, loss_fn, y, _ = FUSED[case]
    weight = WEIGHT if weighted else None
    results = []
    for fuse in (True, False):
        z = npl.Tensor(Z, requires_grad=True, dtype="float64")
        probs = _fused(kind, z) if fuse else (_sigmoid(z) if kind == "sigmoid" else _softmax(z))
        loss = loss_fn(y, probs, sample_weight=weight)
        if fuse:  # one op straight from z: the probabilities are not on the path
            assert len(loss._parents) == 1 and loss._parents[0] is z
        loss.backward()
        results.append((loss.item(), z.grad))
    (fused_value, fused_grad), (plain_value, plain_grad) = results
    assert fused_value == pytest.approx(plain_value, rel=1e-12)
    np.testing.assert_allclose(fused_grad, plain_grad, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("case", sorted(FUSED))
def test_fused_path_gradcheck_and_torch(case, weighted):
    kind, loss_fn, y, theirs = FUSED[case]
    weight = WEIGHT if weighted else None
    check_gradients(lambda z: loss_fn(y, _fused(kind, z), sample_weight=weight), Z)
    compare_with_torch(
        lambda z: loss_fn(y, _fused(kind, z), sample_weight=weight),
        lambda z: _torch_reduce(theirs(t(y).to(z.dtype), z), weight, "mean"),
        Z, dtype="float64", atol=1e-10, rtol=1e-9,
    )  # fmt: skip


def test_fused_gradient_reaches_logits_without_a_probability_graph():
    z = npl.Tensor([[2.0, -1.0, 0.5]], requires_grad=True, dtype="float64")
    probs = npl.Tensor(np.exp(z.data) / np.exp(z.data).sum(), dtype="float64")  # no graph
    probs._logits = ("softmax", z)
    F.sparse_categorical_crossentropy(np.array([1]), probs).backward()
    np.testing.assert_allclose(z.grad, probs.data - np.array([[0.0, 1.0, 0.0]]), atol=1e-12)


def test_fused_bce_is_stable_at_extreme_logits():
    z = npl.Tensor([[100.0], [-100.0]], requires_grad=True)  # float32
    y = np.array([[0.0], [1.0]])
    with np.errstate(over="ignore"):
        naive = np.log(1 + np.exp(-z.data[1, 0]))  # log(1 + e**100) overflows float32
    assert np.isinf(naive)
    clipped = F.binary_crossentropy(y, npl.Tensor(1 / (1 + np.exp(-z.data.astype(np.float64)))))
    assert 15 < clipped.item() < 17  # capped near -log(1e-7), far from the true 100
    with np.errstate(over="ignore"):  # the probabilities themselves saturate; the loss must not
        loss = F.binary_crossentropy(y, _fused("sigmoid", z))
    loss.backward()
    assert loss.item() == pytest.approx(100.0, rel=1e-6)
    np.testing.assert_allclose(z.grad, [[0.5], [-0.5]], atol=1e-6)
    logits = F.binary_crossentropy(y, z, from_logits=True)
    assert logits.item() == pytest.approx(100.0, rel=1e-6)


@pytest.mark.parametrize("sparse", [False, True], ids=["categorical", "sparse"])
def test_fused_softmax_is_stable_at_extreme_logits(sparse):
    z = npl.Tensor([[100.0, -100.0, 0.0]], requires_grad=True)  # float32
    with np.errstate(over="ignore", invalid="ignore"):
        naive = np.exp(z.data) / np.exp(z.data).sum()
    assert np.isnan(naive).any()
    if sparse:
        loss = F.sparse_categorical_crossentropy(np.array([1]), _fused("softmax", z))
    else:
        loss = F.categorical_crossentropy(np.array([[0, 1, 0]]), _fused("softmax", z))
    loss.backward()
    assert loss.item() == pytest.approx(200.0, rel=1e-6)
    np.testing.assert_allclose(z.grad, [[1.0, -1.0, 0.0]], atol=1e-6)


def test_recorded_logits_of_another_activation_are_ignored():
    z = npl.Tensor(Z, requires_grad=True, dtype="float64")
    probs = _softmax(z)
    probs._logits = ("softmax", z)
    fused = F.binary_crossentropy(Y_SOFT, probs)  # BCE only fuses a sigmoid
    assert fused._parents[0] is probs
    plain = F.binary_crossentropy(Y_SOFT, _softmax(z))
    assert fused.item() == pytest.approx(plain.item(), rel=1e-12)


# -- probabilities are clipped like Keras ------------------------------------------------------
def test_probabilities_are_clipped_and_clipped_entries_get_no_gradient():
    p = npl.Tensor([[0.0, 1.0]], requires_grad=True, dtype="float64")
    loss = F.binary_crossentropy(np.array([[1.0, 0.0]]), p)
    loss.backward()
    assert loss.item() == pytest.approx(-np.log(EPS), rel=1e-6)
    np.testing.assert_array_equal(p.grad, [[0.0, 0.0]])
    q = npl.Tensor([[0.0, 1.0]], requires_grad=True, dtype="float64")
    sparse = F.sparse_categorical_crossentropy(np.array([0]), q)
    assert np.isfinite(sparse.item()) and sparse.item() == pytest.approx(-np.log(EPS), rel=1e-6)


# -- shapes, reductions and weights ----------------------------------------------------------
def test_targets_may_drop_or_add_a_trailing_unit_axis():
    pred = npl.Tensor([[0.2], [0.7], [0.4]])
    y = np.array([0.0, 1.0, 1.0])
    column = F.binary_crossentropy(y[:, None], pred).item()
    assert F.binary_crossentropy(y, pred).item() == pytest.approx(column)
    flat = npl.Tensor([0.2, 0.7, 0.4])
    assert F.binary_crossentropy(y[:, None], flat).item() == pytest.approx(column)
    assert F.mean_squared_error(y, flat, reduction="none").shape == (3,)


def test_one_dimensional_predictions_are_one_value_per_sample():
    pred = npl.Tensor([1.0, 2.0, 4.0], requires_grad=True, dtype="float64")
    loss = F.mean_squared_error(np.zeros(3), pred, reduction="none")
    np.testing.assert_allclose(loss.data, [1.0, 4.0, 16.0])
    check_gradients(lambda p: F.huber(np.zeros(3), p, sample_weight=[1, 2, 3]), pred.data)


@pytest.mark.parametrize("sparse", [False, True], ids=["mse", "sparse"])
def test_three_dimensional_outputs_weighted_per_sample(sparse):
    pred = rng.standard_normal((2, 3, 4))
    weight = np.array([0.3, 1.7])
    if sparse:
        labels = rng.integers(0, 4, (2, 3))
        fn = F.sparse_categorical_crossentropy
        shifted = pred - pred.max(-1, keepdims=True)
        logp = shifted - np.log(np.exp(shifted).sum(-1, keepdims=True))
        per = -np.take_along_axis(logp, labels[..., None], -1)[..., 0]
        kwargs = {"from_logits": True}
    else:
        labels, fn, kwargs = rng.standard_normal((2, 3, 4)), F.mean_squared_error, {}
        per = ((pred - labels) ** 2).mean(-1)
    expected = (per * weight[:, None]).sum() / per.size
    got = fn(labels, npl.Tensor(pred, dtype="float64"), sample_weight=weight, **kwargs)
    assert got.item() == pytest.approx(expected, rel=1e-12)
    check_gradients(lambda p: fn(labels, p, sample_weight=weight, **kwargs), pred)
    none = fn(labels, npl.Tensor(pred, dtype="float64"), reduction="none", **kwargs)
    np.testing.assert_allclose(none.data, per, rtol=1e-12)


def test_column_weights_equal_flat_weights():
    pred = npl.Tensor(P_REAL)
    a = F.mean_absolute_error(Y_REAL, pred, sample_weight=WEIGHT).item()
    assert F.mean_absolute_error(Y_REAL, pred, sample_weight=WEIGHT[:, None]).item() == a
    assert F.mean_absolute_error(Y_REAL, pred, sample_weight=2.0).item() == pytest.approx(
        2 * F.mean_absolute_error(Y_REAL, pred).item()
    )


def test_tensor_targets_are_accepted_and_not_differentiated():
    y = npl.Tensor(Y_REAL, requires_grad=True)
    pred = npl.Tensor(P_REAL, requires_grad=True)
    F.mean_squared_error(y, pred).backward()
    assert y.grad is None and pred.grad is not None


def test_bad_arguments_raise_named_errors():
    pred = npl.Tensor(np.full((4, 1), 0.5))
    with pytest.raises(
        ShapeError, match=r"binary_crossentropy.*Received: y_true of shape \(4, 3\)"
    ):
        F.binary_crossentropy(np.zeros((4, 3)), pred)
    with pytest.raises(ConfigError, match="reduction.*Received: reduction='avg'"):
        F.mean_squared_error(np.zeros((4, 1)), pred, reduction="avg")
    with pytest.raises(ConfigError, match="delta"):
        F.huber(np.zeros((4, 1)), pred, delta=0)
    for smoothing in (-0.1, 1.5, "0.1", True):
        with pytest.raises(ConfigError, match="binary_crossentropy expects label_smoothing in"):
            F.binary_crossentropy(np.zeros((4, 1)), pred, label_smoothing=smoothing)
    with pytest.raises(ShapeError, match="sample_weight"):
        F.mean_squared_error(np.zeros((4, 1)), pred, sample_weight=np.ones(3))
    with pytest.raises(ShapeError, match=r"y_pred of shape \(N, C\)"):
        F.categorical_crossentropy(np.zeros(4), npl.Tensor(np.full(4, 0.25)))
    probs = npl.Tensor(np.full((2, 3), 1 / 3))
    with pytest.raises(LabelError, match=r"\[0, 2\] for 3 classes.*Received: a label 3"):
        F.sparse_categorical_crossentropy(np.array([0, 3]), probs)
    with pytest.raises(LabelError, match="label -1"):
        F.sparse_categorical_crossentropy(np.array([-1, 0]), probs)
    with pytest.raises(ShapeError, match="class indices of shape"):
        F.sparse_categorical_crossentropy(np.eye(3)[:2], probs)
