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


def test_role_tells_the_fork_server_from_its_forks():
    server = "/x/.venv/bin/python -m suite.forkserver /tmp/ganbench-fork-1/socket"
    assert role(server, False, "/x/.venv/bin/python -m snakemake --cores 8 all") == "fork server"
    assert role(server, False, server) == "job forked from the fork server"


@pytest.mark.slow
def test_a_real_study_accounts_for_snakemake_and_every_job(write_study):
    """Two measures of one real study agree: the jobs' own resource lines (exact, read from their logs)
    and the /proc samples of their processes (which miss each process's last interval)."""
    from benchmarks.overhead import study_overhead
    from benchmarks.studies import run_study
    from tests.conftest import toy_study

    study = write_study(toy_study(seeds=(0, 1), iterations=10))
    # A forked job's own process only waits for its fork, which may train for less than any sampling
    # interval: such processes can go unseen, so their counts are bounds. The server lives throughout.
    measured = run_study(str(study), cores=2, sample_interval=0.05,
                         inspect=lambda results, cpu: study_overhead(results, cpu, results.parent / "cache"))
    roles, overhead = measured["processes"]["roles"], measured["inspected"]
    unseen = {"processes": 0, "cpu_seconds": 0.0}
    assert roles["workflow manager (snakemake itself)"]["cpu_seconds"] > 0
    assert roles["fork server"]["processes"] == 1
    assert roles.get("job: train", unseen)["processes"] <= 2 and roles.get("job: score", unseen)["processes"] <= 2
    assert 1 <= roles["job forked from the fork server"]["processes"] <= len(measured["jobs"])
    assert measured["cpu_seconds"] == measured["processes"]["total_cpu_seconds"]
    # per-job wall seconds, one per job log: two training and two scoring jobs among them
    assert sum(name.endswith("/train.log") for name in measured["jobs"]) == 2
    assert sum(name.endswith("/score.log") for name in measured["jobs"]) == 2
    assert all(seconds > 0 for seconds in measured["jobs"].values())
    assert sum(r["cpu_seconds"] for r in roles.values()) <= measured["cpu_seconds"] + 0.1
    jobs = {row["kind"]: row for row in overhead["rows"]}
    assert jobs["train"]["jobs"] == 2 and jobs["score"]["jobs"] == 2 and not overhead["unrecorded_logs"]
    assert jobs["train"]["cpu_seconds"] > roles.get("job: train", unseen)["cpu_seconds"]
    assert 0 < jobs["train"]["step_cpu_seconds"] < jobs["train"]["cpu_seconds"]
    assert jobs["train"]["measure_cpu_seconds"] > 0  # the toy study takes diagnostics every 5 steps
    sampled_jobs = sum(r["cpu_seconds"] for name, r in roles.items() if name.startswith("job: "))
    assert 0 < overhead["workflow_manager_cpu_seconds"] <= measured["cpu_seconds"] - sampled_jobs + 0.1
