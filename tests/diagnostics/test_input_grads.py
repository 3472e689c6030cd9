import math

import pytest
import torch
from torch import nn

from suite.diagnostics import exact_sigma, input_gradient_norms
from suite.methods import spectral_norm


class Squeeze(nn.Module):
    def forward(self, x):
        return x.squeeze(1)


def test_linear_critic_has_the_norm_of_its_weight_at_every_input():
    torch.manual_seed(0)
    critic = nn.Sequential(nn.Linear(6, 1), Squeeze())
    with torch.no_grad():
        critic[0].weight.copy_(torch.tensor([[3.0, 0.0, -4.0, 0.0, 12.0, 0.0]]))
    x = torch.randn(50, 6) * 10
    norms = input_gradient_norms(critic, x)
    assert norms.dtype == torch.float64 and norms.shape == (50,)
    assert torch.allclose(norms, torch.full((50,), 13.0, dtype=torch.float64), rtol=1e-6)
    assert critic[0].weight.grad is None  # the critic's .grad is never touched


def test_chunks_give_the_same_norms_as_one_forward():
    torch.manual_seed(0)
    critic = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 1), Squeeze())
    x = torch.randn(37, 2)
    assert torch.equal(input_gradient_norms(critic, x), input_gradient_norms(critic, x, chunk=8))


def test_spectrally_normalized_linear_layer_has_input_gradient_one():
    # For a (1, d) weight power iteration is exact: sigma = ||w||, so D(x) = w.x / ||w|| has slope 1.
    torch.manual_seed(0)
    critic = nn.Sequential(spectral_norm(nn.Linear(5, 1)), Squeeze())
    with torch.no_grad():
        critic[0].weight_orig.mul_(40.0)
        critic(torch.randn(4, 5))  # one training forward: one power iteration
    norms = input_gradient_norms(critic.eval(), torch.randn(20, 5))
    assert norms.max().item() == pytest.approx(1.0, rel=1e-5)


def test_relu_net_is_bounded_by_the_product_of_its_sigmas():
    torch.manual_seed(0)
    plain = nn.Sequential(nn.Linear(3, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 1), Squeeze())
    bound = math.prod(exact_sigma(plain[i]) for i in (0, 2, 4))
    assert input_gradient_norms(plain, torch.randn(500, 3)).max().item() <= bound
    normed = nn.Sequential(*(spectral_norm(layer) if isinstance(layer, nn.Linear) else layer for layer in plain))
    with torch.no_grad():
        for _ in range(200):  # converge the power iterations
            normed(torch.randn(8, 3))
    assert input_gradient_norms(normed.eval(), torch.randn(500, 3)).max().item() <= 1.0 + 1e-4
