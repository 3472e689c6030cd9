"""Each statistic on synthetic run outputs with a known answer."""

import json
import math

import numpy as np
import pytest
import yaml

from suite.claims.measures import (at_common, critic_w1_gap, edge_fraction, effective_rank_fraction,
                                   final_metric, gradient_growth, gradient_spread, input_gradient_over_bound,
                                   log_seconds_per_step, on_shared_archs, paired_by_arch, per_seed_mean,
                                   power_iteration_errors, power_iteration_rate, settled_sigma_error,
                                   sigma_tracking_errors, spread_across)
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


def test_sigma_tracking_errors_are_the_normalized_sigmas_of_sn_layers(tmp_path):
    run = load(make_run(tmp_path, "sngan-ndis5", 0, sigmas=[(1.02, 1.0), (0.5, 0.5), (3.0, None)]))
    assert sigma_tracking_errors(run).tolist() == pytest.approx([0.02, 0.0])  # the plain layer is not one


def test_sigma_tracking_needs_a_spectrally_normalized_layer(tmp_path):
    run = load(make_run(tmp_path, "wgan-gp", 0, sigmas=[(1.0, None)]))
    with pytest.raises(MeasurementMissing, match="no spectrally normalized layer"):
        sigma_tracking_errors(run)


def transient_run(tmp_path, seed=0, method="sngan", iterations=100, early=0.3):
    """Two SN layers: `early` off at step 10 (the random start's transient), then at most 1.5% off."""
    records = {10: [(1 + early, 1.0), (1 + early, 1.0)]}
    for step, errors in zip((30, 50, 70, 90), ((0.01, 0.015), (0.005, 0.01), (0.012, 0.002), (0.004, 0.008))):
        records[step] = [(1 + errors[0], 1.0), (1 + errors[1], 1.0)]
    return load(make_run(tmp_path, method, seed, iterations=iterations, sigma_records=records))


def test_the_burn_in_leaves_out_the_early_transient(tmp_path):
    run = transient_run(tmp_path)
    # burn-in 20% of 100 iterations: the record at step 10 is out, the 8 layer-records after it count
    settled = sigma_tracking_errors(run, burn_in=0.2)
    assert settled.size == 8 and settled.max() == pytest.approx(0.015)
    assert settled_sigma_error(0.9, 0.2)(run) == pytest.approx(np.quantile(settled, 0.9))
    assert settled_sigma_error(0.9, 0.2)(run) < 0.05 < settled_sigma_error(0.9, 0.0)(run)


def test_the_burn_in_is_a_share_of_the_runs_iterations(tmp_path):
    # 20% of 400 iterations is step 80: only the record at step 90 is past it
    assert sigma_tracking_errors(transient_run(tmp_path, iterations=400), burn_in=0.2).tolist() == \
        pytest.approx([0.004, 0.008])
    # without train.iterations in run.yaml, the last recorded step stands for the run's length
    folder = make_run(tmp_path, "sngan", 1, sigma_records={10: [(1.5, 1.0)], 100: [(1.01, 1.0)]})
    assert sigma_tracking_errors(load(folder), burn_in=0.2).tolist() == pytest.approx([0.01])
    late = make_run(tmp_path, "sngan", 2, iterations=1000, sigma_records={10: [(1.5, 1.0)]})
    with pytest.raises(MeasurementMissing, match="no record after the first 20% of 1000 iterations"):
        sigma_tracking_errors(load(late), burn_in=0.2)


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


def test_at_common_scores_a_diverged_run_worst_and_leaves_it_out_of_the_common_step(tmp_path):
    a = load(make_run(tmp_path, "wgan-gp", 0, curve={"step": [100, 200], "cpu_seconds": [1, 2],
                                                     "domain_fid": [50.0, 30.0]}))
    b = load(make_run(tmp_path, "wgan-wc", 0, curve={"step": [100, 300], "cpu_seconds": [1, 3],
                                                     "domain_fid": [80.0, 40.0]}))
    # diverged at step 50: had its curve set the common step, no other run would be read there
    dead = load(make_run(tmp_path, "wgan-wc", 1, status="diverged", curve={"step": [50], "cpu_seconds": [0.5],
                                                                           "domain_fid": [400.0]}))
    values = at_common("domain_fid", "step").values([[a], [b, dead]])
    assert values[0].tolist() == [30.0] and values[1].tolist() == [pytest.approx(60.0), math.inf]
    # every run diverged: no common step, every value the worst
    assert at_common("domain_fid", "step").values([[dead], [dead]])[0].tolist() == [math.inf]


