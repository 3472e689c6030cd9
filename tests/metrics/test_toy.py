"""Toy metrics against known answers: samples at the modes, one collapsed mode, translated point sets."""

import numpy as np
import pytest

from suite.data.toy import mixture_modes, sample_toy
from suite.metrics.toy import mode_metrics, toy_metrics, wasserstein1


def test_samples_exactly_at_the_eight_modes_cover_all_and_are_all_high_quality():
    centers, std = mixture_modes("toy-8gaussians")
    samples = np.repeat(centers.numpy(), 10, axis=0)
    assert mode_metrics(samples, centers, std) == {"modes_covered": 8, "hq_fraction": 1.0}


def test_all_samples_at_one_mode_cover_one():
    centers, std = mixture_modes("toy-25gaussians")
    samples = np.tile(centers[7].numpy(), (100, 1)) + 0.5 * std  # 0.5 std off on each axis: still high quality
    assert mode_metrics(samples, centers, std) == {"modes_covered": 1, "hq_fraction": 1.0}


def test_high_quality_is_three_standard_deviations_and_min_count_gates_coverage():
    centers, std = mixture_modes("toy-8gaussians")
    near = centers[0].numpy() + np.array([2.99 * std, 0.0])
    far = centers[1].numpy() + np.array([0.0, 3.01 * std])
    out = mode_metrics(np.stack([near, far, near]), centers, std, min_count=2)
    assert out == {"modes_covered": 1, "hq_fraction": pytest.approx(2 / 3)}
    assert mode_metrics(np.stack([near, far]), centers, std, min_count=2)["modes_covered"] == 0


@pytest.mark.parametrize("name, k", [("toy-8gaussians", 8), ("toy-25gaussians", 25)])
def test_real_mixture_samples_cover_every_mode_with_the_gaussian_hq_fraction(name, k):
    """The modes describe the sampler: its points are within 3 std at the 2-d Gaussian rate 1 - exp(-9/2)."""
    real = sample_toy(name, "test", seed=0).numpy()
    out = mode_metrics(real, *mixture_modes(name), min_count=300)
    assert out["modes_covered"] == k
    assert out["hq_fraction"] == pytest.approx(1 - np.exp(-4.5), abs=0.002)  # 10,000 points: SE 0.0003


def test_the_grid_is_five_by_five():
    centers, _ = mixture_modes("toy-25gaussians")
    assert sorted(set(centers[:, 0].tolist())) == sorted(set(centers[:, 1].tolist()))
    assert len(set(centers[:, 0].tolist())) == 5 and len(centers) == 25
    assert mixture_modes("toy-swissroll") is None


def test_wasserstein1_of_a_set_and_itself_is_zero_and_of_a_shift_is_its_length():
    points = np.random.default_rng(0).normal(size=(300, 2))
    assert wasserstein1(points, points) == pytest.approx(0, abs=1e-12)
    shift = np.array([0.3, -0.4])  # length 0.5
    assert wasserstein1(points, points + shift) == pytest.approx(0.5, rel=1e-9)


def test_wasserstein1_matches_the_one_dimensional_closed_form():
    """On a line W1 is the mean distance between the sorted samples (scipy's wasserstein_distance)."""
    from scipy.stats import wasserstein_distance

    rng = np.random.default_rng(1)
    a, b = rng.normal(size=200), rng.exponential(size=200)
    planar = wasserstein1(np.stack([a, np.zeros(200)], 1), np.stack([b, np.zeros(200)], 1))
    assert planar == pytest.approx(wasserstein_distance(a, b), rel=1e-9)
    assert planar == pytest.approx(np.abs(np.sort(a) - np.sort(b)).mean(), rel=1e-9)


def test_swiss_roll_has_only_the_distance():
    real = sample_toy("toy-swissroll", "test", seed=0)[:200].numpy()
    out = toy_metrics(real + 1.0, real, None)
    assert out["modes_covered"] is None and out["hq_fraction"] is None
    assert out["w1"] == pytest.approx(np.sqrt(2), rel=1e-6)  # float32 points


def test_a_collapsed_generator_scores_worse_than_the_real_distribution():
    name = "toy-8gaussians"
    modes = mixture_modes(name)
    real, fresh = (sample_toy(name, split, seed=0)[:400].numpy() for split in ("test", "train"))
    collapsed = fresh[fresh[:, 0] > 0.5][:200]  # only the three right-hand modes
    good, bad = toy_metrics(fresh[:200], real, modes), toy_metrics(collapsed, real, modes)
    assert good["modes_covered"] == 8 and bad["modes_covered"] == 3
    assert bad["w1"] > 3 * good["w1"]


def test_a_trained_toy_run_is_scored_with_toy_metrics_and_drawn_over_its_critic_surface(tmp_path):
    """score_run on a real 30-iteration 8-Gaussian run: toy metrics set, image metrics null with the reason,
    the critic's grid written beside the checkpoint, and the report's toy figure drawn from it."""
    import pandas as pd

    from suite.config import resolve_study
    from suite.report.figures import toy_surfaces
    from suite.scoring import NOT_IMAGE, SURFACE_FILE, SURFACE_GRID, TOY_N, score_run
    from suite.train import Trainer
    from tests.conftest import toy_study

    (run,) = resolve_study(toy_study(iterations=30)).runs
    folder = tmp_path / "runs" / run.data / run.arch_name / run.method_name / f"seed{run.seed}"
    Trainer(run, folder).fit()
    record = score_run(run, folder / "generator.pt", folder / "train.json", {})
    metrics, unavailable, protocol = record["metrics"], record["unavailable"], record["protocol"]
    assert record["status"] == "ok"
    assert 0 <= metrics["modes_covered"] <= 8 and 0 <= metrics["hq_fraction"] <= 1 and metrics["w1"] > 0
    assert metrics["fid"] is None and unavailable["fid"] == NOT_IMAGE and "w1" not in unavailable
    assert (protocol["n_gen"], protocol["modes_total"], protocol["hq_stds"], protocol["checkpoint_step"]) == \
        (TOY_N, 8, 3.0, 30)
    with np.load(folder / SURFACE_FILE) as surface:
        assert surface["critic"].shape == (SURFACE_GRID, SURFACE_GRID) and np.isfinite(surface["critic"]).all()
        assert surface["real"].shape == surface["fake"].shape == (TOY_N, 2)
        assert surface["grid_x"][0] < surface["real"][:, 0].min() < surface["real"][:, 0].max() < surface["grid_x"][-1]

    runs = pd.DataFrame([{"data": run.data, "arch": run.arch_name, "method": run.method_name, "seed": run.seed,
                          "status": "ok", "run_dir": str(folder)}])
    (figure,) = toy_surfaces(runs, tmp_path / "figures")
    assert figure.kind == "samples" and figure.png.stat().st_size > 10_000 and figure.pdf.is_file()
