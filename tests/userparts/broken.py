"""Parts that are wrong in one way each: the study must refuse them in one line when it loads."""
from suite.models import ArchFamily, Critic, Generator, Param
from torch import nn


class PerExampleLoss:
    """critic() returns one loss per example, not their mean."""

    @staticmethod
    def critic(d_real, d_fake):
        return d_fake - d_real

    @staticmethod
    def generator(d_fake):
        return -d_fake.mean()


def penalty_of_two(critic, real):
    return real.new_zeros(())


def constant_penalty(critic, real, fake):
    return real.new_zeros(())  # not differentiable in the critic: it would never act


def _generator(layers, data_shape, latent_dim, width):
    return Generator(layers.linear(latent_dim, 16), nn.Unflatten(1, (1, 4, 4)), latent_dim=latent_dim,
                     data_shape=data_shape)


def _critic(layers, data_shape, width):
    return Critic(nn.Flatten(), layers.linear(data_shape[0] * data_shape[1] * data_shape[2], 1), data_shape=data_shape)


WrongImageSize = ArchFamily("wrong", "G draws 4x4 images", _generator, _critic, {"width": Param(8, 1, "unused")})
not_a_family = {"build_generator": _generator}


class pooling_norm:
    """norm2d halves the feature map: not a norm."""

    @staticmethod
    def norm2d(channels):
        return nn.AvgPool2d(2, ceil_mode=True)

    @staticmethod
    def norm1d(features):
        return nn.Identity()
