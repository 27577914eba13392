import math

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import neuropil as npl
import neuropil.functional as F
from neuropil.errors import ConfigError
from neuropil.functional.gelu import normal_cdf
from tests.gradcheck import check_gradients, compare_with_torch


def exact_cdf(x):
    return np.array([0.5 * math.erfc(-v / math.sqrt(2)) for v in np.ravel(x)]).reshape(np.shape(x))


@pytest.mark.parametrize("dtype,rtol", [("float32", 1e-5), ("float64", 5e-14)])
def test_normal_cdf_matches_the_c_library(dtype, rtol):
    x = np.linspace(-10, 10, 40001).astype(dtype)
    cdf, pdf = normal_cdf(x)
    assert cdf.dtype == pdf.dtype == np.dtype(dtype)
    np.testing.assert_allclose(cdf, exact_cdf(x.astype(np.float64)), rtol=rtol, atol=0)
    density = np.exp(-(x.astype(np.float64) ** 2) / 2) / math.sqrt(2 * math.pi)
    np.testing.assert_allclose(pdf, density, rtol=2e-5 if dtype == "float32" else 1e-13)


def test_float64_tail_keeps_its_relative_accuracy():
    # 0.5 * (1 + erf(x / sqrt 2)) is exactly 0 for x = -30 in float64; erfc is not
    x = npl.Tensor([-30.0, -12.0, -6.0], dtype="float64")
    expected = x.data * exact_cdf(x.data)
    assert np.all(expected < 0)
    np.testing.assert_allclose(F.gelu(x).data, expected, rtol=1e-14, atol=0)


@pytest.mark.parametrize("approximate", [False, True])
@pytest.mark.parametrize("scale", [0.5, 3.0, 8.0])
def test_gradient_matches_central_differences(approximate, scale):
    x = np.random.default_rng(4).standard_normal((3, 5)) * scale
    check_gradients(lambda t: F.gelu(t, approximate=approximate), x)


# PyTorch's float32 tanh form computes 1 + tanh(u), which keeps only ~1e-7 absolute where
# tanh(u) is near -1 (x < -3); hence its looser absolute tolerance.
@pytest.mark.parametrize(
    "approximate,mode,dtype,atol",
    [(False, "none", "float32", 1e-6), (True, "tanh", "float32", 3e-6),
     (False, "none", "float64", 1e-13), (True, "tanh", "float64", 1e-13)],
)  # fmt: skip
def test_matches_torch_over_a_wide_range(approximate, mode, dtype, atol):
    x = np.concatenate([np.linspace(-12, 12, 481), [0.0, -1e-4, 1e-4]])
    compare_with_torch(
        lambda t: F.gelu(t, approximate=approximate),
        lambda t: TF.gelu(t, approximate=mode),
        x,
        rtol=1e-6 if dtype == "float32" else 1e-13,
        atol=atol,
        dtype=dtype,
    )


@pytest.mark.parametrize("approximate", [False, True])
def test_float32_keeps_its_relative_accuracy_in_the_tail(approximate):
    # gelu(-9) is about -1e-18: 1 + erf(x / sqrt 2) or 1 + tanh(u) would round it to 0 in
    # float32 (PyTorch's float32 gelu gives 0); the float64 path is checked against math.erfc
    # and central differences above.
    x = np.linspace(-9, 9, 721)
    values, grads = {}, {}
    for dtype in ("float32", "float64"):
        t = npl.Tensor(x, dtype=dtype, requires_grad=True)
        y = F.gelu(t, approximate=approximate)
        y.backward(np.ones(y.shape, dtype=dtype))
        values[dtype], grads[dtype] = y.data, t.grad
    assert np.all(values["float32"][x < 0] < 0)
    np.testing.assert_allclose(values["float32"], values["float64"], rtol=3e-5, atol=0)
    np.testing.assert_allclose(grads["float32"], grads["float64"], rtol=3e-5, atol=1e-7)


@pytest.mark.parametrize("bad", ["tanh", 1, None])
def test_approximate_must_be_a_bool(bad):
    with pytest.raises(ConfigError, match="gelu expects approximate.*Received"):
        F.gelu(npl.Tensor([1.0]), approximate=bad)


def test_gelu_is_a_keras_activation_name_and_trains():
    from neuropil.layers import Dense, Input
    from neuropil.models import Sequential

    npl.set_seed(0)
    model = Sequential([Input((2,)), Dense(8, activation="gelu"), Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    x = np.random.default_rng(0).standard_normal((64, 2)).astype(np.float32)
    y = (x[:, :1] ** 2).astype(np.float32)
    before = model.evaluate(x, y, verbose=0)
    model.fit(x, y, epochs=20, batch_size=16, verbose=0)
    assert model.evaluate(x, y, verbose=0) < before
    assert model.get_config()["layers"][0]["config"]["activation"] == "gelu"
    with torch.no_grad():
        ref = TF.gelu(torch.tensor(x) @ torch.tensor(model.layers[0].kernel.data)
                      + torch.tensor(model.layers[0].bias.data))  # fmt: skip
    hidden = model.layers[0](npl.Tensor(x)).data
    np.testing.assert_allclose(hidden, ref.numpy(), rtol=1e-5, atol=1e-6)
