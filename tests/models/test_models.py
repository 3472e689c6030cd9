"""Model registry, shapes of every family x norm, parameter counts, and a real training step."""
import itertools
from types import SimpleNamespace

import jsonschema
import pytest
import torch

from tests.models.helpers import IMAGE_FAMILIES, TINY_ARCHS, data_shape_for, make_spec
from suite.errors import ConfigError
from suite.models import ARCHS, arch_json_schema, build_models, describe, resolve_arch
from suite.models.layers import CRITIC_NORMS, GENERATOR_NORMS, Residual


def test_registry_has_the_papers_families_and_the_wgan_gp_variants():
    assert set(ARCHS) == {"dcgan", "resnet", "resnet-deep", "mlp", "wgangp-dcgan", "wgangp-g-constant",
                          "wgangp-g-mlp", "wgangp-no-norm", "wgangp-gated", "wgangp-tanh", "random", "text-resnet"}


@pytest.mark.parametrize("family", IMAGE_FAMILIES)
@pytest.mark.parametrize("channels", [1, 3])
def test_image_shapes_for_every_norm(family, channels):
    torch.manual_seed(0)
    shape = data_shape_for(family, channels)
    for d_norm, g_norm in itertools.product(CRITIC_NORMS, GENERATOR_NORMS):
        generator, critic = build_models(TINY_ARCHS[family], make_spec(d_norm, g_norm), shape,
                                         latent_dim=16)
        with torch.no_grad():
            fake = generator(torch.randn(2, 16))
            assert fake.shape == (2, *shape), (d_norm, g_norm)
            assert fake.abs().max() <= 1.0  # tanh output
            assert critic(fake).shape == (2,), (d_norm, g_norm)


def test_mlp_shapes_for_every_norm_on_toy_and_image_data():
    torch.manual_seed(0)
    for d_norm, g_norm in itertools.product(CRITIC_NORMS, GENERATOR_NORMS):
        generator, critic = build_models(TINY_ARCHS["mlp"], make_spec(d_norm, g_norm), (2,))
        points = generator(torch.randn(4, 128))
        assert points.shape == (4, 2) and critic(points).shape == (4,)
    # 2-d output is linear (unbounded): scaling the last layer scales the output past 1
    with torch.no_grad():
        generator[-2].weight.mul_(100.0)
    assert generator.eval()(torch.randn(64, 128)).abs().max() > 1.0
    generator, critic = build_models(TINY_ARCHS["mlp"], make_spec(), (1, 32, 32))
    images = generator(torch.randn(4, 128))
    assert images.shape == (4, 1, 32, 32) and images.abs().max() <= 1.0
    assert critic(images).shape == (4,)


def test_generator_and_critic_record_their_shapes():
    generator, critic = build_models({"family": "dcgan", "width": 2}, make_spec(), (1, 32, 32), 64)
    assert generator.latent_dim == 64 and generator.data_shape == (1, 32, 32)
    assert critic.data_shape == (1, 32, 32)


def test_describe_counts_dcgan_parameters_by_hand():
    w, c, z = 4, 1, 128

    def conv(k, cin, cout):
        return k * k * cin * cout + cout

    def bn(ch):
        return 2 * ch

    critic = (conv(3, c, w)
              + conv(4, w, w) + bn(w) + conv(3, w, 2 * w) + bn(2 * w)
              + conv(4, 2 * w, 2 * w) + bn(2 * w) + conv(3, 2 * w, 4 * w) + bn(4 * w)
              + conv(4, 4 * w, 4 * w) + bn(4 * w) + conv(3, 4 * w, 8 * w) + bn(8 * w)
              + (4 * 4 * 8 * w + 1))
    generator = (z * 4 * 4 * 8 * w + 4 * 4 * 8 * w + bn(8 * w)
                 + conv(4, 8 * w, 4 * w) + bn(4 * w) + conv(4, 4 * w, 2 * w) + bn(2 * w)
                 + conv(4, 2 * w, w) + bn(w) + conv(3, w, c))
    info = describe({"family": "dcgan", "width": w}, make_spec("bn", "bn"), (c, 32, 32), z)
    assert (critic, generator) == (12229, 76985)  # the arithmetic above, evaluated
    assert info["d_parameters"] == critic
    assert info["g_parameters"] == generator
    assert info["d_weight_layers"] == 8 and info["g_weight_layers"] == 5
    # SN keeps the parameter count (weight_orig replaces weight); no BN in the critic
    info_sn = describe({"family": "dcgan", "width": w}, make_spec("sn", "bn"), (c, 32, 32), z)
    assert info_sn["d_parameters"] == critic - 2 * (w + 2 * w + 2 * w + 4 * w + 4 * w + 8 * w)


