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
distribution can reach p < alpha, and the number of seeds per group a two-sample t-test would
need to separate the two at the observed effect.

Families of tests: Holm's step-down adjustment and Benjamini-Hochberg q-values, both over a family
of fixed size m whose untested members count as p = 1; the smallest p-value each test kind can
attain at its sample sizes (smallest_p, reachable_at); and Tarone's screen, which leaves out of the
family the discrete tests that could not reject anyway.

Success counts (a run succeeds or not): the paired 2x2 table of two methods on the same cells,
McNemar's exact test on its discordant pairs, Tango's score interval of the difference of the two
success rates, and the Clopper-Pearson interval of a proportion.

Seeds needed (SeedsNeeded): how many seeds per group, pairs or runs per cell a test needs to reach
POWER at a given level, at the observed effect and at the two ends of its interval, for the
one-sample and Welch t-tests (noncentral t), the exact McNemar test and the exact one-sided binomial
test (exact power, every n tried up to SEEDS_CAP).
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

CONFIDENCE = 0.95
ALPHA = 0.05
POWER = 0.8
BCA_MIN_N = 10
BOOT_RESAMPLES = 9999
BOOT_SEED = 20240607
ONE_SEED = "1 seed"
NO_SEEDS = "no seeds"
TOO_FEW_FOR_RANK = "too few seeds for a rank test"
SEEDS_CAP = 10_000
# seeds_to_separate looks further: its callers print the number for a tie (g = 0.02 needs ~40,000 per
# group, and saying so is the point) and word None as "equal means"
SEPARATE_CAP = 1_000_000


def finite(values) -> np.ndarray:
    """The finite values as a 1-d float array (None, NaN, inf and non-numbers dropped)."""
    if isinstance(values, np.ndarray) and values.dtype.kind in "fiub":  # numbers already: no parsing
        arr = values.astype(float).ravel()
        return arr[np.isfinite(arr)]
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


