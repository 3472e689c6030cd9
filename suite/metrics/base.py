"""What every feature extractor is: uint8 image batches in, float64 features (and logits) out.

Every extractor streams: callers pass an iterable of uint8 batches [B, C, H, W] (e.g. a generator
sampled batch by batch), so 50k samples never sit in memory as a float tensor; only the features
accumulate. Implementations subclass `Extractor` from here; the registry (`extractors`) imports
them, never the reverse.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Iterator

import numpy as np
import torch

from suite.progress import progress


@dataclass
class Features:
    """Features float64 [N, D]; logits float64 [N, K] or None when the weights have none."""

    features: np.ndarray
    logits: np.ndarray | None

    def __len__(self) -> int:
        return len(self.features)


class Extractor:
    """Base: subclasses set name, dim, weights_sha256, has_logits, batch_size, network and implement `_forward`."""

    name: str
    dim: int
    weights_sha256: str
    has_logits: bool
    batch_size: int
    network: torch.nn.Module
    device = torch.device("cpu")

    def to(self, device: str | torch.device) -> "Extractor":
        """Run the network on `device`; images move there chunk by chunk and features come back on the CPU."""
        self.device = torch.device(device)
        self.network.to(self.device)
        return self

    def _forward(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """uint8 [B, C, H, W] (already checked) -> (features [B, D], logits [B, K] or None)."""
        raise NotImplementedError

    def check(self, images: torch.Tensor) -> None:
        if not torch.is_tensor(images) or images.dtype != torch.uint8 or images.dim() != 4:
            raise ValueError(f"{self.name}: expected a uint8 tensor [N, C, H, W], got "
                             f"{getattr(images, 'dtype', type(images))} {tuple(getattr(images, 'shape', ()))}")
        if images.shape[1] not in (1, 3):
            raise ValueError(f"{self.name}: expected 1 or 3 channels, got {images.shape[1]}")

    @torch.inference_mode()
    def batch(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Features (and logits) of one batch of any size on any device, run in chunks of `batch_size`; CPU out."""
        self.check(images)
        outputs = [self._forward(chunk.to(self.device)) for chunk in images.split(self.batch_size)]
        features = torch.cat([f for f, _ in outputs]).cpu()
        logits = torch.cat([l for _, l in outputs]).cpu() if self.has_logits else None
        return features, logits

    def stream(self, batches: Iterable[torch.Tensor] | torch.Tensor, n: int | None = None,
               desc: str | None = None) -> Iterator[tuple[np.ndarray, np.ndarray | None]]:
        """(features float64 [B, D], logits float64 [B, K] or None) per batch of the first `n` images."""
        with progress(total=n, unit="img", desc=desc or self.name) as bar:
            for images in take_images(batches, n):
                features, logits = self.batch(images)
                yield features.double().numpy(), (logits.double().numpy() if logits is not None else None)
                bar.update(len(images))

    def extract(self, batches: Iterable[torch.Tensor] | torch.Tensor, n: int | None = None,
                desc: str | None = None) -> Features:
        """Features (and logits) of the first `n` images of `batches` (all of them when n is None)."""
        outputs = list(self.stream(batches, n, desc))
        if not outputs:
            raise ValueError(f"{self.name}: no images to extract features from")
        logits = [l for _, l in outputs if l is not None]
        return Features(np.concatenate([f for f, _ in outputs]), np.concatenate(logits) if logits else None)


def take_images(batches: Iterable[torch.Tensor] | torch.Tensor, n: int | None) -> Iterator[torch.Tensor]:
    """Yield batches holding exactly the first `n` images (all when None); error if fewer come."""
    if torch.is_tensor(batches):
        batches = [batches]
    seen = 0
    for images in batches:
        if n is not None and seen + len(images) > n:
            images = images[: n - seen]
        if len(images):
            seen += len(images)
            yield images
        if n is not None and seen >= n:
            return
    if n is not None and seen < n:
        raise ValueError(f"asked for {n} images, the batches held only {seen}")
