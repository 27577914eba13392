"""Batch normalization: central differences, PyTorch parity for (N, C) and NHWC, statistics."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import neuropil as npl
import neuropil.functional as F
from neuropil.errors import ConfigError, ShapeError
from tests.gradcheck import check_gradients, compare_with_torch

rng = np.random.default_rng(3)
SHAPES = {"NC": (6, 3), "NHWC": (2, 3, 3, 2)}


def _inputs(shape):
    x = rng.standard_normal(shape) * 2 + 1
    channels = shape[-1]
    return x, rng.uniform(0.5, 1.5, channels), rng.standard_normal(channels)


def _to_torch_layout(x):
    return x.permute(0, x.ndim - 1, *range(1, x.ndim - 1))  # channels-last -> channels-first


def _from_torch_layout(x):
    return x.permute(0, *range(2, x.ndim), 1)


@pytest.mark.parametrize("layout", sorted(SHAPES))
def test_train_gradient_matches_central_differences(layout):
    x, gamma, beta = _inputs(SHAPES[layout])
    check_gradients(lambda *a: F.batch_norm_train(*a)[0], x, gamma, beta)


@pytest.mark.parametrize("layout", sorted(SHAPES))
def test_train_without_scale_or_center_gradcheck(layout):
    x, _, _ = _inputs(SHAPES[layout])
    check_gradients(lambda a: F.batch_norm_train(a, None, None)[0], x)


@pytest.mark.parametrize("dtype, atol", [("float64", 1e-10), ("float32", 2e-5)])
@pytest.mark.parametrize("layout", sorted(SHAPES))
def test_train_matches_torch(layout, dtype, atol):
    x, gamma, beta = _inputs(SHAPES[layout])

    def theirs(x, gamma, beta):
        out = TF.batch_norm(_to_torch_layout(x), None, None, gamma, beta, training=True, eps=1e-3)
        return _from_torch_layout(out)

    compare_with_torch(
        lambda *a: F.batch_norm_train(*a)[0], theirs, x, gamma, beta,
        dtype=dtype, atol=atol, rtol=atol,
    )  # fmt: skip


@pytest.mark.parametrize("layout", sorted(SHAPES))
def test_train_returns_batch_mean_and_biased_variance(layout):
    x, gamma, beta = _inputs(SHAPES[layout])
    axes = tuple(range(x.ndim - 1))
    out, mean, var = F.batch_norm_train(npl.Tensor(x, dtype="float64"), gamma, beta)
    np.testing.assert_allclose(mean, x.mean(axis=axes), rtol=1e-12)
    np.testing.assert_allclose(var, x.var(axis=axes), rtol=1e-12)  # ddof=0
    normalized = (out.data - beta) / gamma
    np.testing.assert_allclose(normalized.mean(axis=axes), 0, atol=1e-12)
    np.testing.assert_allclose(
        normalized.var(axis=axes), x.var(axis=axes) / (x.var(axis=axes) + 1e-3)
    )


@pytest.mark.parametrize("layout", sorted(SHAPES))
def test_inference_gradient_matches_central_differences(layout):
    x, gamma, beta = _inputs(SHAPES[layout])
    mean, var = rng.standard_normal(x.shape[-1]), rng.uniform(0.5, 2, x.shape[-1])
    check_gradients(lambda *a: F.batch_norm(*a, mean, var), x, gamma, beta)
    check_gradients(lambda a: F.batch_norm(a, None, None, mean, var), x)


@pytest.mark.parametrize("layout", sorted(SHAPES))
def test_inference_matches_torch(layout):
    x, gamma, beta = _inputs(SHAPES[layout])
    mean, var = rng.standard_normal(x.shape[-1]), rng.uniform(0.5, 2, x.shape[-1])

    def theirs(x, gamma, beta):
        out = TF.batch_norm(
            _to_torch_layout(x), torch.tensor(mean), torch.tensor(var), gamma, beta,
            training=False, eps=1e-3,
        )  # fmt: skip
        return _from_torch_layout(out)

    compare_with_torch(
        lambda *a: F.batch_norm(*a, mean, var), theirs, x, gamma, beta,
        dtype="float64", atol=1e-10, rtol=1e-10,
    )  # fmt: skip


def test_float32_stays_float32_and_frozen_parameters_get_no_gradient():
    x, gamma, beta = _inputs((5, 4))
    xt = npl.Tensor(x, requires_grad=True)
    g, b = npl.Tensor(gamma), npl.Tensor(beta, requires_grad=True)
    out, mean, var = F.batch_norm_train(xt, g, b)  # float64 statistics would be an upcast
    assert out.dtype == mean.dtype == var.dtype == np.float32
    out.sum().backward()
    assert xt.grad.dtype == np.float32 and b.grad.dtype == np.float32 and g.grad is None
    inference = F.batch_norm(npl.Tensor(x), gamma, beta, mean.astype(np.float64), var, 1e-3)
    assert inference.dtype == np.float32


def test_epsilon_is_kerass_default():
    x = npl.Tensor([[0.0], [2.0]], dtype="float64")
    out, _, var = F.batch_norm_train(x, None, None)
    assert var[0] == 1.0
    np.testing.assert_allclose(out.data[:, 0], [-1, 1] / np.sqrt(1 + 1e-3))


def test_bad_shapes_and_epsilon_raise_named_errors():
    x = npl.Tensor(np.ones((4, 3)))
    with pytest.raises(ShapeError, match=r"gamma of shape \(3,\).*Received: gamma of shape \(2,\)"):
        F.batch_norm_train(x, np.ones(2), np.zeros(3))
    with pytest.raises(ShapeError, match=r"var of shape \(3,\)"):
        F.batch_norm(x, None, None, np.zeros(3), np.ones(4))
    with pytest.raises(ShapeError, match=r"channels on the last axis.*Received: \(4,\)"):
        F.batch_norm_train(npl.Tensor(np.ones(4)), None, None)
    with pytest.raises(ConfigError, match="epsilon"):
        F.batch_norm_train(x, None, None, epsilon=-1.0)
