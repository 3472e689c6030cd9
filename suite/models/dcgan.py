"""SN-GAN "standard CNN" (Miyato et al. 2018, appendix B.4, Table 3) for 32x32 images.

Base width w (paper: 64): the critic's convs have w, w, 2w, 2w, 4w, 4w, 8w channels,
so the widest layer is 8w.
"""
from torch import nn

from suite.models.layers import Critic, Generator, Layers

# (out-channel multiple of w, kernel, stride) of the critic's convs, input side first.
CRITIC_CONVS = ((1, 3, 1), (1, 4, 2), (2, 3, 1), (2, 4, 2), (4, 3, 1), (4, 4, 2), (8, 3, 1))
CRITIC_ATTENTION_SIZES = (32, 16, 8, 4)
GENERATOR_ATTENTION_SIZES = (4, 8, 16, 32)
LEAKY_SLOPE = 0.1


def build_critic(layers: Layers, data_shape: tuple[int, ...], width: int) -> Critic:
    """conv3x3 / conv4x4-s2 pairs with leaky ReLU 0.1, then linear 4*4*8w -> 1.

    The norm (if any) follows every conv but the first; attention, if asked, follows
    the first conv whose output has the requested size.
    """
    layers.check_attention("dcgan", CRITIC_ATTENTION_SIZES)
    channels, size = data_shape[0], data_shape[1]
    modules: list[nn.Module] = []
    for index, (multiple, kernel, stride) in enumerate(CRITIC_CONVS):
        out_channels = multiple * width
        modules.append(layers.conv(channels, out_channels, kernel, stride))
        if index > 0:
            modules.append(layers.norm2d(out_channels))
        modules.append(nn.LeakyReLU(LEAKY_SLOPE))
        resized = stride > 1 or index == 0
        channels, size = out_channels, size // stride
        if resized:
            modules += layers.attention_at(size, channels)
    modules += [nn.Flatten(), layers.linear(channels * size * size, 1)]
    return Critic(*modules, data_shape=data_shape)


def build_generator(layers: Layers, data_shape: tuple[int, ...], latent_dim: int,
                    width: int) -> Generator:
    """linear z -> 4x4x8w, three 4x4-s2 deconvs (4w, 2w, w), conv3x3 -> C, tanh."""
    layers.check_attention("dcgan", GENERATOR_ATTENTION_SIZES)
    channels, size = 8 * width, 4
    modules: list[nn.Module] = [
        layers.linear(latent_dim, channels * size * size),
        nn.Unflatten(1, (channels, size, size)),
        layers.norm2d(channels),
        nn.ReLU(),
    ]
    modules += layers.attention_at(size, channels)
    for out_channels in (4 * width, 2 * width, width):
        modules += [layers.conv_transpose(channels, out_channels), layers.norm2d(out_channels),
                    nn.ReLU()]
        channels, size = out_channels, size * 2
        modules += layers.attention_at(size, channels)
    modules += [layers.conv(channels, data_shape[0], 3), nn.Tanh()]
    return Generator(*modules, latent_dim=latent_dim, data_shape=data_shape)
