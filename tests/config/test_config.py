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
from tests.shipped import run_count, shipped_studies
from suite.config import load_study, parse_yaml, resolve_study
from suite.errors import ConfigError

SMOKE = yaml.safe_load((REPO / "configs" / "smoke.yaml").read_text())


@pytest.mark.parametrize("path", shipped_studies())
def test_every_shipped_study_validates(path):
    study = load_study(path)
    assert len(study.runs) == run_count(path) == len({spec.run_id for spec in study.runs})


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
                     r"config error at methods.m: loss 'l2' is not allowed; allowed: wasserstein, hinge, ns, lsgan, an "
                     r"entry point of group ganbench.losses, or module:attribute"),
    "negative lr": (lambda c: c.update(methods={"m": {"preset": "sngan", "lr_d": -1.0}}) or c["grids"][0].update(methods=["m"]),
                    r"config error at methods.m: lr_d must be .*0.*, got -1.0"),
    "unknown top-level key": (lambda c: c.update(iteratons=3), r"config error at \(top level\).*iteratons.*allowed keys"),
    "seed not an integer": (lambda c: c["grids"][0].update(seeds=[0, "one"]), r"grids\[0\].seeds\[1\]: 'one' is not of type 'integer'"),
    "seed a float": (lambda c: c["grids"][0].update(seeds=[1.0]), r"grids\[0\].seeds\[0\]: 1.0 is not of type 'integer'"),
    "wrong type": (lambda c: c["train"].update(iterations="many"), r"train.iterations: 'many' is not of type 'integer'"),
    "count a float": (lambda c: c["train"].update(iterations=20.0), r"train.iterations: 20.0 is not of type 'integer'"),
    "bad enum": (lambda c: c["evaluate"].update(ref_split="val"), r"evaluate.ref_split: 'val' is not allowed; allowed: train, test"),
    "duplicate run": (lambda c: c["grids"].append(copy.deepcopy(c["grids"][0])), r"appears in two grids"),
    "study name a path": (lambda c: c.update(experiment=".."),
                          r"config error at experiment: '\.\.' is not allowed; allowed: a name of letters"),
    "study name with a slash": (lambda c: c.update(experiment="a/b"), r"config error at experiment: 'a/b' is not allowed"),
    "zero threads": (lambda c: c.update(threads=0), r"config error at threads: 0 is too small; allowed: >= 1"),
    "negative threads": (lambda c: c.update(threads=-2), r"config error at threads: -2 is too small; allowed: >= 1"),
    "duplicate seeds": (lambda c: c["grids"][0].update(seeds=[0, 1, 0]),
                        r"config error at grids\[0\].seeds: \[0, 1, 0\] repeats a value; allowed: each value once"),
    "batch beyond memory": (lambda c: c["train"].update(batch_size=10**8),
                            r"config error at train.batch_size: 100000000 needs about \d+ GiB of activations for "
                            r"dcgan-tiny on fashion32, more than this machine's \d+ GiB; allowed: batch_size <= \d+"),
    "attention at a size the arch never reaches": (
        lambda c: c.update(methods={"m": {"preset": "sagan", "d_attention": 7}}) or c["grids"][0].update(methods=["m"]),
        r"config error at archs.dcgan-tiny .*d_attention=7 is not a feature-map size .*allowed: 32, 16, 8, 4"),
    "looks that do not grow": (lambda c: c.update(sequential={"looks": [6, 3]}),
                               r"config error at sequential.looks: \[6, 3\] must be increasing seed counts"),
    "one look": (lambda c: c.update(sequential={"looks": [3]}), r"config error at sequential.looks: \[3\] is too short"),
    "unknown spending": (lambda c: c.update(sequential={"looks": [3, 6], "spending": "pocock"}),
                         r"config error at sequential.spending: 'pocock' is not allowed; allowed: obrien-fleming"),
    "part costs on an arch without runs": (lambda c: c["report"].update(part_costs=["resnet101"]),
                                           r"config error at report.part_costs: arch 'resnet101' has no run in this "
                                           r"study; allowed: dcgan-tiny"),
}


@pytest.mark.parametrize("case", BAD, ids=list(BAD))
def test_bad_config_message(case):
    change, message = BAD[case]
    with pytest.raises(ConfigError, match=message):
        resolve_study(mutate(change))


