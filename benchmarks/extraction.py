"""Feature-extraction throughput: the suite's Inception extractor vs the bare model forward, and the domain scorer."""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F

from benchmarks.timing import median
from suite.costs import interleaved
from suite.data import load_dataset
from suite.metrics.domain import DomainScorer, train_domain_classifier
from suite.metrics.inception import (FID_HELPER_FILE, InceptionExtractor, convert_offline_weights,
                                     fid_helper_torchscript_path)

TF_SIZE = 299


def real_images(n: int) -> torch.Tensor:
    """The first n Fashion-MNIST test images, uint8 [n, 1, 32, 32]: what scoring sees."""
    return load_dataset("fashion32", "test").images[:n]


def inception_weights(cache: Path) -> Path:
    path = cache / "inception-offline-fid-helper.pth"
    if not path.is_file():
        convert_offline_weights(path)
    return path


def domain_classifier(cache: Path) -> Path:
    """A domain classifier trained briefly: its throughput does not depend on how well it was trained."""
    path = cache / "domain-classifier-bench.pt"
    if not path.is_file():
        train_domain_classifier("fashion32", path, seed=0, epochs=1, n_train=2000, n_test=500)
    return path


def _per_second(seconds: list[float], images: int) -> float:
    return images / median(seconds)


def inception_section(cache: Path, n: int, batch_size: int, repeats: int) -> dict:
    """images/s of InceptionExtractor.batch (fp32, contiguous and channels_last) vs torch-fidelity's module
    called directly on the same 3-channel uint8 batches, and vs the fid-helper TorchScript's own forward
    (the 299x299 float input it takes, resized by plain bilinear interpolation)."""
    weights = inception_weights(cache)
    images = real_images(n)
    batches = images.split(batch_size)
    suite_cl = InceptionExtractor(weights, batch_size=batch_size, channels_last=True)
    suite_contig = InceptionExtractor(weights, batch_size=batch_size, channels_last=False)
    module = suite_contig.network
    scripted = torch.jit.load(str(fid_helper_torchscript_path()), map_location="cpu").eval()
    rgb = [b.expand(-1, 3, -1, -1).contiguous() for b in batches]
    resized = [F.interpolate(b.float(), size=(TF_SIZE, TF_SIZE), mode="bilinear", align_corners=False) for b in rgb]

    def run_module():
        with torch.inference_mode():
            for b in rgb:
                module(b)

    def run_scripted():
        with torch.inference_mode():
            for b in resized:
                scripted(b)

    contenders = {
        "suite_channels_last": lambda: [suite_cl.batch(b) for b in batches],
        "suite_contiguous": lambda: [suite_contig.batch(b) for b in batches],
        "bare_module": run_module,
        "bare_torchscript": run_scripted,
    }
    seconds = interleaved(contenders, repeats)
    rates = {f"{name}_images_per_second": _per_second(values, n) for name, values in seconds.items()}
    best_suite = max(rates["suite_channels_last_images_per_second"], rates["suite_contiguous_images_per_second"])
    return {"n": n, "batch_size": batch_size, "repeats": repeats, "dtype": "float32",
            "torchscript": FID_HELPER_FILE, **rates,
            "ratio_bare_module_to_suite": rates["bare_module_images_per_second"] / best_suite,
            "ratio_bare_torchscript_to_suite": rates["bare_torchscript_images_per_second"] / best_suite,
            "channels_last_speedup": (rates["suite_channels_last_images_per_second"]
                                      / rates["suite_contiguous_images_per_second"]),
            "target": "ratio_bare_*_to_suite <= 1.10"}


def domain_section(cache: Path, n: int, batch_size: int, repeats: int) -> dict:
    """images/s of the domain scorer's features + logits (DomainScorer.batch) on real uint8 images."""
    scorer = DomainScorer(domain_classifier(cache), batch_size=batch_size)
    images = real_images(n)
    seconds = interleaved({"domain": lambda: scorer.batch(images)}, repeats)
    return {"n": n, "batch_size": batch_size, "repeats": repeats,
            "domain_images_per_second": _per_second(seconds["domain"], n)}
