"""Hooks the CLI hands to the training loop: domain metrics over training and per-layer diagnostics.

They live here, not in train.py, so the loop stays free of metric and diagnostic imports.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

import torch

from suite.config import RunSpec
from suite.methods import critic_loss
from suite.samples import to_uint8

CURVE_SEED = 20_190_101


def _generator_batches(generator: torch.nn.Module, latent_dim: int, n: int, batch_size: int, seed: int):
    """uint8 image batches from a fixed noise stream (its own RNG: training's RNG is untouched)."""
    device = next(generator.parameters()).device
    noise = torch.Generator(device="cpu").manual_seed(seed)
    was_training = generator.training
    generator.eval()
    try:
        with torch.inference_mode():
            for start in range(0, n, batch_size):
                z = torch.randn(min(batch_size, n - start), latent_dim, generator=noise).to(device)
                yield to_uint8(generator(z).float()).cpu()
    finally:
        generator.train(was_training)


def domain_curve(run: RunSpec, classifier: Path, reference: Path):
    """on_eval(generator, step) -> {domain_fid, domain_is} on `eval_samples` fixed-noise samples."""
    from suite.metrics.domain import DomainScorer
    from suite.metrics.reference import load_reference

    scorer = DomainScorer(classifier)
    ref = load_reference(reference)
    n = run.train["eval_samples"]

    def evaluate(generator: torch.nn.Module, step: int) -> dict:
        images = torch.cat(list(_generator_batches(generator, run.latent_dim, n, 256, CURVE_SEED)))
        return scorer.score(images, ref)

    return evaluate


def diagnostics_factory(ctx, trainer, resume_step: int | None):
    """A `record(step)` closure over a DiagnosticsRecorder with the run's fixed probe batch."""
    from suite.diagnostics.recorder import DiagnosticsRecorder

    def probe_fake() -> torch.Tensor:
        was_training = ctx.generator.training
        ctx.generator.eval()
        with torch.no_grad():
            fake = ctx.generator(trainer.probe_z).float()
        ctx.generator.train(was_training)
        return fake.contiguous(memory_format=ctx.memory_format)

    recorder = DiagnosticsRecorder(ctx.critic, partial(critic_loss, ctx.spec.loss), trainer.probe_real,
                                   probe_fake(), trainer.out_dir / "diagnostics", resume_step=resume_step)

    def record(step: int) -> None:
        recorder.record(step, probe_fake())

    return record
