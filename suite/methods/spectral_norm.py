"""Spectral normalization (Miyato et al. 2018), owned by the suite because it is studied.

`spectral_norm(module)` keeps the raw weight as the Parameter `weight_orig` and, before
every forward, sets `module.weight = weight_orig / sigma`, where sigma = u^T W v is
estimated by power iteration on W reshaped to (out, -1). u and v are buffers, so they
travel in state_dict and checkpoints; in eval mode they are not updated.
"""
import torch
import torch.nn.functional as F
from torch import nn

_TRANSPOSED = (nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d)
WEIGHT_LAYERS = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d) + _TRANSPOSED


def _weight_matrix(weight: torch.Tensor, dim: int) -> torch.Tensor:
    """W as (out, -1): output channels are rows (dim 1 for transposed convs)."""
    if dim != 0:
        order = [dim] + [d for d in range(weight.dim()) if d != dim]
        weight = weight.permute(*order)
    return weight.reshape(weight.shape[0], -1)


class _SpectralNormHook:
    """Forward pre-hook computing the normalized weight; holds no module reference."""

    def __init__(self, n_power_iterations: int, eps: float, dim: int):
        self.n_power_iterations = n_power_iterations
        self.eps = eps
        self.dim = dim

    def normalized_weight(self, module: nn.Module, update: bool) -> torch.Tensor:
        weight = module.weight_orig
        matrix = _weight_matrix(weight, self.dim)
        u, v = module.weight_u, module.weight_v
        if update:
            with torch.no_grad():
                for _ in range(self.n_power_iterations):
                    v.copy_(F.normalize(matrix.t().mv(u), dim=0, eps=self.eps))
                    u.copy_(F.normalize(matrix.mv(v), dim=0, eps=self.eps))
            # Clones: the critic may run several forwards (real, fake, GP interpolates)
            # before one backward, and each updates u, v in place.
            u, v = u.clone(), v.clone()
        sigma = torch.dot(u, matrix.mv(v))
        module.weight_sigma.copy_(sigma.detach())
        return weight / sigma

    def __call__(self, module: nn.Module, inputs):
        module.weight = self.normalized_weight(module, update=module.training)


def _detach_weight(module: nn.Module, inputs, output):
    # The forward already captured the graph; a detached copy keeps `module.weight`
    # readable for diagnostics and lets the module be deep-copied.
    module.weight = module.weight.detach()


def is_spectral_normed(module: nn.Module) -> bool:
    """True when `module` was wrapped by `spectral_norm`."""
    return any(isinstance(hook, _SpectralNormHook) for hook in module._forward_pre_hooks.values())


def spectral_norm(module: nn.Module, n_power_iterations: int = 1, eps: float = 1e-12) -> nn.Module:
    """Wrap a Linear / Conv / ConvTranspose layer in spectral normalization; returns it."""
    if not isinstance(module, WEIGHT_LAYERS):
        allowed = ", ".join(cls.__name__ for cls in WEIGHT_LAYERS)
        raise TypeError(f"spectral_norm supports {allowed}; got {type(module).__name__}")
    if is_spectral_normed(module):
        raise ValueError(f"{type(module).__name__} is already spectrally normalized")
    if n_power_iterations < 1:
        raise ValueError(f"n_power_iterations must be >= 1, got {n_power_iterations}")
    dim = 1 if isinstance(module, _TRANSPOSED) else 0
    weight = module.weight
    del module._parameters["weight"]
    module.register_parameter("weight_orig", nn.Parameter(weight.data))
    matrix = _weight_matrix(weight.data, dim)
    hook = _SpectralNormHook(n_power_iterations, eps, dim)
    if matrix.is_meta:
        # Shapes only (the config check builds every model on the meta device): normal_ and normalize
        # on meta tensors import torch._dynamo, ~2 s in every process that loads a study.
        module.register_buffer("weight_u", matrix.new_empty(matrix.shape[0]))
        module.register_buffer("weight_v", matrix.new_empty(matrix.shape[1]))
        module.register_buffer("weight_sigma", matrix.new_empty(()))
        module.weight = weight.data
    else:
        with torch.no_grad():
            module.register_buffer("weight_u", F.normalize(matrix.new_empty(matrix.shape[0]).normal_(), dim=0, eps=eps))
            module.register_buffer("weight_v", F.normalize(matrix.new_empty(matrix.shape[1]).normal_(), dim=0, eps=eps))
            module.register_buffer("weight_sigma", matrix.new_zeros(()))
            module.weight = hook.normalized_weight(module, update=False).detach()
    module.register_forward_pre_hook(hook)
    module.register_forward_hook(_detach_weight)
    return module


def raw_weight(layer: nn.Module) -> torch.Tensor:
    """The weight a layer trains: `weight_orig` for a spectrally normalized layer, `weight` otherwise."""
    return layer.weight_orig if is_spectral_normed(layer) else layer.weight


def weight_matrix(layer: nn.Module, weight: torch.Tensor | None = None) -> torch.Tensor:
    """`weight` (default: the layer's raw weight) as an (out, -1) matrix, output channels being dim 1 of
    a transposed conv: the matrix spectral normalization normalizes."""
    weight = raw_weight(layer) if weight is None else weight
    return _weight_matrix(weight, 1 if isinstance(layer, _TRANSPOSED) else 0)


def spectral_sigmas(model: nn.Module) -> dict[str, float]:
    """Layer name -> current sigma estimate of every spectrally normalized layer."""
    return {name: float(layer.weight_sigma)
            for name, layer in model.named_modules() if is_spectral_normed(layer)}
