"""A claim is data: a published finding, the runs that test it at each scale, its statistic and rule."""

from __future__ import annotations

from dataclasses import dataclass

from suite.claims.measures import Measure
from suite.claims.runs import Group

SCALES = ("cpu-small", "cpu-overnight", "paper")


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

    def __post_init__(self):
        if self.direction not in (-1, 1):
            raise ValueError(f"claim {self.id}: direction must be +1 or -1, got {self.direction}")
        if len(self.groups) > 2:
            raise ValueError(f"claim {self.id}: at most two groups, got {len(self.groups)}")
        unknown = [scale for scale, _ in self.grids if scale not in SCALES]
        if unknown:
            raise ValueError(f"claim {self.id}: unknown scale(s) {unknown}; allowed: {', '.join(SCALES)}")

    @property
    def test(self) -> str:
        return {0: "one-sample t", 1: "one-sample t", 2: "Welch t"}[len(self.groups)]

    def grid(self, scale: str) -> Grid | None:
        return dict(self.grids).get(scale)

    @property
    def expected(self) -> str:
        return f"{'above' if self.direction > 0 else 'below'} {self.no_effect:g}"
