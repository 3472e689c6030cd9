"""Adversarial losses, chosen by `MethodSpec.loss`; critic outputs are raw scores [N]."""
import torch
import torch.nn.functional as F

from suite.errors import ConfigError


def _wasserstein_critic(d_real: torch.Tensor, d_fake: torch.Tensor) -> torch.Tensor:
    return d_fake.mean() - d_real.mean()


def _hinge_critic(d_real: torch.Tensor, d_fake: torch.Tensor) -> torch.Tensor:
    return F.relu(1.0 - d_real).mean() + F.relu(1.0 + d_fake).mean()


def _ns_critic(d_real: torch.Tensor, d_fake: torch.Tensor) -> torch.Tensor:
    # Binary cross-entropy with logits: -log sigmoid(d_real) - log(1 - sigmoid(d_fake)).
    return F.softplus(-d_real).mean() + F.softplus(d_fake).mean()


# Least squares (Mao et al. 2017, "Least Squares Generative Adversarial Networks", Eq. 2 with the
# 0-1 coding of section 3.2.2: a = 0 for fake, b = 1 for real, c = 1 as the generator's target).
LSGAN_FAKE, LSGAN_REAL, LSGAN_GENERATOR_TARGET = 0.0, 1.0, 1.0


def _least_squares_critic(d_real: torch.Tensor, d_fake: torch.Tensor) -> torch.Tensor:
    return 0.5 * ((d_real - LSGAN_REAL) ** 2).mean() + 0.5 * ((d_fake - LSGAN_FAKE) ** 2).mean()


def _least_squares_generator(d_fake: torch.Tensor) -> torch.Tensor:
    return 0.5 * ((d_fake - LSGAN_GENERATOR_TARGET) ** 2).mean()


def _mean_score_generator(d_fake: torch.Tensor) -> torch.Tensor:
    return -d_fake.mean()


def _ns_generator(d_fake: torch.Tensor) -> torch.Tensor:
    return F.softplus(-d_fake).mean()


CRITIC_LOSSES = {"wasserstein": _wasserstein_critic, "hinge": _hinge_critic, "ns": _ns_critic,
                 "lsgan": _least_squares_critic}
GENERATOR_LOSSES = {"wasserstein": _mean_score_generator, "hinge": _mean_score_generator,
                    "ns": _ns_generator, "lsgan": _least_squares_generator}


def _lookup(table: dict, name: str):
    if name not in table:
        raise ConfigError(f"unknown loss {name!r}; allowed: {', '.join(table)}")
    return table[name]


def critic_loss(name: str, d_real: torch.Tensor, d_fake: torch.Tensor) -> torch.Tensor:
    """The critic's loss (to minimise) as a 0-d tensor."""
    return _lookup(CRITIC_LOSSES, name)(d_real, d_fake)


def generator_loss(name: str, d_fake: torch.Tensor) -> torch.Tensor:
    """The generator's loss (to minimise) as a 0-d tensor."""
    return _lookup(GENERATOR_LOSSES, name)(d_fake)
