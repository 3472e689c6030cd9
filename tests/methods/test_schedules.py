"""Critic-step and learning-rate schedules: closed forms, the training loop follows them, and resume."""

import dataclasses
import os
import signal
from contextlib import nullcontext

import pandas as pd
import pytest
import torch
from torch import nn

from suite.config import resolve_study
from suite.methods import (
    PRESETS,
    critic_steps,
    lr_factor,
    make_optimizers,
    resolve_method,
    set_learning_rates,
    total_critic_steps,
)
from suite.train import BatchSampler, Interrupted, StepContext, Trainer, train_iteration
from tests.conftest import toy_study

WGAN_SCHEDULE = dataclasses.replace(PRESETS["wgan-wc"], n_dis_schedule="wgan")


@pytest.mark.parametrize("step, expected", [
    (0, 100), (1, 100), (24, 100), (25, 5), (26, 5), (499, 5), (500, 100), (501, 5), (1000, 100), (1500, 100),
    (1501, 5),
])
def test_wgan_critic_schedule_is_the_reference_codes(step, expected):
    """100 critic steps while fewer than 25 generator iterations are done and at every 500th, n_dis else."""
    assert critic_steps(WGAN_SCHEDULE, step) == expected
    assert critic_steps(PRESETS["wgan-wc"], step) == 5
    assert critic_steps(PRESETS["sagan"], step) == 1


def test_total_critic_steps():
    assert total_critic_steps(WGAN_SCHEDULE, 30) == 25 * 100 + 5 * 5
    assert total_critic_steps(WGAN_SCHEDULE, 1001) == 25 * 100 + (1001 - 25 - 2) * 5 + 2 * 100
    assert total_critic_steps(PRESETS["wgan-gp"], 30) == 150


@pytest.mark.parametrize("step, total, expected", [(0, 100, 1.0), (1, 100, 0.99), (50, 100, 0.5),
                                                    (99, 100, 0.01), (100, 100, 0.0), (3, 7, 4 / 7)])
def test_linear_lr_factor_closed_form(step, total, expected):
    linear = dataclasses.replace(PRESETS["wgan-gp"], lr_schedule="linear")
    assert lr_factor(linear, step, total) == pytest.approx(expected, abs=1e-15)
    assert lr_factor(PRESETS["wgan-gp"], step, total) == 1.0


def test_set_learning_rates_scales_both_optimizers():
    spec = dataclasses.replace(PRESETS["sagan"], lr_schedule="linear")
    opt_g, opt_d = make_optimizers(spec, nn.Linear(3, 2), nn.Linear(2, 1))
    set_learning_rates(spec, opt_g, opt_d, step=30, total=40)
    assert opt_g.param_groups[0]["lr"] == pytest.approx(1e-4 * 0.25)
    assert opt_d.param_groups[0]["lr"] == pytest.approx(4e-4 * 0.25)
    set_learning_rates(spec, opt_g, opt_d, step=0, total=40)
    assert (opt_g.param_groups[0]["lr"], opt_d.param_groups[0]["lr"]) == (1e-4, 4e-4)


def test_train_iteration_takes_the_scheduled_critic_steps():
    torch.manual_seed(0)
    critic = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 1), nn.Flatten(0))
    generator = nn.Linear(4, 2)
    opt_g, opt_d = make_optimizers(WGAN_SCHEDULE, generator, critic)
    ctx = StepContext(WGAN_SCHEDULE, generator, critic, opt_g, opt_d, 4, nullcontext, torch.contiguous_format)
    sampler = BatchSampler(torch.randn(10_000, 2), batch_size=4, seed=0)
    for step in (0, 24, 25, 499, 500):
        before = sampler.position
        train_iteration(ctx, sampler, 4, torch.device("cpu"), step)
        assert (sampler.position - before) // 4 == critic_steps(WGAN_SCHEDULE, step)


SCHEDULED = {"preset": "wgan-wc", "n_dis_schedule": "wgan", "lr_schedule": "linear"}
ITERATIONS = 6  # all inside the first 25 iterations' 100-step bursts: 600 critic steps a run


def scheduled_run():
    study = resolve_study(toy_study(methods=("scheduled",), iterations=ITERATIONS, batch_size=16,
                                    checkpoint_every=ITERATIONS, eval_every=2, diagnostics_every=0)
                          | {"methods": {"scheduled": SCHEDULED}})
    (run,) = study.runs
    return run


def interrupt_at_first_eval(generator, step):
    os.kill(os.getpid(), signal.SIGINT)
    return {}


@pytest.fixture
def one_thread():
    # 1800 critic steps of a tiny MLP: one thread is ~10x faster than two on a busy machine.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_schedules_follow_the_step_through_a_resume(tmp_path, one_thread):
    run = scheduled_run()
    assert run.method["n_dis_schedule"] == "wgan" and run.method["lr_schedule"] == "linear"
    whole = Trainer(run, tmp_path / "whole").fit()
    with pytest.raises(Interrupted):
        Trainer(run, tmp_path / "resumed", on_eval=interrupt_at_first_eval).fit()
    assert torch.load(tmp_path / "resumed" / "checkpoint.pt", weights_only=False)["step"] == 2
    resumed = Trainer(run, tmp_path / "resumed").fit()

    spec = resolve_method(run.method)
    assert whole["images_seen"] == resumed["images_seen"] == total_critic_steps(spec, ITERATIONS) * 16 == 600 * 16
    losses = [pd.read_csv(tmp_path / name / "train.csv").drop(columns=["seconds"]) for name in ("whole", "resumed")]
    pd.testing.assert_frame_equal(*losses)
    weights = [torch.load(tmp_path / name / "generator.pt", weights_only=False)["generator"]
               for name in ("whole", "resumed")]
    assert all(torch.equal(weights[0][key], weights[1][key]) for key in weights[0])
    # The last iteration (step 5 of 6) ran at lr * (1 - 5/6).
    state = torch.load(tmp_path / "whole" / "checkpoint.pt", weights_only=False)
    for key, base in (("opt_g", spec.lr_g), ("opt_d", spec.lr_d)):
        assert state[key]["param_groups"][0]["lr"] == pytest.approx(base * (1 - 5 / 6), rel=1e-12)
