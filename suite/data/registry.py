"""Registry of data sets: name -> loader, shape and kind."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import torch

from suite.errors import ConfigError

SPLITS = ("train", "test")


@dataclass(frozen=True)
class ImageData:
    """Images as uint8 [N, C, 32, 32] (labels may be empty for unlabelled sets)."""

    images: torch.Tensor
    labels: torch.Tensor

    def __len__(self) -> int:
        return len(self.images)


@dataclass(frozen=True)
class DataSet:
    name: str
    shape: tuple[int, ...]
    kind: str  # "image" or "toy"
    load: Callable[..., object]


def _fashion(split: str, root: Path | None, seed: int) -> ImageData:
    from suite.data.fashion import load_fashion32

    return load_fashion32(split, root)


def _cifar(split: str, root: Path | None, seed: int) -> ImageData:
    from suite.data.cifar import load_cifar10

    return load_cifar10(split, root)


def _toy(name: str) -> Callable[..., torch.Tensor]:
    def load(split: str, root: Path | None, seed: int) -> torch.Tensor:
        from suite.data.toy import sample_toy

        return sample_toy(name, split, seed)

    return load


DATASETS: dict[str, DataSet] = {
    "fashion32": DataSet("fashion32", (1, 32, 32), "image", _fashion),
    "cifar10": DataSet("cifar10", (3, 32, 32), "image", _cifar),
    **{
        name: DataSet(name, (2,), "toy", _toy(name))
        for name in ("toy-8gaussians", "toy-25gaussians", "toy-swissroll")
    },
}


def _dataset(name: str) -> DataSet:
    if name not in DATASETS:
        raise ConfigError(f"unknown data set {name!r}; allowed: {', '.join(DATASETS)}")
    return DATASETS[name]


def is_available(name: str, root: str | Path | None = None) -> bool:
    """Whether every split of the data set is on disk (toy sets always are: they are generated)."""
    dataset = _dataset(name)
    root = Path(root) if root is not None else None
    if name == "fashion32":
        from suite.data.fashion import locate_fashion

        return all(locate_fashion(split, root) for split in SPLITS)
    if name == "cifar10":
        from suite.data.cifar import BATCHES, FOLDER

        folder = (root or Path("data")) / FOLDER
        return all((folder / batch).is_file() for split in SPLITS for batch in BATCHES[split])
    return dataset.kind == "toy"


def data_shape(name: str) -> tuple[int, ...]:
    """Shape of one example: (C, 32, 32) for images, (2,) for toy sets."""
    return _dataset(name).shape


def load_dataset(name: str, split: str = "train", root: str | Path | None = None, seed: int = 0):
    """Load a data set split: `ImageData` for images, a float tensor [N, 2] for toy sets.

    `root` overrides where image files are looked for; `seed` only matters for toy sets.
    """
    dataset = _dataset(name)
    if split not in SPLITS:
        raise ConfigError(f"unknown split {split!r} for {name}; allowed: {', '.join(SPLITS)}")
    return dataset.load(split, Path(root) if root is not None else None, seed)