def _family(pvalues, m: int | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The p-values as an array, the mask of the finite ones (the tests), and the family of m p-values
    those tests belong to: the finite ones first, then a 1 for each member of the family not tested."""
    p = np.asarray(pvalues, dtype=float)
    ok = np.isfinite(p)
    tested = int(ok.sum())
    if m is None:
        m = tested
    if m < tested:
        raise ValueError(f"a family of m = {m} tests cannot hold the {tested} finite p-values given")
    return p, ok, np.concatenate([p[ok], np.ones(m - tested)])


def holm(pvalues, m: int | None = None) -> np.ndarray:
    """Holm's step-down adjusted p-values: with the p-values sorted, p_(i) * (m - i + 1), made
    non-decreasing by a running maximum, capped at 1 (the same numbers as statsmodels' multipletests
    method "holm", which runs a full garbage collection on every call: 0.1-0.2 s in a table that
    adjusts each family, and in the simulations that adjust thousands).

    NaN entries stay NaN and are not tests. `m` fixes the size of the family when it was declared
    before some of its members could be tested: the untested ones count as p = 1, so a test is
    adjusted for all m, not only for those that ran. m = None: the family is the finite entries."""
    p, ok, family = _family(pvalues, m)
    out = np.full(p.shape, np.nan)
    if ok.any():
        order = np.argsort(family, kind="stable")
        stepped = np.maximum.accumulate(family[order] * (family.size - np.arange(family.size)))
        adjusted = np.empty_like(family)
        adjusted[order] = np.minimum(stepped, 1.0)
        out[ok] = adjusted[:ok.sum()]
    return out


def bh_qvalues(pvalues, m: int | None = None) -> np.ndarray:
    """Benjamini-Hochberg q-values (Benjamini and Hochberg 1995, J. R. Stat. Soc. B 57:289) by
    scipy.stats.false_discovery_control(method="bh"): with the p-values sorted, min over j >= i of
    p_(j) * m / j, capped at 1. NaN entries and `m` as in holm()."""
    p, ok, family = _family(pvalues, m)
    out = np.full(p.shape, np.nan)
    if ok.any():
        out[ok] = sps.false_discovery_control(family, method="bh")[:ok.sum()]
    return out


TEST_KINDS = ("t", "paired-t", "mcnemar", "worst-cell")


def smallest_p(test_kind: str, n) -> float:
    """The smallest p-value a test can attain at its sample sizes `n` (a tuple of ints):

    - "t": one-sample or Welch t-test, n per group: 0 when every group has >= 2 values (the t
      statistic is unbounded), else 1 (no test);
    - "paired-t": n = (pairs,): 0 from 2 pairs, else 1;
    - "mcnemar": two-sided exact McNemar on n = (pairs,): min(1, 2 * 0.5^n), every pair discordant
      the same way;
    - "worst-cell": one-sided exact binomial test against 1/2 of the worst of several cells with
      n runs each, an intersection-union test (Berger 1982, Technometrics 24:295) that rejects only
      when every cell does: 0.5^min(n), every run of the smallest cell a success."""
    if test_kind not in TEST_KINDS:
        raise ValueError(f"unknown test kind {test_kind!r}; allowed: {', '.join(TEST_KINDS)}")
    sizes = tuple(int(v) for v in np.atleast_1d(n))
    groups = {"t": (1, 2), "paired-t": (1,), "mcnemar": (1,)}.get(test_kind, (len(sizes),))
    if not sizes or len(sizes) not in groups or min(sizes) < 0:
        raise ValueError(f"sample sizes {sizes} do not fit a {test_kind!r} test (t: 1 or 2 groups; paired-t "
                         "and mcnemar: 1; worst-cell: 1 or more cells; none negative)")
    if test_kind in ("t", "paired-t"):
        return 0.0 if min(sizes) >= 2 else 1.0
    if test_kind == "mcnemar":
        return min(1.0, 2 * 0.5 ** sizes[0])
    return 0.5 ** min(sizes)


def reachable_at(test_kind: str, level: float) -> int:
    """The smallest n >= 1 (values per group, pairs, or runs per cell) at which smallest_p(test_kind)
    is at most `level`: 2 for the t-tests, ceil(log2(2 / level)) for McNemar, ceil(log2(1 / level))
    for the worst cell (each found by counting up, which the underflow of 0.5^n to 0 ends)."""
    if not level > 0:
        raise ValueError(f"no test reaches a p-value of {level}: the level must be positive")
    n = 1
    while smallest_p(test_kind, (n,)) > level:
        n += 1
    return n


def tarone_screen(smallest_ps, alpha: float = ALPHA) -> tuple[int, np.ndarray]:
    """Tarone's modified Bonferroni screen for discrete tests (Tarone 1990, Biometrics 46:515):
    K is the smallest integer K >= 1 with #{i : smallest_ps[i] <= alpha / K} <= K, and the mask marks
    those tests. Testing them at alpha / K keeps the family-wise error at most alpha: a test whose
    smallest attainable p exceeds alpha / K can never reject at that level, so it need not be paid
    for. A NaN smallest p (no test) is never in the mask. K <= the number of tests, which ends the search."""
    q = np.asarray(smallest_ps, dtype=float)
    q = np.where(np.isnan(q), np.inf, q)
    k = 1
    while (q <= alpha / k).sum() > k:
        k += 1
    return k, q <= alpha / k


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


def _t_power(effect_size: float, n: int, alpha: float, groups: int) -> float:
    """Power of the two-sided t-test at a standardized effect d with n values per group:
    P(|T| > t_{1-alpha/2, df}), T noncentral t with df = n - 1 and noncentrality d sqrt(n) for one
    group (statsmodels TTestPower), df = 2n - 2 and noncentrality d sqrt(n / 2) for two groups of n
    (TTestIndPower, ratio 1). The lower tail, which scipy returns as NaN at noncentralities above ~37,
    counts as 0 there (it is below 1e-300)."""
    df, per_value = (n - 1, n) if groups == 1 else (2 * n - 2, n / 2)
    nc = abs(effect_size) * math.sqrt(per_value)
    crit = sps.t.isf(alpha / 2, df)
    lower = float(sps.nct.cdf(-crit, df, nc))
    return float(sps.nct.sf(crit, df, nc)) + (lower if math.isfinite(lower) else 0.0)


def t_test_power(effect_size: float, n: int, alpha: float = ALPHA) -> float:
    """Power of the two-sided two-sample t-test with n per group at a standardized effect:
    P(|T| > t_{1-alpha/2, 2n-2}) with T noncentral t, df 2n - 2, noncentrality effect * sqrt(n / 2).
    Same formula as statsmodels' TTestIndPower.power, whose lower tail turns NaN at effects above
    ~8 SD (then ~0 here, as it is)."""
    return _t_power(effect_size, n, alpha, groups=2)


def _least_n(power_at, target: float, start: int = 2, cap: int = SEEDS_CAP) -> float:
    """The smallest integer n in [start, cap] with power_at(n) >= target, for a power that does not
    fall as n grows (doubling from start, then bisection); inf when even n = cap falls short."""
    if power_at(cap) < target:
        return math.inf
    low, high = start - 1, start
    while power_at(high) < target:
        low, high = high, min(2 * high, cap)
    while high - low > 1:
        mid = (low + high) // 2
        low, high = (low, mid) if power_at(mid) >= target else (mid, high)
    return float(high)


def seeds_to_separate(effect_size: float, alpha: float = ALPHA, power: float = POWER,
                      cap: int = SEPARATE_CAP) -> int | None:
    """Fewest seeds per group at which a two-sided two-sample t-test detects a standardized effect
    (Cohen's d / Hedges' g) at level alpha with the given power: the smallest integer n >= 2 with
    t_test_power >= power (power rises with n; found by doubling, then bisection).
    None when the effect is 0 or not finite (no number of seeds separates equal means), or when
    more than `cap` seeds per group would be needed (a difference within rounding of 0)."""
    if not np.isfinite(effect_size) or effect_size == 0:
        return None
    n = _least_n(lambda k: t_test_power(effect_size, k, alpha), power, cap=cap)
    return int(n) if math.isfinite(n) else None


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


def _tango_score(only_a, only_b, n, delta):
    """Tango's score statistic for Delta = p10 - p01 (arrays broadcast):
    Z(Delta) = (b - c - n Delta) / sqrt(n (2 q + Delta (1 - Delta))), b = only_a, c = only_b, with
    q = (sqrt(W^2 + 8 n c Delta (1 - Delta)) - W) / (4 n), W = -b - c + (2 n - b + c) Delta, the
    maximum-likelihood p01 given Delta (Tango 1998, eq. 3-4). Z is 0 where its numerator is; where
    the variance is 0 (Delta = +-1) it is +-inf."""
    b, c = only_a, only_b
    w = -b - c + (2 * n - b + c) * delta
    q = (np.sqrt(np.maximum(w * w + 8 * n * c * delta * (1 - delta), 0.0)) - w) / (4 * n)
    var = n * (2 * q + delta * (1 - delta))
    num = b - c - n * delta
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(num == 0, 0.0, np.where(var > 0, num / np.sqrt(var), np.sign(num) * np.inf))


def _tango_interval(only_a, only_b, n, confidence: float = CONFIDENCE) -> tuple[np.ndarray, np.ndarray]:
    """The Tango interval {Delta in [-1, 1] : |Z(Delta)| <= z_{(1+c)/2}} of each table (arrays
    broadcast); Z falls as Delta rises, so each end is found by bisection (60 halvings of [-1, 1],
    finer than a double)."""
    z = sps.norm.isf((1 - confidence) / 2)
    b, c, n = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (only_a, only_b, n)))
    estimate = (b - c) / n
    out_lo, in_lo = np.full(b.shape, -1.0), estimate.copy()  # Z(out_lo) > z (or the end is -1), Z(in_lo) <= z
    in_hi, out_hi = estimate.copy(), np.full(b.shape, 1.0)
    for _ in range(60):
        mid = (out_lo + in_lo) / 2
        above = _tango_score(b, c, n, mid) > z
        out_lo, in_lo = np.where(above, mid, out_lo), np.where(above, in_lo, mid)
        mid = (in_hi + out_hi) / 2
        below = _tango_score(b, c, n, mid) < -z
        in_hi, out_hi = np.where(below, in_hi, mid), np.where(below, mid, out_hi)
    return in_lo, in_hi


def paired_difference(table: PairedTable, confidence: float = CONFIDENCE) -> tuple[float, float, float]:
    """A's success rate minus B's, Delta-hat = (only_a - only_b) / n, with Tango's score interval
    (Tango 1998, Stat. Med. 17:891-908): the Delta at which the score statistic Z(Delta) of
    _tango_score equals +-z_{(1+c)/2}. Returns (difference, low, high); NaNs when n is 0.

    At Delta = 0, Z = (b - c) / sqrt(b + c), McNemar's statistic without continuity correction, so the
    interval excludes 0 exactly when that asymptotic test rejects at 1 - confidence; it can exclude 0
    where the exact McNemar p (mcnemar_exact_p) is just above it (b = 5, c = 0: Z = 2.24, exact p = 1/16).
    Closed forms: no discordant pair gives -+z^2 / (n + z^2); all n pairs won by A gives a lower end
    of (n - z^2) / (n + z^2).

    Why Tango: the difference is random through both the discordant share and the split of the
    discordant pairs. The earlier interval (Clopper-Pearson of the split, scaled by the observed
    discordant share d / n) ignored the randomness of d. Newcombe's hybrid score interval (Newcombe
    1998, Stat. Med. 17:2635, method 10: Wilson intervals of the two margins joined with the phi
    correlation) has exact coverage 0.79 at n = 6 and still 0.90 at n = 30 pairs when one method never
    wins alone, (p11, p10, p01, p00) = (0.4, 0.2, 0, 0.4), and 0.90 at n = 6 for (0.2, 0.3, 0.1, 0.4);
    Tango's covers at least 0.944 in every such case checked from 3 to 30 pairs (see the tests). Neither
    is exact: over a 0.05 grid of (p10, p01) at 6 to 50 pairs Tango's coverage dips to 0.91 where every
    pair is discordant and to 0.93 where one method never wins alone; Newcombe's to 0.70 (6 to 30 pairs)."""
    if table.n == 0:
        return math.nan, math.nan, math.nan
    low, high = _tango_interval(table.only_a, table.only_b, table.n, confidence)
    return (table.only_a - table.only_b) / table.n, float(low), float(high)


