"""A loss of our own, as a user writes it: a smooth (softplus) hinge for the critic, the mean score for G."""
import torch.nn.functional as F

from suite.methods import Loss


def _critic(d_real, d_fake):
    return F.softplus(1.0 - d_real).mean() + F.softplus(1.0 + d_fake).mean()


def _generator(d_fake):
    return -d_fake.mean()


smooth_hinge = Loss(critic=_critic, generator=_generator)
