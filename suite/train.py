"""The training loop: critic steps, a generator step, logging, checkpoints, resume.

Every method choice comes from the run's MethodSpec through suite.methods
functions; nothing here knows a method by name.
"""

from __future__ import annotations

import csv
import logging
import math
import os
import pickle
import signal
import time
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import torch
from torch import nn

from suite import io, runtime
from suite.plateau import BUDGET, CAP, DIVERGED, PLATEAU, PlateauRule
from suite.progress import progress
from suite.runspec import FILES, RunSpec
from suite.data import load_dataset
from suite.data.text import TextData, decode, one_hot
from suite.errors import GanbenchError
from suite.methods import (
    MethodSpec,
    apply_critic_constraint,
    critic_loss,
    critic_penalty,
    critic_steps,
    generator_loss,
    make_optimizers,
    resolve_method,
    set_learning_rates,
    total_critic_steps,
)
from suite.models import build_models
from suite.provenance import code_version, cpu
from suite.samples import save_samples, save_text_samples

log = logging.getLogger(__name__)

TRAIN_COLUMNS = ["step", "seconds", "loss_d", "loss_g", "penalty", "d_real", "d_fake", "gap"]
PROBE_SIZE = 64
PROBE_SEED = 20_170_101
SAMPLE_SEED = 20_180_101
TEXT_SAMPLE_LINES = 32  # generated sequences written to samples.txt (argmax per position) and drawn in samples.png

EvalFn = Callable[[nn.Module, int], dict]


@dataclass
class Clock:
    """Time a run has spent, summed over every process that trained it (the checkpoint carries it). CPU
    time counts every thread of the job: unlike wall time it does not grow when other jobs share the
    cores, so cost ratios stay comparable across runs."""

    seconds: float = 0.0  # wall time of the training steps
    cpu_seconds: float = 0.0  # CPU time of the training steps
    eval_cpu_seconds: float = 0.0  # CPU time of the evaluations during training (the curve)
    diagnostics_cpu_seconds: float = 0.0  # CPU time of the diagnostics recorder

    def state(self) -> dict[str, float]:
        return dict(vars(self))


class Interrupted(GanbenchError):
    """SIGINT/SIGTERM arrived; a checkpoint was written before raising."""


def _as_is(batch: torch.Tensor) -> torch.Tensor:
    return batch


class BatchSampler:
    """Seeded data order over an on-device tensor; its position is checkpointed for exact resume.
    `encode` turns a batch of stored rows into the nets' input (text: indices -> one-hot)."""

    def __init__(self, data: torch.Tensor, batch_size: int, seed: int,
                 encode: Callable[[torch.Tensor], torch.Tensor] = _as_is):
        if batch_size > len(data):
            raise ValueError(f"batch_size {batch_size} exceeds the {len(data)} training examples")
        self.data, self.batch_size, self.encode = data, batch_size, encode
        self.generator = torch.Generator().manual_seed(seed)
        self._new_epoch()

    def _new_epoch(self) -> None:
        self.order = torch.randperm(len(self.data), generator=self.generator)
        self.position = 0

    def next(self) -> torch.Tensor:
        if self.position + self.batch_size > len(self.order):
            self._new_epoch()
        index = self.order[self.position: self.position + self.batch_size]
        self.position += self.batch_size
        return self.encode(self.data[index.to(self.data.device)])

    def state_dict(self) -> dict:
        return {"generator": self.generator.get_state(), "order": self.order, "position": self.position}

    def load_state_dict(self, state: dict) -> None:
        self.generator.set_state(state["generator"])
        self.order, self.position = state["order"], state["position"]


def training_tensor(run: RunSpec, device: torch.device) -> torch.Tensor:
    """The training split as floats in [-1, 1] (images), raw 2-d points (toy) or one-hot sequences (text), on
    the device. Text is one-hot encoded whole here; `training_rows` keeps it compact."""
    rows, encode = training_rows(run, device)
    return encode(rows)


