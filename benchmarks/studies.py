"""Study wall times: snakemake on a temp copy of the workflow, and how the study scales with the cores split."""

from __future__ import annotations

import dataclasses
import logging
import shutil
import tempfile
import time
from pathlib import Path

from benchmarks.overhead import job_cost, study_overhead
from benchmarks.processes import run_sampled
from suite.config import REPO_ROOT, load_study
from suite.methods import PRESETS, resolve_method

log = logging.getLogger(__name__)

# (name, snakemake --cores, threads per training job): jobs in parallel vs threads per job, and the
# README's `--cores 8` (on a 2-core machine: 8 one-thread jobs sharing 2 cores).
SPLITS = (("cores2-threads1", 2, 1), ("cores1-threads1", 1, 1), ("cores2-threads2", 2, 2),
          ("cores8-threads1", 8, 1))


def workflow_copy(target: Path) -> Path:
    for name in ("Snakefile", "workflows", "configs"):
        source = REPO_ROOT / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, target / name)
    return target


def _job_seconds(results: Path) -> dict[str, float]:
    """Per-job wall seconds from the jobs' own resource lines, by log file (relative to results/)."""
    seconds: dict[str, float] = {}
    for log in sorted(results.rglob("*.log")):
        cost = job_cost(log)
        if cost is not None:
            seconds[str(log.relative_to(results))] = cost["wall_seconds"]
    return seconds


def run_study(configfile: str, cores: int, threads: int | None = None, inspect=None,
              sample_interval: float = 1.0) -> dict:
    """Wall and CPU time of `snakemake --cores N all` on a fresh copy (nothing cached), and its per-job seconds.

    `inspect(results/<study>)`, when given, reads the finished study before the copy is removed; its answer
    is the result's `inspected`. Processes shorter than `sample_interval` seconds may go unseen.
    """
    with tempfile.TemporaryDirectory(prefix="ganbench-bench-") as scratch:
        workdir = workflow_copy(Path(scratch))
        command = ["snakemake", "--cores", str(cores), "all", "--configfile", configfile]
        if threads is not None:
            command += ["--config", f"threads={threads}"]
        started = time.perf_counter()
        result, processes = run_sampled(command, workdir, sample_interval)
        wall = time.perf_counter() - started
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed:\n{result.stderr[-3000:]}")
        cpu = processes["total_cpu_seconds"]
        measured = {"command": " ".join(command), "cores": cores, "threads_per_job": threads, "wall_seconds": wall,
                    "cpu_seconds": cpu, "processes": processes, "jobs": _job_seconds(workdir / "results")}
        if inspect is not None:
            measured["inspected"] = inspect(workdir / "results" / load_study(workdir / configfile).experiment, cpu)
        return measured


def splits_section(configfile: str, splits=SPLITS) -> dict:
    rows = []
    for name, cores, threads in splits:
        rows.append({"split": name, **run_study(configfile, cores, threads)})
        log.info("%s %s: %.1f s", configfile, name, rows[-1]["wall_seconds"])
    fastest = min(rows, key=lambda row: row["wall_seconds"])
    return {"study": configfile, "rows": rows, "fastest": fastest["split"]}


def _preset_of(spec) -> str | None:
    """The preset a method is, up to its clip value (the Fig. 1 study varies only c)."""
    return next((name for name, preset in PRESETS.items()
                 if dataclasses.replace(preset, clip_value=spec.clip_value) == spec), None)


def default_estimate(training_rows: list[dict], study_path: Path) -> dict:
    """Training core-seconds of every run of the study from the measured seconds per iteration of its
    (arch, preset); a preset with another clip value counts as the preset."""
    per_iteration = {(row["arch"], row["preset"]): row["suite_seconds_per_iteration"] for row in training_rows}
    total, missing = 0.0, set()
    for run in load_study(study_path).runs:
        key = (run.arch_name, _preset_of(resolve_method(run.method)))
        if key not in per_iteration:
            missing.add(f"{key[0]}/{key[1]}")
            continue
        total += per_iteration[key] * run.train["iterations"]
    return {"study": str(study_path), "training_seconds_serial": total, "runs_not_measured": sorted(missing),
            "note": "training only, at the threads the training rows were measured with; scoring and "
                    "reference jobs come on top (see the smoke study's per-job seconds)"}


def overhead_section(configfile: str, cores: int = 2, startup: list[dict] | None = None) -> dict:
    """The study run afresh with `--cores N`, then its CPU time outside training and scoring steps and
    its per-job peak RSS (benchmarks.overhead), with the start-up costs when given."""
    measured = run_study(configfile, cores, inspect=lambda results, cpu: study_overhead(results, cpu, results.parent / "cache"))
    return {**measured.pop("inspected"), "command": measured["command"], "wall_seconds": measured["wall_seconds"],
            "processes": measured["processes"], "startup": startup or []}
