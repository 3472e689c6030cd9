"""Precision, recall, density and coverage on Gaussian clouds with known answers (Naeem et al. 2020)."""

import numpy as np
import pytest

from suite.metrics.prdc import NEAREST_K, prdc

D, N = 32, 1000


def _cloud(seed: int, shift: float = 0.0) -> np.ndarray:
    points = np.random.default_rng(seed).normal(size=(N, D))
    points[:, 0] += shift
    return points


def _expected_coverage(n_real: int, n_fake: int, k: int) -> float:
    """Naeem et al. 2020, Lemma 2: E[coverage] for fake and real drawn from one distribution."""
    return 1 - np.prod([(n_real - i) / (n_real + n_fake - i) for i in range(1, k + 1)])


def test_identical_sets_have_precision_recall_and_coverage_one():
    cloud = _cloud(0)
    out = prdc(cloud, cloud)
    assert (out["precision"], out["recall"], out["coverage"]) == (1.0, 1.0, 1.0)
    assert out["density"] >= 1  # each fake row lies in its own ball, and in those of the real rows it neighbours


def test_two_draws_of_one_distribution_meet_the_lemmas():
    """Lemma 1: E[density] = 1; Lemma 2: E[coverage] = 1 - prod (N - i) / (2N - i), about 0.969 at k = 5."""
    draws = [prdc(_cloud(2 * i), _cloud(2 * i + 1)) for i in range(8)]
    # one draw's SD here: density about 0.055, coverage about 0.008; the bounds are 3 SEs of the 8-draw mean
    assert np.mean([out["density"] for out in draws]) == pytest.approx(1.0, abs=0.06)
    assert np.mean([out["coverage"] for out in draws]) == pytest.approx(_expected_coverage(N, N, NEAREST_K),
                                                                         abs=0.009)


def test_disjoint_far_sets_score_zero():
    assert prdc(_cloud(0), _cloud(1, shift=100.0)) == {"precision": 0.0, "recall": 0.0, "density": 0.0,
                                                       "coverage": 0.0}


def test_a_shifted_cloud_moves_density_before_coverage():
    """Density counts every real ball a fake row falls in, coverage only whether a ball holds any:
    a shift of 1.5 standard deviations cuts density by more than twice coverage's relative fall."""
    out = prdc(_cloud(0), _cloud(1, shift=1.5))
    density_fall = 1 - out["density"]
    coverage_fall = 1 - out["coverage"] / _expected_coverage(N, N, NEAREST_K)
    assert coverage_fall > 0.03  # both have moved
    assert density_fall > 2 * coverage_fall


def test_too_few_rows_is_one_clear_error():
    with pytest.raises(ValueError, match="more than 5 rows"):
        prdc(np.zeros((5, 3)), np.zeros((10, 3)))
