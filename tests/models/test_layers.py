"""Where the method's normalization, spectral norm and attention land in each family."""
import pytest
import torch
from torch import nn

from tests.models.helpers import IMAGE_FAMILIES, TINY_ARCHS, data_shape_for, make_spec
from suite.errors import ConfigError
from suite.methods import SelfAttention, is_spectral_normed
from suite.models import build_models, count_weight_layers
from suite.models.layers import WEIGHT_LAYER_TYPES, Residual

ATTENTION_SIZES = {  # (critic sizes, generator sizes) each family offers
    "dcgan": ((32, 16, 8, 4), (4, 8, 16, 32)),
    "resnet": ((16, 8), (4, 8, 16, 32)),
    "resnet-deep": ((32, 16, 8, 4), (4, 8, 16, 32)),
}


def weight_layers(model):
    return [m for m in model.modules() if isinstance(m, WEIGHT_LAYER_TYPES)]


def modules_of(model, *types):
    return [m for m in model.modules() if isinstance(m, types)]


def attention_input_sizes(model, x):
    """Spatial sizes of the feature maps each SelfAttention receives in one forward."""
    sizes = []
    handles = [m.register_forward_pre_hook(lambda mod, inp: sizes.append(tuple(inp[0].shape[1:])))
               for m in modules_of(model, SelfAttention)]
    model(x)
    for handle in handles:
        handle.remove()
    return sizes


@pytest.mark.parametrize("family", IMAGE_FAMILIES)
def test_attention_is_inserted_once_at_the_requested_size(family):
    critic_sizes, generator_sizes = ATTENTION_SIZES[family]
    for size in critic_sizes:
        _, critic = build_models(TINY_ARCHS[family], make_spec(d_attention=size), (3, 32, 32), 16)
        seen = attention_input_sizes(critic, torch.randn(2, 3, 32, 32))
        assert len(seen) == 1 and seen[0][1:] == (size, size), (size, seen)
    for size in generator_sizes:
        generator, _ = build_models(TINY_ARCHS[family], make_spec(g_attention=size), (3, 32, 32), 16)
        seen = attention_input_sizes(generator, torch.randn(2, 16))
        assert len(seen) == 1 and seen[0][1:] == (size, size), (size, seen)
    generator, critic = build_models(TINY_ARCHS[family], make_spec(), (3, 32, 32), 16)
    assert not modules_of(generator, SelfAttention) and not modules_of(critic, SelfAttention)


@pytest.mark.parametrize("family", IMAGE_FAMILIES)
def test_attention_at_a_missing_size_lists_the_sizes(family):
    critic_sizes, generator_sizes = ATTENTION_SIZES[family]
    listed = ", ".join(map(str, critic_sizes))
    with pytest.raises(ConfigError, match=f"d_attention=2 .* allowed: {listed}"):
        build_models(TINY_ARCHS[family], make_spec(d_attention=2), (3, 32, 32))
    listed = ", ".join(map(str, generator_sizes))
    with pytest.raises(ConfigError, match=f"g_attention=64 .* allowed: {listed}"):
        build_models(TINY_ARCHS[family], make_spec(g_attention=64), (3, 32, 32))


def test_attention_in_an_mlp_is_a_config_error():
    with pytest.raises(ConfigError, match="d_attention=8: the mlp critic has no feature maps"):
        build_models(TINY_ARCHS["mlp"], make_spec(d_attention=8), (2,))
    with pytest.raises(ConfigError, match="g_attention=8: the mlp generator"):
        build_models(TINY_ARCHS["mlp"], make_spec(g_attention=8), (2,))