def training_rows(run: RunSpec, device: torch.device) -> tuple[torch.Tensor, Callable[[torch.Tensor], torch.Tensor]]:
    """The training split as stored rows on the device and the function that turns rows into the nets' input:
    text stays vocabulary indices until a batch is drawn (one-hot, the whole corpus would take gigabytes)."""
    data = load_dataset(run.data, "train", root=run.data_root, seed=run.seed)
    if isinstance(data, TextData):
        vocabulary = len(data.alphabet)
        return data.codes.to(device), lambda rows: one_hot(rows, vocabulary)
    if isinstance(data, torch.Tensor):
        return data.to(device), _as_is
    return (data.images.to(device, torch.float32) / 127.5 - 1.0).contiguous(), _as_is


@dataclass
class StepContext:
    spec: MethodSpec
    generator: nn.Module
    critic: nn.Module
    opt_g: torch.optim.Optimizer
    opt_d: torch.optim.Optimizer
    latent_dim: int
    autocast: Callable[[], object]
    memory_format: torch.memory_format
    critic_parameters: list[nn.Parameter] = field(init=False)

    def __post_init__(self):
        self.critic_parameters = [p for p in self.critic.parameters() if p.requires_grad]

    def noise(self, n: int, device: torch.device) -> torch.Tensor:
        return torch.randn(n, self.latent_dim, device=device)


def step_context(spec: MethodSpec, generator: nn.Module, critic: nn.Module, latent_dim: int, device: torch.device,
                 channels_last: bool = False, precision: str = "fp32") -> StepContext:
    """The nets moved to `device` (channels_last when asked), their optimizers and the autocast of the step:
    bf16 autocast of the nets' forwards for precision bf16. The gradient penalty (its interpolates, the
    critic's forward on them and the gradient norm), spectral norm's power iteration and every metric stay
    in fp32."""
    memory_format = torch.channels_last if channels_last else torch.contiguous_format
    generator.to(device, memory_format=memory_format)
    critic.to(device, memory_format=memory_format)
    opt_g, opt_d = make_optimizers(spec, generator, critic)

    def autocast():
        return torch.autocast(device.type, dtype=torch.bfloat16) if precision == "bf16" else nullcontext()

    return StepContext(spec, generator, critic, opt_g, opt_d, latent_dim, autocast, memory_format)


def critic_step(ctx: StepContext, real: torch.Tensor) -> dict:
    """One critic update: adversarial loss + penalty, optimizer step, then the weight constraint."""
    with torch.no_grad(), ctx.autocast():
        fake = ctx.generator(ctx.noise(len(real), real.device))
    fake = fake.float().contiguous(memory_format=ctx.memory_format)
    ctx.opt_d.zero_grad(set_to_none=True)
    with ctx.autocast():
        d_real, d_fake = ctx.critic(real), ctx.critic(fake)
        adversarial = critic_loss(ctx.spec.loss, d_real.float(), d_fake.float())
    penalty = critic_penalty(ctx.spec, ctx.critic, real, fake)
    loss = adversarial + penalty
    loss.backward()
    ctx.opt_d.step()
    apply_critic_constraint(ctx.spec, ctx.critic)
    return {
        "loss_d": loss.detach(),
        "penalty": penalty.detach(),
        "d_real": d_real.detach().float().mean(),
        "d_fake": d_fake.detach().float().mean(),
    }


def generator_step(ctx: StepContext, batch_size: int, device: torch.device) -> torch.Tensor:
    """One generator update. The critic's parameters are frozen meanwhile: its weight gradients would be
    computed and then discarded (the next critic step starts from zero), so the backward skips them."""
    ctx.opt_g.zero_grad(set_to_none=True)
    for parameter in ctx.critic_parameters:
        parameter.requires_grad_(False)
    try:
        with ctx.autocast():
            fake = ctx.generator(ctx.noise(batch_size, device))
            loss = generator_loss(ctx.spec.loss,
                                  ctx.critic(fake.contiguous(memory_format=ctx.memory_format)).float())
        loss.backward()
    finally:
        for parameter in ctx.critic_parameters:
            parameter.requires_grad_(True)
    ctx.opt_g.step()
    return loss.detach()


