"""WGAN-GP's architecture variants (Gulrajani et al. 2017, section 5.2, Fig. 2) at 32x32.

The authors' variants live in igul222/improved_wgan_training, gan_64x64.py
(`GeneratorAndDiscriminator`): a DCGAN baseline and five changes of it, all at 64x64 with
dim = 64. Our images are 32x32, so every variant starts from the authors' own 32x32 DCGAN
(gan_cifar.py, `Generator` / `Discriminator`): the 64x64 nets with their widest stage left out.

    generator: linear z -> 4x4x4d, then 5x5 stride-2 deconvs 4d -> 2d -> d -> C, tanh
    critic:    5x5 stride-2 convs C -> d -> 2d -> 4d, linear 4*4*4d -> 1

Norms follow gan_64x64.py's `Normalize`: after every deconv/conv but the first critic conv and
the image layers. Which norm the method's own d_norm / g_norm decides; a variant whose defining
property is "no normalization" uses none whatever the method says (spectral normalization, a
weight reparametrization of the method, stays). The nonlinearity is ReLU in G, leaky ReLU 0.2 in
D (gan_64x64.py `LeakyReLU`), except where the variant replaces it.
"""
from collections.abc import Callable
from dataclasses import replace

import torch
from torch import nn

from suite.models.layers import Critic, Generator, Layers

KERNEL = 5  # gan_64x64.py / gan_cifar.py: every DCGAN conv and deconv is 5x5
START_SIZE = 4
MULTIPLES = (4, 2, 1)  # channel multiples of d at 4x4, 8x8, 16x16 (gan_cifar.py)
LEAKY_SLOPE = 0.2  # gan_64x64.py, LeakyReLU(x, alpha=0.2)
MLP_HIDDEN_LAYERS = 4  # gan_64x64.py, FCGenerator: four ReLU layers of FC_DIM = 512
MLP_UNITS = 512


class GatedUnit(nn.Module):
    """sigmoid(a) * tanh(b) with a, b the even and odd channels: PixelCNN's gated unit as
    gan_64x64.py writes it (`pixcnn_gated_nonlinearity`); halves the channel count."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(x[:, 0::2]) * torch.tanh(x[:, 1::2])


def _no_norm(layers: Layers) -> Layers:
    return replace(layers, norm="none")


# A nonlinearity: (factory, channel factor). A gated unit takes two channels per output channel,
# so the layer before it is built twice as wide (gan_64x64.py, Multiplicative* nets).
Nonlinearity = tuple[Callable[[], nn.Module], int]
RELU: Nonlinearity = (nn.ReLU, 1)
LEAKY: Nonlinearity = (lambda: nn.LeakyReLU(LEAKY_SLOPE), 1)
TANH: Nonlinearity = (nn.Tanh, 1)
GATED: Nonlinearity = (GatedUnit, 2)


def dcgan_generator(layers: Layers, data_shape: tuple[int, ...], latent_dim: int, width: int,
                    nonlinearity: Nonlinearity = RELU) -> Generator:
    """linear -> 4x4x4d, norm, act; deconvs to 2d and d, each with norm and act; deconv -> C; tanh."""
    act, factor = nonlinearity
    channels = MULTIPLES[0] * width
    modules: list[nn.Module] = [layers.linear(latent_dim, factor * channels * START_SIZE ** 2),
                                nn.Unflatten(1, (factor * channels, START_SIZE, START_SIZE)),
                                layers.norm2d(factor * channels), act()]
    for multiple in MULTIPLES[1:]:
        out_channels = multiple * width
        modules += [layers.conv_transpose(channels, factor * out_channels, KERNEL),
                    layers.norm2d(factor * out_channels), act()]
        channels = out_channels
    modules += [layers.conv_transpose(channels, data_shape[0], KERNEL), nn.Tanh()]
    return Generator(*modules, latent_dim=latent_dim, data_shape=data_shape)


def dcgan_critic(layers: Layers, data_shape: tuple[int, ...], width: int,
                 nonlinearity: Nonlinearity = LEAKY) -> Critic:
    """5x5 stride-2 convs to d, 2d, 4d (norm after all but the first), act; linear -> 1."""
    act, factor = nonlinearity
    channels = data_shape[0]
    modules: list[nn.Module] = []
    for index, multiple in enumerate(reversed(MULTIPLES)):
        out_channels = multiple * width
        modules.append(layers.conv(channels, factor * out_channels, KERNEL, stride=2))
        if index > 0:
            modules.append(layers.norm2d(factor * out_channels))
        modules.append(act())
        channels = out_channels
    modules += [nn.Flatten(), layers.linear(channels * START_SIZE ** 2, 1)]
    return Critic(*modules, data_shape=data_shape)


def constant_generator(layers: Layers, data_shape: tuple[int, ...], latent_dim: int,
                       width: int) -> Generator:
    """gan_64x64.py `WGANPaper_CrippledDCGANGenerator`: d filters in every layer, no norm:
    linear -> 4x4xd, ReLU; deconvs d -> d twice, ReLU; deconv d -> C; tanh."""
    modules: list[nn.Module] = [layers.linear(latent_dim, width * START_SIZE ** 2), nn.ReLU(),
                                nn.Unflatten(1, (width, START_SIZE, START_SIZE))]
    for _ in MULTIPLES[1:]:
        modules += [layers.conv_transpose(width, width, KERNEL), nn.ReLU()]
    modules += [layers.conv_transpose(width, data_shape[0], KERNEL), nn.Tanh()]
    return Generator(*modules, latent_dim=latent_dim, data_shape=data_shape)


def mlp_generator(layers: Layers, data_shape: tuple[int, ...], latent_dim: int,
                  width: int) -> Generator:
    """gan_64x64.py `FCGenerator`: four ReLU linear layers of `width` (512), linear -> pixels, tanh."""
    modules: list[nn.Module] = []
    features = latent_dim
    for _ in range(MLP_HIDDEN_LAYERS):
        modules += [layers.linear(features, width), nn.ReLU()]
        features = width
    pixels = data_shape[0] * data_shape[1] * data_shape[2]
    modules += [layers.linear(features, pixels), nn.Tanh(), nn.Unflatten(1, tuple(data_shape))]
    return Generator(*modules, latent_dim=latent_dim, data_shape=data_shape)


def baseline_generator(layers, data_shape, latent_dim, width):
    return dcgan_generator(layers, data_shape, latent_dim, width)


def baseline_critic(layers, data_shape, width):
    return dcgan_critic(layers, data_shape, width)


def constant_no_norm_generator(layers, data_shape, latent_dim, width):
    return constant_generator(_no_norm(layers), data_shape, latent_dim, width)


def mlp_no_norm_generator(layers, data_shape, latent_dim, width):
    return mlp_generator(_no_norm(layers), data_shape, latent_dim, width)


def no_norm_generator(layers, data_shape, latent_dim, width):
    return dcgan_generator(_no_norm(layers), data_shape, latent_dim, width)


def no_norm_critic(layers, data_shape, width):
    return dcgan_critic(_no_norm(layers), data_shape, width)


def gated_generator(layers, data_shape, latent_dim, width):
    return dcgan_generator(layers, data_shape, latent_dim, width, GATED)


def gated_critic(layers, data_shape, width):
    return dcgan_critic(layers, data_shape, width, GATED)


def tanh_generator(layers, data_shape, latent_dim, width):
    return dcgan_generator(layers, data_shape, latent_dim, width, TANH)


def tanh_critic(layers, data_shape, width):
    return dcgan_critic(layers, data_shape, width, TANH)
