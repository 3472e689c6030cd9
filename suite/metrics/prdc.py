"""Precision, recall (Kynkaanniemi et al. 2019), density and coverage (Naeem et al. 2020) on feature rows.

Each real row's k-nearest-neighbour ball (radius: the distance to its k-th nearest real row)
approximates the real manifold; the fake rows get the same. Precision: fraction of fake rows inside
some real ball; recall: fraction of real rows inside some fake ball; density: the mean number of
real balls holding a fake row, divided by k (1 on average when fake and real share a distribution);
coverage: fraction of real balls holding at least one fake row. Computed by the `prdc` package of
Naeem et al.; its distance matrices are O(n^2), so callers pass a few thousand rows.
"""

from __future__ import annotations

import contextlib
import io

import numpy as np

NEAREST_K = 5  # the value Naeem et al. 2020 recommend
PRDC_KEYS = ("precision", "recall", "density", "coverage")


def prdc(real: np.ndarray, fake: np.ndarray, k: int = NEAREST_K) -> dict[str, float]:
    """{"precision", "recall", "density", "coverage"} of fake rows [M, D] against real rows [N, D]."""
    from prdc import compute_prdc

    real, fake = np.asarray(real, np.float32), np.asarray(fake, np.float32)
    if real.ndim != 2 or fake.ndim != 2 or real.shape[1] != fake.shape[1]:
        raise ValueError(f"need real [N, D] and fake [M, D] features, got {real.shape} and {fake.shape}")
    if min(len(real), len(fake)) <= k:
        raise ValueError(f"precision/recall with k = {k} needs more than {k} rows per set, "
                         f"got {len(real)} real and {len(fake)} fake")
    with contextlib.redirect_stdout(io.StringIO()):  # compute_prdc prints the row counts
        values = compute_prdc(real_features=real, fake_features=fake, nearest_k=k)
    return {key: float(values[key]) for key in PRDC_KEYS}
