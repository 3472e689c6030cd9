import dataclasses

import pytest
import torch
from torch import nn

from suite.errors import ConfigError
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


def test_one_sided_gp_on_linear_critic_matches_closed_form(linear_case):
    """||grad D|| = ||w|| everywhere: the one-sided penalty is exactly lam * max(0, ||w|| - 1)^2."""
    critic, real, fake = linear_case
    w = critic.w.detach()
    for scale in (3.0, 0.1):
        critic.w.data = w * scale / torch.linalg.vector_norm(w)
        two_sided = gradient_penalty(critic, real, fake, lam=10.0)
        one_sided = gradient_penalty(critic, real, fake, lam=10.0, one_sided=True)
        expected_one = torch.tensor(10.0 * max(0.0, scale - 1.0) ** 2, dtype=torch.float64)
        expected_two = torch.tensor(10.0 * (scale - 1.0) ** 2, dtype=torch.float64)
        torch.testing.assert_close(one_sided.detach(), expected_one, rtol=1e-6, atol=1e-12)
        torch.testing.assert_close(two_sided.detach(), expected_two, rtol=1e-6, atol=0)


def test_gp_fd_same_pair_is_slope_along_real_minus_fake(linear_case):
    """Both points on segment i: |D(x1) - D(x2)| / ||x1 - x2|| = |w.(r_i - f_i)| / ||r_i - f_i||, whatever eps."""
    critic, real, fake = linear_case
    w = critic.w.detach()
    diff = (real - fake).flatten(1)
    slopes = (diff @ w.flatten()).abs() / torch.linalg.vector_norm(diff, dim=1)
    expected = 3.0 * (slopes - 1.0).square().mean()
    penalty = finite_difference_penalty(critic, real, fake, lam=3.0, pairs="same")
    torch.testing.assert_close(penalty.detach(), expected, rtol=1e-6, atol=0)
    penalty.backward()
    assert critic.w.grad is not None and critic.w.grad.abs().sum() > 0
    one_sided = finite_difference_penalty(critic, real, fake, lam=3.0, pairs="same", one_sided=True)
    torch.testing.assert_close(one_sided.detach(), 3.0 * (slopes - 1.0).clamp_min(0).square().mean(),
                               rtol=1e-6, atol=1e-12)


def collinear_batch(direction: torch.Tensor, n: int = 8):
    """Reals and fakes on one line c + t * direction, at distinct t: every difference is parallel to it."""
    gen = torch.Generator().manual_seed(3)
    offset = torch.randn(direction.shape, generator=gen, dtype=torch.float64)
    real_t = torch.linspace(-2.0, 2.0, n, dtype=torch.float64).view(n, 1, 1, 1)
    fake_t = torch.linspace(3.0, 6.0, n, dtype=torch.float64).view(n, 1, 1, 1)
    return offset + real_t * direction, offset + fake_t * direction


def test_gp_fd_independent_on_a_line_is_the_slope_along_it(linear_case):
    """Every x1 - x2 is parallel to the unit vector d: slope |w.d| exactly, for any pairs and eps."""
    critic, _, _ = linear_case
    w = critic.w.detach()
    gen = torch.Generator().manual_seed(4)
    direction = torch.randn(w.shape, generator=gen, dtype=torch.float64)
    direction = direction / torch.linalg.vector_norm(direction)
    real, fake = collinear_batch(direction)
    slope = (w * direction).sum().abs()
    penalty = finite_difference_penalty(critic, real, fake, lam=10.0)
    torch.testing.assert_close(penalty.detach(), 10.0 * (slope - 1.0) ** 2, rtol=1e-6, atol=0)
    one_sided = finite_difference_penalty(critic, real, fake, lam=10.0, one_sided=True)
    torch.testing.assert_close(one_sided.detach(), 10.0 * (slope - 1.0).clamp_min(0) ** 2, rtol=1e-6, atol=0)


