"""Success-count claims (WGAN-GP sections 5.1, 5.2) on synthetic run folders with known outcomes:
paired McNemar verdicts, the worst-cell test, diverged runs as failures, the protocol check and
the threshold sweep."""

import json
import math

import pytest
import yaml

from suite.claims import CLAIMS, Claim, claims_table, group
from suite.claims.definitions.wgan_gp import FIG2_FAMILIES, THRESHOLDS, fig2_cell, random_cell
from suite.claims.runs import RunOutputs
from suite.claims.successes import success_sweep

GOOD, BAD = 5.0, 500.0  # domain FIDs far below and far above every threshold
METHODS = {"wgan-gp": {"loss": "wasserstein", "constraint": "gp"},
           "dcgan-bn": {"loss": "ns", "constraint": "none"},
           "lsgan": {"loss": "lsgan", "constraint": "none"},
           "wgan-wc": {"loss": "wasserstein", "constraint": "clip"}}
CELLS = [{"family": family, "width": 16} for family in FIG2_FAMILIES] + [
    {"family": "resnet-deep", "depth": 101, "width": 8}]


def write_run(root, arch, method, seed, fid=None, status="ok", n=1000, n_ref=None):
    name = arch["family"] + (f"-{arch['draw']}" if "draw" in arch else "")
    folder = root / "study" / "runs" / "fashion32" / name / method / f"seed{seed}"
    folder.mkdir(parents=True)
    record = {"experiment": "study", "data": "fashion32", "arch_name": name, "arch": arch,
              "method_name": method, "method": METHODS[method], "seed": seed}
    (folder / "run.yaml").write_text(yaml.safe_dump(record))
    (folder / "train.json").write_text(json.dumps({"status": status}))
    if status == "ok":
        (folder / "metrics.json").write_text(json.dumps({
            "status": "ok", "metrics": {"domain_fid": fid},
            "protocol": {"n_gen": 256, "n_ref": 256, "domain_n_gen": n, "domain_n_ref": n_ref or n}}))
    return folder


def fig2_study(root, failures: dict[str, set[tuple[int, int]]], seeds=6, **kwargs):
    """Every Fig. 2 cell x seed for wgan-gp and dcgan-bn; failures[method] = {(cell index, seed)}."""
    folders = []
    for method in ("wgan-gp", "dcgan-bn"):
        for index, arch in enumerate(CELLS):
            for seed in range(seeds):
                fid = BAD if (index, seed) in failures.get(method, set()) else GOOD
                folders.append(write_run(root, arch, method, seed, fid, **kwargs))
    return folders


def row(frame, claim_id):
    return frame.set_index("id").loc[claim_id]


def test_cells_of_the_fig2_and_random_claims():
    assert fig2_cell({"arch": {"family": "wgangp-gated", "width": 4}}) == "wgangp-gated"
    assert fig2_cell({"arch": {"family": "resnet-deep", "depth": 101}}) == "resnet-deep-101"
    assert fig2_cell({"arch": {"family": "resnet-deep", "depth": 50}}) is None
    assert fig2_cell({"arch": {"family": "dcgan"}}) is None
    assert random_cell({"arch": {"family": "random", "draw": 7, "width_divisor": 4}}) == "draw 7 / 4"
    # the pre-set thresholds: geometric means of the measured floors
    assert THRESHOLDS[1000, 1000] == pytest.approx(math.sqrt(3.062 * 395.27))
    assert THRESHOLDS[256, 256] == pytest.approx(math.sqrt(15.605 * 415.24))
    assert THRESHOLDS[2000, 10000] == pytest.approx(math.sqrt(0.968 * 394.57))


def test_paired_claim_counts_the_table_and_takes_mcnemars_exact_p(tmp_path):
    # 42 pairs: WGAN-GP fails 1 (cell 0, seed 0); DCGAN fails 12 (cells 1 and 2, every seed).
    dcgan_fails = {(cell, seed) for cell in (1, 2) for seed in range(6)}
    folders = fig2_study(tmp_path, {"wgan-gp": {(0, 0)}, "dcgan-bn": dcgan_fails})
    frame = claims_table(folders, [CLAIMS["wgan-gp-5.2-beats-dcgan"]])
    result = row(frame, "wgan-gp-5.2-beats-dcgan")
    # both 29, only WGAN-GP 12, only DCGAN 1, neither 0: difference 11 / 42, p = 2 * P(X <= 1 | 13, 1/2)
    assert result["seeds"] == "42"
    assert result["effect"] == pytest.approx(11 / 42)
    assert result["p"] == pytest.approx(2 * 14 / 2 ** 13)
    assert result["test"] == "McNemar exact (paired successes)"
    assert result["verdict"] == "reproduced"
    assert "both 29, only the first 12, only the second 1, neither 0" in result["reason"]
    # Tango's score interval of the paired difference for this table (solved independently to 4 decimals)
    assert result["ci_low"] == pytest.approx(0.1117, abs=1e-4)
    assert result["ci_high"] == pytest.approx(0.4189, abs=1e-4)


def test_paired_claim_without_discordant_pairs_is_inconclusive(tmp_path):
    folders = fig2_study(tmp_path, {})
    result = row(claims_table(folders, [CLAIMS["wgan-gp-5.2-beats-dcgan"]]), "wgan-gp-5.2-beats-dcgan")
    assert result["effect"] == 0.0 and result["p"] == 1.0
    assert result["verdict"] == "inconclusive"


