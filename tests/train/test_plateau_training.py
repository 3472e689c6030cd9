"""Training to a plateau: the rule stops a real run, train.json says why, and a resumed run stops at the
same iteration as an uninterrupted one."""

import dataclasses
import json

import pytest
import torch

from suite.config import resolve_study
from suite.errors import ConfigError
from tests.conftest import toy_study

# the curve an evaluation reports at each step: falls, then flattens; with window 2 and tolerance 2% the
# rule stops at step 10 (the best of 8 and 10, 4.0, does not beat the best before them, 4.0)
CURVE = {2: 10.0, 4: 5.0, 6: 4.0, 8: 4.0, 10: 4.0, 12: 3.0, 14: 2.0}


class Stop(Exception):
    pass


def run_with_plateau(**plateau):
    (run,) = resolve_study(toy_study(iterations=14, batch_size=16, eval_every=2, checkpoint_every=2,
                                     diagnostics_every=0)).runs
    rule = {"metric": "domain_fid", "window": 2, "tolerance": 0.02, **plateau}
    return dataclasses.replace(run, train={**run.train, "plateau": rule})


def curve(generator, step):
    return {"domain_fid": CURVE[step]}


def fit(run, out, on_eval=curve):
    from suite.train import Trainer

    return Trainer(run, out, on_eval=on_eval).fit()


def test_the_rule_stops_the_run_and_train_json_says_why(tmp_path):
    summary = fit(run_with_plateau(), tmp_path)
    assert summary["stop_reason"] == "plateau" and summary["steps"] == 10 and summary["plateau_at_step"] == 10
    assert json.loads((tmp_path / "train.json").read_text())["stop_reason"] == "plateau"


def test_a_run_still_improving_at_the_cap_says_cap(tmp_path):
    summary = fit(run_with_plateau(tolerance=0.0, window=6), tmp_path)
    assert summary["stop_reason"] == "cap" and summary["steps"] == 14


def test_without_the_rule_a_run_trains_its_budget(tmp_path):
    (run,) = resolve_study(toy_study(iterations=4, batch_size=16, diagnostics_every=0)).runs
    assert fit(run, tmp_path)["stop_reason"] == "budget"


def same_generator(a, b):
    a = torch.load(a / "generator.pt", weights_only=False)["generator"]
    b = torch.load(b / "generator.pt", weights_only=False)["generator"]
    return all(torch.equal(a[key], b[key]) for key in a)


def test_a_run_resumed_before_its_plateau_stops_at_the_same_iteration(tmp_path):
    """Interrupted at step 8: the curve's history up to the checkpoint is read back from curve.csv."""
    whole = fit(run_with_plateau(), tmp_path / "whole")

    def interrupted(generator, step):
        if step == 8:
            raise Stop(step)
        return curve(generator, step)

    with pytest.raises(Stop):
        fit(run_with_plateau(), tmp_path / "resumed", on_eval=interrupted)
    resumed = fit(run_with_plateau(), tmp_path / "resumed")
    assert (resumed["steps"], resumed["stop_reason"]) == (whole["steps"], whole["stop_reason"]) == (10, "plateau")
    assert same_generator(tmp_path / "whole", tmp_path / "resumed")


def test_a_run_killed_after_its_plateau_does_not_train_on(tmp_path):
    """The plateau is in the last checkpoint: a rerun that finds no final outputs writes them, untrained."""
    fit(run_with_plateau(), tmp_path / "run")
    (tmp_path / "whole").mkdir()
    (tmp_path / "run" / "generator.pt").rename(tmp_path / "whole" / "generator.pt")
    (tmp_path / "run" / "train.json").unlink()
    again = fit(run_with_plateau(), tmp_path / "run", on_eval=lambda generator, step: pytest.fail("trained on"))
    assert (again["steps"], again["stop_reason"]) == (10, "plateau")
    assert same_generator(tmp_path / "whole", tmp_path / "run")


def test_the_rule_needs_evaluations_of_image_data():
    study = toy_study(iterations=10, eval_every=2)
    study["train"]["plateau"] = {"metric": "domain_fid", "window": 2, "tolerance": 0.02}
    with pytest.raises(ConfigError, match="train.plateau: the rule needs evaluations over training"):
        resolve_study(study)
    study["train"]["plateau"] = {"metric": "fid", "window": 2, "tolerance": 0.02}
    with pytest.raises(ConfigError, match="plateau"):
        resolve_study(study)
