"""suite.statistics against scipy, statsmodels and closed forms on synthetic data."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import optimize
from scipy import stats as sps
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.power import TTestIndPower, TTestPower
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


def test_holm_and_bh_over_a_family_of_fixed_size():
    # m = 4 with two tests run: [.01, .04, 1, 1] -> .01 * 4 = .04, .04 * 3 = .12
    np.testing.assert_allclose(st.holm([0.01, 0.04], m=4), [0.04, 0.12])
    got = st.holm([np.nan, 0.04, 0.01], m=4)
    assert math.isnan(got[0]) and got[1:].tolist() == pytest.approx([0.12, 0.04])
    p = np.array([0.01, 0.04, 0.03, 0.005])
    assert st.holm(p, m=4).tolist() == st.holm(p).tolist()
    assert st.holm(p, m=9).tolist() == pytest.approx(multipletests(np.r_[p, np.ones(5)], method="holm")[1][:4])
    assert np.isnan(st.holm([np.nan], m=3)).all()
    with pytest.raises(ValueError, match="m = 3 .* 4 finite"):
        st.holm(p, m=3)
    # BH: sorted .005 .01 .03 .04 -> p * m / rank = .02 .02 .04 .04, running min from the top
    assert st.bh_qvalues(p).tolist() == pytest.approx([0.02, 0.04, 0.04, 0.02])
    assert st.bh_qvalues(p).tolist() == pytest.approx(multipletests(p, method="fdr_bh")[1].tolist())
    # m = 6: .005 * 6 = .03, .01 * 3 = .03, .03 * 2 = .06, .04 * 1.5 = .06, then the padding's 1s
    assert st.bh_qvalues(p, m=6).tolist() == pytest.approx([0.03, 0.06, 0.06, 0.03])
    got = st.bh_qvalues([0.2, np.nan, 0.01], m=3)
    assert math.isnan(got[1]) and got[[0, 2]].tolist() == pytest.approx([0.3, 0.03])
    with pytest.raises(ValueError):
        st.bh_qvalues(p, m=2)
    assert st.bh_qvalues([]).size == 0


def _exact_mcnemar_ps(pairs: int) -> list[float]:
    """The exact McNemar p of every table of `pairs` pairs (statsmodels; the concordant split is irrelevant)."""
    return [st.mcnemar_exact_p(st.PairedTable(pairs - b - c, b, c, 0))
            for b in range(pairs + 1) for c in range(pairs + 1 - b)]


def _worst_cell_ps(sizes) -> list[float]:
    """Intersection-union p of every outcome: the largest of the cells' one-sided exact binomial p's."""
    outcomes = np.stack(np.meshgrid(*[np.arange(n + 1) for n in sizes], indexing="ij"), -1).reshape(-1, len(sizes))
    return [max(sps.binomtest(int(k), n, 0.5, alternative="greater").pvalue for k, n in zip(row, sizes))
            for row in outcomes]


def test_smallest_p_matches_enumeration_of_every_outcome():
    for pairs in range(0, 11):
        assert st.smallest_p("mcnemar", (pairs,)) == pytest.approx(min(_exact_mcnemar_ps(pairs)), rel=1e-12)
    for sizes in ((1,), (3,), (3, 5), (4, 4, 6), (6, 2)):
        assert st.smallest_p("worst-cell", sizes) == pytest.approx(min(_worst_cell_ps(sizes)), rel=1e-12)
    # t statistics are unbounded from 2 values: p falls below any level as the spread shrinks
    assert sps.ttest_1samp([10.0, 10.0 + 1e-9], 0.0).pvalue < 1e-9
    assert sps.ttest_ind([0.0, 1e-9], [10.0, 10.0 + 1e-9], equal_var=False).pvalue < 1e-9
    assert [st.smallest_p("t", n) for n in ((2,), (2, 3), (1, 5), (0,))] == [0.0, 0.0, 1.0, 1.0]
    assert [st.smallest_p("paired-t", (n,)) for n in (1, 2, 30)] == [1.0, 0.0, 0.0]
    assert st.smallest_p("mcnemar", 5) == 0.0625 and st.smallest_p("mcnemar", (0,)) == 1.0
    with pytest.raises(ValueError, match="allowed: t, paired-t, mcnemar, worst-cell"):
        st.smallest_p("wilcoxon", (5,))
    with pytest.raises(ValueError):
        st.smallest_p("mcnemar", (5, 5))
    with pytest.raises(ValueError):
        st.smallest_p("t", (3, 3, 3))


def test_reachable_at_is_the_first_size_whose_outcomes_reach_the_level():
    for level in (0.05, 0.05 / 4, 0.01, 0.001):
        pairs = st.reachable_at("mcnemar", level)
        assert min(_exact_mcnemar_ps(pairs)) <= level < min(_exact_mcnemar_ps(pairs - 1))
        assert pairs == math.ceil(math.log2(2 / level))
        runs = st.reachable_at("worst-cell", level)
        assert min(_worst_cell_ps((runs,))) <= level < min(_worst_cell_ps((runs - 1,)))
        assert st.reachable_at("t", level) == st.reachable_at("paired-t", level) == 2
    # 2 / 64 = 0.031 <= 0.05 < 2 / 32; 1 / 32 <= 0.05 < 1 / 16
    assert (st.reachable_at("mcnemar", 0.05), st.reachable_at("worst-cell", 0.05)) == (6, 5)
    assert st.reachable_at("mcnemar", 1e-300) == 998
    with pytest.raises(ValueError):
        st.reachable_at("mcnemar", 0.0)


def test_tarone_screen_by_hand_and_by_its_defining_property():
    # K = 1: 4 tests can reach .05; K = 2: 3 can reach .025; K = 3: 2 can reach .0167 <= 3
    k, mask = st.tarone_screen([0.001, 0.004, 0.02, 0.03, 0.2, 0.6], 0.05)
    assert k == 3 and mask.tolist() == [True, True, False, False, False, False]
    # McNemar at 4, 6, 8 and 12 pairs: smallest p 1/8, 1/32, 1/128, 1/2048
    k, mask = st.tarone_screen([st.smallest_p("mcnemar", (n,)) for n in (4, 6, 8, 12)], 0.05)
    assert k == 2 and mask.tolist() == [False, False, True, True]
    assert st.tarone_screen([], 0.05)[0] == 1 and st.tarone_screen([np.nan, 0.01])[1].tolist() == [False, True]
    rng = np.random.default_rng(4)
    for _ in range(300):
        q = 10 ** rng.uniform(-5, 0, rng.integers(1, 30))
        k, mask = st.tarone_screen(q, 0.05)
        assert not mask[q > 0.05].any()
        assert mask.tolist() == (q <= 0.05 / k).tolist() and mask.sum() <= k
        assert k == 1 or (q <= 0.05 / (k - 1)).sum() > k - 1  # K is the least that works


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


def test_seeds_to_separate_is_capped_instead_of_crashing():
    # equal means up to rounding: g ~ 1e-16, which once doubled n until scipy's stdtrit raised TypeError
    g = st.hedges_g([0.1, 0.2, 0.4], [0.1, 0.4, 0.2])
    assert g != 0 and abs(g) < 1e-14
    assert st.seeds_to_separate(g) is None
    # d = 0.04 needs ceil(9812.04) = 9813 per group; d = 0.039 needs more than SEEDS_CAP
    analysis = TTestIndPower()
    assert st.seeds_to_separate(0.04, cap=st.SEEDS_CAP) == math.ceil(analysis.solve_power(0.04, alpha=0.05, power=0.8))
    assert st.seeds_to_separate(0.039, cap=st.SEEDS_CAP) is None
    # by default it looks as far as SEPARATE_CAP, so a tie at g = 0.01 still gets its number
    assert st.seeds_to_separate(0.01) == math.ceil(analysis.solve_power(0.01, alpha=0.05, power=0.8)) == 156_979
    assert st.seeds_to_separate(0.002) is None


def test_t_power_matches_statsmodels_for_one_and_two_groups():
    for d, n, alpha in ((0.5, 20, 0.05), (1.3, 4, 0.05), (2.0, 3, 0.0125), (0.1, 500, 0.01), (3.0, 2, 0.05)):
        assert st._t_power(d, n, alpha, 1) == pytest.approx(TTestPower().power(d, n, alpha), rel=1e-9)
        assert st._t_power(d, n, alpha, 2) == pytest.approx(TTestIndPower().power(d, n, alpha), rel=1e-9)
    # where statsmodels' lower tail is NaN the power is the upper tail alone
    assert np.isnan(TTestPower().power(10.0, 3, 0.05))
    assert st._t_power(10.0, 3, 0.05, 1) == pytest.approx(sps.nct.sf(sps.t.isf(0.025, 2), 2, 10.0 * math.sqrt(3)))


def test_seeds_needed_t_one_sample_matches_statsmodels():
    x = np.array([0.3, -0.5, 1.1, 0.9, 0.2])
    got = st.seeds_needed_t([x], 0.0, 0.05)
    sd, interval = x.std(ddof=1), st.t_interval(x)

    def solve(d):
        return math.ceil(TTestPower().solve_power(effect_size=d, alpha=0.05, power=0.8))

    assert got.estimate == solve(x.mean() / sd) == 22  # d = 0.4 / 0.632 = 0.63
    assert got.low == solve(interval.high / sd)
    assert interval.low < 0 and got.high == math.inf  # the interval reaches no effect
    # against a no-effect value of -0.5 both ends are on one side
    shifted = st.seeds_needed_t([x], -0.5, 0.01)
    assert shifted.estimate == math.ceil(TTestPower().solve_power((x.mean() + 0.5) / sd, alpha=0.01, power=0.8))
    assert shifted.high == math.ceil(TTestPower().solve_power((interval.low + 0.5) / sd, alpha=0.01, power=0.8))
    assert shifted.low <= shifted.estimate <= shifted.high
    # below no effect the far end is the low one
    below = st.seeds_needed_t([-x], 0.0, 0.05)
    assert (below.estimate, below.low, below.high) == (got.estimate, got.low, got.high)


def test_seeds_needed_welch_matches_statsmodels():
    a, b = np.array([40.1, 43.7, 38.2, 41.0]), np.array([38.4, 39.1, 41.6, 37.0, 39.9])
    got = st.seeds_needed_t([a, b], 0.0, 0.05 / 3)
    sd = math.sqrt((a.var(ddof=1) + b.var(ddof=1)) / 2)
    difference = st.mean_difference(a, b)

    def solve(diff):
        return math.ceil(TTestIndPower().solve_power(effect_size=diff / sd, alpha=0.05 / 3, power=0.8))

    assert got.estimate == solve(a.mean() - b.mean())
    assert got.low == solve(difference.high) and difference.low < 0 and got.high == math.inf
    narrow = st.seeds_needed_t([a + 3, b], 0.0, 0.05)
    assert st.mean_difference(a + 3, b).low > 0
    nearer = st.mean_difference(a + 3, b).low / sd
    assert narrow.high == math.ceil(TTestIndPower().solve_power(nearer, alpha=0.05, power=0.8))
    assert narrow.low <= narrow.estimate <= narrow.high < math.inf


def test_seeds_needed_t_edge_cases_never_raise():
    near_zero = st.seeds_needed_t([np.array([0.1, 0.2, 0.4]), np.array([0.1, 0.4, 0.2])], 0, 0.05)
    assert near_zero.estimate == math.inf and near_zero.high == math.inf and math.isfinite(near_zero.low)
    assert st.seeds_needed_t([[2.0, 2.0, 2.0]], 1.0, 0.05) == st.SeedsNeeded(2.0, 2.0, 2.0)  # certain effect
    assert st.seeds_needed_t([[1.0, 1.0], [1.0, 1.0, 1.0]], 0.0, 0.05) == st.SeedsNeeded(math.inf, math.inf, math.inf)
    assert all(math.isnan(v) for v in vars(st.seeds_needed_t([[1.0], [2.0, 3.0]], 0.0, 0.05)).values())
    huge = st.seeds_needed_t([[1e6, 1e6 + 1e-3, 1e6 + 2e-3]], 0.0, 0.05)
    assert huge == st.SeedsNeeded(2.0, 2.0, 2.0)
    with pytest.raises(ValueError):
        st.seeds_needed_t([], 0.0, 0.05)


def _mcnemar_power_by_enumeration(p10: float, p01: float, n: int, alpha: float) -> float:
    total = 0.0
    for b in range(n + 1):
        for c in range(n + 1 - b):
            prob = math.comb(n, b) * math.comb(n - b, c) * p10 ** b * p01 ** c * (1 - p10 - p01) ** (n - b - c)
            p = mcnemar([[0, b], [c, 0]], exact=True).pvalue if b + c else 1.0
            total += prob * (p <= alpha)
    return total


def test_mcnemar_power_matches_enumeration_and_the_scan_finds_the_first_n():
    for p10, p01, n, alpha in ((0.3, 0.1, 12, 0.05), (0.5, 0.0, 7, 0.05), (0.2, 0.2, 15, 0.05),
                               (0.35, 0.05, 20, 0.0125)):
        expected = _mcnemar_power_by_enumeration(p10, p01, n, alpha)
        assert st.mcnemar_power(p10, p01, n, alpha) == pytest.approx(expected, rel=1e-10, abs=1e-15)
    powers = [st.mcnemar_power(0.3, 0.1, n) for n in range(1, 120)]
    assert st._mcnemar_least_n(0.3, 0.1, 0.05, 0.8) == 1 + next(i for i, p in enumerate(powers) if p >= 0.8) == 84
    # every pair discordant, 4 to 1: a sawtooth that reaches 0.8 at 20 pairs and falls back below at 21 and 22
    powers = {n: st.mcnemar_power(0.8, 0.2, n) for n in (19, 20, 21, 22)}
    assert powers[20] == pytest.approx(_mcnemar_power_by_enumeration(0.8, 0.2, 20, 0.05), rel=1e-10)
    assert powers[19] < 0.8 <= powers[20] and powers[21] < 0.8 and powers[22] < 0.8, powers
    assert st._mcnemar_least_n(0.8, 0.2, 0.05, 0.8) == 20


def test_seeds_needed_mcnemar_from_a_table():
    table = st.PairedTable(both=3, only_a=8, only_b=1, neither=8)
    got = st.seeds_needed_mcnemar(table, 0.05)
    assert got.estimate == st._mcnemar_least_n(8 / 20, 1 / 20, 0.05, 0.8)
    _, low, high = st.paired_difference(table)
    share = 9 / 20
    assert got.low == st._mcnemar_least_n((share + min(high, share)) / 2, (share - min(high, share)) / 2, 0.05, 0.8)
    assert got.high == st._mcnemar_least_n((share + low) / 2, (share - low) / 2, 0.05, 0.8)
    assert got.low <= got.estimate <= got.high < math.inf
    # every pair won by A: power 1 once all-discordant tables can reach the level
    assert st.seeds_needed_mcnemar(st.PairedTable(0, 6, 0, 0), 0.05).estimate == st.reachable_at("mcnemar", 0.05)
    tie = st.seeds_needed_mcnemar(st.PairedTable(3, 4, 4, 3), 0.05)
    assert tie.estimate == tie.high == math.inf and math.isfinite(tie.low)
    assert st.seeds_needed_mcnemar(st.PairedTable(5, 0, 0, 5), 0.05) == st.SeedsNeeded(math.inf, math.inf, math.inf)
    assert math.isnan(st.seeds_needed_mcnemar(st.PairedTable(0, 0, 0, 0), 0.05).estimate)


def test_binomial_power_and_seeds_match_enumeration():
    for n in (1, 4, 5, 9, 10, 17, 40):
        rejects = [k for k in range(n + 1) if sps.binomtest(k, n, 0.5, alternative="greater").pvalue <= 0.05]
        assert st.binomial_power(0.8, n) == pytest.approx(sum(sps.binom.pmf(rejects, n, 0.8)), abs=1e-15)
    rejects = [k for k in range(26) if sps.binomtest(k, 25, 0.3, alternative="greater").pvalue <= 0.01]
    assert st.binomial_power(0.6, 25, 0.01, null=0.3) == pytest.approx(sum(sps.binom.pmf(rejects, 25, 0.6)))
    got = st.seeds_needed_binomial(4, 5, 0.05)
    powers = st.binomial_power(0.8, np.arange(1, 200))
    assert got.estimate == 1 + np.flatnonzero(powers >= 0.8)[0]
    low, high = st.clopper_pearson(4, 5)
    assert low < 0.5 and got.high == math.inf
    assert got.low == 1 + np.flatnonzero(st.binomial_power(high, np.arange(1, 200)) >= 0.8)[0]
    # all runs succeed: n = 5 at 0.05 (1/32 <= .05 < 1/16), the worst cell's reachable size
    assert st.seeds_needed_binomial(5, 5, 0.05).estimate == 5 == st.reachable_at("worst-cell", 0.05)
    assert st.seeds_needed_binomial(2, 5, 0.05).estimate == math.inf
    assert math.isnan(st.seeds_needed_binomial(0, 0, 0.05).estimate)


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


Z975 = sps.norm.isf(0.025)


def _score_by_hand(b: int, c: int, n: int, delta: float) -> float:
    """Tango's score at delta with the restricted maximum-likelihood p01 found numerically."""
    def minus_loglik(p01):
        return -(b * math.log(p01 + delta) + c * math.log(p01) + (n - b - c) * math.log(1 - 2 * p01 - delta))
    p01 = optimize.minimize_scalar(minus_loglik, bounds=(max(0, -delta) + 1e-12, (1 - delta) / 2 - 1e-12),
                                   method="bounded", options={"xatol": 1e-13}).x
    return (b - c - n * delta) / math.sqrt(n * (2 * p01 + delta * (1 - delta)))


