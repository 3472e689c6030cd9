"""A critic trained alone against a fixed "generator": the real data plus Gaussian noise (WGAN-GP Fig. 1a).

WGAN-GP (Gulrajani et al. 2017), section 3.1: critics are trained to optimality on toy data with
the generator distribution held at the real distribution plus unit-variance Gaussian noise; those
trained with weight clipping "ignore higher moments of the data distribution", those with the
gradient penalty do not. Here a toy run's critic (its arch, its method's loss, penalty, clipping
and optimizer) is trained that way, then measured on held-out points:

- w1_critic = E D(real) - E D(fake), the critic's estimate of the Wasserstein-1 distance;
- lipschitz = the largest ||grad_x D|| over the held-out points, interpolates between them and a
  grid around them: the critic's measured Lipschitz constant;
- w1_exact = the exact Wasserstein-1 distance between the two held-out sets (optimal transport).

For a critic with Lipschitz constant L, w1_critic / L is at most the W1 distance; how close it comes
says how much of the transport structure the critic captured. The critic's values on a grid go to
SURFACE_FILE (the toy figures' format) for the value-surface figure.
"""

from __future__ import annotations

import logging
import math
import time
from pathlib import Path

import torch

from suite import io, runtime
from suite.data import data_shape, load_dataset
from suite.diagnostics import input_gradient_norms
from suite.errors import ConfigError
from suite.methods import (apply_critic_constraint, critic_loss, critic_penalty, make_optimizers, resolve_method,
                           total_critic_steps)
from suite.metrics.toy import wasserstein1
from suite.models import build_models
from suite.runspec import FILES, RunSpec
from suite.scoring import save_critic_surface
from suite.train import BatchSampler, training_tensor

log = logging.getLogger(__name__)

FIT_FILE = FILES["critic_fit"]
SURFACE_FILE = "critic_surface.npz"
NOISE_STD = 1.0  # WGAN-GP section 3.1: "the real distribution plus unit-variance Gaussian noise"
N_EVAL = 2000  # held-out points per side; the exact W1 is an O(n^3) transport problem (~10 s at 2000)
LIPSCHITZ_GRID = 100  # grid points per axis over the held-out points' bounding box (+25% each side)
FAKE_SEED_OFFSET = 1_000_003  # the fake side's data order: another stream than the real side's
EVAL_SEED = 20_170_331


def _check(run: RunSpec, critic_steps: int, noise_std: float, n_eval: int, grid: int) -> None:
    if data_shape(run.data) != (2,):
        raise ConfigError(f"fit-critic needs a run on 2-d toy data (data: toy-...); data: {run.data} has examples "
                          f"of shape {data_shape(run.data)}")
    for name, value, minimum in (("critic_steps", critic_steps, 1), ("n_eval", n_eval, 2), ("grid", grid, 2)):
        if not value >= minimum:
            raise ConfigError(f"fit-critic {name} must be >= {minimum}, got {value}")
    if not noise_std > 0:
        raise ConfigError(f"fit-critic noise_std must be > 0, got {noise_std}")


def lipschitz_points(real: torch.Tensor, fake: torch.Tensor, grid: int, generator: torch.Generator) -> torch.Tensor:
    """Where the Lipschitz constant is measured: both sets, one random interpolate per (real, fake) pair,
    and a grid x grid lattice over their bounding box widened by a quarter of its size on each side."""
    eps = torch.rand(len(real), 1, generator=generator, dtype=real.dtype)
    both = torch.cat([real, fake])
    low, high = both.min(0).values, both.max(0).values
    margin = (high - low) / 4
    axes = [torch.linspace(float(low[k] - margin[k]), float(high[k] + margin[k]), grid, dtype=real.dtype)
            for k in range(2)]
    lattice = torch.cartesian_prod(*axes)
    return torch.cat([both, eps * real + (1 - eps) * fake, lattice])


