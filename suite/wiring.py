"""Hooks the CLI hands to the training loop: domain metrics (images) or toy metrics (2-d data) over
training, and per-layer diagnostics.

They live here, not in train.py, so the loop stays free of metric and diagnostic imports.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

import torch

from suite.runspec import RunSpec
from suite.methods import critic_loss

CURVE_SEED = 20_190_101


def domain_curve(run: RunSpec, classifier: Path, reference: Path):
    """on_eval(generator, step) -> {domain_fid, domain_is} on `eval_samples` fixed-noise samples."""
    from suite.metrics.domain import DomainScorer
    from suite.metrics.reference import load_reference
    from suite.metrics.score import generator_batches

    scorer = DomainScorer(classifier)
    ref = load_reference(reference)
    n = run.train["eval_samples"]

    def evaluate(generator: torch.nn.Module, step: int) -> dict:
        device = next(generator.parameters()).device
        scorer.to(device)
        images = torch.cat(list(generator_batches(generator, n, 256, run.latent_dim, seed=CURVE_SEED, device=device)))
        return scorer.score(images, ref)

    return evaluate


def toy_curve(run: RunSpec):
    """on_eval(generator, step) -> {w1 (and modes_covered, hq_fraction on mixtures)} of `eval_samples`
    fixed-noise points against as many held-out real points (suite.metrics.toy.ToyCurve)."""
    from suite.metrics.toy import ToyCurve

    return ToyCurve(run.data, run.train["eval_samples"], run.latent_dim, CURVE_SEED)


class ProbeDiagnostics:
    """Records the critic's per-layer diagnostics on the run's fixed probe batch (fakes from fixed noise)."""

    def __init__(self, ctx, trainer, resume_step: int | None):
        from suite.diagnostics import DiagnosticsRecorder

        self.ctx, self.probe_z = ctx, trainer.probe_z
        self.recorder = DiagnosticsRecorder(ctx.critic, partial(critic_loss, ctx.spec.loss), trainer.probe_real,
                                            self._probe_fake(), trainer.out_dir / "diagnostics",
                                            resume_step=resume_step)

    def _probe_fake(self) -> torch.Tensor:
        generator = self.ctx.generator
        was_training = generator.training
        generator.eval()
        with torch.no_grad():
            fake = generator(self.probe_z).float()
        generator.train(was_training)
        return fake.contiguous(memory_format=self.ctx.memory_format)

    def take(self, step: int) -> None:
        self.recorder.record(step, self._probe_fake())

    def close(self) -> None:
        self.recorder.close()
