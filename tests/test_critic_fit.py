"""The fixed-generator critic fit (WGAN-GP Fig. 1a): its measurements against closed forms, and its run mode."""

import json
import time

import numpy as np
import pytest
import torch
from torch import nn

from suite.claims.measures import critic_w1_gap
from suite.claims.runs import RunOutputs
from suite.config import load_study
from suite.critic_fit import (FIT_FILE, SURFACE_FILE, fit_critic, held_out_sets, lipschitz_points,
                              measure_critic)
from suite.errors import ConfigError
from suite.metrics.toy import wasserstein1
from tests.conftest import run_cli, toy_study

FAST = {"critic_steps": 60, "n_eval": 200, "grid": 20}


class Linear(nn.Module):
    """D(x) = w.x: ||grad_x D|| = ||w|| everywhere, E D(real) - E D(fake) = w.(mean real - mean fake)."""

    def __init__(self, w):
        super().__init__()
        self.w = nn.Parameter(torch.tensor(w, dtype=torch.float32))

    def forward(self, x):
        return x @ self.w


def test_exact_w1_of_a_set_and_its_shift_is_the_shift():
    points = np.random.default_rng(0).standard_normal((300, 2))
    shift = np.array([0.6, -0.8]) * 2.5
    assert wasserstein1(points, points + shift) == pytest.approx(2.5, rel=1e-9)


def test_a_linear_critic_along_the_shift_attains_the_exact_w1():
    real = torch.from_numpy(np.random.default_rng(1).standard_normal((300, 2)))
    fake = real + torch.tensor([1.5, 0.0], dtype=torch.float64)
    measured = measure_critic(Linear([-3.0, 4.0]), real, fake, grid=10)
    assert measured["lipschitz"] == pytest.approx(5.0, rel=1e-6)
    assert measured["w1_critic"] == pytest.approx(3.0 * 1.5, rel=1e-5)  # w.(real - fake) = -3 * -1.5
    along = measure_critic(Linear([-1.0, 0.0]), real, fake, grid=10)
    assert along["w1_normalized"] == pytest.approx(wasserstein1(real.numpy(), fake.numpy()), rel=1e-5)


def test_lipschitz_points_hold_both_sets_their_interpolates_and_a_wider_grid():
    real = torch.tensor([[0.0, 0.0], [1.0, 1.0]], dtype=torch.float64)
    fake = torch.tensor([[2.0, 0.0], [3.0, 1.0]], dtype=torch.float64)
    points = lipschitz_points(real, fake, grid=5, generator=torch.Generator().manual_seed(0))
    assert points.shape == (2 + 2 + 2 + 25, 2)
    assert torch.equal(points[:4], torch.cat([real, fake]))
    between = points[4:6]
    t = (between[:, 0] - real[:, 0]) / (fake[:, 0] - real[:, 0])  # on each real -> fake segment
    assert torch.allclose(between, real + t[:, None] * (fake - real)) and ((t >= 0) & (t <= 1)).all()
    lattice = points[6:]  # the box [0, 3] x [0, 1] widened by a quarter on each side
    assert lattice[:, 0].min() == -0.75 and lattice[:, 0].max() == 3.75
    assert lattice[:, 1].min() == -0.25 and lattice[:, 1].max() == 1.25


@pytest.fixture
def toy_runs(tmp_path, write_study):
    config = toy_study(methods=("gp", "clip"), iterations=4, batch_size=64)
    config["methods"] = {"gp": {"preset": "wgan-gp", "lr_d": 1e-3},
                         "clip": {"preset": "wgan-wc", "clip_value": 0.001, "lr_d": 1e-3}}
    study = load_study(write_study(config))
    return {method: study.run("toy-8gaussians", "mlp-small", method, 0) for method in ("gp", "clip")}


def test_fit_records_the_critic_and_the_exact_w1_of_the_held_out_sets(tmp_path, toy_runs):
    run = toy_runs["gp"]
    cpu_before = time.process_time()
    record = fit_critic(run, tmp_path, **FAST)
    assert 0 < record["cpu_seconds"] <= time.process_time() - cpu_before  # its steps are part of the call
    assert json.loads((tmp_path / FIT_FILE).read_text()) == record
    assert record["status"] == "ok" and record["critic_steps"] == 60 and record["noise_std"] == 1.0
    real, fake = held_out_sets(run, 1.0, 200)
    assert record["w1_exact"] == pytest.approx(wasserstein1(real.numpy(), fake.numpy()), rel=1e-12)
    assert record["w1_normalized"] == pytest.approx(record["w1_critic"] / record["lipschitz"], rel=1e-12)
    assert 0 < record["w1_normalized"] < 1.05 * record["w1_exact"]  # duality: at most W1, up to the measured L
    surface = np.load(tmp_path / SURFACE_FILE)
    assert surface["critic"].shape == (100, 100)
    np.testing.assert_allclose(surface["real"], real.numpy(), rtol=1e-6)
    np.testing.assert_allclose(surface["fake"], fake.numpy(), rtol=1e-6)


