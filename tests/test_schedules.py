"""Learning-rate schedules: closed-form reference values, torch.optim.lr_scheduler parity, the rate
an optimizer actually uses, config round trips and bad arguments."""

import doctest
import json
import math

import numpy as np
import pytest
import torch

import neuropil as npl
from neuropil import optimizers, schedules
from neuropil.errors import ConfigError, UnknownNameError
from neuropil.schedules import (
    CosineDecay,
    CosineDecayRestarts,
    ExponentialDecay,
    InverseTimeDecay,
    PiecewiseConstantDecay,
    PolynomialDecay,
    StepDecay,
)

STEPS = [0, 1, 2, 5, 9, 10, 11, 17, 30, 100, 1000]


def cosine_reference(step, lr0, decay_steps, alpha):
    s = min(step, decay_steps)
    return lr0 * ((1 - alpha) * (1 + np.cos(np.pi * s / decay_steps)) / 2 + alpha)


def restarts_reference(step, lr0, first, t_mul, m_mul, alpha):
    start, length, cycle = 0, first, 0  # walk cycle by cycle, in whole numbers where possible
    while step >= start + length:
        start, length, cycle = start + length, length * t_mul, cycle + 1
    cosine = (1 + np.cos(np.pi * (step - start) / length)) / 2
    return lr0 * ((1 - alpha) * m_mul**cycle * cosine + alpha)


