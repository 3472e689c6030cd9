"""Real training runs on a tiny toy study: determinism, resume after SIGKILL, divergence, signals."""

import json
import signal
import subprocess
import time

import pandas as pd
import pytest
import torch

from tests.conftest import run_cli, start_training, toy_study

RUN = "toy-8gaussians/mlp-small/wgan-gp/seed0"


def train(study, out, *extra):
    return run_cli("train", "--study", study, "--run", RUN, "--out", out, "--threads", "1", *extra)


def losses(run_dir):
    return pd.read_csv(run_dir / "train.csv").drop(columns=["seconds"])


def weights(run_dir):
    return torch.load(run_dir / "generator.pt", weights_only=False)["generator"]


def assert_same_weights(a, b):
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), key


@pytest.mark.slow
def test_same_seed_is_bit_identical_and_other_seed_differs(tmp_path, write_study):
    study = write_study(toy_study(seeds=(0, 1)))
    train(study, tmp_path / "a")
    train(study, tmp_path / "b")
    run_cli("train", "--study", study, "--run", RUN.replace("seed0", "seed1"), "--out", tmp_path / "c")
    pd.testing.assert_frame_equal(losses(tmp_path / "a"), losses(tmp_path / "b"))
    assert_same_weights(weights(tmp_path / "a"), weights(tmp_path / "b"))
    assert not losses(tmp_path / "a").equals(losses(tmp_path / "c"))
    summary = json.loads((tmp_path / "a" / "train.json").read_text())
    assert summary["status"] == "ok" and summary["steps"] == 30
    assert summary["images_seen"] == 30 * 5 * 64  # n_dis 5 critic batches per generator step
    # One thread: the steps' CPU time is close to their wall time, and never more than a thread's share.
    assert 0 < summary["cpu_seconds"] <= 1.5 * summary["seconds"] + 0.5
    assert summary["cpu_seconds_per_step"] == pytest.approx(summary["cpu_seconds"] / 30, abs=1e-4)
    diagnostics = pd.read_csv(tmp_path / "a" / "diagnostics" / "layers.csv")
    assert sorted(diagnostics["step"].unique()) == [5, 10, 15, 20, 25, 30]


def test_curve_records_the_wall_and_cpu_seconds_of_the_steps_so_far(tmp_path):
    from suite.config import resolve_study
    from suite.train import Trainer

    (run,) = resolve_study(toy_study(iterations=6, batch_size=16, eval_every=2, diagnostics_every=0)).runs
    summary = Trainer(run, tmp_path, on_eval=lambda generator, step: {"evaluated_at": float(step)}).fit()
    curve = pd.read_csv(tmp_path / "curve.csv")
    assert list(curve.columns) == ["step", "seconds", "cpu_seconds", "evaluated_at"]
    assert curve["step"].tolist() == curve["evaluated_at"].tolist() == [2, 4, 6]
    assert curve["cpu_seconds"].is_monotonic_increasing and (curve["cpu_seconds"] > 0).all()
    # the last evaluation comes after the last step: the whole run's CPU time, as train.json has it
    assert curve["cpu_seconds"].iloc[-1] == pytest.approx(summary["cpu_seconds"], abs=1e-3)


def test_evaluations_cpu_time_is_counted_apart_from_the_steps(tmp_path):
    import time

    from suite.config import resolve_study
    from suite.train import Trainer

    def evaluate(generator, step):  # spends 0.5 CPU s, as a costly metric would
        until = time.process_time() + 0.5
        while time.process_time() < until:
            pass
        return {"evaluated_at": float(step)}

    (run,) = resolve_study(toy_study(iterations=6, batch_size=16, eval_every=2, diagnostics_every=0)).runs
    summary = Trainer(run, tmp_path, on_eval=evaluate).fit()
    assert summary["eval_cpu_seconds"] == pytest.approx(3 * 0.5, abs=0.05)
    assert summary["diagnostics_cpu_seconds"] == 0.0
    # the steps' CPU time holds none of the evaluations': 6 toy steps cost well under their 1.5 s
    assert summary["cpu_seconds"] < 1.0


@pytest.mark.slow
def test_sigkill_then_rerun_resumes_to_the_same_numbers(tmp_path, write_study):
    study = write_study(toy_study(iterations=400, checkpoint_every=20))
    train(study, tmp_path / "whole")
    killed = tmp_path / "killed"
    process = start_training(study, RUN, killed)
    checkpoint = killed / "checkpoint.pt"
    deadline = time.time() + 120
    while time.time() < deadline and not checkpoint.exists():
        time.sleep(0.05)
    time.sleep(0.3)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert not (killed / "train.json").exists(), "the run finished before it could be killed"
    step_at_kill = torch.load(checkpoint, weights_only=False)["step"]
    assert 0 < step_at_kill < 400
    train(study, killed)
    assert not list(killed.rglob(".*.tmp")), "a stale temp file survived the rerun"
    pd.testing.assert_frame_equal(losses(tmp_path / "whole"), losses(killed))
    assert_same_weights(weights(tmp_path / "whole"), weights(killed))
    for name in ("layers.csv", "weights.csv"):
        pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "whole" / "diagnostics" / name),
                                      pd.read_csv(killed / "diagnostics" / name))


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_interrupt_writes_a_checkpoint_and_exits_nonzero(tmp_path, write_study, signum):
    study = write_study(toy_study(iterations=100_000, checkpoint_every=100_000))
    out = tmp_path / "run"
    process = start_training(study, RUN, out, stderr=subprocess.PIPE)
    deadline = time.time() + 120
    while time.time() < deadline and not (out / "train.csv").exists():
        time.sleep(0.05)
    while time.time() < deadline and len((out / "train.csv").read_text().splitlines()) < 3:
        time.sleep(0.05)
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 2
    assert "checkpoint written" in stderr
    assert torch.load(out / "checkpoint.pt", weights_only=False)["step"] > 0


@pytest.mark.slow
def test_huge_learning_rate_diverges_cleanly(tmp_path, write_study):
    config = toy_study(iterations=200)
    config["methods"] = {"wgan-gp": {"preset": "wgan-gp", "lr_d": 1e6, "lr_g": 1e6, "gp_lambda": 0.0}}
    study = write_study(config)
    train(study, tmp_path / "run")
    summary = json.loads((tmp_path / "run" / "train.json").read_text())
    assert summary["status"] == "diverged"
    assert 1 <= summary["diverged_at_step"] <= 200
    assert summary["steps"] == summary["diverged_at_step"]
    assert (tmp_path / "run" / "generator.pt").exists()
