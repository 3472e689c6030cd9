"""Every verdict rule and reason code on synthetic runs built for it, and the families' adjustment."""

import json
import math
import subprocess
import sys

import numpy as np
import pytest
from scipy import stats as sps
from statsmodels.stats.multitest import multipletests

from suite.claims import CLAIMS, Claim, claims_table, find_runs, group, write_claims_table
from suite.claims.claim import Grid
from suite.claims.measures import Measure
from suite.claims.runs import MeasurementMissing
from suite.claims.table import Outcome, verdict_rows
from suite.claims.verdict import (BUDGET_BOUND, CONTRADICTED, DIVERGED, FAILS_MULTIPLICITY, INCONCLUSIVE, NOT_RUN,
                                  REPRODUCED, TOO_FEW_SEEDS, UNDERPOWERED, UNINFORMATIVE, UNREACHABLE, Evidence,
                                  evidence_for)
from tests.claims.helpers import make_run
from tests.conftest import REPO

FASHION, DCGAN = "fashion32", {"family": "dcgan"}
SN = group("SN", FASHION, DCGAN, d_norm="sn")
GP = group("GP", FASHION, DCGAN, constraint="gp")


def cpu_seconds(run) -> float:
    if run.diverged():
        return math.inf
    if run.train.get("cpu_seconds_per_step") is None:
        raise MeasurementMissing("no cpu_seconds_per_step")
    return float(run.train["cpu_seconds_per_step"])


SECONDS = Measure("CPU seconds per step", lambda groups: [np.array([cpu_seconds(r) for r in runs]) for runs in groups])


def paired_seconds(groups):
    a, b = ({run.seed: cpu_seconds(run) for run in runs} for runs in groups)
    common = sorted(set(a) & set(b))
    return [np.array([a[s] for s in common]), np.array([b[s] for s in common])]


def claim(claim_id="test-sn-cheaper", source="Test paper (2020), Fig. 1", groups=(SN, GP), measure=SECONDS,
          no_effect=0.0, direction=-1, **fields) -> Claim:
    return Claim(id=claim_id, source=source, statement="SN costs less per step than GP.", groups=groups,
                 measure=measure, no_effect=no_effect, direction=direction,
                 grids=(("cpu-small", Grid("configs/default.yaml", 3)),), **fields)


def study(tmp_path, sn, gp, **run):
    for seed, value in enumerate(sn):
        make_run(tmp_path, "sngan-ndis5", seed, cpu_seconds_per_step=value, **run)
    for seed, value in enumerate(gp):
        make_run(tmp_path, "wgan-gp", seed, cpu_seconds_per_step=value, **run)
    return find_runs(tmp_path / "synth")


def judged(run_dirs, *claims):
    return claims_table(run_dirs, list(claims)).set_index("id")


def test_two_sample_reproduced_with_welch_numbers(tmp_path):
    sn, gp = [1.0, 1.1, 0.9, 1.05], [2.0, 2.2, 1.8, 2.1]
    result = judged(study(tmp_path, sn, gp), claim()).iloc[0]
    assert result["verdict"] == REPRODUCED and result["reason_code"] == ""
    assert result["effect"] == pytest.approx(np.mean(sn) - np.mean(gp))
    assert result["p"] == pytest.approx(sps.ttest_ind(sn, gp, equal_var=False).pvalue)
    assert result["ci_high"] < 0 and result["seeds"] == "4 vs 4" and result["test"] == "Welch t"
    assert result["family"] == "Test paper (2020)" and result["family_m"] == 1


def test_two_sample_contradicted(tmp_path):
    result = judged(study(tmp_path, [2.0, 2.2, 1.8, 2.1], [1.0, 1.1, 0.9, 1.05]), claim()).iloc[0]
    assert result["verdict"] == CONTRADICTED and result["ci_low"] > 0


def test_underpowered_when_the_interval_straddles_with_seeds_needed(tmp_path):
    sn, gp = [1.0, 2.0, 1.5], [1.1, 1.9, 1.7]
    result = judged(study(tmp_path, sn, gp), claim()).iloc[0]
    assert result["verdict"] == INCONCLUSIVE and result["reason_code"] == UNDERPOWERED
    assert result["ci_low"] < 0 < result["ci_high"] and "straddles" in result["reason"]
    # the interval's near end crosses no-effect, so its end of the range is infinite
    assert 3 < result["seeds_needed"] < math.inf and result["seeds_needed_high"] == math.inf
    assert result["seeds_needed_low"] <= result["seeds_needed"]


