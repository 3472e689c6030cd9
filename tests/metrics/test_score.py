"""score_generator end to end (a 64-image smoke set through the domain classifier and Inception), and
the sampling standard errors' math against torch-fidelity and a Monte Carlo of independent draws."""

import math

import numpy as np
import pytest
import torch

from suite.metrics import frechet
from suite.metrics.domain import train_domain_classifier
from suite.metrics.inception import convert_offline_weights
from suite.metrics.reference_build import compute_reference
from suite.metrics.score import METRIC_KEYS, NO_LOGITS, PROTOCOL_KEYS, generator_batches, real_batches, score_generator

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")  # torch.jit.load deprecation


@pytest.fixture(scope="session")
def assets(tmp_path_factory):
    """Converted Inception weights, a quickly trained classifier and the references (train split)."""
    root = tmp_path_factory.mktemp("score")
    weights = root / "inception.pth"
    convert_offline_weights(weights)
    classifier = root / "classifier.pt"
    train_domain_classifier("fashion32", classifier, seed=0, epochs=3, batch_size=64)
    compute_reference("fashion32", "train", "inception-v3-compat", 32, root / "inception-ref.npz",
                      weights_path=str(weights))
    compute_reference("fashion32", "train", "domain", 500, root / "domain-ref.npz", weights_path=str(classifier))
    return {"inception_weights": str(weights), "domain_classifier": str(classifier),
            "inception_ref": root / "inception-ref.npz", "domain_ref": root / "domain-ref.npz"}


def _generator():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(16, 32 * 32), torch.nn.Tanh(), torch.nn.Unflatten(1, (1, 32, 32)))


@pytest.mark.slow
def test_smoke_set_end_to_end(assets):
    generator = _generator()
    out = score_generator(lambda n: generator_batches(generator, n, 25, latent_dim=16, seed=0), 64,
                          is_splits=10, **assets)
    metrics, unavailable, protocol = out["metrics"], out["unavailable"], out["protocol"]
    assert set(out) == {"metrics", "unavailable", "protocol"}
    assert tuple(metrics) == METRIC_KEYS and set(protocol) == set(PROTOCOL_KEYS)
    for key in ("fid", "kid_mean", "kid_std", "domain_fid", "domain_is", "domain_classes"):
        assert math.isfinite(metrics[key]), key
    assert metrics["fid"] > 50  # tanh noise is far from garments
    assert metrics["kid_mean"] > 0.05
    assert metrics["is_mean"] is None and metrics["is_std"] is None
    assert unavailable == {"is_mean": NO_LOGITS, "is_std": NO_LOGITS}
    assert protocol["extractor"] == "inception-v3-compat" and len(protocol["weights_sha256"]) == 64
    assert (protocol["n_gen"], protocol["n_ref"], protocol["ref_split"], protocol["is_splits"]) == (64, 32, "train", 10)
    assert protocol["torch_version"] == torch.__version__ and protocol["seconds"] > 0
    assert 0 <= protocol["fid_pytorch_fid_absdiff"] < 1e-3 * metrics["fid"]
    for key in ("fid_sampling_se", "kid_sampling_se", "domain_fid_sampling_se"):
        assert 0 < metrics[key] < metrics[key.replace("_sampling_se", "").replace("kid", "kid_mean")], key
    assert 0 <= metrics["precision"] < 0.2 and 0 <= metrics["coverage"] < 0.2  # noise is off the garment manifold
    assert 0 <= metrics["recall"] <= 1 and metrics["density"] >= 0
    assert (protocol["se_subsets"], protocol["se_fid_subset_size"], protocol["se_kid_subset_size"]) == (5, 12, 12)
    assert (protocol["kid_n_gen"], protocol["kid_n_ref"], protocol["domain_n_gen"], protocol["domain_n_ref"]) == (
        64, 32, 64, 500)
    assert (protocol["prdc_extractor"], protocol["prdc_k"], protocol["prdc_n"]) == ("inception-v3-compat", 5, 32)
    assert protocol["se_domain_fid_subset_size"] == 12


@pytest.mark.slow
def test_inception_scores_the_first_images_and_the_domain_metrics_all(assets):
    generator = _generator()
    def sample(n):
        return generator_batches(generator, n, 25, latent_dim=16, seed=0)
    both = score_generator(sample, 80, inception_n_gen=30, is_splits=10, fid_crosscheck=False, **assets)
    first = score_generator(sample, 30, is_splits=10, fid_crosscheck=False, **assets)
    domain = score_generator(sample, 80, domain_ref=assets["domain_ref"],
                             domain_classifier=assets["domain_classifier"])
    for key in ("fid", "kid_mean", "fid_sampling_se", "precision", "recall"):
        assert both["metrics"][key] == pytest.approx(first["metrics"][key], rel=1e-6), key
    for key in ("domain_fid", "domain_is", "domain_fid_sampling_se"):
        assert both["metrics"][key] == pytest.approx(domain["metrics"][key], rel=1e-9), key
    assert both["metrics"]["domain_fid"] != pytest.approx(first["metrics"]["domain_fid"], rel=1e-3)
    protocol = both["protocol"]
    assert (protocol["n_gen"], protocol["kid_n_gen"], protocol["domain_n_gen"], protocol["prdc_n"]) == (30, 30, 80, 30)
    assert (protocol["se_fid_subset_size"], protocol["se_domain_fid_subset_size"]) == (6, 16)


