"""Gradient accumulation, the weights' moving average (EMA) and weight decay that leaves weights
out: against Keras 3.15's values, against the plain optimizer they should reduce to, through
``fit``, state resumes and model files, and their argument checks."""

import doctest

import numpy as np
import pytest

import neuropil as npl
from neuropil import optimizer_options, optimizers, schedules
from neuropil.errors import ConfigError
from neuropil.layers import Dense, Input
from neuropil.models import Sequential, load_model
from neuropil.optimizers import SGD, Adam, AdamW


def _case():
    """The weights and seven gradients the Keras values below were printed for."""
    rng = np.random.default_rng(5)
    w0, b0 = rng.normal(size=3).astype("float32"), rng.normal(size=2).astype("float32")
    grads = [(rng.normal(size=3).astype("float32"), rng.normal(size=2).astype("float32"))
             for _ in range(7)]  # fmt: skip
    return w0, b0, grads


def _run(opt, exclude=None):
    w0, b0, grads = _case()
    w = npl.Tensor(w0, requires_grad=True, name="dense/kernel")
    b = npl.Tensor(b0, requires_grad=True, name="dense/bias")
    if exclude:
        opt.exclude_from_weight_decay(var_names=exclude)
    opt.build([w, b])
    for gw, gb in grads:
        opt.zero_grad()
        w.grad[...], b.grad[...] = gw, gb
        opt.step()
    before = [w.data.copy(), b.data.copy()]
    opt.finalize_variable_values([w, b])
    return before + [w.data.copy(), b.data.copy()]


# Printed by Keras 3.15 (TensorFlow CPU): keras.Variable weights named "kernel" and "bias", the
# same seven gradients through optimizer.apply, then finalize_variable_values; each case gives
# kernel and bias before finalizing, then after.
_KERAS = {
    "adam_accum3_schedule": [[-0.7343624, -1.257546, -0.1849983], [0.3721372, 1.082678],
                             [-0.7343624, -1.257546, -0.1849983], [0.3721372, 1.082678]],
    "sgd_momentum_accum2_clipnorm": [[-0.7253384, -1.197193, -0.1042368], [0.4447779, 1.093088],
                                     [-0.7253384, -1.197193, -0.1042368], [0.4447779, 1.093088]],
    "sgd_ema": [[0.02737895, -0.0637252, 1.320405], [0.04165218, 0.6040478],
                [-0.4604216, -0.7147775, 0.546651], [0.08932644, 0.6815832]],
    "adam_ema_overwrite3": [[-0.8208224, -1.017808, 0.1270311], [0.2606524, 0.9688897],
                            [-0.8541771, -1.06228, 0.07208849], [0.2551807, 0.9502957]],
    "adamw_accum2_ema": [[-0.7050356, -1.00132, 0.04561824], [0.2756309, 0.8751901],
                         [-0.7314619, -1.031884, 0.01808286], [0.2772279, 0.8892909]],
    "adamw_exclude_bias": [[-0.4993882, -0.5142543, 0.3456526], [0.1877849, 0.8771805],
                           [-0.4993882, -0.5142543, 0.3456526], [0.1877849, 0.8771805]],
}  # fmt: skip

_MAKE = {
    "adam_accum3_schedule": lambda: Adam(
        learning_rate=schedules.ExponentialDecay(0.1, 2, 0.5), gradient_accumulation_steps=3),
    "sgd_momentum_accum2_clipnorm": lambda: SGD(
        learning_rate=0.1, momentum=0.9, gradient_accumulation_steps=2, clipnorm=0.5),
    "sgd_ema": lambda: SGD(learning_rate=0.1, momentum=0.9, use_ema=True, ema_momentum=0.8),
    "adam_ema_overwrite3": lambda: Adam(
        learning_rate=0.1, use_ema=True, ema_momentum=0.7, ema_overwrite_frequency=3),
    "adamw_accum2_ema": lambda: AdamW(learning_rate=0.1, weight_decay=0.3,
                                      gradient_accumulation_steps=2, use_ema=True,
                                      ema_momentum=0.5),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(_KERAS))
