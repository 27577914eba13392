"""Initializers: Keras's formulas checked on large samples, fans, seeding, lookup and dtypes.

Shapes are chosen with fan_in != fan_out so that a wrong mode (or a conv kernel's receptive field
left out of the fans) moves the standard deviation far outside the tolerances. The seed is fixed by
the autouse fixture in conftest, so the statistical checks are deterministic; the tolerances are
still set at about six standard errors.
"""

import math

import numpy as np
import pytest

import neuropil as npl
from neuropil import initializers
from neuropil.errors import ConfigError, UnknownNameError
from neuropil.initializers import compute_fans

DENSE = (300, 700)  # fan_in 300, fan_out 700
CONV = (3, 3, 40, 80)  # fan_in 3*3*40 = 360, fan_out 3*3*80 = 720
TRUNCATION_STD = 0.87962566103423978  # std of a unit normal truncated at +-2


def _fans(shape):
    return (300, 700) if shape == DENSE else (360, 720)


def _check_uniform(w, limit):
    n = w.size
    assert w.min() >= -limit and w.max() <= limit
    assert w.max() > 0.999 * limit and w.min() < -0.999 * limit  # the whole range is used
    assert abs(w.mean()) < 6 * limit / math.sqrt(3 * n)
    np.testing.assert_allclose(w.std(), limit / math.sqrt(3), rtol=0.01)


def _check_truncated_normal(w, std):
    """Keras: a normal of stddev std / 0.8796 cut at two of its standard deviations."""
    n, bound = w.size, 2 * std / TRUNCATION_STD
    assert abs(w).max() <= bound and abs(w).max() > 0.99 * bound
    assert abs(w.mean()) < 6 * std / math.sqrt(n)
    np.testing.assert_allclose(w.std(), std, rtol=0.01)
    # P(|z| > 1 | |z| <= 2) for a unit normal: the shape of the truncated distribution
    p = (math.erfc(1 / math.sqrt(2)) - math.erfc(2 / math.sqrt(2))) / math.erf(2 / math.sqrt(2))
    assert abs((abs(w) > bound / 2).mean() - p) < 6 * math.sqrt(p * (1 - p) / n)


def _check_normal(w, mean, std):
    n = w.size
    assert abs(w.mean() - mean) < 6 * std / math.sqrt(n)
    np.testing.assert_allclose(w.std(), std, rtol=0.01)
    beyond = (abs(w - mean) > 2 * std).mean()  # untruncated: about 4.55% beyond 2 sigma
    assert abs(beyond - math.erfc(2 / math.sqrt(2))) < 0.003


@pytest.mark.parametrize("shape", [DENSE, CONV], ids=["dense", "conv"])
def test_glorot_uniform(shape):
    fan_in, fan_out = _fans(shape)
    _check_uniform(initializers.get("glorot_uniform")(shape), math.sqrt(6 / (fan_in + fan_out)))


@pytest.mark.parametrize("shape", [DENSE, CONV], ids=["dense", "conv"])
def test_he_uniform(shape):
    fan_in, _ = _fans(shape)
    _check_uniform(initializers.get("he_uniform")(shape), math.sqrt(6 / fan_in))


@pytest.mark.parametrize("shape", [DENSE, CONV], ids=["dense", "conv"])
def test_glorot_normal(shape):
    fan_in, fan_out = _fans(shape)
    w = initializers.get("glorot_normal")(shape)
    _check_truncated_normal(w, math.sqrt(2 / (fan_in + fan_out)))


@pytest.mark.parametrize("shape", [DENSE, CONV], ids=["dense", "conv"])
def test_he_normal(shape):
    fan_in, _ = _fans(shape)
    _check_truncated_normal(initializers.get("he_normal")(shape), math.sqrt(2 / fan_in))


def test_random_normal_keras_defaults():
    _check_normal(initializers.get("random_normal")(DENSE), 0.0, 0.05)


def test_random_normal_arguments():
    _check_normal(initializers.RandomNormal(mean=1.5, stddev=0.2)(DENSE), 1.5, 0.2)


def test_random_uniform_keras_defaults():
    _check_uniform(initializers.get("random_uniform")(DENSE), 0.05)


def test_random_uniform_arguments():
    w = initializers.RandomUniform(minval=1.0, maxval=3.0)(DENSE)
    _check_uniform(w - 2.0, 1.0)


def test_variance_scaling_default_is_truncated_normal_over_fan_in():
    _check_truncated_normal(initializers.get("variance_scaling")(DENSE), math.sqrt(1 / 300))


@pytest.mark.parametrize(
    "mode, n", [("fan_in", 360), ("fan_out", 720), ("fan_avg", 540)], ids=lambda v: str(v)
)
def test_variance_scaling_modes_and_distributions(mode, n):
    scale = 3.0
    std = math.sqrt(scale / n)
    vs = initializers.VarianceScaling
    _check_uniform(vs(scale, mode, "uniform")(CONV), math.sqrt(3 * scale / n))
    _check_truncated_normal(vs(scale, mode, "truncated_normal")(CONV), std)
    _check_normal(vs(scale, mode, "untruncated_normal")(CONV), 0.0, std)


