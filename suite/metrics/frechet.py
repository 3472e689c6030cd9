"""FID, KID and IS math in float64, through torch-fidelity's own functions.

torch-fidelity is imported inside each function: importing it pulls in torchvision (~2 s), which
a training job that only computes domain FID for its curve should not pay.

FID is cross-checked against pytorch-fid's `calculate_frechet_distance` (its absolute difference
is recorded in every metrics.json as `fid_pytorch_fid_absdiff`).

The sampling standard errors (FID and KID on disjoint subsets of the generated features against
the same reference) are computed here in numpy: one FID per subset through torch-fidelity would
repeat a D x D matrix square root per subset.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import torch

log = logging.getLogger(__name__)

KID_SUBSETS = 100
KID_SUBSET_SIZE = 1000
KID_SEED = 2020  # torch-fidelity's default rng_seed
IS_SEED = 2020
SE_SUBSETS = 5  # disjoint subsets behind each sampling standard error


@dataclass(frozen=True)
class Gaussian:
    """Mean [D] and covariance [D, D] of a feature set, float64."""

    mu: np.ndarray
    sigma: np.ndarray
    n: int


def statistics(features: np.ndarray) -> Gaussian:
    """Mean and (unbiased, rowvar=False) covariance of features [N, D] in float64."""
    features = np.asarray(features, dtype=np.float64)
    if features.ndim != 2 or len(features) < 2:
        raise ValueError(f"need features [N >= 2, D], got {features.shape}")
    return Gaussian(features.mean(axis=0), np.cov(features, rowvar=False), len(features))


def fid_from_stats(mu1, sigma1, mu2, sigma2) -> float:
    """||mu1-mu2||^2 + Tr(S1 + S2 - 2 sqrt(S1 S2)), torch-fidelity's `fid_statistics_to_metric`."""
    from torch_fidelity.metric_fid import KEY_METRIC_FID, fid_statistics_to_metric

    stat1 = {"mu": np.asarray(mu1, np.float64), "sigma": np.asarray(sigma1, np.float64)}
    stat2 = {"mu": np.asarray(mu2, np.float64), "sigma": np.asarray(sigma2, np.float64)}
    return float(fid_statistics_to_metric(stat1, stat2, verbose=False)[KEY_METRIC_FID])


def fid_pytorch_fid(mu1, sigma1, mu2, sigma2) -> float | None:
    """The same distance by pytorch-fid (scipy sqrtm); None when it refuses (large imaginary part)."""
    from pytorch_fid.fid_score import calculate_frechet_distance

    try:
        return float(calculate_frechet_distance(np.asarray(mu1, np.float64), np.asarray(sigma1, np.float64),
                                                np.asarray(mu2, np.float64), np.asarray(sigma2, np.float64)))
    except ValueError as error:
        log.warning("pytorch-fid cross-check failed: %s", error)
        return None


def fid(a: Gaussian, b: Gaussian, crosscheck: bool = True) -> tuple[float, float | None]:
    """(FID, |FID - pytorch-fid's FID| or None when pytorch-fid could not compute it or was not asked).

    The cross-check repeats the 2048x2048 matrix square root (tens of seconds on 2 CPU cores),
    so small studies may turn it off.
    """
    value = fid_from_stats(a.mu, a.sigma, b.mu, b.sigma)
    check = fid_pytorch_fid(a.mu, a.sigma, b.mu, b.sigma) if crosscheck else None
    return value, (abs(value - check) if check is not None else None)


def kid(features1: np.ndarray, features2: np.ndarray, subsets: int = KID_SUBSETS,
        subset_size: int | None = None, seed: int = KID_SEED) -> tuple[float, float]:
    """Unbiased KID (cubic polynomial kernel) mean and std over `subsets` random subsets.

    subset_size defaults to min(n1, n2, 1000). Values slightly below 0 are valid (unbiased).
    """
    from torch_fidelity.metric_kid import KEY_METRIC_KID_MEAN, KEY_METRIC_KID_STD, kid_features_to_metric

    size = subset_size if subset_size is not None else min(len(features1), len(features2), KID_SUBSET_SIZE)
    out = kid_features_to_metric(
        torch.from_numpy(np.asarray(features1, np.float64)),
        torch.from_numpy(np.asarray(features2, np.float64)),
        kid_subsets=subsets, kid_subset_size=size, rng_seed=seed, verbose=False,
        kid_kernel="poly", kid_kernel_poly_degree=3, kid_kernel_poly_gamma=None, kid_kernel_poly_coef0=1,
    )
    return out[KEY_METRIC_KID_MEAN], out[KEY_METRIC_KID_STD]


def symmetric_sqrt(matrix: np.ndarray) -> np.ndarray:
    """The PSD square root of a symmetric matrix (eigenvalues below 0, rounding noise, set to 0)."""
    values, vectors = np.linalg.eigh(np.asarray(matrix, np.float64))
    return (vectors * np.sqrt(values.clip(min=0))) @ vectors.T


