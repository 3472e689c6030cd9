"""Every verdict rule on synthetic runs: reproduced, contradicted, inconclusive and not run."""

import math
import subprocess
import sys

import numpy as np
import pytest
from scipy import stats as sps
from statsmodels.stats.multitest import multipletests

from suite.claims import CLAIMS, claims_table, find_runs, write_claims_table
from suite.claims.verdict import INCONCLUSIVE, NOT_RUN, REPRODUCED, Evidence, decide
from tests.claims.helpers import make_run
from tests.conftest import REPO

CHEAPER = "sngan-cheaper-than-gp"
EXPLODES = "wgan-gp-fig1b-clip-explodes"


def cost_study(tmp_path, sn, gp):
    for seed, value in enumerate(sn):
        make_run(tmp_path, "sngan-ndis5", seed, cpu_seconds_per_step=value)
    for seed, value in enumerate(gp):
        make_run(tmp_path, "wgan-gp", seed, cpu_seconds_per_step=value)
    return find_runs(tmp_path / "synth")


def row(claim_id, run_dirs):
    frame = claims_table(run_dirs, [CLAIMS[claim_id]])
    return frame.iloc[0]


def test_two_sample_reproduced_with_welch_numbers(tmp_path):
    sn, gp = [1.0, 1.1, 0.9, 1.05], [2.0, 2.2, 1.8, 2.1]
    result = row(CHEAPER, cost_study(tmp_path, sn, gp))
    a, b = np.log10(sn), np.log10(gp)
    assert result["verdict"] == REPRODUCED
    assert result["effect"] == pytest.approx(a.mean() - b.mean())
    assert result["p"] == pytest.approx(sps.ttest_ind(a, b, equal_var=False).pvalue)
    assert result["ci_high"] < 0 and result["seeds"] == "4 vs 4" and result["test"] == "Welch t"


def test_two_sample_contradicted(tmp_path):
    result = row(CHEAPER, cost_study(tmp_path, [2.0, 2.2, 1.8, 2.1], [1.0, 1.1, 0.9, 1.05]))
    assert result["verdict"] == "contradicted" and result["ci_low"] > 0


def test_two_sample_inconclusive_when_the_interval_straddles(tmp_path):
    result = row(CHEAPER, cost_study(tmp_path, [1.0, 2.0, 1.5], [1.1, 1.9, 1.6]))
    assert result["verdict"] == INCONCLUSIVE
    assert result["ci_low"] < 0 < result["ci_high"]
    assert "straddles" in result["reason"] and "seeds per group would detect" in result["reason"]


def test_too_few_seeds_is_inconclusive(tmp_path):
    result = row(CHEAPER, cost_study(tmp_path, [1.0], [2.0, 2.1]))
    assert result["verdict"] == INCONCLUSIVE and "too few seeds (1 vs 2" in result["reason"]


def test_not_run_names_the_config_that_runs_it(tmp_path):
    result = row(CHEAPER, cost_study(tmp_path, [1.0, 1.1], []))
    assert result["verdict"] == NOT_RUN
    assert "no runs of WGAN-GP" in result["reason"] and "configs/claims.yaml (cpu-overnight)" in result["reason"]


def test_diverged_runs_are_left_out_and_said(tmp_path):
    runs = cost_study(tmp_path, [1.0, 1.1, 0.9], [2.0, 2.2, 1.8])
    make_run(tmp_path, "wgan-gp", 9, status="diverged")
    result = row(CHEAPER, find_runs(tmp_path / "synth"))
    assert result["seeds"] == "3 vs 3" and "1 diverged run(s) left out" in result["reason"]
    assert len(runs) == 6


def explode_study(tmp_path, growths):
    for seed, growth in enumerate(growths):
        make_run(tmp_path, "wgan-wc-c0.1", seed, data="toy-swissroll", arch="mlp12",
                 grad_norms=[[10.0 ** growth, 1.0, 1.0]])
    return find_runs(tmp_path / "synth")


def test_one_sample_reproduced_contradicted_inconclusive(tmp_path):
    up = row(EXPLODES, explode_study(tmp_path / "up", [2.0, 2.2, 1.9]))
    assert up["verdict"] == REPRODUCED
    assert up["p"] == pytest.approx(sps.ttest_1samp([2.0, 2.2, 1.9], 0.0).pvalue)
    assert row(EXPLODES, explode_study(tmp_path / "down", [-2.0, -2.2, -1.9]))["verdict"] == "contradicted"
    mixed = row(EXPLODES, explode_study(tmp_path / "mixed", [1.0, -1.0, 0.5]))
    assert mixed["verdict"] == INCONCLUSIVE and "straddles" in mixed["reason"]


