"""Reference statistics of a real split: mu, sigma and a few thousand feature rows (for KID).

One .npz per (data set, split, extractor, n), named by the caller (a Snakemake rule output). The
file records the extractor name and its weights' sha256, so a reference is never used with
features of other weights. This module holds the value and its file; `reference_build` computes
one through the extractor registry.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from suite import io
from suite.errors import ConfigError, DataMissingError
from suite.metrics.frechet import statistics

KID_ROWS = 2000  # feature rows kept for KID (its subsets have at most 1000 rows)


@dataclass(frozen=True)
class Reference:
    mu: np.ndarray          # float64 [D]
    sigma: np.ndarray       # float64 [D, D]
    n: int                  # images behind mu and sigma
    features: np.ndarray    # float64 [min(n, KID_ROWS), D], a seeded random subset of the n rows
    extractor: str
    weights_sha256: str
    data: str
    split: str
    seed: int

    def require(self, extractor: str, weights_sha256: str) -> None:
        """Raise ConfigError unless this reference was computed by this extractor and these weights."""
        if (extractor, weights_sha256) != (self.extractor, self.weights_sha256):
            raise ConfigError(
                f"reference statistics ({self.data}/{self.split}) were computed with {self.extractor} "
                f"weights {self.weights_sha256[:12]}, not {extractor} weights {weights_sha256[:12]}: "
                f"recompute the reference"
            )


def subset_indices(total: int, n: int, seed: int) -> torch.Tensor:
    """The first n of a seeded permutation of range(total): a uniform random subset in random order,
    so its first KID_ROWS rows are a uniform random subset too."""
    if n > total:
        raise ConfigError(f"asked for {n} reference images, the split has only {total}")
    return torch.randperm(total, generator=torch.Generator().manual_seed(seed))[:n]


def reference_from_features(features: np.ndarray, extractor: str, weights_sha256: str, data: str = "",
                            split: str = "", seed: int = 0) -> Reference:
    """A reference from features already in memory (their first KID_ROWS rows are kept for KID)."""
    stats = statistics(features)
    return Reference(stats.mu, stats.sigma, stats.n, np.asarray(features[:KID_ROWS], np.float64), extractor,
                     weights_sha256, data, split, seed)


def save_reference(ref: Reference, out_path: str | Path, cpu_seconds: float | None = None) -> None:
    """`cpu_seconds`: what extracting the features cost, kept beside them for cost accounting; no statistic
    reads it."""
    cost = {} if cpu_seconds is None else {"cpu_seconds": cpu_seconds}
    with io.atomic_path(out_path) as tmp, open(tmp, "wb") as handle:
        np.savez(handle, mu=ref.mu, sigma=ref.sigma, n=ref.n,
                 features=ref.features.astype(np.float32),  # exact: the extractors output float32
                 extractor=ref.extractor, weights_sha256=ref.weights_sha256, data=ref.data, split=ref.split,
                 seed=ref.seed, **cost)


def load_reference(path: str | Path) -> Reference:
    path = Path(path)
    if not path.is_file():
        raise DataMissingError(f"reference statistics {path} not found: compute them with "
                               f"`python -m suite reference ...` (or the Snakemake rule that writes it)")
    with np.load(path, allow_pickle=False) as z:
        reference = Reference(z["mu"], z["sigma"], int(z["n"]), z["features"].astype(np.float64),
                              str(z["extractor"]), str(z["weights_sha256"]), str(z["data"]), str(z["split"]),
                              int(z["seed"]))
    if not (np.isfinite(reference.mu).all() and np.isfinite(reference.sigma).all()):
        raise DataMissingError(f"reference statistics {path} hold non-finite values: delete the file and "
                               f"rerun the pipeline (or `python -m suite reference ...`) to recompute them")
    return reference


def as_reference(ref: Reference | str | Path) -> Reference:
    return ref if isinstance(ref, Reference) else load_reference(ref)
