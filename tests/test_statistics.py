"""suite.statistics against scipy, statsmodels and closed forms on synthetic data."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps
from statsmodels.stats.power import TTestIndPower
from statsmodels.stats.weightstats import CompareMeans, DescrStatsW

from suite import statistics as st

A = np.array([40.1, 43.7, 38.2])
B = np.array([30.4, 29.1, 35.6, 31.0])


def test_t_interval_closed_form_at_three_seeds():
    got = st.mean_interval(A)
    s = A.std(ddof=1)
    # t_{0.975, 2} = 4.302652729749464 (any t table); half-width 4.3027 s / sqrt(3) = 2.484 s
    half = 4.302652729749464 * s / math.sqrt(3)
    assert (got.n, got.method) == (3, "t")
    assert (got.low, got.high) == pytest.approx((A.mean() - half, A.mean() + half), rel=1e-12)
    assert half / s == pytest.approx(2.484, abs=1e-3)
    lo, hi = DescrStatsW(A).tconfint_mean(alpha=0.05)
    assert (got.low, got.high) == pytest.approx((lo, hi), rel=1e-12)


def test_t_interval_covers_95_percent_in_2000_draws_of_three():
    rng = np.random.default_rng(12345)
    draws = rng.normal(loc=7.0, scale=2.0, size=(2000, 3))
    covered = 0
    for x in draws:
        interval = st.mean_interval(x)
        covered += interval.low <= 7.0 <= interval.high
    assert abs(covered / 2000 - 0.95) <= 0.015, covered / 2000
    # the old percentile bootstrap of 3 values lies within min..max: it covers far less
    inside = np.mean([x.min() <= 7.0 <= x.max() for x in draws])
    assert inside == pytest.approx(0.75, abs=0.03)  # P(mean in [min, max]) = 1 - 2 * (1/2)^3


def test_bca_from_ten_seeds_matches_scipy():
    x = np.random.default_rng(3).gamma(2.0, 3.0, size=12)
    got = st.mean_interval(x)
    ref = sps.bootstrap((x,), np.mean, n_resamples=st.BOOT_RESAMPLES, method="BCa",
                        rng=np.random.default_rng(st.BOOT_SEED)).confidence_interval
    assert (got.n, got.method) == (12, "BCa")
    assert (got.low, got.high) == pytest.approx((ref.low, ref.high), rel=1e-12)
    assert st.mean_interval(x[:9]).method == "t"
    assert st.mean_interval(np.full(10, 2.5)) == st.Interval(2.5, 2.5, 2.5, 10, "BCa")


def test_one_seed_has_no_interval_and_non_finite_values_drop():
    assert st.mean_interval([5.0, np.nan, None, np.inf]) == st.Interval(5.0, None, None, 1, "1 seed")
    empty = st.mean_interval([np.nan])
    assert (empty.n, empty.low, empty.method) == (0, None, "no seeds") and math.isnan(empty.mean)
    np.testing.assert_array_equal(st.finite([1, "x", None, 2.5, -np.inf]), [1.0, 2.5])


def test_welch_and_difference_interval_match_scipy_and_statsmodels():
    assert st.welch_p(A, B) == pytest.approx(sps.ttest_ind(A, B, equal_var=False).pvalue, rel=1e-12)
    got = st.mean_difference(A, B)
    lo, hi = CompareMeans(DescrStatsW(A), DescrStatsW(B)).tconfint_diff(alpha=0.05, usevar="unequal")
    assert got.diff == pytest.approx(A.mean() - B.mean())
    assert (got.low, got.high) == pytest.approx((lo, hi), rel=1e-10)
    ci = sps.ttest_ind(A, B, equal_var=False).confidence_interval(0.95)
    assert (got.low, got.high) == pytest.approx((ci.low, ci.high), rel=1e-10)
    assert st.mean_difference([1.0], B).low is None and math.isnan(st.welch_p([1.0], B))
    assert math.isnan(st.welch_p([2.0, 2.0], [2.0, 2.0, 2.0]))


def test_hedges_g_closed_form():
    # a = [1, 2, 3], b = [3, 4, 5]: pooled SD 1, d = -2; m = 4, J = Gamma(2) / (sqrt(2) Gamma(1.5)) = 0.797885
    assert st.hedges_g([1.0, 2.0, 3.0], [3.0, 4.0, 5.0]) == pytest.approx(-2 * 0.7978845608, rel=1e-9)
    # large m: J -> 1 - 3 / (4 m - 1) (Hedges 1981)
    rng = np.random.default_rng(0)
    a, b = rng.normal(1, 1, 200), rng.normal(0, 1, 300)
    pooled = math.sqrt((199 * a.var(ddof=1) + 299 * b.var(ddof=1)) / 498)
    d = (a.mean() - b.mean()) / pooled
    assert st.hedges_g(a, b) == pytest.approx(d * (1 - 3 / (4 * 498 - 1)), rel=1e-6)
    assert math.isnan(st.hedges_g([1.0, 1.0], [1.0, 1.0]))


def test_holm_matches_hand_computation():
    # sorted: .005*4=.02, .01*3=.03, .03*2=.06, .04*1=.04 -> running max .02 .03 .06 .06
    np.testing.assert_allclose(st.holm([0.01, 0.04, 0.03, 0.005]), [0.03, 0.06, 0.06, 0.02])
    got = st.holm([np.nan, 0.2, 0.01])  # NaN is not a test: m = 2
    assert math.isnan(got[0]) and got[1:].tolist() == pytest.approx([0.2, 0.02])
    assert st.holm([0.6, 0.7]).tolist() == [1.0, 1.0] and st.holm([]).size == 0


def test_rank_test_only_where_it_can_reach_005():
    # complete separation 3 vs 3: the exact two-sided p is 2 / C(6, 3) = 0.1, so no test is run
    assert st.min_rank_p(3, 3) == pytest.approx(0.1)
    assert st.rank_test([1.0, 2.0, 3.0], [4.0, 5.0, 6.0]) == st.RankTest(None, st.TOO_FEW_FOR_RANK)
    assert st.rank_test([1.0, 2.0, 3.0], [4.0, 5.0, 6.0, 7.0]).reason == st.TOO_FEW_FOR_RANK  # 2/35 = 0.057
    got = st.rank_test([1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0])
    assert got.reason is None and got.p == pytest.approx(2 / 70)
    assert got.p == pytest.approx(sps.mannwhitneyu([1, 2, 3, 4], [5, 6, 7, 8], alternative="two-sided").pvalue)


def test_power_and_seeds_to_separate_match_statsmodels_and_textbook():
    analysis = TTestIndPower()
    for g, n, alpha in ((0.5, 20, 0.05), (1.3, 4, 0.05), (2.0, 3, 0.0125), (6.0, 2, 0.05), (0.1, 500, 0.01)):
        assert st.t_test_power(g, n, alpha) == pytest.approx(analysis.power(effect_size=g, nobs1=n, alpha=alpha), rel=1e-9)
    # Cohen (1988): d = 0.5 needs 64 per group at alpha .05 two-sided, power .8; d = 0.8 needs 26
    assert st.seeds_to_separate(0.5) == 64 and st.seeds_to_separate(-0.8) == 26
    for g, alpha in ((1.3, 0.05), (0.05, 0.05), (2.5, 0.0125), (4.0, 0.01)):
        assert st.seeds_to_separate(g, alpha) == math.ceil(analysis.solve_power(effect_size=g, alpha=alpha, power=0.8))
    assert st.seeds_to_separate(0.0) is None and st.seeds_to_separate(float("nan")) is None
    # huge effects (a broken method), where statsmodels' power turns NaN: 2 per group at 0.05, 3 at a Holm level
    assert np.isnan(analysis.power(effect_size=9.5, nobs1=2, alpha=0.05))
    assert st.t_test_power(9.5, 2) == pytest.approx(0.98833, abs=1e-4)
    assert [st.seeds_to_separate(g) for g in (5.0, 6.0, 9.5, 50.0)] == [3, 2, 2, 2]
    assert st.seeds_to_separate(6.25, alpha=0.05 / 4) == 3


def test_compare_bundles_the_pair():
    got = st.compare(A, B)
    assert (got.n_a, got.n_b) == (3, 4)
    assert got.p_welch == st.welch_p(A, B) and got.hedges_g == st.hedges_g(A, B)
    assert got.difference == st.mean_difference(A, B) and got.rank.reason == st.TOO_FEW_FOR_RANK


def test_still_improving_against_noise():
    steps = np.arange(100, 1100, 100)
    falling = 100 - 5 * np.arange(10.0)  # every step -5: spread of differences 0, last-fifth gain 10
    got = st.still_improving(steps, falling, lower_is_better=True)
    assert got == st.Trend(True, 10.0, 0.0)
    # higher-is-better: the same curve is getting worse
    assert st.still_improving(steps, falling, lower_is_better=False).improving is False
    jitter = 50 + np.array([0, 3, -2, 4, -3, 2, -4, 3, -1, 1.0])  # flat with noise
    got = st.still_improving(steps, jitter, lower_is_better=True)
    assert got.improvement == pytest.approx(jitter[7] - jitter[9])  # 0.8 * 1000 = 800 -> index 7
    assert got.noise == pytest.approx(2 * np.diff(jitter[4:]).std(ddof=1))  # steps >= 500, 2 SDs
    assert got.improving is False
    # a steep early fall does not hide a steady late one
    decay = np.r_[[400.0, 200.0, 100.0, 60.0], 50 - 2 * np.arange(6.0)]
    assert st.still_improving(steps, decay, lower_is_better=True) == st.Trend(True, 4.0, 0.0)
    plateau = np.r_[100 - 20 * np.arange(8.0), [-40.0, -40.0]]  # fell, then flat over the last fifth
    assert st.still_improving(steps, plateau, lower_is_better=True).improving is False
    short = st.still_improving([300, 600, 900, 1200, 1500], [40.0, 30.0, 25, 20, 18], lower_is_better=True)
    # window from 1200: gain 2; noise over 900..1500: 2 x SD of (-5, -2) = 4.24; decelerating, so not flagged
    assert short.improving is False and short.improvement == 2.0
    assert short.noise == pytest.approx(2 * np.std([-5.0, -2.0], ddof=1))
    # a flat curve of independent noise is flagged about P(Z > 2) = 2.3% of the time
    rng = np.random.default_rng(7)
    flagged = np.mean([st.still_improving(steps, rng.normal(0, 1, 10), True).improving for _ in range(2000)])
    assert 0.005 < flagged < 0.06
    two = st.still_improving([115, 230], [40.0, 30.0], lower_is_better=True)
    assert two.improving is None and "2 curve points" in two.reason
    assert st.still_improving([], [], lower_is_better=True).improving is None


def test_mcnemar_exact_on_hand_checkable_tables():
    # 1 vs 9 discordant pairs: p = 2 * P(X <= 1 | n = 10, 1/2) = 2 * (1 + 10) / 2^10
    table = st.paired_table([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1], [0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0])
    assert table == st.PairedTable(both=1, only_a=2, only_b=9, neither=0)
    assert st.mcnemar_exact_p(st.PairedTable(5, 1, 9, 7)) == pytest.approx(22 / 1024)
    # 0 vs 5: 2 / 32, not below 0.05: five wins out of five pairs cannot reach it
    assert st.mcnemar_exact_p(st.PairedTable(0, 0, 5, 0)) == pytest.approx(0.0625)
    # the concordant cells do not change p; no discordant pair: p = 1
    assert st.mcnemar_exact_p(st.PairedTable(50, 0, 5, 50)) == pytest.approx(0.0625)
    assert st.mcnemar_exact_p(st.PairedTable(4, 0, 0, 3)) == 1.0
    assert st.mcnemar_exact_p(st.PairedTable(0, 3, 3, 0)) == 1.0


def test_clopper_pearson_closed_forms():
    # k = n: low = (alpha/2)^(1/n); k = 0: high = 1 - (alpha/2)^(1/n)
    assert st.clopper_pearson(5, 5)[0] == pytest.approx(0.025 ** (1 / 5))
    assert st.clopper_pearson(0, 5)[1] == pytest.approx(1 - 0.025 ** (1 / 5))
    assert st.clopper_pearson(5, 5)[1] == 1.0 and st.clopper_pearson(0, 0) == (0.0, 1.0)
    # inside: the beta quantiles
    low, high = st.clopper_pearson(3, 10)
    assert low == pytest.approx(sps.beta.ppf(0.025, 3, 8)) and high == pytest.approx(sps.beta.ppf(0.975, 4, 7))


def test_paired_difference_interval_agrees_with_the_exact_test():
    diff, low, high = st.paired_difference(st.PairedTable(both=3, only_a=8, only_b=1, neither=8))
    assert diff == pytest.approx(7 / 20)
    assert low > 0 and high <= 9 / 20
    for discordant in range(1, 31):
        for only_a in range(discordant + 1):
            table = st.PairedTable(2, only_a, discordant - only_a, 1)
            _, low, high = st.paired_difference(table)
            excludes = low > 0 or high < 0
            assert excludes == (st.mcnemar_exact_p(table) < 0.05), (only_a, discordant)
