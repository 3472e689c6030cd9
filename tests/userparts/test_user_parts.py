"""A study's own loss, penalty and architecture family: found, checked, recorded and used by the step."""

import math
import sys

import pytest
import torch
import yaml

from suite.config import load_study, resolve_study
from suite.errors import ConfigError
from suite.io import sha256_file
from suite.methods import critic_loss, critic_penalty, generator_loss, resolve_method
from suite.models import build_models
from suite.runspec import load_run
from tests.conftest import REPO
from tests.userparts import losses, nets, norms, penalties

OWN_LOSS = "tests.userparts.losses:smooth_hinge"
OWN_PENALTY = "tests.userparts.penalties:r1"
OWN_FAMILY = "tests.userparts.nets:TwoLayerNets"
OWN_NORM = "tests.userparts.norms:pixel_norm"


def own_study(method: dict | None = None, arch: dict | None = None) -> dict:
    return {
        "experiment": "own-parts",
        "archs": {"two": arch or {"family": OWN_FAMILY, "width": 4}},
        "methods": {"mine": method or {"preset": "sngan", "loss": OWN_LOSS}},
        "train": {"iterations": 2, "batch_size": 8},
        "evaluate": {"inception": False, "domain": False},
        "grids": [{"data": ["fashion32"], "archs": ["two"], "methods": ["mine"], "seeds": [0, 1]}],
    }


def test_the_shipped_studies_keep_their_run_hashes():
    """A run without user parts or an own data set hashes as a run did before either existed (the values were
    recorded again when train.precision replaced train.bf16, which changed every run's hash)."""
    study = load_study(REPO / "configs" / "smoke.yaml")
    assert study.run("fashion32", "dcgan-tiny", "wgan-gp", 0).config_hash() == "ba538baa29d5e0ed"
    assert study.run("fashion32", "dcgan-tiny", "sagan", 0).config_hash() == "f3541d2dca8f65a9"
    assert "parts" not in study.runs[0].describe() and "dataset" not in study.runs[0].describe()


def test_own_parts_are_recorded_with_their_files_hash():
    method = {"loss": OWN_LOSS, "constraint": OWN_PENALTY, "d_norm": OWN_NORM, "g_norm": "bn", "optimizer": "adam",
              "lr_d": 2.0e-4, "lr_g": 2.0e-4, "betas": [0.0, 0.9], "n_dis": 1}
    study = resolve_study(own_study(method))
    run = study.run("fashion32", "two", "mine", 0)
    assert run.parts == {
        "loss": {"path": OWN_LOSS, "sha256": sha256_file(losses.__file__)},
        "constraint": {"path": OWN_PENALTY, "sha256": sha256_file(penalties.__file__)},
        "d_norm": {"path": OWN_NORM, "sha256": sha256_file(norms.__file__)},
        "family": {"path": OWN_FAMILY, "sha256": sha256_file(nets.__file__)},
    }
    assert run.method["loss"] == OWN_LOSS and run.arch == {"family": OWN_FAMILY, "width": 4}
    assert run.describe()["parts"] == run.parts


def test_a_changed_module_changes_only_the_hashes_of_runs_using_it(tmp_path, monkeypatch):
    package = tmp_path / "mine_changed"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "losses.py").write_text((REPO / "tests" / "userparts" / "losses.py").read_text())
    monkeypatch.syspath_prepend(str(tmp_path))
    config = own_study({"preset": "sngan", "loss": "mine_changed.losses:smooth_hinge"})
    config["methods"]["plain"] = "sngan"
    config["grids"][0]["methods"] = ["mine", "plain"]
    before = {spec.run_id: spec.config_hash() for spec in resolve_study(config).runs}
    (package / "losses.py").write_text((package / "losses.py").read_text() + "\n# a comment is a change too\n")
    monkeypatch.setattr("suite.plugins._LOADED", {})  # a new process: the next load reads the file again
    after = {spec.run_id: spec.config_hash() for spec in resolve_study(config).runs}
    changed = sorted(run for run in before if before[run] != after[run])
    assert changed == ["fashion32/two/mine/seed0", "fashion32/two/mine/seed1"]


