"""train.precision: bf16 autocast only where the device has native bf16; the penalty and spectral norm's
power iteration stay fp32 inside a bf16 step; the precision used is recorded and reported."""

import logging
from pathlib import Path

import pytest
import torch

from tests.conftest import toy_study
from tests.models.helpers import TINY_ARCHS
from suite.config import resolve_study
from suite.errors import ConfigError
from suite.methods import PRESETS, critic_penalty
from suite.methods.penalties import gradient_penalty
from suite.methods.spectral_norm import is_spectral_normed, weight_matrix
from suite.models import build_models
from suite.report.build import protocol_line, protocol_summary
from suite.runtime import native_bf16, training_precision
from suite.train import Trainer, step_context

CPU = torch.device("cpu")
SHAPE = (1, 32, 32)


def cpu_flags() -> set[str]:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("flags"):
            return set(line.split(":", 1)[1].split())
    return set()


@pytest.mark.skipif(not Path("/proc/cpuinfo").is_file(), reason="reads the CPU flags from Linux's /proc/cpuinfo")
def test_native_bf16_is_the_cpus_avx512_bf16_flag():
    assert native_bf16(CPU) == ("avx512_bf16" in cpu_flags())


def test_bf16_falls_back_to_fp32_with_a_log_line_only_without_native_bf16(caplog):
    with caplog.at_level(logging.WARNING, logger="suite.runtime"):
        assert training_precision("fp32", CPU) == "fp32"
        assert not caplog.records
        used = training_precision("bf16", CPU)
    assert used == ("bf16" if native_bf16(CPU) else "fp32")
    assert len(caplog.records) == (0 if native_bf16(CPU) else 1)
    if caplog.records:
        assert "trains in fp32" in caplog.records[0].getMessage()


def test_an_unknown_precision_names_the_allowed_ones():
    with pytest.raises(ConfigError, match=r"unknown train.precision 'fp16'; allowed: fp32, bf16"):
        training_precision("fp16", CPU)


def test_the_schema_refuses_another_precision():
    config = toy_study(precision="fp16")
    with pytest.raises(ConfigError, match=r"train.precision.*'fp16'.*fp32.*bf16"):
        resolve_study(config)


def _bf16_context(preset: str):
    torch.manual_seed(0)
    generator, critic = build_models(TINY_ARCHS["dcgan"], PRESETS[preset], SHAPE, latent_dim=8)
    return step_context(PRESETS[preset], generator, critic, 8, CPU, precision="bf16")


def test_spectral_norm_under_bf16_autocast_matches_the_fp32_singular_value():
    ctx = _bf16_context("sngan")
    layers = [m for m in ctx.critic.modules() if is_spectral_normed(m)]
    assert layers
    real = torch.rand(4, *SHAPE) * 2 - 1
    with ctx.autocast():
        for _ in range(300):  # power iteration converges to the top singular value
            ctx.critic(real)
    for layer in layers:
        assert layer.weight_sigma.dtype == torch.float32
        top = torch.linalg.svdvals(weight_matrix(layer).detach().double())[0].item()
        # bf16 keeps 8 bits of mantissa: a power iteration in bf16 would be off by ~0.4%
        assert layer.weight_sigma.item() == pytest.approx(top, rel=1e-5)


def test_the_gradient_penalty_of_a_bf16_step_is_the_fp32_penalty():
    ctx = _bf16_context("wgan-gp")
    generator = torch.Generator().manual_seed(1)
    real, fake = (torch.rand(6, *SHAPE, generator=generator) * 2 - 1 for _ in range(2))
    torch.manual_seed(2)
    with ctx.autocast():
        adversarial = ctx.critic(real)
    penalty = critic_penalty(ctx.spec, ctx.critic, real, fake)  # where critic_step computes it
    torch.manual_seed(2)
    expected = gradient_penalty(ctx.critic, real, fake, ctx.spec.gp_lambda)
    assert adversarial.dtype == torch.bfloat16  # the step's forwards do run in bf16
    assert penalty.dtype == torch.float32 and torch.equal(penalty, expected)


def test_train_json_and_the_report_protocol_say_the_precision_used(tmp_path):
    (run,) = resolve_study(toy_study(iterations=2, batch_size=16, diagnostics_every=0, precision="bf16")).runs
    assert run.train["precision"] == "bf16"  # the run's spec (run.yaml) keeps what was asked
    summary = Trainer(run, tmp_path).fit()
    used = "bf16" if native_bf16(CPU) else "fp32"
    assert summary["precision"] == used
    assert summary["cpu"]["capability"] == torch.backends.cpu.get_cpu_capability()
    protocol = protocol_summary([{"protocol": {"n_gen": 10}, "train": {"precision": used, "cpu": summary["cpu"]}}])
    assert protocol["training precision"] == used
    assert protocol["training CPU (vector instructions)"].endswith(f"({summary['cpu']['capability']})")
    assert protocol_line(protocol).endswith(f"trained in {used}")