@dataclass(frozen=True)
class SeedsNeeded:
    """Seeds (values per group, pairs, or runs per cell) a test needs to reach the target power:
    at the observed effect (estimate), at the end of its interval farther from no effect (low: the
    fewest) and at the nearer end (high). Each an integer-valued float; inf when no number up to
    SEEDS_CAP reaches the power (no effect, a near-zero one, or an interval reaching no effect);
    NaN when there is too little data to estimate the effect."""

    estimate: float
    low: float
    high: float


NO_SEEDS_NEEDED = SeedsNeeded(math.nan, math.nan, math.nan)


def _far_and_near(estimate: float, low: float, high: float, no_effect: float) -> tuple[float, float | None]:
    """The interval's end farther from no effect and the nearer one (None when it lies at or beyond
    no effect, so that the data allow no effect at all)."""
    if estimate == no_effect:
        return (low if abs(low - no_effect) >= abs(high - no_effect) else high), None
    far, near = (high, low) if estimate > no_effect else (low, high)
    return far, (near if (near - no_effect) * (estimate - no_effect) > 0 else None)


def seeds_needed_t(groups, no_effect: float, alpha: float, power: float = POWER,
                   confidence: float = CONFIDENCE) -> SeedsNeeded:
    """Seeds per group a two-sided t-test needs to reject at `alpha` with `power`.

    One group (a one-sample test of mean = no_effect; also paired differences): effect
    d = (mean - no_effect) / s, n the smallest with TTestPower power >= target; the interval is the
    Student-t interval of the mean (t_interval). Two groups (Welch): d = (mean_a - mean_b - no_effect)
    / sqrt((s_a^2 + s_b^2) / 2), the effect size that averages the two variances instead of pooling
    them, so, like Welch's test, it does not assume they are equal; n per group from TTestIndPower
    (ratio 1); the interval is Welch's (mean_difference). Both ends use the same SD.
    Power is _t_power over integer n (doubling, then bisection, up to SEEDS_CAP).
    All values equal (SD 0) with an effect: the effect is certain and every value is 2, the least n
    with an interval. A group with fewer than 2 values: NaNs."""
    samples = [finite(g) for g in groups]
    if len(samples) not in (1, 2):
        raise ValueError(f"seeds_needed_t takes one group or two, got {len(samples)}")
    if min(x.size for x in samples) < 2:
        return NO_SEEDS_NEEDED
    if len(samples) == 1:
        sd = float(samples[0].std(ddof=1))
        interval = t_interval(samples[0], confidence)
        estimate, low, high = interval.mean, interval.low, interval.high
    else:
        a, b = samples
        sd = math.sqrt((a.var(ddof=1) + b.var(ddof=1)) / 2)
        difference = mean_difference(a, b, confidence)
        estimate, low, high = difference.diff, difference.low, difference.high

    def seeds(value: float | None) -> float:
        shift = math.nan if value is None else value - no_effect
        if not math.isfinite(shift) or shift == 0:
            return math.inf
        if sd == 0:
            return 2.0
        d = shift / sd
        if not math.isfinite(d):
            return math.inf
        return _least_n(lambda n: _t_power(d, n, alpha, len(samples)), power)

    far, near = _far_and_near(estimate, low, high, no_effect)
    return SeedsNeeded(seeds(estimate), seeds(far), seeds(near))


