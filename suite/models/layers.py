"""Layers shared by every architecture family.

The method's normalization choices are read here and nowhere else: a family asks
its `Layers` for a conv, a norm or an attention block and never looks at the
method's names itself.
"""
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn.utils.parametrizations import weight_norm

from suite.errors import ConfigError
from suite.methods import spectral_norm
from suite.methods.attention import ResidualControl, SelfAttention
from suite.plugins import UserPart, allowed_text, load_part, names_a_part

CRITIC_NORMS = ("none", "bn", "ln", "sn", "wn")
GENERATOR_NORMS = ("bn", "sn+bn", "none")
LAYER_NORMS = ("none", "bn", "ln")  # the norms placed as modules; anything else is a user's own
CHECK_FEATURES = 4  # channels (features) a user's norm is tried on when the study loads

WEIGHT_LAYER_TYPES = (nn.Conv1d, nn.Conv2d, nn.ConvTranspose2d, nn.Linear)
ATTENTION_BLOCKS = {"attention": SelfAttention, "residual": ResidualControl}


@dataclass(frozen=True)
class Layers:
    """How one network (critic or generator) builds its weight, norm and attention layers.

    spectral: wrap every conv/linear (attention convs included) in spectral_norm.
    norm: "none", "bn" (batch norm) or "ln" (per-example norm over all features).
    attention_size: feature-map size at which to insert one attention block, or None.
    attention_block: which block goes there: "attention" (SelfAttention) or "residual"
        (ResidualControl, SAGAN Table 1's residual block of equal parameters).
    power_iterations: spectral norm's power iterations per forward (the method's power_iterations).
    weight_normed: reparametrize every conv/linear weight as g * v / ||v|| per output channel
        (torch's weight_norm parametrization, Salimans & Kingma 2016).
    affine: keep the learned multiplier gamma of the norms and of weight norm; without it (SN-GAN
        section 4.1 removes it) gamma is a buffer of ones, the shift beta of BN and LN still learned.
    orthogonal_init: draw every conv/linear weight as a random orthonormal matrix [out, in*k*k]
        (SN-GAN section 4.1, for the orthonormal regularizer).
    """

    net: str
    spectral: bool
    norm: str
    attention_size: int | None
    power_iterations: int = 1
    weight_normed: bool = False
    affine: bool = True
    orthogonal_init: bool = False
    attention_block: str = "attention"

    def _wrap(self, layer: nn.Module) -> nn.Module:
        if self.orthogonal_init:
            nn.init.orthogonal_(layer.weight)
        if self.spectral:
            return spectral_norm(layer, self.power_iterations)
        if self.weight_normed:
            layer = weight_norm(layer)
            if not self.affine:
                _fix_multiplier(layer.parametrizations.weight, "original0")
        return layer

    def _norm(self, norm: nn.Module) -> nn.Module:
        if not self.affine:
            _fix_multiplier(norm, "weight")
        return norm

    def conv(self, in_channels: int, out_channels: int, kernel_size: int, stride: int = 1,
             bias: bool = True) -> nn.Module:
        """Conv2d with padding (k-1)//2: 3x3 and 1x1 keep the size, 4x4 stride 2 halves it."""
        padding = (kernel_size - 1) // 2
        return self._wrap(nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding,
                                    bias=bias))

    def conv1d(self, in_channels: int, out_channels: int, kernel_size: int) -> nn.Module:
        """Conv1d with padding (k-1)//2 (odd k keeps the length, as a 'SAME' conv)."""
        return self._wrap(nn.Conv1d(in_channels, out_channels, kernel_size, padding=(kernel_size - 1) // 2))

    def conv_transpose(self, in_channels: int, out_channels: int, kernel_size: int = 4) -> nn.Module:
        """Stride-2 transposed conv (4x4 or 3x3) that exactly doubles the spatial size."""
        return self._wrap(nn.ConvTranspose2d(in_channels, out_channels, kernel_size, stride=2,
                                             padding=(kernel_size - 1) // 2,
                                             output_padding=kernel_size % 2))

    def linear(self, in_features: int, out_features: int) -> nn.Module:
        return self._wrap(nn.Linear(in_features, out_features))

    def norm2d(self, channels: int) -> nn.Module:
        """Norm of a [N, C, H, W] feature map; "ln" normalizes each example over (C, H, W)."""
        if self.norm not in LAYER_NORMS:
            return user_norm(self.norm).value.norm2d(channels)
        if self.norm == "bn":
            return self._norm(nn.BatchNorm2d(channels))
        if self.norm == "ln":
            # One group spanning all channels = layer norm over (C, H, W) with a
            # per-channel affine, independent of the other examples in the batch.
            return self._norm(nn.GroupNorm(1, channels))
        return nn.Identity()

    def norm_sequence(self, channels: int) -> nn.Module:
        """Norm of a [N, C, L] feature sequence; "ln" normalizes each example over (C, L)."""
        if self.norm not in LAYER_NORMS:
            raise ConfigError(f"norm {self.norm!r} of the user's own code builds no norm of feature sequences; "
                              f"allowed for sequence nets: {', '.join(CRITIC_NORMS)}")
        if self.norm == "bn":
            return self._norm(nn.BatchNorm1d(channels))
        if self.norm == "ln":
            return self._norm(nn.GroupNorm(1, channels))
        return nn.Identity()

    def norm1d(self, features: int) -> nn.Module:
        """Norm of a [N, F] feature vector."""
        if self.norm not in LAYER_NORMS:
            return user_norm(self.norm).value.norm1d(features)
        if self.norm == "bn":
            return self._norm(nn.BatchNorm1d(features))
        if self.norm == "ln":
            return self._norm(nn.LayerNorm(features))
        return nn.Identity()

    def attention_at(self, size: int, channels: int) -> list[nn.Module]:
        """[the attention block] when `size` is the requested feature-map size, else []."""
        if self.attention_size != size:
            return []
        block = ATTENTION_BLOCKS[self.attention_block]
        return [block(channels, spectral=self.spectral, power_iterations=self.power_iterations)]

    def check_attention(self, family: str, sizes: tuple[int, ...]) -> None:
        """ConfigError unless the requested attention size is one this network has."""
        if self.attention_size is None:
            return
        key = "d_attention" if self.net == "critic" else "g_attention"
        if not sizes:
            raise ConfigError(f"{key}={self.attention_size}: the {family} {self.net} has no "
                              f"feature maps, so self-attention is not available; use null")
        if self.attention_size not in sizes:
            allowed = ", ".join(str(s) for s in sizes)
            raise ConfigError(f"{key}={self.attention_size} is not a feature-map size of the "
                              f"{family} {self.net}; allowed: {allowed} (or null)")


def _fix_multiplier(module: nn.Module, name: str) -> None:
    """Replace the learned multiplier Parameter `name` by a buffer of ones: no longer trained (nor
    clipped), still saved with the module's state and moved with it."""
    ones = torch.ones_like(getattr(module, name).detach())
    delattr(module, name)
    module.register_buffer(name, ones)


def _attention_size(spec, key: str) -> int | None:
    size = getattr(spec, key)
    if size is None:
        return None
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ConfigError(f"{key} must be null or a positive int feature-map size, got {size!r}")
    return size


def check_norm(value, where: str) -> None:
    """ConfigError unless `value` has norm2d(channels) and norm1d(features) building modules that keep the
    shape of a [2, CHECK_FEATURES, 3, 3] map and a [2, CHECK_FEATURES] vector."""
    for builder, shape in (("norm2d", (2, CHECK_FEATURES, 3, 3)), ("norm1d", (2, CHECK_FEATURES))):
        build = getattr(value, builder, None)
        module = build(CHECK_FEATURES) if callable(build) else None
        if not isinstance(module, nn.Module):
            raise ConfigError(f"{where}: {builder}({CHECK_FEATURES}) gives no nn.Module; allowed: an object with "
                              "norm2d(channels) and norm1d(features), each returning an nn.Module")
        output = module(torch.randn(shape, generator=torch.Generator().manual_seed(0)))
        if tuple(output.shape) != shape:
            raise ConfigError(f"{where}: {builder}({CHECK_FEATURES}) turns {list(shape)} into "
                              f"{list(output.shape)}; allowed: a norm that keeps the shape")


def user_norm(name: str) -> UserPart | None:
    """The user's critic norm `name`, loaded and checked; None for a shipped norm."""
    return None if name in CRITIC_NORMS else load_part("d_norm", name, check_norm)


def critic_layers(spec) -> Layers:
    """The critic's layer choices from spec.d_norm, d_norm_affine, d_attention, attention_block and (for
    the orthonormal regularizer's initialization) constraint."""
    if spec.d_norm not in CRITIC_NORMS and not names_a_part("d_norm", spec.d_norm):
        raise ConfigError(f"d_norm={spec.d_norm!r} is unknown; allowed: {', '.join(CRITIC_NORMS)}, "
                          f"{allowed_text('d_norm')}")
    return Layers(net="critic", spectral=spec.d_norm == "sn", weight_normed=spec.d_norm == "wn",
                  norm="none" if spec.d_norm in ("sn", "wn") else spec.d_norm, affine=spec.d_norm_affine,
                  orthogonal_init=spec.constraint == "ortho",
                  attention_size=_attention_size(spec, "d_attention"), attention_block=spec.attention_block,
                  power_iterations=spec.power_iterations)


def generator_layers(spec) -> Layers:
    """The generator's layer choices from spec.g_norm, g_attention and attention_block."""
    if spec.g_norm not in GENERATOR_NORMS:
        raise ConfigError(f"g_norm={spec.g_norm!r} is unknown; allowed: {', '.join(GENERATOR_NORMS)}")
    return Layers(net="generator", spectral=spec.g_norm == "sn+bn",
                  norm="bn" if "bn" in spec.g_norm else "none",
                  attention_size=_attention_size(spec, "g_attention"), attention_block=spec.attention_block,
                  power_iterations=spec.power_iterations)


class Residual(nn.Module):
    """shortcut(x) + scale * branch(x); the shortcut is the identity unless given."""

    def __init__(self, branch: nn.Module, shortcut: nn.Module | None = None, scale: float = 1.0):
        super().__init__()
        self.branch = branch
        self.shortcut = shortcut if shortcut is not None else nn.Identity()
        self.scale = scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.shortcut(x) + self.scale * self.branch(x)

    def extra_repr(self) -> str:
        return f"scale={self.scale}"


class Generator(nn.Sequential):
    """Layers in forward order, z [N, latent_dim] -> x [N, *data_shape]."""

    def __init__(self, *layers: nn.Module, latent_dim: int, data_shape: tuple[int, ...]):
        super().__init__(*layers)
        self.latent_dim = latent_dim
        self.data_shape = tuple(data_shape)


class Critic(nn.Sequential):
    """Layers in forward order (input side first), x [N, *data_shape] -> score [N]."""

    def __init__(self, *layers: nn.Module, data_shape: tuple[int, ...]):
        super().__init__(*layers, nn.Flatten(start_dim=0))
        self.data_shape = tuple(data_shape)


def count_weight_layers(model: nn.Module) -> int:
    """Number of conv, transposed-conv and linear layers (attention convs included)."""
    return sum(isinstance(m, WEIGHT_LAYER_TYPES) for m in model.modules())


def count_main_path_layers(model: nn.Module) -> int:
    """Conv, transposed-conv and linear layers on the main path: residual shortcuts and
    attention blocks are skipped (a paper's "N-layer" net counts these)."""
    if isinstance(model, WEIGHT_LAYER_TYPES):
        return 1
    if isinstance(model, tuple(ATTENTION_BLOCKS.values())):
        return 0
    if isinstance(model, Residual):
        return count_main_path_layers(model.branch)
    return sum(count_main_path_layers(child) for child in model.children())
