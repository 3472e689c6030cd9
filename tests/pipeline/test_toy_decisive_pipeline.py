"""configs/toy-decisive.yaml through snakemake, shrunk: toy runs train to their W1 plateau, the toy floor
reaches the report beside them, and each run's critic is fitted for WGAN-GP Fig. 1a."""

import json

import pandas as pd
import pytest
import yaml

from tests.pipeline.test_pipeline import snakemake, workflow_copy


def tiny_decisive(workdir) -> dict:
    """The decisive study's own structure (its methods, plateau rule, critic fit), on small nets and budgets."""
    study = yaml.safe_load((workdir / "configs" / "toy-decisive.yaml").read_text())
    study["experiment"] = "toy-decisive-tiny"
    study["archs"]["toy-script"]["width"] = 16
    study["train"].update(iterations=40, eval_every=4, eval_samples=200, checkpoint_every=4, log_every=4)
    study["train"]["plateau"].update(window=2, tolerance=0.25)
    study["critic_fit"]["steps"] = 20
    grid = study["grids"][0]
    grid.update(data=["toy-8gaussians", "toy-swissroll"], methods=["wgan-gp-toy", "wgan-wc-toy"], seeds=[0])
    return study


@pytest.mark.slow
def test_a_tiny_decisive_study_trains_to_plateaus_and_reports_the_toy_floor(tmp_path):
    workdir = workflow_copy(tmp_path)
    (workdir / "configs" / "tiny.yaml").write_text(yaml.safe_dump(tiny_decisive(workdir)))
    result = snakemake(workdir, "--cores", "2", "all", "--configfile", "configs/tiny.yaml")
    assert result.returncode == 0, result.stderr[-4000:]
    results = workdir / "results" / "toy-decisive-tiny"
    runs = sorted((results / "runs").glob("*/*/*/seed0"))
    assert len(runs) == 4
    for run in runs:
        summary = json.loads((run / "train.json").read_text())
        assert summary["stop_reason"] in ("plateau", "cap"), run
        curve = pd.read_csv(run / "curve.csv")
        assert curve["step"].iloc[-1] == summary["steps"] and curve["w1"].gt(0).all()
        assert json.loads((run / "critic_fit.json").read_text())["critic_steps"] == 20
    floors = {data: json.loads((results / "reference" / data / "real_metrics.json").read_text())
              for data in ("toy-8gaussians", "toy-swissroll")}
    assert floors["toy-8gaussians"]["metrics"]["modes_covered"] == 8
    assert 0 < floors["toy-swissroll"]["metrics"]["w1"] < 0.2
    table = pd.read_csv(results / "report" / "tables" / "results.csv")
    real = table[table["method"] == "real data"].set_index("data")
    assert real.loc["toy-8gaussians", "w1_mean"] == pytest.approx(floors["toy-8gaussians"]["metrics"]["w1"])
    assert "real data" in (results / "report" / "index.html").read_text()