def test_a_stale_record_is_refused_when_the_module_changed(tmp_path, monkeypatch):
    package = tmp_path / "mine_stale"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "penalties.py").write_text((REPO / "tests" / "userparts" / "penalties.py").read_text())
    monkeypatch.syspath_prepend(str(tmp_path))
    study = resolve_study(own_study({"preset": "dcgan-bn", "constraint": "mine_stale.penalties:r1"}))
    path = study.runs[0].write(tmp_path / "results")
    from suite.cli import _ready

    _ready(load_run(path))  # unchanged: accepted
    (package / "penalties.py").write_text((package / "penalties.py").read_text().replace("10.0", "1.0"))
    with pytest.raises(ConfigError, match=r"constraint mine_stale.penalties:r1 changed since the run was recorded"):
        _ready(load_run(path))


def test_the_step_calls_the_own_loss_and_penalty_and_builds_the_own_nets():
    d_real, d_fake = torch.tensor([0.5, -2.0]), torch.tensor([1.0, 0.0])
    expected = torch.nn.functional.softplus(1 - d_real).mean() + torch.nn.functional.softplus(1 + d_fake).mean()
    assert critic_loss(OWN_LOSS, d_real, d_fake).item() == pytest.approx(expected.item())
    assert generator_loss(OWN_LOSS, d_fake).item() == pytest.approx(-0.5)

    # R1 on a linear critic D(x) = w.x: ||grad_x D|| = ||w|| for every example, so gamma/2 * ||w||^2.
    spec = resolve_method({"preset": "dcgan-bn", "constraint": OWN_PENALTY, "d_norm": "none"})
    critic = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(4, 1), torch.nn.Flatten(0))
    real, fake = torch.randn(3, 1, 2, 2), torch.randn(3, 1, 2, 2)
    penalty = critic_penalty(spec, critic, real, fake)
    assert penalty.item() == pytest.approx(penalties.GAMMA / 2 * critic[1].weight.square().sum().item(), rel=1e-5)

    generator, critic = build_models({"family": OWN_FAMILY, "width": 3}, spec, (1, 32, 32), 16)
    assert generator(torch.randn(5, 16)).shape == (5, 1, 32, 32)
    assert critic(torch.randn(5, 1, 32, 32)).shape == (5,)


def test_an_own_critic_norm_goes_where_the_shipped_norms_go():
    """The SN-GAN CNN puts the critic's norm after every conv but the first: six PixelNorms, the generator's
    norms untouched; each divides every position's feature vector by its root mean square."""
    spec = resolve_method({"preset": "dcgan-bn", "d_norm": OWN_NORM})
    generator, critic = build_models({"family": "dcgan", "width": 2}, spec, (1, 32, 32), 16)
    assert sum(isinstance(module, norms.PixelNorm) for module in critic.modules()) == 6
    assert not any(isinstance(module, norms.PixelNorm) for module in generator.modules())
    features = critic[2](critic[1](critic[0](torch.randn(4, 1, 32, 32))))  # conv, lReLU, conv: then a PixelNorm
    rms = torch.sqrt(features.square().mean(dim=1, keepdim=True) + norms.EPSILON)
    assert torch.allclose(critic[3](features), features / rms)
    with pytest.raises(ConfigError, match=r"d_norm_affine is ignored by this method"):
        resolve_method({"preset": "dcgan-bn", "d_norm": OWN_NORM, "d_norm_affine": False})


