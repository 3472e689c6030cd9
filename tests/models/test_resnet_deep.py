"""The deep bottleneck ResNet: `depth` is the main path's weight-layer count in both nets (as
WGAN-GP's gan_64x64.py counts its 101 layers), the residual branch is scaled by 0.3, and
impossible depths are refused with the allowed form."""
import pytest
import torch
from torch import nn

from tests.models.helpers import make_spec
from suite.errors import ConfigError
from suite.methods import SelfAttention
from suite.models import build_models, describe
from suite.models.layers import WEIGHT_LAYER_TYPES, Residual
from suite.models.resnet_deep import stage_lengths


def main_path_layers(model: nn.Module) -> list[str]:
    """Names of conv/linear modules not inside a residual shortcut or a self-attention block."""
    skipped = [name for name, m in model.named_modules()
               if isinstance(m, SelfAttention) or name.endswith(".shortcut")]
    return [name for name, m in model.named_modules() if isinstance(m, WEIGHT_LAYER_TYPES)
            and not any(name == prefix or name.startswith(prefix + ".") for prefix in skipped)]


def residual_blocks(model):
    return [m for m in model.modules() if isinstance(m, Residual)]


@pytest.mark.parametrize("depth", [11, 14, 50, 101])
@pytest.mark.parametrize("d_norm,g_norm", [("ln", "bn"), ("sn", "sn+bn")])
def test_depth_is_the_main_path_layer_count_of_both_nets(depth, d_norm, g_norm):
    arch = {"family": "resnet-deep", "width": 2, "depth": depth}
    generator, critic = build_models(arch, make_spec(d_norm, g_norm), (1, 32, 32), 8)
    blocks = (depth - 2) // 3
    for net in (generator, critic):
        assert len(main_path_layers(net)) == depth
        assert len(residual_blocks(net)) == blocks
        # every block: exactly three convs on its branch
        assert all(len(main_path_layers(b.branch)) == 3 for b in residual_blocks(net))
    # three down shortcuts (1x1 stride 2) in the critic, three up shortcuts in the generator
    assert sum(isinstance(m, WEIGHT_LAYER_TYPES) for m in critic.modules()) == depth + 3
    assert sum(isinstance(m, WEIGHT_LAYER_TYPES) for m in generator.modules()) == depth + 3
    info = describe(arch, make_spec(d_norm, g_norm), (1, 32, 32), 8)
    assert info["d_main_path_layers"] == info["g_main_path_layers"] == depth


def test_101_layers_are_33_bottleneck_blocks_plus_input_and_output():
    arch = {"family": "resnet-deep", "width": 4, "depth": 101}
    generator, critic = build_models(arch, make_spec("ln", "bn"), (3, 32, 32), 16)
    for net in (generator, critic):
        assert len(residual_blocks(net)) == 33
        names = main_path_layers(net)
        assert len(names) == 1 + 33 * 3 + 1 == 101
    assert isinstance(critic[0], nn.Conv2d) and critic[0].kernel_size == (1, 1)  # input layer
    assert isinstance(generator[0], nn.Linear)
    with torch.no_grad():
        fake = generator(torch.randn(2, 16))
        assert fake.shape == (2, 3, 32, 32) and critic(fake).shape == (2,)


def test_attention_is_not_counted_on_the_main_path():
    spec = make_spec("sn", "sn+bn", d_attention=16, g_attention=16)
    generator, critic = build_models({"family": "resnet-deep", "width": 4, "depth": 50}, spec,
                                     (1, 32, 32), 8)
    assert len(main_path_layers(critic)) == len(main_path_layers(generator)) == 50
    assert sum(isinstance(m, SelfAttention) for m in critic.modules()) == 1


@pytest.mark.parametrize("d_norm,g_norm", [("ln", "bn"), ("none", "none")])
def test_block_output_is_shortcut_plus_0_3_branch(d_norm, g_norm):
    torch.manual_seed(0)
    generator, critic = build_models({"family": "resnet-deep", "width": 4, "depth": 14},
                                     make_spec(d_norm, g_norm), (1, 32, 32), 8)
    generator.eval()  # batch norm on running statistics: the branch is a fixed function
    for net in (critic, generator):
        down_or_up = [b for b in residual_blocks(net) if not isinstance(b.shortcut, nn.Identity)]
        plain = [b for b in residual_blocks(net) if isinstance(b.shortcut, nn.Identity)]
        assert len(down_or_up) == 3 and len(plain) == 1
        for block in (down_or_up[0], plain[0]):
            x = torch.randn(2, block.branch[1].in_channels, 8, 8)
            with torch.no_grad():
                assert torch.allclose(block(x), block.shortcut(x) + 0.3 * block.branch(x), atol=1e-6)
                # zeroing the branch's last conv zeroes the branch (the norm's shift starts at 0):
                # the block becomes its shortcut, the identity for a plain block
                block.branch[5].weight.zero_()
                assert torch.allclose(block(x), block.shortcut(x), atol=1e-6)
        x = torch.randn(2, plain[0].branch[1].in_channels, 4, 4)
        with torch.no_grad():
            assert torch.equal(plain[0](x), x)


