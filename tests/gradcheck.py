"""Shared checks for differentiable ops: central differences in float64, and PyTorch parity.

``check_gradients(fn, *arrays)`` compares the gradients backward computes for ``fn(*tensors)``
with central differences of the summed-with-random-weights output. ``compare_with_torch`` runs the
same inputs through neuropil and PyTorch and compares outputs and input gradients.
"""

import numpy as np

import neuropil as npl


def _weighted(out, weights):
    # A random linear functional of the output catches gradients that only fail off the all-ones
    # direction (e.g. a transposed gradient that happens to have the right sum).
    return float((np.asarray(out.data, dtype=np.float64) * weights).sum())


def check_gradients(fn, *arrays, eps=1e-6, atol=1e-6, rtol=1e-5, seed=0, wrt=None):
    """Assert that backward of ``fn`` matches central differences, all in float64.

    ``arrays`` are the inputs (converted to float64 Tensors requiring grad); ``wrt`` lists the
    indices to check (all by default). ``fn`` receives Tensors and returns a Tensor.
    """
    arrays = [np.array(a, dtype=np.float64) for a in arrays]
    wrt = range(len(arrays)) if wrt is None else wrt
    tensors = [npl.Tensor(a, requires_grad=True, dtype="float64") for a in arrays]
    out = fn(*tensors)
    weights = np.random.default_rng(seed).uniform(0.5, 1.5, size=out.shape)
    out.backward(weights.astype(np.float64))
    for i in wrt:
        analytic = tensors[i].grad
        assert analytic is not None, f"input {i} got no gradient"
        assert analytic.shape == arrays[i].shape
        numeric = np.zeros_like(arrays[i])
        for idx in np.ndindex(arrays[i].shape):
            saved = arrays[i][idx]
            arrays[i][idx] = saved + eps
            up = _weighted(fn(*[npl.Tensor(a, dtype="float64") for a in arrays]), weights)
            arrays[i][idx] = saved - eps
            down = _weighted(fn(*[npl.Tensor(a, dtype="float64") for a in arrays]), weights)
            arrays[i][idx] = saved
            numeric[idx] = (up - down) / (2 * eps)
        np.testing.assert_allclose(
            analytic, numeric, atol=atol, rtol=rtol, err_msg=f"gradient of input {i}"
        )


def compare_with_torch(fn, torch_fn, *arrays, atol=1e-5, rtol=1e-5, dtype="float32", seed=1):
    """Assert neuropil's ``fn`` and PyTorch's ``torch_fn`` agree forward and backward.

    Both receive their library's tensors built from the same ``arrays``; the backward pass is
    seeded with the same random upstream gradient.
    """
    import torch

    ours = [npl.Tensor(a, requires_grad=True, dtype=dtype) for a in arrays]
    theirs = [torch.tensor(np.asarray(a, dtype=dtype), requires_grad=True) for a in arrays]
    out, ref = fn(*ours), torch_fn(*theirs)
    np.testing.assert_allclose(
        out.data, ref.detach().numpy(), atol=atol, rtol=rtol, err_msg="forward"
    )
    upstream = np.random.default_rng(seed).standard_normal(out.shape).astype(dtype)
    out.backward(upstream)
    ref.backward(torch.tensor(upstream))
    for i, (a, b) in enumerate(zip(ours, theirs)):
        if b.grad is None:
            continue
        np.testing.assert_allclose(
            a.grad, b.grad.numpy(), atol=atol, rtol=rtol, err_msg=f"gradient of input {i}"
        )
