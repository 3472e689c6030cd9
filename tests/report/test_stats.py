"""Cell statistics and comparisons: checked against pandas/scipy/statsmodels computed here."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps
from statsmodels.stats.multitest import multipletests

from suite.errors import ConfigError
from suite.report.collect import collect_runs
from suite.report.stats import BEST, TIED, analyze, curve_trends, variance_split
from tests.report.test_synthetic import DIVERGED, make_tree

METRICS = ["fid", "kid_mean", "domain_fid", "domain_is"]


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    return make_tree(tmp_path_factory.mktemp("stats"))


@pytest.fixture(scope="module")
def runs(tree):
    return collect_runs(tree["runs"], tree["run_root"].parent / "runs.csv")


@pytest.fixture(scope="module")
def analysis(runs):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning may escape, constant groups included
        return analyze(runs, METRICS, "wgan-gp")


@pytest.fixture(scope="module")
def summary(analysis):
    return analysis.summary


def _row(summary, arch, method, metric):
    sel = summary[(summary["arch"] == arch) & (summary["method"] == method) & (summary["metric"] == metric)]
    assert len(sel) == 1
    return sel.iloc[0]


def _pair(comparisons, arch, a, b, metric="fid"):
    sel = comparisons[(comparisons["arch"] == arch) & (comparisons["metric"] == metric)
                      & (comparisons["method"] == a) & (comparisons["versus"] == b)]
    assert len(sel) == 1
    return sel.iloc[0]


def test_location_and_spread_match_pandas(runs, summary):
    ok = runs[runs["status"] == "ok"]
    expected = ok.groupby(["arch", "method"])[METRICS].agg(["mean", "std", "median", "count"])
    for (arch, method), exp in expected.iterrows():
        for metric in METRICS:
            got = _row(summary, arch, method, metric)
            assert got["mean"] == pytest.approx(exp[(metric, "mean")], rel=1e-12)
            assert got["std"] == pytest.approx(exp[(metric, "std")], rel=1e-12)  # pandas std is ddof=1
            assert got["median"] == pytest.approx(exp[(metric, "median")], rel=1e-12)
            assert got["n"] == exp[(metric, "count")]


def test_t_interval_per_cell_with_n(runs, summary):
    values = runs[(runs["arch"] == "dcgan") & (runs["method"] == "wgan-wc")]["fid"].to_numpy()
    lo, hi = sps.t.interval(0.95, 2, loc=values.mean(), scale=sps.sem(values))
    got = _row(summary, "dcgan", "wgan-wc", "fid")
    assert (got["ci_low"], got["ci_high"], got["n"], got["ci_method"]) == (pytest.approx(lo), pytest.approx(hi), 3, "t")
    # wider than the seeds' range: an honest interval at n = 3
    assert got["ci_low"] < values.min() and got["ci_high"] > values.max()


def test_ci_of_a_constant_metric_is_degenerate(summary):
    got = _row(summary, "dcgan", "sngan", "domain_is")  # every seed wrote 5.0
    assert (got["mean"], got["std"], got["ci_low"], got["ci_high"]) == (5.0, 0.0, 5.0, 5.0)


def test_one_seed_cell_says_so(runs):
    one = runs[~((runs["arch"] == "dcgan") & (runs["method"] == "sngan") & (runs["seed"] > 0))]
    got = _row(analyze(one, ["fid"], "wgan-gp").summary, "dcgan", "sngan", "fid")
    assert (got["n"], got["ci_method"]) == (1, "1 seed") and np.isnan(got["ci_low"]) and np.isnan(got["std"])


def test_diverged_runs_are_counted_and_excluded(runs, summary):
    arch, method, seed = DIVERGED
    got = _row(summary, arch, method, "fid")
    assert (got["n_seeds"], got["n_diverged"], got["n"]) == (3, 1, 2)
    ok = runs[(runs["arch"] == arch) & (runs["method"] == method) & (runs["seed"] != seed)]["fid"]
    assert got["mean"] == pytest.approx(ok.mean())
    assert got["mean"] < 100  # the diverged run's recorded fid (999) is not averaged in
    assert _row(summary, "dcgan", method, "fid")["n_diverged"] == 0


def test_ranks_follow_each_metric_direction(summary):
    for metric, ascending in (("fid", True), ("domain_is", False)):
        for arch in ("dcgan", "resnet"):
            sub = summary[(summary["arch"] == arch) & (summary["metric"] == metric)]
            expected = sub["mean"].rank(method="min", ascending=ascending)
            assert sub["rank"].tolist() == expected.tolist()
    assert _row(summary, "dcgan", "sngan", "fid")["rank"] == 1  # lowest FID by construction
    assert _row(summary, "dcgan", "wgan-wc", "fid")["rank"] == 3


def test_comparisons_match_scipy_and_holm_spans_the_metric(runs, analysis):
    ok = runs[runs["status"] == "ok"]
    comparisons = analysis.comparisons
    fid = comparisons[comparisons["metric"] == "fid"]
    # per arch: sngan vs wgan-gp (also leader vs runner-up), wgan-wc vs wgan-gp, and the leader sngan vs
    # wgan-wc; one test per pair, Holm over all six
    assert len(fid) == 6 and fid["vs_reference"].sum() == 4 and fid["top_pair"].sum() == 2
    assert fid["vs_leader"].sum() == 4 and (fid.loc[fid["vs_leader"], "method"] == "sngan").all()
    for arch in ("dcgan", "resnet"):
        ref = ok[(ok["arch"] == arch) & (ok["method"] == "wgan-gp")]["fid"].to_numpy()
        for method in ("sngan", "wgan-wc"):
            other = ok[(ok["arch"] == arch) & (ok["method"] == method)]["fid"].to_numpy()
            got = _pair(comparisons, arch, method, "wgan-gp")
            test = sps.ttest_ind(other, ref, equal_var=False)
            ci = test.confidence_interval(0.95)
            assert got["p_welch"] == pytest.approx(test.pvalue, rel=1e-12)
            assert (got["diff"], got["diff_low"], got["diff_high"]) == pytest.approx(
                (other.mean() - ref.mean(), ci.low, ci.high), rel=1e-10)
            pooled = np.sqrt(((other.size - 1) * other.var(ddof=1) + (ref.size - 1) * ref.var(ddof=1))
                             / (other.size + ref.size - 2))
            d = (other.mean() - ref.mean()) / pooled
            # J(m) = Gamma(m/2) / (sqrt(m/2) Gamma((m-1)/2)): m = 4 -> 0.7978845608, m = 3 -> 0.7236012546
            j = {4: 0.7978845608, 3: 0.7236012546}[other.size + ref.size - 2]
            assert got["hedges_g"] == pytest.approx(j * d, rel=1e-9)
            assert got["rank_note"] == "too few seeds for a rank test" and np.isnan(got["p_rank"])
    assert fid["p_holm"].tolist() == pytest.approx(multipletests(fid["p_welch"], method="holm")[1].tolist(), rel=1e-12)


def test_best_only_when_earned(analysis):
    summary, comparisons = analysis.summary, analysis.comparisons
    # FID: sngan is lowest on both archs by ~10 FID at SD ~2: it beats the runner-up at Holm p < 0.05
    for arch in ("dcgan", "resnet"):
        pair = _pair(comparisons, arch, "sngan", "wgan-gp")
        assert pair["top_pair"] and pair["p_holm"] < 0.05
        marks = summary[(summary["arch"] == arch) & (summary["metric"] == "fid")].set_index("method")["mark"]
        assert marks.to_dict() == {"wgan-gp": "", "sngan": BEST, "wgan-wc": ""}
    # domain IS: the top two on dcgan differ by 0.01 at SD 0.8: tied, with the seeds that would separate them
    pair = comparisons[(comparisons["metric"] == "domain_is") & (comparisons["arch"] == "dcgan") & comparisons["top_pair"]].iloc[0]
    assert pair["p_holm"] >= 0.05 and pair["seeds_to_separate"] > 1000
    marks = summary[(summary["arch"] == "dcgan") & (summary["metric"] == "domain_is")].set_index("method")["mark"]
    # tied: the leader and every method it does not beat
    leader_rows = comparisons[(comparisons["metric"] == "domain_is") & (comparisons["arch"] == "dcgan")
                              & comparisons["vs_leader"]]
    unbeaten = leader_rows.loc[leader_rows["p_holm"] >= 0.05, "versus"].tolist()
    assert pair["versus"] in unbeaten
    assert sorted(marks[marks == TIED].index) == sorted([pair["method"], *unbeaten])
    assert BEST not in set(summary[summary["metric"] == "domain_is"]["mark"])
    # resnet domain IS: the top two exclude the reference, so leader vs runner-up is a test of its own
    extra = comparisons[(comparisons["metric"] == "domain_is") & (comparisons["arch"] == "resnet") & ~comparisons["vs_reference"]]
    assert len(extra) == 1 and extra.iloc[0]["top_pair"]


def test_variance_split_against_hand_computation():
    values = np.array([10.0, 12.0, 14.0])  # var 4
    assert variance_split(values, np.array([0.5, 0.5, 0.5])) == (0.5, "training seeds")  # 3.75 vs 0.25
    sd, dominant = variance_split(values, np.array([3.0, 1.0, 3.0]))  # mean se^2 = 19/3 > var: training part 0
    assert sd == pytest.approx(np.sqrt(19 / 3)) and dominant == "sampling"
    assert np.isnan(variance_split(values, np.empty(0))[0])


def test_variance_split_from_runs_table(runs):
    with_se = runs.assign(fid_sampling_se=0.1)
    got = _row(analyze(with_se, ["fid"], "wgan-gp").summary, "dcgan", "sngan", "fid")
    assert got["sampling_sd"] == pytest.approx(0.1) and got["dominant"] == "training seeds"


def test_curve_trends_flag_runs_still_improving(tree, runs):
    falling = tree["run_root"] / "fashion32" / "dcgan" / "sngan" / "seed0" / "curve.csv"
    frame = pd.read_csv(falling)
    frame["domain_fid"] = 100.0 - frame["step"] / 2  # falls steadily to the end
    frame.to_csv(falling, index=False)
    trends = curve_trends(runs)
    assert len(trends) == 17 and set(trends["curve_metric"]) == {"domain_fid"}  # the diverged run has none
    got = trends[(trends["arch"] == "dcgan") & (trends["method"] == "sngan") & (trends["seed"] == 0)].iloc[0]
    assert got["improving"] == True and got["improvement"] == pytest.approx(10.0)  # noqa: E712 (step 80 -> 100)
    cell = _row(analyze(runs, ["fid"], "wgan-gp", trends).summary, "dcgan", "sngan", "fid")
    expected = int((trends[(trends["arch"] == "dcgan") & (trends["method"] == "sngan")]["improving"] == True).sum())  # noqa: E712
    assert cell["n_improving"] == expected >= 1


def test_unknown_metric_or_reference_is_a_config_error(runs):
    with pytest.raises(ConfigError, match="allowed"):
        analyze(runs, ["fid", "lpips"], "wgan-gp")
    with pytest.raises(ConfigError, match="reference_method"):
        analyze(runs, ["fid"], "began")


def test_missing_rows_are_counted_not_averaged(runs):
    with_missing = runs.copy()
    with_missing.loc[0, "status"] = "missing"
    out = analyze(with_missing, ["fid"], "wgan-gp").summary
    arch, method = with_missing.loc[0, "arch"], with_missing.loc[0, "method"]
    got = _row(out, arch, method, "fid")
    assert (got["n_seeds"], got["n_missing"], got["n"]) == (2, 1, 2)
    assert got["mean"] == pytest.approx(runs[(runs["arch"] == arch) & (runs["method"] == method)]["fid"].iloc[1:].mean())


def test_a_single_method_study_has_no_comparisons_and_no_marks(runs):
    one = runs[runs["method"] == "sngan"]
    analysis = analyze(one, ["fid"], "sngan")
    assert analysis.comparisons.empty and set(analysis.summary["mark"]) == {""}
