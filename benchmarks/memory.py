"""Peak memory (RSS) and seconds per iteration of a training job, each measured in a process of its own.

The child builds the run as a training job does (`Trainer.build`: data set, nets, optimizers), runs
iterations of the suite's step and reports `resource.getrusage(RUSAGE_SELF).ru_maxrss`, so the figure is
that one job's peak and nothing of the benchmark process. Per-job peaks of a whole study (training and
scoring jobs alike) come from Snakemake's `benchmark:` files: `benchmarks.overhead`.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from suite.config import REPO_ROOT

# (name, arch, preset, batch): WGAN-GP's 101-layer ResNet (layer-norm critic, as its paper trained it)
# at the study's batch and at a quarter of it.
JOBS = (
    ("resnet101-b64", {"family": "resnet-deep", "depth": 101}, "wgan-gp-ln", 64),
    ("resnet101-b16", {"family": "resnet-deep", "depth": 101}, "wgan-gp-ln", 16),
)
KIB = 1024


def _child(job: dict) -> dict:
    """Runs in the child: the job's trainer, one warm-up iteration, then `iterations` timed ones."""
    import torch

    from benchmarks.training import default_arch_runs
    from suite import runtime
    from suite.costs import step_function, timing_run

    runtime.set_threads(job["threads"])
    family = job["arch"]["family"]
    base = next((run for run in default_arch_runs(Path(job["study"])).values() if run.arch["family"] == family),
                None)
    if base is None:
        raise SystemExit(f"study {job['study']} has no {family} arch to take data and batch settings from")
    run = timing_run(base, job["preset"], {"preset": job["preset"]}, job["batch_size"], device="cpu")
    run = dataclasses.replace(run, arch_name=job["name"], arch=job["arch"])
    with tempfile.TemporaryDirectory(prefix="ganbench-memory-") as scratch:
        step = step_function(run, Path(scratch))[2]
        step()
        started = time.perf_counter()
        for _ in range(job["iterations"]):
            step()
        per_iteration = (time.perf_counter() - started) / job["iterations"]
    return {"seconds_per_iteration": per_iteration, "threads": torch.get_num_threads(),
            "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / KIB}


def measure_job(name: str, arch: dict, preset: str, batch_size: int, iterations: int, threads: int,
                study: Path) -> dict:
    """Peak RSS (MiB) and seconds per iteration of one training job, in a fresh Python process."""
    job = {"name": name, "arch": arch, "preset": preset, "batch_size": batch_size, "iterations": iterations,
           "threads": threads, "study": str(study)}
    result = subprocess.run([sys.executable, "-m", "benchmarks.memory", "--child", json.dumps(job)],
                            cwd=REPO_ROOT, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"memory job {name} failed:\n{result.stderr[-3000:]}")
    return {**job, **json.loads(result.stdout.strip().splitlines()[-1])}


def memory_section(study: Path, iterations: int, threads: int, jobs=JOBS) -> dict:
    rows = [measure_job(name, arch, preset, batch, iterations, threads, study) for name, arch, preset, batch in jobs]
    return {"note": "peak RSS of a training job (data set, nets, optimizers, its step) in its own process",
            "rows": rows}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.memory", description=__doc__)
    parser.add_argument("--child", required=True, help="the job as JSON (the benchmark passes it)")
    args = parser.parse_args(argv)
    print(json.dumps(_child(json.loads(args.child))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
