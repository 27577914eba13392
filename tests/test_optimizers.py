"""Optimizers: each update against a plain-NumPy reference written from the Keras 3 formulas and
against torch.optim, over several steps; the flat-buffer machinery; dtypes; state and config."""

import doctest
import json

import numpy as np
import pytest
import torch

import neuropil as npl
from neuropil import optimizer_base, optimizers, schedules
from neuropil.errors import ConfigError, NotReadyError, ShapeError, UnknownNameError
from neuropil.optimizers import SGD, Adadelta, Adagrad, Adam, AdamW, RMSprop

SHAPES = [(3, 4), (5,), (2, 3, 2)]
STEPS = 8


# -- references: one parameter at a time, no in-place tricks, straight from the Keras formulas --
def ref_sgd(w, g, s, lr, t, momentum=0.0, nesterov=False):
    if momentum == 0:
        return w - lr * g
    s["v"] = momentum * s.get("v", 0 * w) - lr * g
    return w + momentum * s["v"] - lr * g if nesterov else w + s["v"]


def ref_adagrad(w, g, s, lr, t, initial_accumulator_value=0.1, epsilon=1e-7):
    s["acc"] = s.get("acc", np.full_like(w, initial_accumulator_value)) + g * g
    return w - lr * g / np.sqrt(s["acc"] + epsilon)


def ref_adadelta(w, g, s, lr, t, rho=0.95, epsilon=1e-7):
    s["eg"] = rho * s.get("eg", 0 * w) + (1 - rho) * g * g
    delta = -np.sqrt(s.get("ed", 0 * w) + epsilon) * g / np.sqrt(s["eg"] + epsilon)
    s["ed"] = rho * s.get("ed", 0 * w) + (1 - rho) * delta**2
    return w + lr * delta


def ref_rmsprop(w, g, s, lr, t, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False):
    s["v"] = rho * s.get("v", 0 * w) + (1 - rho) * g * g
    denominator = s["v"] + epsilon
    if centered:
        s["a"] = rho * s.get("a", 0 * w) + (1 - rho) * g
        denominator = s["v"] - s["a"] ** 2 + epsilon
    increment = lr * g / np.sqrt(denominator)
    if momentum > 0:
        s["m"] = momentum * s.get("m", 0 * w) + increment
        return w - s["m"]
    return w - increment


def ref_adam(w, g, s, lr, t, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False):
    s["m"] = s.get("m", 0 * w) + (g - s.get("m", 0 * w)) * (1 - beta_1)
    s["v"] = s.get("v", 0 * w) + (g * g - s.get("v", 0 * w)) * (1 - beta_2)
    v = s["v"]
    if amsgrad:
        v = s["vhat"] = np.maximum(s.get("vhat", 0 * w), s["v"])
    alpha = lr * np.sqrt(1 - beta_2**t) / (1 - beta_1**t)
    return w - alpha * s["m"] / (np.sqrt(v) + epsilon)


REFERENCES = {SGD: ref_sgd, Adagrad: ref_adagrad, Adadelta: ref_adadelta, RMSprop: ref_rmsprop,
              Adam: ref_adam, AdamW: ref_adam}  # fmt: skip
COMMON = ("learning_rate", "weight_decay", "clipnorm", "clipvalue", "global_clipnorm")


def ref_clip(grads, clipnorm=None, clipvalue=None, global_clipnorm=None):
    if clipnorm:
        return [g * clipnorm / max(np.linalg.norm(g), clipnorm) for g in grads]
    if clipvalue:
        return [np.clip(g, -clipvalue, clipvalue) for g in grads]
    if global_clipnorm:
        norm = np.sqrt(sum((g * g).sum() for g in grads))
        return [g * global_clipnorm / max(norm, global_clipnorm) for g in grads]
    return grads


def run_reference(cls, kwargs, init, grads):
    hyper = {k: v for k, v in kwargs.items() if k not in COMMON}
    lr_arg = kwargs.get("learning_rate", cls().learning_rate)
    decay = kwargs.get("weight_decay", 0.004 if cls is AdamW else None)
    ws, states, out = [w.copy() for w in init], [{} for _ in init], []
    for it, gs in enumerate(grads):
        lr = lr_arg(it) if callable(lr_arg) else lr_arg
        gs = ref_clip(gs, **{k: kwargs[k] for k in COMMON[2:] if k in kwargs})
        if decay:
            ws = [w - w * decay * lr for w in ws]
        ws = [
            REFERENCES[cls](w, g, s, lr, it + 1, **hyper)
            for w, g, s in zip(ws, gs, states, strict=True)
        ]
        out.append(ws)
    return out