def _mcnemar_split_power(p10: float, p01: float, max_d: int, alpha: float) -> np.ndarray:
    """P(the two-sided exact McNemar test rejects | d discordant pairs), d = 0..max_d: with k_d the
    largest k with 2 F(k; d, 1/2) <= alpha, it rejects when b <= k_d or b >= d - k_d, and
    b | d ~ Binomial(d, p10 / (p10 + p01))."""
    d = np.arange(max_d + 1)
    k = sps.binom.ppf(alpha / 2, d, 0.5)
    k = np.where(sps.binom.cdf(k, d, 0.5) <= alpha / 2, k, k - 1)
    share = p10 / (p10 + p01)
    split = sps.binom.cdf(k, d, share) + sps.binom.sf(d - k - 1, d, share)
    return np.where(k >= 0, split, 0.0)


def mcnemar_power(p10: float, p01: float, n: int, alpha: float = ALPHA) -> float:
    """Exact power of the two-sided exact McNemar test (p <= alpha) at n pairs, given the per-pair
    probabilities p10 (only A succeeds) and p01 (only B): sum over d of
    Binomial(d; n, p10 + p01) * P(reject | d) (_mcnemar_split_power)."""
    if n <= 0 or p10 + p01 <= 0:
        return 0.0
    d = np.arange(n + 1)
    return float(sps.binom.pmf(d, n, p10 + p01) @ _mcnemar_split_power(p10, p01, n, alpha))


