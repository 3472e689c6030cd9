"""Only what changed re-runs: each run reads its own run.yaml, the report rules the study file."""

import json
import re

import pytest
import yaml

from tests.conftest import toy_study
from tests.pipeline.test_pipeline import snakemake, workflow_copy


def planned_jobs(workdir, config) -> dict[str, int]:
    """The jobs `snakemake -n all` would run: rule name -> count (empty when nothing is to be done)."""
    result = snakemake(workdir, "-n", "all", "--configfile", config)
    assert result.returncode == 0, result.stderr[-3000:]
    output = result.stdout + result.stderr
    if "Nothing to be done" in output:
        return {}
    table = output[output.index("Job stats:"):]
    return {rule: int(count) for rule, count in re.findall(r"^(\w+)\s+(\d+)$", table, re.M) if rule != "total"}


def study_with(config: dict, workdir, name="study.yaml"):
    (workdir / "configs" / name).write_text(yaml.safe_dump(config))
    return f"configs/{name}"


@pytest.mark.slow
def test_only_what_changed_reruns(tmp_path):
    workdir = workflow_copy(tmp_path)
    config = toy_study("reruns", methods=("wgan-gp", "sngan"), seeds=(0, 1), iterations=4)
    config["methods"] = {"gp-fast": {"preset": "wgan-gp", "lr_d": 2.0e-4}}
    config["grids"][0]["methods"] = ["gp-fast", "sngan"]
    config["critic_fit"] = {"steps": 3}
    path = study_with(config, workdir)
    done = snakemake(workdir, "--cores", "2", "all", "--configfile", path)
    assert done.returncode == 0, done.stderr[-3000:]
    for run in (workdir / "results" / "reruns" / "runs").glob("*/*/*/seed*"):
        spec = yaml.safe_load((run / "run.yaml").read_text())
        assert spec["run_id"] == "/".join(run.parts[-4:]) and spec["config_hash"] and spec["versions"]["torch"]
        assert json.loads((run / "critic_fit.json").read_text())["status"] == "ok"

    # A finished study: nothing to do.
    assert planned_jobs(workdir, path) == {}

    # A report option: only the report rules.
    config["report"] = {"reference_method": "sngan"}
    path = study_with(config, workdir)
    assert planned_jobs(workdir, path) == {"all": 1, "collect_runs": 1, "build_report": 1}

    # One method's learning rate: that method's runs (train and score, both seeds) and the report.
    config["methods"]["gp-fast"]["lr_d"] = 3.0e-4
    path = study_with(config, workdir)
    assert planned_jobs(workdir, path) == {"all": 1, "train_run": 2, "score_run": 2, "fit_critic": 2,
                                           "collect_runs": 1, "build_report": 1}