def test_matches_keras(case):
    if case == "adamw_exclude_bias":
        got = _run(AdamW(learning_rate=0.1, weight_decay=0.5), exclude=["bias"])
    else:
        got = _run(_MAKE[case]())
    for ours, theirs in zip(got, _KERAS[case], strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-5)


# -- gradient accumulation -------------------------------------------------------------------


def test_accumulation_is_the_plain_optimizer_on_mean_gradients():
    rng = np.random.default_rng(0)
    grads = rng.normal(size=(9, 4))
    acc_w = npl.Tensor(np.ones(4), requires_grad=True, dtype="float64")
    plain_w = npl.Tensor(np.ones(4), requires_grad=True, dtype="float64")
    acc = Adam(learning_rate=0.05, gradient_accumulation_steps=3, params=[acc_w])
    plain = Adam(learning_rate=0.05, params=[plain_w])
    for i, g in enumerate(grads):
        before = acc_w.data.copy()
        acc.zero_grad()
        acc_w.grad[...] = g
        acc.step()
        np.testing.assert_array_equal(acc_w.grad, g)  # the gradient the user sees is untouched
        if i % 3 < 2:
            np.testing.assert_array_equal(acc_w.data, before)  # no update between the third calls
            continue
        plain.zero_grad()
        plain_w.grad[...] = grads[i - 2 : i + 1].mean(axis=0)
        plain.step()
        np.testing.assert_allclose(acc_w.data, plain_w.data, rtol=1e-13)
        assert acc.iterations == plain.iterations == (i + 1) // 3


def test_schedule_counts_calls_while_iterations_count_updates():
    w = npl.Tensor(np.ones(2), requires_grad=True)
    opt = SGD(learning_rate=schedules.PiecewiseConstantDecay([1, 3], [1.0, 0.5, 0.1]),
              gradient_accumulation_steps=2, params=[w])  # fmt: skip
    rates = []
    for _ in range(6):
        rates.append(opt.current_learning_rate())
        opt.step()
    assert rates == [1.0, 1.0, 0.5, 0.5, 0.1, 0.1] and opt.iterations == 3


def test_accumulation_resumes_mid_cycle_from_its_state():
    rng = np.random.default_rng(1)
    grads = rng.normal(size=(7, 3)).astype("float32")

    def make():
        w = npl.Tensor(np.zeros(3), requires_grad=True)
        return w, Adam(learning_rate=0.1, gradient_accumulation_steps=3, use_ema=True, params=[w])

    (w, opt), (w2, opt2) = make(), make()
    for i, g in enumerate(grads):
        if i == 4:  # one gradient into the second cycle
            state = opt.get_state()
            assert int(state["accumulated_calls"]) == 1 and int(state["iterations"]) == 1
            w2.data[...] = w.data
            opt2.set_state(state)
        for weight, o in ((w, opt), (w2, opt2)) if i >= 4 else ((w, opt),):
            o.zero_grad()
            weight.grad[...] = g
            o.step()
    np.testing.assert_array_equal(w2.data, w.data)
    np.testing.assert_array_equal(opt2.get_state()["average.0"], opt.get_state()["average.0"])
    with pytest.raises(ConfigError, match="accumulated_calls to be an integer >= 0 below 3"):
        opt2.set_state({**state, "accumulated_calls": np.array(3)})


# -- moving average --------------------------------------------------------------------------


def test_average_follows_its_formula_and_fit_ends_on_it():
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(64, 3)).astype("float32"), rng.normal(size=(64, 1)).astype("float32")
    npl.set_seed(0)
    model = Sequential([Input((3,)), Dense(1)])
    opt = SGD(learning_rate=0.05, use_ema=True, ema_momentum=0.9)
    model.compile(optimizer=opt, loss="mse")
    seen = []  # the weights after each update, to build the average by hand
    record = npl.callbacks.LambdaCallback(
        on_train_batch_end=lambda batch, logs: seen.append(model.layers[-1].kernel.data.copy())
    )
    model.fit(x, y, batch_size=16, epochs=2, verbose=0, callbacks=[record])
    average = seen[0]
    for w in seen[1:]:
        average = 0.9 * average + 0.1 * w
    # fit ended by copying the average into the weights; the last batch's weights differ
    np.testing.assert_allclose(model.layers[-1].kernel.data, average, rtol=1e-5)
    assert not np.allclose(seen[-1], average)