def _mcnemar_least_n(p10: float, p01: float, alpha: float, target: float, cap: int = SEEDS_CAP) -> float:
    """The smallest n <= cap with mcnemar_power >= target, or inf.

    The power of an exact test is a sawtooth in n, so every n is tried from 1 up: the
    Binomial(n, p10 + p01) law of the discordant count is carried from n - 1 to n by
    P_n(d) = (1 - t) P_{n-1}(d) + t P_{n-1}(d - 1), and the conditional rejection
    probabilities are computed once, so the whole scan costs O(cap^2) flops and no special functions."""
    share = p10 + p01
    if share <= 0:
        return math.inf
    split = _mcnemar_split_power(p10, p01, cap, alpha)
    law = np.zeros(cap + 1)
    law[0] = 1.0
    for n in range(1, cap + 1):
        law[1:n + 1] = law[1:n + 1] * (1 - share) + law[:n] * share
        law[0] *= 1 - share
        if law[:n + 1] @ split[:n + 1] >= target:
            return float(n)
    return math.inf


def seeds_needed_mcnemar(table: PairedTable, alpha: float, power: float = POWER,
                         confidence: float = CONFIDENCE) -> SeedsNeeded:
    """Pairs the two-sided exact McNemar test needs to reject at `alpha` with `power` (the smallest n
    with mcnemar_power >= power, every n tried: see _mcnemar_least_n).

    The estimate uses p10 = only_a / n and p01 = only_b / n. The ends hold the discordant share
    t = (only_a + only_b) / n fixed and move p10 - p01 to the ends of paired_difference's interval,
    clipped to [-t, t]: p10 = (t + Delta) / 2, p01 = (t - Delta) / 2. No discordant pair: every value
    inf (at that share no n helps). No pairs: NaNs."""
    if table.n == 0:
        return NO_SEEDS_NEEDED
    share = table.discordant / table.n
    estimate, low, high = paired_difference(table, confidence)

    def seeds(delta: float | None) -> float:
        if delta is None or delta == 0:
            return math.inf
        delta = min(max(delta, -share), share)
        return _mcnemar_least_n((share + delta) / 2, (share - delta) / 2, alpha, power)

    far, near = _far_and_near(estimate, low, high, 0.0)
    return SeedsNeeded(seeds(estimate), seeds(far), seeds(near))