def test_real_data_floor_with_domain_metrics_only(assets):
    real = score_generator(real_batches("fashion32", "test", 200, batch_size=64), 200,
                           domain_ref=assets["domain_ref"], domain_classifier=assets["domain_classifier"])
    generator = _generator()
    fake = score_generator(generator_batches(generator, 200, 64, latent_dim=16), 200,
                           domain_ref=assets["domain_ref"], domain_classifier=assets["domain_classifier"])
    assert real["metrics"]["domain_fid"] < 0.2 * fake["metrics"]["domain_fid"]
    assert real["metrics"]["fid"] is None and "no Inception reference" in real["unavailable"]["fid"]
    assert set(real["unavailable"]) == {"fid", "kid_mean", "kid_std", "is_mean", "is_std", "fid_sampling_se",
                                        "kid_sampling_se"}
    assert real["protocol"]["extractor"] == "domain" and real["protocol"]["n_ref"] == 500
    assert real["protocol"]["prdc_extractor"] == "domain" and real["protocol"]["prdc_n"] == 200
    for key in ("precision", "recall", "density", "coverage"):
        assert real["metrics"][key] > fake["metrics"][key] + 0.2, key
    assert real["metrics"]["coverage"] > 0.8
    assert real["metrics"]["domain_classes"] == 10
    assert real["protocol"]["fid_pytorch_fid_absdiff"] is None


def test_nothing_requested_gives_nulls_with_reasons():
    out = score_generator([torch.zeros(4, 1, 32, 32, dtype=torch.uint8)], 4)
    assert all(v is None for v in out["metrics"].values())
    assert set(out["unavailable"]) == set(METRIC_KEYS)


def _block_fids_by_torch_fidelity(features, subsets, ref):
    size = len(features) // subsets
    return [frechet.fid_from_stats(*(lambda g: (g.mu, g.sigma))(frechet.statistics(features[i * size:(i + 1) * size])),
                                   ref.mu, ref.sigma) for i in range(subsets)]


@pytest.mark.parametrize("dim, size", [(6, 50), (30, 200), (60, 20)])  # the last: fewer rows than dimensions
def test_subset_fids_equal_torch_fidelitys_fid_of_each_block(dim, size):
    rng = np.random.default_rng(dim)
    ref = frechet.statistics(rng.normal(size=(500, dim)) @ rng.normal(size=(dim, dim)) * 0.3)
    features = rng.normal(0.2, 1.0, size=(3 * size + 2, dim))  # 2 rows left over: not used
    np.testing.assert_allclose(frechet.fid_of_subsets(features, 3, ref),
                               _block_fids_by_torch_fidelity(features, 3, ref), rtol=1e-6)


def test_unbiased_mmd_equals_torch_fidelitys_kid_with_one_subset_of_all_rows():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(300, 10)), rng.normal(0.3, 1.0, size=(300, 10))
    assert frechet.mmd2_unbiased(x, y) == pytest.approx(frechet.kid(x, y, subsets=1, subset_size=300)[0], rel=1e-10)
    assert frechet.mmd2_unbiased(x, x[::-1]) == pytest.approx(frechet.kid(x, x, subsets=1, subset_size=300)[0],
                                                             abs=1e-12)


def test_sampling_se_matches_the_spread_of_independent_draws():
    """Each replicate scores n fresh generated rows against one fixed reference; the SE from 5 disjoint
    subsets of one replicate, averaged over replicates, matches the SD of the full-n values across them."""
    rng = np.random.default_rng(1)
    dim, n, n_kid = 8, 1000, 500
    ref = frechet.Gaussian(np.zeros(dim), np.eye(dim), 10 ** 6)
    ref_rows = rng.normal(size=(200, dim))
    fids, fid_ses, kids, kid_ses = [], [], [], []
    for _ in range(200):
        rows = rng.normal(0.15, 1.1, size=(n, dim))
        fids.append(frechet.fid_of_subsets(rows, 1, ref)[0])
        fid_ses.append(frechet.sampling_se(frechet.fid_of_subsets(rows, 5, ref), n // 5, n))
        kids.append(frechet.mmd2_unbiased(rows[:n_kid], ref_rows))
        kid_ses.append(frechet.sampling_se(frechet.kid_of_subsets(rows[:n_kid], 5, ref_rows), n_kid // 5, n_kid))
    # the SD of 200 draws is itself uncertain by about 5%
    assert np.mean(fid_ses) == pytest.approx(np.std(fids, ddof=1), rel=0.15)
    assert np.mean(kid_ses) == pytest.approx(np.std(kids, ddof=1), rel=0.15)
