"""Metrics: Inception FID/KID/IS through torch-fidelity, domain-classifier FID/IS, reference statistics.

Public API (what the CLI calls):
    convert_offline_weights(out_path) -> {"sha256", "source", "path", "has_logits"}
    train_domain_classifier(data_name, out_path, seed, epochs, threads) -> {"test_accuracy", "seconds", ...}
    compute_reference(data_name, split, extractor_name, n, out_path, weights_path=None, seed=0) -> Reference
    score_generator(sample_batches, n_gen, inception_ref, domain_ref, domain_classifier, inception_weights,
                    is_splits=10, ...) -> {"metrics", "unavailable", "protocol"}
    generator_batches(generator, n, batch_size, latent_dim, seed) / real_batches(data, split, n) -> uint8 batches
"""

from importlib import import_module

# Where each public name lives. Imported on first use: torch-fidelity (and through it torchvision)
# costs ~2 s per process, which a training job that only needs the domain classifier never pays.
_HOMES = {
    "DomainScorer": "domain", "train_domain_classifier": "domain",
    "EXTRACTORS": "extractors", "get_extractor": "extractors",
    "convert_offline_weights": "inception", "inception_extractor": "inception",
    "Reference": "reference", "load_reference": "reference", "compute_reference": "reference_build",
    "generator_batches": "score", "real_batches": "score", "score_generator": "score", "to_uint8": "score",
}

__all__ = sorted(_HOMES)


def __getattr__(name: str):
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{_HOMES[name]}"), name)
