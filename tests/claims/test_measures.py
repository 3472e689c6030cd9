"""Each statistic on synthetic run outputs with a known answer."""

import json
import math

import numpy as np
import pytest

from suite.claims.measures import (at_common, critic_w1_gap, edge_fraction, effective_rank_fraction,
                                   gradient_growth, gradient_spread, input_gradient_over_bound,
                                   log_seconds_per_step, power_iteration_errors, sigma_tracking_error,
                                   still_improving)
from suite.claims.runs import MeasurementMissing, RunOutputs
from tests.claims.helpers import make_run


def load(folder):
    return RunOutputs.load(folder)


def test_gradient_growth_is_mean_log10_input_over_output(tmp_path):
    run = load(make_run(tmp_path, "wgan-wc", 0, grad_norms=[[100.0, 10.0, 1.0], [1000.0, 5.0, 1.0]]))
    assert gradient_growth(run) == pytest.approx((2.0 + 3.0) / 2)


def test_gradient_spread_counts_orders_of_magnitude_across_layers(tmp_path):
    run = load(make_run(tmp_path, "wgan-gp", 0, grad_norms=[[1.0, 50.0, 10.0]]))
    assert gradient_spread(run) == pytest.approx(math.log10(50.0))


def test_edge_fraction_is_the_share_in_the_two_outer_bins(tmp_path):
    run = load(make_run(tmp_path, "wgan-wc", 0, weight_counts=[30, 0, 40, 0, 30]))
    assert edge_fraction(run) == pytest.approx(0.6)


def test_sigma_tracking_error_is_the_worst_normalized_sigma_of_sn_layers(tmp_path):
    run = load(make_run(tmp_path, "sngan-ndis5", 0, sigmas=[(1.02, 1.0), (0.5, 0.5), (3.0, None)]))
    assert sigma_tracking_error(run) == pytest.approx(0.02)


def test_sigma_tracking_needs_a_spectrally_normalized_layer(tmp_path):
    run = load(make_run(tmp_path, "wgan-gp", 0, sigmas=[(1.0, None)]))
    with pytest.raises(MeasurementMissing, match="no spectrally normalized layer"):
        sigma_tracking_error(run)


def test_log_seconds_per_step_reads_the_cpu_time(tmp_path):
    assert log_seconds_per_step(load(make_run(tmp_path, "wgan-gp", 0, cpu_seconds_per_step=0.01))) == \
        pytest.approx(-2)


def test_at_common_interpolates_every_run_at_the_step_all_reached(tmp_path):
    a = load(make_run(tmp_path, "wgan-gp", 0, curve={"step": [100, 200], "seconds": [9, 10], "cpu_seconds": [1, 2],
                                                     "domain_fid": [50.0, 30.0]}))
    b = load(make_run(tmp_path, "wgan-wc", 0, curve={"step": [100, 300], "seconds": [1, 3], "cpu_seconds": [1, 3],
                                                     "domain_fid": [80.0, 40.0]}))
    values = at_common("domain_fid", "step").values([[a], [b]])
    assert values[0].tolist() == [30.0]
    assert values[1].tolist() == [pytest.approx(60.0)]  # halfway from 80 at 100 to 40 at 300
    # at equal CPU time (2 s, all a reached), whatever the wall seconds a's load stretched
    by_time = at_common("domain_fid", "cpu_seconds").values([[a], [b]])
    assert by_time[0].tolist() == [30.0] and by_time[1].tolist() == [pytest.approx(60.0)]


def test_at_equal_cpu_time_needs_the_curves_cpu_seconds(tmp_path):
    old = load(make_run(tmp_path, "wgan-gp", 0, curve={"step": [100, 200], "seconds": [1, 2],
                                                       "domain_fid": [50.0, 30.0]}))
    with pytest.raises(MeasurementMissing, match="no cpu_seconds column"):
        at_common("domain_fid", "cpu_seconds").values([[old], [old]])


def test_still_improving_flags_a_last_gain_above_five_percent(tmp_path):
    improving = load(make_run(tmp_path, "wgan-gp", 0, curve={"step": [1, 2], "domain_fid": [100.0, 90.0]}))
    flat = load(make_run(tmp_path, "wgan-gp", 1, curve={"step": [1, 2], "domain_fid": [100.0, 97.0]}))
    assert still_improving(improving, "domain_fid") and not still_improving(flat, "domain_fid")


def test_power_iteration_error_matches_the_closed_form():
    # W = diag(3, 1), u0 = (1, 1)/sqrt 2: one round gives v ~ (3, 1), u ~ (9, 1), sigma = sqrt(82/10).
    errors = power_iteration_errors(np.diag([3.0, 1.0]), np.array([1.0, 1.0]), 3)
    assert errors[0] == pytest.approx((3 - math.sqrt(8.2)) / 3, rel=1e-12)
    assert errors[2] < errors[1] < errors[0]


def test_power_iteration_converges_to_the_svd_value():
    matrix = np.random.default_rng(0).standard_normal((20, 30))
    matrix[:, 0] *= 10  # a wide spectral gap
    errors = power_iteration_errors(matrix, np.random.default_rng(1).standard_normal(20), 30)
    assert errors[-1] < 1e-12


def test_input_gradient_over_bound_uses_the_effective_sigmas(tmp_path):
    folder = make_run(tmp_path, "sngan-ndis5", 0, sigmas=[(2.0, 1.0), (3.0, None)])
    (folder / "diagnostics" / "input_grads.csv").write_text("step,split,grad_norm_max\n10,real,3.0\n10,fake,0.6\n")
    assert input_gradient_over_bound(load(folder)) == pytest.approx(math.log10(3.0 / 6.0))


def test_input_gradient_bound_is_missing_without_its_measurement(tmp_path):
    run = load(make_run(tmp_path, "sngan-ndis5", 0, sigmas=[(1.0, 1.0)]))
    with pytest.raises(MeasurementMissing, match="grad_x D"):
        input_gradient_over_bound(run)


def test_effective_rank_fraction_flat_and_rank_one(tmp_path):
    folder = make_run(tmp_path, "wgan-wc", 0)
    rows = ["step,layer_index,index,singular_value"]
    rows += [f"10,0,{i},2.0" for i in range(4)] + [f"10,1,{i},{1.0 if i == 0 else 0.0}" for i in range(4)]
    (folder / "diagnostics" / "spectra.csv").write_text("\n".join(rows) + "\n")
    assert effective_rank_fraction(load(folder)) == pytest.approx((1.0 + 0.25) / 2)


def test_critic_w1_gap(tmp_path):
    folder = make_run(tmp_path, "wgan-wc", 0)
    (folder / "critic_fit.json").write_text(json.dumps({"w1_critic": 2.0, "lipschitz": 2.0, "w1_exact": 0.5}))
    assert critic_w1_gap(load(folder)) == pytest.approx(1.0)


def test_critic_w1_gap_of_a_diverged_fit_is_nan(tmp_path):
    folder = make_run(tmp_path, "wgan-wc", 0)
    (folder / "critic_fit.json").write_text(json.dumps({"status": "diverged", "w1_critic": None, "lipschitz": None,
                                                        "w1_exact": 0.5}))
    assert math.isnan(critic_w1_gap(load(folder)))
