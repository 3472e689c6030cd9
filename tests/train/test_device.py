"""Device choice, and checkpoints that move between CPU and CUDA (the CUDA tests run on GPU machines only)."""

import json
import signal
import subprocess
import time

import pytest
import torch

from tests.conftest import run_cli, start_training, toy_study
from suite import runtime
from suite.config import resolve_study
from suite.errors import ConfigError

RUN = "toy-8gaussians/mlp-small/wgan-gp/seed0"
needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")


def test_auto_picks_cuda_exactly_when_it_is_there():
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert runtime.select_device("auto").type == expected
    assert runtime.select_device("cpu").type == "cpu"
    if not torch.cuda.is_available():
        with pytest.raises(ConfigError, match="no CUDA device"):
            runtime.select_device("cuda")


def test_device_does_not_change_the_config_hash():
    """A checkpoint is keyed by the config hash; the device must not be part of it or no run moves across."""
    cpu, auto = (resolve_study({**toy_study(), "device": device}).runs[0] for device in ("cpu", "auto"))
    assert cpu.device != auto.device
    assert cpu.config_hash() == auto.config_hash()


def _interrupted_run(study, out):
    """Train until the first checkpoints, then SIGTERM: the run checkpoints and exits 2."""
    process = start_training(study, RUN, out, stderr=subprocess.PIPE)
    deadline = time.time() + 300
    while time.time() < deadline and not (out / "checkpoint.pt").exists():
        time.sleep(0.05)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 2, stderr[-2000:]
    return torch.load(out / "checkpoint.pt", map_location="cpu", weights_only=False)["step"]


@needs_cuda
@pytest.mark.parametrize("first, second", [("cpu", "cuda"), ("cuda", "cpu")])
def test_checkpoint_resumes_on_the_other_device(tmp_path, write_study, first, second):
    config = toy_study(iterations=3000, checkpoint_every=20)
    out = tmp_path / "run"
    step = _interrupted_run(write_study({**config, "device": first}, "first.yaml"), out)
    assert 0 < step < 3000
    result = run_cli("train", "--study", write_study({**config, "device": second}, "second.yaml"),
                     "--run", RUN, "--out", out, "--threads", "1")
    assert f"from step {step}" in result.stderr
    summary = json.loads((out / "train.json").read_text())
    assert summary["status"] == "ok" and summary["steps"] == 3000


@needs_cuda
def test_one_training_run_on_cuda_is_finite(tmp_path, write_study):
    run_cli("train", "--study", write_study({**toy_study(iterations=5), "device": "cuda"}), "--run", RUN,
            "--out", tmp_path, "--threads", "1")
    generator = torch.load(tmp_path / "generator.pt", map_location="cpu", weights_only=False)["generator"]
    assert all(torch.isfinite(tensor).all() for tensor in generator.values())
