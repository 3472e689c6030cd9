"""The 1-d convolutional ResNets of WGAN-GP's character-level language model (Gulrajani et al. 2017, "Improved
Training of Wasserstein GANs", section 5.5; the authors' gan_language.py: ResBlock, Generator, Discriminator).

Values taken from gan_language.py:
- a residual block is ReLU, conv (kernel 5), ReLU, conv (kernel 5), and returns inputs + 0.3 * branch;
- 5 residual blocks in each net, DIM = 512 channels in every block (`width` here, so CPU runs use a narrow net);
- generator: linear from the 128-d noise to SEQ_LEN * DIM, reshaped to [DIM, SEQ_LEN], the 5 blocks, a 1x1 conv
  to the vocabulary and a softmax over the vocabulary at each position (no sampling step: section 5.5 passes
  the softmax output to the critic);
- critic: a 1x1 conv from the one-hot vocabulary to DIM, the 5 blocks, a linear layer from SEQ_LEN * DIM to 1.
Neither net normalizes in gan_language.py; a method's d_norm / g_norm still place a norm after each conv of a
block here (none for the `wgan-gp` preset's critic), so the suite's methods keep their meaning.
"""
from torch import nn

from suite.errors import ConfigError
from suite.models.layers import Critic, Generator, Layers, Residual

RESIDUAL_SCALE = 0.3
KERNEL_SIZE = 5
BLOCKS = 5


def _check(data_shape: tuple[int, ...], family: str) -> tuple[int, int]:
    if len(data_shape) != 2:
        raise ConfigError(f"arch {family} needs one-hot sequences of shape (vocabulary, length), got {data_shape}; "
                          "use it with a text data set")
    return data_shape


def residual_block(layers: Layers, width: int) -> Residual:
    branch = nn.Sequential(nn.ReLU(), layers.conv1d(width, width, KERNEL_SIZE), layers.norm_sequence(width),
                           nn.ReLU(), layers.conv1d(width, width, KERNEL_SIZE), layers.norm_sequence(width))
    return Residual(branch, scale=RESIDUAL_SCALE)


class SoftmaxOverVocabulary(nn.Module):
    """Softmax over dim 1 of [N, vocabulary, length]: a distribution over characters at every position."""

    def forward(self, x):
        return x.softmax(dim=1)


def build_generator(layers: Layers, data_shape: tuple[int, ...], latent_dim: int, width: int,
                    blocks: int) -> Generator:
    layers.check_attention("text-resnet", ())
    vocabulary, length = _check(data_shape, "text-resnet")
    modules = [layers.linear(latent_dim, length * width), nn.Unflatten(1, (width, length)),
               *(residual_block(layers, width) for _ in range(blocks)),
               layers.conv1d(width, vocabulary, 1), SoftmaxOverVocabulary()]
    return Generator(*modules, latent_dim=latent_dim, data_shape=data_shape)


def build_critic(layers: Layers, data_shape: tuple[int, ...], width: int, blocks: int) -> Critic:
    layers.check_attention("text-resnet", ())
    vocabulary, length = _check(data_shape, "text-resnet")
    modules = [layers.conv1d(vocabulary, width, 1), *(residual_block(layers, width) for _ in range(blocks)),
               nn.Flatten(), layers.linear(length * width, 1)]
    return Critic(*modules, data_shape=data_shape)