def fid_of_subsets(features: np.ndarray, subsets: int, ref: Gaussian) -> np.ndarray:
    """FID of each of `subsets` disjoint consecutive blocks of `features` [N, D] against `ref`.

    Tr sqrt(S_b S_ref) equals the sum of square roots of the eigenvalues of the similar matrix
    R S_b R (R = sqrt(S_ref)); with S_b = Y'Y/(m-1) for the m centred rows Y of a block, the
    nonzero ones are those of (YR)(YR)'/(m-1), an m x m matrix. So one D x D square root
    serves every block, and a block smaller than D costs an m x m eigendecomposition.
    """
    features = np.asarray(features, np.float64)
    size = len(features) // subsets
    if size < 2:
        raise ValueError(f"{subsets} subsets of {len(features)} rows leave fewer than 2 rows each")
    root = symmetric_sqrt(ref.sigma)
    values = []
    for block in features[: size * subsets].reshape(subsets, size, -1):
        mu = block.mean(axis=0)
        projected = (block - mu) @ root
        gram = projected @ projected.T if size <= projected.shape[1] else projected.T @ projected
        cross = np.sqrt(np.linalg.eigvalsh(gram / (size - 1)).clip(min=0)).sum()
        trace = ((block - mu) ** 2).sum() / (size - 1)
        values.append(((mu - ref.mu) ** 2).sum() + trace + np.trace(ref.sigma) - 2 * cross)
    return np.array(values)


def mmd2_unbiased(x: np.ndarray, y: np.ndarray) -> float:
    """Unbiased MMD^2 with KID's kernel k(a, b) = (a.b / D + 1)^3 (Binkowski et al. 2018), rows of x vs rows of y."""
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    dim = x.shape[1]

    def kernel(a, b):
        base = a @ b.T / dim + 1
        return base * base * base  # several times faster than ** 3

    k_xx, k_yy, k_xy = kernel(x, x), kernel(y, y), kernel(x, y)
    m, n = len(x), len(y)
    return float((k_xx.sum() - np.trace(k_xx)) / (m * (m - 1)) + (k_yy.sum() - np.trace(k_yy)) / (n * (n - 1))
                 - 2 * k_xy.mean())


def kid_of_subsets(features: np.ndarray, subsets: int, ref_features: np.ndarray) -> np.ndarray:
    """Unbiased MMD^2 of each of `subsets` disjoint consecutive blocks of `features` against all `ref_features`."""
    size = len(features) // subsets
    if size < 2:
        raise ValueError(f"{subsets} subsets of {len(features)} rows leave fewer than 2 rows each")
    return np.array([mmd2_unbiased(features[i * size:(i + 1) * size], ref_features) for i in range(subsets)])


def sampling_se(subset_values: np.ndarray, subset_size: int, n: int) -> float:
    """Standard error of a statistic computed from n samples, from its values on disjoint subsets of size m.

    Batch means: the subsets' SD, scaled by sqrt(m / n) since the estimator's variance falls as 1/n
    (its leading term when the two distributions differ). With k = n / m subsets this is SD / sqrt(k).
    """
    return float(np.std(subset_values, ddof=1) * np.sqrt(subset_size / n))


def inception_score(logits: np.ndarray, splits: int = 10, seed: int = IS_SEED) -> tuple[float, float]:
    """IS mean and std over `splits` (torch-fidelity's `isc_features_to_metric`, shuffled with `seed`)."""
    from torch_fidelity.metric_isc import KEY_METRIC_ISC_MEAN, KEY_METRIC_ISC_STD, isc_features_to_metric

    logits = torch.from_numpy(np.asarray(logits, np.float64))
    if len(logits) < splits:
        raise ValueError(f"IS with {splits} splits needs at least {splits} samples, got {len(logits)}")
    out = isc_features_to_metric(logits, splits=splits, shuffle=True, rng_seed=seed)
    return out[KEY_METRIC_ISC_MEAN], out[KEY_METRIC_ISC_STD]


class RunningGaussian:
    """Mean and covariance accumulated batch by batch in float64 (shifted sums, so no cancellation),
    plus the first `keep_rows` feature rows as float32 (for KID, precision/recall and the sampling errors)."""

    def __init__(self, keep_rows: int = 0):
        self.n = 0
        self.keep_rows = keep_rows
        self.rows: list[np.ndarray] = []
        self._kept = 0
        self._shift = self._sum = self._outer = None

    def add(self, features: np.ndarray) -> None:
        features = np.asarray(features, np.float64)
        if features.ndim != 2:
            raise ValueError(f"need features [N, D], got {features.shape}")
        if self._shift is None:
            self._shift = features.mean(axis=0)
            self._sum = np.zeros_like(self._shift)
            self._outer = np.zeros((len(self._shift), len(self._shift)))
        centred = features - self._shift
        self._sum += centred.sum(axis=0)
        self._outer += centred.T @ centred
        self.n += len(features)
        if self._kept < self.keep_rows:
            take = features[: self.keep_rows - self._kept].astype(np.float32)  # exact: extractors output float32
            self.rows.append(take)
            self._kept += len(take)

    def gaussian(self) -> Gaussian:
        if self.n < 2:
            raise ValueError(f"need at least 2 feature rows, got {self.n}")
        mean_centred = self._sum / self.n
        sigma = (self._outer - self.n * np.outer(mean_centred, mean_centred)) / (self.n - 1)
        return Gaussian(self._shift + mean_centred, (sigma + sigma.T) / 2, self.n)

    def kept_rows(self) -> np.ndarray:
        return np.concatenate(self.rows).astype(np.float64) if self.rows else np.zeros((0, 0))