def test_a_near_zero_effect_needs_infinitely_many_seeds_and_does_not_crash(tmp_path):
    result = judged(study(tmp_path, [0.1, 0.2, 0.4], [0.1, 0.4, 0.2]), claim()).iloc[0]
    assert result["reason_code"] == UNDERPOWERED and result["seeds_needed"] == math.inf


def test_too_few_seeds(tmp_path):
    result = judged(study(tmp_path, [1.0], [2.0, 2.1]), claim()).iloc[0]
    assert result["reason_code"] == TOO_FEW_SEEDS and "too few seeds (1 vs 2" in result["reason"]
    assert math.isnan(result["seeds_needed"])


def test_not_run_names_the_config_that_runs_it(tmp_path):
    result = judged(study(tmp_path, [1.0, 1.1], []), claim()).iloc[0]
    assert result["verdict"] == NOT_RUN and result["reason_code"] == ""
    assert "no runs of GP" in result["reason"] and "configs/default.yaml (cpu-small)" in result["reason"]


def test_diverged_runs_left_out_in_different_numbers_read_diverged(tmp_path):
    runs = study(tmp_path, [1.0, 1.1, 0.9], [2.0, 2.2, 1.8])
    make_run(tmp_path, "wgan-gp", 9, status="diverged")
    result = judged(find_runs(tmp_path / "synth"), claim()).iloc[0]
    assert result["seeds"] == "3 vs 3" and len(runs) == 6
    assert result["verdict"] == INCONCLUSIVE and result["reason_code"] == DIVERGED
    assert "left out in different numbers per group (0 vs 1)" in result["reason"]


def test_a_diverged_run_scores_the_worst_value_in_an_outcome_claim(tmp_path):
    study(tmp_path, [1.0, 1.1, 0.9], [2.0, 2.2, 1.8])
    make_run(tmp_path, "sngan-ndis5", 3, status="diverged")
    result = judged(find_runs(tmp_path / "synth"), claim(diverged_is_worst=True)).iloc[0]
    assert result["seeds"] == "4 vs 3"  # kept, as a failure
    assert result["effect"] == pytest.approx(np.mean([1.0, 1.1, 0.9, 2.2]) - 2.0)
    assert "1 diverged value(s) scored as the worst finite value 2.2" in result["reason"]


def test_budget_bound_when_runs_still_improve(tmp_path):
    steps = list(range(0, 1100, 100))
    falling = {"step": steps, "cpu_seconds": steps, "domain_fid": [300 - 20 * i for i in range(11)]}
    runs = study(tmp_path, [1.0, 1.1, 0.9, 1.05], [2.0, 2.2, 1.8, 2.1], curve=falling)
    result = judged(runs, claim(improving_metric="domain_fid")).iloc[0]
    assert result["verdict"] == INCONCLUSIVE and result["reason_code"] == BUDGET_BOUND
    assert "8 of 8 runs still improving" in result["reason"]
    flat = {"step": steps, "cpu_seconds": steps, "domain_fid": [100, 50] + [40 + (i % 2) for i in range(9)]}
    settled = study(tmp_path / "flat", [1.0, 1.1, 0.9, 1.05], [2.0, 2.2, 1.8, 2.1], curve=flat)
    assert judged(settled, claim(improving_metric="domain_fid")).iloc[0]["verdict"] == REPRODUCED


def test_fails_multiplicity_within_the_family_not_across_papers(tmp_path):
    sn, gp = [1.0, 1.3, 1.1], [1.5, 1.9, 1.7]  # Welch p ~ 0.03
    runs = study(tmp_path, sn, gp)
    alone = judged(runs, claim()).iloc[0]
    p = sps.ttest_ind(sn, gp, equal_var=False).pvalue
    assert 0.01 < p < 0.05 and alone["verdict"] == REPRODUCED
    siblings = [claim(f"test-sibling-{k}") for k in range(2)]
    crowded = judged(runs, claim(), *siblings)
    assert crowded.loc["test-sn-cheaper", "family_m"] == 3
    assert crowded.loc["test-sn-cheaper", "reason_code"] == FAILS_MULTIPLICITY
    assert crowded["holm_p"].tolist() == pytest.approx(multipletests([p] * 3, method="holm")[1].tolist())
    # another paper's claims leave this family's numbers alone
    other = [claim(f"test-other-{k}", source="Another paper (2021), Table 3") for k in range(5)]
    mixed = judged(runs, claim(), *other)
    assert mixed.loc["test-sn-cheaper", "holm_p"] == pytest.approx(alone["holm_p"])
    assert mixed.loc["test-sn-cheaper", "verdict"] == REPRODUCED


