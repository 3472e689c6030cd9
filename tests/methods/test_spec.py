import dataclasses
import json
import warnings

import pytest
import torch
from torch import nn

from suite.errors import ConfigError
from suite.methods import ALLOWED, FIELDS, PRESETS, MethodSpec, make_optimizers, resolve_method
from suite.methods.spec import OMITTED_AT_DEFAULT

# The published presets table (README, Methods), written out independently of the presets.
PUBLISHED_TABLE = {
    "wgan-wc": dict(loss="wasserstein", constraint="clip", clip_value=0.01, d_norm="none",
                    g_norm="bn", optimizer="rmsprop", lr_d=5e-5, lr_g=5e-5, n_dis=5),
    "wgan-gp": dict(loss="wasserstein", constraint="gp", gp_lambda=10.0, d_norm="none",
                    g_norm="bn", optimizer="adam", lr_d=1e-4, lr_g=1e-4, betas=(0.0, 0.9), n_dis=5),
    "wgan-gp-ln": dict(loss="wasserstein", constraint="gp", gp_lambda=10.0, d_norm="ln",
                       g_norm="bn", optimizer="adam", lr_d=1e-4, lr_g=1e-4, betas=(0.0, 0.9),
                       n_dis=5),
    "wgan-gp-fd": dict(loss="wasserstein", constraint="gp-fd", gp_lambda=10.0, d_norm="none",
                       g_norm="bn", optimizer="adam", lr_d=1e-4, lr_g=1e-4, betas=(0.0, 0.9),
                       n_dis=5),
    "sngan": dict(loss="hinge", constraint="none", d_norm="sn", g_norm="bn", optimizer="adam",
                  lr_d=2e-4, lr_g=2e-4, betas=(0.0, 0.9), n_dis=5),
    "dcgan-bn": dict(loss="ns", constraint="none", d_norm="bn", g_norm="bn", optimizer="adam",
                     lr_d=2e-4, lr_g=2e-4, betas=(0.5, 0.999), n_dis=1),
    "sagan": dict(loss="hinge", constraint="none", d_norm="sn", g_norm="sn+bn", g_attention=16,
                  d_attention=16, optimizer="adam", lr_d=4e-4, lr_g=1e-4, betas=(0.0, 0.9),
                  n_dis=1),
    # SN-GAN (Miyato et al. 2018) section 4.1: the standard GAN loss for all but WGAN-GP, c = 0.01,
    # lambda = 10, no gamma in BN, LN, WN; Adam at setting C of Table 1 (2e-4, 0.5, 0.999, n_dis 1).
    **{name: dict(loss="ns", g_norm="bn", optimizer="adam", lr_d=2e-4, lr_g=2e-4, betas=(0.5, 0.999), n_dis=1,
                  setting=None, **parts)
       for name, parts in {
           "gan-wc": dict(constraint="clip", clip_value=0.01, d_norm="none"),
           "gan-gp": dict(constraint="gp", gp_lambda=10.0, d_norm="none"),
           "gan-bn": dict(constraint="none", d_norm="bn", d_norm_affine=False),
           "gan-ln": dict(constraint="none", d_norm="ln", d_norm_affine=False),
           "gan-wn": dict(constraint="none", d_norm="wn", d_norm_affine=False),
           "gan-ortho": dict(constraint="ortho", ortho_lambda=1.0, d_norm="none"),
           "gan-sn": dict(constraint="none", d_norm="sn"),
       }.items()},
}

COMPOSED = dict(loss="hinge", constraint="gp", d_norm="ln", g_norm="none", optimizer="adam",
                lr_d=3e-4, lr_g=1e-4, betas=[0.0, 0.9], n_dis=2)


def test_presets_are_exactly_the_design_table():
    assert list(PRESETS) == list(PUBLISHED_TABLE)
    for name, values in PUBLISHED_TABLE.items():
        spec = resolve_method(name)
        assert spec is PRESETS[name]
        for field, value in values.items():
            assert getattr(spec, field) == value, (name, field)
        if name != "sagan":
            assert spec.g_attention is None and spec.d_attention is None
        assert (spec.one_sided, spec.fd_pairs, spec.power_iterations) == (False, "independent", 1)
        assert (spec.lr_schedule, spec.n_dis_schedule) == ("constant", "constant")


def test_preset_with_overrides():
    spec = resolve_method({"preset": "sngan", "n_dis": 1, "lr_g": 1e-3, "betas": [0.5, 0.99]})
    assert (spec.n_dis, spec.lr_g, spec.betas) == (1, 1e-3, (0.5, 0.99))
    assert spec.loss == "hinge" and spec.d_norm == "sn" and spec.lr_d == 2e-4
    assert PRESETS["sngan"].n_dis == 5


def test_composed_method_without_preset_and_defaults():
    spec = resolve_method(COMPOSED)
    assert spec.gp_lambda == 10.0 and spec.clip_value == 0.01
    assert spec.betas == (0.0, 0.9) and spec.g_attention is None and spec.d_attention is None
    assert spec.fd_pairs == "independent" and spec.one_sided is False and spec.power_iterations == 1
    with pytest.raises(ConfigError, match="missing: lr_g, n_dis"):
        resolve_method({k: v for k, v in COMPOSED.items() if k not in ("lr_g", "n_dis")})


