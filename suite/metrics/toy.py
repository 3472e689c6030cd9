"""Metrics of 2-d toy samples: modes covered, the high-quality fraction and the Wasserstein-1 distance.

The mode metrics follow the toy evaluations of unrolled GANs (Metz et al. 2017), VEEGAN
(Srivastava et al. 2017) and PacGAN (Lin et al. 2018): a sample is high quality when it lies within
3 standard deviations of its nearest mixture component's mean; a mode is covered when at least
`min_count` high-quality samples have it as their nearest mean. They apply to Gaussian mixtures
only; the distance applies to every toy set.
"""

from __future__ import annotations

import numpy as np

HQ_STDS = 3.0
MODE_MIN_COUNT = 1
TOY_METRIC_KEYS = ("modes_covered", "hq_fraction", "w1")


def mode_metrics(samples: np.ndarray, centers: np.ndarray, std: float, min_count: int = MODE_MIN_COUNT) -> dict:
    """{"modes_covered": int, "hq_fraction": float} of samples [N, 2] against the means [K, 2] of
    components with a common isotropic std."""
    samples, centers = np.asarray(samples, np.float64), np.asarray(centers, np.float64)
    if len(samples) == 0:
        raise ValueError("mode metrics need at least one sample")
    distances = np.linalg.norm(samples[:, None, :] - centers[None, :, :], axis=2)
    nearest = distances.argmin(axis=1)
    high_quality = distances[np.arange(len(samples)), nearest] <= HQ_STDS * std
    counts = np.bincount(nearest[high_quality], minlength=len(centers))
    return {"modes_covered": int((counts >= min_count).sum()), "hq_fraction": float(high_quality.mean())}


def wasserstein1(a: np.ndarray, b: np.ndarray) -> float:
    """Exact Wasserstein-1 distance (Euclidean ground cost) between two equally weighted point sets, by POT."""
    import ot

    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    cost = ot.dist(a, b, metric="euclidean")
    return float(ot.emd2(np.full(len(a), 1 / len(a)), np.full(len(b), 1 / len(b)), cost, numItermax=10_000_000))


def toy_metrics(samples: np.ndarray, real: np.ndarray, modes: tuple[np.ndarray, float] | None) -> dict:
    """Every toy metric of samples [N, 2] against real points [M, 2]; mode metrics None without `modes`."""
    out = dict.fromkeys(TOY_METRIC_KEYS)
    if modes is not None:
        out.update(mode_metrics(samples, *modes))
    out["w1"] = wasserstein1(samples, real)
    return out
