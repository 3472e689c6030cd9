"""Metrics: Inception FID/KID/IS through torch-fidelity, domain-classifier FID/IS, reference statistics.

Public API (what the CLI calls):
    convert_offline_weights(out_path) -> {"sha256", "source", "path", "has_logits"}
    train_domain_classifier(data_name, out_path, seed, epochs, threads) -> {"test_accuracy", "seconds", ...}
    compute_reference(data_name, split, extractor_name, n, out_path, weights_path=None, seed=0) -> Reference
    score_generator(sample_batches, n_gen, inception_ref, domain_ref, domain_classifier, inception_weights,
                    is_splits=10, ...) -> {"metrics", "unavailable", "protocol"}
    generator_batches(generator, n, batch_size, latent_dim, seed) / real_batches(data, split, n) -> uint8 batches
"""

from suite.metrics.domain import DomainScorer, train_domain_classifier
from suite.metrics.extractors import EXTRACTORS, get_extractor
from suite.metrics.inception import convert_offline_weights, inception_extractor
from suite.metrics.reference import Reference, compute_reference, load_reference
from suite.metrics.score import generator_batches, real_batches, score_generator, to_uint8

__all__ = [
    "DomainScorer", "EXTRACTORS", "Reference", "compute_reference", "convert_offline_weights", "generator_batches",
    "get_extractor", "inception_extractor", "load_reference", "real_batches", "score_generator",
    "to_uint8", "train_domain_classifier",
]
