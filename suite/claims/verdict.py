"""Verdicts: reproduced, contradicted, inconclusive (with a reason code), not run (with the config).

The rule, one for every claim: the effect's 95% interval must exclude the no-effect value on the
side the paper expects (reproduced) or on the other side (contradicted), and the test's p-value,
Holm-adjusted within the claim's family (one per paper), must be below 0.05. Anything else is
inconclusive, with one code of REASON_CODES saying why. The interval and the test agree: a
one-sample claim uses the Student-t interval of the mean and the one-sample t-test, a paired claim
the same on the pairs' differences, a two-sample claim the Welch interval and Welch's t-test, a
paired-success claim Tango's score interval and McNemar's exact test, a worst-cell claim the one-sided
Clopper-Pearson bound and the one-sided exact binomial test of the worst cell.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy import stats as sps

from suite import statistics

REPRODUCED = "reproduced"
CONTRADICTED = "contradicted"
INCONCLUSIVE = "inconclusive"
NOT_RUN = "not run"
VERDICTS = (REPRODUCED, CONTRADICTED, INCONCLUSIVE, NOT_RUN)

# Why a claim that ran is inconclusive, most basic first: the first that applies is the code.
TOO_FEW_SEEDS = "too-few-seeds"  # a group has fewer than 2 values: no interval
UNREACHABLE = "unreachable-at-n"  # even the most extreme outcome at these seeds cannot reach the family level
UNINFORMATIVE = "uninformative"  # the data carry no information on the effect (no run passed, no variation)
BUDGET_BOUND = "budget-bound"  # runs still improving at their last evaluation: not trained models yet
DIVERGED = "diverged"  # diverged runs left out, in different numbers per group: the groups no longer compare
FAILS_MULTIPLICITY = "fails-multiplicity"  # significant alone, not after Holm within the family
UNDERPOWERED = "underpowered"  # the interval straddles no-effect: more seeds could decide it
REASON_CODES = (TOO_FEW_SEEDS, UNREACHABLE, UNINFORMATIVE, BUDGET_BOUND, DIVERGED, FAILS_MULTIPLICITY, UNDERPOWERED)


@dataclass(frozen=True)
class Evidence:
    """The effect, its 95% interval (None when a group has < 2 values), the test's p and the values' counts.

    `uninformative` says why the test carries no information (its p is then NaN and it stays out of
    the family's adjustment)."""

    effect: float
    low: float | None
    high: float | None
    p: float
    n: tuple[int, ...]
    notes: tuple[str, ...] = field(default=())
    uninformative: str = ""


def one_sample(values, no_effect: float) -> Evidence:
    """Mean of `values` with its t interval, and the one-sample t-test of mean == no_effect."""
    x = statistics.finite(values)
    interval = statistics.t_interval(x)
    if x.size >= 2 and np.ptp(x) == 0:
        return Evidence(interval.mean, interval.low, interval.high, math.nan, (x.size,),
                        uninformative="the values do not vary across seeds")
    p = float(sps.ttest_1samp(x, no_effect).pvalue) if x.size >= 2 else math.nan
    return Evidence(interval.mean, interval.low, interval.high, p, (x.size,))


def paired_t(a, b, no_effect: float) -> Evidence:
    """mean(a - b) over aligned pairs (a pair with a non-finite side is left out), one-sample t on the
    differences against no_effect; n is the number of pairs."""
    return one_sample(_differences(a, b), no_effect)


def _differences(a, b) -> np.ndarray:
    """a - b over the aligned pairs whose both sides are finite."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    keep = np.isfinite(a) & np.isfinite(b)
    return a[keep] - b[keep]


def two_sample(a, b) -> Evidence:
    """mean(a) - mean(b) with the Welch interval and Welch's p."""
    a, b = statistics.finite(a), statistics.finite(b)
    difference = statistics.mean_difference(a, b)
    uninformative = ("the values do not vary across seeds"
                     if min(a.size, b.size) >= 2 and np.ptp(a) == 0 and np.ptp(b) == 0 else "")
    return Evidence(difference.diff, difference.low, difference.high, statistics.welch_p(a, b), (a.size, b.size),
                    uninformative=uninformative)


def paired_success(a, b) -> Evidence:
    """A's success rate minus B's over aligned 0/1 outcomes (one per cell and seed): Tango's score interval
    and McNemar's exact p; n is the number of pairs, the notes hold the 2x2 table. No success on
    either side is no information on the difference (the threshold was out of reach)."""
    table = statistics.paired_table(np.asarray(a) > 0, np.asarray(b) > 0)
    if table.n == 0:
        return Evidence(math.nan, None, None, math.nan, (0,))
    note = f"both {table.both}, only the first {table.only_a}, only the second {table.only_b}, neither {table.neither}"
    if table.neither == table.n:
        return Evidence(math.nan, None, None, math.nan, (table.n,), notes=(note,),
                        uninformative=f"no run of either method passed the success threshold ({table.n} pairs)")
    difference, low, high = statistics.paired_difference(table)
    return Evidence(difference, low, high, statistics.mcnemar_exact_p(table), (table.n,), notes=(note,))


def worst_cell(cells, labels=None) -> Evidence:
    """The intersection-union test that every cell succeeds more often than not: each cell's one-sided
    exact binomial p against 1/2; the claim's p is their maximum, taken at the worst cell (fewest runs
    break ties). Its interval is the one-sided 95% Clopper-Pearson bound [low, 1]; n holds the runs per cell.
    The test is one-sided, so it can reproduce the claim or leave it open, never contradict it."""
    cells = [np.asarray(cell) > 0 for cell in cells]
    if not cells:
        return Evidence(math.nan, None, None, math.nan, (0,))
    labels = list(labels) if labels is not None else [f"cell {i + 1}" for i in range(len(cells))]
    sizes = tuple(cell.size for cell in cells)
    note = "successes per cell: " + ", ".join(f"{label} {int(cell.sum())}/{cell.size}"
                                              for label, cell in zip(labels, cells))
    if not any(cell.any() for cell in cells):
        return Evidence(math.nan, None, None, math.nan, sizes, notes=(note,),
                        uninformative="no run passed the success threshold in any cell")
    worst, p = _worst_cell(cells)
    successes, n = int(cells[worst].sum()), cells[worst].size
    low, _ = statistics.clopper_pearson(successes, n, 1 - 2 * (1 - statistics.CONFIDENCE))
    return Evidence(successes / n, low, 1.0, p, sizes, notes=(f"worst cell {labels[worst]}", note))


def _worst_cell(cells: list[np.ndarray]) -> tuple[int, float]:
    """(index, p) of the cell with the largest one-sided binomial p against 1/2 (fewest runs break ties):
    the cell an intersection-union test is decided by."""
    p_cells = [float(sps.binomtest(int(cell.sum()), cell.size, 0.5, alternative="greater").pvalue) for cell in cells]
    worst = max(range(len(cells)), key=lambda i: (p_cells[i], -cells[i].size))
    return worst, p_cells[worst]


def evidence_for(test_kind: str, values, no_effect: float) -> Evidence:
    """The evidence of a claim's test (claim.TESTS) on its measure's values."""
    if test_kind == "mcnemar":
        return paired_success(*values)
    if test_kind == "worst-cell":
        return worst_cell(values, getattr(values, "labels", None))
    if test_kind == "paired-t":
        return paired_t(*values, no_effect)
    return two_sample(*values) if len(values) == 2 else one_sample(values[0], no_effect)





def seeds_needed(test_kind: str, values, no_effect: float, level: float) -> statistics.SeedsNeeded:
    """Seeds per group (pairs for paired tests, runs per cell for worst-cell) at which the claim's test
    reaches `level` with 80% power: at the observed effect and at its interval's two ends."""
    if test_kind == "mcnemar":
        table = statistics.paired_table(np.asarray(values[0]) > 0, np.asarray(values[1]) > 0)
        return statistics.seeds_needed_mcnemar(table, level) if table.n else statistics.NO_SEEDS_NEEDED
    if test_kind == "worst-cell":
        cells = [np.asarray(cell) > 0 for cell in values]
        if not cells:
            return statistics.NO_SEEDS_NEEDED
        worst = cells[_worst_cell(cells)[0]]
        return statistics.seeds_needed_binomial(int(worst.sum()), worst.size, level)
    if test_kind == "paired-t":
        return statistics.seeds_needed_t([_differences(*values)], no_effect, level)
    return statistics.seeds_needed_t([statistics.finite(v) for v in values], no_effect, level)


@dataclass(frozen=True)
class Decision:
    verdict: str
    code: str  # one of REASON_CODES for an inconclusive verdict, else ""
    reason: str


@dataclass(frozen=True)
class Context:
    """What the table knows of a claim beyond its evidence: its family's level and screening, and the runs."""

    p_holm: float
    level: float  # the family's first-step Holm level, alpha / m
    testable: bool = True  # False: unreachable at these seeds, screened out of the family
    reachable_at: int | None = None  # the n (per group, pairs, runs per cell) at which it would be testable
    improving: str = ""  # "k of n runs still improving ..." when the claim is about trained models
    diverged: str = ""  # "diverged runs left out: 1 vs 0" when the counts differ between groups


def decide(evidence: Evidence, no_effect: float, direction: int, context: Context,
           alpha: float = statistics.ALPHA) -> Decision:
    """The verdict of a claim that ran, with its reason code and reason."""
    extra = "; ".join(evidence.notes)

    def inconclusive(code: str, reason: str) -> Decision:
        return Decision(INCONCLUSIVE, code, _join(reason, extra))

    if evidence.low is None or evidence.high is None:
        if evidence.uninformative:
            return inconclusive(UNINFORMATIVE, evidence.uninformative)
        counts = " vs ".join(map(str, evidence.n))
        return inconclusive(TOO_FEW_SEEDS, f"too few seeds ({counts}; an interval needs 2 per group)")
    if not context.testable:
        where = f"; reachable from {context.reachable_at} per group" if context.reachable_at else ""
        return inconclusive(UNREACHABLE, f"no outcome at n = {' vs '.join(map(str, evidence.n))} can reach the "
                                         f"family level {context.level:.2g}{where}")
    if evidence.uninformative or not math.isfinite(evidence.p):
        return inconclusive(UNINFORMATIVE, evidence.uninformative or "the test has no p-value")
    if context.improving:
        return inconclusive(BUDGET_BOUND, f"{context.improving}: these are not trained models yet")
    if context.diverged:
        return inconclusive(DIVERGED, context.diverged)
    above, below = evidence.low > no_effect, evidence.high < no_effect
    expected, opposite = (above, below) if direction > 0 else (below, above)
    significant = math.isfinite(context.p_holm) and context.p_holm < alpha
    if expected and significant:
        return Decision(REPRODUCED, "", _join("interval excludes no-effect in the paper's direction", extra))
    if opposite and significant:
        return Decision(CONTRADICTED, "", _join("interval excludes no-effect against the paper's direction", extra))
    if (expected or opposite) and evidence.p < alpha:
        return inconclusive(FAILS_MULTIPLICITY, f"interval excludes no-effect but not after Holm within the family "
                                                f"(Holm p {context.p_holm:.3f})")
    if expected or opposite:  # an interval and an exact test may disagree at the edge
        return inconclusive(UNDERPOWERED, f"interval excludes no-effect but the test does not (p {evidence.p:.3f})")
    return inconclusive(UNDERPOWERED, "interval straddles no-effect")


def _join(*parts: str) -> str:
    return "; ".join(part for part in parts if part)
