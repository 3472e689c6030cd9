"""The numbers behind the figures: seed bands, per-layer gradient profile, sigma in use."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from suite.report.figures import _band, _plot_band, grad_profile, metric_by_method, safe, sigma_in_use


def _layers(seed: int, norms: list[float], steps=(0, 10)) -> pd.DataFrame:
    rows = [{"step": s, "layer_index": i, "grad_output_norm": (v if s == max(steps) else 123.0), "seed": seed}
            for s in steps for i, v in enumerate(norms)]
    return pd.DataFrame(rows)


def test_grad_profile_orders_output_to_input_at_last_step_geometric_mean():
    # layer_index 0 is the input side: depth 0 must be the last layer (index 2)
    frames = [_layers(0, [1e-4, 1e-2, 1.0]), _layers(1, [1e-2, 1e-1, 4.0])]
    got = grad_profile(frames).set_index("depth")
    assert got.index.tolist() == [0, 1, 2]
    assert got.loc[0, "gmean"] == pytest.approx(2.0)  # sqrt(1 * 4); step-0 values (123) ignored
    assert got.loc[2, "gmean"] == pytest.approx(1e-3)  # sqrt(1e-4 * 1e-2)
    assert (got.loc[2, "min"], got.loc[2, "max"]) == pytest.approx((1e-4, 1e-2))


def test_grad_profile_drops_non_positive_norms():
    got = grad_profile([_layers(0, [0.0, 0.5, 2.0])])
    assert got["depth"].tolist() == [0, 1] and got["gmean"].tolist() == pytest.approx([2.0, 0.5])


def test_band_is_mean_min_max_over_seeds_per_step():
    a = pd.DataFrame({"step": [0, 10, 20], "domain_fid": [9.0, 5.0, 3.0]})
    b = pd.DataFrame({"step": [0, 10], "domain_fid": [7.0, 1.0]})  # a shorter (diverged) run
    band = _band([a, b], "step", "domain_fid").set_index("step")
    expected = pd.concat([a, b]).groupby("step")["domain_fid"].agg(["mean", "min", "max"])
    pd.testing.assert_frame_equal(band, expected)
    assert band.loc[20].tolist() == [3.0, 3.0, 3.0]


def test_sigma_in_use_divides_by_the_estimate_only_under_sn():
    layers = pd.DataFrame({"sigma_exact": [3.0, 2.5, 0.4], "sigma_estimate": [3.0, np.nan, 0.5]})
    assert sigma_in_use(layers).tolist() == pytest.approx([1.0, 2.5, 0.8])
    assert sigma_in_use(layers.drop(columns="sigma_estimate")).tolist() == [3.0, 2.5, 0.4]


def test_metric_figure_skipped_when_no_values(tmp_path):
    runs = pd.DataFrame({"data": ["toy"], "arch": ["mlp"], "method": ["wgan-gp"], "seed": [0], "status": ["ok"],
                         "fid": [np.nan]})
    assert metric_by_method(runs, "fid", {}, tmp_path) == []
    assert not list(tmp_path.iterdir())
    assert safe("wgan-wc c=0.1/x") == "wgan-wc-c-0.1-x"


def test_band_against_seconds_uses_the_seeds_mean_time_per_step():
    a = pd.DataFrame({"step": [5, 10], "seconds": [4.0, 8.0], "domain_fid": [3.0, 1.0]})
    b = pd.DataFrame({"step": [5, 10], "seconds": [6.0, 12.0], "domain_fid": [5.0, 3.0]})
    fig, ax = plt.subplots()
    _plot_band(ax, [a, b], "seconds", "domain_fid", "k", "m")
    line = ax.get_lines()[0]
    assert line.get_xdata().tolist() == [5.0, 10.0] and line.get_ydata().tolist() == [4.0, 2.0]
    plt.close(fig)


def test_curves_mark_where_each_run_stopped(tmp_path):
    import json

    from suite.report.figures import _mark_stops

    rows = []
    for seed, (reason, last) in enumerate([("plateau", 40.0), ("cap", 35.0), ("budget", 30.0)]):
        run = tmp_path / f"seed{seed}"
        run.mkdir()
        (run / "train.json").write_text(json.dumps({"status": "ok", "stop_reason": reason}))
        rows.append({"method": "sngan", "seed": seed, "run_dir": str(run)})
    frames = [pd.DataFrame({"step": [100, 200], "domain_fid": [90.0, last], "seed": [seed, seed]})
              for seed, last in enumerate([40.0, 35.0, 30.0])]
    fig, ax = plt.subplots()
    assert _mark_stops(ax, pd.DataFrame(rows), {"sngan": frames}, "domain_fid", {"sngan": "k"})
    marks = [(line.get_marker(), line.get_xdata()[0], line.get_ydata()[0]) for line in ax.get_lines()]
    assert marks == [("o", 200, 40.0), ("x", 200, 35.0)]  # a fixed-budget run gets no mark
    plt.close(fig)