@pytest.mark.parametrize("method, arch, message", [
    ({"preset": "sngan", "loss": "tests.userparts.nowhere:loss"}, None,
     r"loss 'tests.userparts.nowhere:loss': cannot import tests.userparts.nowhere \(No module named "
     r"'tests.userparts.nowhere'\); allowed: a module installed or in the study's working directory"),
    ({"preset": "sngan", "loss": "tests.userparts.losses:hinge"}, None,
     r"tests.userparts.losses has no attribute 'hinge'; allowed: a name it defines"),
    ({"preset": "sngan", "loss": "tests.userparts.broken:PerExampleLoss"}, None,
     r"critic\(d_real, d_fake\) returned \(4,\), not a 0-d tensor differentiable in the scores"),
    ({"preset": "sngan", "loss": "tests.userparts.penalties:r1"}, None,
     r"has no critic\(d_real, d_fake\); allowed: an object with critic\(d_real, d_fake\) and generator\(d_fake\)"),
    ({"preset": "dcgan-bn", "constraint": "tests.userparts.broken:penalty_of_two"}, None,
     r"is not a function penalty\(critic, real, fake\)"),
    ({"preset": "dcgan-bn", "constraint": "tests.userparts.broken:constant_penalty"}, None,
     r"returned \(\) on batches of \(4, 1, 4, 4\); allowed: a 0-d tensor differentiable in the critic's parameters"),
    ({"preset": "dcgan-bn", "constraint": "r2"}, None,
     r"constraint 'r2' is not allowed; allowed: none, clip, gp, gp-fd, ortho, an entry point of group "
     r"ganbench.constraints, or module:attribute"),
    ({"preset": "dcgan-bn", "d_norm": "tests.userparts.broken:pooling_norm"}, None,
     r"d_norm 'tests.userparts.broken:pooling_norm': norm2d\(4\) turns \[2, 4, 3, 3\] into \[2, 4, 2, 2\]; "
     r"allowed: a norm that keeps the shape"),
    ({"preset": "dcgan-bn", "d_norm": "pixel"}, None,
     r"d_norm 'pixel' is not allowed; allowed: none, bn, ln, sn, wn, an entry point of group ganbench.norms"),
    (None, {"family": "tests.userparts.broken:not_a_family"},
     r"is a dict, not an ArchFamily; allowed: suite.models.ArchFamily"),
    (None, {"family": "tests.userparts.broken:WrongImageSize"},
     r"the generator of family tests.userparts.broken:WrongImageSize gives \[2, 1, 4, 4\] on a batch of 2; "
     r"allowed: \[2, 1, 32, 32\]"),
    (None, {"family": OWN_FAMILY, "depth": 3},
     r"arch key\(s\) depth unknown for family tests.userparts.nets:TwoLayerNets; allowed: family, width"),
])
def test_a_bad_part_is_one_line_saying_what_is_allowed(method, arch, message):
    with pytest.raises(ConfigError, match=message) as error:
        resolve_study(own_study(method, arch))
    assert "\n" not in str(error.value) and str(error.value).startswith("config error at ")


def test_an_entry_point_names_a_part_and_records_its_package_version(tmp_path, monkeypatch):
    """A package that registers its loss in group ganbench.losses: the study names it by the entry point."""
    (tmp_path / "gan_extras").mkdir()
    (tmp_path / "gan_extras" / "__init__.py").write_text((REPO / "tests" / "userparts" / "losses.py").read_text())
    info = tmp_path / "gan_extras-1.2.3.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: gan-extras\nVersion: 1.2.3\n")
    (info / "entry_points.txt").write_text("[ganbench.losses]\nsmooth-hinge = gan_extras:smooth_hinge\n")
    (info / "top_level.txt").write_text("gan_extras\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    run = resolve_study(own_study({"preset": "sngan", "loss": "smooth-hinge"})).runs[0]
    assert run.method["loss"] == "smooth-hinge"
    assert run.parts["loss"] == {"path": "gan_extras:smooth_hinge",
                                 "sha256": sha256_file(tmp_path / "gan_extras" / "__init__.py"), "version": "1.2.3"}
    assert critic_loss("smooth-hinge", torch.zeros(2), torch.zeros(2)).item() == pytest.approx(2 * math.log1p(math.e))
    assert "gan_extras" in sys.modules
    message = r"allowed: wasserstein, hinge, ns, lsgan, an entry point of group ganbench.losses \(smooth-hinge\)"
    with pytest.raises(ConfigError, match=message):
        resolve_study(own_study({"preset": "sngan", "loss": "smooth-hing"}))


def test_the_run_record_round_trips(tmp_path):
    study = resolve_study(own_study())
    path = study.runs[0].write(tmp_path)
    record = yaml.safe_load(path.read_text())
    assert record["parts"]["family"]["path"] == OWN_FAMILY
    assert load_run(path) == study.runs[0]
