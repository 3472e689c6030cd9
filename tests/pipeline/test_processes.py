"""The process-tree sampler on processes whose CPU time is known: each spins for a set CPU time, then
sleeps past the sampling interval so its last sample holds all of it."""

import sys
from pathlib import Path

import pytest

from benchmarks.processes import render, role, run_sampled

SPIN = ("import sys, time\n"
        "while time.process_time() < float(sys.argv[1]): pass\n"
        "time.sleep(0.6)\n")


def test_each_process_is_seen_with_its_cpu_time_and_the_rest_is_unseen(tmp_path):
    script = tmp_path / "spin.py"
    script.write_text(SPIN)
    command = ["bash", "-c", f"{sys.executable} {script} 0.8 & {sys.executable} {script} 0.4 & wait"]
    result, accounting = run_sampled(command, tmp_path, interval=0.1)
    assert result.returncode == 0
    spinners = accounting["roles"][Path(sys.executable).name]
    assert spinners["processes"] == 2
    # Each spins until its own CPU time (start-up included) reaches 0.8 s and 0.4 s; /proc counts in
    # ticks of 0.01 s, user and system apart.
    assert spinners["cpu_seconds"] == pytest.approx(1.2, abs=0.06)
    assert accounting["total_cpu_seconds"] == pytest.approx(
        sum(r["cpu_seconds"] for r in accounting["roles"].values()) + accounting["unseen_cpu_seconds"])
    assert accounting["unseen_cpu_seconds"] >= -0.05  # tick rounding of /proc against rusage
    assert "workflow manager (snakemake itself)" in accounting["roles"]
    assert "unseen (processes shorter than 0.1 s" in "\n".join(render(accounting))


@pytest.mark.parametrize("command_line, is_root, expected", [
    ("/x/.venv/bin/python /x/.venv/bin/snakemake --cores 8 all", True, "workflow manager (snakemake itself)"),
    ("python -m suite train --spec run.yaml", False, "job: train"),
    ("/usr/bin/bash -c set -euo pipefail;  python -m suite score --spec run.yaml", False, "shell of a score job"),
    ("/x/pulp/solverdir/cbc/linux/64/cbc /tmp/a.mps", False, "cbc"),
])
def test_role_names_the_process_by_its_command_line(command_line, is_root, expected):
    assert role(command_line, is_root) == expected


@pytest.mark.slow
def test_a_real_study_accounts_for_snakemake_and_every_job(write_study):
    from benchmarks.studies import run_study
    from tests.conftest import toy_study

    study = write_study(toy_study(seeds=(0, 1), iterations=10))
    measured = run_study(str(study), cores=2)
    roles = measured["processes"]["roles"]
    assert roles["workflow manager (snakemake itself)"]["cpu_seconds"] > 0
    assert roles["job: train"]["processes"] == 2 and roles["job: score"]["processes"] == 2
    assert measured["cpu_seconds"] == measured["processes"]["total_cpu_seconds"]
    assert sum(r["cpu_seconds"] for r in roles.values()) <= measured["cpu_seconds"] + 0.1
