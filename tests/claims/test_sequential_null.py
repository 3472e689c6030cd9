"""The sequential procedure under no effect, by simulation: looks, Holm over looks and futility together
give a false verdict at most as often as the family's level. Per-seed values are normal, Student-t with
3 df, or discrete paired successes. The repetitions are few enough for the fast tier (the benchmark
`python -m benchmarks.sequential` runs the full number); the tolerance is three Monte Carlo standard errors."""

import math

import numpy as np
import pytest

from suite.claims.interim import simulate
from suite.sequential import Design

DESIGN = Design((3, 6, 12), alpha=0.05)
REPETITIONS = 300


def normal(rng, n):
    return [rng.normal(0.0, 1.0, n)]


def student_t3(rng, n):
    return [rng.standard_t(3, n)]


def discordant_pairs(rng, n):
    """Two methods' successes on n cells x 4 seeds, each succeeding alone as often as the other."""
    u = rng.random(4 * n)
    return [(u < 0.3) | (u >= 0.6), u >= 0.3]


@pytest.mark.parametrize(("test_kind", "draw", "claims"), [
    ("t", normal, 3), ("t", student_t3, 2), ("mcnemar", discordant_pairs, 1)])
def test_false_verdicts_stay_within_the_family_level(test_kind, draw, claims):
    result = simulate(DESIGN, test_kind, [draw] * claims, [True] * claims, reps=REPETITIONS, seed=11)
    tolerance = 3 * math.sqrt(DESIGN.alpha * (1 - DESIGN.alpha) / REPETITIONS)
    assert result.false_rate <= DESIGN.alpha + tolerance
    assert 0 <= result.open_after[-1] == 0.0
    assert 3 <= result.seeds <= 12


def test_a_strong_effect_stops_early_and_a_null_one_does_not_get_a_verdict():
    strong = lambda rng, n: [rng.normal(3.0, 1.0, n)]
    result = simulate(DESIGN, "t", [strong, normal], [False, True], reps=100, seed=3)
    assert result.decided >= 0.95, "the strong effect is decided"
    assert result.seeds < 12, "it stops before the last look"
    assert result.fixed_decided >= 0.95
