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
from suite.runtime import native_bf16

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


# Memory formats and precision of the training step: channels_last, and bf16 autocast (pays only on CPUs with
# native bf16: AVX-512 BF16 or AMX).
FORMATS = {
    "fp32": {"channels_last": False, "precision": "fp32"},
    "channels_last": {"channels_last": True, "precision": "fp32"},
    "bf16": {"channels_last": False, "precision": "bf16"},
    "channels_last+bf16": {"channels_last": True, "precision": "bf16"},
}


def bf16_convolution_ratio(repeats: int, channels: int = 64, size: int = 16, batch: int = 64) -> float:
    """Median seconds of one 3x3 convolution's forward + backward under bf16 autocast over the same in fp32,
    interleaved: what bf16 costs on this CPU whether or not it is native (a run asking for bf16 on a CPU
    without it trains in fp32, so the formats rows cannot show it)."""
    torch.manual_seed(0)
    layer = torch.nn.Conv2d(channels, channels, 3, padding=1)
    x = torch.randn(batch, channels, size, size)

    def step(precision: str):
        def run():
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "bf16"):
                y = layer(x)
            y.float().sum().backward()
        return run

    seconds = interleaved({p: step(p) for p in ("fp32", "bf16")}, repeats)
    return median(seconds["bf16"]) / median(seconds["fp32"])


def formats_section(study_path: Path, presets: list[str], archs: list[str] | None, iterations: int, repeats: int,
                    batch_size: int | None = None, batch_sizes: tuple[int, ...] = (32, 64, 128)) -> dict:
    """Per preset x image arch: seconds per iteration in fp32, channels_last, bf16 autocast and both (relative
    to fp32), and images/s of the fp32 step at several batch sizes (the batch is a method hyperparameter: the
    suite keeps the paper's, this shows what another would cost per image)."""
    runs = default_arch_runs(study_path)
    archs = [a for a in (archs or list(runs)) if not runs[a].data.startswith("toy")]
    # Without native bf16 a run asking for it trains in fp32 (suite.runtime.training_precision): timing
    # those variants would time fp32 again under another name.
    native = native_bf16(torch.device("cpu"))
    formats = {name: flags for name, flags in FORMATS.items() if native or flags["precision"] == "fp32"}
    format_rows, batch_rows = [], []
    for arch in progress(archs, desc="formats: archs"):
        for preset in progress(presets, desc=arch):
            base = timing_run(runs[arch], preset, {"preset": preset}, batch_size)
            variants = {name: dataclasses.replace(base, train={**base.train, **flags})
                        for name, flags in formats.items()}
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
    return {"formats": list(formats), "native_bf16": native, "bf16_convolution_ratio": bf16_convolution_ratio(repeats),
            "iterations": iterations, "repeats": repeats,
            "rows": format_rows, "batch_rows": batch_rows}
