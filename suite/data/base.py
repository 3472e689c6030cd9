"""The value every image loader returns (its own module, so loaders and the registry share it)."""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class ImageData:
    """Images as uint8 [N, C, 32, 32] (labels may be empty for unlabelled sets)."""

    images: torch.Tensor
    labels: torch.Tensor

    def __len__(self) -> int:
        return len(self.images)
