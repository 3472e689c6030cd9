"""What every image loader shares (its own module, so loaders and the registry share it): the value it
returns and the folder it reads."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import torch

ROOT_VARIABLE = "GANBENCH_DATA_ROOT"
DOWNLOAD_ROOT = Path("data")  # relative: the study's working directory


@dataclass(frozen=True)
class ImageData:
    """Images as uint8 [N, C, 32, 32] (labels may be empty for unlabelled sets)."""

    images: torch.Tensor
    labels: torch.Tensor

    def __len__(self) -> int:
        return len(self.images)


def named_root(root: str | Path | None) -> Path | None:
    """The folder a caller names, else the one in $GANBENCH_DATA_ROOT, else None (the loaders' own defaults)."""
    if root is not None:
        return Path(root)
    from_environment = os.environ.get(ROOT_VARIABLE)
    return Path(from_environment) if from_environment else None


def fetch_root(root: str | Path | None) -> Path:
    """Where a download goes and is looked for: the named folder (see `named_root`), else `data/`."""
    return named_root(root) or DOWNLOAD_ROOT
