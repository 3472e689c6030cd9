"""The fork server: a job forked from it runs as a fresh process would, and ends with its job."""

import os
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest
import torch

from suite import forkserver
from tests.conftest import REPO, start_training, toy_study

RUN = "toy-8gaussians/mlp-small/wgan-gp/seed0"


@pytest.fixture(scope="module")
def server():
    started = forkserver.start()
    assert started is not None, "the fork server did not come up"
    path = os.environ.pop(forkserver.SOCKET_VARIABLE)  # each test chooses whether its job uses it
    yield path
    started.stop()


def suite_command(args, socket_path=None, importtime=False, **kwargs) -> subprocess.CompletedProcess:
    env = {**os.environ, forkserver.SOCKET_VARIABLE: socket_path or forkserver.OFF}
    python = [sys.executable, "-X", "importtime"] if importtime else [sys.executable]
    return subprocess.run([*python, "-m", "suite", *map(str, args)], cwd=REPO, env=env, capture_output=True,
                          text=True, **kwargs)


def imported_torch(stderr: str) -> bool:
    """Whether the job's own process imported torch (`-X importtime` lines name every module it loads)."""
    return any(line.startswith("import time:") and line.split("|")[-1].strip() == "torch"
               for line in stderr.splitlines())


def test_a_forked_command_prints_what_a_direct_one_does_without_importing_torch(server):
    direct = suite_command(["check", "configs/smoke.yaml"], importtime=True)
    forked = suite_command(["check", "configs/smoke.yaml"], server, importtime=True)
    assert direct.returncode == forked.returncode == 0
    assert forked.stdout == direct.stdout and "16 runs" in forked.stdout
    assert imported_torch(direct.stderr)
    assert not imported_torch(forked.stderr), "the job imported torch itself: the server did not run it"


def test_an_error_keeps_its_line_and_exit_status(server):
    forked = suite_command(["check", "configs/no-such-study.yaml"], server)
    assert forked.returncode == 2
    assert forked.stderr.startswith("error: config file configs/no-such-study.yaml does not exist")


def test_a_missing_server_leaves_the_job_in_its_own_process(tmp_path):
    result = suite_command(["check", "configs/smoke.yaml"], str(tmp_path / "no-socket"), importtime=True)
    assert result.returncode == 0 and "16 runs" in result.stdout
    assert imported_torch(result.stderr)


def test_commands_that_replace_their_process_never_reach_the_server(server, monkeypatch):
    monkeypatch.setenv(forkserver.SOCKET_VARIABLE, server)
    assert forkserver.delegate(["run", "--version"]) is None
    assert forkserver.delegate(["bench", "--help"]) is None
    monkeypatch.setenv("SLURM_JOB_ID", "1")
    assert forkserver.delegate(["check", "configs/smoke.yaml"]) is None


def test_training_through_the_server_is_bit_identical(server, write_study, tmp_path):
    study = write_study(toy_study(iterations=30))
    for name, socket_path in (("direct", None), ("forked", server)):
        result = suite_command(["train", "--study", study, "--run", RUN, "--out", tmp_path / name, "--threads", "1"],
                               socket_path)
        assert result.returncode == 0, result.stderr[-2000:]
    direct = torch.load(tmp_path / "direct" / "generator.pt", weights_only=True)
    forked = torch.load(tmp_path / "forked" / "generator.pt", weights_only=True)
    assert direct.keys() == forked.keys()
    for key in direct:
        if torch.is_tensor(direct[key]):
            assert torch.equal(direct[key], forked[key]), key
    losses = [pd.read_csv(tmp_path / name / "train.csv").drop(columns="seconds") for name in ("direct", "forked")]
    pd.testing.assert_frame_equal(*losses)
    assert len(losses[0]) == 30


def _wait_for(condition, seconds=60.0):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def start_forked_training(server, write_study, tmp_path, monkeypatch):
    """A long training job handed to the server, once its first checkpoint is written; (job, its log)."""
    study = write_study(toy_study(iterations=1_000_000))
    log = tmp_path / "train.log"
    monkeypatch.setenv(forkserver.SOCKET_VARIABLE, server)
    with open(log, "w") as stderr:
        job = start_training(study, RUN, tmp_path / "run", stderr=stderr)
    _wait_for((tmp_path / "run" / "checkpoint.pt").exists)
    return job, log


def test_a_signal_to_the_job_reaches_its_child(server, write_study, tmp_path, monkeypatch):
    job, log = start_forked_training(server, write_study, tmp_path, monkeypatch)
    job.send_signal(signal.SIGTERM)
    assert job.wait(timeout=60) == 2
    assert "signal 15 at step" in log.read_text() and "checkpoint written" in log.read_text()


def test_a_child_whose_job_was_killed_stops(server, write_study, tmp_path, monkeypatch):
    job, log = start_forked_training(server, write_study, tmp_path, monkeypatch)
    job.kill()  # no chance to pass anything on: the server sees the job's end of the socket close
    job.wait()
    _wait_for(lambda: "checkpoint written" in log.read_text())


def test_the_server_without_its_socket_path_says_how_it_is_started():
    result = subprocess.run([sys.executable, "-m", "suite.forkserver"], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 1
    assert result.stderr == "usage: python -m suite.forkserver SOCKET_PATH (the workflow starts it: forkserver.start)\n"


def test_a_thread_count_that_is_not_a_positive_number_falls_back(monkeypatch):
    for value, expected in (("3", 3), ("0", 7), ("two", 7), ("", 7)):
        monkeypatch.setenv("OMP_NUM_THREADS", value)
        assert forkserver._thread_count("OMP_NUM_THREADS", 7) == expected


def test_the_server_stops_when_the_process_that_started_it_exits(tmp_path):
    code = ("import os, sys; from suite import forkserver; s = forkserver.start(); "
            "print(s.folder, s.process.pid, flush=True); os._exit(0)")  # exits without stopping it
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    folder, pid = result.stdout.split()
    _wait_for(lambda: not os.path.exists(folder))
    _wait_for(lambda: not os.path.exists(f"/proc/{pid}") or "Z" in open(f"/proc/{pid}/stat").read().split()[2])