def test_at_equal_cpu_time_needs_the_curves_cpu_seconds(tmp_path):
    old = load(make_run(tmp_path, "wgan-gp", 0, curve={"step": [100, 200], "seconds": [1, 2],
                                                       "domain_fid": [50.0, 30.0]}))
    with pytest.raises(MeasurementMissing, match="no cpu_seconds column"):
        at_common("domain_fid", "cpu_seconds").values([[old], [old]])

def test_final_metric_of_a_diverged_run_is_the_worst(tmp_path):
    assert final_metric("domain_fid")(load(make_run(tmp_path, "wgan-gp", 0, domain_fid=40.0))) == 40.0
    assert math.isnan(final_metric("fid")(load(make_run(tmp_path, "wgan-gp", 1, domain_fid=40.0))))
    # diverged in training (no metrics.json at all) or in scoring
    assert final_metric("domain_fid")(load(make_run(tmp_path, "wgan-gp", 2, status="diverged"))) == math.inf
    scored = make_run(tmp_path, "wgan-gp", 3, domain_fid=40.0)
    (scored / "metrics.json").write_text(json.dumps({"status": "diverged", "metrics": {"domain_fid": None}}))
    assert final_metric("domain_fid")(load(scored)) == math.inf


def test_per_seed_mean_carries_a_diverged_run(tmp_path):
    runs = [load(make_run(tmp_path, "wgan-gp", 0, domain_fid=40.0)),
            load(make_run(tmp_path / "b", "wgan-gp", 0, domain_fid=60.0)),
            load(make_run(tmp_path, "wgan-gp", 1, domain_fid=40.0)),
            load(make_run(tmp_path / "b", "wgan-gp", 1, status="diverged"))]
    values = per_seed_mean("mean", final_metric("domain_fid")).values([runs])
    assert values[0].tolist() == [50.0, math.inf]


def setting_run(root, seed, setting, domain_fid=None, status="ok"):
    folder = make_run(root / setting, "wgan-gp", seed, status=status, domain_fid=domain_fid)
    spec = yaml.safe_load((folder / "run.yaml").read_text())
    spec["method"]["setting"] = setting
    (folder / "run.yaml").write_text(yaml.safe_dump(spec))
    return load(folder)


def test_spread_of_a_seed_with_a_diverged_setting_is_the_worst_and_a_missing_one_is_missing(tmp_path):
    runs = [setting_run(tmp_path, 0, "A", 10.0), setting_run(tmp_path, 0, "D", 100.0),
            setting_run(tmp_path, 1, "A", 10.0), setting_run(tmp_path, 1, "D", status="diverged"),
            setting_run(tmp_path, 2, "A", 10.0), setting_run(tmp_path, 3, "D", 10.0)]
    values = spread_across("spread", final_metric("domain_fid"), "setting").values([runs])[0]
    # seed 0 spans one order of magnitude, seed 1 failed at D, seeds 2 and 3 each lack a setting
    assert values[:2].tolist() == [pytest.approx(1.0), math.inf]
    assert np.isnan(values[2:]).all()


def test_paired_by_arch_pairs_each_architecture_and_seed(tmp_path):
    costs = {("sngan-ndis5", "dcgan"): [1.0, 1.2], ("wgan-gp", "dcgan"): [2.0, 2.2],
             ("sngan-ndis5", "resnet"): [10.0, 11.0, 12.0], ("wgan-gp", "resnet"): [30.0, 33.0]}
    runs = {}
    for (method, arch), values in costs.items():
        for seed, value in enumerate(values):
            runs.setdefault(method, []).append(load(make_run(tmp_path, method, seed, arch=arch,
                                                             cpu_seconds_per_step=value)))
    sn, gp = paired_by_arch("paired", log_seconds_per_step).values([runs["sngan-ndis5"], runs["wgan-gp"]])
    # aligned pairs (dcgan, 0), (dcgan, 1), (resnet, 0), (resnet, 1); resnet seed 2 has no GP run
    pairs = ((1.0, 2.0), (1.2, 2.2), (10.0, 30.0), (11.0, 33.0))
    assert sn.tolist() == pytest.approx([math.log10(a) for a, _ in pairs])
    assert gp.tolist() == pytest.approx([math.log10(b) for _, b in pairs])
    # a width is part of the architecture: dcgan8 runs do not pair with dcgan runs
    other = [load(make_run(tmp_path, "wgan-gp", 0, arch="dcgan8", cpu_seconds_per_step=2.0))]
    with pytest.raises(MeasurementMissing, match="no architecture and seed was run by both groups"):
        paired_by_arch("paired", log_seconds_per_step).values([runs["sngan-ndis5"][:2], other])