@pytest.mark.slow
def test_cli_prints_one_line_not_a_traceback(write_study):
    path = write_study(mutate(BAD["negative lr"][0]))
    result = run_cli("check", path, check=False)
    assert result.returncode == 2
    assert result.stderr.startswith("error: config error at methods.m") and "Traceback" not in result.stderr


@pytest.mark.slow
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
    result = run_snakemake(workdir, "--cores", "1", "all", "--configfile", "configs/bad.yaml")
    assert result.returncode == 2
    message = [line for line in result.stderr.splitlines() if line.startswith("ganbench: ")]
    assert len(message) == 1 and re.search(BAD[case][1], message[0]), result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    assert not (workdir / "results").exists()


def test_numbers_written_the_yaml_1_1_way_are_numbers(write_study):
    """`4e-4` is text to a YAML 1.1 reader; the README's TTUR example writes learning rates that way."""
    path = write_study({})
    path.write_text((REPO / "configs" / "smoke.yaml").read_text()
                    + "methods:\n  sngan-ttur: {preset: sngan, lr_d: 4e-4, lr_g: 1e-4}\n")
    config = load_study(path).config
    assert config["methods"]["sngan-ttur"] == {"preset": "sngan", "lr_d": 4e-4, "lr_g": 1e-4}


def test_readme_method_examples_validate():
    """Every `methods:` block in the README, as written, resolves."""
    readme = (REPO / "README.md").read_text()
    blocks = re.findall(r"^    methods:\n((?:      .*\n)+)", readme, re.M)
    assert blocks, "the README shows how to define a method"
    for block in blocks:
        study = mutate(lambda c: None)
        study["methods"] = parse_yaml("methods:\n" + block)["methods"]
        study["grids"][0]["methods"] = list(study["methods"])
        study["report"].pop("reference_method", None)
        resolve_study(study)


def run_snakemake(workdir, *args):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    return subprocess.run(["snakemake", *args], cwd=workdir, capture_output=True, text=True, env=env)


@pytest.mark.parametrize("name, message", [
    ("quik", "ganbench: no study 'quik'; known: "
             + ", ".join(sorted(path.stem for path in (REPO / "configs").glob("*.yaml")))),
    ("../default", "ganbench: config error at experiment: '../default' is not a study name"),
])
@pytest.mark.slow
def test_snakemake_refuses_an_unknown_study_name(tmp_path, name, message):
    workdir = workflow_copy(tmp_path)
    result = run_snakemake(workdir, "-n", "all", "--config", f"experiment={name}")
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.startswith("ganbench: ")]
    assert len(lines) == 1 and lines[0].startswith(message), result.stderr[-2000:]
    assert "Traceback" not in result.stderr and not (workdir / "results").exists()


@pytest.mark.slow
def test_two_studies_with_one_name_do_not_share_results(tmp_path):
    workdir = workflow_copy(tmp_path)
    first = mutate(lambda c: c.update(experiment="shared"))
    second = mutate(lambda c: c.update(experiment="shared") or c["train"].update(iterations=7))
    (workdir / "configs" / "first.yaml").write_text(yaml.safe_dump(first))
    (workdir / "configs" / "second.yaml").write_text(yaml.safe_dump(second))
    assert run_snakemake(workdir, "-n", "all", "--configfile", "configs/first.yaml").returncode == 0
    result = run_snakemake(workdir, "-n", "all", "--configfile", "configs/second.yaml")
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.startswith("ganbench: ")]
    assert len(lines) == 1 and "experiment 'shared'" in lines[0] and "another `experiment` name" in lines[0]
    # The same study again, or a copy of it under another file name, is fine.
    (workdir / "configs" / "copy.yaml").write_text(yaml.safe_dump(first))
    assert run_snakemake(workdir, "-n", "all", "--configfile", "configs/copy.yaml").returncode == 0


def test_config_hash_tracks_what_changes_numbers():
    base = resolve_study(SMOKE).runs[0]
    faster = resolve_study(mutate(lambda c: c.update(threads=2))).runs[0]
    longer = resolve_study(mutate(lambda c: c["train"].update(iterations=21))).runs[0]
    assert base.config_hash() == faster.config_hash()
    assert base.config_hash() != longer.config_hash()