def test_average_is_kept_in_the_model_file(tmp_path):
    npl.set_seed(0)
    model = Sequential([Input((2,)), Dense(1)])
    model.compile(optimizer=Adam(use_ema=True, ema_overwrite_frequency=5,
                                 gradient_accumulation_steps=2), loss="mse")  # fmt: skip
    x = np.arange(20, dtype="float32").reshape(10, 2)
    model.fit(x, x[:, :1], batch_size=4, epochs=1, verbose=0)
    model.save(tmp_path / "m.npil")
    again = load_model(tmp_path / "m.npil")
    assert again.optimizer.get_config() == model.optimizer.get_config()
    for key, value in model.optimizer.get_state().items():
        np.testing.assert_array_equal(again.optimizer.get_state()[key], value)


# -- weight decay left out -------------------------------------------------------------------


def test_excluded_weights_are_not_decayed():
    kernel = npl.Tensor(np.ones(3), requires_grad=True, name="dense/kernel")
    bias = npl.Tensor(np.ones(2), requires_grad=True, name="dense/bias")
    other = npl.Tensor(np.ones(2), requires_grad=True, name="head/kernel")
    opt = AdamW(learning_rate=0.1, weight_decay=0.5)
    opt.exclude_from_weight_decay(var_list=[other], var_names=["bias$"])
    opt.build([kernel, bias, other])
    opt.zero_grad()
    opt.step()  # zero gradients: only the decay moves a weight
    np.testing.assert_allclose(kernel.data, 0.95)
    np.testing.assert_array_equal(bias.data, 1.0)
    np.testing.assert_array_equal(other.data, 1.0)
    with pytest.raises(ConfigError, match="before the optimizer is built"):
        opt.exclude_from_weight_decay(var_names=["kernel"])


def test_excluded_names_survive_the_config_and_the_model_file(tmp_path):
    opt = AdamW(weight_decay=0.5)
    opt.exclude_from_weight_decay(var_names=["bias"])
    again = optimizers.deserialize(optimizers.serialize(opt))
    assert again.get_config()["exclude_from_weight_decay"] == ["bias"]
    npl.set_seed(0)
    model = Sequential([Input((2,)), Dense(2)])
    model.compile(optimizer=opt, loss="mse")
    model.save(tmp_path / "m.npil")
    loaded = load_model(tmp_path / "m.npil")
    loaded.optimizer.build(loaded.trainable_weights)
    bias = loaded.layers[-1].bias
    before = bias.data.copy()
    loaded.optimizer.zero_grad()
    loaded.optimizer.step()
    np.testing.assert_array_equal(bias.data, before)


# -- arguments -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, argument",
    [({"gradient_accumulation_steps": 1}, "gradient_accumulation_steps"),
     ({"gradient_accumulation_steps": 2.0}, "gradient_accumulation_steps"),
     ({"use_ema": "yes"}, "use_ema"), ({"use_ema": True, "ema_momentum": 1.5}, "ema_momentum"),
     ({"ema_overwrite_frequency": 0}, "ema_overwrite_frequency")],
)  # fmt: skip
def test_bad_arguments_name_themselves(kwargs, argument):
    with pytest.raises(ConfigError, match=f"{argument}.*Received: {argument}="):
        SGD(**kwargs)


def test_bad_var_names():
    with pytest.raises(ConfigError, match="regular expressions.*Received: var_names=\\['\\('"):
        AdamW().exclude_from_weight_decay(var_names=["("])


def test_doctests():
    assert doctest.testmod(optimizer_options).failed == 0