def test_registered_families_have_a_fixed_m_whatever_else_is_in_the_table(tmp_path):
    """A registered claim's Holm m counts its paper's claims registered at the study's scale, whether or
    not they are in the table or ran, and never another paper's."""
    runs = [make_run(tmp_path, "wgan-wc-c0.1", seed, data="toy-swissroll", arch="mlp12", experiment="default",
                     grad_norms=[[10.0 ** g, 1.0, 1.0]]) for seed, g in enumerate([2.0, 2.2, 1.9])]
    claim_id = "wgan-gp-fig1b-clip-explodes"
    alone = claims_table(runs, [CLAIMS[claim_id]]).set_index("id").loc[claim_id]
    everything = claims_table(runs).set_index("id")
    wgan_gp = [c for c in CLAIMS.values() if c.family == CLAIMS[claim_id].family
               and (not c.groups or c.grid("cpu-small"))]
    assert alone["family_m"] == everything.loc[claim_id, "family_m"] <= len(wgan_gp)
    for column in ("p", "holm_p", "bh_q", "verdict"):
        assert alone[column] == everything.loc[claim_id, column] or (
            isinstance(alone[column], float) and math.isnan(alone[column]) and math.isnan(everything.loc[claim_id, column]))
    sngan = claims_table(runs, [CLAIMS[claim_id]] + [c for c in CLAIMS.values() if c.family.startswith("SN-GAN")])
    assert sngan.set_index("id").loc[claim_id, "holm_p"] == pytest.approx(alone["holm_p"])


def mcnemar_claim(**fields):
    def pairs(groups):
        a, b = paired_seconds(groups)
        return [(a < 1.5).astype(float), (b < 1.5).astype(float)]
    return claim(measure=Measure("success = seconds below 1.5", pairs), test_kind="mcnemar", direction=1, **fields)


def test_unreachable_at_n_says_where_it_becomes_reachable(tmp_path):
    runs = study(tmp_path, [1.0, 1.0, 1.0], [2.0, 2.0, 2.0])  # all 3 pairs discordant: p = 2 / 2^3 = 0.25
    result = judged(runs, mcnemar_claim()).iloc[0]
    assert result["reason_code"] == UNREACHABLE and "reachable from 6 per group" in result["reason"]
    assert math.isnan(result["holm_p"])


def test_unreachable_claims_leave_the_family_tarone(tmp_path):
    runs = study(tmp_path, [1.0, 1.3, 1.1], [1.5, 1.9, 1.7])
    frame = judged(runs, claim(), mcnemar_claim(claim_id="test-mcnemar"))
    assert frame.loc["test-mcnemar", "reason_code"] == UNREACHABLE
    assert frame.loc["test-sn-cheaper", "family_m"] == 1 and frame.loc["test-sn-cheaper", "verdict"] == REPRODUCED


def test_uninformative_when_no_run_passes_or_nothing_varies(tmp_path):
    runs = study(tmp_path, [2.0] * 8, [2.0] * 8)  # 8 pairs would be reachable, but none passes 1.5
    result = judged(runs, mcnemar_claim()).iloc[0]
    assert result["reason_code"] == UNINFORMATIVE and "no run of either method passed" in result["reason"]
    assert math.isnan(result["p"]) and math.isnan(result["holm_p"]) and math.isnan(result["effect"])
    constant = judged(study(tmp_path / "c", [1.0] * 3, [1.0] * 3), claim()).iloc[0]
    assert constant["reason_code"] == UNINFORMATIVE and "do not vary" in constant["reason"]


def test_paired_t_tests_the_differences(tmp_path):
    sn, gp = [1.0, 2.0, 3.0, 4.0], [1.5, 2.4, 3.6, 4.5]
    result = judged(study(tmp_path, sn, gp), claim(measure=Measure("paired", paired_seconds),
                                                   test_kind="paired-t")).iloc[0]
    assert result["test"] == "paired t" and result["seeds"] == "4"
    assert result["p"] == pytest.approx(sps.ttest_rel(sn, gp).pvalue)
    assert result["verdict"] == REPRODUCED  # Welch on these spread-out groups could not tell