@pytest.mark.parametrize("name", list(PRESETS))
def test_to_dict_roundtrips_through_json(name):
    record = json.loads(json.dumps(PRESETS[name].to_dict()))
    assert list(record) == [field for field in FIELDS if field not in OMITTED_AT_DEFAULT]
    assert resolve_method(record) == PRESETS[name]


def test_attention_block_is_recorded_only_when_residual():
    """Runs recorded before the field keep their record (and config hash); a residual run records it."""
    attention = resolve_method({"preset": "sagan", "g_attention": 8, "d_attention": 8, "attention_block": "attention"})
    residual = dataclasses.replace(attention, attention_block="residual")
    assert attention == resolve_method({"preset": "sagan", "g_attention": 8, "d_attention": 8})
    assert "attention_block" not in attention.to_dict()
    assert residual.to_dict() == {**attention.to_dict(), "attention_block": "residual"}
    for spec in (attention, residual):
        assert resolve_method(json.loads(json.dumps(spec.to_dict()))) == spec
    # one net's attention size is enough for the block to be read
    critic_only = resolve_method({"preset": "sagan", "g_attention": None, "attention_block": "residual"})
    assert (critic_only.g_attention, critic_only.d_attention, critic_only.attention_block) == (None, 16, "residual")


def test_unknown_preset_lists_presets():
    with pytest.raises(ConfigError) as error:
        resolve_method("wgan-lp")
    assert all(name in str(error.value) for name in PRESETS)
    with pytest.raises(ConfigError, match="sngan"):
        resolve_method({"preset": "nope"})


@pytest.mark.parametrize("field", list(ALLOWED))
def test_unknown_part_value_names_field_and_allowed(field):
    with pytest.raises(ConfigError) as error:
        resolve_method({"preset": "wgan-gp", field: "bogus"})
    message = str(error.value)
    assert field in message and "bogus" in message
    assert all(value in message for value in ALLOWED[field])


def test_unknown_field_lists_fields():
    with pytest.raises(ConfigError) as error:
        resolve_method({"preset": "wgan-gp", "learning_rate": 1e-3})
    assert "learning_rate" in str(error.value)
    assert all(field in str(error.value) for field in FIELDS)


@pytest.mark.parametrize("override, fragment", [
    ({"lr_d": -1e-4}, "lr_d"),
    ({"lr_g": 0.0}, "lr_g"),
    ({"lr_d": "1e-4"}, "1.0e-4"),
    ({"n_dis": 0}, "n_dis"),
    ({"n_dis": 2.5}, "n_dis"),
    ({"clip_value": 0}, "clip_value"),
    ({"gp_lambda": -1.0}, "gp_lambda"),
    ({"betas": [0.5, 1.0]}, "betas"),
    ({"betas": [-0.1, 0.9]}, "betas"),
    ({"betas": [0.5]}, "betas"),
    ({"d_attention": 0}, "d_attention"),
    ({"g_attention": True}, "g_attention"),
    ({"one_sided": "yes"}, "one_sided must be true or false"),
    ({"one_sided": 1}, "one_sided must be true or false"),
])
def test_invalid_numbers_rejected(override, fragment):
    with pytest.raises(ConfigError, match=fragment):
        resolve_method({"preset": "wgan-gp", **override})


def test_gp_with_batchnorm_critic_warns_but_is_allowed():
    with pytest.warns(UserWarning, match="batch norm.*gradient penalty"):
        spec = resolve_method({"preset": "wgan-gp-fd", "d_norm": "bn"})
    assert spec.d_norm == "bn"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        resolve_method("dcgan-bn")
        resolve_method({"preset": "wgan-gp", "d_norm": "ln"})


def test_spec_is_frozen_and_normalised():
    spec = MethodSpec(**{**COMPOSED, "lr_d": 1, "betas": [0, 0.9]})
    assert isinstance(spec.lr_d, float) and spec.betas == (0.0, 0.9)
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.n_dis = 3


@pytest.mark.parametrize("name", ["sagan", "wgan-wc"])
def test_ttur_optimizers_carry_configured_rates(name):
    spec = PRESETS[name]
    generator, critic = nn.Linear(3, 2), nn.Linear(2, 1)
    opt_g, opt_d = make_optimizers(spec, generator, critic)
    assert opt_g.param_groups[0]["lr"] == spec.lr_g
    assert opt_d.param_groups[0]["lr"] == spec.lr_d
    assert {id(p) for p in opt_g.param_groups[0]["params"]} == {id(p) for p in generator.parameters()}
    assert {id(p) for p in opt_d.param_groups[0]["params"]} == {id(p) for p in critic.parameters()}
    if spec.optimizer == "adam":
        assert isinstance(opt_d, torch.optim.Adam)
        assert opt_g.param_groups[0]["betas"] == opt_d.param_groups[0]["betas"] == (0.0, 0.9)
    else:
        assert isinstance(opt_g, torch.optim.RMSprop) and isinstance(opt_d, torch.optim.RMSprop)


