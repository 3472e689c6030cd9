"""An architecture family of our own, as a user writes it: a two-layer conv critic and generator."""
from torch import nn

from suite.models import ArchFamily, Critic, Generator, Param


def build_generator(layers, data_shape, latent_dim, width):
    channels, size = data_shape[0], data_shape[1]
    return Generator(layers.linear(latent_dim, width * (size // 2) ** 2), nn.Unflatten(1, (width, size // 2, size // 2)),
                     layers.norm2d(width), nn.ReLU(), layers.conv_transpose(width, channels), nn.Tanh(),
                     latent_dim=latent_dim, data_shape=data_shape)


def build_critic(layers, data_shape, width):
    channels, size = data_shape[0], data_shape[1]
    return Critic(layers.conv(channels, width, 4, 2), nn.LeakyReLU(0.2), nn.Flatten(),
                  layers.linear(width * (size // 2) ** 2, 1), data_shape=data_shape)


TwoLayerNets = ArchFamily("two-layer", "one deconv generator, one conv critic", build_generator, build_critic,
                          {"width": Param(8, 1, "channels of the hidden feature map")})