def test_worst_cell_is_one_sided_at_the_cell_with_the_largest_p():
    cells = [np.ones(6), np.array([1, 1, 1, 1, 0, 1.0]), np.ones(9)]
    evidence = evidence_for("worst-cell", cells, 0.5)
    assert evidence.p == pytest.approx(sps.binomtest(5, 6, 0.5, alternative="greater").pvalue)
    assert evidence.high == 1.0 and evidence.low == pytest.approx(
        sps.binomtest(5, 6).proportion_ci(0.90, method="exact").low)


def test_the_power_iteration_claim_is_computed_not_read():
    result = claims_table([], [CLAIMS["power-iteration-converges"]]).iloc[0]
    assert result["scale"] == "computed"
    assert result["verdict"] == REPRODUCED and math.isfinite(result["effect"])


def test_registry_holds_at_least_ten_claims_with_sources():
    assert len(CLAIMS) >= 10
    for registered in CLAIMS.values():
        assert registered.source and registered.statement.endswith(".")
        assert registered.grids or not registered.groups, registered.id
    assert sum(registered.observation for registered in CLAIMS.values()) >= 1


def test_definitions_never_import_the_registry():
    for path in (REPO / "suite" / "claims" / "definitions").glob("*.py"):
        assert "import registry" not in path.read_text() and "claims.registry import" not in path.read_text(), path


def test_claims_import_no_torch_and_no_report():
    code = "import sys, suite.claims; print(sorted(m for m in sys.modules if m in ('torch', 'suite.report')))"
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_outcomes_without_evidence_keep_their_place_in_m_at_a_registered_scale():
    first, second = claim("test-a"), claim("test-b")  # both registered at cpu-small
    evidence = Evidence(-1.0, -1.5, -0.5, 0.03, (3, 3))

    def rows(scale):
        return verdict_rows([Outcome(first, scale, evidence, values=[np.zeros(3), np.ones(3)]),
                             Outcome(second, scale, None, "not run here")]).set_index("id").loc["test-a"]

    assert rows("cpu-small")["family_m"] == 2 and rows("cpu-small")["holm_p"] == pytest.approx(0.06)
    # a study of its own has no registered design: its family is the claims it ran
    assert rows("study mine")["family_m"] == 1 and rows("study mine")["holm_p"] == pytest.approx(0.03)


@pytest.mark.slow
def test_writers_and_cli(tmp_path):
    runs = study(tmp_path, [1.0, 1.1, 0.9, 1.05], [2.0, 2.2, 1.8, 2.1])
    paths = write_claims_table(claims_table(runs), tmp_path / "out")
    assert sorted(path.suffix for path in paths) == [".csv", ".html", ".md", ".tex"]
    markdown = (tmp_path / "out" / "claims.md").read_text()
    assert "95% CI" in markdown and "reason code" in markdown and "seeds needed" in markdown
    out = subprocess.run([sys.executable, "-m", "suite", "claims", "--study", str(tmp_path / "synth")],
                         cwd=REPO, capture_output=True, text=True, check=True)
    assert "sngan-cheaper-than-gp" in out.stdout and "reason code" in out.stdout


def test_runs_that_hit_the_plateau_rules_cap_are_budget_bound(tmp_path):
    def stopped(folder, reason):
        summary = json.loads((folder / "train.json").read_text())
        (folder / "train.json").write_text(json.dumps({**summary, "stop_reason": reason}))

    runs = study(tmp_path, [1.0, 1.1, 0.9, 1.05], [2.0, 2.2, 1.8, 2.1])
    for folder in runs:
        stopped(folder, "plateau")
    settled = judged(runs, claim(improving_metric="domain_fid")).iloc[0]
    assert settled["verdict"] == REPRODUCED and "stops: 8 plateau" in settled["reason"]
    stopped(runs[0], "cap")
    capped = judged(runs, claim(improving_metric="domain_fid")).iloc[0]
    assert capped["reason_code"] == BUDGET_BOUND and "1 of 8 runs still improving" in capped["reason"]
    assert "stops: 1 cap, 7 plateau" in capped["reason"]
