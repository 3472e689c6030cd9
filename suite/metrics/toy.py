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


# --- The toy curve and the real-data floor ------------------------------------------------------------

CURVE_METRIC = "w1"  # the toy curve's plateau metric (lower is better); the mode metrics ride along
CURVE_REAL_SEED = 3  # the curve's held-out real points: another stream than every run's training data
FLOOR_SEED = 1  # the floor's second real sample: the train split of this seed (the scoring's is a test split)


def _modes(data: str):
    from suite.data.toy import mixture_modes

    modes = mixture_modes(data)
    return None if modes is None else (modes[0].numpy().astype(np.float64), modes[1])


class ToyCurve:
    """The toy metrics of a generator over training: `n` points from fixed noise against `n` held-out real
    points of the test split (seed CURVE_REAL_SEED), so successive evaluations differ only by the generator.

    Returns {"w1"} on every toy set, with {"modes_covered", "hq_fraction"} first on Gaussian mixtures; a
    generator whose points are not finite gets NaN (the plateau rule never stops on it)."""

    def __init__(self, data: str, n: int, latent_dim: int, noise_seed: int):
        import torch

        from suite.data import load_dataset

        real = load_dataset(data, "test", seed=CURVE_REAL_SEED)
        if n > len(real):
            raise ValueError(f"the toy curve draws at most {len(real)} real points, asked for {n}")
        self.real = real[:n].double().numpy()
        self.modes = _modes(data)
        self.noise = torch.randn(n, latent_dim, generator=torch.Generator().manual_seed(noise_seed))

    def __call__(self, generator, step: int) -> dict:
        import torch

        device = next(generator.parameters()).device
        was_training = generator.training
        generator.eval()
        with torch.inference_mode():
            fake = generator(self.noise.to(device)).double().cpu().numpy()
        generator.train(was_training)
        keys = TOY_METRIC_KEYS if self.modes is not None else (CURVE_METRIC,)
        if not np.isfinite(fake).all():
            return dict.fromkeys(keys, float("nan"))
        metrics = toy_metrics(fake, self.real, self.modes)
        return {key: metrics[key] for key in keys}


def real_floor(data: str, reference: np.ndarray, seed: int = FLOOR_SEED) -> dict:
    """Every toy metric of a second real sample, of the reference's size, against `reference` (the real
    points a run's samples are scored against): the value a generator that draws the data itself gets at
    that sample size. Mode metrics None off the Gaussian mixtures."""
    from suite.data import load_dataset

    second = load_dataset(data, "train", seed=seed)
    if len(reference) > len(second):
        raise ValueError(f"the floor draws at most {len(second)} real points, asked for {len(reference)}")
    return toy_metrics(second[:len(reference)].double().numpy(), np.asarray(reference, np.float64), _modes(data))
