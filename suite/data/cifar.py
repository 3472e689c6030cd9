"""CIFAR-10 from the python-pickle batches torchvision downloads."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import torch

from suite.data.base import ImageData, fetch_root
from suite.errors import DataMissingError

FOLDER = "cifar-10-batches-py"
BATCHES = {"train": [f"data_batch_{i}" for i in range(1, 6)], "test": ["test_batch"]}
HOW_TO_GET = (
    "CIFAR-10 not found under {root}: run `python -m suite fetch-data cifar10` with network "
    "access (torchvision download), or put the `cifar-10-batches-py` folder there"
)


def _paths(splits, root: Path) -> list[Path]:
    return [root / FOLDER / name for split in splits for name in BATCHES[split]]


def cifar10_present(root: Path | None = None) -> bool:
    """Whether every batch of both splits is under `root` (default: $GANBENCH_DATA_ROOT, else `data/`)."""
    return all(path.is_file() for path in _paths(BATCHES, fetch_root(root)))


def load_cifar10(split: str, root: Path | None = None) -> ImageData:
    """Images uint8 [N, 3, 32, 32], labels int64 [N], read from the pickled batches."""
    root = fetch_root(root)
    paths = _paths([split], root)
    missing = [p for p in paths if not p.is_file()]
    if missing:
        raise DataMissingError(HOW_TO_GET.format(root=root) + f" (missing {missing[0].name})")
    images, labels = [], []
    for path in paths:
        with open(path, "rb") as handle:
            batch = pickle.load(handle, encoding="latin1")
        images.append(np.asarray(batch["data"], dtype=np.uint8).reshape(-1, 3, 32, 32))
        labels.append(np.asarray(batch["labels"], dtype=np.int64))
    return ImageData(torch.from_numpy(np.concatenate(images)), torch.from_numpy(np.concatenate(labels)))


def download_cifar10(root: Path) -> Path:
    """Download CIFAR-10 with torchvision into `root` (needs network access)."""
    from torchvision.datasets import CIFAR10

    CIFAR10(root=str(root), train=True, download=True)
    return root
