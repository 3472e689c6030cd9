"""The suite's training iteration against the peer, torch-mimicry (Lee & Town 2020), on the same net.

Both train the SN-GAN CIFAR ResNet for 32x32 images (SN-GAN appendix B.4, Table 4): the suite's `resnet`
arch and torch-mimicry's `SNGANGenerator32` / `SNGANDiscriminator32` (sngan) and `WGANGPGenerator32` /
`WGANGPDiscriminator32` (wgan-gp), at torch-mimicry's widths (G 256, D 128 channels) and at a smaller one.
Same batch, loss, Adam settings (the suite's preset) and n_dis; both draw their batches by index from one
in-memory tensor, so neither pays for data loading. torch-mimicry's iteration is its own code: n_dis calls
of its critic's `train_step`, then its generator's `train_step` (the loop of its `training/trainer.py`).

Each contender's FLOPs per iteration (conv and linear, forward and backward, the penalty's double backward
included) come from `torch.utils.flop_counter.FlopCounterMode` on one extra iteration; achieved GFLOP/s is
that count over the median seconds, against the CPU's fp32 peak (`fp32_peak`).
"""

from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
import os
import re
import sys
import types
from pathlib import Path

import torch
from torch.utils.flop_counter import FlopCounterMode

from benchmarks.timing import median
from suite.costs import interleaved
from suite.methods import resolve_method
from suite.models import build_models
from suite.progress import progress
from suite.runtime import native_bf16
from suite.train import BatchSampler, step_context, train_iteration

PEER = "torch_mimicry"
PEER_PIP = "pip install --no-deps -c constraints.txt torch-mimicry"
# preset -> (torch-mimicry module, generator class, critic class)
PEER_NETS = {
    "sngan": ("torch_mimicry.nets.sngan.sngan_32", "SNGANGenerator32", "SNGANDiscriminator32"),
    "wgan-gp": ("torch_mimicry.nets.wgan_gp.wgan_gp_32", "WGANGPGenerator32", "WGANGPDiscriminator32"),
}
# (generator, critic) channels: torch-mimicry's defaults for CIFAR-10 (SN-GAN Table 4), and a quarter of them.
WIDTHS = ((256, 128), (64, 32))
SHAPE = (3, 32, 32)
LATENT_DIM = 128  # both nets' z dimension (torch-mimicry's nz default)
BATCH_SIZE = 64
POOL = 1024  # images in the in-memory tensor both contenders draw from
# fp32 FLOPs per core per cycle with AVX2 + FMA: 2 FMA units x 8 fp32 lanes x 2 FLOPs (multiply and add).
FLOPS_PER_CYCLE = 2 * 8 * 2


def _package_without_init(name: str, directory: Path) -> None:
    """Register package `name` so its submodules import without running its `__init__.py`."""
    spec = importlib.machinery.ModuleSpec(name, None, is_package=True)
    spec.submodule_search_locations = [str(directory)]
    package = importlib.util.module_from_spec(spec)
    sys.modules[name] = package


def import_peer() -> dict[str, types.ModuleType] | None:
    """torch-mimicry's net modules and its MetricLog by submodule path, or None when it is not installed.

    Its package `__init__` imports its training and metrics packages, which need TensorFlow and
    TensorBoard; the nets and MetricLog need neither, so the two package `__init__`s are skipped.
    """
    if PEER not in sys.modules:
        spec = importlib.util.find_spec(PEER)
        if spec is None:
            return None
        root = Path(spec.submodule_search_locations[0])
        _package_without_init(PEER, root)
        _package_without_init(f"{PEER}.training", root / "training")
    modules = {preset: importlib.import_module(module) for preset, (module, _, _) in PEER_NETS.items()}
    modules["metric_log"] = importlib.import_module(f"{PEER}.training.metric_log")
    return modules


def cpu_clock_ghz() -> tuple[float, str]:
    """The CPU's clock in GHz and where it was read: the highest cpufreq maximum, else /proc/cpuinfo's MHz."""
    maxima = sorted(Path("/sys/devices/system/cpu").glob("cpu[0-9]*/cpufreq/cpuinfo_max_freq"))
    if maxima:
        return max(int(p.read_text()) for p in maxima) / 1e6, "cpufreq cpuinfo_max_freq"
    megahertz = re.findall(r"^cpu MHz\s*:\s*([\d.]+)", Path("/proc/cpuinfo").read_text(), re.MULTILINE)
    return max(float(m) for m in megahertz) / 1e3, "/proc/cpuinfo cpu MHz"


def fp32_peak(threads: int) -> dict:
    """fp32 peak GFLOP/s of the cores one step runs on: cores x clock x 2 FMA units x 8 lanes x 2."""
    cores = min(threads, os.cpu_count() or threads)
    ghz, source = cpu_clock_ghz()
    return {"cores": cores, "clock_ghz": ghz, "clock_source": source, "flops_per_cycle": FLOPS_PER_CYCLE,
            "gflops": cores * ghz * FLOPS_PER_CYCLE}


