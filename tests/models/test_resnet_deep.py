"""The deep bottleneck ResNet: depth counts weight layers exactly; impossible depths are named."""
import pytest
import torch
from torch import nn

from tests.models.helpers import make_spec
from suite.errors import ConfigError
from suite.models import build_models
from suite.models.layers import WEIGHT_LAYER_TYPES, Residual
from suite.models.resnet_deep import RESIDUAL_SCALE, stage_lengths


def count(model, *types):
    return sum(isinstance(m, types) for m in model.modules())


def test_depth_101_gives_exactly_101_weight_layers_in_both_nets():
    arch = {"family": "resnet-deep", "width": 4, "depth": 101}
    generator, critic = build_models(arch, make_spec("sn", "sn+bn"), (3, 32, 32), 16)
    assert count(critic, nn.Conv2d, nn.Linear) == 101
    assert count(critic, *WEIGHT_LAYER_TYPES) == 101
    assert count(generator, *WEIGHT_LAYER_TYPES) == 101
    blocks = [m for m in critic.modules() if isinstance(m, Residual)]
    assert len(blocks) == 32 and all(b.scale == RESIDUAL_SCALE == 0.3 for b in blocks)
    with torch.no_grad():
        fake = generator(torch.randn(2, 16))
        assert fake.shape == (2, 3, 32, 32) and critic(fake).shape == (2,)


def test_feature_maps_go_32_16_8_4_in_the_critic_and_back_in_the_generator():
    arch = {"family": "resnet-deep", "width": 4, "depth": 23}  # one plain block per stage
    generator, critic = build_models(arch, make_spec(), (1, 32, 32), 16)
    sizes = []
    hooks = [block.register_forward_hook(lambda m, i, out: sizes.append(out.shape[1:]))
             for block in critic if isinstance(block, Residual)]
    critic(torch.randn(2, 1, 32, 32))
    assert [tuple(s) for s in sizes] == [(4, 32, 32), (8, 16, 16), (8, 16, 16), (16, 8, 8),
                                          (16, 8, 8), (32, 4, 4)]
    for hook in hooks:
        hook.remove()
    sizes.clear()
    for block in generator:
        if isinstance(block, Residual):
            block.register_forward_hook(lambda m, i, out: sizes.append(out.shape[1:]))
    generator(torch.randn(2, 16))
    assert [tuple(s) for s in sizes] == [(16, 8, 8), (16, 8, 8), (8, 16, 16), (8, 16, 16),
                                          (4, 32, 32), (4, 32, 32)]


@pytest.mark.parametrize("depth", [14, 17, 20, 50, 101])
def test_every_valid_depth_is_exact(depth):
    generator, critic = build_models({"family": "resnet-deep", "width": 2, "depth": depth},
                                     make_spec(), (1, 32, 32), 8)
    assert count(critic, *WEIGHT_LAYER_TYPES) == depth
    assert count(generator, *WEIGHT_LAYER_TYPES) == depth


def test_g_depth_sets_the_generator_alone():
    generator, critic = build_models({"family": "resnet-deep", "width": 2, "depth": 101, "g_depth": 14},
                                     make_spec(), (1, 32, 32), 8)
    assert count(critic, *WEIGHT_LAYER_TYPES) == 101
    assert count(generator, *WEIGHT_LAYER_TYPES) == 14


@pytest.mark.parametrize("depth,nearest", [(100, "98, 101"), (102, "101, 104"), (15, "14, 17"),
                                           (15, "14, 17"), (13, "14")])
def test_impossible_depth_names_the_nearest_valid_ones(depth, nearest):
    arch = {"family": "resnet-deep", "width": 4, "depth": depth}
    if depth < 14:  # below the minimum the registry's range check answers first
        with pytest.raises(ConfigError, match=f"depth={depth} is invalid; it must be an int >= 14"):
            build_models(arch, make_spec(), (1, 32, 32))
        return
    with pytest.raises(ConfigError, match=f"depth={depth} is impossible.*nearest valid: {nearest}$"):
        build_models(arch, make_spec(), (1, 32, 32))


def test_impossible_g_depth_is_named_as_g_depth():
    with pytest.raises(ConfigError, match="g_depth=16 is impossible"):
        build_models({"family": "resnet-deep", "width": 4, "depth": 14, "g_depth": 16},
                     make_spec(), (1, 32, 32))


def test_stage_lengths_put_extra_blocks_on_small_maps():
    assert stage_lengths(29, low_resolution_last=True) == [9, 10, 10]
    assert stage_lengths(29, low_resolution_last=False) == [10, 10, 9]
    assert stage_lengths(0, low_resolution_last=True) == [0, 0, 0]
