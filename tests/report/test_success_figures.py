"""The WGAN-GP sections 5.1-5.2 figures on synthetic run folders with known domain FIDs: the success rate
drawn at each threshold, the paired outcomes at the claims' threshold, and the Fig. 2 sample grid."""

from __future__ import annotations

import json

import matplotlib.pyplot as plt
import numpy as np
import pytest

from suite.claims.definitions.wgan_gp import SWEEP
from suite.report import figures
from suite.report.collect import collect_runs
from suite.report.figures import (FIG2_SET, RANDOM_SET, Figure, fig2_grid_cells, fig2_grids, paired_counts,
                                  success_by_threshold, success_rates, success_runs)
from suite.runspec import RunSpec

EXPERIMENT = "successes"
METHODS = {"wgan-gp": {"loss": "wasserstein", "constraint": "gp"},
           "wgan-gp-ln": {"loss": "wasserstein", "constraint": "gp", "d_norm": "ln"},
           "dcgan-bn": {"loss": "ns", "constraint": "none"}}
DIVERGED = None  # a diverged run's domain FID


def write_run(root, arch_name, arch, method, seed, fid, n=1000, samples=True, data="fashion32"):
    """One run folder in the formats training and scoring write (run.yaml, train.json, metrics.json)."""
    spec = RunSpec(experiment=EXPERIMENT, data=data, arch_name=arch_name, arch=arch, method_name=method,
                   method=METHODS[method], seed=seed, latent_dim=128, train={"iterations": 6},
                   evaluate={"n_gen": n, "n_ref": n})
    folder = spec.write(root).parent
    status = "ok" if fid is not DIVERGED else "diverged"
    (folder / "train.json").write_text(json.dumps({"status": status}))
    (folder / "metrics.json").write_text(json.dumps({
        "run": {"experiment": EXPERIMENT, "data": data, "arch": arch_name, "method": method, "seed": seed},
        "status": status, "diverged_at_step": 3 if fid is DIVERGED else None, "train": {"steps": 6},
        "metrics": {"domain_fid": fid}, "protocol": {"n_gen": n, "n_ref": n, "domain_n_ref": n}}))
    if samples:
        plt.imsave(folder / "samples.png", np.random.default_rng(seed).uniform(size=(8, 8)), cmap="gray")
    return folder


def random_arch(draw):
    return {"family": "random", "draw": draw, "width_divisor": 4}


# Thresholds at n_gen = n_ref = 1000 over SWEEP: 10.3, 18.9, 34.8 (the claims'), 63.9, 117.3.
RANDOM_FIDS = {"wgan-gp": [5.0, 15.0, 50.0, 100.0], "dcgan-bn": [12.0, 200.0, 40.0, DIVERGED]}
RATES = {"wgan-gp": [1 / 4, 2 / 4, 2 / 4, 3 / 4, 4 / 4], "dcgan-bn": [0 / 4, 1 / 4, 1 / 4, 2 / 4, 2 / 4]}


@pytest.fixture
def random_runs(tmp_path):
    folders = [write_run(tmp_path, f"random{draw}", random_arch(draw), method, 0, fid)
               for method, fids in RANDOM_FIDS.items() for draw, fid in enumerate(fids)]
    folders.append(write_run(tmp_path, "random4", random_arch(4), "wgan-gp", 0, 5.0, n=500))  # no threshold at 500
    folders.append(write_run(tmp_path, "dcgan", {"family": "dcgan"}, "wgan-gp", 0, 5.0))  # not a random draw
    return collect_runs(folders, tmp_path / "runs.csv")


@pytest.fixture
def drawn(monkeypatch):
    """The figures as drawn, before saving: `_save` keeps each and closes none."""
    kept = []

    def keep(fig, out_dir, stem, kind, title):
        kept.append(fig)
        return Figure(kind, title, out_dir / f"{stem}.png")

    monkeypatch.setattr(figures, "_save", keep)
    yield kept
    for fig in kept:
        plt.close(fig)


def test_success_rate_at_each_threshold_is_the_count_below_it(random_runs):
    by_method = success_runs(random_runs, RANDOM_SET)
    assert {method: len(found) for method, found in by_method.items()} == {"wgan-gp": 4, "dcgan-bn": 4}
    rates = success_rates(by_method)
    for method, expected in RATES.items():
        rows = rates[rates["method"] == method]
        assert rows["fraction"].tolist() == list(SWEEP)
        assert rows["rate"].tolist() == pytest.approx(expected)
        assert rows["successes"].tolist() == [round(4 * rate) for rate in expected]


def test_paired_outcomes_at_the_claims_threshold(random_runs):
    # at 34.8: draw 0 both succeed, draw 1 only WGAN-GP, draws 2 and 3 (diverged) neither
    (row,) = paired_counts(success_runs(random_runs, RANDOM_SET), RANDOM_SET).itertuples()
    assert (row.wgan_gp, row.other) == ("wgan-gp", "dcgan-bn")
    assert (row.pairs, row.both, row.only_wgan_gp, row.only_other, row.neither) == (4, 1, 1, 0, 2)


def test_success_figure_plots_the_rates_and_captions_the_pairs(random_runs, drawn, tmp_path):
    (figure,) = success_by_threshold(random_runs, RANDOM_SET, tmp_path / "success")
    assert figure.kind == "success" and figure.png.name == "success_random_fashion32.png"
    assert "wgan-gp vs dcgan-bn over 4 pairs: both 1, only wgan-gp 1, only dcgan-bn 0, neither 2" in figure.title
    lines = {line.get_label().split(" (")[0]: line for line in drawn[0].axes[0].get_lines()}
    for method, expected in RATES.items():
        assert lines[method].get_ydata().tolist() == pytest.approx(expected)
        assert lines[method].get_xdata().tolist() == pytest.approx(SWEEP, abs=0.01)
    assert lines["wgan-gp"].get_label() == "wgan-gp (4 runs)"
    assert success_by_threshold(random_runs, FIG2_SET, tmp_path / "none") == []


