"""Toy runs to a plateau: the toy curve (W1 to held-out real points) in curve.csv stops a real run, a resumed
run stops where an uninterrupted one does, and the config refuses a curve metric the data has not."""

import csv
import dataclasses

import pytest

from suite.config import resolve_study
from suite.errors import ConfigError
from suite.wiring import toy_curve
from tests.conftest import toy_study
from tests.train.test_plateau_training import Stop, same_generator

RULE = {"metric": "w1", "window": 2, "tolerance": 0.25}


def plateau_study(**plateau):
    study = toy_study(iterations=80, batch_size=64, eval_every=4, checkpoint_every=4, eval_samples=300,
                      diagnostics_every=0)
    study["train"]["plateau"] = {**RULE, **plateau}
    return study


def fit(run, out, on_eval=None):
    from suite.train import Trainer

    return Trainer(run, out, on_eval=on_eval or toy_curve(run)).fit()


def curve_rows(folder):
    with (folder / "curve.csv").open(newline="") as handle:
        return list(csv.DictReader(handle))


def test_a_toy_run_stops_at_its_plateau_with_w1_and_the_mode_metrics_on_its_curve(tmp_path):
    (run,) = resolve_study(plateau_study()).runs
    summary = fit(run, tmp_path)
    assert summary["stop_reason"] == "plateau" and summary["steps"] == summary["plateau_at_step"] < 80
    rows = curve_rows(tmp_path)
    assert [int(row["step"]) for row in rows] == list(range(4, summary["steps"] + 1, 4))
    assert {"w1", "modes_covered", "hq_fraction"} <= set(rows[0])
    assert all(0 < float(row["w1"]) < 10 and 0 <= int(row["modes_covered"]) <= 8 for row in rows)


def test_a_toy_run_that_keeps_improving_by_the_tolerance_runs_to_its_cap(tmp_path):
    (run,) = resolve_study(plateau_study(tolerance=0.0, window=30)).runs
    run = dataclasses.replace(run, train={**run.train, "iterations": 12})
    assert fit(run, tmp_path)["stop_reason"] == "cap"


def test_a_toy_run_resumed_before_its_plateau_stops_at_the_same_iteration(tmp_path):
    (run,) = resolve_study(plateau_study()).runs
    whole = fit(run, tmp_path / "whole")
    assert whole["stop_reason"] == "plateau" and whole["steps"] >= 12
    interrupt_at = whole["steps"] - 4
    curve = toy_curve(run)

    def interrupted(generator, step):
        if step == interrupt_at:
            raise Stop(step)
        return curve(generator, step)

    with pytest.raises(Stop):
        fit(run, tmp_path / "resumed", on_eval=interrupted)
    resumed = fit(run, tmp_path / "resumed")
    assert (resumed["steps"], resumed["stop_reason"]) == (whole["steps"], "plateau")
    assert same_generator(tmp_path / "whole", tmp_path / "resumed")
    # the same evaluations, to the digit (the seconds columns differ: the resumed run was timed twice)
    assert ([(row["step"], row["w1"], row["modes_covered"]) for row in curve_rows(tmp_path / "whole")]
            == [(row["step"], row["w1"], row["modes_covered"]) for row in curve_rows(tmp_path / "resumed")])


def test_the_curve_of_a_data_set_without_modes_holds_w1_alone():
    study = plateau_study()
    study["grids"][0]["data"] = ["toy-swissroll"]
    (run,) = resolve_study(study).runs
    from suite.models import build_models
    from suite.methods import resolve_method

    generator, _ = build_models(run.arch, resolve_method(run.method), (2,), run.latent_dim)
    assert set(toy_curve(run)(generator, 4)) == {"w1"}


@pytest.mark.parametrize("metric, eval_every, wanted", [
    ("domain_fid", 4, "metric w1 on 2-d toy data"),  # the toy curve has no domain FID
    ("w1", 0, "train.eval_every > 0"),  # no evaluations, no curve
])
def test_the_config_refuses_a_toy_plateau_the_curve_cannot_give(metric, eval_every, wanted):
    study = plateau_study(metric=metric)
    study["train"]["eval_every"] = eval_every
    with pytest.raises(ConfigError, match="train.plateau: the rule needs evaluations") as error:
        resolve_study(study)
    assert wanted in str(error.value) and "\n" not in str(error.value)


def test_the_config_refuses_w1_on_image_data():
    study = plateau_study()
    study["grids"][0]["data"] = ["fashion32"]
    study["evaluate"]["domain"] = True
    with pytest.raises(ConfigError, match="metric domain_fid on labelled image data"):
        resolve_study(study)


def test_the_config_refuses_a_curve_larger_than_the_toy_test_split():
    study = plateau_study()
    study["train"]["eval_samples"] = 10_001
    with pytest.raises(ConfigError, match=r"train.eval_samples: 10001 points .* allowed: at most 10000"):
        resolve_study(study)
