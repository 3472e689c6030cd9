"""A claim is data: a published finding, the runs that test it at each scale, its statistic and rule."""

from __future__ import annotations

from dataclasses import dataclass

from suite.claims.measures import Measure
from suite.claims.runs import Group

SCALES = ("cpu-small", "cpu-overnight", "paper")

# How a claim is tested, with the groups each test takes. "t": the mean of one group against
# no_effect, or two groups' means (Welch). "paired-t": two groups whose measure returns aligned
# arrays (one entry per cell and seed both ran): the one-sample t-test of their differences.
# The success tests read each run as a success or not (a diverged run is a failure, not left out):
# "mcnemar" pairs two methods' runs on the same cells and seeds, "worst-cell" asks whether one
# method succeeds more often than not in every cell.
TESTS = {"t": (1, 2), "paired-t": (2,), "mcnemar": (2,), "worst-cell": (1,)}
OURS = "ours"  # the family of the benchmark's own observations


@dataclass(frozen=True)
class Grid:
    """Where a scale runs the claim: the study config, the seeds per group, what the config must hold."""

    config: str
    seeds: int
    needs: str = ""


@dataclass(frozen=True)
class Claim:
    """One finding with its test.

    `groups` holds one group (its mean is tested against `no_effect`) or two (mean of the first minus
    mean of the second); none for a computation that needs no runs. `direction` is the sign the
    paper expects of effect - no_effect. `ours` names the parts of the test that are our choice
    (a threshold, a matrix), `observation` marks a finding of this benchmark rather than a paper's.
    `test_kind` is one of TESTS; with a success test the measure gives 0/1 per run (per pair for
    "mcnemar", per cell for "worst-cell").
    `diverged_is_worst`: the claim is about training outcomes and its measure scores a diverged run
    +inf (lower is better); the table replaces that by the worst finite value of the claim's runs,
    so a failure stays in the test instead of being left out.
    `improving_metric`: the curve metric (lower is better) that tells whether the runs had finished
    training; a claim whose runs were still improving reads budget-bound, never a verdict.
    """

    id: str
    source: str
    statement: str
    groups: tuple[Group, ...]
    measure: Measure
    no_effect: float
    direction: int
    grids: tuple[tuple[str, Grid], ...]
    figure: str = ""
    ours: str = ""
    improving_metric: str | None = None
    observation: bool = False
    test_kind: str = "t"
    diverged_is_worst: bool = False

    def __post_init__(self):
        if self.direction not in (-1, 1):
            raise ValueError(f"claim {self.id}: direction must be +1 or -1, got {self.direction}")
        if len(self.groups) > 2:
            raise ValueError(f"claim {self.id}: at most two groups, got {len(self.groups)}")
        if self.test_kind not in TESTS:
            raise ValueError(f"claim {self.id}: test_kind {self.test_kind!r} is unknown; allowed: {', '.join(TESTS)}")
        if self.test_kind != "t" and len(self.groups) not in TESTS[self.test_kind]:
            raise ValueError(f"claim {self.id}: test {self.test_kind} takes {TESTS[self.test_kind][0]} group(s), "
                             f"got {len(self.groups)}")
        unknown = [scale for scale, _ in self.grids if scale not in SCALES]
        if unknown:
            raise ValueError(f"claim {self.id}: unknown scale(s) {unknown}; allowed: {', '.join(SCALES)}")

    @property
    def test(self) -> str:
        if self.test_kind == "mcnemar":
            return "McNemar exact (paired successes)"
        if self.test_kind == "worst-cell":
            return "exact one-sided binomial, worst cell (intersection-union)"
        if self.test_kind == "paired-t":
            return "paired t"
        return {0: "one-sample t", 1: "one-sample t", 2: "Welch t"}[len(self.groups)]

    @property
    def counts_successes(self) -> bool:
        return self.test_kind in ("mcnemar", "worst-cell")

    @property
    def family(self) -> str:
        """The multiplicity family: the paper (the source up to its first comma), or OURS."""
        return OURS if self.observation else self.source.split(",")[0].strip()

    def grid(self, scale: str) -> Grid | None:
        return dict(self.grids).get(scale)

    @property
    def expected(self) -> str:
        return f"{'above' if self.direction > 0 else 'below'} {self.no_effect:g}"
