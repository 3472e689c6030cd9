"""Critic constraints: gradient penalties added to the critic loss, and weight clipping."""
import torch
from torch import nn

from suite.methods.spec import MethodSpec

_DISTANCE_FLOOR = 1e-12


def _interpolate(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """eps * real + (1 - eps) * fake with eps ~ U[0, 1] drawn once per example."""
    eps_shape = (real.shape[0],) + (1,) * (real.dim() - 1)
    eps = torch.rand(eps_shape, device=real.device, dtype=real.dtype)
    return (eps * real + (1.0 - eps) * fake).detach()


def gradient_penalty(critic: nn.Module, real: torch.Tensor, fake: torch.Tensor,
                     lam: float) -> torch.Tensor:
    """WGAN-GP: lam * E[(||grad_x D(x_hat)||_2 - 1)^2], differentiable in the critic."""
    x_hat = _interpolate(real, fake).requires_grad_(True)
    scores = critic(x_hat)
    (grad,) = torch.autograd.grad(scores.sum(), x_hat, create_graph=True)
    norms = torch.linalg.vector_norm(grad.flatten(1), dim=1)
    return lam * (norms - 1.0).square().mean()


def finite_difference_penalty(critic: nn.Module, real: torch.Tensor, fake: torch.Tensor,
                              lam: float) -> torch.Tensor:
    """lam * E[(|D(x1) - D(x2)| / ||x1 - x2||_2 - 1)^2] on two interpolates of each pair."""
    x1 = _interpolate(real, fake)
    x2 = _interpolate(real, fake)
    slopes = (critic(x1) - critic(x2)).abs().flatten()
    distances = torch.linalg.vector_norm((x1 - x2).flatten(1), dim=1).clamp_min(_DISTANCE_FLOOR)
    return lam * (slopes / distances - 1.0).square().mean()


def _no_penalty(critic, real, fake, lam) -> torch.Tensor:
    return real.new_zeros(())


_PENALTIES = {"none": _no_penalty, "clip": _no_penalty,
              "gp": gradient_penalty, "gp-fd": finite_difference_penalty}


def critic_penalty(spec: MethodSpec, critic: nn.Module, real: torch.Tensor,
                   fake: torch.Tensor) -> torch.Tensor:
    """The penalty term of `spec.constraint` (a 0-d zero when it has none)."""
    return _PENALTIES[spec.constraint](critic, real, fake, spec.gp_lambda)


def clip_parameters(critic: nn.Module, bound: float) -> None:
    """Clamp every critic parameter in place to [-bound, bound] (buffers untouched)."""
    with torch.no_grad():
        for parameter in critic.parameters():
            parameter.clamp_(-bound, bound)


def apply_critic_constraint(spec: MethodSpec, critic: nn.Module) -> None:
    """Run after each critic optimizer step: clipping for `clip`, nothing otherwise."""
    if spec.constraint == "clip":
        clip_parameters(critic, spec.clip_value)
