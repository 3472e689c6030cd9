"""The verdict rule under no effect, by simulation: false verdicts stay within the level it claims.

Per-seed values are drawn with no effect (normal, Student-t with 3 df, discrete paired successes);
each repetition judges a whole family of such claims through the table's own code (evidence, Tarone's
screening, Holm within the family, the decision). A "reproduced" or "contradicted" is then false. The
repetitions are few enough for the fast tier; the tolerance is three Monte Carlo standard errors.
"""

import math

import numpy as np
import pytest

from suite.claims import Claim, group
from suite.claims.claim import Grid
from suite.claims.measures import Measure
from suite.claims.table import Outcome, judge
from suite.claims.verdict import CONTRADICTED, REPRODUCED, evidence_for
from suite.statistics import ALPHA

REPETITIONS = 300
FAMILY = 4
A, B = group("A", "fashion32", {"family": "dcgan"}, d_norm="sn"), group("B", "fashion32", {"family": "dcgan"})
NOTHING = Measure("simulated", lambda groups: [])


def family(test_kind: str, groups: int, direction: int = 1, no_effect: float = 0.0) -> list[Claim]:
    return [Claim(id=f"null-{k}", source="Null paper (2000), Fig. 1", statement="Nothing happens.",
                  groups=(A, B)[:groups], measure=NOTHING, no_effect=no_effect, direction=direction,
                  grids=(("cpu-small", Grid("configs/none.yaml", 3)),), test_kind=test_kind)
            for k in range(FAMILY)]


def false_verdicts(claims: list[Claim], draw, rng) -> tuple[np.ndarray, float]:
    """Per claim, the share of repetitions with a false verdict; and the share with any (family-wise)."""
    false = np.zeros((REPETITIONS, len(claims)), dtype=bool)
    for rep in range(REPETITIONS):
        outcomes = []
        for claim in claims:
            values = draw(rng)
            outcomes.append(Outcome(claim, "study null", evidence_for(claim.test_kind, values, claim.no_effect),
                                    values=values))
        verdicts = [decision.verdict for _, decision in judge(outcomes, registered=[])]
        false[rep] = np.isin(verdicts, (REPRODUCED, CONTRADICTED))
    return false.mean(axis=0), float(false.any(axis=1).mean())


def tolerance(rate: float) -> float:
    return 3 * math.sqrt(rate * (1 - rate) / REPETITIONS)


def check(per_claim, family_wise, label):
    level = ALPHA
    assert family_wise <= level + tolerance(level), f"{label}: family-wise false verdicts {family_wise:.4f}"
    for rate in per_claim:
        assert rate <= level / FAMILY + tolerance(level / FAMILY), f"{label}: per-claim rates {per_claim}"


@pytest.mark.parametrize("n", [3, 5])
@pytest.mark.parametrize("noise", ["normal", "t3"])
def test_t_claims_under_no_effect(n, noise):
    rng = np.random.default_rng(1000 * n + len(noise))

    def sample(size):
        return rng.standard_normal(size) if noise == "normal" else rng.standard_t(3, size)

    one = false_verdicts(family("t", 1), lambda _: [sample(n)], rng)
    check(*one, f"one-sample t, {noise}, n {n}")
    welch = false_verdicts(family("t", 2), lambda _: [sample(n), 3.0 * sample(n)], rng)  # unequal variances
    check(*welch, f"Welch, {noise}, n {n}")
    paired = false_verdicts(family("paired-t", 2), lambda _: [sample(n), sample(n)], rng)
    check(*paired, f"paired t, {noise}, n {n}")


@pytest.mark.parametrize("pairs", [9, 18])
def test_mcnemar_claims_under_no_effect(pairs):
    rng = np.random.default_rng(pairs)
    # per pair: both succeed 0.3, only A 0.2, only B 0.2, neither 0.3
    cells = np.array([[1, 1], [1, 0], [0, 1], [0, 0]], dtype=float)

    def draw(rng):
        chosen = cells[rng.choice(4, size=pairs, p=[0.3, 0.2, 0.2, 0.3])]
        return [chosen[:, 0], chosen[:, 1]]

    check(*false_verdicts(family("mcnemar", 2), draw, rng), f"McNemar, {pairs} pairs")


def test_worst_cell_at_the_boundary_of_the_null():
    rng = np.random.default_rng(7)
    # every cell succeeds exactly half the time: the least favourable case of "more often than not"
    draw = lambda rng: [rng.random(8) < 0.5 for _ in range(3)]  # noqa: E731
    check(*false_verdicts(family("worst-cell", 1, no_effect=0.5), draw, rng), "worst cell, 8 runs per cell")
