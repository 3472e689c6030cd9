"""Per-layer gradient norms of the critic loss on a fixed probe batch (WGAN-GP Fig. 1b).

The critic runs twice, d_real = D(probe_real) and d_fake = D(probe_fake), as a training
step does, in the critic's current mode. Forward hooks capture every weight layer's
output; `torch.autograd.grad` then gives the gradient of critic_loss(d_real, d_fake)
with respect to those outputs and to the layers' raw weights, without touching `.grad`.
A layer's gradient norm is the L2 norm over all outputs it produced (both forwards).
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from suite.diagnostics.layers import preserved_state
from suite.diagnostics.spectra import raw_weight

CriticLoss = Callable[[Tensor, Tensor], Tensor]


@dataclass(frozen=True)
class LayerGradients:
    """Gradient norms of one layer; NaN where the tensor does not require grad."""

    grad_output_norm: float
    weight_grad_norm: float


def _norm(grads: list[Tensor | None], sources: list[Tensor]) -> float:
    if not sources:
        return math.nan
    total = 0.0
    for grad, source in zip(grads, sources):
        if grad is not None:   # unused by the loss: a zero gradient
            total += float(grad.detach().double().pow(2).sum())
    return math.sqrt(total)


def layer_gradients(critic: nn.Module, layers: list[nn.Module], critic_loss: CriticLoss,
                    probe_real: Tensor, probe_fake: Tensor) -> list[LayerGradients]:
    """Gradient norms of the critic loss for each of `layers`, in the given order.

    Leaves the critic's parameters, `.grad`, buffers and the RNG state unchanged.
    """
    captured: dict[int, list[Tensor]] = {id(layer): [] for layer in layers}

    def capture(module, inputs, output):
        captured[id(module)].append(output)
        # Downstream in-place ops (ReLU(inplace=True)) then act on the copy, so the
        # captured tensor stays the layer's own output in the graph.
        return output.clone()

    handles = [layer.register_forward_hook(capture) for layer in layers]
    try:
        with preserved_state(critic), torch.enable_grad():
            loss = critic_loss(critic(probe_real), critic(probe_fake))
            outputs = [[t for t in captured[id(layer)] if t.requires_grad] for layer in layers]
            weights = [[w] if w.requires_grad else [] for w in map(raw_weight, layers)]
            sources = [t for group in outputs + weights for t in group]
            grads = torch.autograd.grad(loss, sources, allow_unused=True) if sources else ()
    finally:
        for handle in handles:
            handle.remove()
    position = {id(t): i for i, t in enumerate(sources)}
    result = []
    for out_group, weight_group in zip(outputs, weights):
        result.append(LayerGradients(
            grad_output_norm=_norm([grads[position[id(t)]] for t in out_group], out_group),
            weight_grad_norm=_norm([grads[position[id(t)]] for t in weight_group], weight_group)))
    return result
