"""The real pipeline on a study of the user's own: its loss and arch family from a package beside the study,
its data from an image folder and a .npz file the test writes; then what a change re-runs."""

import json
import math
import shutil

import numpy as np
import pandas as pd
import pytest
import yaml
from PIL import Image

from tests.conftest import REPO
from tests.data.files import write_image_folder
from tests.pipeline.test_pipeline import snakemake, workflow_copy
from tests.pipeline.test_reruns import planned_jobs


def own_study(workdir) -> dict:
    return {
        "experiment": "own",
        "threads": 1,
        "datasets": {"shapes": {"kind": "image-folder", "path": "shapes", "size": 32},
                     "blobs": {"kind": "npz", "path": str(workdir / "blobs.npz"), "size": 32}},
        "archs": {"two": {"family": "mygan.nets:TwoLayerNets", "width": 4}},
        "methods": {"smooth": {"preset": "sngan", "loss": "mygan.losses:smooth_hinge", "n_dis": 1}},
        "train": {"iterations": 4, "batch_size": 8, "log_every": 2, "checkpoint_every": 2, "eval_every": 2,
                  "eval_samples": 16, "diagnostics_every": 0},
        # Inception scores one run (about a CPU minute with its reference); the domain metrics every run.
        "evaluate": {"n_gen": 16, "n_ref": 10, "inception": False, "inception_n_gen": 10, "inception_n_ref": 10,
                     "fid_crosscheck": False, "domain": True, "batch_size": 16},
        "domain_classifier": {"epochs": 1, "seed": 0, "n_train": None},
        "grids": [{"data": ["shapes"], "archs": ["two"], "methods": ["smooth"], "seeds": [0],
                   "evaluate": {"inception": True}},
                  {"data": ["shapes", "blobs"], "archs": ["two"], "methods": ["sngan"], "seeds": [0]}],
    }


def prepare(tmp_path):
    workdir = workflow_copy(tmp_path)
    package = workdir / "mygan"
    package.mkdir()
    (package / "__init__.py").write_text("")
    for name in ("losses.py", "nets.py"):
        shutil.copy(REPO / "tests" / "userparts" / name, package / name)
    write_image_folder(workdir / "shapes", {"circles": 30, "squares": 30}, size=(40, 36))
    rng = np.random.default_rng(1)
    np.savez(workdir / "blobs.npz", x=rng.integers(0, 256, (50, 3, 32, 32), dtype=np.uint8))
    (workdir / "configs" / "own.yaml").write_text(yaml.safe_dump(own_study(workdir)))
    return workdir


@pytest.mark.slow
def test_own_parts_and_data_train_score_report_and_rerun_only_what_changed(tmp_path):
    workdir = prepare(tmp_path)
    done = snakemake(workdir, "--cores", "2", "all", "--configfile", "configs/own.yaml")
    assert done.returncode == 0, done.stderr[-4000:]
    runs = workdir / "results" / "own" / "runs"

    smooth = yaml.safe_load((runs / "shapes" / "two" / "smooth" / "seed0" / "run.yaml").read_text())
    assert smooth["method"]["loss"] == "mygan.losses:smooth_hinge" and smooth["arch"]["family"] == "mygan.nets:TwoLayerNets"
    assert smooth["parts"]["loss"]["path"] == "mygan.losses:smooth_hinge" and len(smooth["parts"]["loss"]["sha256"]) == 64
    assert smooth["dataset"]["images"] == 60 and smooth["dataset"]["classes"] == ["circles", "squares"]
    assert "centre crop" in smooth["dataset"]["protocol"]

    scored = json.loads((runs / "shapes" / "two" / "smooth" / "seed0" / "metrics.json").read_text())
    assert scored["status"] == "ok"
    for metric in ("fid", "kid_mean", "domain_fid", "domain_is"):
        assert math.isfinite(scored["metrics"][metric]), metric
    assert (scored["protocol"]["n_gen"], scored["protocol"]["n_ref"]) == (10, 10)
    assert len(pd.read_csv(runs / "shapes" / "two" / "smooth" / "seed0" / "curve.csv")["domain_fid"].dropna()) == 2
    blobs = json.loads((runs / "blobs" / "two" / "sngan" / "seed0" / "metrics.json").read_text())
    assert blobs["status"] == "ok" and blobs["metrics"]["domain_fid"] is None and blobs["metrics"]["fid"] is None
    assert blobs["unavailable"]["domain_fid"].startswith("blobs has no labels: the domain metrics use a classifier")
    assert not (runs / "blobs" / "two" / "sngan" / "seed0" / "curve.csv").exists(), "no domain curve without labels"

    # The shared caches are named by the content: the folder's sha256 and the size.
    key = f"shapes-{smooth['dataset']['sha256'][:12]}-s32"
    assert (workdir / "results" / "cache" / "reference" / key / "test-inception-n10.npz").is_file()
    assert (workdir / "results" / "cache" / "data" / f"{key}.yaml").is_file()

    report = workdir / "results" / "own" / "report"
    table = pd.read_csv(report / "runs.csv")
    assert set(table["method"]) == {"smooth", "sngan"} and set(table["arch"]) == {"two"}
    assert set(table["data"]) == {"shapes", "blobs"}
    html = (report / "index.html").read_text()
    assert all(name in html for name in ("smooth", "shapes", "blobs"))

    # Unchanged folder, file and module: nothing to do.
    assert planned_jobs(workdir, "configs/own.yaml") == {}

    # The loss module changed: the one run that uses it, and the report.
    losses = workdir / "mygan" / "losses.py"
    losses.write_text(losses.read_text().replace("1.0 - d_real", "0.5 - d_real"))
    assert planned_jobs(workdir, "configs/own.yaml") == {"all": 1, "train_run": 1, "score_run": 1,
                                                         "collect_runs": 1, "build_report": 1}
    losses.write_text(losses.read_text().replace("0.5 - d_real", "1.0 - d_real"))
    assert planned_jobs(workdir, "configs/own.yaml") == {}

    # One image of the folder changed: the folder's runs, its classifier, references and floor; not blobs.
    Image.new("RGB", (40, 36), (10, 20, 30)).save(workdir / "shapes" / "circles" / "circles-004.png")
    planned = planned_jobs(workdir, "configs/own.yaml")
    assert (planned["train_run"], planned["score_run"], planned["train_domain_classifier"]) == (2, 2, 1)
    assert planned["compute_reference_stats"] == 2 and planned["score_real_data"] == 1


@pytest.mark.slow
def test_a_bad_folder_stops_the_study_in_one_line_before_anything_is_written(tmp_path):
    workdir = prepare(tmp_path)
    (workdir / "shapes" / "squares" / "squares-007.png").write_bytes(b"\x89PNG truncated")
    result = snakemake(workdir, "-n", "all", "--configfile", "configs/own.yaml")
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.startswith("ganbench:")]
    assert len(lines) == 1 and "squares-007.png" in lines[0] and "allowed: image files Pillow can read" in lines[0]
    assert not (workdir / "results").exists()
