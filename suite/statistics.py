"""Statistical primitives over the per-seed values of a benchmark cell.

Pure functions of numpy arrays; non-finite values are dropped first (a diverged or missing
run is counted by the caller, never averaged). Every interval says how many values it rests
on and which method made it:

- fewer than ``BCA_MIN_N`` values: the Student-t interval of the mean, mean +- t_{n-1} s / sqrt(n)
  (at n = 3 its half-width is 2.48 standard deviations, 4.30 standard errors);
- ``BCA_MIN_N`` values or more: the bias-corrected and accelerated bootstrap (scipy.stats.bootstrap,
  method="BCa"), which needs enough values for its jackknife acceleration to mean anything;
- one value: no interval at all ("1 seed").

Comparisons of two groups: Welch's t-test, the difference of means with its
Welch-Satterthwaite interval, Hedges' g, a Mann-Whitney test only where its exact null
distribution can reach p < alpha, Holm's step-down adjustment across a family, and the number
of seeds per group a two-sample t-test would need to separate the two at the observed effect.

Success counts (a run succeeds or not): the paired 2x2 table of two methods on the same cells,
McNemar's exact test on its discordant pairs, and the Clopper-Pearson interval of a proportion.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special
from scipy import stats as sps
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.multitest import multipletests

CONFIDENCE = 0.95
ALPHA = 0.05
POWER = 0.8
BCA_MIN_N = 10
BOOT_RESAMPLES = 9999
BOOT_SEED = 20240607
ONE_SEED = "1 seed"
NO_SEEDS = "no seeds"
TOO_FEW_FOR_RANK = "too few seeds for a rank test"


def finite(values) -> np.ndarray:
    """The finite values as a 1-d float array (None, NaN, inf and non-numbers dropped)."""
    arr = pd.to_numeric(pd.Series(np.ravel(np.asarray(values, dtype=object))), errors="coerce").to_numpy(dtype=float)
    return arr[np.isfinite(arr)]


@dataclass(frozen=True)
class Interval:
    """Mean of n values with its interval; low/high are None when n < 2."""

    mean: float
    low: float | None
    high: float | None
    n: int
    method: str  # "t", "BCa", ONE_SEED or NO_SEEDS


def t_interval(values, confidence: float = CONFIDENCE) -> Interval:
    """Student-t interval of the mean: mean +- t_{(1+c)/2, n-1} * s / sqrt(n)."""
    x = finite(values)
    n = x.size
    if n < 2:
        return _no_interval(x)
    mean = float(x.mean())
    half = float(sps.t.ppf((1 + confidence) / 2, n - 1) * x.std(ddof=1) / math.sqrt(n))
    return Interval(mean, mean - half, mean + half, n, "t")


def bca_interval(values, confidence: float = CONFIDENCE, n_resamples: int = BOOT_RESAMPLES,
                 seed: int = BOOT_SEED) -> Interval:
    """BCa bootstrap interval of the mean (scipy.stats.bootstrap); [x, x] when all values are equal."""
    x = finite(values)
    n = x.size
    if n < 2:
        return _no_interval(x)
    mean = float(x.mean())
    if np.ptp(x) == 0:
        return Interval(mean, mean, mean, n, "BCa")
    res = sps.bootstrap((x,), np.mean, confidence_level=confidence, n_resamples=n_resamples,
                        method="BCa", rng=np.random.default_rng(seed))
    return Interval(mean, float(res.confidence_interval.low), float(res.confidence_interval.high), n, "BCa")


def mean_interval(values, confidence: float = CONFIDENCE, seed: int = BOOT_SEED) -> Interval:
    """The cell's interval: Student-t below BCA_MIN_N values, BCa from there up, none for one value."""
    x = finite(values)
    if x.size >= BCA_MIN_N:
        return bca_interval(x, confidence, seed=seed)
    return t_interval(x, confidence)


def _no_interval(x: np.ndarray) -> Interval:
    if x.size == 0:
        return Interval(float("nan"), None, None, 0, NO_SEEDS)
    return Interval(float(x[0]), None, None, 1, ONE_SEED)


def welch_p(a, b) -> float:
    """Two-sided Welch t-test p-value; NaN when a group has < 2 values or both are constant."""
    a, b = finite(a), finite(b)
    if a.size < 2 or b.size < 2 or (np.ptp(a) == 0 and np.ptp(b) == 0):
        return float("nan")
    with warnings.catch_warnings():  # scipy warns of "catastrophic cancellation" when one group is constant
        warnings.simplefilter("ignore", RuntimeWarning)
        return float(sps.ttest_ind(a, b, equal_var=False).pvalue)


@dataclass(frozen=True)
class Difference:
    """mean(a) - mean(b) with its Welch-Satterthwaite interval (None when a group has < 2 values)."""

    diff: float
    low: float | None
    high: float | None
    df: float | None