def _binomial_critical(ns: np.ndarray, alpha: float, null: float) -> np.ndarray:
    """c_n, the smallest count with P(X >= c | n, null) <= alpha (n + 1 when none is)."""
    c = sps.binom.ppf(1 - alpha, ns, null) + 1
    # 1 - alpha rounds, so settle c on the tail probability itself
    while (lower := (c > 0) & (sps.binom.sf(c - 2, ns, null) <= alpha)).any():
        c = c - lower
    while (higher := sps.binom.sf(c - 1, ns, null) > alpha).any():
        c = c + higher
    return c


def binomial_power(rate: float, n, alpha: float = ALPHA, null: float = 0.5) -> np.ndarray | float:
    """Exact power of the one-sided exact binomial test of rate > null at n runs (an int or an
    array): P(X >= c_n | n, rate), X ~ Binomial(n, rate), c_n from _binomial_critical."""
    ns = np.asarray(n)
    out = sps.binom.sf(_binomial_critical(ns, alpha, null) - 1, ns, rate)
    return float(out) if out.ndim == 0 else out


def seeds_needed_binomial(successes: int, n: int, alpha: float, power: float = POWER, null: float = 0.5,
                          confidence: float = CONFIDENCE) -> SeedsNeeded:
    """Runs per cell the one-sided exact binomial test of rate > null needs to reject at `alpha` with
    `power`: the smallest n <= SEEDS_CAP with binomial_power >= power (a sawtooth in n, so every n is
    evaluated). The effect is successes / n, the ends those of the Clopper-Pearson interval
    (clopper_pearson); a rate at or below null: inf. In a worst-cell claim this is the number for the
    worst cell; cells at higher rates need no more. n = 0: NaNs."""
    if n == 0:
        return NO_SEEDS_NEEDED
    ns = np.arange(1, SEEDS_CAP + 1)

    def seeds(rate: float | None) -> float:
        if rate is None or not rate > null:
            return math.inf
        reached = np.flatnonzero(binomial_power(rate, ns, alpha, null) >= power)
        return float(ns[reached[0]]) if reached.size else math.inf

    low, high = clopper_pearson(successes, n, confidence)
    far, near = _far_and_near(successes / n, low, high, null)
    return SeedsNeeded(seeds(successes / n), seeds(far), seeds(near))
