"""The plateau rule on synthetic curves with known stop points."""

import math

import pytest

from suite.plateau import PlateauRule

RULE = PlateauRule("domain_fid", window=3, tolerance=0.02)


def first_stop(rule, curve):
    """The 1-based evaluation at which the rule stops the curve, None when it runs to the cap."""
    return next((k for k in range(1, len(curve) + 1) if rule.reached(curve[:k])), None)


def test_a_curve_that_keeps_improving_hits_the_cap():
    assert first_stop(RULE, [100 * 0.9 ** k for k in range(40)]) is None


def test_a_flat_curve_stops_at_the_first_window():
    assert first_stop(RULE, [50.0] * 10) == RULE.window + 1


def test_improvement_within_the_tolerance_counts_as_a_plateau():
    # after a steep start it falls 0.3 per evaluation: at evaluation 6 the last three (best 99.1) beat the
    # best before them (100) by 0.9%, under the 2% tolerance; at 5 they still beat 120 by 17%
    curve = [200.0, 120.0, 100.0, 99.7, 99.4, 99.1, 98.8]
    assert first_stop(RULE, curve) == 6
    assert first_stop(PlateauRule("domain_fid", 3, 0.001), curve) is None


def test_noise_around_a_level_stops_once_no_new_best_beats_the_old_by_the_tolerance():
    curve = [80.0, 60.0, 41.0, 40.0, 40.5, 39.8, 40.2, 40.4]
    # at evaluation 6 the recent best 39.8 beats the earlier best 41 by 2.9% > 2%; at 7, 39.8 vs 40: 0.5%
    assert first_stop(RULE, curve) == 7


def test_a_non_finite_recent_value_never_stops_the_run():
    assert not RULE.reached([50.0, 50.0, 50.0, math.nan])


def test_from_train_reads_the_study_key():
    assert PlateauRule.from_train({"iterations": 10}) is None
    rule = PlateauRule.from_train({"plateau": {"metric": "domain_fid", "window": 4, "tolerance": 0.05}})
    assert rule == PlateauRule("domain_fid", 4, 0.05)
    with pytest.raises(KeyError):
        PlateauRule.from_train({"plateau": {"metric": "domain_fid"}})