def mean_difference(a, b, confidence: float = CONFIDENCE) -> Difference:
    """Difference of means with the Welch interval: d +- t_{(1+c)/2, nu} * sqrt(s_a^2/n_a + s_b^2/n_b),

    nu = (s_a^2/n_a + s_b^2/n_b)^2 / ((s_a^2/n_a)^2/(n_a-1) + (s_b^2/n_b)^2/(n_b-1)) (Welch-Satterthwaite).
    """
    a, b = finite(a), finite(b)
    if a.size == 0 or b.size == 0:
        return Difference(float("nan"), None, None, None)
    diff = float(a.mean() - b.mean())
    if a.size < 2 or b.size < 2:
        return Difference(diff, None, None, None)
    va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
    se2 = va + vb
    if se2 == 0:
        return Difference(diff, diff, diff, None)
    df = float(se2 ** 2 / (va ** 2 / (a.size - 1) + vb ** 2 / (b.size - 1)))
    half = float(sps.t.ppf((1 + confidence) / 2, df) * math.sqrt(se2))
    return Difference(diff, diff - half, diff + half, df)


def hedges_g(a, b) -> float:
    """Hedges' g of mean(a) - mean(b): Cohen's d on the pooled SD times the exact small-sample
    correction J(m) = Gamma(m/2) / (sqrt(m/2) Gamma((m-1)/2)), m = n_a + n_b - 2 (Hedges 1981, eq. 6e).
    NaN when a group has < 2 values or the pooled SD is 0."""
    a, b = finite(a), finite(b)
    if a.size < 2 or b.size < 2:
        return float("nan")
    m = a.size + b.size - 2
    pooled = math.sqrt(((a.size - 1) * a.var(ddof=1) + (b.size - 1) * b.var(ddof=1)) / m)
    if pooled == 0:
        return float("nan")
    j = math.exp(special.gammaln(m / 2) - special.gammaln((m - 1) / 2)) / math.sqrt(m / 2)
    return float(j * (a.mean() - b.mean()) / pooled)


