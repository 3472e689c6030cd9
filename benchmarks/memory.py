"""Peak memory (RSS) of a training job and of an Inception scoring job, each measured in a process of its own.

A training child builds the run as a training job does (`Trainer.build`: data set, nets, optimizers),
runs iterations of the suite's step and reports `resource.getrusage(RUSAGE_SELF).ru_maxrss`, so the
figure is that one job's peak and nothing of the benchmark process. The scoring child does what the
real-data floor job does at a full protocol's size: Inception reference statistics of n Fashion-MNIST
test images, then n held-out training images scored against them (FID, KID, sampling SEs, precision /
recall / density / coverage). Per-job peaks of a whole study (training and scoring jobs alike) come from
each job's resource line in its log: `benchmarks.overhead`.
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
SCORING_N = 10_000  # the Fashion-MNIST test set, whole: the reference of a full-size protocol
SCORING_BATCH = 32  # the study's scoring batch (evaluate.batch_size)


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / KIB


def _training_child(job: dict) -> dict:
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
            "peak_rss_mib": _peak_rss_mib()}


def _scoring_child(job: dict) -> dict:
    """Runs in the child: the reference of n test images, then n held-out training images scored against it."""
    from suite import runtime
    from suite.metrics.reference_build import compute_reference
    from suite.metrics.score import real_batches, score_generator

    runtime.set_threads(job["threads"])
    n = job["n"]
    with tempfile.TemporaryDirectory(prefix="ganbench-memory-") as scratch:
        reference = Path(scratch) / "reference.npz"
        started = time.process_time()
        compute_reference("fashion32", "test", "inception-v3-compat", n, reference, weights_path=job["weights"])
        reference_cpu, reference_rss = time.process_time() - started, _peak_rss_mib()
        scored = score_generator(real_batches("fashion32", "train", n, batch_size=SCORING_BATCH), n,
                                 inception_ref=reference, inception_weights=job["weights"],
                                 inception_batch_size=SCORING_BATCH, fid_crosscheck=False)
    return {"reference_cpu_seconds": reference_cpu, "reference_peak_rss_mib": reference_rss,
            "scoring_cpu_seconds": time.process_time() - started - reference_cpu, "peak_rss_mib": _peak_rss_mib(),
            "fid": scored["metrics"]["fid"], "prdc_n": scored["protocol"]["prdc_n"]}


CHILDREN = {"training": _training_child, "scoring": _scoring_child}


def _in_child(kind: str, job: dict) -> dict:
    """`job` run by CHILDREN[kind] in a fresh Python process; its result beside the job's fields."""
    result = subprocess.run([sys.executable, "-m", "benchmarks.memory", "--child", kind, json.dumps(job)],
                            cwd=REPO_ROOT, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"memory job {job['name']} failed:\n{result.stderr[-3000:]}")
    return {**job, **json.loads(result.stdout.strip().splitlines()[-1])}


def measure_job(name: str, arch: dict, preset: str, batch_size: int, iterations: int, threads: int,
                study: Path) -> dict:
    """Peak RSS (MiB) and seconds per iteration of one training job, in a fresh Python process."""
    return _in_child("training", {"name": name, "arch": arch, "preset": preset, "batch_size": batch_size,
                                  "iterations": iterations, "threads": threads, "study": str(study)})


def measure_scoring(n: int, threads: int, weights: Path) -> dict:
    """Peak RSS (MiB) and CPU seconds of Inception reference statistics and scoring of n images each."""
    return _in_child("scoring", {"name": f"inception-n{n}", "n": n, "threads": threads, "weights": str(weights)})


def memory_section(study: Path, iterations: int, threads: int, scoring_n: int, weights: Path, jobs=JOBS) -> dict:
    rows = [measure_job(name, arch, preset, batch, iterations, threads, study) for name, arch, preset, batch in jobs]
    return {"note": "peak RSS of a training job (data set, nets, optimizers, its step) in its own process",
            "rows": rows, "scoring": measure_scoring(scoring_n, threads, weights)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.memory", description=__doc__)
    parser.add_argument("--child", nargs=2, required=True, metavar=("KIND", "JOB"),
                        help=f"the kind of job ({', '.join(CHILDREN)}) and the job as JSON (the benchmark passes them)")
    args = parser.parse_args(argv)
    kind, job = args.child
    print(json.dumps(CHILDREN[kind](json.loads(job))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