REFERENCE_CASES = [
    (ExponentialDecay(0.1, 10, 0.5), lambda t: 0.1 * 0.5 ** (t / 10)),
    (ExponentialDecay(0.1, 10, 0.5, staircase=True), lambda t: 0.1 * 0.5 ** (t // 10)),
    (InverseTimeDecay(0.2, 5, 0.5), lambda t: 0.2 / (1 + 0.5 * t / 5)),
    (InverseTimeDecay(0.2, 5, 0.5, staircase=True), lambda t: 0.2 / (1 + 0.5 * (t // 5))),
    # values[i] where i = how many boundaries lie strictly below the step (boundaries inclusive)
    (PiecewiseConstantDecay([5, 10, 30], [1.0, 0.5, 0.25, 0.1]),
     lambda t: [1.0, 0.5, 0.25, 0.1][int(np.searchsorted([5, 10, 30], t, side="left"))]),
    (StepDecay(0.3, step_size=10, factor=0.1), lambda t: 0.3 * 0.1 ** (t // 10)),
    (PolynomialDecay(0.1, 10, end_learning_rate=0.01, power=2.0),
     lambda t: (0.1 - 0.01) * (1 - min(t, 10) / 10) ** 2 + 0.01),
    (PolynomialDecay(0.1, 10, end_learning_rate=0.0, cycle=True),
     lambda t: 0.1 * (1 - t / (10 * max(1, math.ceil(t / 10))))),
    (CosineDecay(0.1, 30), lambda t: cosine_reference(t, 0.1, 30, 0.0)),
    (CosineDecay(0.1, 30, alpha=0.2), lambda t: cosine_reference(t, 0.1, 30, 0.2)),
    (CosineDecay(0.0, 30, warmup_target=0.1, warmup_steps=10),
     lambda t: 0.1 * t / 10 if t < 10 else cosine_reference(t - 10, 0.1, 30, 0.0)),
    (CosineDecayRestarts(0.1, 10, t_mul=2.0, m_mul=0.5, alpha=0.1),
     lambda t: restarts_reference(t, 0.1, 10, 2, 0.5, 0.1)),
    (CosineDecayRestarts(0.1, 7, t_mul=1.0, m_mul=0.8),
     lambda t: restarts_reference(t, 0.1, 7, 1, 0.8, 0)),
    (CosineDecayRestarts(0.1, 3, t_mul=1.5), lambda t: restarts_reference(t, 0.1, 3, 1.5, 1.0, 0)),
]  # fmt: skip


@pytest.mark.parametrize("schedule, reference", REFERENCE_CASES,
                         ids=[type(c[0]).__name__ for c in REFERENCE_CASES])  # fmt: skip
def test_values_match_closed_forms(schedule, reference):
    for step in STEPS:
        assert schedule(step) == pytest.approx(reference(step), rel=1e-12, abs=1e-15), step
        assert isinstance(schedule(step), float)
    assert schedule(np.int64(7)) == pytest.approx(reference(7), rel=1e-12)


def test_piecewise_boundaries_are_inclusive():
    s = PiecewiseConstantDecay([10, 20], [1.0, 0.5, 0.1])
    assert [s(t) for t in (0, 10, 11, 20, 21)] == [1.0, 1.0, 0.5, 0.5, 0.1]


def _torch_rates(make_scheduler, lr0, steps):
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr0)
    scheduler = make_scheduler(opt)
    rates = []
    for _ in range(steps):
        rates.append(opt.param_groups[0]["lr"])
        opt.step()
        scheduler.step()
    return rates


@pytest.mark.parametrize("ours, make", [
    (StepDecay(0.1, step_size=3, factor=0.5),
     lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=3, gamma=0.5)),
    (ExponentialDecay(0.1, decay_steps=1, decay_rate=0.9),
     lambda o: torch.optim.lr_scheduler.ExponentialLR(o, gamma=0.9)),
    (CosineDecay(0.1, decay_steps=20, alpha=0.1),
     lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=20, eta_min=0.01)),
    (CosineDecayRestarts(0.1, first_decay_steps=5, t_mul=2.0, alpha=0.1),
     lambda o: torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=5, T_mult=2,
                                                                    eta_min=0.01)),
    (CosineDecayRestarts(0.1, first_decay_steps=4, t_mul=1.0),
     lambda o: torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=4)),
])  # fmt: skip
def test_matches_torch_schedulers(ours, make):
    # torch steps its scheduler once per call; counted in optimizer steps both agree. Torch's
    # cosine restarts after T_max while Keras's stays at the floor, so compare up to T_max.
    # The warm restarts run 80 steps: four to five cycles.
    steps = 80 if isinstance(ours, CosineDecayRestarts) else 21
    np.testing.assert_allclose([ours(t) for t in range(steps)], _torch_rates(make, 0.1, steps),
                               rtol=1e-9)  # fmt: skip


def test_warm_restarts_start_each_cycle_at_its_step_even_where_logarithms_round():
    # cycles of 3, 9, 27, ... steps start at steps 3, 12, 39, ...; for the one at step 363 (121
    # first cycles in) the cycle's number, log(1 + 2 * 121) / log(3), comes out as 4.999999999999999
    # in floating point, which alone would put that step at the end of the cycle before
    s = CosineDecayRestarts(1.0, 3, t_mul=3.0, m_mul=0.5)
    start = 0
    for cycle in range(12):
        assert s(start) == pytest.approx(0.5**cycle, rel=1e-12), start
        if cycle:
            assert s(start - 1) < s(start)  # the rate jumps back up at the restart
        start += 3 * 3**cycle


@pytest.mark.parametrize("name", ["sgd", "adam", "rmsprop"])
def test_optimizer_uses_schedule_at_its_iterations(name):
    schedule = PiecewiseConstantDecay([1, 3], [0.1, 0.05, 0.01])
    w = npl.Tensor(np.ones(3), requires_grad=True, dtype="float64")
    opt = optimizers.get(name)
    opt.learning_rate = schedule
    opt.build([w])
    for it in range(6):
        assert opt.iterations == it and opt.current_learning_rate() == schedule(it)
        w.grad[...] = 1.0
        before = w.data.copy()
        opt.step()
        if name == "sgd":  # there the step is exactly the rate times the gradient
            np.testing.assert_allclose(before - w.data, schedule(it), rtol=1e-12)


@pytest.mark.parametrize("schedule", [case[0] for case in REFERENCE_CASES],
                         ids=[type(c[0]).__name__ for c in REFERENCE_CASES])  # fmt: skip
def test_config_round_trip(schedule):
    blob = json.loads(json.dumps(schedules.serialize(schedule)))
    assert blob["class_name"] == type(schedule).__name__
    for again in (schedules.deserialize(blob), schedules.get(blob),
                  type(schedule).from_config(blob["config"])):  # fmt: skip
        assert type(again) is type(schedule)
        assert again.get_config() == schedule.get_config()
        assert [again(t) for t in STEPS] == [schedule(t) for t in STEPS]


def test_get_and_names():
    s = StepDecay(0.1, 2, 0.5)
    assert schedules.get(s) is s
    fn = lambda step: 0.1  # noqa: E731
    assert schedules.get(fn) is fn
    with pytest.raises(ConfigError, match="needs arguments"):
        schedules.get("StepDecay")
    with pytest.raises(UnknownNameError, match="CosineDecay.*ExponentialDecay.*Received: 'Nope'"):
        schedules.deserialize({"class_name": "Nope", "config": {}})
    with pytest.raises(ConfigError, match="plain function"):
        schedules.serialize(fn)
    with pytest.raises(ConfigError, match="Received: 3"):
        schedules.get(3)


@pytest.mark.parametrize("make, argument", [
    (lambda: ExponentialDecay(0.1, 0, 0.5), "decay_steps"),
    (lambda: ExponentialDecay(-0.1, 10, 0.5), "initial_learning_rate"),
    (lambda: ExponentialDecay(0.1, 10, -0.5), "decay_rate"),
    (lambda: InverseTimeDecay(0.1, -1, 0.5), "decay_steps"),
    (lambda: PiecewiseConstantDecay([5], [1.0]), "values"),
    (lambda: PiecewiseConstantDecay([5, 5], [1.0, 0.5, 0.1]), "boundaries"),
    (lambda: PiecewiseConstantDecay([5, 10], [1.0, -0.5, 0.1]), "values"),
    (lambda: StepDecay(0.1, 0, 0.5), "step_size"),
    (lambda: StepDecay(0.1, 2.5, 0.5), "step_size"),
    (lambda: StepDecay(0.1, 2, -1.0), "factor"),
    (lambda: PolynomialDecay(0.1, 10, power=-1.0), "power"),
    (lambda: CosineDecay(0.1, 10, alpha=1.5), "alpha"),
    (lambda: CosineDecay(0.1, 10, warmup_target=0.2, warmup_steps=-1), "warmup_steps"),
    (lambda: CosineDecay(float("inf"), 10), "initial_learning_rate"),
    (lambda: CosineDecayRestarts(0.1, 0), "first_decay_steps"),
    (lambda: CosineDecayRestarts(0.1, 10, t_mul=0.5), "t_mul"),
    (lambda: CosineDecayRestarts(0.1, 10, m_mul=-1), "m_mul"),
    (lambda: CosineDecayRestarts(0.1, 10, alpha=2), "alpha"),
])  # fmt: skip
def test_bad_arguments_raise(make, argument):
    with pytest.raises(ConfigError, match=argument) as info:
        make()
    assert "Received:" in str(info.value)


def test_step_decay_docstring_says_it_is_neuropils_own():
    assert "neuropil's own convenience" in StepDecay.__doc__


def test_doctests():
    result = doctest.testmod(schedules, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


def test_unknown_keys_are_named_even_inside_an_optimizer_config():
    settings = {"initial_learning_rate": 0.1, "decay_steps": 10, "decay_rat": 0.5}
    config = {"class_name": "ExponentialDecay", "config": settings}
    with pytest.raises(ConfigError, match=r"ExponentialDecay does not take \['decay_rat'\]"):
        schedules.deserialize(config)
    with pytest.raises(ConfigError, match="ExponentialDecay does not take"):
        optimizers.Adam.from_config({"learning_rate": config, "beta_1": 0.8})


def test_schedules_take_a_name_in_keras_positions():
    assert ExponentialDecay(0.1, 10, 0.5, False, "decay").name == "decay"
    assert CosineDecay(0.1, 10, 0.0, "cosine", 0.2, 5).warmup_target == 0.2  # name before warmup
    again = schedules.deserialize(schedules.serialize(PolynomialDecay(0.1, 10, name="poly")))
    assert again.name == "poly" and again(10) == pytest.approx(0.0001)
    with pytest.raises(ConfigError, match="name to be a string or None"):
        StepDecay(0.1, 5, 0.5, name=3)
