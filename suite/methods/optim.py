"""Optimizers of a method: one per network, with separate learning rates (TTUR)."""
import torch
from torch import nn

from suite.methods.spec import MethodSpec


def _adam(parameters, lr: float, spec: MethodSpec) -> torch.optim.Optimizer:
    return torch.optim.Adam(parameters, lr=lr, betas=spec.betas)


def _rmsprop(parameters, lr: float, spec: MethodSpec) -> torch.optim.Optimizer:
    return torch.optim.RMSprop(parameters, lr=lr)


OPTIMIZERS = {"adam": _adam, "rmsprop": _rmsprop}


def make_optimizers(spec: MethodSpec, generator: nn.Module,
                    critic: nn.Module) -> tuple[torch.optim.Optimizer, torch.optim.Optimizer]:
    """(opt_g, opt_d): `spec.optimizer` with lr_g for the generator and lr_d for the critic."""
    build = OPTIMIZERS[spec.optimizer]
    return build(generator.parameters(), spec.lr_g, spec), build(critic.parameters(), spec.lr_d, spec)
