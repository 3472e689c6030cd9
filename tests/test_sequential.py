"""Group-sequential boundaries, the spending function, Holm over looks and conditional power."""

import math

import numpy as np
import pytest
from scipy import stats as sps

from suite import sequential
from suite.sequential import Design


@pytest.mark.parametrize(("looks", "published"), [
    # Lan-DeMets O'Brien-Fleming boundaries, one-sided 0.025, equal looks (as tabulated by gsDesign and
    # in Jennison & Turnbull 2000, ch. 7)
    ((1, 2, 3), (3.7103, 2.5114, 1.9930)),
    ((1, 2), (2.9626, 1.9686)),
    ((1, 2, 3, 4), (4.3326, 2.9631, 2.3590, 2.0141)),
])
def test_boundaries_reproduce_the_published_obrien_fleming_values(looks, published):
    assert sequential.z_boundaries(looks, 0.025) == pytest.approx(published, abs=5e-4)


def test_boundaries_spend_exactly_the_level_on_a_simulated_brownian_score():
    rng = np.random.default_rng(7)
    bounds = sequential.z_boundaries((3, 6, 12), 0.025)
    t = np.array([3, 6, 12]) / 12
    steps = rng.normal(size=(200_000, 3)) * np.sqrt(np.diff(t, prepend=0))
    z = np.cumsum(steps, axis=1) / np.sqrt(t)
    crossed = (z >= bounds).any(axis=1).mean()
    assert crossed == pytest.approx(0.025, abs=3 * math.sqrt(0.025 * 0.975 / 200_000))


def test_spending_function_spends_alpha_by_the_last_look_and_little_early():
    alpha = 0.05
    assert sequential.spent(1.0, alpha) == pytest.approx(alpha)
    increments = sequential.increments((3, 6, 12), alpha)
    assert increments.sum() == pytest.approx(alpha)
    assert np.all(np.diff(increments) > 0), "O'Brien-Fleming keeps most of the level for the last look"
    # closed form at t = 1/4: 2 - 2 Phi(z_{0.975} / 0.5)
    assert increments[0] == pytest.approx(2 - 2 * sps.norm.cdf(sps.norm.ppf(0.975) / 0.5))


def test_the_union_bound_is_never_less_strict_than_the_exact_boundaries():
    exact = sequential.z_boundaries((1, 2, 3), 0.025)
    union = sps.norm.isf(sequential.increments((1, 2, 3), 0.025))
    assert np.all(union >= exact - 1e-9)
    assert union[0] == pytest.approx(exact[0])  # the first look is the same test


@pytest.mark.parametrize("looks", [(), (3, 3), (6, 3), (0, 3)])
def test_looks_must_be_increasing_positive_counts(looks):
    with pytest.raises(ValueError, match="increasing"):
        Design(looks)


def test_holm_over_looks_passes_a_rejected_claims_level_on():
    design = Design((3, 6, 12), alpha=0.05)
    full, half = design.increment(1, 0.05), design.increment(1, 0.025)
    # A passes at alpha / 2 at look 2; B's look-2 p lies between the shares of alpha / 2 and alpha
    between = (half + full) / 2
    rejected, levels = sequential.holm_looks({"A": [0.5, half / 2], "B": [0.5, between]}, 2, design)
    assert rejected == {"A", "B"}
    assert levels == {"A": 0.025, "B": 0.05}
    # without A's rejection B stays open at alpha / 2
    rejected, levels = sequential.holm_looks({"A": [0.5, 0.5], "B": [0.5, between]}, 2, design)
    assert rejected == set() and levels["B"] == 0.025
    # a member that never ran keeps its place in m: B cannot get the whole level
    rejected, levels = sequential.holm_looks({"A": [0.5, 1e-6], "B": [0.5, between]}, 3, design)
    assert rejected == {"A"} and levels["B"] == pytest.approx(0.025)


def test_holm_over_looks_retests_earlier_looks_at_the_raised_level():
    design = Design((3, 6), alpha=0.05)
    first_half, first_full = design.increment(0, 0.025), design.increment(0, 0.05)
    # B's look-1 p passes only at the full level, which it gets once A is rejected at look 2
    rejected, _ = sequential.holm_looks({"A": [0.9, 1e-6], "B": [(first_half + first_full) / 2, 0.9]}, 2, design)
    assert rejected == {"A", "B"}


def test_conditional_power_matches_its_closed_form():
    level = 0.0125
    critical = sps.norm.isf(level)
    # no data and no drift: the chance that N(0, 1 - t) reaches c from 0
    assert sequential.conditional_power(0.0, 0.5, 0.0, level) == pytest.approx(sps.norm.sf(critical / math.sqrt(0.5)))
    # a drift equal to the critical value, at t -> 0, gives one half
    assert sequential.conditional_power(0.0, 1e-9, critical, level) == pytest.approx(0.5, abs=1e-4)
    # at the last look it is the test itself
    assert sequential.conditional_power(critical + 0.1, 1.0, 0.0, level) == 1.0


def test_far_end_power_stops_a_null_effect_late_but_not_early():
    # effect at no-effect with a symmetric 95% interval: the far end lies 1.96 standard errors out
    late = sequential.far_end_power(0.0, -0.01, 0.01, 1.0, 0.0, 0.75, 0.0125, one_sided=False)
    early = sequential.far_end_power(0.0, -0.01, 0.01, 1.0, 0.0, 0.25, 0.0125, one_sided=False)
    drift = sps.norm.isf(0.025) / math.sqrt(0.75)
    assert late == pytest.approx(sequential.conditional_power(0.0, 0.75, drift, 0.0125), rel=1e-6)
    assert late < sequential.FUTILITY_POWER < early
    strong = sequential.far_end_power(1.0, 0.5, 1.5, 1e-4, 0.0, 0.5, 0.0125, one_sided=False)
    assert strong > 0.9
