"""When a run has trained: the plateau rule that stops it, and why a run stopped.

A study's `train.plateau: {metric, window, tolerance}` turns `train.iterations` into a cap: after each
evaluation (every `eval_every` iterations) the run stops once `metric` (lower is better) has not
improved by more than `tolerance` (relative) over its last `window` evaluations, that is when the best
of the last `window` values is not below the best before them by more than tolerance x |that best|.
A curve that keeps improving runs to the cap; a flat one stops at the first evaluation after its
first window. Without the key a run trains its iterations, as it always did.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

PLATEAU = "plateau"  # the metric stopped improving
CAP = "cap"  # the plateau rule's cap (train.iterations) came first: the run was still improving
DIVERGED = "diverged"
BUDGET = "budget"  # no plateau rule: the run trained its fixed iterations
STOP_REASONS = (PLATEAU, CAP, DIVERGED, BUDGET)


@dataclass(frozen=True)
class PlateauRule:
    metric: str
    window: int
    tolerance: float

    @classmethod
    def from_train(cls, train: dict) -> PlateauRule | None:
        """The rule of a run's `train` settings, None when it trains a fixed number of iterations."""
        plateau = train.get("plateau")
        return None if plateau is None else cls(plateau["metric"], plateau["window"], plateau["tolerance"])

    def reached(self, values: list[float]) -> bool:
        """Whether the curve `values` (oldest first) has plateaued at its last evaluation."""
        if len(values) <= self.window:
            return False
        before, recent = values[:-self.window], values[-self.window:]
        if not all(math.isfinite(v) for v in recent) or not any(math.isfinite(v) for v in before):
            return False
        best_before = min(v for v in before if math.isfinite(v))
        return best_before - min(recent) <= self.tolerance * abs(best_before)