def test_gp_fd_independent_pairs_interpolates_of_different_pairs(linear_case):
    """x1 from pair i, x2 from pair i-1, each with its own eps: the exact value for the drawn eps,
    which differs from the same-pair value on points off one line."""
    critic, real, fake = linear_case
    w = critic.w.detach().flatten()
    state = torch.get_rng_state()
    penalty = finite_difference_penalty(critic, real, fake, lam=10.0)
    torch.set_rng_state(state)
    eps1, eps2 = torch.rand(8, 1, 1, 1, dtype=torch.float64), torch.rand(8, 1, 1, 1, dtype=torch.float64)
    x1 = eps1 * real + (1 - eps1) * fake
    x2 = eps2 * real.roll(1, 0) + (1 - eps2) * fake.roll(1, 0)
    diff = (x1 - x2).flatten(1)
    slopes = (diff @ w).abs() / torch.linalg.vector_norm(diff, dim=1)
    torch.testing.assert_close(penalty.detach(), 10.0 * (slopes - 1.0).square().mean(), rtol=1e-9, atol=0)
    same = finite_difference_penalty(critic, real, fake, lam=10.0, pairs="same")
    assert abs(penalty.item() - same.item()) > 0.1


def test_gp_fd_independent_needs_two_pairs(linear_case):
    critic, real, fake = linear_case
    with pytest.raises(ConfigError, match="fd_pairs independent needs a batch of at least 2"):
        finite_difference_penalty(critic, real[:1], fake[:1], lam=10.0)
    finite_difference_penalty(critic, real[:1], fake[:1], lam=10.0, pairs="same")


def test_gp_fd_equals_gp_when_points_differ_along_w(linear_case):
    critic, real, _ = linear_case
    w = critic.w.detach()
    expected = 10.0 * (torch.linalg.vector_norm(w) - 1.0) ** 2
    same_fake = real - torch.linspace(0.5, 2.0, 8, dtype=torch.float64).view(8, 1, 1, 1) * w
    fd = finite_difference_penalty(critic, real, same_fake, lam=10.0, pairs="same")
    torch.testing.assert_close(fd.detach(), expected, rtol=1e-6, atol=0)
    line_real, line_fake = collinear_batch(w)
    fd = finite_difference_penalty(critic, line_real, line_fake, lam=10.0)
    gp = gradient_penalty(critic, line_real, line_fake, lam=10.0)
    torch.testing.assert_close(fd.detach(), expected, rtol=1e-6, atol=0)
    torch.testing.assert_close(gp.detach(), expected, rtol=1e-6, atol=0)


def test_critic_penalty_dispatch(linear_case):
    critic, real, fake = linear_case
    for name in ("wgan-wc", "sngan", "dcgan-bn"):
        zero = critic_penalty(PRESETS[name], critic, real, fake)
        assert zero.shape == () and zero.item() == 0.0 and zero.dtype == real.dtype
    norm_w = torch.linalg.vector_norm(critic.w.detach())
    spec = dataclasses.replace(PRESETS["wgan-gp"], gp_lambda=4.0)
    torch.testing.assert_close(critic_penalty(spec, critic, real, fake).detach(), 4.0 * (norm_w - 1.0) ** 2)
    critic.w.data = critic.w.detach() * 0.5 / norm_w
    assert critic_penalty(dataclasses.replace(spec, one_sided=True), critic, real, fake).item() == 0.0
    assert critic_penalty(spec, critic, real, fake).item() == pytest.approx(4.0 * 0.25)
    fd = PRESETS["wgan-gp-fd"]
    assert fd.fd_pairs == "independent"
    for pairs in ("independent", "same"):
        state = torch.get_rng_state()
        via_spec = critic_penalty(dataclasses.replace(fd, fd_pairs=pairs), critic, real, fake)
        torch.set_rng_state(state)
        direct = finite_difference_penalty(critic, real, fake, lam=fd.gp_lambda, pairs=pairs)
        assert via_spec.item() == direct.item() > 0


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


