"""suite.costs: interleaved timing order, and the part-costs record through the CLI (timings never asserted)."""

import json
import time

import pytest
import yaml

from tests.conftest import run_cli, toy_study
from suite.costs import PARTS, interleaved, study_estimate, timing_run
from suite.config import resolve_study, write_cost_base
from suite.methods import resolve_method


def test_interleaved_alternates_and_flips_the_order():
    calls = []
    seconds = interleaved({name: (lambda n: lambda: calls.append(n))(name) for name in "abc"}, repeats=3, warmup=1)
    assert "".join(calls) == "abc" + "abc" + "cba" + "abc"
    assert {name: len(values) for name, values in seconds.items()} == {"a": 3, "b": 3, "c": 3}


def test_timing_run_swaps_the_method_and_turns_off_evaluation():
    run = resolve_study(toy_study()).runs[0]
    timed = timing_run(run, "wgan-gp+clip", {"preset": "wgan-gp", **PARTS["clip"]}, batch_size=8)
    spec = resolve_method(timed.method)
    assert (spec.constraint, spec.d_norm, spec.n_dis) == ("clip", "none", 5)
    assert timed.train["batch_size"] == 8 and timed.train["eval_every"] == 0 and timed.train["diagnostics_every"] == 0
    assert timed.seed == run.seed and timed.arch == run.arch and run.train["batch_size"] == 64


@pytest.mark.slow
def test_part_costs_cli_writes_every_part_relative_to_none(tmp_path):
    study = resolve_study(toy_study(batch_size=16))
    base = write_cost_base(study, "mlp-small", results=tmp_path)
    assert "method" not in yaml.safe_load(base.read_text()), "the timing swaps in each part"
    out = tmp_path / "costs.json"
    run_cli("part-costs", "--base", base, "--out", out)
    costs = json.loads(out.read_text())
    assert (costs["preset"], costs["n_dis"], costs["arch"], costs["data"], costs["batch_size"]) == \
        ("wgan-gp", 5, "mlp-small", "toy-8gaussians", 16)
    assert [row["part"] for row in costs["rows"]] == list(PARTS)
    none = costs["rows"][0]
    assert none["relative_to_none"] == 1.0
    for row in costs["rows"]:
        assert row["seconds_per_iteration"] > 0
        assert row["relative_to_none"] == row["seconds_per_iteration"] / none["seconds_per_iteration"]
    # the timed and warm-up iterations of every part, each at its median cost
    assert costs["step_cpu_seconds"] == pytest.approx(
        sum(row["seconds_per_iteration"] for row in costs["rows"]) * costs["iterations"] * (costs["repeats"] + 1))


@pytest.mark.slow
def test_part_costs_cli_without_its_base_file_says_where_it_comes_from(tmp_path):
    result = run_cli("part-costs", "--base", tmp_path / "dcgan.base.yaml", "--out", tmp_path / "costs.json",
                     check=False)
    assert result.returncode == 2
    assert result.stderr.strip() == (f"error: --base {tmp_path / 'dcgan.base.yaml'} does not exist; rule "
                                     "measure_part_costs reads the one the workflow writes for each arch of "
                                     "report.part_costs")
    assert not (tmp_path / "costs.json").exists()


def test_study_estimate_sums_measured_step_costs_over_runs():
    study = resolve_study(toy_study(methods=("wgan-gp", "sngan"), seeds=(0, 1, 2), iterations=30))
    estimate = study_estimate(list(study.runs), cores=2)
    assert estimate["cells"] == 2 and len(estimate["runs"]) == 6
    per_method = {}
    for row in estimate["runs"]:
        assert row["seconds"] == row["seconds_per_iteration"] * 30 > 0
        per_method.setdefault(row["run"].split("/")[2], set()).add(row["seconds_per_iteration"])
    assert all(len(values) == 1 for values in per_method.values()), "seeds of one cell share its measurement"
    assert estimate["cpu_seconds"] == sum(row["seconds"] for row in estimate["runs"])
    assert estimate["wall_seconds"] == estimate["cpu_seconds"] / 2


def test_interleaved_on_the_cpu_clock_does_not_count_time_spent_waiting():
    """The estimate's clock: a contender that waits (as a job does while other jobs hold the cores)
    costs its waiting time on the wall clock and next to nothing on the CPU clock."""
    waiting = {"wait": lambda: time.sleep(0.05)}
    wall = interleaved(waiting, repeats=2, warmup=0)["wait"]
    cpu = interleaved(waiting, repeats=2, warmup=0, clock=time.process_time)["wait"]
    assert min(wall) >= 0.05 and max(cpu) < 0.01
