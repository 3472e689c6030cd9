"""Method fields in a study config: the schema lists them, errors are one line, run specs carry them."""

import pytest

from suite.config import load_schema, resolve_study
from suite.errors import ConfigError
from suite.methods import ALLOWED, FIELDS, PRESETS, USER_PART_FIELDS
from tests.conftest import toy_study


def test_schema_lists_every_method_field_and_its_allowed_values():
    properties = load_schema()["$defs"]["method"]["properties"]
    assert set(properties) == {"preset", *FIELDS}
    for field, allowed in ALLOWED.items():
        if field in USER_PART_FIELDS:  # any string: a user's part is checked where the method is resolved
            assert properties[field]["description"].startswith(", ".join(allowed) + ", or your own"), field
        else:
            assert properties[field]["enum"] == list(allowed), field


def study_with(method) -> dict:
    return toy_study(methods=("custom",)) | {"methods": {"custom": method}}


@pytest.mark.parametrize("method, fragment", [
    ({"preset": "wgan-gp", "fd_pairs": "both"},
     "methods.custom.fd_pairs: 'both' is not allowed; allowed: independent, same"),
    ({"preset": "wgan-gp", "lr_schedule": "cosine"}, "methods.custom.lr_schedule: 'cosine' is not allowed"),
    ({"preset": "wgan-gp", "one_sided": "yes"}, "methods.custom.one_sided: 'yes' is not of type 'boolean'"),
    ({"preset": "sngan", "power_iterations": 0}, "methods.custom.power_iterations: 0 is too small"),
    ({"preset": "wgan-gp", "n_critic": 5}, "allowed keys: attention_block, betas, clip_value"),
    ({"preset": "wgan-gp", "clip_value": 0.1}, "methods.custom: clip_value is ignored by this method"),
    ({"preset": "wgan-wc", "betas": [0.5, 0.9]}, "methods.custom: betas is ignored by this method"),
    ({"preset": "gan-gp", "ortho_lambda": 0.1}, "methods.custom: ortho_lambda is ignored by this method"),
    ({"preset": "gan-sn", "d_norm_affine": False}, "methods.custom: d_norm_affine is ignored by this method"),
    ({"preset": "gan-ortho", "ortho_lambda": 0}, "methods.custom: ortho_lambda must be > 0, got 0"),
    ({"preset": "gan-bn", "d_norm_affine": "no"}, "methods.custom.d_norm_affine: 'no' is not of type 'boolean'"),
    ({"preset": "gan-wn", "d_norm": "in"},
     "methods.custom: d_norm 'in' is not allowed; allowed: none, bn, ln, sn, wn, an entry point of group ganbench.norms"),
    ({"preset": "sagan", "attention_block": "conv"},
     "methods.custom.attention_block: 'conv' is not allowed; allowed: attention, residual"),
    ({"preset": "sngan", "attention_block": "residual"},
     "methods.custom: attention_block is ignored by this method: only a method with g_attention or d_attention "
     "places a block, this method has both null; remove it"),
])
def test_bad_method_fields_fail_the_study_in_one_line(method, fragment):
    with pytest.raises(ConfigError) as error:
        resolve_study(study_with(method))
    message = str(error.value)
    assert fragment in message and "\n" not in message


def test_new_fields_land_in_the_run_spec_and_its_hash():
    plain = resolve_study(study_with({"preset": "wgan-gp"})).runs[0]
    assert plain.method == PRESETS["wgan-gp"].to_dict()
    hashes = {plain.config_hash()}
    for override in ({"one_sided": True}, {"lr_schedule": "linear"}, {"n_dis_schedule": "wgan"}):
        run = resolve_study(study_with({"preset": "wgan-gp", **override})).runs[0]
        for field, value in override.items():
            assert run.method[field] == value
        hashes.add(run.config_hash())
    assert len(hashes) == 4


def test_sngan_on_the_standard_cnn_resolves_its_family_setting():
    study = toy_study(methods=("sngan",)) | {
        "archs": {"cnn": {"family": "dcgan", "width": 4}, "res": {"family": "resnet", "width": 8}},
        "grids": [{"data": ["fashion32"], "archs": ["cnn", "res"], "methods": ["sngan"], "seeds": [0]}]}
    runs = {run.arch_name: run.method for run in resolve_study(study).runs}
    assert (runs["cnn"]["betas"], runs["cnn"]["n_dis"]) == ([0.5, 0.999], 1)
    assert (runs["res"]["betas"], runs["res"]["n_dis"]) == ([0.0, 0.9], 5)


def test_attention_block_lands_in_the_run_spec_only_when_residual():
    """A default attention_block leaves run.yaml's method (and so the config hash) as before the field."""
    study = toy_study(methods=("attention", "residual")) | {
        "archs": {"cnn": {"family": "dcgan", "width": 4}},
        "methods": {"attention": {"preset": "sagan", "attention_block": "attention"},
                    "residual": {"preset": "sagan", "attention_block": "residual"}},
        "grids": [{"data": ["fashion32"], "archs": ["cnn"], "methods": ["attention", "residual"], "seeds": [0]}]}
    runs = {run.method_name: run for run in resolve_study(study).runs}
    assert runs["attention"].method == PRESETS["sagan"].to_dict()
    assert "attention_block" not in runs["attention"].method
    assert runs["residual"].method == {**runs["attention"].method, "attention_block": "residual"}