def held_out_sets(run: RunSpec, noise_std: float, n_eval: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(real, fake), n_eval points each (float64): disjoint slices of the test split, the fake one plus noise."""
    held_out = load_dataset(run.data, "test", seed=run.seed).double()
    if 2 * n_eval > len(held_out):
        raise ConfigError(f"fit-critic n_eval must be <= {len(held_out) // 2} (half the {run.data} test split), "
                          f"got {n_eval}")
    noise = torch.randn(n_eval, 2, generator=torch.Generator().manual_seed(EVAL_SEED), dtype=torch.float64)
    return held_out[:n_eval], held_out[n_eval: 2 * n_eval] + noise_std * noise


def fit_critic(run: RunSpec, out_dir: Path | str, critic_steps: int | None = None, noise_std: float = NOISE_STD,
               n_eval: int = N_EVAL, grid: int = LIPSCHITZ_GRID) -> dict:
    """Train `run`'s critic against real data + N(0, noise_std^2) noise, write FIT_FILE (and, unless the
    fit diverged, SURFACE_FILE) to `out_dir`; returns the FIT_FILE record.

    critic_steps: critic updates (default: as many as the run's training makes, iterations x n_dis), at the
    method's constant lr_d, in float32 (the run's learning-rate decay and precision are training settings).
    Seeded by the run's seed: the same call gives the same numbers.
    """
    spec = resolve_method(run.method)
    steps = total_critic_steps(spec, run.train["iterations"]) if critic_steps is None else critic_steps
    _check(run, steps, noise_std, n_eval, grid)
    started = time.perf_counter()
    device = runtime.select_device(run.device)
    runtime.make_deterministic(run.seed)
    data = training_tensor(run, device)
    real_eval, fake_eval = held_out_sets(run, noise_std, n_eval)
    generator, critic = build_models(run.arch, spec, (2,), run.latent_dim)
    critic.to(device)
    _, opt_d = make_optimizers(spec, generator, critic)
    batch = run.train["batch_size"]
    real_side = BatchSampler(data, batch, run.seed)
    fake_side = BatchSampler(data, batch, run.seed + FAKE_SEED_OFFSET)
    status = {"status": "ok", "diverged_at_step": None}
    fitting_started = time.process_time()
    for step in range(1, steps + 1):
        real = real_side.next()
        fake = fake_side.next() + noise_std * torch.randn_like(real)
        opt_d.zero_grad(set_to_none=True)
        loss = critic_loss(spec.loss, critic(real), critic(fake)) + critic_penalty(spec, critic, real, fake)
        loss.backward()
        opt_d.step()
        apply_critic_constraint(spec, critic)
        if not math.isfinite(loss.item()):
            status = {"status": "diverged", "diverged_at_step": step}
            log.warning("%s: the critic fit diverged at critic step %d (non-finite loss)", run.run_id, step)
            break
    critic = critic.cpu().eval()
    surface = Path(out_dir) / SURFACE_FILE
    ok = status["status"] == "ok"
    if ok:
        measured = measure_critic(critic, real_eval, fake_eval, grid)
        save_critic_surface(critic, real_eval.numpy(), fake_eval.numpy(), surface)
    else:
        measured = {"w1_critic": None, "lipschitz": None, "w1_normalized": None}
        surface.unlink(missing_ok=True)  # an earlier fit's surface would pass for this one's
    cpu_seconds = time.process_time() - fitting_started
    record = {**status, **measured, "w1_exact": wasserstein1(real_eval.numpy(), fake_eval.numpy()),
              "critic_steps": steps, "noise_std": noise_std, "batch_size": batch, "n_eval": n_eval,
              "lipschitz_points": n_eval * 3 + grid * grid, "surface": SURFACE_FILE if ok else None,
              "seconds": round(time.perf_counter() - started, 3), "cpu_seconds": round(cpu_seconds, 3),
              "config_hash": run.config_hash()}
    io.write_json(Path(out_dir) / FIT_FILE, record)
    return record


def measure_critic(critic: torch.nn.Module, real: torch.Tensor, fake: torch.Tensor, grid: int) -> dict:
    """{w1_critic, lipschitz, w1_normalized} of a critic (on the CPU, in eval mode) on the held-out sets."""
    with torch.no_grad():
        w1_critic = float(critic(real.float()).double().mean() - critic(fake.float()).double().mean())
    points = lipschitz_points(real, fake, grid, torch.Generator().manual_seed(EVAL_SEED + 1))
    lipschitz = float(input_gradient_norms(critic, points.float(), chunk=4096).max())
    return {"w1_critic": w1_critic, "lipschitz": lipschitz, "w1_normalized": w1_critic / lipschitz}