# The orthonormal regularizer (Brock et al. 2016, SN-GAN Eq. 14) and the gradient penalty on the
# standard GAN loss (SN-GAN's GAN-GP).

@pytest.mark.parametrize("shape", [(6, 6), (4, 27), (27, 4), (1, 50)])
def test_orthonormal_deviation_is_the_frobenius_norm_of_wtw_minus_i(shape):
    from suite.methods.penalties import orthonormal_deviation

    matrix = torch.randn(*shape, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    literal = (matrix.T @ matrix - torch.eye(shape[1], dtype=torch.float64)).square().sum()
    singular = torch.linalg.svdvals(matrix)
    # sum over W^T W's n eigenvalues (s_i^2, then zeros) of (lambda - 1)^2
    from_svd = (singular.square() - 1).square().sum() + (shape[1] - len(singular))
    value = orthonormal_deviation(matrix)
    assert value.item() == pytest.approx(literal.item(), rel=1e-12)
    assert value.item() == pytest.approx(from_svd.item(), rel=1e-12)


def test_orthonormal_deviation_has_the_literal_gradient():
    from suite.methods.penalties import orthonormal_deviation

    matrix = torch.randn(3, 12, generator=torch.Generator().manual_seed(2), dtype=torch.float64,
                         requires_grad=True)
    (ours,) = torch.autograd.grad(orthonormal_deviation(matrix), matrix)
    (literal,) = torch.autograd.grad((matrix.T @ matrix - torch.eye(12, dtype=torch.float64)).square().sum(), matrix)
    # d/dW ||W^T W - I||^2 = 4 W (W^T W - I)
    closed = 4 * matrix.detach() @ (matrix.detach().T @ matrix.detach() - torch.eye(12, dtype=torch.float64))
    assert torch.allclose(ours, literal) and torch.allclose(ours, closed)


def test_orthonormal_penalty_sums_lambda_times_every_conv_and_linear():
    critic = nn.Sequential(nn.Conv2d(1, 2, 3), nn.LeakyReLU(0.1), nn.BatchNorm2d(2), nn.Flatten(), nn.Linear(8, 1))
    with torch.no_grad():
        critic[0].weight.copy_(torch.arange(18.0).reshape(2, 1, 3, 3) / 10)
        critic[4].weight.fill_(0.5)
    conv = critic[0].weight.reshape(2, 9)
    expected = (conv.T @ conv - torch.eye(9)).square().sum() + ((0.25 * 8 - 1) ** 2 + 7)  # linear: s^2 = 8 * 0.25
    spec = dataclasses.replace(PRESETS["gan-ortho"], ortho_lambda=0.5)
    penalty = critic_penalty(spec, critic, torch.zeros(2, 1, 4, 4), torch.zeros(2, 1, 4, 4))
    assert penalty.item() == pytest.approx(0.5 * expected.item(), rel=1e-6)


def test_orthonormal_penalty_is_its_floor_on_an_orthonormal_init():
    from suite.methods import resolve_method
    from suite.methods.penalties import orthonormal_penalty, weight_matrix
    from suite.models import build_models

    _, critic = build_models({"family": "dcgan", "width": 2}, resolve_method("gan-ortho"), (1, 32, 32))
    shapes = [weight_matrix(m).shape for m in critic.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    # orthonormal rows of a wide [m, n] W leave n - m zero eigenvalues of W^T W; a tall W has none
    floor = sum(max(cols - rows, 0) for rows, cols in shapes)
    assert orthonormal_penalty(critic, 1.0).item() == pytest.approx(floor, rel=1e-5)


def test_gan_gp_is_the_gradient_penalty_on_the_standard_loss(linear_case):
    critic, real, fake = linear_case
    spec = PRESETS["gan-gp"]
    assert (spec.loss, spec.constraint, spec.gp_lambda) == ("ns", "gp", 10.0)
    torch.manual_seed(3)
    penalty = critic_penalty(spec, critic, real, fake)
    torch.manual_seed(3)
    assert penalty.item() == gradient_penalty(critic, real, fake, 10.0).item()