def run_neuropil(cls, kwargs, init, grads, dtype="float64"):
    params = [npl.Tensor(w, requires_grad=True, dtype=dtype) for w in init]
    opt = cls(**kwargs, params=params)
    out = []
    for gs in grads:
        opt.zero_grad()
        for p, g in zip(params, gs, strict=True):
            p.grad += g  # what backward does: accumulate into the (flat-buffer) gradient
        opt.step()
        out.append([p.data.copy() for p in params])
    return out, opt, params


def problem(seed=0, steps=STEPS, shapes=SHAPES):
    rng = np.random.default_rng(seed)
    init = [rng.normal(size=s) for s in shapes]
    # gradients of changing scale, so momentum, accumulators and amsgrad's maximum all matter
    grads = [
        [rng.normal(size=s) * 10 ** rng.uniform(-1.5, 1) for s in shapes] for _ in range(steps)
    ]
    return init, grads


CASES = [
    (SGD, {"learning_rate": 0.05}),
    (SGD, {"learning_rate": 0.05, "momentum": 0.9}),
    (SGD, {"learning_rate": 0.05, "momentum": 0.9, "nesterov": True}),
    (SGD, {"learning_rate": 0.05, "weight_decay": 0.1}),
    (SGD, {"learning_rate": 0.05, "clipvalue": 0.3}),
    (SGD, {"learning_rate": 0.05, "momentum": 0.5, "global_clipnorm": 1.0}),
    (SGD, {"learning_rate": schedules.ExponentialDecay(0.1, 3, 0.5), "momentum": 0.9}),
    (Adagrad, {"learning_rate": 0.1}),
    (Adagrad, {"learning_rate": 0.1, "initial_accumulator_value": 0.5, "epsilon": 1e-3}),
    (Adadelta, {"learning_rate": 1.0, "rho": 0.9}),
    (Adadelta, {}),
    (RMSprop, {"learning_rate": 0.01}),
    (RMSprop, {"learning_rate": 0.01, "momentum": 0.5}),
    (RMSprop, {"learning_rate": 0.01, "momentum": 0.5, "centered": True}),
    (Adam, {"learning_rate": 0.01}),
    (Adam, {"learning_rate": 0.01, "beta_2": 0.9, "amsgrad": True}),
    (Adam, {"learning_rate": 0.01, "clipnorm": 0.5}),
    (Adam, {"learning_rate": schedules.PiecewiseConstantDecay([2, 5], [0.01, 0.005, 0.001])}),
    (AdamW, {"learning_rate": 0.01, "weight_decay": 0.1}),
    (AdamW, {}),
]
IDS = [f"{cls.__name__}-{i}" for i, (cls, _) in enumerate(CASES)]


@pytest.mark.parametrize("cls, kwargs", CASES, ids=IDS)
def test_matches_numpy_reference_float64(cls, kwargs):
    init, grads = problem()
    ours, opt, _ = run_neuropil(cls, kwargs, init, grads)
    for step, (a, b) in enumerate(zip(ours, run_reference(cls, kwargs, init, grads), strict=True)):
        for x, y in zip(a, b, strict=True):
            np.testing.assert_allclose(x, y, rtol=1e-9, atol=1e-12, err_msg=f"step {step}")
    assert opt.iterations == STEPS


@pytest.mark.parametrize("cls, kwargs", CASES, ids=IDS)
def test_matches_numpy_reference_float32(cls, kwargs):
    init, grads = problem(seed=1)
    ours, opt, params = run_neuropil(cls, kwargs, init, grads, dtype="float32")
    for a, b in zip(ours[-1], run_reference(cls, kwargs, init, grads)[-1], strict=True):
        assert a.dtype == np.float32
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)  # 8 float32 steps vs float64
    for p in params:
        assert p.data.dtype == np.float32 and p.grad.dtype == np.float32
    assert all(v.dtype == np.float32 for k, v in opt.get_state().items() if "." in k)


