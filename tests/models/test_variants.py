"""WGAN-GP Fig. 2 variants at 32x32: each variant's defining property, counted on the built nets."""
import pytest
import torch
from torch import nn

from tests.models.helpers import make_spec
from suite.methods import resolve_method
from suite.models import ARCHS, build_models, describe
from suite.models.layers import count_weight_layers
from suite.models.variants import GatedUnit

VARIANTS = ("wgangp-dcgan", "wgangp-g-constant", "wgangp-g-mlp", "wgangp-no-norm", "wgangp-gated",
            "wgangp-tanh")
NORM_TYPES = (nn.BatchNorm2d, nn.BatchNorm1d, nn.GroupNorm, nn.LayerNorm)
WIDTH = 4


def build(family, spec=None, channels=3, **arch):
    torch.manual_seed(0)
    return build_models({"family": family, "width": WIDTH, **arch}, spec or make_spec("bn", "bn"),
                        (channels, 32, 32), latent_dim=16)


def of_type(model, types):
    return [m for m in model.modules() if isinstance(m, types)]


def test_every_variant_is_registered_and_runs_forward_for_every_method():
    assert set(VARIANTS) <= set(ARCHS)
    for preset in ("wgan-gp", "wgan-gp-ln", "dcgan-bn", "wgan-wc", "sngan"):
        for family in VARIANTS:
            generator, critic = build(family, resolve_method({"preset": preset}), channels=1)
            images = generator(torch.randn(3, 16))
            assert images.shape == (3, 1, 32, 32) and images.abs().max() <= 1.0
            assert critic(images).shape == (3,)


def test_baseline_is_the_authors_32x32_dcgan():
    # gan_cifar.py: G linear 16 -> 4*4*4d, deconvs 4d->2d->d->3 (5x5); D convs 3->d->2d->4d (5x5, stride 2),
    # linear 4*4*4d -> 1. Parameter counts by hand, d = 4, with batch norm (2 parameters per channel).
    d, z = WIDTH, 16
    generator, critic = build("wgangp-dcgan")
    g_expected = ((z + 1) * 16 * 4 * d + 2 * 4 * d
                  + 25 * 4 * d * 2 * d + 2 * d + 2 * 2 * d
                  + 25 * 2 * d * d + d + 2 * d
                  + 25 * d * 3 + 3)
    d_expected = (25 * 3 * d + d
                  + 25 * d * 2 * d + 2 * d + 2 * 2 * d
                  + 25 * 2 * d * 4 * d + 4 * d + 2 * 4 * d
                  + 16 * 4 * d + 1)
    assert sum(p.numel() for p in generator.parameters()) == g_expected
    assert sum(p.numel() for p in critic.parameters()) == d_expected
    assert count_weight_layers(generator) == 4 and count_weight_layers(critic) == 4
    assert {m.kernel_size for m in of_type(critic, nn.Conv2d)} == {(5, 5)}
    assert [m.negative_slope for m in of_type(critic, nn.LeakyReLU)] == [0.2] * 3
    # the method's norms: bn in G after 3 layers, bn in D after 2 convs (none after the first)
    assert len(of_type(generator, nn.BatchNorm2d)) == 3 and len(of_type(critic, nn.BatchNorm2d)) == 2
    _, ln_critic = build("wgangp-dcgan", make_spec("ln", "bn"))
    assert len(of_type(ln_critic, nn.GroupNorm)) == 2 and not of_type(ln_critic, nn.BatchNorm2d)


def test_constant_generator_has_no_norm_and_d_filters_everywhere():
    generator, critic = build("wgangp-g-constant")
    assert not of_type(generator, NORM_TYPES)
    deconvs = of_type(generator, nn.ConvTranspose2d)
    assert [m.out_channels for m in deconvs] == [WIDTH, WIDTH, 3]
    assert of_type(generator, nn.Linear)[0].out_features == 16 * WIDTH
    assert len(of_type(critic, nn.BatchNorm2d)) == 2  # the DCGAN critic keeps the method's norm


def test_mlp_generator_is_four_relu_layers_of_512():
    generator, critic = build("wgangp-g-mlp")
    linears = of_type(generator, nn.Linear)
    assert [(m.in_features, m.out_features) for m in linears] == [
        (16, 512), (512, 512), (512, 512), (512, 512), (512, 3 * 32 * 32)]
    assert len(of_type(generator, nn.ReLU)) == 4 and not of_type(generator, NORM_TYPES)
    assert not of_type(generator, (nn.Conv2d, nn.ConvTranspose2d))
    assert count_weight_layers(critic) == 4


@pytest.mark.parametrize("d_norm,g_norm", [("bn", "bn"), ("ln", "bn"), ("sn", "sn+bn")])
def test_no_norm_variant_drops_every_feature_norm_whatever_the_method(d_norm, g_norm):
    generator, critic = build("wgangp-no-norm", make_spec(d_norm, g_norm))
    assert not of_type(generator, NORM_TYPES) and not of_type(critic, NORM_TYPES)
    if d_norm == "sn":  # spectral norm is the method's weight reparametrization: it stays
        assert all(hasattr(m, "weight_orig") for m in of_type(critic, (nn.Conv2d, nn.Linear)))


def test_gated_units_compute_sigmoid_times_tanh_and_double_the_channels():
    x = torch.tensor([[[[0.5]], [[2.0]], [[-1.0]], [[0.3]]]])  # channels a0, b0, a1, b1
    expected = torch.tensor([torch.sigmoid(torch.tensor(0.5)) * torch.tanh(torch.tensor(2.0)),
                             torch.sigmoid(torch.tensor(-1.0)) * torch.tanh(torch.tensor(0.3))])
    torch.testing.assert_close(GatedUnit()(x).flatten(), expected)
    generator, critic = build("wgangp-gated")
    assert len(of_type(generator, GatedUnit)) == 3 and len(of_type(critic, GatedUnit)) == 3
    assert not of_type(generator, (nn.ReLU, nn.LeakyReLU)) and not of_type(critic, (nn.ReLU, nn.LeakyReLU))
    assert [m.out_channels for m in of_type(critic, nn.Conv2d)] == [2 * WIDTH, 4 * WIDTH, 8 * WIDTH]
    assert [m.out_channels for m in of_type(generator, nn.ConvTranspose2d)] == [4 * WIDTH, 2 * WIDTH, 3]
    assert of_type(critic, nn.Linear)[0].in_features == 16 * 4 * WIDTH


def test_tanh_variant_has_tanh_everywhere():
    generator, critic = build("wgangp-tanh")
    assert len(of_type(critic, nn.Tanh)) == 3 and not of_type(critic, (nn.ReLU, nn.LeakyReLU))
    assert len(of_type(generator, nn.Tanh)) == 4  # three hidden and the output
    assert not of_type(generator, (nn.ReLU, nn.LeakyReLU))
    assert len(of_type(generator, nn.BatchNorm2d)) == 3  # the authors keep bn=True here


def test_describe_reports_the_variant_widths():
    info = describe({"family": "wgangp-dcgan", "g_width": 8, "d_width": 2}, make_spec(), (1, 32, 32))
    assert info["params"] == {"width": 64, "g_width": 8, "d_width": 2}
    assert info["g_weight_layers"] == info["d_weight_layers"] == 4
