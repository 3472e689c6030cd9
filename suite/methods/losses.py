"""Adversarial losses, chosen by `MethodSpec.loss`; critic outputs are raw scores [N].

The registry of losses: the shipped ones by name, and a user's own (suite.plugins) by `module:attribute`
or entry point name (group `ganbench.losses`): any object with the two functions of `Loss`.
"""
import inspect
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable

import torch
import torch.nn.functional as F

from suite.errors import ConfigError
from suite.plugins import UserPart, allowed_text, load_part, names_a_part


@dataclass(frozen=True)
class Loss:
    """critic(d_real [N], d_fake [N]) and generator(d_fake [N]): 0-d tensors to minimise."""

    critic: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
    generator: Callable[[torch.Tensor], torch.Tensor]


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


LOSSES = {"wasserstein": Loss(_wasserstein_critic, _mean_score_generator),
          "hinge": Loss(_hinge_critic, _mean_score_generator),
          "ns": Loss(_ns_critic, _ns_generator),
          "lsgan": Loss(_least_squares_critic, _least_squares_generator)}

CHECK_BATCH = 4  # critic scores a user loss is tried on when the study loads


def _check_scalar(value, what: str, where: str) -> None:
    if not isinstance(value, torch.Tensor) or value.shape != () or not value.requires_grad:
        got = tuple(value.shape) if isinstance(value, torch.Tensor) else type(value).__name__
        raise ConfigError(f"{where}: {what} returned {got}, not a 0-d tensor differentiable in the scores; "
                          "allowed: a scalar loss to minimise")
    if not torch.isfinite(value):
        raise ConfigError(f"{where}: {what} is not finite on {CHECK_BATCH} random scores; allowed: a finite loss")


def _takes(function, count: int) -> bool:
    try:
        inspect.signature(function).bind(*range(count))
    except (TypeError, ValueError):
        return False
    return True


def check_loss(value, where: str) -> None:
    """ConfigError unless `value` has critic(d_real, d_fake) and generator(d_fake) giving finite,
    differentiable 0-d tensors on a batch of CHECK_BATCH scores."""
    for name, arguments in (("critic", ("d_real", "d_fake")), ("generator", ("d_fake",))):
        function = getattr(value, name, None)
        if not callable(function) or not _takes(function, len(arguments)):
            raise ConfigError(f"{where} has no {name}({', '.join(arguments)}); allowed: an object with "
                              "critic(d_real, d_fake) and generator(d_fake), as suite.methods.losses.Loss")
    scores = torch.randn(2, CHECK_BATCH, generator=torch.Generator().manual_seed(0)).requires_grad_(True)
    _check_scalar(value.critic(scores[0], scores[1]), "critic(d_real, d_fake)", where)
    _check_scalar(value.generator(scores[1]), "generator(d_fake)", where)


def user_loss(name: str) -> UserPart | None:
    """The user's loss `name`, loaded and checked; None for a shipped loss."""
    return None if name in LOSSES else load_part("loss", name, check_loss)


@lru_cache(maxsize=None)  # called every step
def _lookup(name: str) -> Loss:
    if name in LOSSES:
        return LOSSES[name]
    if not names_a_part("loss", name):
        raise ConfigError(f"unknown loss {name!r}; allowed: {', '.join(LOSSES)}, {allowed_text('loss')}")
    return user_loss(name).value


def critic_loss(name: str, d_real: torch.Tensor, d_fake: torch.Tensor) -> torch.Tensor:
    """The critic's loss (to minimise) as a 0-d tensor."""
    return _lookup(name).critic(d_real, d_fake)


def generator_loss(name: str, d_fake: torch.Tensor) -> torch.Tensor:
    """The generator's loss (to minimise) as a 0-d tensor."""
    return _lookup(name).generator(d_fake)