class _GlobalTotalsOnly:
    """Stands in for FlopCounterMode's per-module tracker, whose backward hooks raise under
    `torch.autograd.grad` on a leaf input (the gradient penalty's); the totals need no modules."""

    parents = frozenset({"Global"})

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def count_flops(fn) -> int:
    """Conv and linear FLOPs (forward and backward) of one call of `fn`."""
    counter = FlopCounterMode(display=False)
    counter.mod_tracker = _GlobalTotalsOnly()
    with counter:
        fn()
    return counter.get_total_flops()


def suite_iteration(preset: str, widths: tuple[int, int], data: torch.Tensor, seed: int, **formats):
    """One generator iteration of the suite's own step (`train_iteration`) on the resnet arch."""
    spec = resolve_method(preset, "resnet")
    torch.manual_seed(seed)
    generator, critic = build_models({"family": "resnet", "g_width": widths[0], "d_width": widths[1]}, spec,
                                     SHAPE, LATENT_DIM)
    ctx = step_context(spec, generator, critic, LATENT_DIM, data.device, **formats)
    sampler = BatchSampler(data.contiguous(memory_format=ctx.memory_format), BATCH_SIZE, seed)
    return lambda: train_iteration(ctx, sampler, BATCH_SIZE, data.device), spec


def peer_iteration(peer: dict, preset: str, widths: tuple[int, int], data: torch.Tensor, seed: int):
    """One generator iteration of torch-mimicry: n_dis critic `train_step`s, then the generator's."""
    spec = resolve_method(preset, "resnet")
    _, generator_class, critic_class = PEER_NETS[preset]
    torch.manual_seed(seed)
    generator = getattr(peer[preset], generator_class)(nz=LATENT_DIM, ngf=widths[0]).to(data.device)
    critic = getattr(peer[preset], critic_class)(ndf=widths[1]).to(data.device)
    opt_g = torch.optim.Adam(generator.parameters(), spec.lr_g, betas=spec.betas)
    opt_d = torch.optim.Adam(critic.parameters(), spec.lr_d, betas=spec.betas)
    sampler = BatchSampler(data, BATCH_SIZE, seed)
    labels = torch.zeros(BATCH_SIZE, dtype=torch.long, device=data.device)
    metric_log = peer["metric_log"].MetricLog

    def iteration():
        log_data = metric_log()
        for _ in range(spec.n_dis):
            real_batch = (sampler.next(), labels)
            critic.train_step(real_batch, generator, opt_d, log_data, device=data.device)
        generator.train_step(real_batch, critic, opt_g, log_data, device=data.device)

    return iteration


def measure(peer: dict, preset: str, widths: tuple[int, int], iterations: int, repeats: int,
            seed: int = 0) -> dict:
    """Median seconds per iteration of suite and peer (interleaved), their ratio, FLOPs and GFLOP/s."""
    data = torch.rand(POOL, *SHAPE, generator=torch.Generator().manual_seed(seed)) * 2 - 1
    suite_step, spec = suite_iteration(preset, widths, data, seed)
    contenders = {"suite": suite_step, "peer": peer_iteration(peer, preset, widths, data, seed)}
    if native_bf16(data.device):  # the suite at bf16 beside its default fp32; elsewhere bf16 would run fp32
        contenders["suite_bf16"] = suite_iteration(preset, widths, data, seed, precision="bf16")[0]

    def repeated(fn):
        return lambda: [fn() for _ in range(iterations)]

    seconds = interleaved({name: repeated(fn) for name, fn in contenders.items()}, repeats)
    row = {"preset": preset, "g_width": widths[0], "d_width": widths[1], "batch_size": BATCH_SIZE,
           "n_dis": spec.n_dis, "iterations": iterations, "repeats": repeats}
    for name, fn in contenders.items():
        per_iteration = median(seconds[name]) / iterations
        flops = count_flops(fn)
        row[f"{name}_seconds_per_iteration"] = per_iteration
        row[f"{name}_gflop_per_iteration"] = flops / 1e9
        row[f"{name}_gflops"] = flops / 1e9 / per_iteration
    for name in contenders.keys() - {"peer"}:
        row[f"ratio_{name}_to_peer"] = row[f"{name}_seconds_per_iteration"] / row["peer_seconds_per_iteration"]
    return row


def peer_section(presets: list[str], widths=WIDTHS, iterations: int = 1, repeats: int = 5) -> dict:
    """Suite vs torch-mimicry per preset x width; `skipped` (one line) when torch-mimicry is not installed."""
    peer = import_peer()
    if peer is None:
        return {"skipped": f"peer section skipped: torch-mimicry is not installed ({PEER_PIP})"}
    presets = [p for p in presets if p in PEER_NETS]
    if not presets:
        return {"skipped": f"peer section skipped: torch-mimicry has none of the presets asked for "
                           f"(it has {', '.join(PEER_NETS)})"}
    rows = [measure(peer, preset, tuple(w), iterations, repeats)
            for w in progress(widths, desc="peer: widths") for preset in presets]
    peak = fp32_peak(torch.get_num_threads())
    for row in rows:
        for name in ("suite", "peer"):
            row[f"{name}_fraction_of_peak"] = row[f"{name}_gflops"] / peak["gflops"]
    return {"target": "ratio_suite_to_peer <= 0.5", "peer": PEER, "threads": torch.get_num_threads(),
            "native_bf16": native_bf16(torch.device("cpu")),
            "fp32_peak": peak, "rows": rows}
