"""The real pipeline: snakemake on the smoke study in a temp dir, then a bad config."""

import json
import math
import shutil
import subprocess

import pandas as pd
import pytest
import torch
import yaml

from tests.conftest import REPO
from tests.data.files import FASHION_SIZES, write_fashion_mnist
from suite.config import resolve_study
from suite.methods import PRESETS


def workflow_copy(tmp_path):
    for name in ("Snakefile", "workflows", "configs"):
        source = REPO / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, tmp_path / name)
    return tmp_path


def snakemake(workdir, *args):
    return subprocess.run(["snakemake", *args], cwd=workdir, capture_output=True, text=True)


@pytest.mark.slow
def test_smoke_study_end_to_end(tmp_path):
    workdir = workflow_copy(tmp_path)
    result = snakemake(workdir, "--cores", "2", "all", "--configfile", "configs/smoke.yaml")
    assert result.returncode == 0, result.stderr[-4000:]
    study = yaml.safe_load((workdir / "configs" / "smoke.yaml").read_text())
    runs = list((workdir / "results" / "smoke" / "runs").glob("*/*/*/seed*"))
    assert len(runs) == len(resolve_study(study).runs)
    assert {run.parent.name for run in runs} == set(PRESETS), "the smoke study trains every preset"
    for run in runs:
        record = json.loads((run / "metrics.json").read_text())
        assert record["status"] == "ok"
        for metric in ("domain_fid", "domain_is"):
            assert math.isfinite(record["metrics"][metric]), (run, metric)
        evaluate, protocol = study["evaluate"], record["protocol"]
        if run.parent.name in study["grids"][0]["methods"]:
            for metric in ("fid", "kid_mean"):
                assert math.isfinite(record["metrics"][metric]), (run, metric)
            assert record["metrics"]["is_mean"] is None and "logits" in record["unavailable"]["is_mean"]
            assert (protocol["n_gen"], protocol["n_ref"]) == (evaluate["inception_n_gen"], evaluate["inception_n_ref"])
        else:
            assert record["metrics"]["fid"] is None and "not requested" in record["unavailable"]["fid"]
            assert (protocol["n_gen"], protocol["n_ref"]) == (evaluate["n_gen"], evaluate["n_ref"])
        assert (protocol["domain_n_gen"], protocol["domain_n_ref"]) == (evaluate["n_gen"], evaluate["n_ref"])
        assert (run / "samples.png").stat().st_size > 0
        assert len(pd.read_csv(run / "diagnostics" / "layers.csv")) > 0
        assert len(pd.read_csv(run / "curve.csv")) == 2
    classifier = next((workdir / "results" / "cache" / "domain" / "fashion32").glob("classifier-*.pt"))
    assert torch.load(classifier, weights_only=True)["n_train"] == FASHION_SIZES["train"], "not the tests' data set"
    report = workdir / "results" / "smoke" / "report"
    html = (report / "index.html").read_text()
    assert "real data" in html and all(name in html for name in PRESETS)
    assert len(pd.read_csv(report / "runs.csv")) == len(runs)

    # A single run by its path is already up to date; the method target too.
    target = "results/smoke/runs/fashion32/dcgan-tiny/sngan/seed0/metrics.json"
    for args in ([target], ["sngan"]):
        dry = snakemake(workdir, "-n", *args, "--configfile", "configs/smoke.yaml")
        assert dry.returncode == 0 and "Nothing to be done" in dry.stdout + dry.stderr, dry.stderr[-2000:]


@pytest.mark.slow
def test_bad_config_fails_before_any_job(tmp_path):
    workdir = workflow_copy(tmp_path)
    bad = yaml.safe_load((workdir / "configs" / "smoke.yaml").read_text())
    bad["grids"][0]["methods"] = ["wgan-gp", "wgan-xx"]
    (workdir / "configs" / "bad.yaml").write_text(yaml.safe_dump(bad))
    result = snakemake(workdir, "-n", "all", "--configfile", "configs/bad.yaml")
    assert result.returncode != 0
    assert "unknown method 'wgan-xx'" in result.stderr and "sngan" in result.stderr
    assert not (workdir / "results" / "smoke" / "runs").exists()


@pytest.mark.slow
def test_the_studys_data_root_reaches_the_rules_that_name_no_data_folder(tmp_path):
    """The domain classifier's rule passes no folder: it reads the study's data_root, not the tests' set."""
    workdir = workflow_copy(tmp_path)
    own = write_fashion_mnist(tmp_path / "own-data", {"train": 50, "test": 20})
    study = yaml.safe_load((workdir / "configs" / "smoke.yaml").read_text())
    (workdir / "configs" / "own.yaml").write_text(yaml.safe_dump({**study, "data_root": str(own)}))
    result = snakemake(workdir, "--cores", "2", "all", "--configfile", "configs/own.yaml",
                       "--until", "train_domain_classifier")
    assert result.returncode == 0, result.stderr[-3000:]
    (classifier,) = (workdir / "results" / "cache" / "domain" / "fashion32").glob("classifier-*.pt")
    saved = torch.load(classifier, weights_only=True)
    assert (saved["n_train"], saved["n_test"]) == (50, 20)
