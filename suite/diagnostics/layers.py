"""Finding the critic's weight layers in execution order, and running it without side effects.

`critic_layers` orders the layers by one forward pass with hooks, since the order in
which modules are registered can differ from the order in which they run (a residual
shortcut registered before the main branch, a head defined first). `preserved_state`
lets a diagnostic forward pass run in the critic's own mode (BatchNorm in train mode
uses batch statistics, spectral norm does a power iteration) and then puts back every
buffer, the tensors that hooks assign as plain attributes (spectral norm's `weight`)
and the torch RNG state, bit for bit.
"""
from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

import torch
from torch import nn

log = logging.getLogger(__name__)

WEIGHT_LAYER_TYPES = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d,
                      nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d)


def is_weight_layer(module: nn.Module) -> bool:
    """True for the Linear / Conv / ConvTranspose layers that the diagnostics track."""
    return isinstance(module, WEIGHT_LAYER_TYPES)


def _cuda_devices(module: nn.Module) -> list[int]:
    return sorted({t.device.index for t in list(module.parameters()) + list(module.buffers())
                   if t.device.type == "cuda" and t.device.index is not None})


@contextlib.contextmanager
def preserved_state(module: nn.Module) -> Iterator[None]:
    """Restore every buffer, plain tensor attribute and the RNG state of `module` on exit.

    Buffers are restored in place into the original tensor objects (and the objects
    put back if a forward replaced them), so references held elsewhere, e.g. by an
    optimizer or a checkpoint, stay valid. Parameters and `.grad` are not touched here:
    callers must not modify them (use `torch.autograd.grad`, never `.backward()`).
    """
    saved_buffers = []
    saved_attributes = []
    for sub in module.modules():
        for name, buf in sub._buffers.items():
            if buf is not None:
                saved_buffers.append((sub, name, buf, buf.detach().clone()))
        for name, value in vars(sub).items():
            if isinstance(value, torch.Tensor) and not isinstance(value, nn.Parameter):
                saved_attributes.append((sub, name, value))
    with torch.random.fork_rng(devices=_cuda_devices(module)):
        try:
            yield
        finally:
            with torch.no_grad():
                for sub, name, buf, copy in saved_buffers:
                    buf.copy_(copy)
                    sub._buffers[name] = buf
            for sub, name, value in saved_attributes:
                sub.__dict__[name] = value


def critic_layers(critic: nn.Module, example_input: torch.Tensor) -> list[tuple[str, nn.Module]]:
    """(name, layer) of every weight layer of `critic`, input side first, as executed.

    The order is that of one forward pass on `example_input` (a module executed twice
    is placed at its first execution). The critic's buffers and the RNG state are left
    unchanged. Weight layers that do not run on this input are left out with a warning,
    since no gradient reaches their output.
    """
    names = {module: name for name, module in critic.named_modules() if is_weight_layer(module)}
    order: list[nn.Module] = []
    seen: set[int] = set()

    def hook(module, inputs, output):
        if id(module) not in seen:
            seen.add(id(module))
            order.append(module)

    handles = [module.register_forward_hook(hook) for module in names]
    try:
        with preserved_state(critic), torch.no_grad():
            critic(example_input)
    finally:
        for handle in handles:
            handle.remove()
    skipped = [name for module, name in names.items() if id(module) not in seen]
    if skipped:
        log.warning("weight layers not executed on the example input, left out of the "
                    "diagnostics: %s", ", ".join(skipped))
    return [(names[module], module) for module in order]
