"""suite.statistics under simulation: error rates and coverage at the sizes a benchmark has (3 to 30 seeds).

Monte Carlo rates are checked against the claimed level with a tolerance of three binomial standard
errors of the estimate; where the law of the data is discrete (success counts) coverage is computed
exactly by enumerating every outcome. Draws are vectorized and seeded.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps
from scipy.special import gammaln

from suite import statistics as st

REPS = 4000
SIZES = (3, 5, 10)
LAWS = ("normal", "t3")
ALPHA = 0.05
COVERAGE_FLOOR = 0.94
# (p11, p10, p01, p00): both succeed, only A, only B, neither
PAIRED_SCENARIOS = ((0.2, 0.3, 0.1, 0.4), (0.1, 0.1, 0.1, 0.7), (0.4, 0.2, 0.0, 0.4), (0.0, 0.5, 0.2, 0.3))
PAIRS = (6, 9, 18, 30)


def _draw(rng, law: str, shape, scale: float = 1.0) -> np.ndarray:
    if law == "normal":
        return rng.normal(0.0, scale, shape)
    return scale * rng.standard_t(3, shape)


def _at_most(rate: float, level: float, reps: int = REPS) -> bool:
    return rate <= level + 3 * math.sqrt(level * (1 - level) / reps)


def _at_least(rate: float, level: float, reps: int = REPS) -> bool:
    return rate >= level - 3 * math.sqrt(level * (1 - level) / reps)


def test_t_tests_reject_at_most_alpha_under_no_effect():
    rng = np.random.default_rng(20240611)
    rates = {}
    for law in LAWS:
        for n in SIZES:
            x, y = _draw(rng, law, (REPS, n)), _draw(rng, law, (REPS, n))
            one = sps.ttest_1samp(x, 0.0, axis=1).pvalue
            welch = sps.ttest_ind(x, y, equal_var=False, axis=1).pvalue
            assert [st.welch_p(a, b) for a, b in zip(x[:20], y[:20])] == pytest.approx(welch[:20].tolist(), rel=1e-12)
            rates[law, n] = (float(np.mean(one <= ALPHA)), float(np.mean(welch <= ALPHA)))
    assert all(_at_most(one, ALPHA) and _at_most(welch, ALPHA) for one, welch in rates.values()), rates


def _holm_rows(p: np.ndarray, m: int) -> np.ndarray:
    """Holm over each row, padded to m with ones: the reference the module's holm() is checked against."""
    family = np.sort(np.hstack([p, np.ones((p.shape[0], m - p.shape[1]))]), axis=1)
    return np.minimum(np.maximum.accumulate(family * np.arange(m, 0, -1), axis=1), 1.0)


def test_holm_and_bh_with_a_fixed_family_keep_the_familywise_error():
    rng = np.random.default_rng(99)
    m = 6
    # one-sample t-tests of normal data with no effect: exactly uniform p-values
    p = sps.ttest_1samp(rng.normal(size=(REPS, m, 3)), 0.0, axis=2).pvalue
    for row in p[:2]:  # statsmodels' Holm runs gc.collect() on every call, so the loop uses the reference
        assert np.sort(st.holm(row[:4], m=m)) == pytest.approx(_holm_rows(row[None, :4], m)[0, :4])
        assert st.bh_qvalues(row) == pytest.approx(sps.false_discovery_control(row))
    rates = {
        "holm, all 6 tested": float(np.mean(_holm_rows(p, m).min(axis=1) <= ALPHA)),
        "holm, 4 of 6 tested": float(np.mean(_holm_rows(p[:, :4], m).min(axis=1) <= ALPHA)),
        # under the complete null any BH discovery is a family-wise error
        "bh, all 6 tested": float(np.mean(sps.false_discovery_control(p, axis=1).min(axis=1) <= ALPHA)),
    }
    assert all(_at_most(rate, ALPHA) for rate in rates.values()), rates
    assert rates["holm, 4 of 6 tested"] < rates["holm, all 6 tested"], rates


def test_t_interval_covers_at_three_to_ten_seeds():
    rng = np.random.default_rng(5)
    z = sps.t.ppf(0.975, np.array(SIZES) - 1)
    coverage = {}
    for law in LAWS:
        for n, t in zip(SIZES, z):
            x = 7.0 + _draw(rng, law, (REPS, n), 2.0)
            half = t * x.std(axis=1, ddof=1) / math.sqrt(n)
            low, high = x.mean(axis=1) - half, x.mean(axis=1) + half
            for row, lo, hi in zip(x[:10], low, high):
                got = st.t_interval(row)
                assert (got.low, got.high) == pytest.approx((lo, hi), rel=1e-12)
            coverage[law, n] = float(np.mean((low <= 7.0) & (7.0 <= high)))
    assert all(_at_least(c, COVERAGE_FLOOR) for c in coverage.values()), coverage


# (n_a, n_b, SD of b; SD of a is 1) -> the coverage floor. Where the group with fewer seeds also has
# the larger variance, the Welch-Satterthwaite df overstates the information in it and the interval
# falls short: 0.935 at (5, 3, 3) and 0.931 at (10, 3, 3) in 400,000 normal draws, so those designs
# get a floor of 0.93 instead of 0.94.
WELCH_DESIGNS = {(3, 3, 1.0): 0.94, (5, 5, 1.0): 0.94, (10, 10, 1.0): 0.94, (3, 3, 3.0): 0.94, (5, 5, 3.0): 0.94,
                 (10, 10, 4.0): 0.94, (3, 5, 3.0): 0.94, (5, 3, 3.0): 0.93, (10, 3, 3.0): 0.93}


