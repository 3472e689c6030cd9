"""The report through real snakemake on a tiny study: missing runs, then `snakemake --report`.

One run's training is made to crash (a corrupt checkpoint.pt it resumes from). Without
--keep-going the workflow stops and writes no report; with --keep-going the other runs finish
and the onerror handler writes the report listing that run as missing; once the checkpoint
is gone a plain rerun completes the study and `snakemake --report` packs the captions.
"""

import os
import shutil
import subprocess
import sys

import pandas as pd
import pytest
import yaml

from tests.conftest import REPO

EXP = "tiny-report"
BROKEN = "fashion32/dcgan-w4/sngan/seed1"
STUDY = {
    "experiment": EXP,
    "threads": 1,
    "archs": {"dcgan-w4": {"family": "dcgan", "width": 4}},
    "train": {"iterations": 10, "batch_size": 16, "log_every": 5, "checkpoint_every": 5, "eval_every": 5,
              "eval_samples": 64, "diagnostics_every": 5},
    "evaluate": {"n_gen": 32, "n_ref": 32, "ref_split": "test", "inception": False, "fid_crosscheck": False,
                 "domain": True, "batch_size": 32},
    "domain_classifier": {"epochs": 1, "seed": 0, "n_train": 1000},
    "grids": [{"data": ["fashion32"], "archs": ["dcgan-w4"], "methods": ["wgan-gp", "sngan"], "seeds": [0, 1]}],
    "report": {"reference_method": "wgan-gp", "part_costs": ["dcgan-w4"]},
}
CAPTIONS = {  # report category -> a phrase of its caption file in workflows/report/
    "Report": "static report page",
    "Tables": "One report table",
    "Figures": "Gradient scale per critic layer",
    "Samples": "Samples of one run",
}


def snakemake(workdir, *args):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SNAKEMAKE_")}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])])
    return subprocess.run([sys.executable, "-m", "snakemake", "--cores", "2", "--configfile", "configs/tiny.yaml",
                           *args], cwd=workdir, env=env, capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("report-pipeline")
    shutil.copy(REPO / "Snakefile", workdir / "Snakefile")
    shutil.copytree(REPO / "workflows", workdir / "workflows")
    shutil.copytree(REPO / "configs", workdir / "configs")
    (workdir / "configs" / "tiny.yaml").write_text(yaml.safe_dump(STUDY))
    broken = workdir / "results" / EXP / "runs" / BROKEN
    broken.mkdir(parents=True)
    (broken / "checkpoint.pt").mkdir()  # a folder where the checkpoint goes: training fails on it
    return workdir


def report_dir(workdir):
    return workdir / "results" / EXP / "report"


@pytest.mark.slow
def test_missing_runs_reported_only_under_keep_going(workdir):
    strict = snakemake(workdir)
    assert strict.returncode != 0
    assert not (report_dir(workdir) / "index.html").exists() and not (report_dir(workdir) / "runs.csv").exists()

    kept = snakemake(workdir, "--keep-going")
    assert kept.returncode != 0  # the failed run still fails the workflow
    assert f"1 runs have no metrics.json: results/{EXP}/runs/{BROKEN}" in kept.stderr, kept.stderr[-3000:]
    runs = pd.read_csv(report_dir(workdir) / "runs.csv")
    assert sorted(runs["status"]) == ["missing", "ok", "ok", "ok"]
    missing = runs[runs["status"] == "missing"].iloc[0]
    assert (missing["method"], missing["seed"]) == ("sngan", 1)
    html = (report_dir(workdir) / "index.html").read_text()
    assert "Missing runs (1)" in html and f"{BROKEN} (results/{EXP}/runs/{BROKEN}): no metrics.json" in html
    assert 'id="table-part_costs"' in html  # measured by its own job, which the broken run does not stop
    summary = pd.read_csv(report_dir(workdir) / "tables" / "summary.csv")
    assert set(summary.loc[summary["method"] == "sngan", "n_missing"]) == {1}


@pytest.mark.slow
def test_rerun_completes_and_snakemake_report_holds_the_captions(workdir):
    (workdir / "results" / EXP / "runs" / BROKEN / "checkpoint.pt").rmdir()
    done = snakemake(workdir)
    assert done.returncode == 0, done.stderr[-3000:]
    html = (report_dir(workdir) / "index.html").read_text()
    assert "Missing runs (0)" in html and 'id="table-cost"' in html and 'id="table-part_costs"' in html
    assert (pd.read_csv(report_dir(workdir) / "runs.csv")["status"] == "ok").all()
    costs = pd.read_csv(report_dir(workdir) / "tables" / "part_costs.csv")
    assert list(costs["part"]) == ["none", "clip", "gp", "gp-fd", "sn"] and set(costs["arch"]) == {"dcgan-w4"}
    assert costs.loc[0, "relative_to_none"] == 1.0 and (costs["seconds_per_iteration"] > 0).all()

    packed = snakemake(workdir, "--report", "report.html")
    assert packed.returncode == 0, packed.stderr[-3000:]
    text = (workdir / "report.html").read_text()
    assert "ganbench study report" in text  # workflow.rst, the report's front page
    for category, caption in CAPTIONS.items():
        assert category in text and caption in text, category
    for name in ("index.html", "runs.csv", "cost.html", "part_costs.html", "metric_domain_fid.html", "losses_fashion32_dcgan-w4.png",
                 "grad_norms_fashion32_dcgan-w4.png", "samples_fashion32_dcgan-w4_sngan.png"):
        assert f"Adding {name}" in packed.stderr, name
