"""The 1-d conv ResNets of WGAN-GP section 5.5: shapes, the softmax output, the block structure and the penalty
on one-hot data."""

import pytest
import torch
from torch import nn

from suite.methods import critic_loss, gradient_penalty, resolve_method
from suite.methods.spectral_norm import is_spectral_normed
from suite.models import build_models, count_main_path_layers
from suite.models.layers import Residual
from suite.models.text_resnet import RESIDUAL_SCALE
from suite.errors import ConfigError

SHAPE = (16, 32)  # vocabulary, length
ARCH = {"family": "text-resnet", "width": 8}


def nets(**method):
    return build_models(ARCH, resolve_method({"preset": "wgan-gp", "g_norm": "none", **method}), SHAPE, latent_dim=12)


def one_hot(n: int) -> torch.Tensor:
    codes = torch.randint(0, SHAPE[0], (n, SHAPE[1]), generator=torch.Generator().manual_seed(0))
    return nn.functional.one_hot(codes, SHAPE[0]).permute(0, 2, 1).float()


def test_the_generator_gives_a_distribution_over_the_vocabulary_at_every_position():
    generator, critic = nets()
    fake = generator(torch.randn(5, 12))
    assert tuple(fake.shape) == (5, *SHAPE)
    assert torch.allclose(fake.sum(dim=1), torch.ones(5, SHAPE[1]), atol=1e-5)
    assert (fake >= 0).all()
    assert tuple(critic(fake).shape) == (5,) and tuple(critic(one_hot(5)).shape) == (5,)


def test_five_blocks_of_two_kernel_5_convs_scaled_by_0_3():
    generator, critic = nets()
    for net in (generator, critic):
        blocks = [m for m in net.modules() if isinstance(m, Residual)]
        assert len(blocks) == 5 and all(block.scale == RESIDUAL_SCALE == 0.3 for block in blocks)
        convs = [m for block in blocks for m in block.modules() if isinstance(m, nn.Conv1d)]
        assert [conv.kernel_size for conv in convs] == [(5,)] * 10
    # main path: G = linear + 10 convs + 1x1 conv; D = 1x1 conv + 10 convs + linear
    assert count_main_path_layers(generator) == count_main_path_layers(critic) == 12


def test_the_penalty_runs_on_one_hot_reals_and_softmax_fakes_and_reaches_the_critic():
    generator, critic = nets()
    real, fake = one_hot(6), generator(torch.randn(6, 12)).detach()
    loss = critic_loss("wasserstein", critic(real), critic(fake)) + gradient_penalty(critic, real, fake, 10.0)
    loss.backward()
    assert torch.isfinite(loss)
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in critic.parameters())


def test_spectral_norm_and_layer_norm_wrap_the_1d_convs():
    _, critic = nets(d_norm="sn")
    convs = [m for m in critic.modules() if isinstance(m, nn.Conv1d)]
    assert len(convs) == 11 and all(is_spectral_normed(conv) for conv in convs)
    _, critic = nets(d_norm="ln")
    assert any(isinstance(m, nn.GroupNorm) for m in critic.modules())
    assert tuple(critic(one_hot(3)).shape) == (3,)


def test_images_are_refused_with_one_line():
    with pytest.raises(ConfigError, match="one-hot sequences of shape"):
        build_models(ARCH, resolve_method("wgan-gp"), (1, 32, 32))