def test_worst_cell_claim_passes_only_when_every_cell_does(tmp_path):
    claim = CLAIMS["wgan-gp-5.2-every-variant"]
    every = claims_table(fig2_study(tmp_path / "a", {}), [claim])
    result = row(every, claim.id)
    # 6 of 6 in every cell: one-sided, the lower bound 0.05^(1/6) = 0.607 > 1/2 and p = 1 / 2^6 in each cell
    assert result["effect"] == 1.0 and result["ci_low"] == pytest.approx(0.05 ** (1 / 6))
    assert result["ci_high"] == 1.0 and result["p"] == pytest.approx(1 / 64)
    assert result["test"] == "exact one-sided binomial, worst cell (intersection-union)"
    assert result["verdict"] == "reproduced"
    # one failure in the gated cell: 5 of 6 there cannot exclude 1/2, and that cell is named
    gated = FIG2_FAMILIES.index("wgangp-gated")
    one_miss = row(claims_table(fig2_study(tmp_path / "b", {"wgan-gp": {(gated, 3)}}), [claim]), claim.id)
    assert one_miss["effect"] == pytest.approx(5 / 6)
    assert one_miss["verdict"] == "inconclusive"
    assert "worst cell wgangp-gated" in one_miss["reason"] and "wgangp-gated 5/6" in one_miss["reason"]


def test_a_diverged_run_is_a_failure_not_left_out(tmp_path):
    folders = fig2_study(tmp_path, {})
    folders.append(write_run(tmp_path, CELLS[0], "wgan-gp", 6, status="diverged"))
    folders.append(write_run(tmp_path, CELLS[0], "dcgan-bn", 6, GOOD))
    result = row(claims_table(folders, [CLAIMS["wgan-gp-5.2-beats-dcgan"]]), "wgan-gp-5.2-beats-dcgan")
    assert result["seeds"] == "43"
    assert result["effect"] == pytest.approx(-1 / 43)
    assert "1 diverged run(s) counted as failures" in result["reason"]


def test_a_threshold_holds_only_at_its_protocol(tmp_path):
    folders = fig2_study(tmp_path, {}, n=500)
    result = row(claims_table(folders, [CLAIMS["wgan-gp-5.2-beats-dcgan"]]), "wgan-gp-5.2-beats-dcgan")
    assert result["verdict"] == "not run"
    assert "scored with n_gen 500, n_ref 500" in result["reason"]
    assert "n_gen 1000 with n_ref 1000" in result["reason"] and "n_gen 2000 with n_ref 10000" in result["reason"]


def test_the_threshold_is_the_one_of_the_domain_fids_counts(tmp_path):
    # the Inception counts (256) differ; the domain FID's counts choose the threshold
    judged = row(claims_table(fig2_study(tmp_path / "a", {}, n=2000, n_ref=10000), [CLAIMS["wgan-gp-5.2-beats-dcgan"]]),
                 "wgan-gp-5.2-beats-dcgan")
    assert judged["verdict"] != "not run"
    other = row(claims_table(fig2_study(tmp_path / "b", {}, n=2000, n_ref=2000), [CLAIMS["wgan-gp-5.2-beats-dcgan"]]),
                "wgan-gp-5.2-beats-dcgan")
    assert other["verdict"] == "not run" and "scored with n_gen 2000, n_ref 2000" in other["reason"]


def test_random_claim_pairs_draws_and_the_sweep_counts_each_threshold(tmp_path):
    folders = []
    fids = {"wgan-gp": [5.0, 20.0, 50.0, 500.0], "dcgan-bn": [5.0, 500.0, 40.0, 30.0]}
    for method, values in fids.items():
        for draw, fid in enumerate(values):
            folders.append(write_run(tmp_path, {"family": "random", "draw": draw, "width_divisor": 4}, method, 0, fid))
    result = row(claims_table(folders, [CLAIMS["wgan-gp-5.1-random-architectures"]]),
                 "wgan-gp-5.1-random-architectures")
    # at 34.8: WGAN-GP wins draws 0 and 1, DCGAN draws 0 and 3: both 1, only each 1, neither 1
    assert result["effect"] == 0.0 and result["seeds"] == "4"
    runs = [RunOutputs.load(folder) for folder in folders]
    groups = [[run for run in runs if run.record["method_name"] == name] for name in ("wgan-gp", "dcgan-bn")]
    sweep = success_sweep(groups, "domain_fid", [10.0, 45.0, 100.0], random_cell)
    assert sweep[["both", "only_first", "only_second", "neither"]].values.tolist() == [
        [1, 0, 0, 3], [1, 1, 2, 0], [2, 1, 1, 0]]
    assert sweep["p"].tolist() == pytest.approx([1.0, 1.0, 1.0])


def test_the_success_claims_are_about_trained_models():
    ids = ["wgan-gp-5.2-every-variant", "wgan-gp-5.1-random-architectures",
           *(f"wgan-gp-5.2-beats-{rival}" for rival in ("dcgan", "lsgan", "wgan-wc"))]
    for claim_id in ids:
        # a success count already reads a diverged run as a failure: no worst value to stand in for it
        assert CLAIMS[claim_id].improving_metric == "domain_fid" and not CLAIMS[claim_id].diverged_is_worst


def test_success_tests_check_their_group_count():
    claim = CLAIMS["wgan-gp-5.2-beats-dcgan"]
    with pytest.raises(ValueError, match="test mcnemar takes 2 group"):
        Claim(id="x", source="s", statement="s", groups=claim.groups[:1], measure=claim.measure, no_effect=0.0,
              direction=1, grids=(), test_kind="mcnemar")
    with pytest.raises(ValueError, match="test_kind 'sign' is unknown"):
        Claim(id="x", source="s", statement="s", groups=(group("a", "d", {}),), measure=claim.measure,
              no_effect=0.0, direction=1, grids=(), test_kind="sign")
