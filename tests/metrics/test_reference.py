"""Reference files, batch plumbing, the extractor registry, uint8 conversion of generator output."""

import numpy as np
import pytest
import torch

from suite.errors import ConfigError, DataMissingError
from suite.metrics.extractors import get_extractor, take_images
from suite.metrics.frechet import statistics
from suite.metrics.reference import (KID_ROWS, load_reference, reference_from_features, save_reference,
                                     subset_indices)
from suite.metrics.score import generator_batches, to_uint8


def test_reference_round_trip_is_exact_and_atomic(tmp_path):
    feats = np.random.default_rng(0).normal(size=(KID_ROWS + 300, 8)).astype(np.float32).astype(np.float64)
    ref = reference_from_features(feats, "domain", "ab" * 32, "fashion32", "train", seed=3)
    save_reference(ref, tmp_path / "sub" / "ref.npz")
    back = load_reference(tmp_path / "sub" / "ref.npz")
    stats = statistics(feats)
    np.testing.assert_array_equal(back.mu, stats.mu)
    np.testing.assert_array_equal(back.sigma, stats.sigma)
    np.testing.assert_array_equal(back.features, feats[:KID_ROWS])  # float32 storage is exact here
    assert (back.n, back.extractor, back.weights_sha256, back.data, back.split, back.seed) == \
        (KID_ROWS + 300, "domain", "ab" * 32, "fashion32", "train", 3)
    assert [p.name for p in (tmp_path / "sub").iterdir()] == ["ref.npz"]


def test_reference_refuses_other_weights_and_missing_file(tmp_path):
    ref = reference_from_features(np.eye(4), "inception-v3-compat", "a" * 64)
    ref.require("inception-v3-compat", "a" * 64)
    with pytest.raises(ConfigError, match="recompute"):
        ref.require("inception-v3-compat", "b" * 64)
    with pytest.raises(DataMissingError, match="reference"):
        load_reference(tmp_path / "absent.npz")


def test_subset_indices_are_seeded_distinct_and_bounded():
    a, b = subset_indices(100, 30, seed=0), subset_indices(100, 30, seed=0)
    assert torch.equal(a, b) and len(set(a.tolist())) == 30 and 0 <= a.min() and a.max() < 100
    assert not torch.equal(a, subset_indices(100, 30, seed=1))
    with pytest.raises(ConfigError, match="only 100"):
        subset_indices(100, 101, seed=0)


def test_take_images_cuts_to_n_and_complains_when_short():
    batches = [torch.zeros(10, 1, 4, 4, dtype=torch.uint8) for _ in range(3)]
    assert [len(b) for b in take_images(batches, 25)] == [10, 10, 5]
    assert [len(b) for b in take_images(batches, None)] == [10, 10, 10]
    with pytest.raises(ValueError, match="only 30"):
        list(take_images(iter(batches), 31))


def test_registry_rejects_unknown_names_and_domain_without_weights():
    with pytest.raises(ConfigError, match="inception-v3-compat"):
        get_extractor("vgg-nope")
    with pytest.raises(ConfigError, match="weights path"):
        get_extractor("domain", None)


def test_to_uint8_maps_generator_range():
    x = torch.tensor([-1.5, -1.0, -0.5, 0.0, 0.999, 1.0, 2.0])
    assert to_uint8(x).tolist() == [0, 0, 64, 128, 255, 255, 255]


def test_generator_batches_are_seeded_and_restore_train_mode():
    generator = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.BatchNorm1d(16), torch.nn.Tanh(),
                                    torch.nn.Unflatten(1, (1, 4, 4)))
    generator.train()
    a = list(generator_batches(generator, 10, 4, latent_dim=8, seed=0))
    b = torch.cat(list(generator_batches(generator, 10, 4, latent_dim=8, seed=0)))
    assert [len(x) for x in a] == [4, 4, 2] and a[0].dtype == torch.uint8
    assert torch.equal(torch.cat(a), b) and generator.training
    assert not torch.equal(b, torch.cat(list(generator_batches(generator, 10, 4, latent_dim=8, seed=1))))
