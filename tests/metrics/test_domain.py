"""Domain classifier: a real short training on the tests' Fashion-MNIST-format set, features, softmax, scores."""

import time

import numpy as np
import pytest
import torch

from suite.data import load_dataset
from suite.errors import ConfigError, DataMissingError
from suite.metrics.domain import DomainScorer, classes_covered, fit_classifier, train_domain_classifier
from suite.metrics.reference import load_reference, reference_from_features
from suite.metrics.reference_build import compute_reference
from tests.data.files import CIFAR_BATCH_SIZE, FASHION_SIZES


@pytest.fixture(scope="session")
def classifier(tmp_path_factory):
    """3 epochs on the whole training split (seconds), tested on the whole test split."""
    path = tmp_path_factory.mktemp("domain") / "classifier.pt"
    info = train_domain_classifier("fashion32", path, seed=0, epochs=3, batch_size=64)
    return path, info


@pytest.fixture(scope="module")
def test_set():
    return load_dataset("fashion32", "test")


@pytest.fixture(scope="module")
def test_images(test_set):
    return test_set.images


def test_short_training_reaches_a_useful_accuracy(classifier):
    path, info = classifier
    assert (info["n_train"], info["n_test"]) == (FASHION_SIZES["train"], FASHION_SIZES["test"])
    assert info["test_accuracy"] > 0.9  # 10 classes: chance is 0.10
    assert DomainScorer(path).test_accuracy == info["test_accuracy"]


def test_a_colour_data_set_gets_a_three_channel_classifier(tmp_path):
    cpu_start = time.process_time()
    info = train_domain_classifier("cifar10", tmp_path / "cifar.pt", seed=0, epochs=5, batch_size=32)
    # the fitting's CPU time, kept in the file, is part of the whole call's (data, test and save besides)
    assert 0 < info["cpu_seconds"] < time.process_time() - cpu_start
    assert torch.load(tmp_path / "cifar.pt", weights_only=True)["cpu_seconds"] == info["cpu_seconds"]
    assert (info["n_train"], info["n_test"]) == (5 * CIFAR_BATCH_SIZE, CIFAR_BATCH_SIZE)
    assert info["test_accuracy"] > 0.8  # 10 classes: chance is 0.10
    scorer = DomainScorer(tmp_path / "cifar.pt")
    assert scorer.channels == 3 and scorer.extract(load_dataset("cifar10", "test").images).features.shape == (CIFAR_BATCH_SIZE, 128)


def test_training_is_seeded(test_set):
    x, y = test_set.images[:256], test_set.labels[:256]
    a, b, c = (fit_classifier(x, y, seed=seed, epochs=1, batch_size=64).state_dict() for seed in (0, 0, 1))
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not torch.equal(a["head.weight"], c["head.weight"])


def test_features_and_softmax(classifier, test_images):
    scorer = DomainScorer(classifier[0])
    x = test_images[:50]
    feats = scorer.extract(x)
    assert feats.features.shape == (50, 128) and feats.logits.shape == (50, 10)
    probs = scorer.softmax(x)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-12)
    labels = load_dataset("fashion32", "test").labels[:50].numpy()
    assert (probs.argmax(axis=1) == labels).mean() > 0.7
    with pytest.raises(ValueError, match=r"\[N, 1, 32, 32\]"):
        scorer.extract(torch.zeros(2, 3, 32, 32, dtype=torch.uint8))


def test_domain_scores_separate_real_from_noise(classifier, test_images, tmp_path):
    cpu_start = time.process_time()
    ref = compute_reference("fashion32", "train", "domain", 500, tmp_path / "ref.npz",
                            weights_path=str(classifier[0]))
    with np.load(tmp_path / "ref.npz") as saved:  # the extraction's CPU time, a part of the whole call's
        assert 0 < float(saved["cpu_seconds"]) < time.process_time() - cpu_start
    assert load_reference(tmp_path / "ref.npz").weights_sha256 == ref.weights_sha256
    scorer = DomainScorer(classifier[0])
    real = scorer.score(test_images[:300], tmp_path / "ref.npz")
    noise = scorer.score(torch.randint(0, 256, (300, 1, 32, 32), generator=torch.Generator().manual_seed(0),
                                       dtype=torch.uint8), ref)
    blank = scorer.score(torch.zeros(300, 1, 32, 32, dtype=torch.uint8), ref)
    assert real["domain_fid"] < 0.2 * noise["domain_fid"]
    assert real["domain_is"] > 3.0  # predictions spread over the 10 classes, fairly confident
    assert real["domain_is"] > 2 * noise["domain_is"]
    assert blank["domain_is"] == pytest.approx(1.0, abs=1e-6)  # one image 300 times: IS = 1
    real_logits = scorer.extract(test_images[:300]).logits
    labels = load_dataset("fashion32", "test").labels[:300].numpy()
    assert np.bincount(labels, minlength=10).min() >= 3  # every class is in the real sample ...
    assert classes_covered(real_logits) == 10  # ... and the classifier finds each in at least 1% of it
    assert classes_covered(scorer.extract(torch.zeros(300, 1, 32, 32, dtype=torch.uint8)).logits) == 1


def test_classes_covered_counts_the_labels_of_at_least_the_minimum_share():
    labels = np.array([0] * 50 + [3] * 49 + [7])
    logits = np.eye(10)[labels] * 5.0 + 0.1  # argmax = the label
    assert classes_covered(logits) == 3  # 1 image of 100 is the 1% share
    assert classes_covered(logits, min_share=0.02) == 2
    assert classes_covered(logits, min_share=0.5) == 1
    with pytest.raises(ValueError, match="at least one image"):
        classes_covered(np.zeros((0, 10)))


def test_reference_of_other_weights_is_refused(classifier, tmp_path):
    feats = np.random.default_rng(0).normal(size=(40, 128))
    ref = reference_from_features(feats, "domain", "0" * 64, "fashion32", "test")
    with pytest.raises(ConfigError, match="recompute the reference"):
        DomainScorer(classifier[0]).score(torch.zeros(20, 1, 32, 32, dtype=torch.uint8), ref)


def test_missing_classifier_says_how_to_train_it(tmp_path):
    with pytest.raises(DataMissingError, match="train-classifier"):
        DomainScorer(tmp_path / "absent.pt")
