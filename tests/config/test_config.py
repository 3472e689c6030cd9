"""Study configs: every shipped study validates; each bad input gets one message naming key and allowed values."""

import copy
import os
import re
import subprocess
import sys

import pytest
import yaml

from tests.conftest import REPO, run_cli
from tests.pipeline.test_pipeline import workflow_copy
from suite.config import load_study, resolve_study
from suite.errors import ConfigError

SMOKE = yaml.safe_load((REPO / "configs" / "smoke.yaml").read_text())


@pytest.mark.parametrize("path", sorted((REPO / "configs").glob("*.yaml")), ids=lambda p: p.name)
def test_every_shipped_study_validates(path):
    study = load_study(path)
    assert study.runs and len({spec.run_id for spec in study.runs}) == len(study.runs)


def mutate(change):
    config = copy.deepcopy(SMOKE)
    change(config)
    return config


BAD = {
    "unknown method": (lambda c: c["grids"][0].update(methods=["wgan-xx"]),
                       r"config error at grids\[0\].methods: unknown method 'wgan-xx'; allowed: .*sngan"),
    "unknown arch": (lambda c: c["grids"][0].update(archs=["vit"]),
                     r"config error at grids\[0\].archs: unknown arch 'vit'; allowed: .*dcgan"),
    "unknown family": (lambda c: c["archs"].update({"x": {"family": "unet"}}) or c["grids"][0].update(archs=["x"]),
                       r"archs.x.family: unknown family 'unet'; allowed: dcgan"),
    "unknown arch key": (lambda c: c["archs"]["dcgan-tiny"].update(depht=3), r"archs.dcgan-tiny.*depht"),
    "unknown data set": (lambda c: c["grids"][0].update(data=["mnist"]), r"unknown data set 'mnist'; allowed: fashion32"),
    "unknown part": (lambda c: c.update(methods={"m": {"preset": "sngan", "loss": "l2"}}) or c["grids"][0].update(methods=["m"]),
                     r"methods.m: .*loss.*hinge"),
    "negative lr": (lambda c: c.update(methods={"m": {"preset": "sngan", "lr_d": -1.0}}) or c["grids"][0].update(methods=["m"]),
                    r"config error at methods.m: lr_d must be .*0.*, got -1.0"),
    "unknown top-level key": (lambda c: c.update(iteratons=3), r"config error at \(top level\).*iteratons.*allowed keys"),
    "seed not an integer": (lambda c: c["grids"][0].update(seeds=[0, "one"]), r"grids\[0\].seeds\[1\]: 'one' is not of type 'integer'"),
    "seed a float": (lambda c: c["grids"][0].update(seeds=[1.0]), r"grids\[0\].seeds\[0\]: 1.0 is not of type 'integer'"),
    "wrong type": (lambda c: c["train"].update(iterations="many"), r"train.iterations: 'many' is not of type 'integer'"),
    "count a float": (lambda c: c["train"].update(iterations=20.0), r"train.iterations: 20.0 is not of type 'integer'"),
    "bad enum": (lambda c: c["evaluate"].update(ref_split="val"), r"evaluate.ref_split: 'val' is not allowed; allowed: train, test"),
    "duplicate run": (lambda c: c["grids"].append(copy.deepcopy(c["grids"][0])), r"appears in two grids"),
    "part costs on an arch without runs": (lambda c: c["report"].update(part_costs=["resnet101"]),
                                           r"config error at report.part_costs: arch 'resnet101' has no run in this "
                                           r"study; allowed: dcgan-tiny"),
}


@pytest.mark.parametrize("case", BAD, ids=list(BAD))
def test_bad_config_message(case):
    change, message = BAD[case]
    with pytest.raises(ConfigError, match=message):
        resolve_study(mutate(change))


def test_cli_prints_one_line_not_a_traceback(write_study):
    path = write_study(mutate(BAD["negative lr"][0]))
    result = run_cli("check", path, check=False)
    assert result.returncode == 2
    assert result.stderr.startswith("error: config error at methods.m") and "Traceback" not in result.stderr


def test_cli_output_cut_short_by_its_reader_is_not_an_error():
    """`python -m suite check configs/default.yaml | head -1`: no BrokenPipeError traceback."""
    pipeline = subprocess.run(
        f"{sys.executable} -m suite check configs/default.yaml | head -1", shell=True, cwd=REPO,
        capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=120)
    assert pipeline.stdout.startswith("study 'default': ")
    assert pipeline.stderr == ""


# One case per validation stage (schema, name lookup, method validator) through the snakemake CLI;
# every case of BAD takes the same path from common.smk, and test_pipeline covers an unknown method.
SNAKEMAKE_CASES = ["seed not an integer", "unknown data set", "unknown part"]


@pytest.mark.slow
@pytest.mark.parametrize("case", SNAKEMAKE_CASES)
def test_snakemake_rejects_a_bad_config_before_any_job(case, tmp_path):
    workdir = workflow_copy(tmp_path)
    (workdir / "configs" / "bad.yaml").write_text(yaml.safe_dump(mutate(BAD[case][0])))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    result = subprocess.run(["snakemake", "--cores", "1", "all", "--configfile", "configs/bad.yaml"], cwd=workdir,
                            capture_output=True, text=True, env=env)
    assert result.returncode != 0
    message = [line for line in result.stderr.splitlines() if line.startswith("ganbench: ")]
    assert len(message) == 1 and re.search(BAD[case][1], message[0]), result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    assert not (workdir / "results").exists()


def test_config_hash_tracks_what_changes_numbers():
    base = resolve_study(SMOKE).runs[0]
    faster = resolve_study(mutate(lambda c: c.update(threads=2))).runs[0]
    longer = resolve_study(mutate(lambda c: c["train"].update(iterations=21))).runs[0]
    assert base.config_hash() == faster.config_hash()
    assert base.config_hash() != longer.config_hash()
