"""A sequential study through the real pipeline: look 1's checkpoint decides, and only the cells of the
claims it left open get the next look's seeds; the looks run to the end and the report shows them."""

import json
import re
from collections import Counter

import pytest
import yaml

from suite.claims import CLAIMS, NOT_RUN
from suite.claims.interim import OPEN, claim_cells
from suite.config import resolve_study
from tests.pipeline.test_pipeline import snakemake, workflow_copy

STUDY = {
    "experiment": "seq",
    "threads": 1,
    "archs": {"mlp12-tiny": {"family": "mlp", "depth": 12, "width": 16, "g_depth": 3, "g_width": 16},
              "mlp4-tiny": {"family": "mlp", "depth": 4, "width": 16, "g_depth": 3, "g_width": 16}},
    "methods": {"wgan-wc-c0.1": {"preset": "wgan-wc", "clip_value": 0.1},
                "wgan-wc-c0.01": {"preset": "wgan-wc", "clip_value": 0.01}},
    "train": {"iterations": 10, "batch_size": 64, "log_every": 5, "checkpoint_every": 10, "eval_every": 0,
              "diagnostics_every": 5},
    "evaluate": {"inception": False, "domain": False},
    "grids": [
        {"data": ["toy-swissroll"], "archs": ["mlp12-tiny"], "methods": ["wgan-wc-c0.1", "wgan-wc-c0.01", "wgan-gp"],
         "seeds": [0]},
        # no claim reads a 4-layer critic: this cell keeps its one fixed seed
        {"data": ["toy-swissroll"], "archs": ["mlp4-tiny"], "methods": ["wgan-gp"], "seeds": [0]},
    ],
    "sequential": {"looks": [2, 3, 4]},
}
PLANNED = re.compile(r"wildcards: exp=seq, data=(\S+), arch=(\S+), method=(\S+), seed=(\d+)")


def planned_training(output: str) -> set[tuple]:
    """(data, arch, method, seed) of every train_run job a dry run lists."""
    jobs = [block for block in output.split("rule ") if block.startswith("train_run:")]
    return {(d, a, m, int(s)) for block in jobs for d, a, m, s in PLANNED.findall(block)}


@pytest.mark.slow
def test_only_open_claims_cells_grow_and_the_looks_run_to_the_report(tmp_path):
    workdir = workflow_copy(tmp_path)
    (workdir / "configs" / "seq.yaml").write_text(yaml.safe_dump(STUDY))
    config = ("--configfile", "configs/seq.yaml")
    looks = workdir / "results" / "seq" / "looks"

    first = snakemake(workdir, "--cores", "2", str(looks.relative_to(workdir) / "1" / "decisions.json"), *config)
    assert first.returncode == 0, first.stderr[-3000:]
    look1 = json.loads((looks / "1" / "decisions.json").read_text())
    assert look1["n"] == 2
    records = [spec.to_dict() for spec in resolve_study(STUDY).runs]
    open_cells = set().union(*(claim_cells(CLAIMS[claim_id], records)
                               for claim_id, entry in look1["claims"].items() if entry["status"] == OPEN))
    assert {tuple(cell) for cell in look1["continuing_cells"]} == open_cells
    # a study of no registered scale: each family is the claims that ran (their m cannot exceed them)
    ran = Counter(entry["family"] for entry in look1["claims"].values() if entry["status"] != NOT_RUN)
    assert all(entry["m"] <= ran[entry["family"]] for entry in look1["claims"].values() if entry["status"] != NOT_RUN)

    dry = snakemake(workdir, "-n", "all", *config)
    assert dry.returncode == 0, dry.stderr[-3000:]
    planned = planned_training(dry.stdout + dry.stderr)
    assert planned == {(*cell, 2) for cell in open_cells}, "look 2 trains seed 2 of the open claims' cells only"
    assert not any(arch == "mlp4-tiny" for _, arch, _, _ in planned)

    done = snakemake(workdir, "--cores", "2", "all", *config)
    assert done.returncode == 0, done.stderr[-3000:]
    last = json.loads((looks / "3" / "decisions.json").read_text())
    assert last["continuing_cells"] == [] and OPEN not in {e["status"] for e in last["claims"].values()}
    for claim_id, entry in look1["claims"].items():
        if entry["status"] != OPEN:  # a decision is frozen
            assert last["claims"][claim_id]["history"] == entry["history"]
            assert last["claims"][claim_id]["verdict"] == entry["verdict"]
    for entry in last["claims"].values():
        for look in entry["history"]:
            assert look["n"] == STUDY["sequential"]["looks"][look["look"] - 1]
    report = workdir / "results" / "seq" / "report"
    assert "Sequential seeds: each claim" in (report / "index.html").read_text()
    assert (report / "tables" / "looks.csv").stat().st_size > 0
    assert not (workdir / "results" / "seq" / "runs" / "toy-swissroll" / "mlp4-tiny" / "wgan-gp" / "seed1").exists()
    again = snakemake(workdir, "-n", "all", *config)
    assert "Nothing to be done" in again.stdout + again.stderr
