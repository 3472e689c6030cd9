"""The generator step skips the critic's weight gradients and changes nothing else: the same update, bit for bit."""

import copy

import pytest
import torch

from tests.models.helpers import TINY_ARCHS
from suite.methods import PRESETS, generator_loss
from suite.models import build_models
from suite.train import generator_step, step_context

SHAPE = (1, 32, 32)


def _context(preset: str, family: str = "resnet"):
    torch.manual_seed(0)
    generator, critic = build_models(TINY_ARCHS[family], PRESETS[preset], SHAPE, latent_dim=8)
    return step_context(PRESETS[preset], generator, critic, 8, torch.device("cpu"))


@pytest.mark.parametrize("preset", ["wgan-gp", "sngan", "dcgan-bn"])
def test_generator_step_leaves_no_critic_gradient_and_the_generator_update_unchanged(preset):
    ctx = _context(preset)
    reference = copy.deepcopy(ctx)
    torch.manual_seed(3)
    loss = generator_step(ctx, 5, torch.device("cpu"))
    # The same update by plain autograd, the critic's weight gradients computed and thrown away.
    torch.manual_seed(3)
    reference.opt_g.zero_grad(set_to_none=True)
    fake = reference.generator(reference.noise(5, torch.device("cpu")))
    expected = generator_loss(PRESETS[preset].loss, reference.critic(fake))
    expected.backward()
    reference.opt_g.step()
    assert torch.equal(loss, expected.detach())
    for a, b in zip(ctx.generator.parameters(), reference.generator.parameters()):
        assert torch.equal(a, b)
    assert all(p.grad is None and p.requires_grad for p in ctx.critic.parameters())
    assert any(p.grad is not None for p in reference.critic.parameters())