def test_on_shared_archs_keeps_the_cells_every_group_ran(tmp_path):
    bn = [load(make_run(tmp_path, "dcgan-bn", seed, domain_fid=50.0 + seed)) for seed in range(2)]
    sn = [load(make_run(tmp_path, "sngan", 0, domain_fid=60.0)),
          load(make_run(tmp_path, "sngan", 0, arch="dcgan8", domain_fid=5.0))]  # another width: left out
    values = on_shared_archs("shared", final_metric("domain_fid")).values([bn, sn])
    assert values[0].tolist() == [50.0, 51.0] and values[1].tolist() == [60.0]


def test_power_iteration_error_matches_the_closed_form():
    # W = diag(3, 1), u0 = (1, 1)/sqrt 2: one round gives v ~ (3, 1), u ~ (9, 1), sigma = sqrt(82/10).
    errors = power_iteration_errors(np.diag([3.0, 1.0]), np.array([1.0, 1.0]), 3)
    assert errors[0] == pytest.approx((3 - math.sqrt(8.2)) / 3, rel=1e-12)
    assert errors[2] < errors[1] < errors[0]


def test_the_tutorial_matrix_has_the_stated_singular_values():
    from suite.claims.definitions.sngan import TUTORIAL_MATRIX

    assert TUTORIAL_MATRIX.tolist() == [[1, 2, 3, 4], [3, 4, 5, 6]]
    sigma = np.linalg.svd(TUTORIAL_MATRIX, compute_uv=False)
    assert round(sigma[0], 3) == 10.738 and round(sigma[1] / sigma[0], 3) == 0.078


def test_power_iteration_on_the_tutorial_matrix_after_one_and_two_iterations():
    from suite.claims.definitions.sngan import AFTER_ONE, STARTS, TUTORIAL_MATRIX, power_iteration_sample

    sigma = np.linalg.svd(TUTORIAL_MATRIX, compute_uv=False)
    after_two = power_iteration_sample()
    assert after_two.size == AFTER_ONE.size == STARTS
    assert AFTER_ONE.max() < 0.05 and after_two.max() < 1e-5
    # each iteration divides the error by about (sigma_1 / sigma_2)^4 = 27,600
    assert after_two / AFTER_ONE == pytest.approx(np.full(STARTS, (sigma[1] / sigma[0]) ** 4), rel=0.1)


def test_power_iteration_rate_is_one_where_the_theory_holds():
    # diag(1, 0.9, 0.3): from (1, 1, 1) the error is ~ (0.9^-2 - 1) / 2 * 0.9^(4k) for large k
    assert power_iteration_rate(np.diag([1.0, 0.9, 0.3]), np.ones(3), 20, 60) == pytest.approx(1.0, abs=1e-3)


def test_the_error_falls_at_exponent_four_on_the_close_spectrum_matrix():
    """The exponent the ours-power-iteration-rate claim tests: 4, not the vector's 2."""
    from suite.claims.definitions.ours import RATE_RANGE, gaussian_layer

    matrix = gaussian_layer()
    sigma = np.linalg.svd(matrix, compute_uv=False)
    assert sigma[1] / sigma[0] == pytest.approx(0.95, abs=0.005)
    rates = np.array([power_iteration_rate(matrix, np.random.default_rng(seed).standard_normal(64), *RATE_RANGE)
                      for seed in range(10)])
    assert np.abs(rates - 1).max() < 0.1 and np.abs(2 * rates - 1).min() > 0.9  # exponent 2 would read ~1


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