def test_constant_zeros_ones():
    np.testing.assert_array_equal(initializers.get("zeros")((2, 3)), np.zeros((2, 3)))
    np.testing.assert_array_equal(initializers.get("ones")((4,)), np.ones(4))
    np.testing.assert_array_equal(initializers.Constant(2.5)((2, 2)), np.full((2, 2), 2.5))
    np.testing.assert_array_equal(initializers.get("constant")((3,)), np.zeros(3))


# -- fans --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "shape, fans",
    [
        ((), (1, 1)),
        ((7,), (7, 7)),
        ((4, 3), (4, 3)),
        ((3, 3, 40, 80), (360, 720)),
        ((5, 5, 1, 6), (25, 150)),
        ((2, 8, 16), (16, 32)),  # Conv1D kernel (k, in, out)
    ],
)
def test_compute_fans_follows_keras(shape, fans):
    assert compute_fans(shape) == fans


def test_conv_kernel_std_uses_the_receptive_field():
    w = initializers.get("he_normal")((5, 5, 64, 128))
    np.testing.assert_allclose(w.std(), math.sqrt(2 / (5 * 5 * 64)), rtol=0.01)


def test_bias_shaped_variance_scaling_uses_its_length():
    w = initializers.get("he_uniform")((100000,))
    _check_uniform(w, math.sqrt(6 / 100000))


# -- seeding -----------------------------------------------------------------------------------

RANDOM_NAMES = [
    "glorot_uniform",
    "glorot_normal",
    "he_normal",
    "he_uniform",
    "random_normal",
    "random_uniform",
    "variance_scaling",
    "orthogonal",
]
ALL_NAMES = [*RANDOM_NAMES, "zeros", "ones", "constant", "identity"]


@pytest.mark.parametrize("name", RANDOM_NAMES)
def test_set_seed_makes_draws_repeatable(name):
    init = initializers.get(name)
    npl.set_seed(3)
    a = init((20, 30))
    npl.set_seed(3)
    b = init((20, 30))
    npl.set_seed(4)
    c = init((20, 30))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert not np.array_equal(a, init((20, 30)))  # successive draws differ


def test_set_seed_makes_layer_weights_repeatable():
    from neuropil.layers import Dense

    def weights():
        npl.set_seed(11)
        layer = Dense(5)
        layer.build_for((4,))
        return layer.get_weights()

    for a, b in zip(weights(), weights()):
        np.testing.assert_array_equal(a, b)


# -- dtypes ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ALL_NAMES)
def test_dtypes_are_kept(name):
    init = initializers.get(name)
    assert init((3, 4), "float32").dtype == np.float32
    assert init((3, 4), "float64").dtype == np.float64
    assert init((3, 4)).dtype == np.float32  # floatx by default
    npl.set_floatx("float64")
    assert init((3, 4)).dtype == np.float64
    assert init((3, 4)).shape == (3, 4)


# -- lookup ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "identifier, cls",
    [
        ("glorot_uniform", initializers.GlorotUniform),
        ("GlorotUniform", initializers.GlorotUniform),  # Keras accepts class names too
        ("he_normal", initializers.HeNormal),
        ("HeNormal", initializers.HeNormal),
        ("he_uniform", initializers.HeUniform),
        ("glorot_normal", initializers.GlorotNormal),
        ("zeros", initializers.Zeros),
        ("ones", initializers.Ones),
        ("random_normal", initializers.RandomNormal),
        ("random_uniform", initializers.RandomUniform),
        ("variance_scaling", initializers.VarianceScaling),
        ("constant", initializers.Constant),
        ("orthogonal", initializers.Orthogonal),
        ("Orthogonal", initializers.Orthogonal),
        ("identity", initializers.Identity),
    ],
)
def test_get_by_name(identifier, cls):
    assert type(initializers.get(identifier)) is cls


def test_get_by_dict():
    init = initializers.get(
        {"class_name": "VarianceScaling", "config": {"scale": 2.0, "mode": "fan_out"}}
    )
    assert isinstance(init, initializers.VarianceScaling)
    assert init.get_config() == {
        "scale": 2.0,
        "mode": "fan_out",
        "distribution": "truncated_normal",
    }
    assert type(initializers.get({"class_name": "Zeros"})) is initializers.Zeros


def test_get_instance_and_callable_pass_through():
    init = initializers.RandomNormal(stddev=0.1)
    assert initializers.get(init) is init

    def custom(shape, dtype=None):
        return np.full(shape, 3.0, dtype=dtype)

    assert initializers.get(custom) is custom


@pytest.mark.parametrize("name", ALL_NAMES)
def test_serialize_round_trip(name):
    init = initializers.get(name)
    spec = initializers.serialize(init)
    clone = initializers.get(spec)
    assert type(clone) is type(init) and clone.get_config() == init.get_config()


