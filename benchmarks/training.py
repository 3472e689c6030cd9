"""Training throughput: the suite's iteration (Trainer set-up, `train_iteration`) vs a bare PyTorch loop,
per preset x arch, and the cost of each stabilization part relative to no constraint."""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path

import torch
from tqdm import tqdm

from benchmarks.bare import BareLoop
from benchmarks.timing import interleaved, median
from suite.config import RunSpec, load_study
from suite.errors import ConfigError
from suite.methods import PRESETS
from suite.models import build_models
from suite.train import Trainer, train_iteration

# The stabilization parts on the wgan-gp preset (wasserstein loss, Adam, n_dis 5, dcgan arch).
PARTS = {
    "none": {"constraint": "none", "d_norm": "none"},
    "clip": {"constraint": "clip", "d_norm": "none"},
    "gp": {"constraint": "gp", "d_norm": "none"},
    "gp-fd": {"constraint": "gp-fd", "d_norm": "none"},
    "sn": {"constraint": "none", "d_norm": "sn"},
}
PARTS_PRESET, PARTS_ARCH = "wgan-gp", "dcgan"


def default_arch_runs(study_path: Path) -> dict[str, RunSpec]:
    """One run per arch of the study (its first grid point): arch mapping, data, batch size at default widths."""
    runs: dict[str, RunSpec] = {}
    for run in load_study(study_path).runs:
        runs.setdefault(run.arch_name, run)
    return runs


def with_method(run: RunSpec, name: str, method: dict, batch_size: int | None = None,
                device: str = "cpu") -> RunSpec:
    train = {**run.train, "batch_size": batch_size or run.train["batch_size"], "diagnostics_every": 0,
             "eval_every": 0}
    return dataclasses.replace(run, method_name=name, method=method, train=train, device=device)


def _contenders(run: RunSpec, scratch: Path) -> tuple[dict, dict]:
    """(suite iteration, bare iteration) on models built alike from the run's seed."""
    trainer = Trainer(run, scratch)
    ctx = trainer._build()
    batch = run.train["batch_size"]
    torch.manual_seed(run.seed)
    generator, critic = build_models(run.arch, trainer.spec, tuple(trainer.data.shape[1:]), run.latent_dim)
    generator.to(trainer.device, memory_format=ctx.memory_format)
    critic.to(trainer.device, memory_format=ctx.memory_format)
    bare = BareLoop(trainer.spec, generator, critic, trainer.data, batch, run.latent_dim)
    info = {"n_dis": trainer.spec.n_dis, "batch_size": batch,
            "images_per_iteration": trainer.spec.n_dis * batch}
    return {"suite": lambda: train_iteration(ctx, trainer.sampler, batch, trainer.device), "bare": bare}, info


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
    for arch in tqdm(archs, desc="training: archs", leave=False):
        for preset in tqdm(presets, desc=arch, leave=False):
            run = with_method(runs[arch], preset, {"preset": preset}, batch_size, device)
            try:
                rows.append({"arch": arch, "arch_spec": run.arch, "data": run.data, "preset": preset,
                             **measure(run, iterations, repeats)})
            except ConfigError as error:  # e.g. sagan's attention on the mlp arch
                skipped.append({"arch": arch, "preset": preset, "reason": str(error)})
    return {"target": "ratio_suite_to_bare <= 1.05", "study": str(study_path), "device": device, "rows": rows,
            "not_applicable": skipped}


def parts_section(study_path: Path, iterations: int, repeats: int, batch_size: int | None = None) -> dict:
    """Seconds per generator iteration (n_dis critic steps + 1 generator step) per part, vs `none`.

    All parts are measured interleaved in one round so machine load affects them alike."""
    base = default_arch_runs(study_path)[PARTS_ARCH]
    with tempfile.TemporaryDirectory() as scratch:
        contenders = {}
        for part, override in PARTS.items():
            run = with_method(base, f"{PARTS_PRESET}+{part}", {"preset": PARTS_PRESET, **override}, batch_size)
            suite_fn = _contenders(run, Path(scratch) / part)[0]["suite"]
            contenders[part] = (lambda fn: lambda: [fn() for _ in range(iterations)])(suite_fn)
        seconds = interleaved(contenders, repeats)
    per_iteration = {part: median(values) / iterations for part, values in seconds.items()}
    rows = [{"part": part, **PARTS[part], "seconds_per_iteration": value,
             "relative_to_none": value / per_iteration["none"]} for part, value in per_iteration.items()]
    return {"preset": PARTS_PRESET, "arch": PARTS_ARCH, "arch_spec": base.arch, "n_dis": PRESETS[PARTS_PRESET].n_dis,
            "iterations": iterations, "repeats": repeats, "rows": rows}


# Memory formats and precision of the training step (DESIGN 9: channels_last, the CPU's AMX-bf16).
FORMATS = {
    "fp32": {"channels_last": False, "bf16": False},
    "channels_last": {"channels_last": True, "bf16": False},
    "bf16": {"channels_last": False, "bf16": True},
    "channels_last+bf16": {"channels_last": True, "bf16": True},
}


def _interleaved_per_iteration(runs: dict[str, RunSpec], iterations: int, repeats: int) -> dict[str, float]:
    """Median seconds per generator iteration of the suite's step for each named run, measured interleaved."""
    with tempfile.TemporaryDirectory() as scratch:
        contenders = {}
        for name, run in runs.items():
            suite_fn = _contenders(run, Path(scratch) / name.replace("+", "_"))[0]["suite"]
            contenders[name] = (lambda fn: lambda: [fn() for _ in range(iterations)])(suite_fn)
        seconds = interleaved(contenders, repeats)
    return {name: median(values) / iterations for name, values in seconds.items()}


def formats_section(study_path: Path, presets: list[str], archs: list[str] | None, iterations: int, repeats: int,
                    batch_size: int | None = None, batch_sizes: tuple[int, ...] = (32, 64, 128)) -> dict:
    """Per preset x image arch: seconds per iteration in fp32, channels_last, bf16 autocast and both (relative
    to fp32), and images/s of the fp32 step at several batch sizes (the batch is a method hyperparameter: the
    suite keeps the paper's, this shows what another would cost per image)."""
    runs = default_arch_runs(study_path)
    archs = [a for a in (archs or list(runs)) if not runs[a].data.startswith("toy")]
    format_rows, batch_rows = [], []
    for arch in tqdm(archs, desc="formats: archs", leave=False):
        for preset in tqdm(presets, desc=arch, leave=False):
            base = with_method(runs[arch], preset, {"preset": preset}, batch_size)
            variants = {name: dataclasses.replace(base, train={**base.train, **flags})
                        for name, flags in FORMATS.items()}
            try:
                per_iteration = _interleaved_per_iteration(variants, iterations, repeats)
                by_batch = _interleaved_per_iteration(
                    {f"batch{b}": with_method(runs[arch], preset, {"preset": preset}, b) for b in batch_sizes},
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