def test_paired_difference_is_tangos_score_interval():
    diff, low, high = st.paired_difference(st.PairedTable(both=36, only_a=12, only_b=2, neither=0))
    assert diff == pytest.approx(0.2)
    assert (low, high) == pytest.approx((0.06111, 0.34471), abs=1e-5)
    assert _score_by_hand(12, 2, 50, low) == pytest.approx(Z975, abs=1e-6)
    assert _score_by_hand(12, 2, 50, high) == pytest.approx(-Z975, abs=1e-6)
    # no discordant pair: -+z^2 / (n + z^2); all n won by A: (n - z^2) / (n + z^2) to 1
    none, all_a = Z975 ** 2 / (6 + Z975 ** 2), (6 - Z975 ** 2) / (6 + Z975 ** 2)
    assert st.paired_difference(st.PairedTable(4, 0, 0, 2)) == pytest.approx((0, -none, none))
    assert st.paired_difference(st.PairedTable(0, 6, 0, 0)) == pytest.approx((1, all_a, 1))
    assert st.paired_difference(st.PairedTable(0, 0, 6, 0)) == pytest.approx((-1, -1, -all_a))
    assert all(math.isnan(v) for v in st.paired_difference(st.PairedTable(0, 0, 0, 0)))
    assert st.paired_difference(st.PairedTable(5, 3, 1, 1), confidence=0.99)[1] < st.paired_difference(
        st.PairedTable(5, 3, 1, 1))[1]


