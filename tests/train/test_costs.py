"""suite.costs: interleaved timing order, and the part-costs record through the CLI (timings never asserted)."""

import json

from tests.conftest import run_cli, toy_study
from suite.costs import PARTS, interleaved, timing_run
from suite.config import resolve_study
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


def test_part_costs_cli_writes_every_part_relative_to_none(write_study, tmp_path):
    study = write_study(toy_study(batch_size=16))
    out = tmp_path / "costs.json"
    run_cli("part-costs", "--study", study, "--arch", "mlp-small", "--out", out)
    costs = json.loads(out.read_text())
    assert (costs["preset"], costs["n_dis"], costs["arch"], costs["data"], costs["batch_size"]) == \
        ("wgan-gp", 5, "mlp-small", "toy-8gaussians", 16)
    assert [row["part"] for row in costs["rows"]] == list(PARTS)
    none = costs["rows"][0]
    assert none["relative_to_none"] == 1.0
    for row in costs["rows"]:
        assert row["seconds_per_iteration"] > 0
        assert row["relative_to_none"] == row["seconds_per_iteration"] / none["seconds_per_iteration"]


def test_part_costs_cli_names_the_archs_it_allows(write_study, tmp_path):
    result = run_cli("part-costs", "--study", write_study(toy_study()), "--arch", "dcgan", "--out",
                     tmp_path / "costs.json", check=False)
    assert result.returncode == 2
    assert result.stderr.strip() == "error: arch 'dcgan' has no run in study 'toy-test'; allowed: mlp-small"
    assert not (tmp_path / "costs.json").exists()