@pytest.mark.parametrize("family", list(TINY_ARCHS))
def test_sn_wraps_every_critic_weight_layer_and_nothing_in_a_bn_generator(family):
    attention = {"d_attention": 8, "g_attention": 8} if family != "mlp" else {}
    shape = data_shape_for(family)
    generator, critic = build_models(TINY_ARCHS[family], make_spec("sn", "bn", **attention), shape, 16)
    layers = weight_layers(critic)
    # resnet-deep: 14 on the main path + 3 down-shortcut convs; + 3 attention convs
    expected = {"dcgan": 8, "resnet": 11, "resnet-deep": 17, "mlp": 4}[family] + (3 if attention else 0)
    assert len(layers) == expected
    assert all(is_spectral_normed(m) for m in layers)
    assert not modules_of(critic, nn.BatchNorm2d, nn.BatchNorm1d, nn.GroupNorm, nn.LayerNorm)
    assert not any(is_spectral_normed(m) for m in weight_layers(generator))
    assert modules_of(generator, nn.BatchNorm2d, nn.BatchNorm1d)


@pytest.mark.parametrize("family", list(TINY_ARCHS))
def test_sn_plus_bn_generator_has_both(family):
    attention = {"g_attention": 16} if family != "mlp" else {}
    generator, critic = build_models(TINY_ARCHS[family], make_spec("none", "sn+bn", **attention),
                                     data_shape_for(family), 16)
    assert all(is_spectral_normed(m) for m in weight_layers(generator))
    assert modules_of(generator, nn.BatchNorm2d, nn.BatchNorm1d)
    assert not any(is_spectral_normed(m) for m in weight_layers(critic))
    assert not modules_of(critic, nn.BatchNorm2d, nn.BatchNorm1d, nn.GroupNorm, nn.LayerNorm)


@pytest.mark.parametrize("family", list(TINY_ARCHS))
def test_generator_without_norm_has_no_norm_layers(family):
    generator, _ = build_models(TINY_ARCHS[family], make_spec("none", "none"), data_shape_for(family), 16)
    assert not modules_of(generator, nn.BatchNorm2d, nn.BatchNorm1d, nn.GroupNorm, nn.LayerNorm)
    assert not any(is_spectral_normed(m) for m in weight_layers(generator))


@pytest.mark.parametrize("family", list(TINY_ARCHS))
def test_ln_critic_is_per_example_and_bn_critic_is_not(family):
    torch.manual_seed(3)
    shape = data_shape_for(family)
    batch = torch.randn(4, *shape)
    other = batch.clone()
    other[1:] = torch.randn(3, *shape) * 5 + 2  # change every example but the first
    _, ln_critic = build_models(TINY_ARCHS[family], make_spec("ln"), shape, 16)
    ln_norms = modules_of(ln_critic, nn.GroupNorm, nn.LayerNorm)
    assert ln_norms and not modules_of(ln_critic, nn.BatchNorm2d, nn.BatchNorm1d)
    assert all(m.num_groups == 1 for m in ln_norms if isinstance(m, nn.GroupNorm))
    with torch.no_grad():
        assert torch.allclose(ln_critic(batch)[0], ln_critic(other)[0], atol=1e-6)
    _, bn_critic = build_models(TINY_ARCHS[family], make_spec("bn"), shape, 16)
    with torch.no_grad():  # train mode: batch statistics couple the examples
        assert not torch.allclose(bn_critic(batch)[0], bn_critic(other)[0], atol=1e-3)


def test_ln_normalizes_over_channels_height_and_width():
    _, critic = build_models(TINY_ARCHS["dcgan"], make_spec("ln"), (1, 32, 32), 16)
    norm = modules_of(critic, nn.GroupNorm)[0]
    x = torch.randn(2, norm.num_channels, 16, 16) * 3 + 5
    y = norm(x)  # affine starts at identity
    assert torch.allclose(y.mean(dim=(1, 2, 3)), torch.zeros(2), atol=1e-5)
    assert torch.allclose(y.var(dim=(1, 2, 3), unbiased=False), torch.ones(2), atol=1e-3)


def test_count_weight_layers_counts_conv_deconv_and_linear():
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ConvTranspose2d(2, 2, 4), nn.BatchNorm2d(2),
                          nn.Flatten(), nn.Linear(8, 1), SelfAttention(8))
    assert count_weight_layers(model) == 3 + 3  # attention holds three 1x1 convs