def test_layer_norm_critic_and_batch_norm_generator():
    generator, critic = build_models({"family": "resnet-deep", "width": 4, "depth": 101},
                                     make_spec("ln", "bn"), (1, 32, 32), 8)
    norms = [b.branch[-1] for b in residual_blocks(critic)]
    assert len(norms) == 33
    assert all(isinstance(n, nn.GroupNorm) and n.num_groups == 1 for n in norms)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in critic.modules())
    assert all(isinstance(b.branch[-1], nn.BatchNorm2d) for b in residual_blocks(generator))


def test_feature_maps_go_32_16_8_4_in_the_critic_and_back_in_the_generator():
    arch = {"family": "resnet-deep", "width": 4, "depth": 26}  # 8 blocks: 3 resampling, 5 plain
    generator, critic = build_models(arch, make_spec(), (1, 32, 32), 16)
    sizes = []
    for block in residual_blocks(critic) + residual_blocks(generator):
        block.register_forward_hook(lambda m, i, out: sizes.append(tuple(out.shape[1:])))
    critic(torch.randn(2, 1, 32, 32))
    # plain blocks [1, 1, 1, 2] at 32, 16, 8, 4 (the extra one on the smallest map)
    assert sizes == [(4, 32, 32), (8, 16, 16), (8, 16, 16), (16, 8, 8), (16, 8, 8), (32, 4, 4),
                     (32, 4, 4), (32, 4, 4)]
    sizes.clear()
    generator(torch.randn(2, 16))
    assert sizes == [(32, 4, 4), (32, 4, 4), (16, 8, 8), (16, 8, 8), (8, 16, 16), (8, 16, 16),
                     (4, 32, 32), (4, 32, 32)]


def test_g_depth_and_per_net_widths_set_the_nets_apart():
    arch = {"family": "resnet-deep", "width": 2, "depth": 101, "g_depth": 14, "g_width": 6}
    generator, critic = build_models(arch, make_spec(), (1, 32, 32), 8)
    assert len(main_path_layers(critic)) == 101 and len(main_path_layers(generator)) == 14
    assert generator[0].out_features == 8 * 6 * 4 * 4 and critic[0].out_channels == 2


@pytest.mark.parametrize("depth,nearest", [(100, "98, 101"), (102, "101, 104"), (12, "11, 14"),
                                           (15, "14, 17")])
def test_impossible_depth_names_the_allowed_form(depth, nearest):
    arch = {"family": "resnet-deep", "width": 4, "depth": depth}
    with pytest.raises(ConfigError, match=rf"depth={depth} is impossible.*must be 3k \+ 2 .*"
                                          rf"nearest valid: {nearest}$"):
        build_models(arch, make_spec(), (1, 32, 32))


def test_depth_below_the_minimum_and_bad_g_depth_are_named():
    with pytest.raises(ConfigError, match="depth=10 is invalid; it must be an int >= 11"):
        build_models({"family": "resnet-deep", "width": 4, "depth": 10}, make_spec(), (1, 32, 32))
    with pytest.raises(ConfigError, match="g_depth=16 is impossible"):
        build_models({"family": "resnet-deep", "width": 4, "depth": 14, "g_depth": 16},
                     make_spec(), (1, 32, 32))
    with pytest.raises(ConfigError, match="d_width=5 must be even"):
        build_models({"family": "resnet-deep", "width": 4, "d_width": 5}, make_spec(), (1, 32, 32))


def test_stage_lengths_put_extra_blocks_on_small_maps():
    assert stage_lengths(30, low_resolution_last=True) == [7, 7, 8, 8]
    assert stage_lengths(30, low_resolution_last=False) == [8, 8, 7, 7]
    assert stage_lengths(0, low_resolution_last=True) == [0, 0, 0, 0]
