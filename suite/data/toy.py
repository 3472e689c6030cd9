"""Seeded 2-d toy distributions (WGAN-GP toy experiments)."""

from __future__ import annotations

import math

import torch

SIZES = {"train": 100_000, "test": 10_000}


RING_NOISE, RING_SCALE = 0.02, math.sqrt(2)  # 8 Gaussians: component std and divisor before scaling
GRID_NOISE, GRID_SCALE = 0.05, math.sqrt(8)  # 25 Gaussians (a 5 x 5 grid)


def _ring_centers() -> torch.Tensor:
    angles = torch.arange(8) * (2 * math.pi / 8)
    return torch.stack([angles.cos(), angles.sin()], dim=1) * 2.0


def _grid_centers() -> torch.Tensor:
    grid = torch.arange(-2, 3, dtype=torch.float32)
    return torch.cartesian_prod(grid, grid) * 2.0


def _eight_gaussians(n: int, gen: torch.Generator) -> torch.Tensor:
    centers = _ring_centers()
    picks = torch.randint(0, 8, (n,), generator=gen)
    return (centers[picks] + RING_NOISE * torch.randn(n, 2, generator=gen)) / RING_SCALE


def _twenty_five_gaussians(n: int, gen: torch.Generator) -> torch.Tensor:
    centers = _grid_centers()
    picks = torch.randint(0, 25, (n,), generator=gen)
    return (centers[picks] + GRID_NOISE * torch.randn(n, 2, generator=gen)) / GRID_SCALE


def mixture_modes(name: str) -> tuple[torch.Tensor, float] | None:
    """A Gaussian-mixture toy set's component means [K, 2] and their common std, as sampled; None otherwise."""
    if name == "toy-8gaussians":
        return _ring_centers() / RING_SCALE, RING_NOISE / RING_SCALE
    if name == "toy-25gaussians":
        return _grid_centers() / GRID_SCALE, GRID_NOISE / GRID_SCALE
    return None


def _swiss_roll(n: int, gen: torch.Generator) -> torch.Tensor:
    t = 1.5 * math.pi * (1 + 2 * torch.rand(n, generator=gen))
    points = torch.stack([t * t.cos(), t * t.sin()], dim=1)
    points = points + 0.25 * torch.randn(n, 2, generator=gen)
    return points / 7.5


SAMPLERS = {
    "toy-8gaussians": _eight_gaussians,
    "toy-25gaussians": _twenty_five_gaussians,
    "toy-swissroll": _swiss_roll,
}


def sample_toy(name: str, split: str, seed: int) -> torch.Tensor:
    """A fixed sample [N, 2] (float32) of the named toy distribution; the split picks a disjoint stream."""
    gen = torch.Generator().manual_seed(seed * 2 + (split == "test"))
    return SAMPLERS[name](SIZES[split], gen).float()