def test_describe_counts_resnet_layers():
    info = describe({"family": "resnet", "width": 8}, make_spec(), (3, 32, 32))
    # critic: 3 (optimized block incl. shortcut) + 3 (down block) + 2 + 2 + linear
    # generator: linear + 3 x (2 convs + shortcut) + output conv
    assert info["d_weight_layers"] == 11 and info["g_weight_layers"] == 11
    assert info["params"] == {"width": 8, "g_width": None, "d_width": None}


def test_unknown_family_lists_the_allowed_ones():
    with pytest.raises(ConfigError, match="dcgan, resnet, resnet-deep, mlp"):
        build_models({"family": "vgg", "width": 8}, make_spec(), (1, 32, 32))
    with pytest.raises(ConfigError, match="family"):
        build_models({"width": 8}, make_spec(), (1, 32, 32))


def test_unknown_or_invalid_key_is_named():
    with pytest.raises(ConfigError, match=r"depth unknown for family dcgan; allowed: family, width"):
        build_models({"family": "dcgan", "width": 8, "depth": 3}, make_spec(), (1, 32, 32))
    with pytest.raises(ConfigError, match=r"width=0 is invalid; it must be an int >= 1"):
        build_models({"family": "resnet", "width": 0}, make_spec(), (1, 32, 32))
    with pytest.raises(ConfigError, match=r"width=True is invalid"):
        build_models({"family": "mlp", "width": True}, make_spec(), (2,))
    with pytest.raises(ConfigError, match=r"width=7 must be even"):
        build_models({"family": "resnet-deep", "width": 7, "depth": 14}, make_spec(), (1, 32, 32))


def test_bad_norms_and_shapes_are_config_errors():
    # a spec object with invalid norms, as a hand-written config mapping could produce
    bad_d = SimpleNamespace(d_norm="in", g_norm="bn", d_attention=None, g_attention=None,
                            power_iterations=1)
    with pytest.raises(ConfigError, match="d_norm='in' is unknown; allowed: none, bn, ln, sn, wn"):
        build_models(TINY_ARCHS["dcgan"], bad_d, (1, 32, 32))
    bad_g = SimpleNamespace(d_norm="sn", g_norm="ln", d_attention=None, g_attention=None,
                            power_iterations=1, d_norm_affine=True, constraint="none", attention_block="attention")
    with pytest.raises(ConfigError, match=r"g_norm='ln' is unknown; allowed: bn, sn\+bn, none"):
        build_models(TINY_ARCHS["dcgan"], bad_g, (1, 32, 32))
    with pytest.raises(ConfigError, match=r"needs images of shape \(C, 32, 32\)"):
        build_models(TINY_ARCHS["resnet"], make_spec(), (1, 28, 28))
    with pytest.raises(ConfigError, match="needs images"):
        build_models(TINY_ARCHS["dcgan"], make_spec(), (2,))
    with pytest.raises(ConfigError, match="latent_dim must be a positive int"):
        build_models(TINY_ARCHS["mlp"], make_spec(), (2,), latent_dim=0)


def test_resolve_arch_fills_defaults():
    family, params = resolve_arch({"family": "mlp", "depth": 12})
    assert family.name == "mlp"
    assert params == {"width": 512, "depth": 12, "g_width": None, "g_depth": None}


def test_json_schema_accepts_valid_and_rejects_unknown_keys():
    schema = arch_json_schema()
    jsonschema.validate({"family": "resnet-deep", "width": 8, "depth": 101}, schema)
    jsonschema.validate({"family": "mlp", "width": 512, "depth": 12, "g_depth": None}, schema)
    for bad in ({"family": "dcgan", "depth": 3}, {"family": "vgg"}, {"family": "resnet", "width": 0}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(bad, schema)


def hinge_step(generator, critic, real, opt_g, opt_d):
    z = torch.randn(real.shape[0], generator.latent_dim)
    loss_d = (torch.relu(1 - critic(real)).mean()
              + torch.relu(1 + critic(generator(z).detach())).mean())
    opt_d.zero_grad()
    loss_d.backward()
    opt_d.step()
    loss_g = -critic(generator(z)).mean()
    opt_g.zero_grad()
    loss_g.backward()
    opt_g.step()
    return loss_d.item(), loss_g.item()


def gradient_penalty(critic, real, fake):
    eps = torch.rand(real.shape[0], *([1] * (real.dim() - 1)))
    x_hat = (eps * real + (1 - eps) * fake).requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)
    return ((grad.flatten(1).norm(dim=1) - 1) ** 2).mean()