# torch.optim agrees with Keras's formulas except where epsilon sits (Adagrad, RMSprop: outside
# the root in torch; Adam: torch adds it to the bias-corrected root). epsilon=0 removes that
# difference, so these comparisons are tight; the last case shows the default-epsilon gap is small.
TORCH_CASES = [
    (SGD, {"learning_rate": 0.05}, torch.optim.SGD, {"lr": 0.05}),
    (SGD, {"learning_rate": 0.05, "momentum": 0.9}, torch.optim.SGD, {"lr": 0.05, "momentum": 0.9}),
    (SGD, {"learning_rate": 0.05, "momentum": 0.9, "nesterov": True},
     torch.optim.SGD, {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
    (Adagrad, {"learning_rate": 0.1, "initial_accumulator_value": 0.2, "epsilon": 0.0},
     torch.optim.Adagrad, {"lr": 0.1, "initial_accumulator_value": 0.2, "eps": 0.0}),
    (Adadelta, {"learning_rate": 1.0, "rho": 0.9, "epsilon": 1e-6},
     torch.optim.Adadelta, {"lr": 1.0, "rho": 0.9, "eps": 1e-6}),
    (RMSprop, {"learning_rate": 0.01, "rho": 0.9, "epsilon": 0.0},
     torch.optim.RMSprop, {"lr": 0.01, "alpha": 0.9, "eps": 0.0}),
    (RMSprop, {"learning_rate": 0.01, "rho": 0.8, "momentum": 0.5, "centered": True, "epsilon": 0},
     torch.optim.RMSprop, {"lr": 0.01, "alpha": 0.8, "momentum": 0.5, "centered": True, "eps": 0}),
    (Adam, {"learning_rate": 0.01, "epsilon": 0.0}, torch.optim.Adam, {"lr": 0.01, "eps": 0.0}),
    (Adam, {"learning_rate": 0.01, "beta_2": 0.9, "amsgrad": True, "epsilon": 0.0},
     torch.optim.Adam, {"lr": 0.01, "betas": (0.9, 0.9), "amsgrad": True, "eps": 0.0}),
    (AdamW, {"learning_rate": 0.01, "weight_decay": 0.1, "epsilon": 0.0},
     torch.optim.AdamW, {"lr": 0.01, "weight_decay": 0.1, "eps": 0.0}),
]  # fmt: skip


TORCH_IDS = [f"{case[0].__name__}-{i}" for i, case in enumerate(TORCH_CASES)]


@pytest.mark.parametrize("cls, kwargs, tcls, tkwargs", TORCH_CASES, ids=TORCH_IDS)
def test_matches_torch(cls, kwargs, tcls, tkwargs):
    init, grads = problem(seed=2)
    ours, _, _ = run_neuropil(cls, kwargs, init, grads)
    tparams = [torch.tensor(w, requires_grad=True) for w in init]
    topt = tcls(tparams, **tkwargs)
    for step, gs in enumerate(grads):
        for p, g in zip(tparams, gs, strict=True):
            p.grad = torch.tensor(g)
        topt.step()
        for x, p in zip(ours[step], tparams, strict=True):
            np.testing.assert_allclose(x, p.detach().numpy(), rtol=1e-8, atol=1e-12)


def test_adam_default_epsilon_close_to_torch():
    # Keras: alpha * m / (sqrt(v) + eps); torch: lr/bc1 * m / (sqrt(v)/sqrt(bc2) + eps), so the
    # effective epsilons differ by a factor sqrt(bc2) <= 1. Each step moves a weight by about
    # lr = 0.01; the epsilon gap changes that by less than 1e-4 of it, hence atol=1e-6 over 8 steps.
    init, grads = problem(seed=3)
    ours, _, _ = run_neuropil(Adam, {"learning_rate": 0.01}, init, grads)
    tparams = [torch.tensor(w, requires_grad=True) for w in init]
    topt = torch.optim.Adam(tparams, lr=0.01, eps=1e-7)
    for gs in grads:
        for p, g in zip(tparams, gs, strict=True):
            p.grad = torch.tensor(g)
        topt.step()
    for x, p in zip(ours[-1], tparams, strict=True):
        np.testing.assert_allclose(x, p.detach().numpy(), rtol=0, atol=1e-6)


# -- flat buffers -------------------------------------------------------------------------------
def make_params(dtype="float32", shapes=SHAPES, seed=0):
    rng = np.random.default_rng(seed)
    return [npl.Tensor(rng.normal(size=s), requires_grad=True, dtype=dtype) for s in shapes]


def test_build_packs_params_into_views_of_one_buffer():
    params = make_params()
    values = [p.data.copy() for p in params]
    params[1].grad = np.full(params[1].shape, 2.0, dtype=np.float32)  # an existing grad is kept
    Adam(params=params)
    data_base, grad_base = params[0].data.base, params[0].grad.base
    assert data_base is not None and data_base.size == sum(p.size for p in params)
    for p, v in zip(params, values, strict=True):
        assert p.data.base is data_base and p.grad.base is grad_base
        np.testing.assert_array_equal(p.data, v)
    assert not params[0].grad.any() and (params[1].grad == 2).all()


def test_backward_lands_in_buffer_and_zero_grad_clears_it():
    w, b = make_params(shapes=[(2, 3), (3,)])
    opt = SGD(learning_rate=0.1, params=[w, b])
    views = (w.grad, b.grad)
    ((w * w).sum() + (b * b * 3.0).sum()).backward()
    assert w.grad is views[0] and b.grad is views[1]
    np.testing.assert_allclose(w.grad, 2 * w.data)
    np.testing.assert_allclose(b.grad, 6 * b.data)
    before = w.data.copy()
    opt.step()
    np.testing.assert_allclose(w.data, before * 0.8, rtol=1e-6)
    opt.zero_grad()
    assert w.grad is views[0] and not w.grad.any() and not b.grad.any()


def test_rebound_data_and_grad_are_gathered_back():
    a, b = make_params(shapes=[(2, 2), (3,)])
    opt = SGD(learning_rate=0.5, params=[a, b])
    a.data = np.array([[1.0, 2.0], [3.0, 4.0]], dtype=np.float32)  # e.g. set_weights
    b.grad = np.array([1.0, -1.0, 2.0], dtype=np.float32)  # a fresh array, not the view
    b_before = b.data.copy()
    a.grad[...] = 1.0
    opt.step()
    np.testing.assert_allclose(a.data, [[0.5, 1.5], [2.5, 3.5]])
    np.testing.assert_allclose(b.data, b_before - 0.5 * np.array([1, -1, 2]))
    assert a.data.base is b.data.base and a.grad.base is b.grad.base
    a.zero_grad()  # Tensor.zero_grad sets None; backward then allocates a new array
    (a * a).sum().backward()
    opt.step()  # gathered from the new array, so the step still sees it: a - 0.5 * 2a = 0
    np.testing.assert_allclose(a.data, np.zeros((2, 2)))


@pytest.mark.parametrize("cls", [SGD, AdamW])
def test_param_with_grad_none_is_skipped(cls):
    a, b = make_params(shapes=[(4,), (3,)])
    opt = cls(learning_rate=0.1, **({"momentum": 0.9} if cls is SGD else {}), params=[a, b])
    a.grad[...], b.grad[...] = 1.0, 1.0
    opt.step()
    state, a_data, b_data = opt.get_state(), a.data.copy(), b.data.copy()
    a.grad = None
    opt.step()
    np.testing.assert_array_equal(a.data, a_data)  # no gradient step, momentum or decay
    for key, value in opt.get_state().items():
        if key.endswith(".0"):
            np.testing.assert_array_equal(value, state[key])
    assert not np.allclose(b.data, b_data) and a.grad is None
    if cls is SGD:  # the next update continues from the momentum before the skipped step
        a.grad = np.ones(4, dtype=np.float32)
        opt.step()
        v = 0.9 * (-0.1) - 0.1
        np.testing.assert_allclose(a.data, a_data + v, rtol=1e-6)


def test_shape_change_raises_before_any_update():
    a, b = make_params(shapes=[(2, 2), (3,)])
    opt = Adam(params=[a, b])
    a.data = np.zeros((3, 3), dtype=np.float32)
    with pytest.raises(ShapeError, match=r"parameter 0.*\(3, 3\).*Received"):
        opt.step()
    assert opt.iterations == 0


def test_mixed_dtypes_keep_their_own_buffers():
    init, grads = problem(steps=3, shapes=[(3,), (2, 2)])
    a = npl.Tensor(init[0], requires_grad=True, dtype="float32")
    b = npl.Tensor(init[1], requires_grad=True, dtype="float64")
    opt = Adam(learning_rate=0.01, params=[a, b])
    for gs in grads:
        a.grad[...], b.grad[...] = gs
        opt.step()
    assert a.data.dtype == np.float32 and b.data.dtype == np.float64
    assert a.data.base is not b.data.base
    ref = run_reference(Adam, {"learning_rate": 0.01}, init, grads)[-1]
    np.testing.assert_allclose(b.data, ref[1], rtol=1e-10)
    np.testing.assert_allclose(a.data, ref[0], rtol=1e-5)


def test_clipping_leaves_visible_grad_untouched():
    (a,) = make_params(shapes=[(3,)])
    opt = SGD(learning_rate=1.0, clipvalue=0.5, params=[a])
    before = a.data.copy()
    a.grad[...] = [2.0, -0.1, -3.0]
    opt.step()
    np.testing.assert_allclose(a.data - before, [-0.5, 0.1, 0.5], rtol=1e-6)
    np.testing.assert_array_equal(a.grad, np.float32([2.0, -0.1, -3.0]))


def test_build_rules():
    params = make_params()
    opt = Adam()
    with pytest.raises(NotReadyError, match="build"):
        opt.step()
    with pytest.raises(ConfigError, match="requires_grad"):
        opt.build([npl.Tensor([1.0])])
    with pytest.raises(ConfigError, match="same Tensor twice"):
        opt.build([params[0], params[0]])
    with pytest.raises(ConfigError, match="list of Tensors"):
        opt.build(np.zeros(3))
    opt.build(params)
    for p in params:
        p.grad[...] = 1.0
    opt.step()
    opt.build(params)  # the same list again (compile, then fit): nothing changes
    assert opt.iterations == 1
    state = opt.get_state()
    opt.build(params[:2])  # a different list (a layer frozen): the state goes on, as in Keras
    assert opt.iterations == 1 and "momentum.2" not in opt.get_state()
    for key in ("momentum.0", "velocity.1"):
        np.testing.assert_array_equal(opt.get_state()[key], state[key])
    opt.build([params[2], params[0]])  # unfrozen again: the returning one starts fresh
    assert opt.iterations == 1 and not opt.get_state()["momentum.0"].any()
    np.testing.assert_array_equal(opt.get_state()["momentum.1"], state["momentum.0"])


# -- learning rate, state, config -----------------------------------------------------------------
def test_learning_rate_is_settable_and_schedules_are_evaluated_at_iterations():
    (a,) = make_params(shapes=[(2,)], dtype="float64")
    schedule = schedules.StepDecay(0.1, step_size=2, factor=0.5)
    opt = SGD(learning_rate=schedule, params=[a])
    for it in range(6):
        assert opt.current_learning_rate() == schedule(it) == 0.1 * 0.5 ** (it // 2)
        before = a.data.copy()
        a.grad[...] = 1.0
        opt.step()
        np.testing.assert_allclose(before - a.data, schedule(it), rtol=1e-12)
    opt.learning_rate = 0.25  # what ReduceLROnPlateau does; replaces the schedule
    assert opt.learning_rate == opt.current_learning_rate() == 0.25
    before = a.data.copy()
    opt.step()
    np.testing.assert_allclose(before - a.data, 0.25)
    opt.learning_rate = lambda step: 0.5  # any callable of the step works
    assert opt.current_learning_rate() == 0.5
    with pytest.raises(ConfigError, match="plain function"):
        opt.get_config()


@pytest.mark.parametrize("cls, kwargs", CASES, ids=IDS)
def test_state_resume_is_bit_identical(cls, kwargs, tmp_path):
    init, grads = problem(seed=4)
    full, _, _ = run_neuropil(cls, kwargs, init, grads, dtype="float32")
    half, opt, params = run_neuropil(cls, kwargs, init, grads[:3], dtype="float32")
    np.savez(tmp_path / "state.npz", **opt.get_state())  # arrays only: loads without pickle
    with np.load(tmp_path / "state.npz", allow_pickle=False) as f:
        state = {k: f[k] for k in f.files}
    config = json.loads(json.dumps(optimizers.serialize(opt)))
    weights = [p.data.copy() for p in params]
    resumed = optimizers.deserialize(config)
    resumed.set_state(state)  # before build: kept and applied by build
    params = [npl.Tensor(w, requires_grad=True, dtype="float32") for w in weights]
    resumed.build(params)
    assert resumed.iterations == 3
    for gs in grads[3:]:
        resumed.zero_grad()
        for p, g in zip(params, gs, strict=True):
            p.grad += g
        resumed.step()
    for x, p in zip(full[-1], params, strict=True):
        np.testing.assert_array_equal(x, p.data)


def test_set_state_rejects_mismatches():
    opt = Adam(params=make_params())
    state = opt.get_state()
    assert set(state) == {"iterations", "learning_rate"} | {
        f"{s}.{i}" for s in ("momentum", "velocity") for i in range(3)
    }
    assert all(isinstance(v, np.ndarray) for v in state.values())
    with pytest.raises(ConfigError, match="velocity_hat"):
        Adam(amsgrad=True, params=make_params()).set_state(state)
    bad = dict(state, **{"momentum.0": np.zeros((4, 3))})
    with pytest.raises(ShapeError, match=r"momentum.0 of shape \(3, 4\)"):
        opt.set_state(bad)
    with pytest.raises(ConfigError, match="iterations"):
        opt.set_state(dict(state, iterations=np.array(-1)))


@pytest.mark.parametrize("name", ["sgd", "adagrad", "adadelta", "rmsprop", "adam", "adamw"])
def test_config_round_trip_and_keras_defaults(name):
    opt = optimizers.get(name.upper())
    config = opt.get_config()
    assert json.loads(json.dumps(config)) == config
    again = type(opt).from_config(config)
    assert again.get_config() == config
    assert optimizer_base.Optimizer.from_config(optimizers.serialize(opt)).get_config() == config
    defaults = {"sgd": (0.01, {"momentum": 0.0, "nesterov": False}),
                "adagrad": (0.001, {"initial_accumulator_value": 0.1, "epsilon": 1e-7}),
                "adadelta": (0.001, {"rho": 0.95, "epsilon": 1e-7}),
                "rmsprop": (0.001, {"rho": 0.9, "momentum": 0.0, "centered": False}),
                "adam": (0.001, {"beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7}),
                "adamw": (0.001, {"weight_decay": 0.004, "amsgrad": False})}  # fmt: skip
    lr, expected = defaults[name]
    assert config["learning_rate"] == lr and config.items() >= expected.items()


def test_schedule_in_config():
    opt = Adam(learning_rate=schedules.CosineDecay(0.01, 100, alpha=0.1))
    config = opt.get_config()
    assert config["learning_rate"]["class_name"] == "CosineDecay"
    again = Adam.from_config(json.loads(json.dumps(config)))
    assert isinstance(again.learning_rate, schedules.CosineDecay)
    assert again.learning_rate(50) == opt.learning_rate(50)


def test_get():
    opt = Adam()
    assert optimizers.get(opt) is opt
    assert type(optimizers.get("AdamW")) is AdamW and type(optimizers.get("rmsprop")) is RMSprop
    assert type(optimizers.get(SGD)) is SGD
    with pytest.raises(UnknownNameError) as info:
        optimizers.get("adamax")
    message = str(info.value)
    for valid in ("sgd", "adagrad", "adadelta", "rmsprop", "adam", "adamw"):
        assert valid in message
    assert message.endswith("Received: 'adamax'") and isinstance(info.value, KeyError)
    with pytest.raises(ConfigError, match="Received: 3"):
        optimizers.get(3)
    with pytest.raises(ConfigError, match=r"does not know: \['beta_3'\]. Received"):
        Adam.from_config({"beta_3": 0.5, "beta_1": 0.8})


@pytest.mark.parametrize("make, argument", [
    (lambda: SGD(learning_rate=-0.1), "learning_rate"),
    (lambda: SGD(learning_rate=float("nan")), "learning_rate"),
    (lambda: SGD(learning_rate="fast"), "learning_rate"),
    (lambda: SGD(momentum=-0.1), "momentum"),
    (lambda: SGD(momentum=1.5), "momentum"),
    (lambda: Adagrad(initial_accumulator_value=-1.0), "initial_accumulator_value"),
    (lambda: Adagrad(epsilon=-1e-7), "epsilon"),
    (lambda: Adadelta(rho=1.5), "rho"),
    (lambda: RMSprop(rho=-0.1), "rho"),
    (lambda: RMSprop(momentum=-0.5), "momentum"),
    (lambda: Adam(beta_1=1.0), "beta_1"),
    (lambda: Adam(beta_2=-0.1), "beta_2"),
    (lambda: AdamW(weight_decay=-0.1), "weight_decay"),
    (lambda: AdamW(weight_decay=None), "weight_decay"),
    (lambda: SGD(clipnorm=0.0), "clipnorm"),
    (lambda: SGD(clipnorm=1.0, clipvalue=1.0), "clipvalue"),
])  # fmt: skip
def test_bad_hyper_parameters_raise(make, argument):
    with pytest.raises(ConfigError, match=argument) as info:
        make()
    assert "Received:" in str(info.value)


def test_sgd_docstring_names_the_three_batch_regimes():
    doc = SGD.__doc__
    assert "Full-batch" in doc and "batch_size=1" in doc and "mini-batch" in doc


@pytest.mark.parametrize("module", [optimizers, optimizer_base])
def test_doctests(module):
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


def test_a_callable_of_no_arguments_is_a_keras_learning_rate():
    params = make_params("float64", shapes=[(3,)])
    params[0].grad = np.ones(3)
    SGD(learning_rate=lambda: 0.25, params=params).step()  # Keras 3: "takes no arguments"
    np.testing.assert_allclose(params[0].data, make_params("float64", shapes=[(3,)])[0].data - 0.25)
    steps = []
    opt = SGD(learning_rate=lambda step: steps.append(step) or 0.1, params=params)
    opt.step(), opt.step()
    assert steps == [0, 1]  # a schedule receives the step count


def test_a_learning_rate_callable_of_other_arguments_is_refused_at_once():
    with pytest.raises(ConfigError, match="learning_rate to be a number, a schedule.*Received"):
        Adam(learning_rate=lambda step, epoch: 0.1)


def test_a_state_that_does_not_fit_leaves_the_optimizer_unbuilt():
    source = Adam(params=make_params(shapes=[(3,)]))
    source.iterations = 500
    state = source.get_state()
    opt = Adam()
    opt.set_state(state)
    params = make_params(shapes=[(2, 2)])
    for _ in range(2):  # the second build must not go on with zero moments at step 500
        with pytest.raises(ShapeError, match="momentum.0 of shape"):
            opt.build(params)
        assert not opt.built and opt.params == []


class Halving(schedules.LearningRateSchedule):
    """A schedule of the user's own."""

    def __init__(self, start=0.1):
        self.start = start

    def __call__(self, step):
        return self.start / 2**step

    def get_config(self):
        return {"start": self.start}


class SignSGD(SGD):
    """An optimizer of the user's own."""


def test_schedules_and_optimizers_of_your_own_load_with_custom_objects(tmp_path):
    from neuropil.errors import FileFormatError
    from neuropil.layers import Dense, Input
    from neuropil.models import Sequential, load_model

    model = Sequential([Input((2,)), Dense(1)])
    model.compile(SignSGD(learning_rate=Halving(0.2)), loss="mse")
    model.fit(np.ones((4, 2)), np.ones((4, 1)), epochs=1, batch_size=2, verbose=0)
    model.save(tmp_path / "m.npil")
    with pytest.raises(FileFormatError, match="schedule of your own: pass"):
        load_model(tmp_path / "m.npil")
    loaded = load_model(tmp_path / "m.npil",
                        custom_objects={"Halving": Halving, "SignSGD": SignSGD})  # fmt: skip
    assert type(loaded.optimizer) is SignSGD and loaded.optimizer.iterations == 2
    assert loaded.optimizer.current_learning_rate() == pytest.approx(0.05)