def test_serialize_round_trip_keeps_arguments():
    init = initializers.RandomUniform(minval=-2.0, maxval=0.5)
    clone = initializers.get(initializers.serialize(init))
    assert (clone.minval, clone.maxval) == (-2.0, 0.5)


def test_serialize_refuses_callables():
    with pytest.raises(ConfigError, match="built-in"):
        initializers.serialize(lambda shape, dtype=None: np.zeros(shape))


def test_unknown_name_lists_valid_names():
    with pytest.raises(UnknownNameError) as info:
        initializers.get("glorot_uniformm")
    message = str(info.value)
    for name in ALL_NAMES:
        assert name in message
    assert message.endswith("Received: 'glorot_uniformm'")
    assert isinstance(info.value, KeyError) and isinstance(info.value, ValueError)


def test_unknown_dict_class_lists_valid_class_names():
    with pytest.raises(UnknownNameError, match="GlorotUniform"):
        initializers.get({"class_name": "Orthogonall", "config": {}})


@pytest.mark.parametrize("identifier", [3, None, 1.5, ["zeros"]])
def test_other_identifiers_are_config_errors(identifier):
    with pytest.raises(ConfigError, match="initializer"):
        initializers.get(identifier)


@pytest.mark.parametrize(
    "make",
    [
        lambda: initializers.RandomNormal(stddev=-1.0),
        lambda: initializers.RandomUniform(minval=1.0, maxval=0.0),
        lambda: initializers.VarianceScaling(scale=0.0),
        lambda: initializers.VarianceScaling(mode="fan_sum"),
        lambda: initializers.VarianceScaling(distribution="gaussian"),
    ],
)
def test_invalid_arguments_are_config_errors(make):
    with pytest.raises(ConfigError):
        make()


@pytest.mark.parametrize("name", ["random_normal", "random_uniform", "truncated_normal",
                                  "glorot_uniform", "he_normal", "lecun_uniform"])  # fmt: skip
def test_a_seeded_initializer_repeats_itself_and_survives_its_config(name):
    cls = type(initializers.get(name))
    init = cls(seed=3)
    np.testing.assert_array_equal(init((20, 30)), init((20, 30)))  # as in Keras
    npl.set_seed(0)
    unseeded = initializers.get(name)
    assert not np.array_equal(unseeded((20, 30)), unseeded((20, 30)))
    again = initializers.get(initializers.serialize(init))
    np.testing.assert_array_equal(again((20, 30)), init((20, 30)))
    with pytest.raises(ConfigError, match="seed must be None or an integer"):
        cls(seed="3")


def test_lecun_and_truncated_normal_spread():
    npl.set_seed(0)
    fan_in = 400
    assert initializers.get("lecun_normal")((fan_in, 300)).std() == pytest.approx(
        math.sqrt(1 / fan_in), rel=0.02)  # fmt: skip
    limit = math.sqrt(3 / fan_in)
    values = initializers.get("lecun_uniform")((fan_in, 300))
    assert values.max() <= limit and values.min() >= -limit
    values = initializers.TruncatedNormal(mean=1.0, stddev=0.5)((200, 200))
    assert np.abs(values - 1.0).max() <= 1.0 and values.mean() == pytest.approx(1.0, abs=0.01)


# -- orthogonal and identity ---------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(6, 4), (4, 6), (5, 5), (3, 3, 2, 8), (3, 3, 8, 4)])
def test_orthogonal_gives_orthonormal_rows_or_columns(shape):
    w = initializers.Orthogonal(gain=2.0)(shape, "float64")
    assert w.shape == shape
    flat = w.reshape(-1, shape[-1])
    small = min(flat.shape)
    gram = flat.T @ flat if flat.shape[0] >= flat.shape[1] else flat @ flat.T
    np.testing.assert_allclose(gram, 4.0 * np.eye(small), atol=1e-12)  # gain squared


def test_orthogonal_draws_every_rotation_alike():
    # with the signs of R fixed, the first entry of a 2x2 draw is cos(theta) for theta
    # uniform on the circle, so its mean is 0 and its mean square 1/2 (unfixed QR is biased)
    npl.set_seed(0)
    first = np.array([initializers.Orthogonal()((2, 2), "float64")[0, 0] for _ in range(4000)])
    assert abs(first.mean()) < 0.03 and abs((first**2).mean() - 0.5) < 0.02


def test_orthogonal_and_identity_refuse_shapes_they_cannot_fill():
    with pytest.raises(ConfigError, match="Orthogonal needs a weight with at least 2 axes"):
        initializers.Orthogonal()((5,))
    with pytest.raises(ConfigError, match="Identity needs a 2-D weight"):
        initializers.Identity()((3, 3, 2))
    np.testing.assert_array_equal(initializers.Identity(gain=0.5)((2, 3), "float64"),
                                  0.5 * np.eye(2, 3))  # fmt: skip
