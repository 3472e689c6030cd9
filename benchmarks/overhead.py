"""A finished study's CPU time outside its training and scoring steps, and each job's peak memory.

Reads what a study leaves behind: Snakemake's `*.benchmark.tsv` per job (wall `s`, `cpu_time`, `max_rss`)
of the rules that declare `benchmark:` (train, score, fit_critic, part costs, the domain classifier), each
run's train.json (`cpu_seconds`: CPU time of its training steps), metrics.json (`protocol.seconds`:
wall time of its scoring, generator samples through the extractors; its CPU share is the job's CPU time
in that proportion of the job's wall time), critic_fit.json (`cpu_seconds` of the critic's fitting steps
and its measurement) and each part-cost record (`step_cpu_seconds` of its timed and warm-up iterations).
Whatever a job spends besides those
steps is start-up: the interpreter and its imports, the data set, building and loading the nets, Inception's
weights, writing files. Given the CPU time of the whole `snakemake` command (`total_cpu_seconds`: its
children's rusage, as `benchmarks.studies` measures), the rules without benchmark files (reference
statistics, Inception conversion, describe, collect, report) and Snakemake itself count as outside too.

    python -m benchmarks.overhead results/smoke
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import time
import resource
from collections import defaultdict
from pathlib import Path

from suite.config import REPO_ROOT

BENCHMARK_SUFFIX = ".benchmark.tsv"
# Each start-up a job pays before its first step, timed in a fresh interpreter.
STARTUP_PROBES = {
    "python": "pass",
    "python + torch": "import torch",
    "python + suite.train": "import suite.train",
    "python + suite.scoring": "import suite.scoring",
    "suite.train + Fashion-MNIST train split": "import suite.train; "
                                               "suite.train.load_dataset('fashion32', 'train', seed=0)",
}


def _job_kind(path: Path) -> str:
    """train, score, fit_critic, classifier or part_costs: the rule, read from the file's name or folder."""
    if path.parent.name == "part_costs":
        return "part_costs"
    return path.name[: -len(BENCHMARK_SUFFIX)].split("-")[0]


def _benchmark_row(path: Path) -> dict:
    with open(path) as handle:
        row = next(csv.DictReader(handle, delimiter="\t"))
    return {"wall_seconds": float(row["s"]), "cpu_seconds": float(row["cpu_time"]),
            "max_rss_mib": float(row["max_rss"])}


def _step_cpu_seconds(path: Path, kind: str, job: dict) -> float | None:
    """CPU seconds of the job's steps, from the run's own record; None for a job kind that has none.

    metrics.json records scoring's wall time only: the job's CPU time is split in the proportion of
    scoring's wall time to the job's, so load from other processes (which stretches wall time) cancels.
    """
    if kind == "train" and (path.parent / "train.json").exists():
        summary = json.loads((path.parent / "train.json").read_text())
        return summary.get("cpu_seconds", summary["seconds"])
    if kind == "fit_critic" and (path.parent / "critic_fit.json").exists():
        return json.loads((path.parent / "critic_fit.json").read_text()).get("cpu_seconds")
    if kind == "part_costs":
        costs = path.with_name(path.name[: -len(BENCHMARK_SUFFIX)] + ".json")
        if costs.exists():
            return json.loads(costs.read_text()).get("step_cpu_seconds")
    if kind == "score" and (path.parent / "metrics.json").exists():
        scoring_wall = json.loads((path.parent / "metrics.json").read_text())["protocol"].get("seconds")
        if scoring_wall is not None and job["wall_seconds"] > 0:
            return job["cpu_seconds"] * min(1.0, scoring_wall / job["wall_seconds"])
    return None


def study_overhead(results: Path, total_cpu_seconds: float | None = None) -> dict:
    """Per job kind: jobs, CPU seconds in jobs and in their steps, peak RSS; the share outside the steps."""
    kinds: dict[str, dict] = defaultdict(lambda: {"jobs": 0, "cpu_seconds": 0.0, "step_cpu_seconds": 0.0,
                                                  "max_rss_mib": 0.0})
    for path in sorted(Path(results).rglob(f"*{BENCHMARK_SUFFIX}")):
        kind, job = _job_kind(path), _benchmark_row(path)
        steps = _step_cpu_seconds(path, kind, job) or 0.0
        row = kinds[kind]
        row["jobs"] += 1
        row["cpu_seconds"] += job["cpu_seconds"]
        row["step_cpu_seconds"] += steps
        row["max_rss_mib"] = max(row["max_rss_mib"], job["max_rss_mib"])
    if not kinds:
        raise FileNotFoundError(f"no *{BENCHMARK_SUFFIX} files under {results}: not a finished study")
    rows = []
    for kind, row in sorted(kinds.items()):
        outside = row["cpu_seconds"] - row["step_cpu_seconds"]
        rows.append({"kind": kind, **row, "outside_cpu_seconds": outside,
                     "outside_per_job": outside / row["jobs"],
                     "outside_share": outside / row["cpu_seconds"] if row["cpu_seconds"] else 0.0})
    jobs_cpu = sum(r["cpu_seconds"] for r in rows)
    steps_cpu = sum(r["step_cpu_seconds"] for r in rows)
    result = {"results": str(results), "rows": rows, "jobs_cpu_seconds": jobs_cpu, "steps_cpu_seconds": steps_cpu,
              "outside_share_of_benchmarked_jobs": (jobs_cpu - steps_cpu) / jobs_cpu}
    if total_cpu_seconds is not None:
        result["total_cpu_seconds"] = total_cpu_seconds
        result["outside_share_of_study"] = (total_cpu_seconds - steps_cpu) / total_cpu_seconds
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

    lines = [f"study overhead: {overhead['results']} (CPU seconds; steps = training steps, scoring)",
             *table(["job", "jobs", "CPU s", "in steps", "outside", "outside/job", "outside share", "peak RSS MiB"],
                    [[r["kind"], r["jobs"], r["cpu_seconds"], r["step_cpu_seconds"], r["outside_cpu_seconds"],
                      r["outside_per_job"], f"{r['outside_share']:.0%}", round(r["max_rss_mib"])]
                     for r in overhead["rows"]]),
             f"outside the steps: {overhead['outside_share_of_benchmarked_jobs']:.0%} of the benchmarked jobs' CPU"]
    if "total_cpu_seconds" in overhead:
        lines.append(f"outside the steps: {overhead['outside_share_of_study']:.0%} of the whole study's "
                     f"{overhead['total_cpu_seconds']:.0f} CPU s (every job, Snakemake included)")
    if startup:
        lines += ["start-up costs, each in a fresh interpreter",
                  *table(["start-up", "CPU s", "wall s"], [[r["probe"], r["cpu_seconds"], r["wall_seconds"]]
                                                           for r in startup])]
    return lines


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.overhead", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("results", type=Path, help="a finished study's folder, results/<study>")
    parser.add_argument("--startup", action="store_true", help="also time the start-up costs here")
    args = parser.parse_args(argv)
    print("\n".join(render(study_overhead(args.results), startup_costs() if args.startup else None)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
