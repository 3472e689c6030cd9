"""Seed statistics: checked against pandas/scipy computed here, and Holm against a hand computation."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from suite.errors import ConfigError
from suite.report.collect import collect_runs
from suite.report.stats import BOOT_SEED, bootstrap_ci, holm, mannwhitney_p, summarize, welch_p
from tests.report.test_synthetic import DIVERGED, make_tree

METRICS = ["fid", "kid_mean", "domain_fid", "domain_is"]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("stats")
    tree = make_tree(root)
    return collect_runs(tree["runs"], root / "runs.csv")


@pytest.fixture(scope="module")
def summary(runs):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning may escape, constant groups included
        return summarize(runs, METRICS, "wgan-gp")


def _row(summary, arch, method, metric):
    sel = summary[(summary["arch"] == arch) & (summary["method"] == method) & (summary["metric"] == metric)]
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


def test_bootstrap_ci_matches_scipy_and_brackets_the_mean(runs, summary):
    values = runs[(runs["arch"] == "dcgan") & (runs["method"] == "wgan-wc")]["fid"].to_numpy()
    res = sps.bootstrap((values,), np.mean, n_resamples=4999, method="percentile",
                        rng=np.random.default_rng(BOOT_SEED), confidence_level=0.95)
    got = _row(summary, "dcgan", "wgan-wc", "fid")
    assert (got["ci_low"], got["ci_high"]) == pytest.approx(
        (res.confidence_interval.low, res.confidence_interval.high), rel=1e-12)
    assert values.min() <= got["ci_low"] < got["mean"] < got["ci_high"] <= values.max()


def test_ci_of_a_constant_metric_is_degenerate(summary):
    got = _row(summary, "dcgan", "sngan", "domain_is")  # every seed wrote 5.0
    assert (got["mean"], got["std"], got["ci_low"], got["ci_high"]) == (5.0, 0.0, 5.0, 5.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert bootstrap_ci([2.5, 2.5, 2.5, 2.5]) == (2.5, 2.5)
        assert bootstrap_ci([7.0, np.nan]) == (7.0, 7.0)
        assert np.isnan(bootstrap_ci([np.nan, np.inf])[0])
        assert np.isnan(welch_p([1.0, 1.0, 1.0], [1.0, 1.0]))
        assert np.isnan(welch_p([1.0], [2.0, 3.0]))


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


def test_pairwise_tests_match_scipy_and_holm_spans_the_metric(runs, summary):
    ok = runs[runs["status"] == "ok"]
    raw = []
    for arch in ("dcgan", "resnet"):
        ref = ok[(ok["arch"] == arch) & (ok["method"] == "wgan-gp")]["fid"]
        assert np.isnan(_row(summary, arch, "wgan-gp", "fid")["p_welch"])
        for method in ("sngan", "wgan-wc"):
            other = ok[(ok["arch"] == arch) & (ok["method"] == method)]["fid"]
            got = _row(summary, arch, method, "fid")
            welch = sps.ttest_ind(other, ref, equal_var=False).pvalue
            mwu = sps.mannwhitneyu(other, ref, alternative="two-sided").pvalue
            assert got["p_welch"] == pytest.approx(welch, rel=1e-12)
            assert got["p_mwu"] == pytest.approx(mwu, rel=1e-12)
            raw.append((got, welch))
    # Holm over the 4 FID comparisons: sort ascending, multiply by 4, 3, 2, 1, running max.
    order = sorted(range(4), key=lambda i: raw[i][1])
    running = 0.0
    for k, i in enumerate(order):
        running = max(running, min(1.0, (4 - k) * raw[i][1]))
        assert raw[i][0]["p_welch_holm"] == pytest.approx(running, rel=1e-12)


def test_holm_against_hand_computation():
    # sorted: .005*4=.02, .01*3=.03, .03*2=.06, .04*1=.04 -> running max .02 .03 .06 .06
    np.testing.assert_allclose(holm([0.01, 0.04, 0.03, 0.005]), [0.03, 0.06, 0.06, 0.02])
    got = holm([np.nan, 0.2, 0.01])  # NaN is not a test: m = 2
    assert np.isnan(got[0]) and got[1:].tolist() == pytest.approx([0.2, 0.02])
    assert holm([0.6, 0.7]).tolist() == [1.0, 1.0]
    assert holm([]).size == 0


def test_mann_whitney_two_sided_on_separated_samples():
    # Exact two-sided p for complete separation of 3 vs 3: 2 / C(6, 3) = 0.1
    assert mannwhitney_p([1.0, 2.0, 3.0], [4.0, 5.0, 6.0]) == pytest.approx(0.1)
    assert np.isnan(mannwhitney_p([], [1.0]))


def test_unknown_metric_or_reference_is_a_config_error(runs):
    with pytest.raises(ConfigError, match="allowed"):
        summarize(runs, ["fid", "lpips"], "wgan-gp")
    with pytest.raises(ConfigError, match="reference_method"):
        summarize(runs, ["fid"], "began")


def test_missing_rows_are_counted_not_averaged(runs):
    with_missing = runs.copy()
    with_missing.loc[0, "status"] = "missing"
    out = summarize(with_missing, ["fid"], "wgan-gp")
    arch, method = with_missing.loc[0, "arch"], with_missing.loc[0, "method"]
    got = _row(out, arch, method, "fid")
    assert (got["n_seeds"], got["n_missing"], got["n"]) == (2, 1, 2)
    assert got["mean"] == pytest.approx(runs[(runs["arch"] == arch) & (runs["method"] == method)]["fid"].iloc[1:].mean())