def test_sngan_preset_per_arch_family():
    """Standard CNN: SN-GAN Table 1 setting C; every other family: the ResNet setting (Adam 2e-4, (0, 0.9), 5)."""
    cnn = resolve_method("sngan", "dcgan")
    assert (cnn.lr_d, cnn.lr_g, cnn.betas, cnn.n_dis) == (2e-4, 2e-4, (0.5, 0.999), 1)
    assert (cnn.loss, cnn.d_norm, cnn.g_norm) == ("hinge", "sn", "bn")
    for family in (None, "resnet", "resnet-deep", "mlp"):
        assert resolve_method("sngan", family) is PRESETS["sngan"]
    assert resolve_method("wgan-gp", "dcgan") is PRESETS["wgan-gp"]
    override = resolve_method({"preset": "sngan", "n_dis": 2}, "dcgan")
    assert (override.betas, override.n_dis) == ((0.5, 0.999), 2)


@pytest.mark.parametrize("preset", ["wgan-gp", "wgan-gp-fd"])
def test_gradient_penalty_presets_take_layer_norm_in_the_deep_resnet_critic(preset):
    """WGAN-GP's 64x64 ResNets (gan_64x64.py) use layer norm in D; elsewhere the critic has no norm."""
    assert resolve_method(preset, "resnet-deep").d_norm == "ln"
    assert resolve_method({"preset": preset, "d_norm": "none"}, "resnet-deep").d_norm == "none"
    for family in (None, "dcgan", "resnet", "mlp"):
        assert resolve_method(preset, family) is PRESETS[preset]


@pytest.mark.parametrize("entry, field", [
    ({"preset": "wgan-gp", "clip_value": 0.1}, "clip_value"),
    ({"preset": "sngan", "gp_lambda": 5.0}, "gp_lambda"),
    ({"preset": "wgan-wc", "one_sided": True}, "one_sided"),
    ({"preset": "wgan-gp", "fd_pairs": "same"}, "fd_pairs"),
    ({"preset": "wgan-wc", "betas": [0.5, 0.999]}, "betas"),
    ({"preset": "wgan-gp", "power_iterations": 3}, "power_iterations"),
    ({"preset": "sngan", "constraint": "gp", "clip_value": 0.05}, "clip_value"),
    ({**COMPOSED, "optimizer": "rmsprop"}, "betas"),
    ({"preset": "sngan", "attention_block": "residual"}, "attention_block"),
    ({"preset": "sagan", "g_attention": None, "d_attention": None, "attention_block": "residual"}, "attention_block"),
])
def test_fields_the_method_ignores_are_refused_in_one_line(entry, field):
    with pytest.raises(ConfigError) as error:
        resolve_method(entry)
    message = str(error.value)
    assert message.startswith(f"{field} is ignored by this method: ") and "\n" not in message


def test_fields_the_method_reads_are_accepted():
    assert resolve_method({"preset": "wgan-wc", "clip_value": 0.1}).clip_value == 0.1
    assert resolve_method({"preset": "wgan-gp", "one_sided": True, "gp_lambda": 5.0}).one_sided is True
    assert resolve_method({"preset": "wgan-gp-fd", "fd_pairs": "same", "one_sided": True}).fd_pairs == "same"
    assert resolve_method({"preset": "sngan", "power_iterations": 3}).power_iterations == 3
    assert resolve_method({"preset": "dcgan-bn", "g_norm": "sn+bn", "power_iterations": 2}).power_iterations == 2
    # Preset defaults for fields the new constraint ignores are not the user's: no refusal.
    assert resolve_method({"preset": "wgan-gp", "constraint": "clip"}).clip_value == 0.01


def test_adam_needs_betas_given_or_from_an_adam_preset():
    without = {key: value for key, value in COMPOSED.items() if key != "betas"}
    with pytest.raises(ConfigError, match="optimizer adam needs betas .no preset gives them.: give betas"):
        resolve_method(without)
    with pytest.raises(ConfigError, match="optimizer adam needs betas .preset 'wgan-wc' uses rmsprop."):
        resolve_method({"preset": "wgan-wc", "optimizer": "adam"})
    spec = resolve_method({"preset": "wgan-wc", "optimizer": "adam", "betas": [0.5, 0.9]})
    assert spec.betas == (0.5, 0.9)
    assert resolve_method({"preset": "dcgan-bn", "lr_d": 1e-4}).betas == (0.5, 0.999)


def test_complete_record_is_taken_as_it_is():
    record = PRESETS["wgan-wc"].to_dict()
    assert "betas" in record and "gp_lambda" in record
    assert resolve_method(record) == PRESETS["wgan-wc"]


@pytest.mark.parametrize("field, value", [("power_iterations", 0), ("power_iterations", 1.5),
                                          ("fd_pairs", "pairs"), ("lr_schedule", "cosine"),
                                          ("n_dis_schedule", "burst")])
def test_new_fields_are_validated(field, value):
    with pytest.raises(ConfigError, match=field):
        resolve_method({"preset": "sagan", field: value})