def train_iteration(ctx: StepContext, sampler: BatchSampler, batch_size: int, device: torch.device,
                    step: int = 0) -> dict:
    """Generator iteration `step` (0-based): its scheduled critic steps on the sampler's batches, then a
    generator step.

    Returns the last critic step's stats and loss_g as Python floats (the loop's only sync point).
    """
    for _ in range(critic_steps(ctx.spec, step)):
        stats = critic_step(ctx, sampler.next())
    loss_g = generator_step(ctx, batch_size, device)
    values = {key: value.item() for key, value in stats.items()}
    values["loss_g"] = loss_g.item()
    return values


class _SignalGuard:
    """Turns SIGINT/SIGTERM into a flag the loop checks after each iteration."""

    def __init__(self):
        self.received: int | None = None

    def __enter__(self):
        self._previous = {sig: signal.signal(sig, self._handle) for sig in (signal.SIGINT, signal.SIGTERM)}
        return self

    def _handle(self, signum, frame):
        self.received = signum

    def __exit__(self, *exc):
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)


class Trainer:
    """Owns one run's state on disk: checkpoint, logs, final outputs."""

    def __init__(self, run: RunSpec, out_dir: Path, on_eval: EvalFn | None = None, diagnostics=None):
        self.run, self.out_dir, self.on_eval = run, Path(out_dir), on_eval
        self.diagnostics_factory = diagnostics
        self.train_cfg = run.train
        self.device = runtime.select_device(run.device)
        self.spec = resolve_method(run.method)
        self.code_version = code_version()
        self.checkpoint_path = self.out_dir / FILES["checkpoint"]
        self.recorder = None

    def build(self) -> StepContext:
        """Seed, load the data, build nets and optimizers: the step context a training iteration needs."""
        runtime.make_deterministic(self.run.seed)
        data, encode = training_rows(self.run, self.device)
        example_shape = tuple(encode(data[:1]).shape[1:])
        generator, critic = build_models(self.run.arch, self.spec, example_shape, self.run.latent_dim)
        image_data = data.dim() == 4
        self.precision = runtime.training_precision(self.train_cfg["precision"], self.device)
        ctx = step_context(self.spec, generator, critic, self.run.latent_dim, self.device,
                           channels_last=self.train_cfg["channels_last"] and image_data, precision=self.precision)
        self.data = data.contiguous(memory_format=ctx.memory_format)
        probe_gen = torch.Generator().manual_seed(PROBE_SEED)
        self.probe_real = encode(self.data[torch.randperm(len(data), generator=probe_gen)[:PROBE_SIZE].to(self.device)])
        self.probe_z = torch.randn(PROBE_SIZE, self.run.latent_dim, generator=probe_gen).to(self.device)
        self.sample_z = torch.randn(self._sample_count(image_data), self.run.latent_dim,
                                    generator=torch.Generator().manual_seed(SAMPLE_SEED)).to(self.device)
        self.sampler = BatchSampler(self.data, self.train_cfg["batch_size"], self.run.seed, encode)
        return ctx

    def _sample_count(self, image_data: bool) -> int:
        if image_data:
            return 64
        return TEXT_SAMPLE_LINES if self._alphabet() is not None else 1024

    def _alphabet(self) -> str | None:
        """The text data set's characters by index, None for other data."""
        data = load_dataset(self.run.data, "train", root=self.run.data_root, seed=self.run.seed)
        return data.alphabet if isinstance(data, TextData) else None

    CHECKPOINT_KEYS = frozenset({"config_hash", "code_version", "step", "clock", "status",
                                 "generator", "critic", "opt_g", "opt_d", "sampler", "rng"})

    def _checkpoint(self, ctx: StepContext, step: int, clock: Clock, status: dict) -> None:
        io.save_torch(self.checkpoint_path, {
            "config_hash": self.run.config_hash(),
            "code_version": self.code_version,
            "step": step,
            "clock": clock.state(),
            "status": status,
            "generator": ctx.generator.state_dict(),
            "critic": ctx.critic.state_dict(),
            "opt_g": ctx.opt_g.state_dict(),
            "opt_d": ctx.opt_d.state_dict(),
            "sampler": self.sampler.state_dict(),
            "rng": runtime.rng_state(),
        })

    def _resume(self, ctx: StepContext) -> tuple[int, Clock, dict]:
        fresh = 0, Clock(), {"status": "ok", "diverged_at_step": None}
        if not self.checkpoint_path.exists():
            return fresh
        state = self._load_checkpoint()
        if state is None:
            return fresh
        if state["config_hash"] != self.run.config_hash() or state["code_version"] != self.code_version:
            log.warning("checkpoint %s is from another config or code version: starting over", self.checkpoint_path)
            return fresh
        ctx.generator.load_state_dict(state["generator"])
        ctx.critic.load_state_dict(state["critic"])
        ctx.opt_g.load_state_dict(state["opt_g"])
        ctx.opt_d.load_state_dict(state["opt_d"])
        self.sampler.load_state_dict(state["sampler"])
        runtime.set_rng_state(state["rng"])
        log.info("resuming %s from step %d", self.run.run_id, state["step"])
        return state["step"], Clock(**state["clock"]), state["status"]

    def _load_checkpoint(self) -> dict | None:
        """The checkpoint's state, or None after moving an unreadable one aside (truncated, corrupt, or
        holding objects other than tensors and plain types: weights_only refuses to run their code)."""
        try:
            # Loaded on the CPU: RNG and data-order states must stay CPU tensors, and load_state_dict moves
            # the rest onto this run's device, so a checkpoint written on a GPU resumes on a CPU and back.
            state = torch.load(self.checkpoint_path, map_location="cpu", weights_only=True)
            missing = self.CHECKPOINT_KEYS - set(state) if isinstance(state, dict) else self.CHECKPOINT_KEYS
            if missing:
                raise ValueError(f"no {', '.join(sorted(missing))}")
        except (RuntimeError, ValueError, EOFError, pickle.UnpicklingError) as error:
            aside = self.checkpoint_path.with_name(self.checkpoint_path.name + ".unreadable")
            os.replace(self.checkpoint_path, aside)
            reason = " ".join(str(error).split())[:200]
            log.warning("checkpoint %s is unreadable (%s): moved to %s; training %s from step 0",
                        self.checkpoint_path, reason, aside.name, self.run.run_id)
            return None
        return state

    def _samples(self, ctx: StepContext) -> torch.Tensor:
        ctx.generator.eval()
        with torch.inference_mode():
            samples = ctx.generator(self.sample_z).float()
        ctx.generator.train()
        return samples

    def fit(self) -> dict:
        with _SignalGuard() as guard:
            try:
                return self._fit(guard)
            finally:
                if self.recorder is not None:
                    self.recorder.close()

    def _fit(self, guard: _SignalGuard) -> dict:
        cfg = self.train_cfg
        self.out_dir.mkdir(parents=True, exist_ok=True)
        for stale in self.out_dir.rglob(".*.tmp"):  # left by a SIGKILL mid-write; never renamed, so never used
            stale.unlink()
        ctx = self.build()
        step, clock, status = self._resume(ctx)
        resume_step = step if step > 0 else None
        train_log = io.CsvLog(self.out_dir / FILES["log_csv"], TRAIN_COLUMNS, keep_until_step=resume_step)
        curve_log = None
        wants_diagnostics = self.diagnostics_factory is not None and cfg["diagnostics_every"] > 0
        recorder = self.recorder = self.diagnostics_factory(ctx, self, resume_step) if wants_diagnostics else None
        total = cfg["iterations"]
        rule = PlateauRule.from_train(cfg)
        history = self._curve_history(rule, step) if rule else []
        with progress(total=total, initial=step, desc=self.run.run_id, unit="steps") as bar:
            while step < total and status["status"] == "ok" and not status.get("plateau_at_step"):
                started, cpu_started = time.perf_counter(), time.process_time()
                set_learning_rates(ctx.spec, ctx.opt_g, ctx.opt_d, step, total)
                values = train_iteration(ctx, self.sampler, cfg["batch_size"], self.device, step)
                step += 1
                clock.seconds += time.perf_counter() - started
                clock.cpu_seconds += time.process_time() - cpu_started
                bar.update(1)
                if not all(math.isfinite(v) for v in values.values()):
                    status = {"status": "diverged", "diverged_at_step": step}
                    log.warning("%s diverged at step %d (non-finite loss)", self.run.run_id, step)
                if step % cfg["log_every"] == 0 or step == total or status["status"] != "ok":
                    train_log.append({"step": step, "seconds": round(clock.seconds, 4), **values,
                                      "gap": values["d_real"] - values["d_fake"]})
                if status["status"] == "ok" and self.on_eval and cfg["eval_every"] and step % cfg["eval_every"] == 0:
                    cpu_started = time.process_time()
                    metrics = self.on_eval(ctx.generator, step)
                    if curve_log is None:
                        curve_log = io.CsvLog(self.out_dir / FILES["curve"],
                                              ["step", "seconds", "cpu_seconds", *metrics], keep_until_step=resume_step)
                    curve_log.append({"step": step, "seconds": round(clock.seconds, 4),
                                      "cpu_seconds": round(clock.cpu_seconds, 4), **metrics})
                    clock.eval_cpu_seconds += time.process_time() - cpu_started
                    if rule:
                        history.append(float(metrics[rule.metric]))
                        if rule.reached(history):
                            status = {**status, "plateau_at_step": step}  # kept in the checkpoint: a resumed
                            log.info("%s plateaued at step %d", self.run.run_id, step)  # run stops here too
                if status["status"] == "ok" and recorder and step % cfg["diagnostics_every"] == 0:
                    cpu_started = time.process_time()
                    recorder.take(step)
                    clock.diagnostics_cpu_seconds += time.process_time() - cpu_started
                ended = step == total or status["status"] != "ok" or status.get("plateau_at_step")
                if step % cfg["checkpoint_every"] == 0 or ended or guard.received:
                    self._checkpoint(ctx, step, clock, status)
                if guard.received:
                    raise Interrupted(f"signal {guard.received} at step {step}; checkpoint written")
        return self._finish(ctx, step, clock, status)

    def _curve_history(self, rule: PlateauRule, step: int) -> list[float]:
        """The plateau metric's values already on the curve up to `step` (a resumed run's evaluations)."""
        path = self.out_dir / FILES["curve"]
        if step == 0 or not path.is_file():
            return []
        with path.open(newline="") as handle:
            return [float(row[rule.metric]) for row in csv.DictReader(handle) if int(row["step"]) <= step]

    def _stop_reason(self, step: int, status: dict, rule: PlateauRule | None) -> str:
        if status["status"] != "ok":
            return DIVERGED
        if status.get("plateau_at_step"):
            return PLATEAU
        return CAP if rule else BUDGET

    def _finish(self, ctx: StepContext, step: int, clock: Clock, status: dict) -> dict:
        samples = self._samples(ctx)
        alphabet = self._alphabet()
        if alphabet is None:
            save_samples(samples, self.out_dir / FILES["samples"])
        else:
            save_text_samples(decode(samples.argmax(dim=1), alphabet), self.out_dir / FILES["samples"],
                              self.out_dir / FILES["text_samples"])
        io.save_torch(self.out_dir / FILES["generator"], {
            "generator": ctx.generator.state_dict(), "run": self.run.to_dict(), "step": step,
        })
        summary = {
            **status,
            "stop_reason": self._stop_reason(step, status, PlateauRule.from_train(self.train_cfg)),
            "steps": step,
            "seconds": round(clock.seconds, 3),
            "seconds_per_step": round(clock.seconds / max(step, 1), 5),
            "cpu_seconds": round(clock.cpu_seconds, 3),
            "cpu_seconds_per_step": round(clock.cpu_seconds / max(step, 1), 5),
            "eval_cpu_seconds": round(clock.eval_cpu_seconds, 3),
            "diagnostics_cpu_seconds": round(clock.diagnostics_cpu_seconds, 3),
            "images_seen": total_critic_steps(self.spec, step) * self.train_cfg["batch_size"],
            "config_hash": self.run.config_hash(),
            "code_version": self.code_version,
            "device": str(self.device),
            "cpu": cpu(),
            "precision": self.precision,
            "threads": torch.get_num_threads(),
        }
        io.write_json(self.out_dir / FILES["train"], summary)
        return summary


def train_run(run: RunSpec, out_dir: Path, on_eval: EvalFn | None = None, diagnostics=None) -> dict:
    """Train (or resume) one run into `out_dir`; returns the train.json summary."""
    return Trainer(run, out_dir, on_eval, diagnostics).fit()
