"""Every preset x every arch family: one real critic step + generator step of the training loop, finite."""

from contextlib import nullcontext

import pytest
import torch

from tests.models.helpers import TINY_ARCHS, data_shape_for
from suite.methods import PRESETS, make_optimizers
from suite.models import build_models
from suite.train import StepContext, critic_step, generator_step


@pytest.mark.parametrize("family", list(TINY_ARCHS))
@pytest.mark.parametrize("preset", list(PRESETS))
def test_one_step_of_every_preset_on_every_arch(family, preset):
    spec = PRESETS[preset]
    if family == "mlp" and (spec.d_attention or spec.g_attention):
        spec = type(spec)(**{**spec.to_dict(), "d_attention": None, "g_attention": None})
    torch.manual_seed(0)
    shape = data_shape_for(family, channels=1)
    generator, critic = build_models(TINY_ARCHS[family], spec, shape, latent_dim=8)
    opt_g, opt_d = make_optimizers(spec, generator, critic)
    ctx = StepContext(spec, generator, critic, opt_g, opt_d, 8, nullcontext, torch.contiguous_format)
    real = torch.rand(4, *shape) * 2 - 1
    before = [p.detach().clone() for p in critic.parameters()]
    stats = critic_step(ctx, real)
    loss_g = generator_step(ctx, 4, real.device)
    assert all(torch.isfinite(v) for v in stats.values()) and torch.isfinite(loss_g)
    assert any(not torch.equal(a, b) for a, b in zip(before, critic.parameters()))
    if spec.constraint == "clip":
        assert all(p.abs().max() <= spec.clip_value for p in critic.parameters())
    if spec.constraint in ("gp", "gp-fd"):
        assert stats["penalty"] > 0
