"""The step's two savings change no result beyond float order: the critic scores real and fake in one
forward only when that is what two forwards compute (no batch norm, no spectral norm), and the generator
step skips the critic's weight gradients."""

import copy

import pytest
import torch

from tests.models.helpers import TINY_ARCHS
from suite.methods import PRESETS, generator_loss
from suite.models import build_models
from suite.train import can_score_jointly, critic_step, generator_step, step_context

SHAPE = (1, 32, 32)


def _context(preset: str, family: str = "resnet"):
    torch.manual_seed(0)
    generator, critic = build_models(TINY_ARCHS[family], PRESETS[preset], SHAPE, latent_dim=8)
    return step_context(PRESETS[preset], generator, critic, 8, torch.device("cpu"))


@pytest.mark.parametrize("preset, joint", [("wgan-gp", True), ("wgan-gp-ln", True), ("wgan-gp-fd", True),
                                           ("wgan-wc", True), ("sngan", False), ("sagan", False),
                                           ("dcgan-bn", False)])
def test_only_a_critic_without_batch_or_spectral_norm_scores_real_and_fake_together(preset, joint):
    ctx = _context(preset)
    assert can_score_jointly(ctx.critic) is joint
    assert ctx.joint_critic_forward is joint


@pytest.mark.parametrize("preset", ["wgan-gp", "wgan-gp-ln", "wgan-wc"])
def test_joint_critic_forward_updates_the_critic_as_two_forwards_do(preset):
    joint = _context(preset)
    separate = copy.deepcopy(joint)
    separate.joint_critic_forward = False
    real = torch.rand(6, *SHAPE, generator=torch.Generator().manual_seed(1)) * 2 - 1
    results = []
    for ctx in (joint, separate):
        torch.manual_seed(2)
        results.append(critic_step(ctx, real))
    for key in results[0]:
        torch.testing.assert_close(results[0][key], results[1][key], rtol=1e-5, atol=1e-6)
    # Gradients, not the updated weights: Adam's first step is lr * sign(grad), so a gradient that is 0 up
    # to float order (the last bias's, under the Wasserstein loss) moves its weight by +-lr either way.
    # Tolerance relative to the largest gradient: terms of opposite sign cancel in some (float order ~1e-6).
    scale = max(p.grad.abs().max() for p in separate.critic.parameters())
    for a, b in zip(joint.critic.parameters(), separate.critic.parameters()):
        torch.testing.assert_close(a.grad, b.grad, rtol=1e-4, atol=1e-5 * scale)


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
