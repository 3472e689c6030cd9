"""Seeded 2-d toy distributions (WGAN-GP toy experiments)."""

from __future__ import annotations

import math

import torch

SIZES = {"train": 100_000, "test": 10_000}


def _eight_gaussians(n: int, gen: torch.Generator) -> torch.Tensor:
    angles = torch.arange(8) * (2 * math.pi / 8)
    centers = torch.stack([angles.cos(), angles.sin()], dim=1) * 2.0
    picks = torch.randint(0, 8, (n,), generator=gen)
    return (centers[picks] + 0.02 * torch.randn(n, 2, generator=gen)) / math.sqrt(2)


def _twenty_five_gaussians(n: int, gen: torch.Generator) -> torch.Tensor:
    grid = torch.arange(-2, 3, dtype=torch.float32)
    centers = torch.cartesian_prod(grid, grid) * 2.0
    picks = torch.randint(0, 25, (n,), generator=gen)
    return (centers[picks] + 0.05 * torch.randn(n, 2, generator=gen)) / math.sqrt(8)


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
