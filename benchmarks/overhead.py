"""A finished study's CPU time outside its training and scoring steps, and each job's peak memory.

Reads what a study leaves behind. Every job logs its whole process's cost as its last line
(`suite.cli.RESOURCE_USE`: CPU seconds from rusage, peak RSS, wall seconds), so each job's cost is exact,
start-up and exit included, and nothing samples it while it runs. The steps inside come from each
run's own records: train.json (`cpu_seconds` of its training steps), metrics.json and the floor's
real_metrics.json (`protocol.seconds`: wall time of the scoring itself, generator samples through the
extractors; its CPU share is the job's CPU time in that proportion of the job's wall time),
critic_fit.json (`cpu_seconds` of the critic's fitting steps and its measurement), each part-cost
record (`step_cpu_seconds` of its timed and warm-up iterations), the domain classifier's file (`cpu_seconds`
of its fitting: the domain metric's own network, so scoring work) and each reference statistics file
(`cpu_seconds` of its feature extraction). A training job's measurements come
from train.json too: `eval_cpu_seconds` (the curve's evaluations) and `diagnostics_cpu_seconds`
(gradient scales, weights, spectra), counted apart from its steps. Whatever a job spends besides those
is outside them: the interpreter and its imports, the data set, building and loading the nets,
Inception's weights, checkpoints, samples and other files. The Inception conversion,
collect and report have no steps. Given the CPU time of
the whole `snakemake` command (`total_cpu_seconds`: its children's rusage, as `benchmarks.studies`
measures), what the jobs do not account for is Snakemake itself (scheduling, its ILP solver, job shells)
and, where the jobs ran as forks of the workflow's fork server (suite/forkserver.py), that server's
imports and each job's own short process that handed its command over.

    python -m benchmarks.overhead results/smoke [--cache results/cache] [--total-cpu-seconds S]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import resource
from collections import defaultdict
from pathlib import Path

import numpy as np
import torch

from suite.cli import RESOURCE_USE
from suite.config import REPO_ROOT

# Log file stems (or folder, for part costs) -> the rule's job kind; any other log is its own kind.
KINDS = {"real_metrics": "score_real", "convert": "convert_inception", "fit_critic": "fit_critic"}
# Each start-up a job pays before its first step, timed in a fresh interpreter.
STARTUP_PROBES = {
    "python": "pass",
    "python + torch": "import torch",
    "python + suite.train": "import suite.train",
    "python + suite.scoring": "import suite.scoring",
    "suite.train + Fashion-MNIST train split": "import suite.train; "
                                               "suite.train.load_dataset('fashion32', 'train', seed=0)",
}


def _job_kind(log: Path) -> str:
    """The rule a log belongs to, from its name: train, score, fit_critic, part_costs, reference, ..."""
    if log.parent.name == "part_costs":
        return "part_costs"
    if log.stem.startswith("classifier-"):
        return "classifier"
    if log.parent.parent.name == "reference" and log.parent.parent.parent.name == "cache":
        return "reference"
    return KINDS.get(log.stem, log.stem)


def job_cost(log: Path) -> dict | None:
    """The job's resource use from the last such line of its log; None when it logged none (it failed, or
    ran before jobs recorded it)."""
    lines = [line for line in log.read_text(errors="replace").splitlines() if RESOURCE_USE in line]
    return json.loads(lines[-1].split(RESOURCE_USE, 1)[1]) if lines else None


def _scoring_share(record: Path, job: dict) -> float | None:
    """The job's CPU time in the proportion of scoring's wall time (protocol.seconds) to the job's wall time:
    load from other processes stretches both alike."""
    if not record.exists():
        return None
    scoring_wall = json.loads(record.read_text())["protocol"].get("seconds")
    if scoring_wall is None or job["wall_seconds"] <= 0:
        return None
    return job["cpu_seconds"] * min(1.0, scoring_wall / job["wall_seconds"])


def _step_cpu_seconds(log: Path, kind: str, job: dict) -> float:
    """CPU seconds of the job's steps, from the run's own record; 0 for a job kind that has none."""
    folder = log.parent
    if kind == "train" and (folder / "train.json").exists():
        summary = json.loads((folder / "train.json").read_text())
        return summary.get("cpu_seconds", summary["seconds"])
    if kind == "fit_critic" and (folder / "critic_fit.json").exists():
        return json.loads((folder / "critic_fit.json").read_text()).get("cpu_seconds") or 0.0
    if kind == "part_costs" and log.with_suffix(".json").exists():
        return json.loads(log.with_suffix(".json").read_text()).get("step_cpu_seconds") or 0.0
    if kind == "classifier" and log.with_suffix(".pt").exists():
        return float(torch.load(log.with_suffix(".pt"), weights_only=True).get("cpu_seconds", 0.0))
    if kind == "reference" and log.with_suffix(".npz").exists():
        with np.load(log.with_suffix(".npz")) as reference:
            return float(reference["cpu_seconds"]) if "cpu_seconds" in reference else 0.0
    if kind == "score":
        return _scoring_share(folder / "metrics.json", job) or 0.0
    if kind == "score_real":
        return _scoring_share(log.with_suffix(".json"), job) or 0.0
    return 0.0


def _measure_cpu_seconds(log: Path, kind: str) -> float:
    """CPU seconds a training job spent on evaluations and diagnostics between its steps (train.json)."""
    if kind != "train" or not (log.parent / "train.json").exists():
        return 0.0
    summary = json.loads((log.parent / "train.json").read_text())
    return summary.get("eval_cpu_seconds", 0.0) + summary.get("diagnostics_cpu_seconds", 0.0)


def study_overhead(results: Path, total_cpu_seconds: float | None = None, cache: Path | None = None) -> dict:
    """Per job kind: jobs, CPU seconds in jobs and in their steps, peak RSS; the share outside the steps.
    `cache` (results/cache) adds the shared jobs there: pass it only when this study made them."""
    kinds: dict[str, dict] = defaultdict(lambda: {"jobs": 0, "cpu_seconds": 0.0, "step_cpu_seconds": 0.0,
                                                  "measure_cpu_seconds": 0.0, "max_rss_mib": 0.0})
    unrecorded = []
    logs = sorted(Path(results).rglob("*.log")) + (sorted(Path(cache).rglob("*.log")) if cache else [])
    for log in logs:
        job = job_cost(log)
        if job is None:
            unrecorded.append(str(log))
            continue
        kind = _job_kind(log)
        row = kinds[kind]
        row["jobs"] += 1
        row["cpu_seconds"] += job["cpu_seconds"]
        row["step_cpu_seconds"] += _step_cpu_seconds(log, kind, job)
        row["measure_cpu_seconds"] += _measure_cpu_seconds(log, kind)
        row["max_rss_mib"] = max(row["max_rss_mib"], job["peak_rss_mib"])
    if not kinds:
        raise FileNotFoundError(f"no job log under {results} records its resource use: not a finished study, "
                                "or one run before jobs recorded it")
    rows = []
    for kind, row in sorted(kinds.items()):
        outside = row["cpu_seconds"] - row["step_cpu_seconds"] - row["measure_cpu_seconds"]
        rows.append({"kind": kind, **row, "outside_cpu_seconds": outside,
                     "outside_per_job": outside / row["jobs"],
                     "outside_share": outside / row["cpu_seconds"] if row["cpu_seconds"] else 0.0})
    jobs_cpu = sum(r["cpu_seconds"] for r in rows)
    steps_cpu = sum(r["step_cpu_seconds"] for r in rows)
    measure_cpu = sum(r["measure_cpu_seconds"] for r in rows)
    result = {"results": str(results), "rows": rows, "jobs_cpu_seconds": jobs_cpu, "steps_cpu_seconds": steps_cpu,
              "measure_cpu_seconds": measure_cpu,
              "outside_share_of_jobs": (jobs_cpu - steps_cpu - measure_cpu) / jobs_cpu, "unrecorded_logs": unrecorded}
    if total_cpu_seconds is not None:
        result["total_cpu_seconds"] = total_cpu_seconds
        result["workflow_manager_cpu_seconds"] = total_cpu_seconds - jobs_cpu
        result["outside_share_of_study"] = (total_cpu_seconds - steps_cpu - measure_cpu) / total_cpu_seconds
    return result


def startup_costs(probes: dict[str, str] = STARTUP_PROBES) -> list[dict]:
    """CPU and wall seconds of each probe in a fresh interpreter (its children's rusage)."""
    rows = []
    for name, code in probes.items():
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, check=True, capture_output=True)
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        rows.append({"probe": name, "cpu_seconds": cpu, "wall_seconds": wall})
    return rows