def test_fit_is_seeded_and_its_default_budget_is_the_runs_critic_steps(tmp_path, toy_runs):
    first = fit_critic(toy_runs["clip"], tmp_path / "a", critic_steps=None, n_eval=100, grid=10)
    second = fit_critic(toy_runs["clip"], tmp_path / "b", critic_steps=None, n_eval=100, grid=10)
    assert first["critic_steps"] == 4 * 5  # 4 iterations x n_dis 5
    keep = ("w1_critic", "lipschitz", "w1_exact")
    assert {k: first[k] for k in keep} == {k: second[k] for k in keep}


def test_training_moves_the_critics_estimate_towards_the_exact_w1(tmp_path, toy_runs):
    """The fit's mechanics, not the paper's finding: more critic steps, a larger share of W1, read back by the
    claim's statistic (the GP-versus-clipping comparison is the claim's, decided on the study's runs)."""
    gaps = []
    for steps in (1, FAST["critic_steps"]):
        folder = tmp_path / f"steps{steps}"
        fit_critic(toy_runs["gp"], folder, **{**FAST, "critic_steps": steps})
        (folder / "run.yaml").write_text(json.dumps(toy_runs["gp"].describe()))
        gaps.append(critic_w1_gap(RunOutputs.load(folder)))
    assert 0 <= gaps[1] < gaps[0] <= 1.05


def test_a_diverged_fit_records_no_estimate_and_the_claim_leaves_it_out(tmp_path, write_study):
    config = toy_study(methods=("boom",), iterations=4)
    config["methods"] = {"boom": {"preset": "wgan-gp", "constraint": "none", "optimizer": "rmsprop", "lr_d": 1e30}}
    run = load_study(write_study(config)).run("toy-8gaussians", "mlp-small", "boom", 0)
    (tmp_path / SURFACE_FILE).write_text("from an earlier fit")
    record = fit_critic(run, tmp_path, **FAST)
    assert record["status"] == "diverged" and record["diverged_at_step"] < FAST["critic_steps"]
    assert record["w1_critic"] is None and record["surface"] is None and record["w1_exact"] > 0
    assert not (tmp_path / SURFACE_FILE).exists()
    (tmp_path / "run.yaml").write_text(json.dumps(run.describe()))
    assert np.isnan(critic_w1_gap(RunOutputs.load(tmp_path)))


@pytest.mark.parametrize(("change", "message"), [
    ({"critic_steps": 0}, "critic_steps must be >= 1"),
    ({"noise_std": 0.0}, "noise_std must be > 0, got 0.0"),
    ({"grid": 1}, "grid must be >= 2, got 1"),
    ({"n_eval": 6000}, "n_eval must be <= 5000"),
])
def test_bad_settings_are_one_config_error(tmp_path, toy_runs, change, message):
    with pytest.raises(ConfigError, match=message):
        fit_critic(toy_runs["gp"], tmp_path, **{**FAST, **change})


def test_image_runs_are_refused(tmp_path, write_study):
    config = toy_study()
    config["grids"][0]["data"] = ["fashion32"]
    config["archs"] = {"mlp-small": {"family": "mlp", "depth": 3, "width": 32}}
    study = load_study(write_study(config))
    with pytest.raises(ConfigError, match="2-d toy data"):
        fit_critic(study.run("fashion32", "mlp-small", "wgan-gp", 0), tmp_path, **FAST)


@pytest.mark.slow
def test_cli_fit_critic_writes_into_the_run_folder(tmp_path, toy_runs):
    run = toy_runs["gp"]
    folder = tmp_path / "run"
    folder.mkdir()
    (folder / "run.yaml").write_text(json.dumps(run.describe()))
    run_cli("fit-critic", "--spec", folder / "run.yaml", "--out", folder, "--threads", "1",
            "--critic-steps", "5", "--n-eval", "50")
    record = json.loads((folder / FIT_FILE).read_text())
    assert record["critic_steps"] == 5 and record["n_eval"] == 50
    assert (folder / SURFACE_FILE).is_file()
    bad = run_cli("fit-critic", "--spec", folder / "run.yaml", "--out", folder, "--critic-steps", "0", check=False)
    assert bad.returncode == 2 and bad.stderr.strip() == "error: fit-critic critic_steps must be >= 1, got 0"