def test_missing_measurement_is_not_run_with_the_reason(tmp_path):
    for seed in range(3):
        make_run(tmp_path, "sngan-ndis5", seed, data="toy-swissroll", arch="mlp12", sigmas=[(1.0, 1.0)])
    result = row("sngan-gradient-bound", find_runs(tmp_path / "synth"))
    assert result["verdict"] == NOT_RUN and result["reason"].startswith("measurement missing")


def test_runs_without_the_measurement_are_left_out_not_the_claim(tmp_path):
    errors = [0.01, 0.02, 0.015]
    for seed, error in enumerate(errors):
        make_run(tmp_path, "sngan-ndis5", seed, sigmas=[(1.0 + error, 1.0)])
    make_run(tmp_path, "sngan-ndis5", 3)  # a run of the same group that recorded no diagnostics
    result = row("sngan-appendix-a-tracks-sigma", find_runs(tmp_path / "synth"))
    assert result["seeds"] == "3" and result["effect"] == pytest.approx(np.mean(errors))
    assert "1 run(s) without a finite value left out" in result["reason"]


def test_holm_adjusts_across_the_table(tmp_path):
    cost_study(tmp_path, [1.0, 1.1, 0.9, 1.05], [2.0, 2.2, 1.8, 2.1])
    for seed, growth in enumerate([0.3, 0.1, 0.25]):
        make_run(tmp_path, "wgan-wc-c0.1", seed, data="toy-swissroll", arch="mlp12",
                 grad_norms=[[10.0 ** growth, 1.0]])
    frame = claims_table(find_runs(tmp_path / "synth"), [CLAIMS[CHEAPER], CLAIMS[EXPLODES]])
    assert frame["holm_p"].tolist() == pytest.approx(multipletests(frame["p"], method="holm")[1].tolist())


def test_an_interval_that_excludes_but_fails_holm_is_inconclusive():
    evidence = Evidence(effect=-1.0, low=-1.9, high=-0.1, p=0.03, n=(3, 3))
    verdict, reason = decide(evidence, no_effect=0.0, direction=-1, p_holm=0.09)
    assert verdict == INCONCLUSIVE and "not after Holm" in reason
    assert decide(evidence, 0.0, -1, 0.03)[0] == REPRODUCED


def test_the_power_iteration_claim_is_computed_not_read():
    frame = claims_table([], [CLAIMS["power-iteration-converges"]])
    result = frame.iloc[0]
    assert result["scale"] == "computed" and result["seeds"] == "10"
    assert result["verdict"] in ("reproduced", "contradicted", "inconclusive") and math.isfinite(result["effect"])


def test_registry_holds_at_least_ten_claims_with_sources():
    assert len(CLAIMS) >= 10
    for claim in CLAIMS.values():
        assert claim.source and claim.statement.endswith(".")
        assert claim.grids or not claim.groups, claim.id
    assert sum(claim.observation for claim in CLAIMS.values()) >= 1


def test_definitions_never_import_the_registry():
    for path in (REPO / "suite" / "claims" / "definitions").glob("*.py"):
        assert "import registry" not in path.read_text() and "claims.registry import" not in path.read_text(), path


def test_claims_import_no_torch_and_no_report():
    code = "import sys, suite.claims; print(sorted(m for m in sys.modules if m in ('torch', 'suite.report')))"
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.slow
def test_writers_and_cli(tmp_path):
    runs = cost_study(tmp_path, [1.0, 1.1, 0.9, 1.05], [2.0, 2.2, 1.8, 2.1])
    paths = write_claims_table(claims_table(runs), tmp_path / "out")
    assert sorted(path.suffix for path in paths) == [".csv", ".html", ".md", ".tex"]
    assert "95% CI" in (tmp_path / "out" / "claims.md").read_text()
    out = subprocess.run([sys.executable, "-m", "suite", "claims", "--study", str(tmp_path / "synth")],
                         cwd=REPO, capture_output=True, text=True, check=True)
    assert CHEAPER in out.stdout and "reproduced" in out.stdout
