import math

import pytest
import torch

from suite.errors import ConfigError
from suite.methods import critic_loss, generator_loss

D_REAL = torch.tensor([2.0, 0.5, -1.0])
D_FAKE = torch.tensor([-3.0, 0.25, 1.5])


def softplus(x: float) -> float:
    return math.log1p(math.exp(x))


def test_wasserstein():
    # mean(d_fake) = -1.25 / 3, mean(d_real) = 1.5 / 3
    assert critic_loss("wasserstein", D_REAL, D_FAKE).item() == pytest.approx(-2.75 / 3)
    assert generator_loss("wasserstein", D_FAKE).item() == pytest.approx(1.25 / 3)


def test_hinge():
    # relu(1 - real) = [0, 0.5, 2]; relu(1 + fake) = [0, 1.25, 2.5]
    assert critic_loss("hinge", D_REAL, D_FAKE).item() == pytest.approx(2.5 / 3 + 3.75 / 3)
    assert generator_loss("hinge", D_FAKE).item() == pytest.approx(1.25 / 3)


def test_non_saturating_is_bce_with_logits():
    expected_d = (sum(softplus(-r) for r in D_REAL.tolist())
                  + sum(softplus(f) for f in D_FAKE.tolist())) / 3
    assert critic_loss("ns", D_REAL, D_FAKE).item() == pytest.approx(expected_d, rel=1e-6)
    bce = torch.nn.functional.binary_cross_entropy_with_logits
    reference = bce(D_REAL, torch.ones(3)) + bce(D_FAKE, torch.zeros(3))
    assert critic_loss("ns", D_REAL, D_FAKE).item() == pytest.approx(reference.item(), rel=1e-6)
    expected_g = sum(softplus(-f) for f in D_FAKE.tolist()) / 3
    assert generator_loss("ns", D_FAKE).item() == pytest.approx(expected_g, rel=1e-6)


def test_ns_is_stable_for_large_logits():
    big = torch.tensor([200.0])
    assert critic_loss("ns", big, -big).item() == 0.0
    assert generator_loss("ns", -big).item() == pytest.approx(200.0)


def test_losses_give_gradients_to_scores():
    d_fake = D_FAKE.clone().requires_grad_(True)
    critic_loss("hinge", D_REAL, d_fake).backward()
    # Only the fake scores above -1 are inside the hinge.
    torch.testing.assert_close(d_fake.grad, torch.tensor([0.0, 1.0, 1.0]) / 3)


def test_least_squares_closed_form():
    # Mao et al. 2017, a = 0, b = 1, c = 1: D: 1/2 mean((real - 1)^2) + 1/2 mean(fake^2);
    # (real - 1)^2 = [1, 0.25, 4] -> 5.25 / 3; fake^2 = [9, 0.0625, 2.25] -> 11.3125 / 3
    assert critic_loss("lsgan", D_REAL, D_FAKE).item() == pytest.approx(0.5 * 5.25 / 3 + 0.5 * 11.3125 / 3)
    # G: 1/2 mean((fake - 1)^2); (fake - 1)^2 = [16, 0.5625, 0.25] -> 16.8125 / 3
    assert generator_loss("lsgan", D_FAKE).item() == pytest.approx(0.5 * 16.8125 / 3)


def test_least_squares_minimum_and_gradient():
    # The critic's loss is 0 exactly at D(real) = 1, D(fake) = 0; its gradient is (D - target) / N.
    assert critic_loss("lsgan", torch.ones(4), torch.zeros(4)).item() == 0.0
    d_fake = D_FAKE.clone().requires_grad_(True)
    generator_loss("lsgan", d_fake).backward()
    torch.testing.assert_close(d_fake.grad, (D_FAKE - 1.0) / 3)


def test_unknown_loss_lists_allowed():
    with pytest.raises(ConfigError, match="wasserstein, hinge, ns, lsgan"):
        critic_loss("least-squares", D_REAL, D_FAKE)
    with pytest.raises(ConfigError, match="allowed"):
        generator_loss("least-squares", D_FAKE)
