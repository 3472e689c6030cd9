"""score_generator end to end: a 64-image smoke set through the domain classifier and Inception."""

import math

import pytest
import torch

from suite.metrics.domain import train_domain_classifier
from suite.metrics.inception import convert_offline_weights
from suite.metrics.reference import compute_reference
from suite.metrics.score import METRIC_KEYS, NO_LOGITS, PROTOCOL_KEYS, generator_batches, real_batches, score_generator

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")  # torch.jit.load deprecation


@pytest.fixture(scope="session")
def assets(tmp_path_factory):
    """Converted Inception weights, a quickly trained classifier and the references (train split)."""
    root = tmp_path_factory.mktemp("score")
    weights = root / "inception.pth"
    convert_offline_weights(weights)
    classifier = root / "classifier.pt"
    train_domain_classifier("fashion32", classifier, seed=0, epochs=1, n_train=2000, n_test=500, batch_size=64)
    compute_reference("fashion32", "train", "inception-v3-compat", 32, root / "inception-ref.npz",
                      weights_path=str(weights))
    compute_reference("fashion32", "train", "domain", 500, root / "domain-ref.npz", weights_path=str(classifier))
    return {"inception_weights": str(weights), "domain_classifier": str(classifier),
            "inception_ref": root / "inception-ref.npz", "domain_ref": root / "domain-ref.npz"}


def _generator():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(16, 32 * 32), torch.nn.Tanh(), torch.nn.Unflatten(1, (1, 32, 32)))


def test_smoke_set_end_to_end(assets):
    generator = _generator()
    out = score_generator(lambda n: generator_batches(generator, n, 25, latent_dim=16, seed=0), 64,
                          is_splits=10, **assets)
    metrics, unavailable, protocol = out["metrics"], out["unavailable"], out["protocol"]
    assert set(out) == {"metrics", "unavailable", "protocol"}
    assert tuple(metrics) == METRIC_KEYS and set(protocol) == set(PROTOCOL_KEYS)
    for key in ("fid", "kid_mean", "kid_std", "domain_fid", "domain_is"):
        assert math.isfinite(metrics[key]), key
    assert metrics["fid"] > 50  # tanh noise is far from garments
    assert metrics["kid_mean"] > 0.05
    assert metrics["is_mean"] is None and metrics["is_std"] is None
    assert unavailable == {"is_mean": NO_LOGITS, "is_std": NO_LOGITS}
    assert protocol["extractor"] == "inception-v3-compat" and len(protocol["weights_sha256"]) == 64
    assert (protocol["n_gen"], protocol["n_ref"], protocol["ref_split"], protocol["is_splits"]) == (64, 32, "train", 10)
    assert protocol["torch_version"] == torch.__version__ and protocol["seconds"] > 0
    assert 0 <= protocol["fid_pytorch_fid_absdiff"] < 1e-3 * metrics["fid"]


def test_real_data_floor_with_domain_metrics_only(assets):
    real = score_generator(real_batches("fashion32", "test", 200, batch_size=64), 200,
                           domain_ref=assets["domain_ref"], domain_classifier=assets["domain_classifier"])
    generator = _generator()
    fake = score_generator(generator_batches(generator, 200, 64, latent_dim=16), 200,
                           domain_ref=assets["domain_ref"], domain_classifier=assets["domain_classifier"])
    assert real["metrics"]["domain_fid"] < 0.2 * fake["metrics"]["domain_fid"]
    assert real["metrics"]["fid"] is None and "no Inception reference" in real["unavailable"]["fid"]
    assert set(real["unavailable"]) == {"fid", "kid_mean", "kid_std", "is_mean", "is_std"}
    assert real["protocol"]["extractor"] == "domain" and real["protocol"]["n_ref"] == 500
    assert real["protocol"]["fid_pytorch_fid_absdiff"] is None


def test_nothing_requested_gives_nulls_with_reasons():
    out = score_generator([torch.zeros(4, 1, 32, 32, dtype=torch.uint8)], 4)
    assert all(v is None for v in out["metrics"].values())
    assert set(out["unavailable"]) == set(METRIC_KEYS)
