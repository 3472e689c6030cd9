"""What each stabilization part costs per training step: the suite's own step, timed interleaved.

Shared by the study report (rule `part_costs`) and `python -m benchmarks.run --sections parts`.
Timings are ratios within one measurement: contenders alternate, their order flips every repeat, and
medians are kept, so load from other processes hits every contender alike.
"""

from __future__ import annotations

import dataclasses
import statistics
import tempfile
import time
from pathlib import Path
from typing import Callable

from suite.runspec import RunSpec
from suite.methods import PRESETS
from suite.train import StepContext, Trainer, train_iteration

# The parts on one preset (wasserstein loss, Adam, n_dis 5), each against the same step without constraint.
PARTS_PRESET = "wgan-gp"
PARTS = {
    "none": {"constraint": "none", "d_norm": "none"},
    "clip": {"constraint": "clip", "d_norm": "none"},
    "gp": {"constraint": "gp", "d_norm": "none"},
    "gp-fd": {"constraint": "gp-fd", "d_norm": "none"},
    "sn": {"constraint": "none", "d_norm": "sn"},
}
ITERATIONS, REPEATS, WARMUP = 2, 3, 1


def interleaved(contenders: dict[str, Callable[[], object]], repeats: int, warmup: int = WARMUP,
                clock: Callable[[], float] = time.perf_counter) -> dict[str, list[float]]:
    """Seconds of each call of each contender (by `clock`); contenders alternate within a repeat, and
    their order flips every repeat so neither always runs right after the other."""
    names = list(contenders)
    for _ in range(warmup):
        for name in names:
            contenders[name]()
    seconds: dict[str, list[float]] = {name: [] for name in names}
    for repeat in range(repeats):
        for name in names if repeat % 2 == 0 else reversed(names):
            started = clock()
            contenders[name]()
            seconds[name].append(clock() - started)
    return seconds


def timing_run(run: RunSpec, method_name: str, method: dict, batch_size: int | None = None,
               device: str | None = None) -> RunSpec:
    """`run` with another method (and batch or device), no evaluation or diagnostics: only the step is timed."""
    train = {**run.train, "batch_size": batch_size or run.train["batch_size"], "diagnostics_every": 0,
             "eval_every": 0}
    return dataclasses.replace(run, method_name=method_name, method=method, train=train,
                               device=device or run.device)


def step_function(run: RunSpec, scratch: Path) -> tuple[Trainer, StepContext, Callable[[], dict]]:
    """The run's trainer and step context (models, data, sampler built from its seed), and one call of
    its training iteration."""
    trainer = Trainer(run, scratch)
    ctx = trainer.build()
    batch = run.train["batch_size"]
    return trainer, ctx, lambda: train_iteration(ctx, trainer.sampler, batch, trainer.device)


def seconds_per_iteration(runs: dict[str, RunSpec], iterations: int, repeats: int,
                          clock: Callable[[], float] = time.perf_counter) -> dict[str, float]:
    """Median seconds per generator iteration (n_dis critic steps + 1 generator step) of each named run."""
    with tempfile.TemporaryDirectory(prefix="ganbench-costs-") as scratch:
        contenders = {}
        for index, (name, run) in enumerate(runs.items()):
            step = step_function(run, Path(scratch) / str(index))[2]
            contenders[name] = (lambda fn: lambda: [fn() for _ in range(iterations)])(step)
        seconds = interleaved(contenders, repeats, clock=clock)
    return {name: statistics.median(values) / iterations for name, values in seconds.items()}


def part_costs(base: RunSpec, iterations: int = ITERATIONS, repeats: int = REPEATS,
               batch_size: int | None = None) -> dict:
    """CPU seconds per generator iteration of PARTS_PRESET with each part, and its ratio to no constraint,
    on `base`'s arch, data and batch size.

    CPU time of this process, so that jobs running beside it (a study's other jobs on the same cores) do
    not stretch it; `step_cpu_seconds` is the timed and warm-up iterations' CPU time (median cost x count).
    """
    runs = {part: timing_run(base, f"{PARTS_PRESET}+{part}", {"preset": PARTS_PRESET, **override}, batch_size)
            for part, override in PARTS.items()}
    per_iteration = seconds_per_iteration(runs, iterations, repeats, clock=time.process_time)
    rows = [{"part": part, **PARTS[part], "seconds_per_iteration": value,
             "relative_to_none": value / per_iteration["none"]} for part, value in per_iteration.items()]
    return {"preset": PARTS_PRESET, "n_dis": PRESETS[PARTS_PRESET].n_dis, "data": base.data,
            "arch": base.arch_name, "arch_spec": base.arch, "batch_size": runs["none"].train["batch_size"],
            "iterations": iterations, "repeats": repeats, "rows": rows,
            "step_cpu_seconds": sum(per_iteration.values()) * iterations * (repeats + WARMUP)}


def study_estimate(runs: list[RunSpec], cores: int, iterations: int = ITERATIONS, repeats: int = 1) -> dict:
    """Training time of a study on this machine, from its step costs measured here (1 thread).

    Runs that share data, arch, method and batch share one measurement; a study's jobs run one thread
    each, `cores` at a time. Steps are timed in CPU seconds of this process, so other load on the
    machine (a study running beside) stretches the measurement little. Scoring, reference statistics
    and the report are not included.
    """
    import torch

    torch.set_num_threads(1)
    cells: dict[tuple, RunSpec] = {}
    for run in runs:
        cells.setdefault((run.data, run.arch_name, run.method_name, run.train["batch_size"]), timing_run(
            run, run.method_name, run.method))
    # One cell at a time: a cell's trainer holds its training set, so building every cell first (as an
    # interleaved comparison would) needs memory in proportion to the study's size.
    per_iteration = {}
    for key, spec in cells.items():
        per_iteration.update(seconds_per_iteration({str(key): spec}, iterations, repeats, clock=time.process_time))
    rows = []
    for run in runs:
        key = str((run.data, run.arch_name, run.method_name, run.train["batch_size"]))
        rows.append({"run": run.run_id, "iterations": run.train["iterations"],
                     "seconds_per_iteration": per_iteration[key],
                     "seconds": per_iteration[key] * run.train["iterations"]})
    cpu_seconds = sum(row["seconds"] for row in rows)
    return {"runs": rows, "cells": len(cells), "cpu_seconds": cpu_seconds, "cores": cores,
            "wall_seconds": cpu_seconds / cores}
