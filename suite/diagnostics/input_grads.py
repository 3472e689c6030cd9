"""The critic's input gradient ||grad_x D(x)||_2 per example (SN-GAN section 2).

A critic whose layers have spectral norms sigma_l and whose activations are 1-Lipschitz
has ||grad_x D(x)|| <= prod_l sigma_l at every x (exactly attainable for dense layers):
spectral normalization bounds the critic's Lipschitz constant by bounding each factor.
The norms also give a critic's measured Lipschitz constant (their maximum over many points).
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

from suite.diagnostics.layers import preserved_state


def input_gradient_norms(critic: nn.Module, x: Tensor, chunk: int | None = None) -> Tensor:
    """||grad_x D(x)||_2 of each example of `x` (a float64 CPU tensor [N]), in the critic's current mode.

    The gradient is that of the batch's summed output, as in the gradient penalty: the
    per-example gradient whenever examples do not interact (no batch norm in train mode).
    `chunk` splits `x` into forwards of at most that many examples (None: one forward).
    Leaves the critic's parameters, `.grad`, buffers and the RNG state unchanged.
    """
    size = len(x) if chunk is None else chunk
    norms = []
    with preserved_state(critic), torch.enable_grad():
        for part in x.split(max(size, 1)):
            part = part.detach().clone().requires_grad_(True)
            (grad,) = torch.autograd.grad(critic(part).sum(), part)
            norms.append(torch.linalg.vector_norm(grad.flatten(1).double(), dim=1).cpu())
    return torch.cat(norms)