def render(overhead: dict, startup: list[dict] | None = None) -> list[str]:
    from benchmarks.table import table

    lines = [f"study overhead: {overhead['results']} (CPU seconds; steps = training steps, scoring; measuring = "
             "evaluations and diagnostics during training)",
             *table(["job", "jobs", "CPU s", "in steps", "measuring", "outside", "outside/job", "outside share",
                     "peak RSS MiB"],
                    [[r["kind"], r["jobs"], r["cpu_seconds"], r["step_cpu_seconds"], r["measure_cpu_seconds"],
                      r["outside_cpu_seconds"], r["outside_per_job"], f"{r['outside_share']:.0%}",
                      round(r["max_rss_mib"])] for r in overhead["rows"]]),
             f"outside the steps: {overhead['outside_share_of_jobs']:.1%} of the jobs' CPU"]
    if overhead["unrecorded_logs"]:
        lines.append(f"{len(overhead['unrecorded_logs'])} logs record no resource use (failed jobs, or jobs run "
                     f"before they recorded it), e.g. {overhead['unrecorded_logs'][0]}")
    if "total_cpu_seconds" in overhead:
        lines += [f"Snakemake itself (scheduling, its solver, job shells, the fork server): "
                  f"{overhead['workflow_manager_cpu_seconds']:.0f} CPU s, {overhead['workflow_manager_cpu_seconds'] / overhead['total_cpu_seconds']:.1%}",
                  f"outside the steps: {overhead['outside_share_of_study']:.1%} of the whole study's "
                  f"{overhead['total_cpu_seconds']:.0f} CPU s (every job, Snakemake included)"]
    if startup:
        lines += ["start-up costs, each in a fresh interpreter",
                  *table(["start-up", "CPU s", "wall s"], [[r["probe"], r["cpu_seconds"], r["wall_seconds"]]
                                                           for r in startup])]
    return lines


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.overhead", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("results", type=Path, help="a finished study's folder, results/<study>")
    parser.add_argument("--cache", type=Path, help="also the shared jobs under this folder (results/cache), when "
                                                   "this study made them")
    parser.add_argument("--total-cpu-seconds", type=float, help="CPU time of the whole snakemake command")
    parser.add_argument("--startup", action="store_true", help="also time the start-up costs here")
    args = parser.parse_args(argv)
    try:
        overhead = study_overhead(args.results, args.total_cpu_seconds, args.cache)
    except FileNotFoundError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print("\n".join(render(overhead, startup_costs() if args.startup else None)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
