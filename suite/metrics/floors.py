"""The two floors a success threshold on domain FID is set between, at one scoring protocol.

FID is biased upward at small n, so a threshold holds only at the (n_gen, n_ref) it was measured
for. At that protocol: the real-data floor is the domain FID of n_gen held-out real images (the
split the reference does not use: the best any generator can do); the one-class collapse is the
lowest domain FID of n_gen held-out real images of a single class (a generator collapsed onto one
garment, drawn perfectly).
"""

from __future__ import annotations

import torch

from suite.data import load_dataset
from suite.metrics.reference import as_reference, subset_indices
from suite.metrics.score import real_batches, score_generator

FLOOR_SEED = 1  # the held-out images' subset, as the real-data floor row of a study draws them


def domain_fid_floors(classifier: str, reference: str, n_gen: int, device: str | torch.device = "cpu") -> dict:
    """{"data", "n_gen", "n_ref", "real", "one_class": {label: domain FID}, "collapse"} against the
    domain reference file `reference` (the held-out images come from the other split of its data)."""
    ref = as_reference(reference)
    data = ref.data
    held_out = "train" if ref.split == "test" else "test"

    def domain_fid(batches) -> float:
        scored = score_generator(batches, n_gen, domain_ref=ref, domain_classifier=classifier, device=device)
        return scored["metrics"]["domain_fid"]

    real = domain_fid(real_batches(data, held_out, n_gen, seed=FLOOR_SEED))
    split = load_dataset(data, held_out)
    one_class = {}
    for label in sorted(set(split.labels.tolist())):
        images = split.images[split.labels == label]
        chosen = images[subset_indices(len(images), n_gen, FLOOR_SEED)]
        one_class[int(label)] = domain_fid(chosen.split(500))
    return {"data": data, "n_gen": n_gen, "n_ref": ref.n, "real": real, "one_class": one_class,
            "collapse": min(one_class.values())}