def test_welch_interval_covers_with_equal_and_unequal_variances():
    rng = np.random.default_rng(11)
    coverage, short = {}, {}
    for law in LAWS:
        for (n_a, n_b, sd_b), floor in WELCH_DESIGNS.items():
            a = 1.0 + _draw(rng, law, (REPS, n_a))
            b = _draw(rng, law, (REPS, n_b), sd_b)
            va, vb = a.var(axis=1, ddof=1) / n_a, b.var(axis=1, ddof=1) / n_b
            df = (va + vb) ** 2 / (va ** 2 / (n_a - 1) + vb ** 2 / (n_b - 1))
            half = sps.t.ppf(0.975, df) * np.sqrt(va + vb)
            diff = a.mean(axis=1) - b.mean(axis=1)
            for i in range(10):
                got = st.mean_difference(a[i], b[i])
                assert (got.low, got.high) == pytest.approx((diff[i] - half[i], diff[i] + half[i]), rel=1e-10)
            coverage[law, n_a, n_b, sd_b] = rate = float(np.mean(np.abs(diff - 1.0) <= half))
            if not _at_least(rate, floor):
                short[law, n_a, n_b, sd_b] = rate
    assert not short, (short, coverage)


def test_clopper_pearson_covers_exactly():
    # exact coverage: the sum of the binomial probabilities of the counts whose interval holds the rate
    coverage = {}
    for n in SIZES + PAIRS:
        bounds = np.array([st.clopper_pearson(k, n) for k in range(n + 1)])
        for rate in (0.02, 0.1, 0.25, 0.5, 0.7, 0.9, 0.99):
            inside = (bounds[:, 0] <= rate) & (rate <= bounds[:, 1])
            coverage[n, rate] = float(sps.binom.pmf(np.arange(n + 1), n, rate)[inside].sum())
    assert min(coverage.values()) >= 0.95, coverage


def _paired_coverage(interval, n: int, cells) -> float:
    """Exact coverage of a paired interval at n pairs: the sum of the multinomial probabilities of the
    tables (both, only A, only B, neither) whose interval holds p10 - p01."""
    a, b, c = np.array([(a, b, c) for a in range(n + 1) for b in range(n + 1 - a) for c in range(n + 1 - a - b)]).T
    d = n - a - b - c
    counts = (a, b, c, d)
    log_p = gammaln(n + 1) - sum(gammaln(k + 1) for k in counts)
    for k, p in zip(counts, cells):  # a cell of probability 0 rules out the tables that use it
        log_p = log_p + (k * math.log(p) if p > 0 else np.where(k > 0, -np.inf, 0.0))
    low, high = interval(a, b, c, d)
    truth = cells[1] - cells[2]
    return float(np.exp(log_p)[(low <= truth + 1e-12) & (truth - 1e-12 <= high)].sum())


def _tango(a, b, c, d):
    return st._tango_interval(b, c, a + b + c + d)


def _newcombe_method_10(a, b, c, d, z=sps.norm.isf(0.025)):
    """Newcombe (1998, Stat. Med. 17:2635) method 10, the interval the module did not adopt."""
    n = a + b + c + d
    p1, p2 = (a + b) / n, (a + c) / n

    def wilson(p):
        centre, half = p + z * z / (2 * n), z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
        return (centre - half) / (1 + z * z / n), (centre + half) / (1 + z * z / n)

    (l1, u1), (l2, u2) = wilson(p1), wilson(p2)
    margins = (a + b) * (c + d) * (a + c) * (b + d)
    phi = np.where(margins > 0, (a * d - b * c) / np.sqrt(np.maximum(margins, 1)), 0.0)
    down = np.sqrt(np.maximum((p1 - l1) ** 2 - 2 * phi * (p1 - l1) * (u2 - p2) + (u2 - p2) ** 2, 0.0))
    up = np.sqrt(np.maximum((u1 - p1) ** 2 - 2 * phi * (u1 - p1) * (p2 - l2) + (p2 - l2) ** 2, 0.0))
    return p1 - p2 - down, p1 - p2 + up


def test_paired_interval_covers_in_every_scenario():
    for b in range(7):  # the vectorized bisection is paired_difference's own
        for c in range(7 - b):
            lo, hi = _tango(np.array([0]), np.array([b]), np.array([c]), np.array([6 - b - c]))
            got = st.paired_difference(st.PairedTable(0, b, c, 6 - b - c))
            assert got[1:] == pytest.approx((lo[0], hi[0]), abs=1e-12)
    coverage = {(cells, n): round(_paired_coverage(_tango, n, cells), 4)
                for cells in PAIRED_SCENARIOS for n in SIZES + PAIRS}
    assert min(coverage.values()) >= COVERAGE_FLOOR, coverage


def test_newcombe_method_10_would_not_have_covered():
    # why paired_difference uses Tango's interval: when one method never wins alone, Newcombe's misses
    coverage = {n: round(_paired_coverage(_newcombe_method_10, n, (0.4, 0.2, 0.0, 0.4)), 4) for n in PAIRS}
    assert coverage[6] < 0.8 and max(coverage.values()) < COVERAGE_FLOOR, coverage
    assert _paired_coverage(_newcombe_method_10, 6, (0.2, 0.3, 0.1, 0.4)) < COVERAGE_FLOOR
