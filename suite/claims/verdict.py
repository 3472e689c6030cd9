"""Verdicts: reproduced, contradicted, inconclusive (with the reason), not run (with the config).

The rule, one for every claim: the effect's 95% interval must exclude the no-effect value on the
side the paper expects (reproduced) or on the other side (contradicted), and the test's p-value,
Holm-adjusted across the claims of the table, must be below 0.05. Anything else is inconclusive,
with the reason. The interval and the test agree: a one-sample claim uses the Student-t interval
of the mean and the one-sample t-test, a two-sample claim the Welch interval of the difference of
means and Welch's t-test.
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


@dataclass(frozen=True)
class Evidence:
    """The effect, its 95% interval (None when a group has < 2 values), the test's p and the seeds used."""

    effect: float
    low: float | None
    high: float | None
    p: float
    n: tuple[int, ...]
    seeds_needed: int | None = None
    notes: tuple[str, ...] = field(default=())


def one_sample(values, no_effect: float) -> Evidence:
    """Mean of `values` with its t interval, and the one-sample t-test of mean == no_effect."""
    x = statistics.finite(values)
    interval = statistics.t_interval(x)
    p = math.nan
    if x.size >= 2 and np.ptp(x) > 0:
        p = float(sps.ttest_1samp(x, no_effect).pvalue)
    return Evidence(interval.mean, interval.low, interval.high, p, (x.size,))


def two_sample(a, b) -> Evidence:
    """mean(a) - mean(b) with the Welch interval, Welch's p, and the seeds per group that would separate them."""
    a, b = statistics.finite(a), statistics.finite(b)
    difference = statistics.mean_difference(a, b)
    return Evidence(difference.diff, difference.low, difference.high, statistics.welch_p(a, b),
                    (a.size, b.size), statistics.seeds_to_separate(statistics.hedges_g(a, b)))


def paired_success(a, b) -> Evidence:
    """A's success rate minus B's over aligned 0/1 outcomes (one per cell and seed), McNemar's exact p;
    n is the number of pairs, the notes hold the 2x2 table."""
    table = statistics.paired_table(np.asarray(a) > 0, np.asarray(b) > 0)
    if table.n == 0:
        return Evidence(math.nan, None, None, math.nan, (0,))
    difference, low, high = statistics.paired_difference(table)
    note = f"both {table.both}, only the first {table.only_a}, only the second {table.only_b}, neither {table.neither}"
    return Evidence(difference, low, high, statistics.mcnemar_exact_p(table), (table.n,), notes=(note,))


def worst_cell(cells, labels=None) -> Evidence:
    """The success rate of the cell with the lowest Clopper-Pearson lower bound (fewest runs break ties),
    its interval and its two-sided exact binomial p against 1/2; n holds the runs per cell."""
    cells = [np.asarray(cell) > 0 for cell in cells]
    if not cells:
        return Evidence(math.nan, None, None, math.nan, (0,))
    labels = list(labels) if labels is not None else [f"cell {i + 1}" for i in range(len(cells))]
    bounds = [statistics.clopper_pearson(int(cell.sum()), cell.size) for cell in cells]
    worst = min(range(len(cells)), key=lambda i: (bounds[i][0], cells[i].size))
    successes, n = int(cells[worst].sum()), cells[worst].size
    p = float(sps.binomtest(successes, n, 0.5).pvalue)
    note = "successes per cell: " + ", ".join(f"{label} {int(cell.sum())}/{cell.size}"
                                              for label, cell in zip(labels, cells))
    return Evidence(successes / n, *bounds[worst], p, tuple(cell.size for cell in cells),
                    notes=(f"worst cell {labels[worst]}", note))


def evidence_for(test_kind: str, values, no_effect: float) -> Evidence:
    """The evidence of a claim's test (claim.TESTS) on its measure's values."""
    if test_kind == "mcnemar":
        return paired_success(*values)
    if test_kind == "worst-cell":
        return worst_cell(values, getattr(values, "labels", None))
    return two_sample(*values) if len(values) == 2 else one_sample(values[0], no_effect)


def decide(evidence: Evidence, no_effect: float, direction: int, p_holm: float,
           alpha: float = statistics.ALPHA) -> tuple[str, str]:
    """(verdict, reason) for a claim that ran; `p_holm` is its Holm-adjusted p-value."""
    extra = "; ".join(evidence.notes)
    if evidence.low is None or evidence.high is None:
        counts = " vs ".join(map(str, evidence.n))
        return INCONCLUSIVE, _join(f"too few seeds ({counts}; an interval needs 2 per group)", extra)
    above, below = evidence.low > no_effect, evidence.high < no_effect
    expected, opposite = (above, below) if direction > 0 else (below, above)
    significant = math.isfinite(p_holm) and p_holm < alpha
    if expected and significant:
        return REPRODUCED, _join("interval excludes no-effect in the paper's direction", extra)
    if opposite and significant:
        return CONTRADICTED, _join("interval excludes no-effect against the paper's direction", extra)
    if not math.isfinite(p_holm):
        reason = "no test: the values do not vary across seeds"
    elif expected or opposite:
        reason = f"interval excludes no-effect but not after Holm across the table (Holm p {p_holm:.3f})"
    else:
        reason = "interval straddles no-effect"
    if evidence.seeds_needed is not None and not significant:
        reason += f"; ~{evidence.seeds_needed} seeds per group would detect this effect size"
    return INCONCLUSIVE, _join(reason, extra)


def _join(*parts: str) -> str:
    return "; ".join(part for part in parts if part)