def test_residual_scales_the_branch_only():
    branch, shortcut = nn.Linear(3, 3), nn.Linear(3, 3)
    block = Residual(branch, shortcut, scale=0.3)
    x = torch.randn(5, 3)
    assert torch.allclose(block(x), shortcut(x) + 0.3 * branch(x))
    assert torch.allclose(Residual(branch)(x), x + branch(x))


# Weight norm, the multiplier SN-GAN removes, and the orthonormal initialization.

def _critic(preset: str, **overrides):
    import dataclasses

    from suite.methods import PRESETS

    spec = dataclasses.replace(PRESETS[preset], **overrides)
    return build_models({"family": "dcgan", "width": 2}, spec, (1, 32, 32))[1]


@pytest.mark.parametrize("affine", [True, False])
def test_weight_norm_reparametrizes_every_critic_weight(affine):
    critic = _critic("gan-wn", d_norm_affine=affine)
    layers = weight_layers(critic)
    assert layers and all(nn.utils.parametrize.is_parametrized(layer, "weight") for layer in layers)
    for layer in layers:
        weight = layer.weight.detach().flatten(1)
        g = layer.parametrizations.weight.original0.detach().flatten()
        v = layer.parametrizations.weight.original1.detach().flatten(1)
        assert torch.allclose(weight, g[:, None] * v / v.norm(dim=1, keepdim=True), atol=1e-6)
        names = {name for name, _ in layer.named_parameters()}
        assert ("parametrizations.weight.original0" in names) == affine
    if not affine:  # w = v / ||v||: every output channel's weight has norm 1, and g stays in the state
        assert all(torch.allclose(layer.weight.flatten(1).norm(dim=1), torch.ones(1), atol=1e-6) for layer in layers)
        assert all("parametrizations.weight.original0" in layer.state_dict() for layer in layers)


def test_weight_norm_gradient_is_orthogonal_to_v():
    """d loss / d v = (g/||v||) (I - v v^T/||v||^2) d loss / d w: no component along v."""
    critic = _critic("gan-wn")
    critic(torch.randn(3, 1, 32, 32, generator=torch.Generator().manual_seed(0))).sum().backward()
    for layer in weight_layers(critic):
        v = layer.parametrizations.weight.original1
        along = (v.grad.flatten(1) * v.detach().flatten(1)).sum(dim=1) / v.detach().flatten(1).norm(dim=1)
        assert along.abs().max() < 1e-5 * max(v.grad.abs().max().item(), 1e-12)


@pytest.mark.parametrize("d_norm, norm_type", [("bn", nn.BatchNorm2d), ("ln", nn.GroupNorm)])
def test_affine_free_norms_keep_the_shift_and_fix_gamma_at_one(d_norm, norm_type):
    critic = _critic(f"gan-{d_norm}")
    norms = modules_of(critic, norm_type)
    assert norms
    for norm in norms:
        assert dict(norm.named_buffers())["weight"].eq(1).all()
        assert [name for name, _ in norm.named_parameters()] == ["bias"]
    norm = norms[0]
    with torch.no_grad():
        norm.bias.fill_(0.25)
    x = torch.randn(4, len(norm.bias), 5, 5, generator=torch.Generator().manual_seed(0))
    axes = (0, 2, 3) if d_norm == "bn" else (1, 2, 3)
    expected = (x - x.mean(axes, keepdim=True)) / torch.sqrt(x.var(axes, unbiased=False, keepdim=True) + 1e-5) + 0.25
    assert torch.allclose(norm(x), expected, atol=1e-5)


def test_the_orthonormal_regularizer_starts_from_orthonormal_weights():
    critic = _critic("gan-ortho")
    for layer in weight_layers(critic):
        matrix = layer.weight.detach().reshape(layer.weight.shape[0], -1)
        gram = matrix @ matrix.T if matrix.shape[0] <= matrix.shape[1] else matrix.T @ matrix
        assert torch.allclose(gram, torch.eye(len(gram)), atol=1e-5)
    plain = weight_layers(_critic("gan-wc"))[1].weight.detach().flatten(1)
    assert not torch.allclose(plain @ plain.T, torch.eye(len(plain)), atol=1e-2)