def holm(pvalues) -> np.ndarray:
    """Holm-adjusted p-values (statsmodels multipletests); NaN entries stay NaN and are not tests."""
    p = np.asarray(pvalues, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = np.isfinite(p)
    if ok.any():
        out[ok] = multipletests(p[ok], method="holm")[1]
    return out


def min_rank_p(n_a: int, n_b: int) -> float:
    """Smallest two-sided exact Mann-Whitney p-value without ties: 2 / C(n_a + n_b, n_a)."""
    if n_a == 0 or n_b == 0:
        return 1.0
    return min(1.0, 2.0 / math.comb(n_a + n_b, n_a))


@dataclass(frozen=True)
class RankTest:
    """Mann-Whitney p-value, or None with the reason the test was not run."""

    p: float | None
    reason: str | None


def rank_test(a, b, alpha: float = ALPHA) -> RankTest:
    """Two-sided Mann-Whitney U, run only when its exact null can reach p < alpha.

    With n = 3 per group the smallest two-sided p is 2/20 = 0.1, so the test could never
    reject; n = 4 per group is the least balanced design that can (2/70 = 0.029)."""
    a, b = finite(a), finite(b)
    if min_rank_p(a.size, b.size) >= alpha:
        return RankTest(None, TOO_FEW_FOR_RANK)
    return RankTest(float(sps.mannwhitneyu(a, b, alternative="two-sided").pvalue), None)


def t_test_power(effect_size: float, n: int, alpha: float = ALPHA) -> float:
    """Power of the two-sided two-sample t-test with n per group at a standardized effect:
    P(|T| > t_{1-alpha/2, 2n-2}) with T noncentral t, df 2n - 2, noncentrality effect * sqrt(n / 2).
    Same formula as statsmodels' TTestIndPower.power, whose lower tail turns NaN at effects above
    ~8 SD (then ~0 here, as it is)."""
    df = 2 * n - 2
    nc = abs(effect_size) * math.sqrt(n / 2)
    crit = sps.t.isf(alpha / 2, df)
    lower = float(sps.nct.cdf(-crit, df, nc))
    return float(sps.nct.sf(crit, df, nc)) + (lower if math.isfinite(lower) else 0.0)


def seeds_to_separate(effect_size: float, alpha: float = ALPHA, power: float = POWER) -> int | None:
    """Fewest seeds per group at which a two-sided two-sample t-test detects a standardized effect
    (Cohen's d / Hedges' g) at level alpha with the given power: the smallest integer n >= 2 with
    t_test_power >= power (power rises with n; found by doubling, then bisection).
    None when the effect is 0 or not finite: no number of seeds separates equal means."""
    if not np.isfinite(effect_size) or effect_size == 0:
        return None
    low, high = 1, 2
    while t_test_power(effect_size, high, alpha) < power:
        low, high = high, 2 * high
    while high - low > 1:
        mid = (low + high) // 2
        low, high = (low, mid) if t_test_power(effect_size, mid, alpha) >= power else (mid, high)
    return high


@dataclass(frozen=True)
class Comparison:
    """Everything a table prints for one pair (a vs b); p_holm is filled in by the family's holm()."""

    p_welch: float
    difference: Difference
    hedges_g: float
    rank: RankTest
    n_a: int
    n_b: int


def compare(a, b) -> Comparison:
    """Welch p, difference of means with its interval, Hedges' g and the rank test of a vs b."""
    fa, fb = finite(a), finite(b)
    return Comparison(welch_p(fa, fb), mean_difference(fa, fb), hedges_g(fa, fb), rank_test(fa, fb), fa.size, fb.size)


LAST_FRACTION = 0.2
NOISE_FRACTION = 0.5
NOISE_SDS = 2.0


@dataclass(frozen=True)
class Trend:
    """Whether a training curve was still improving at its end; improving is None when it cannot be told."""

    improving: bool | None
    improvement: float  # metric gain over the last fifth of training, positive = better
    noise: float  # NOISE_SDS x the SD of the successive differences over the curve's second half
    reason: str | None = None


def still_improving(steps, values, lower_is_better: bool, last_fraction: float = LAST_FRACTION,
                    noise_fraction: float = NOISE_FRACTION, noise_sds: float = NOISE_SDS) -> Trend:
    """Did the metric improve over the last `last_fraction` of the iterations by more than the curve's noise?

    The window starts at the last evaluation at or before step (1 - last_fraction) * final step;
    improvement is the gain from there to the final evaluation (sign set by the metric's direction).
    Noise is `noise_sds` times the SD (ddof 1) of the differences between successive evaluations over
    the last `noise_fraction` of the steps (the early fall of a curve would swamp it). A curve still
    falling steadily has little spread in its steps and is flagged. A flat one whose points scatter
    independently with SD s has differences of SD sqrt(2) s, the SD of the gain between two of its
    points, so at 2 SDs it is flagged about 2% of the time (P(Z > 2)). It needs three evaluations in
    that span and one at or before the window's start."""
    steps, values = np.asarray(steps, dtype=float), np.asarray(values, dtype=float)
    keep = np.isfinite(steps) & np.isfinite(values)
    order = np.argsort(steps[keep], kind="stable")
    steps, values = steps[keep][order], values[keep][order]
    late = values[steps >= (1 - noise_fraction) * steps[-1]] if steps.size else values
    if late.size < 3:
        return Trend(None, float("nan"), float("nan"),
                     f"{late.size} curve points in the second half of training (needs 3)")
    start = np.flatnonzero(steps <= (1 - last_fraction) * steps[-1])
    gain = float(values[start[-1]] - values[-1])
    gain = gain if lower_is_better else -gain
    noise = noise_sds * float(np.diff(late).std(ddof=1))
    return Trend(bool(gain > noise), gain, noise)


@dataclass(frozen=True)
class PairedTable:
    """Two methods' successes on the same cells: how many cells both, only A, only B, neither won."""

    both: int
    only_a: int
    only_b: int
    neither: int

    @property
    def n(self) -> int:
        return self.both + self.only_a + self.only_b + self.neither

    @property
    def discordant(self) -> int:
        return self.only_a + self.only_b


def paired_table(success_a, success_b) -> PairedTable:
    """The 2x2 table of two aligned boolean arrays (cell i: A's and B's outcome)."""
    a, b = np.asarray(success_a, dtype=bool), np.asarray(success_b, dtype=bool)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(f"paired outcomes need two 1-d arrays of one length, got {a.shape} and {b.shape}")
    return PairedTable(int((a & b).sum()), int((a & ~b).sum()), int((~a & b).sum()), int((~a & ~b).sum()))


def mcnemar_exact_p(table: PairedTable) -> float:
    """Two-sided exact McNemar p (statsmodels, exact=True): the binomial test of only_a among the
    discordant pairs at 1/2; the concordant cells carry no information on the difference."""
    if table.discordant == 0:
        return 1.0
    result = mcnemar([[table.both, table.only_a], [table.only_b, table.neither]], exact=True)
    return float(min(1.0, result.pvalue))


def clopper_pearson(successes: int, n: int, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """The exact (Clopper-Pearson) interval of a proportion successes / n; (0, 1) when n is 0."""
    if n == 0:
        return 0.0, 1.0
    interval = sps.binomtest(successes, n).proportion_ci(confidence_level=confidence, method="exact")
    return float(interval.low), float(interval.high)


def paired_difference(table: PairedTable, confidence: float = CONFIDENCE) -> tuple[float, float, float]:
    """A's success rate minus B's, (only_a - only_b) / n, with the interval that agrees with the exact
    McNemar test: given the d discordant pairs the difference is d / n * (2 pi - 1), pi the share
    of them A won, so the Clopper-Pearson interval of pi maps onto it; it excludes 0 exactly when
    McNemar's exact p is at most 1 - confidence. Returns (difference, low, high)."""
    if table.n == 0:
        return math.nan, math.nan, math.nan
    low, high = clopper_pearson(table.only_a, table.discordant, confidence)
    scale = table.discordant / table.n
    return (table.only_a - table.only_b) / table.n, scale * (2 * low - 1), scale * (2 * high - 1)
