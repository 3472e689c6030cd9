"""The real pipeline on a tiny text study: the fortunes corpus the tests write, both objectives on narrow 1-d
conv ResNets; then the n-gram metrics in metrics.json and runs.csv, the text samples and the section 5.5 claims
in the report."""

import html
import json
import math

import pandas as pd
import pytest
import yaml

from tests.pipeline.test_pipeline import snakemake, workflow_copy

TEXT_CLAIMS = ("wgan-gp-5.5-standard-gan-learns-little", "wgan-gp-5.5-gp-beats-standard-on-text")


def text_study() -> dict:
    return {
        "experiment": "text-test",
        "threads": 1,
        "archs": {"narrow": {"family": "text-resnet", "width": 8, "blocks": 1}},
        "methods": {"wgan-gp-text": {"preset": "wgan-gp", "g_norm": "none", "n_dis": 2},
                    "gan-text": {"preset": "wgan-gp", "loss": "ns", "constraint": "none", "g_norm": "none",
                                 "n_dis": 2}},
        "train": {"iterations": 4, "batch_size": 16, "log_every": 2, "checkpoint_every": 2, "eval_every": 0,
                  "diagnostics_every": 0},
        "evaluate": {"n_gen": 40, "n_ref": 40, "inception": False, "domain": False, "batch_size": 16},
        "grids": [{"data": ["text-fortunes"], "archs": ["narrow"], "methods": ["wgan-gp-text", "gan-text"],
                   "seeds": [0, 1]}],
    }


@pytest.mark.slow
def test_text_study_scores_ngram_js_and_lists_the_text_claims(tmp_path):
    workdir = workflow_copy(tmp_path)
    (workdir / "configs" / "text-test.yaml").write_text(yaml.safe_dump(text_study()))
    done = snakemake(workdir, "--cores", "2", "all", "--configfile", "configs/text-test.yaml")
    assert done.returncode == 0, done.stderr[-4000:]

    runs = sorted((workdir / "results" / "text-test" / "runs").glob("text-fortunes/narrow/*/seed*"))
    assert len(runs) == 4
    for run in runs:
        record = json.loads((run / "metrics.json").read_text())
        assert record["status"] == "ok"
        for key in ("js1", "js2", "js3", "js4", "js4_floor", "js4_untrained"):
            assert 0.0 <= record["metrics"][key] <= 1.0, (run, key)
        assert record["metrics"]["js1_floor"] < record["metrics"]["js4_floor"], "longer n-grams are rarer"
        assert record["metrics"]["fid"] is None and "text" in record["unavailable"]["fid"]
        assert (record["protocol"]["n_gen"], record["protocol"]["js_log_base"]) == (40, 2)
        lines = (run / "samples.txt").read_text(encoding="utf-8").splitlines()
        assert len(lines) == 32 and all(len(line) == 32 for line in lines)
        assert (run / "samples.png").stat().st_size > 0

    report = workdir / "results" / "text-test" / "report"
    table = pd.read_csv(report / "runs.csv")
    assert {"js1", "js2", "js3", "js4", "js4_floor"} <= set(table.columns)
    assert table["js4"].map(math.isfinite).all()
    claims = pd.read_csv(next(report.rglob("claims.csv"))).set_index("id")
    for claim_id in TEXT_CLAIMS:
        assert claim_id in claims.index
        assert isinstance(claims.loc[claim_id, "verdict"], str) and claims.loc[claim_id, "verdict"]
    page = (report / "index.html").read_text(encoding="utf-8")
    shown = (workdir / "results" / "text-test" / "runs" / "text-fortunes" / "narrow" / "wgan-gp-text" / "seed0" /
             "samples.txt").read_text(encoding="utf-8").splitlines()[0]
    assert "Text samples" in page and html.escape(shown) in page
