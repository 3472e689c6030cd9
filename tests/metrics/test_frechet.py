"""FID / KID / IS math: closed forms, pytorch-fid agreement, streaming statistics."""

import numpy as np
import pytest
import scipy.linalg
from pytorch_fid.fid_score import calculate_frechet_distance

from suite.metrics import frechet


def _random_cov(rng, d):
    a = rng.normal(size=(d, d))
    return a @ a.T / d + 0.1 * np.eye(d)


def _closed_form(mu1, s1, mu2, s2):
    covmean = scipy.linalg.sqrtm(s1 @ s2).real
    return float(np.sum((mu1 - mu2) ** 2) + np.trace(s1 + s2 - 2 * covmean))


def test_fid_of_a_set_with_itself_is_zero():
    feats = np.random.default_rng(0).normal(size=(500, 32))
    g = frechet.statistics(feats)
    assert abs(frechet.fid_from_stats(g.mu, g.sigma, g.mu, g.sigma)) < 1e-8


def test_fid_of_two_gaussians_equals_the_closed_form():
    rng = np.random.default_rng(1)
    d = 16
    mu1, mu2 = rng.normal(size=d), rng.normal(size=d) + 0.5
    s1, s2 = _random_cov(rng, d), _random_cov(rng, d)
    expected = _closed_form(mu1, s1, mu2, s2)
    assert expected > 1.0
    assert frechet.fid_from_stats(mu1, s1, mu2, s2) == pytest.approx(expected, rel=1e-9)
    # identical covariances: only the mean term is left
    assert frechet.fid_from_stats(mu1, s1, mu2, s1) == pytest.approx(np.sum((mu1 - mu2) ** 2), rel=1e-9)


def test_fid_matches_pytorch_fid_on_random_features():
    rng = np.random.default_rng(2)
    a = frechet.statistics(rng.normal(size=(800, 64)))
    b = frechet.statistics(rng.normal(loc=0.3, scale=1.5, size=(800, 64)))
    ours, absdiff = frechet.fid(a, b)
    theirs = calculate_frechet_distance(a.mu, a.sigma, b.mu, b.sigma)
    assert ours > 10
    assert ours == pytest.approx(theirs, rel=1e-6)
    assert absdiff == pytest.approx(abs(ours - theirs), abs=1e-12)
    assert absdiff < 1e-6 * ours


def test_kid_near_zero_for_same_distribution_and_positive_for_shifted():
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(600, 64)), rng.normal(size=(600, 64))
    same_mean, same_std = frechet.kid(x, y, subsets=20, subset_size=300, seed=0)
    shifted_mean, _ = frechet.kid(x, y + 0.5, subsets=20, subset_size=300, seed=0)
    assert abs(same_mean) < 3 * same_std + 1e-3
    assert shifted_mean > 0.05
    assert shifted_mean > 20 * abs(same_mean)


def test_kid_is_seeded():
    rng = np.random.default_rng(4)
    x, y = rng.normal(size=(300, 8)), rng.normal(size=(300, 8)) + 0.2
    assert frechet.kid(x, y, subsets=5, subset_size=100, seed=7) == frechet.kid(x, y, subsets=5, subset_size=100,
                                                                               seed=7)
    assert frechet.kid(x, y, subsets=5, subset_size=100, seed=7) != frechet.kid(x, y, subsets=5, subset_size=100,
                                                                               seed=8)


def test_inception_score_of_confident_uniform_and_collapsed_predictions():
    k, n = 10, 1000
    logits = np.full((n, k), -50.0)
    logits[np.arange(n), np.arange(n) % k] = 50.0  # confident, classes equally used: IS = k
    assert frechet.inception_score(logits, splits=1)[0] == pytest.approx(k, rel=1e-9)
    half = logits.copy()
    half[:, 5:] = -50.0
    half[np.arange(n), np.arange(n) % 5] = 50.0  # confident, 5 classes used: IS = 5
    assert frechet.inception_score(half, splits=1)[0] == pytest.approx(5, rel=1e-9)
    mean, std = frechet.inception_score(logits, splits=10)  # shuffled splits: near k, a spread > 0
    assert 8.5 < mean < k and std > 0
    collapsed = np.zeros((n, k))
    collapsed[:, 3] = 50.0  # every sample the same class: IS = 1
    assert frechet.inception_score(collapsed, splits=10)[0] == pytest.approx(1.0, abs=1e-6)


def test_running_gaussian_equals_numpy_cov_and_keeps_first_rows():
    rng = np.random.default_rng(5)
    feats = rng.normal(loc=100.0, scale=0.01, size=(1000, 12))  # large offset: naive sums would cancel
    running = frechet.RunningGaussian(keep_rows=150)
    for chunk in np.array_split(feats, 7):
        running.add(chunk)
    g = running.gaussian()
    assert g.n == 1000
    np.testing.assert_allclose(g.mu, feats.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(g.sigma, np.cov(feats, rowvar=False), rtol=1e-8, atol=1e-16)
    np.testing.assert_array_equal(running.kept_rows(), feats[:150].astype(np.float32))  # kept as float32
