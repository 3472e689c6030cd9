"""Training throughput: the suite's iteration (Trainer set-up, `train_iteration`) vs a bare PyTorch loop,
per preset x arch, and the cost of each stabilization part relative to no constraint."""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path

import torch

from benchmarks.bare import BareLoop
from benchmarks.timing import median
from suite.config import load_study
from suite.runspec import RunSpec
from suite.costs import interleaved, part_costs, seconds_per_iteration, step_function, timing_run
from suite.errors import ConfigError
from suite.methods import PRESETS
from suite.models import build_models
from suite.progress import progress

PARTS_ARCH = "dcgan"


def default_arch_runs(study_path: Path) -> dict[str, RunSpec]:
    """One run per arch of the study (its first grid point): arch mapping, data, batch size at default widths."""
    runs: dict[str, RunSpec] = {}
    for run in load_study(study_path).runs:
        runs.setdefault(run.arch_name, run)
    return runs


def _contenders(run: RunSpec, scratch: Path) -> tuple[dict, dict]:
    """(suite iteration, bare iteration) on models built alike from the run's seed."""
    trainer, ctx, suite_step = step_function(run, scratch)
    batch = run.train["batch_size"]
    torch.manual_seed(run.seed)
    generator, critic = build_models(run.arch, trainer.spec, tuple(trainer.data.shape[1:]), run.latent_dim)
    generator.to(trainer.device, memory_format=ctx.memory_format)
    critic.to(trainer.device, memory_format=ctx.memory_format)
    bare = BareLoop(trainer.spec, generator, critic, trainer.data, batch, run.latent_dim)
    info = {"n_dis": trainer.spec.n_dis, "batch_size": batch,
            "images_per_iteration": trainer.spec.n_dis * batch}
    return {"suite": suite_step, "bare": bare}, info


def measure(run: RunSpec, iterations: int, repeats: int) -> dict:
    """Median seconds per generator iteration of suite vs bare, and images/s (critic images seen)."""
    with tempfile.TemporaryDirectory() as scratch:
        contenders, info = _contenders(run, Path(scratch))

        on_cuda = torch.device(run.device).type == "cuda"

        def times(fn):
            def timed():
                for _ in range(iterations):
                    fn()
                if on_cuda:  # kernels run asynchronously: time their completion
                    torch.cuda.synchronize()
            return timed

        seconds = interleaved({name: times(fn) for name, fn in contenders.items()}, repeats)
    result = dict(info, iterations=iterations, repeats=repeats)
    for name, values in seconds.items():
        per_iteration = median(values) / iterations
        result[f"{name}_seconds_per_iteration"] = per_iteration
        result[f"{name}_images_per_second"] = info["images_per_iteration"] / per_iteration
    result["ratio_suite_to_bare"] = result["suite_seconds_per_iteration"] / result["bare_seconds_per_iteration"]
    return result


def training_section(study_path: Path, presets: list[str], archs: list[str] | None, iterations: int,
                     repeats: int, batch_size: int | None = None, device: str = "cpu") -> dict:
    runs = default_arch_runs(study_path)
    archs = archs or list(runs)
    rows, skipped = [], []
    for arch in progress(archs, desc="training: archs"):
        for preset in progress(presets, desc=arch):
            run = timing_run(runs[arch], preset, {"preset": preset}, batch_size, device)
            try:
                rows.append({"arch": arch, "arch_spec": run.arch, "data": run.data, "preset": preset,
                             **measure(run, iterations, repeats)})
            except ConfigError as error:  # e.g. sagan's attention on the mlp arch
                skipped.append({"arch": arch, "preset": preset, "reason": str(error)})
    return {"target": "ratio_suite_to_bare <= 1.05", "study": str(study_path), "device": device, "rows": rows,
            "not_applicable": skipped}


def parts_section(study_path: Path, iterations: int, repeats: int, batch_size: int | None = None) -> dict:
    """Seconds per generator iteration (n_dis critic steps + 1 generator step) per part, vs `none`, on the
    study's dcgan arch: the measurement each study report makes too (suite.costs)."""
    return part_costs(default_arch_runs(study_path)[PARTS_ARCH], iterations, repeats, batch_size)


# Memory formats and precision of the training step: channels_last, and bf16 autocast (pays only on CPUs with AMX).
FORMATS = {
    "fp32": {"channels_last": False, "bf16": False},
    "channels_last": {"channels_last": True, "bf16": False},
    "bf16": {"channels_last": False, "bf16": True},
    "channels_last+bf16": {"channels_last": True, "bf16": True},
}


def formats_section(study_path: Path, presets: list[str], archs: list[str] | None, iterations: int, repeats: int,
                    batch_size: int | None = None, batch_sizes: tuple[int, ...] = (32, 64, 128)) -> dict:
    """Per preset x image arch: seconds per iteration in fp32, channels_last, bf16 autocast and both (relative
    to fp32), and images/s of the fp32 step at several batch sizes (the batch is a method hyperparameter: the
    suite keeps the paper's, this shows what another would cost per image)."""
    runs = default_arch_runs(study_path)
    archs = [a for a in (archs or list(runs)) if not runs[a].data.startswith("toy")]
    format_rows, batch_rows = [], []
    for arch in progress(archs, desc="formats: archs"):
        for preset in progress(presets, desc=arch):
            base = timing_run(runs[arch], preset, {"preset": preset}, batch_size)
            variants = {name: dataclasses.replace(base, train={**base.train, **flags})
                        for name, flags in FORMATS.items()}
            try:
                per_iteration = seconds_per_iteration(variants, iterations, repeats)
                by_batch = seconds_per_iteration(
                    {f"batch{b}": timing_run(runs[arch], preset, {"preset": preset}, b) for b in batch_sizes},
                    iterations, repeats)
            except ConfigError:  # attention on an arch without feature maps of its size
                continue
            format_rows.append({"arch": arch, "preset": preset, **{f"{n}_seconds_per_iteration": v
                                                                 for n, v in per_iteration.items()},
                                **{f"{n}_vs_fp32": v / per_iteration["fp32"] for n, v in per_iteration.items()}})
            n_dis = PRESETS[preset].n_dis
            for b in batch_sizes:
                batch_rows.append({"arch": arch, "preset": preset, "batch_size": b,
                                   "seconds_per_iteration": by_batch[f"batch{b}"],
                                   "images_per_second": n_dis * b / by_batch[f"batch{b}"]})
    return {"formats": list(FORMATS), "iterations": iterations, "repeats": repeats,
            "rows": format_rows, "batch_rows": batch_rows}
