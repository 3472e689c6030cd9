"""The reference the suite is measured against: a plain PyTorch GAN loop written out by hand.

Same generator/critic modules, loss formula, penalty, optimizer and n_dis as the method, and
nothing else: no Trainer, no MethodSpec dispatch, no logging or diagnostics.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

CRITIC_LOSS = {
    "wasserstein": lambda real, fake: fake.mean() - real.mean(),
    "hinge": lambda real, fake: F.relu(1.0 - real).mean() + F.relu(1.0 + fake).mean(),
    "ns": lambda real, fake: F.softplus(-real).mean() + F.softplus(fake).mean(),
}
GENERATOR_LOSS = {
    "wasserstein": lambda fake: -fake.mean(),
    "hinge": lambda fake: -fake.mean(),
    "ns": lambda fake: F.softplus(-fake).mean(),
}


def _mix(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    eps = torch.rand((len(real),) + (1,) * (real.dim() - 1), device=real.device)
    return eps * real + (1.0 - eps) * fake


def _gp(critic, real, fake, lam):
    x = _mix(real, fake).requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(x).sum(), x, create_graph=True)
    return lam * (grad.flatten(1).norm(dim=1) - 1.0).square().mean()


def _gp_fd(critic, real, fake, lam):
    x1, x2 = _mix(real, fake), _mix(real, fake)
    slope = (critic(x1) - critic(x2)).abs().flatten() / (x1 - x2).flatten(1).norm(dim=1).clamp_min(1e-12)
    return lam * (slope - 1.0).square().mean()


PENALTY = {"gp": _gp, "gp-fd": _gp_fd}


class BareLoop:
    """One generator iteration of a hand-written GAN loop on `data` (an on-device float tensor)."""

    def __init__(self, spec, generator: nn.Module, critic: nn.Module, data: torch.Tensor, batch_size: int,
                 latent_dim: int):
        self.spec, self.generator, self.critic, self.data = spec, generator, critic, data
        self.batch_size, self.latent_dim = batch_size, latent_dim
        if spec.optimizer == "adam":
            self.opt_g = torch.optim.Adam(generator.parameters(), lr=spec.lr_g, betas=spec.betas)
            self.opt_d = torch.optim.Adam(critic.parameters(), lr=spec.lr_d, betas=spec.betas)
        else:
            self.opt_g = torch.optim.RMSprop(generator.parameters(), lr=spec.lr_g)
            self.opt_d = torch.optim.RMSprop(critic.parameters(), lr=spec.lr_d)
        self.critic_loss, self.generator_loss = CRITIC_LOSS[spec.loss], GENERATOR_LOSS[spec.loss]
        self.penalty = PENALTY.get(spec.constraint)

    def __call__(self) -> None:
        spec, g, d, device = self.spec, self.generator, self.critic, self.data.device
        for _ in range(spec.n_dis):
            real = self.data[torch.randint(len(self.data), (self.batch_size,), device=device)]
            with torch.no_grad():
                fake = g(torch.randn(self.batch_size, self.latent_dim, device=device))
            self.opt_d.zero_grad(set_to_none=True)
            loss = self.critic_loss(d(real), d(fake))
            if self.penalty is not None:
                loss = loss + self.penalty(d, real, fake, spec.gp_lambda)
            loss.backward()
            self.opt_d.step()
            if spec.constraint == "clip":
                with torch.no_grad():
                    for p in d.parameters():
                        p.clamp_(-spec.clip_value, spec.clip_value)
        self.opt_g.zero_grad(set_to_none=True)
        self.generator_loss(d(g(torch.randn(self.batch_size, self.latent_dim, device=device)))).backward()
        self.opt_g.step()
