"""Compute a real split's reference statistics through a registered extractor and save them.

Apart from `reference` (the value and its file) because it needs the extractor registry, and the
registry's implementations (the domain scorer) read references.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import torch

from suite.data import load_dataset
from suite.metrics.extractors import get_extractor
from suite.metrics.frechet import RunningGaussian
from suite.metrics.reference import KID_ROWS, Reference, save_reference, subset_indices

log = logging.getLogger(__name__)

BATCH = 500


def compute_reference(data_name: str, split: str, extractor_name: str, n: int | None, out_path: str | Path,
                      weights_path: str | None = None, seed: int = 0,
                      device: str | torch.device = "cpu") -> Reference:
    """Features of n images of `data_name`/`split` (a seeded subset; all when n is None) through the
    extractor `extractor_name` with `weights_path`; save the reference, with the extraction's CPU seconds, to
    `out_path` (.npz) atomically."""
    images = load_dataset(data_name, split).images
    n = len(images) if n is None else int(n)
    images = images[subset_indices(len(images), n, seed)]
    extractor = get_extractor(extractor_name, weights_path).to(device)
    log.info("reference %s/%s: %d images through %s", data_name, split, n, extractor_name)
    running = RunningGaussian(keep_rows=KID_ROWS)
    cpu_start = time.process_time()
    for features, _ in extractor.stream(images.split(BATCH), n=n, desc=f"reference {data_name}/{split}"):
        running.add(features)
    stats = running.gaussian()
    ref = Reference(stats.mu, stats.sigma, stats.n, running.kept_rows(), extractor.name,
                    extractor.weights_sha256, data_name, split, seed)
    save_reference(ref, out_path, cpu_seconds=time.process_time() - cpu_start)
    return ref