def test_paired_difference_excludes_zero_where_the_asymptotic_mcnemar_test_rejects():
    # Z(0) = (b - c) / sqrt(b + c): McNemar's chi-square without continuity correction
    b, c = np.array([(b, d - b) for d in range(1, 31) for b in range(d + 1)]).T
    low, high = st._tango_interval(b, c, b + c + 3)
    for i in range(0, b.size, 37):  # the vectorized bisection is paired_difference's
        assert st.paired_difference(st.PairedTable(2, int(b[i]), int(c[i]), 1))[1:] == pytest.approx((low[i], high[i]))
    asymptotic = [mcnemar([[2, bi], [ci, 1]], exact=False, correction=False).pvalue for bi, ci in zip(b, c)]
    np.testing.assert_array_equal((low > 0) | (high < 0), np.array(asymptotic) < 0.05)
    # 5 to 0: Z = 2.24 excludes 0 though the exact p is 1/16
    five_to_none = st.PairedTable(0, 5, 0, 0)
    assert st.paired_difference(five_to_none)[1] > 0 and st.mcnemar_exact_p(five_to_none) == 0.0625


def test_holm_equals_statsmodels_on_random_families():
    rng = np.random.default_rng(11)
    for size in (1, 2, 5, 17):
        p = rng.random(size) ** 3
        p[rng.random(size) < 0.2] = p[0]  # ties
        for m in (size, size + 3):
            expected = multipletests(np.r_[p, np.ones(m - size)], method="holm")[1][:size]
            assert st.holm(p, m=m).tolist() == pytest.approx(expected.tolist())
