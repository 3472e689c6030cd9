import dataclasses

import pytest
import torch
from torch import nn

from suite.methods import (
    PRESETS,
    apply_critic_constraint,
    critic_penalty,
    finite_difference_penalty,
    gradient_penalty,
    spectral_norm,
)


class LinearCritic(nn.Module):
    """D(x) = w . x over all non-batch dims: grad_x D = w everywhere."""

    def __init__(self, w: torch.Tensor):
        super().__init__()
        self.w = nn.Parameter(w.clone())

    def forward(self, x):
        return (x * self.w).flatten(1).sum(dim=1)


@pytest.fixture
def linear_case():
    gen = torch.Generator().manual_seed(0)
    w = torch.randn(1, 4, 4, generator=gen, dtype=torch.float64)
    real = torch.randn(8, 1, 4, 4, generator=gen, dtype=torch.float64)
    fake = torch.randn(8, 1, 4, 4, generator=gen, dtype=torch.float64)
    return LinearCritic(w), real, fake


def test_gp_on_linear_critic_matches_closed_form(linear_case):
    critic, real, fake = linear_case
    norm_w = torch.linalg.vector_norm(critic.w.detach())
    penalty = gradient_penalty(critic, real, fake, lam=10.0)
    expected = 10.0 * (norm_w - 1.0) ** 2
    torch.testing.assert_close(penalty.detach(), expected, rtol=1e-6, atol=0)
    # create_graph=True: the penalty differentiates into the critic's weights.
    penalty.backward()
    grad_expected = 2 * 10.0 * (norm_w - 1.0) * critic.w.detach() / norm_w
    torch.testing.assert_close(critic.w.grad, grad_expected, rtol=1e-6, atol=1e-12)


def test_gp_is_per_example_on_a_nonlinear_critic():
    """D(x) = 0.5 * ||x||^2 has grad x: the penalty is lam * mean((||x_hat|| - 1)^2)."""
    torch.manual_seed(1)
    real, fake = torch.randn(6, 3, dtype=torch.float64), torch.randn(6, 3, dtype=torch.float64)
    critic = lambda x: 0.5 * x.square().sum(dim=1)  # noqa: E731
    state = torch.get_rng_state()
    penalty = gradient_penalty(critic, real, fake, lam=2.0)
    torch.set_rng_state(state)
    eps = torch.rand(6, 1, dtype=torch.float64)
    x_hat = eps * real + (1 - eps) * fake
    expected = 2.0 * (torch.linalg.vector_norm(x_hat, dim=1) - 1).square().mean()
    torch.testing.assert_close(penalty, expected, rtol=1e-12, atol=0)


def test_gp_fd_on_linear_critic_is_slope_along_real_minus_fake(linear_case):
    critic, real, fake = linear_case
    w = critic.w.detach()
    diff = (real - fake).flatten(1)
    slopes = (diff @ w.flatten()).abs() / torch.linalg.vector_norm(diff, dim=1)
    expected = 3.0 * (slopes - 1.0).square().mean()
    penalty = finite_difference_penalty(critic, real, fake, lam=3.0)
    torch.testing.assert_close(penalty.detach(), expected, rtol=1e-6, atol=0)
    penalty.backward()
    assert critic.w.grad is not None and critic.w.grad.abs().sum() > 0


def test_gp_fd_equals_gp_when_pairs_differ_along_w(linear_case):
    critic, real, _ = linear_case
    w = critic.w.detach()
    fake = real - torch.linspace(0.5, 2.0, 8, dtype=torch.float64).view(8, 1, 1, 1) * w
    expected = 10.0 * (torch.linalg.vector_norm(w) - 1.0) ** 2
    fd = finite_difference_penalty(critic, real, fake, lam=10.0)
    gp = gradient_penalty(critic, real, fake, lam=10.0)
    torch.testing.assert_close(fd.detach(), expected, rtol=1e-6, atol=0)
    torch.testing.assert_close(gp.detach(), expected, rtol=1e-6, atol=0)


def test_critic_penalty_dispatch(linear_case):
    critic, real, fake = linear_case
    for name in ("wgan-wc", "sngan", "dcgan-bn"):
        zero = critic_penalty(PRESETS[name], critic, real, fake)
        assert zero.shape == () and zero.item() == 0.0 and zero.dtype == real.dtype
    spec = dataclasses.replace(PRESETS["wgan-gp"], gp_lambda=4.0)
    expected = 4.0 * (torch.linalg.vector_norm(critic.w.detach()) - 1.0) ** 2
    torch.testing.assert_close(critic_penalty(spec, critic, real, fake).detach(), expected)
    fd = critic_penalty(PRESETS["wgan-gp-fd"], critic, real, fake)
    assert fd.item() > 0


def small_critic() -> nn.Module:
    torch.manual_seed(2)
    critic = nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(),
                           spectral_norm(nn.Linear(4 * 4 * 4, 1)))
    with torch.no_grad():
        for parameter in critic.parameters():
            parameter.mul_(10.0)
    critic(torch.randn(3, 1, 6, 6))
    return critic


def test_clipping_clamps_every_parameter_and_leaves_buffers():
    critic = small_critic()
    c = 0.01
    buffers = {name: b.clone() for name, b in critic.named_buffers()}
    before = {name: p.detach().clone() for name, p in critic.named_parameters()}
    apply_critic_constraint(dataclasses.replace(PRESETS["wgan-wc"], clip_value=c), critic)
    for name, parameter in critic.named_parameters():
        assert parameter.abs().max() <= c
        torch.testing.assert_close(parameter.detach(), before[name].clamp(-c, c), rtol=0, atol=0)
    assert "4.weight_orig" in before and any(before[n].abs().max() > c for n in before)
    for name, buffer in critic.named_buffers():
        assert torch.equal(buffer, buffers[name])


@pytest.mark.parametrize("preset", ["wgan-gp", "wgan-gp-fd", "sngan", "dcgan-bn", "sagan"])
def test_other_constraints_change_nothing(preset):
    critic = small_critic()
    before = {name: p.detach().clone() for name, p in critic.state_dict().items()}
    apply_critic_constraint(PRESETS[preset], critic)
    for name, value in critic.state_dict().items():
        assert torch.equal(value, before[name])
