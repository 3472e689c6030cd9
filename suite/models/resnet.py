"""SN-GAN CIFAR ResNet (Miyato et al. 2018, appendix B.4, Table 4) for 32x32 images.

Width W for every block of a net; `g_width` / `d_width` set the two nets apart (the paper's
net: 256 in G, 128 in D). The critic's
norm, when the method has one, comes before each ReLU inside its residual blocks
(pre-activation, as WGAN-GP's ResNet critic); the optimized first block has none.
"""
import torch
from torch import nn

from suite.models.layers import Critic, Generator, Layers, Residual

CRITIC_ATTENTION_SIZES = (16, 8)
GENERATOR_ATTENTION_SIZES = (4, 8, 16, 32)


class SumPool(nn.Module):
    """Global sum pooling over the spatial dims: [N, C, H, W] -> [N, C]."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.sum(dim=(2, 3))


def optimized_block(layers: Layers, in_channels: int, out_channels: int) -> Residual:
    """First critic block: conv, ReLU, conv, avgpool; shortcut avgpool then conv1x1."""
    branch = nn.Sequential(layers.conv(in_channels, out_channels, 3), nn.ReLU(),
                           layers.conv(out_channels, out_channels, 3), nn.AvgPool2d(2))
    shortcut = nn.Sequential(nn.AvgPool2d(2), layers.conv(in_channels, out_channels, 1))
    return Residual(branch, shortcut)


def critic_block(layers: Layers, channels: int, downsample: bool) -> Residual:
    """(norm, ReLU, conv3x3) x 2, avgpool when downsampling; learned shortcut only then."""
    branch = [layers.norm2d(channels), nn.ReLU(), layers.conv(channels, channels, 3),
              layers.norm2d(channels), nn.ReLU(), layers.conv(channels, channels, 3)]
    shortcut = None
    if downsample:
        branch.append(nn.AvgPool2d(2))
        shortcut = nn.Sequential(layers.conv(channels, channels, 1), nn.AvgPool2d(2))
    return Residual(nn.Sequential(*branch), shortcut)


def generator_block(layers: Layers, channels: int) -> Residual:
    """norm, ReLU, upsample, conv3x3, norm, ReLU, conv3x3; shortcut upsample then conv1x1."""
    branch = nn.Sequential(layers.norm2d(channels), nn.ReLU(), nn.Upsample(scale_factor=2),
                           layers.conv(channels, channels, 3),
                           layers.norm2d(channels), nn.ReLU(), layers.conv(channels, channels, 3))
    shortcut = nn.Sequential(nn.Upsample(scale_factor=2), layers.conv(channels, channels, 1))
    return Residual(branch, shortcut)


def build_critic(layers: Layers, data_shape: tuple[int, ...], width: int) -> Critic:
    """Optimized block (32->16), down block (16->8), two plain blocks, ReLU, sum pool, linear."""
    layers.check_attention("resnet", CRITIC_ATTENTION_SIZES)
    modules: list[nn.Module] = [optimized_block(layers, data_shape[0], width)]
    modules += layers.attention_at(16, width)
    modules.append(critic_block(layers, width, downsample=True))
    modules += layers.attention_at(8, width)
    modules += [critic_block(layers, width, downsample=False),
                critic_block(layers, width, downsample=False),
                nn.ReLU(), SumPool(), layers.linear(width, 1)]
    return Critic(*modules, data_shape=data_shape)


def build_generator(layers: Layers, data_shape: tuple[int, ...], latent_dim: int,
                    width: int) -> Generator:
    """linear z -> 4x4xW, three up blocks (8, 16, 32), norm, ReLU, conv3x3 -> C, tanh."""
    layers.check_attention("resnet", GENERATOR_ATTENTION_SIZES)
    modules: list[nn.Module] = [layers.linear(latent_dim, width * 4 * 4),
                                nn.Unflatten(1, (width, 4, 4))]
    modules += layers.attention_at(4, width)
    for size in (8, 16, 32):
        modules.append(generator_block(layers, width))
        modules += layers.attention_at(size, width)
    modules += [layers.norm2d(width), nn.ReLU(), layers.conv(width, data_shape[0], 3), nn.Tanh()]
    return Generator(*modules, latent_dim=latent_dim, data_shape=data_shape)
