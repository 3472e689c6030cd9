"""The toy metrics' real-data floor: a second real sample scored as a run is, with known answers."""

import math

import numpy as np
import pytest

from suite.data import load_dataset
from suite.metrics.toy import HQ_STDS, real_floor
from suite.scoring import TOY_N, TOY_REAL_SEED, score_real_data, score_real_toy

# The share of a 2-d isotropic Gaussian within HQ_STDS standard deviations of its mean (chi-square, 2 dof)
HQ_OF_A_GAUSSIAN = 1 - math.exp(-HQ_STDS ** 2 / 2)


def reference(data, n):
    return load_dataset(data, "test", seed=TOY_REAL_SEED)[:n].double().numpy()


@pytest.mark.parametrize("data, modes", [("toy-8gaussians", 8), ("toy-25gaussians", 25)])
def test_real_data_covers_every_mode_and_is_high_quality_as_often_as_a_gaussian(data, modes):
    floor = real_floor(data, reference(data, 2000))
    assert floor["modes_covered"] == modes
    # 2,000 points: the binomial SD of the fraction is 0.0023, so 4 SDs
    assert floor["hq_fraction"] == pytest.approx(HQ_OF_A_GAUSSIAN, abs=0.01)


@pytest.mark.parametrize("data", ["toy-8gaussians", "toy-25gaussians", "toy-swissroll"])
def test_the_w1_floor_shrinks_with_the_sample_size(data):
    small, large = (real_floor(data, reference(data, n))["w1"] for n in (200, 2000))
    assert 0 < large < small / 2  # W1 between samples of one 2-d distribution falls about as n^(-1/2)


def test_the_floor_is_measured_against_the_reference_it_is_given():
    shifted = reference("toy-8gaussians", 500) + np.array([1.0, 0.0])
    floor = real_floor("toy-8gaussians", shifted)
    assert floor["w1"] == pytest.approx(1.0, abs=0.1)  # a shift by 1 moves every point by 1
    assert floor["w1"] > 5 * real_floor("toy-8gaussians", reference("toy-8gaussians", 500))["w1"]


def test_the_floor_record_scores_toy_data_as_a_run_and_says_why_modes_are_missing():
    record = score_real_data("toy-swissroll", {"n_gen": 10, "ref_split": "test"}, {}, "cpu")
    assert record["status"] == "ok" and record["metrics"]["w1"] > 0
    assert record["metrics"]["modes_covered"] is None and "not a mixture" in record["unavailable"]["hq_fraction"]
    assert record["metrics"]["fid"] is None and record["protocol"]["n_gen"] == record["protocol"]["n_ref"] == TOY_N
    mixture = score_real_toy("toy-8gaussians")
    assert mixture["protocol"]["modes_total"] == 8 and mixture["metrics"]["modes_covered"] == 8
