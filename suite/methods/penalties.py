"""Critic constraints: gradient penalties and the orthonormal regularizer added to the critic loss,
and weight clipping.

A user's own constraint (suite.plugins: `module:attribute`, or an entry point of group
`ganbench.constraints`) is a penalty function penalty(critic, real, fake) -> 0-d tensor, added to the
critic loss like the shipped penalties.
"""
import inspect

import torch
from torch import nn

from suite.errors import ConfigError
from suite.plugins import UserPart, load_part
from suite.methods.spec import ALLOWED, MethodSpec
from suite.methods.spectral_norm import WEIGHT_LAYERS, weight_matrix

_DISTANCE_FLOOR = 1e-12


def _interpolate(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """eps * real + (1 - eps) * fake with eps ~ U[0, 1] drawn once per example."""
    eps_shape = (real.shape[0],) + (1,) * (real.dim() - 1)
    eps = torch.rand(eps_shape, device=real.device, dtype=real.dtype)
    return (eps * real + (1.0 - eps) * fake).detach()


def _deviation(values: torch.Tensor, one_sided: bool) -> torch.Tensor:
    """mean((v - 1)^2), or mean(max(0, v - 1)^2) when one-sided (only slopes above 1 pay)."""
    excess = values - 1.0
    return (excess.clamp_min(0.0) if one_sided else excess).square().mean()


def gradient_penalty(critic: nn.Module, real: torch.Tensor, fake: torch.Tensor, lam: float,
                     one_sided: bool = False) -> torch.Tensor:
    """WGAN-GP: lam * E[(||grad_x D(x_hat)||_2 - 1)^2], differentiable in the critic.

    one_sided: lam * E[max(0, ||grad|| - 1)^2] (WGAN-GP Appendix C; Petzka et al. 2018).
    """
    x_hat = _interpolate(real, fake).requires_grad_(True)
    scores = critic(x_hat)
    (grad,) = torch.autograd.grad(scores.sum(), x_hat, create_graph=True)
    norms = torch.linalg.vector_norm(grad.flatten(1), dim=1)
    return lam * _deviation(norms, one_sided)


def finite_difference_penalty(critic: nn.Module, real: torch.Tensor, fake: torch.Tensor, lam: float,
                              pairs: str = "independent", one_sided: bool = False) -> torch.Tensor:
    """lam * E[(|D(x1) - D(x2)| / ||x1 - x2||_2 - 1)^2] over two interpolates x1, x2.

    pairs "independent": x1 of pair i and x2 of pair i-1 (the batch rolled by one), each with its
    own eps: two independent draws from the interpolate distribution. "same": both on the segment
    of pair i, so the slope is the critic's along real_i - fake_i.
    """
    if pairs == "independent" and len(real) < 2:
        raise ConfigError("gp-fd with fd_pairs independent needs a batch of at least 2 "
                          f"(x2 comes from another real/fake pair), got {len(real)}")
    x1 = _interpolate(real, fake)
    x2 = _interpolate(real, fake) if pairs == "same" else _interpolate(real.roll(1, 0), fake.roll(1, 0))
    slopes = (critic(x1) - critic(x2)).abs().flatten()
    distances = torch.linalg.vector_norm((x1 - x2).flatten(1), dim=1).clamp_min(_DISTANCE_FLOOR)
    return lam * _deviation(slopes / distances, one_sided)


def orthonormal_deviation(matrix: torch.Tensor) -> torch.Tensor:
    """||W^T W - I||_F^2 for W [m, n], exactly, from the smaller Gram matrix.

    ||W^T W - I_n||^2 = sum(s^4) - 2 sum(s^2) + n over W's singular values s, and sum(s^4) is the
    squared norm of either Gram matrix, so the m x m one serves a wide W (a conv's [out, in*k*k])
    without forming the n x n one.
    """
    rows, cols = matrix.shape
    gram = matrix @ matrix.T if rows <= cols else matrix.T @ matrix
    return gram.square().sum() - 2.0 * matrix.square().sum() + cols


def orthonormal_penalty(critic: nn.Module, lam: float) -> torch.Tensor:
    """lam * sum over the critic's conv and linear layers of ||W^T W - I||_F^2 (Brock et al. 2016, as
    SN-GAN section 3, Eq. 14 writes it), W reshaped to [out, in*k*k]."""
    layers = [module for module in critic.modules() if isinstance(module, WEIGHT_LAYERS)]
    return lam * sum(orthonormal_deviation(weight_matrix(layer)) for layer in layers)


CHECK_SHAPE = (4, 1, 4, 4)  # real and fake batches a user penalty is tried on, with a linear critic


def check_penalty(value, where: str) -> None:
    """ConfigError unless `value` is penalty(critic, real, fake) giving a finite 0-d tensor differentiable in
    the critic's parameters, on CHECK_SHAPE batches and a linear critic."""
    try:
        inspect.signature(value).bind(None, None, None)
    except (TypeError, ValueError):
        raise ConfigError(f"{where} is not a function penalty(critic, real, fake); allowed: a function of "
                          "those three arguments returning a 0-d tensor") from None
    generator = torch.Generator().manual_seed(0)
    critic = nn.Sequential(nn.Flatten(), nn.Linear(CHECK_SHAPE[1] * CHECK_SHAPE[2] * CHECK_SHAPE[3], 1),
                           nn.Flatten(0))
    real, fake = torch.randn(2, *CHECK_SHAPE, generator=generator)
    penalty = value(critic, real, fake)
    if not isinstance(penalty, torch.Tensor) or penalty.shape != () or not penalty.requires_grad:
        got = tuple(penalty.shape) if isinstance(penalty, torch.Tensor) else type(penalty).__name__
        raise ConfigError(f"{where}: penalty(critic, real, fake) returned {got} on batches of {CHECK_SHAPE}; "
                          "allowed: a 0-d tensor differentiable in the critic's parameters")
    if not torch.isfinite(penalty):
        raise ConfigError(f"{where}: the penalty is not finite on a linear critic; allowed: a finite penalty")


def user_constraint(name: str) -> UserPart | None:
    """The user's constraint `name`, loaded and checked; None for a shipped constraint."""
    return None if name in ALLOWED["constraint"] else load_part("constraint", name, check_penalty)


def critic_penalty(spec: MethodSpec, critic: nn.Module, real: torch.Tensor,
                   fake: torch.Tensor) -> torch.Tensor:
    """The penalty term of `spec.constraint` (a 0-d zero when it has none)."""
    part = user_constraint(spec.constraint)
    if part is not None:
        return part.value(critic, real, fake)
    if spec.constraint == "gp":
        return gradient_penalty(critic, real, fake, spec.gp_lambda, spec.one_sided)
    if spec.constraint == "gp-fd":
        return finite_difference_penalty(critic, real, fake, spec.gp_lambda, spec.fd_pairs, spec.one_sided)
    if spec.constraint == "ortho":
        return orthonormal_penalty(critic, spec.ortho_lambda)
    return real.new_zeros(())


def clip_parameters(critic: nn.Module, bound: float) -> None:
    """Clamp every critic parameter in place to [-bound, bound] (buffers untouched)."""
    with torch.no_grad():
        for parameter in critic.parameters():
            parameter.clamp_(-bound, bound)


def apply_critic_constraint(spec: MethodSpec, critic: nn.Module) -> None:
    """Run after each critic optimizer step: clipping for `clip`, nothing otherwise."""
    if spec.constraint == "clip":
        clip_parameters(critic, spec.clip_value)