@pytest.mark.parametrize("family", list(TINY_ARCHS))
@pytest.mark.parametrize("d_norm,g_norm", [("sn", "sn+bn"), ("ln", "bn"), ("bn", "none")])
def test_one_training_step_updates_every_parameter_without_nan(family, d_norm, g_norm):
    torch.manual_seed(1)
    shape = data_shape_for(family, channels=1)
    generator, critic = build_models(TINY_ARCHS[family], make_spec(d_norm, g_norm), shape, 16)
    opt_g = torch.optim.Adam(generator.parameters(), 2e-4, betas=(0.0, 0.9))
    opt_d = torch.optim.Adam(critic.parameters(), 2e-4, betas=(0.0, 0.9))
    before = [p.detach().clone() for p in [*generator.parameters(), *critic.parameters()]]
    real = torch.rand(4, *shape) * 2 - 1
    loss_d, loss_g = hinge_step(generator, critic, real, opt_g, opt_d)
    assert torch.isfinite(torch.tensor([loss_d, loss_g])).all()
    after = [*generator.parameters(), *critic.parameters()]
    assert all(torch.isfinite(p).all() for p in after)
    # Input-independent offsets of the critic's score are left out: their hinge gradient is
    # (#fake with active margin - #real with active margin) / N times a constant, zero when all
    # are active. These are the output bias and, in resnet-deep (no nonlinearity before its
    # linear head, as in WGAN-GP's gan_64x64.py), the last block's norm shift.
    offsets = [[m for m in critic.modules() if isinstance(m, torch.nn.Linear)][-1].bias]
    if family == "resnet-deep":
        last_norm = [m for m in critic.modules() if isinstance(m, Residual)][-1].branch[-1]
        offsets += [p for name, p in last_norm.named_parameters() if name == "bias"]
    changed = [not torch.equal(a, b) for a, b in zip(before, after)
               if not any(b is offset for offset in offsets)]
    assert all(changed), f"{changed.count(False)} parameter tensors did not move"


@pytest.mark.parametrize("family", list(TINY_ARCHS))
def test_gradient_penalty_step_is_finite_and_nonzero(family):
    """WGAN-GP with a layer-normed critic needs double backward through every layer."""
    torch.manual_seed(2)
    shape = data_shape_for(family, channels=3)
    generator, critic = build_models(TINY_ARCHS[family], make_spec("ln", "bn"), shape, 16)
    opt_d = torch.optim.Adam(critic.parameters(), 1e-4, betas=(0.0, 0.9))
    real = torch.rand(4, *shape) * 2 - 1
    fake = generator(torch.randn(4, 16)).detach()
    penalty = gradient_penalty(critic, real, fake)
    loss = critic(fake).mean() - critic(real).mean() + 10 * penalty
    opt_d.zero_grad()
    loss.backward()
    grads = [p.grad for p in critic.parameters() if p.grad is not None]
    assert torch.isfinite(penalty) and penalty > 0
    assert grads and all(torch.isfinite(g).all() for g in grads)
    opt_d.step()
    assert all(torch.isfinite(p).all() for p in critic.parameters())


def first_weight_layer(model):
    return next(m for m in model.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear)))


# channels of the critic's first conv and of the generator's first feature map, per unit width
CHANNELS_PER_WIDTH = {"dcgan": (1, 8), "resnet": (1, 1), "resnet-deep": (1, 8)}


@pytest.mark.parametrize("family", IMAGE_FAMILIES)
def test_g_width_and_d_width_set_each_nets_channels(family):
    d_unit, g_unit = CHANNELS_PER_WIDTH[family]
    depth = {"depth": 14} if family == "resnet-deep" else {}
    cases = [({"width": 4}, 4, 4), ({"width": 4, "g_width": 8}, 8, 4),
             ({"width": 4, "d_width": 2}, 4, 2), ({"g_width": 6, "d_width": 2}, 6, 2)]
    for widths, g_width, d_width in cases:
        generator, critic = build_models({"family": family, **depth, **widths}, make_spec(),
                                         (1, 32, 32), 16)
        assert first_weight_layer(critic).out_channels == d_unit * d_width, widths
        assert first_weight_layer(generator).out_features == g_unit * g_width * 4 * 4, widths
        assert generator(torch.randn(2, 16)).shape == (2, 1, 32, 32)
        assert critic(torch.randn(2, 1, 32, 32)).shape == (2,)


def test_sngan_resnet_widths_256_in_g_and_128_in_d():
    # SN-GAN (Miyato et al. 2018), appendix B.4: the CIFAR-10 ResNet has 256 channels in G, 128 in D
    generator, critic = build_models({"family": "resnet", "g_width": 256, "d_width": 128},
                                     make_spec("sn", "bn"), (3, 32, 32))
    g_convs = {m.out_channels for m in generator.modules() if isinstance(m, torch.nn.Conv2d)}
    d_convs = {m.out_channels for m in critic.modules() if isinstance(m, torch.nn.Conv2d)}
    assert g_convs == {256, 3} and d_convs == {128}


def test_per_net_width_keys_are_checked_and_in_the_schema():
    schema = arch_json_schema()
    for family in IMAGE_FAMILIES:
        jsonschema.validate({"family": family, "g_width": 8, "d_width": None}, schema)
        with pytest.raises(ConfigError, match=rf"arch {family}: d_width=0 is invalid"):
            resolve_arch({"family": family, "d_width": 0})
    with pytest.raises(ConfigError, match="d_width unknown for family mlp"):
        resolve_arch({"family": "mlp", "d_width": 8})