def test_success_figure_written_as_png_and_pdf(random_runs, tmp_path):
    (figure,) = success_by_threshold(random_runs, RANDOM_SET, tmp_path / "success")
    assert figure.png.stat().st_size > 1000 and figure.pdf.is_file()


# (arch name, family, method, seed, domain FID, samples.png written); the table lists them out of Fig. 2's order
FIG2_RUNS = [
    ("v-gated8", "wgangp-gated", "wgan-gp-ln", 0, 20.0, True),
    ("v-gated8", "wgangp-gated", "dcgan-bn", 0, 500.0, True),
    ("v-dcgan8", "wgangp-dcgan", "wgan-gp-ln", 0, 30.0, False),  # seed 0 has no samples: seed 1 is shown
    ("v-dcgan8", "wgangp-dcgan", "wgan-gp-ln", 1, 40.0, True),
    ("v-dcgan8", "wgangp-dcgan", "dcgan-bn", 0, DIVERGED, True),
    ("v-no-norm8", "wgangp-no-norm", "wgan-gp-ln", 0, 10.0, True),
    ("v-no-norm8", "wgangp-no-norm", "dcgan-bn", 0, 15.0, False),  # no samples at all: an empty cell
    ("dcgan8", "dcgan", "wgan-gp-ln", 0, 10.0, True),  # not a Fig. 2 architecture
]


@pytest.fixture
def fig2_runs(tmp_path):
    folders = [write_run(tmp_path, name, {"family": family, "width": 8}, method, seed, fid, samples=samples)
               for name, family, method, seed, fid, samples in FIG2_RUNS]
    return collect_runs(folders, tmp_path / "runs.csv")


def test_grid_has_one_cell_per_arch_and_method_in_fig2_order(fig2_runs):
    cells = fig2_grid_cells(fig2_runs)
    assert cells[["arch", "method", "seed", "verdict"]].values.tolist() == [
        ["v-dcgan8", "wgan-gp-ln", 1, "failure"],  # 40 > 34.8
        ["v-dcgan8", "dcgan-bn", 0, "diverged"],
        ["v-no-norm8", "wgan-gp-ln", 0, "success"],
        ["v-gated8", "wgan-gp-ln", 0, "success"],
        ["v-gated8", "dcgan-bn", 0, "failure"],
    ]
    assert cells["cell"].tolist() == ["wgangp-dcgan"] * 2 + ["wgangp-no-norm"] + ["wgangp-gated"] * 2


def test_grid_figure_draws_each_cell_with_its_fid_and_verdict(fig2_runs, drawn, tmp_path):
    (figure,) = fig2_grids(fig2_runs, tmp_path / "fig2_grid")
    assert figure.kind == "fig2_grid" and figure.png.name == "fig2_grid_fashion32.png"
    axes = np.array(drawn[0].axes).reshape(3, 2)  # rows v-dcgan8, v-no-norm8, v-gated8; columns the methods
    titles = [[ax.get_title() for ax in row] for row in axes]
    assert titles == [["wgan-gp-ln\nseed 1: FID 40.0, failure", "dcgan-bn\nseed 0: diverged"],
                      ["wgan-gp-ln\nseed 0: FID 10.0, success", "dcgan-bn"],
                      ["wgan-gp-ln\nseed 0: FID 20.0, success", "dcgan-bn\nseed 0: FID 500.0, failure"]]
    assert [[len(ax.images) for ax in row] for row in axes] == [[1, 1], [1, 0], [1, 1]]
    assert axes[1][1].texts[0].get_text() == "no samples"
    assert [row[0].get_ylabel() for row in axes] == ["v-dcgan8\n(wgangp-dcgan)", "v-no-norm8\n(wgangp-no-norm)",
                                                     "v-gated8\n(wgangp-gated)"]


def test_fig2_paired_outcomes_over_the_fig2_architectures(fig2_runs):
    # seed 0 pairs on three architectures (34.8): no-norm both (10, 15); gated (20, 500) and dcgan (30, diverged)
    # only WGAN-GP; WGAN-GP's seed 1 has no dcgan-bn partner
    (row,) = paired_counts(success_runs(fig2_runs, FIG2_SET), FIG2_SET).itertuples()
    assert (row.wgan_gp, row.other) == ("wgan-gp-ln", "dcgan-bn")
    assert (row.pairs, row.both, row.only_wgan_gp, row.only_other, row.neither) == (3, 1, 2, 0, 0)


def test_figures_absent_without_such_runs(tmp_path):
    folders = [write_run(tmp_path, "dcgan8", {"family": "dcgan"}, method, 0, 10.0) for method in METHODS]
    folders.append(write_run(tmp_path, "v-gated8", {"family": "wgangp-gated"}, "wgan-gp", 0, 10.0, data="cifar10"))
    runs = collect_runs(folders, tmp_path / "runs.csv")
    out = tmp_path / "figures"
    assert success_by_threshold(runs, RANDOM_SET, out) == [] and success_by_threshold(runs, FIG2_SET, out) == []
    assert fig2_grid_cells(runs)["verdict"].tolist() == ["no threshold"]  # the floors are Fashion-MNIST's
    assert fig2_grids(runs[runs["data"] == "fashion32"], out) == []
    assert not out.exists()
