"""A synthetic run tree for the report tests (shared by the tests in tests/report/), and collect_runs tests."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from suite.errors import DataMissingError, GanbenchError  # noqa: E402
from suite.methods import resolve_method  # noqa: E402
from suite.runspec import RunSpec  # noqa: E402
from suite.report.collect import METRIC_KEYS, RUN_COLUMNS, collect_runs  # noqa: E402

EXPERIMENT = "synth"
DATA = "fashion32"
ARCHS = ("dcgan", "resnet")
METHODS = ("wgan-gp", "sngan", "wgan-wc")
SEEDS = (0, 1, 2)
DIVERGED = ("resnet", "wgan-wc", 2)  # this run diverged; its fid is recorded anyway and must be ignored
NO_DIAGNOSTICS_ARCH = "resnet"  # runs of this arch have no diagnostics/ (their figures are skipped)
N_LAYERS = 5
REAL = {"fid": 1.25, "kid_mean": 0.0004, "kid_std": 0.0001, "is_mean": None, "is_std": None,
        "domain_fid": 0.5, "domain_is": 9.5}


def metric_values(arch: str, method: str, seed: int) -> dict:
    """Deterministic, method-dependent metric values (IS unavailable everywhere)."""
    base = {"wgan-gp": 40.0, "sngan": 30.0, "wgan-wc": 60.0}[method] + (5.0 if arch == "resnet" else 0.0)
    rng = np.random.default_rng(1000 * ARCHS.index(arch) + 10 * METHODS.index(method) + seed)
    fid = base + rng.normal(0, 3)
    domain_is = 5.0 if (arch, method) == ("dcgan", "sngan") else 4.0 + rng.uniform(0, 2)  # one constant group
    return {"fid": fid, "kid_mean": fid / 1000, "kid_std": 0.001, "is_mean": None, "is_std": None,
            "domain_fid": fid / 10 + rng.uniform(0, 0.5), "domain_is": domain_is}


def _write_csvs(run: Path, arch: str, method: str, seed: int) -> None:
    steps = np.arange(0, 101, 10)
    rng = np.random.default_rng(seed + 7)
    k = METHODS.index(method)
    d_real, d_fake = 1.0 + 0.01 * steps, -0.5 - 0.005 * steps + rng.normal(0, 0.05, steps.size)
    pd.DataFrame({"step": steps, "seconds": 0.5 * steps, "loss_d": -(d_real - d_fake) + k, "loss_g": -d_fake - k,
                  "penalty": 0.1, "d_real": d_real, "d_fake": d_fake, "gap": d_real - d_fake}
                 ).to_csv(run / "train.csv", index=False)
    pd.DataFrame({"step": steps, "seconds": 0.5 * steps, "domain_fid": 50 / (1 + steps) + k + rng.uniform(0, 1, steps.size),
                  "domain_is": 1 + steps / (30 + 10 * k)}).to_csv(run / "curve.csv", index=False)
    if arch == NO_DIAGNOSTICS_ARCH:
        return
    diag = run / "diagnostics"
    diag.mkdir()
    factor = {"wgan-wc": 0.1, "wgan-gp": 1.0, "sngan": 1.0}[method]
    rows = [{"step": s, "layer_index": i, "layer": f"layers.{i}", "kind": "linear",
             "grad_output_norm": factor ** (N_LAYERS - 1 - i) * (1 + 0.1 * seed), "weight_grad_norm": 0.5,
             # raw-weight sigma grows; under SN the power-iteration estimate tracks it (in use: 1)
             "sigma_exact": 1 + s / 50 + i, "sigma_estimate": (1 + s / 50 + i) if method == "sngan" else None}
            for s in (0, 50, 100) for i in range(N_LAYERS)]
    pd.DataFrame(rows).to_csv(diag / "layers.csv", index=False)
    edges = np.linspace(-0.05, 0.05, 11)
    hist = [{"step": s, "bin_left": lo, "bin_right": hi, "count": int(100 * abs(lo) + 1 + seed)}
            for s in (0, 100) for lo, hi in zip(edges[:-1], edges[1:])]
    pd.DataFrame(hist).to_csv(diag / "weights.csv", index=False)


def write_run(root: Path, arch: str, method: str, seed: int) -> Path:
    run = root / "results" / EXPERIMENT / "runs" / DATA / arch / method / f"seed{seed}"
    run.mkdir(parents=True)
    diverged = (arch, method, seed) == DIVERGED
    metrics = metric_values(arch, method, seed)
    if diverged:
        metrics = dict.fromkeys(METRIC_KEYS) | {"fid": 999.0}
    seconds_per_step = {"wgan-gp": 1.08, "sngan": 0.73, "wgan-wc": 0.9}[method] + 0.01 * seed
    record = {
        "run": {"experiment": EXPERIMENT, "data": DATA, "arch": arch, "method": method, "seed": seed,
                "config_hash": "abc123", "code_version": "0.1.0"},
        "status": "diverged" if diverged else "ok",
        "diverged_at_step": 40 if diverged else None,
        "train": {"steps": 40 if diverged else 100, "seconds": seconds_per_step * (40 if diverged else 100),
                  "seconds_per_step": seconds_per_step, "images_seen": 6400},
        "metrics": metrics,
        "unavailable": {"is_mean": "no 1008-way logits weights offline", "is_std": "no 1008-way logits weights offline"},
        "protocol": {"extractor": "inception-v3-compat", "weights_sha256": "f" * 16, "n_gen": 1000, "n_ref": 1000,
                     "ref_split": "test", "is_splits": 10, "checkpoint_step": 100, "torch_version": "2.14.1",
                     "seconds": 3.5 + seed, "fid_pytorch_fid_absdiff": 1e-9},
    }
    (run / "metrics.json").write_text(json.dumps(record))
    spec = RunSpec(experiment=EXPERIMENT, data=DATA, arch_name=arch, arch={"family": arch}, method_name=method,
                   method=resolve_method(method).to_dict(), seed=seed, latent_dim=128,
                   train={"iterations": 100, "batch_size": 64}, evaluate={"n_gen": 1000, "n_ref": 1000})
    assert spec.write(root / "results") == run / "run.yaml"
    _write_csvs(run, arch, method, seed)
    image = np.random.default_rng(seed).uniform(size=(32, 32))
    plt.imsave(run / "samples.png", image, cmap="gray")
    return run


def make_tree(root: Path) -> dict:
    """Write the synthetic study under root; return its paths and run dirs."""
    runs = [write_run(root, a, m, s) for a in ARCHS for m in METHODS for s in SEEDS]
    real = root / "results" / EXPERIMENT / "reference" / DATA / "real_metrics.json"
    real.parent.mkdir(parents=True)
    real.write_text(json.dumps({"metrics": REAL, "protocol": {"n_gen": 1000, "n_ref": 1000, "ref_split": "test"}}))
    return {"runs": runs, "run_root": root / "results" / EXPERIMENT / "runs", "real": {DATA: real},
            "report_dir": root / "results" / EXPERIMENT / "report"}


@pytest.fixture
def tree(tmp_path):
    return make_tree(tmp_path)


def test_collect_one_row_per_run_with_the_json_values(tree, tmp_path):
    out = tmp_path / "out" / "runs.csv"
    frame = collect_runs(tree["runs"], out)
    assert list(frame.columns) == list(RUN_COLUMNS)
    assert len(frame) == len(ARCHS) * len(METHODS) * len(SEEDS)
    on_disk = pd.read_csv(out)
    assert len(on_disk) == len(frame) and not list(out.parent.glob(".*tmp"))
    row = on_disk[(on_disk["arch"] == "dcgan") & (on_disk["method"] == "sngan") & (on_disk["seed"] == 1)].iloc[0]
    assert row["fid"] == pytest.approx(metric_values("dcgan", "sngan", 1)["fid"])
    assert row["seconds_per_step"] == pytest.approx(0.74)
    assert row["status"] == "ok" and np.isnan(row["is_mean"]) and row["experiment"] == EXPERIMENT
    div = on_disk[on_disk["status"] == "diverged"]
    assert len(div) == 1 and div.iloc[0]["diverged_at_step"] == 40 and div.iloc[0]["seed"] == DIVERGED[2]


def test_collect_seconds_per_step_falls_back_to_seconds_over_steps(tree, tmp_path):
    path = tree["runs"][0] / "metrics.json"
    record = json.loads(path.read_text())
    record["train"] = {"steps": 200, "seconds": 50.0}
    path.write_text(json.dumps(record))
    frame = collect_runs(tree["runs"][:1], tmp_path / "runs.csv")
    assert frame["seconds_per_step"].iloc[0] == pytest.approx(0.25)


def test_missing_runs_raise_naming_each_run(tree, tmp_path):
    gone = [tree["runs"][1], tree["runs"][4]]
    for run in gone:
        (run / "metrics.json").unlink()
    out = tmp_path / "runs.csv"
    with pytest.raises(DataMissingError) as info:
        collect_runs(tree["runs"], out)
    assert all(str(run) in str(info.value) for run in gone) and "2 of 18" in str(info.value)
    assert not out.exists()


def test_missing_ok_keeps_missing_runs_as_rows(tree, tmp_path):
    gone = tree["runs"][4]  # dcgan / sngan / seed1
    (gone / "metrics.json").unlink()
    frame = collect_runs(tree["runs"], tmp_path / "runs.csv", missing_ok=True)
    missing = frame[frame["status"] == "missing"]
    assert len(missing) == 1
    assert missing.iloc[0][["experiment", "data", "arch", "method", "seed"]].tolist() == [EXPERIMENT, DATA, "dcgan", "sngan", 1]
    assert missing.iloc[0][list(METRIC_KEYS)].isna().all()


def test_malformed_metrics_json_is_a_clear_error(tree, tmp_path):
    (tree["runs"][0] / "metrics.json").write_text("{not json")
    with pytest.raises(GanbenchError, match="not valid JSON"):
        collect_runs(tree["runs"], tmp_path / "runs.csv")
