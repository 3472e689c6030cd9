"""The benchmark's --quick mode on tiny sizes: every section writes finite positive numbers under the expected keys;
the peer, FLOP and overhead arithmetic on known answers.

Speeds are reported as ratios by the benchmark itself, never asserted here."""

import json
import math
import sys

import numpy as np
import pytest
import torch

from benchmarks.run import main
from suite.runtime import native_bf16


def _positive(value):
    return isinstance(value, (int, float)) and math.isfinite(value) and value > 0


@pytest.mark.slow
def test_quick_benchmark_writes_every_section(tmp_path, capsys):
    out = tmp_path / "bench"
    main(["--quick", "--presets", "dcgan-bn", "--iterations", "1", "--repeats", "1", "--batch-size", "4",
          "--format-batches", "2", "4", "--inception-n", "2", "--inception-batch", "2", "--domain-n", "16", "--threads", "1",
          "--out", str(out)])
    assert sorted(p.name for p in out.glob("*.json")) == ["domain.json", "formats.json", "inception.json",
                                                         "parts.json", "peer.json", "stacking.json",
                                                         "training.json"]
    # torch-mimicry has no dcgan-bn: the section says so in one line whether or not it is installed.
    assert "skipped" in json.loads((out / "peer.json").read_text())
    training = json.loads((out / "training.json").read_text())
    (row,) = training["rows"]
    assert (row["arch"], row["preset"], row["batch_size"]) == ("dcgan", "dcgan-bn", 4)
    for key in ("suite_seconds_per_iteration", "bare_seconds_per_iteration", "suite_images_per_second",
                "bare_images_per_second", "ratio_suite_to_bare"):
        assert _positive(row[key]), key
    parts = json.loads((out / "parts.json").read_text())
    assert [r["part"] for r in parts["rows"]] == ["none", "clip", "gp", "gp-fd", "sn"]
    assert all(_positive(r["seconds_per_iteration"]) and _positive(r["relative_to_none"]) for r in parts["rows"])
    formats = json.loads((out / "formats.json").read_text())
    (row,) = formats["rows"]
    bf16 = ["bf16", "channels_last+bf16"] if native_bf16(torch.device("cpu")) else []
    assert formats["formats"] == ["fp32", "channels_last", *bf16]
    assert row["fp32_vs_fp32"] == 1.0 and _positive(formats["bf16_convolution_ratio"])
    assert all(_positive(row[f"{name}_seconds_per_iteration"]) and _positive(row[f"{name}_vs_fp32"])
               for name in formats["formats"])
    assert [(r["batch_size"], _positive(r["images_per_second"])) for r in formats["batch_rows"]] == [(2, True),
                                                                                                  (4, True)]
    stacking = json.loads((out / "stacking.json").read_text())
    assert [(r["net"], r["seeds"]) for r in stacking["rows"]] == [("dcgan8", 3), ("dcgan8", 8), ("toy-script", 3),
                                                                 ("toy-script", 8)]
    assert all(_positive(r["speedup"]) for r in stacking["rows"])
    inception = json.loads((out / "inception.json").read_text())
    for key in ("suite_channels_last_images_per_second", "suite_contiguous_images_per_second",
                "bare_module_images_per_second", "bare_torchscript_images_per_second",
                "ratio_bare_module_to_suite", "channels_last_speedup"):
        assert _positive(inception[key]), key
    domain = json.loads((out / "domain.json").read_text())
    assert _positive(domain["domain_images_per_second"])
    for section in (training, parts, formats, stacking, inception, domain):
        assert section["environment"]["threads"] == 1 and len(section["environment"]["load_average"]) == 3
    table = capsys.readouterr().out
    assert "suite/bare" in table and "vs none" in table and "relative to fp32" in table and "domain metrics" in table
    assert "one vmapped critic" in table


def test_flop_count_of_a_convolution_is_its_closed_form():
    import torch

    from benchmarks.peer import count_flops

    conv = torch.nn.Conv2d(3, 5, 3, padding=1, bias=False)
    x = torch.rand(2, 3, 8, 8, requires_grad=True)
    forward = 2 * 2 * 5 * 3 * 3 * 3 * 8 * 8  # 2 FLOPs per multiply-add: N x C_out x C_in x k x k x H x W
    assert count_flops(lambda: conv(x)) == forward
    # Backward: the input's gradient and the weight's, each as many as the forward.
    assert count_flops(lambda: conv(x).sum().backward()) == 3 * forward


def test_fp32_peak_is_cores_times_clock_times_32(monkeypatch):
    from benchmarks import peer

    monkeypatch.setattr(peer, "cpu_clock_ghz", lambda: (2.5, "test"))
    monkeypatch.setattr(peer.os, "cpu_count", lambda: 4)
    assert peer.fp32_peak(2)["gflops"] == 2 * 2.5 * 32
    assert peer.fp32_peak(8)["cores"] == 4  # no more cores than the machine has


def test_peer_section_without_torch_mimicry_is_one_line(monkeypatch):
    import importlib.util

    from benchmarks import peer
    from benchmarks.table import peer_lines

    find_spec = importlib.util.find_spec
    monkeypatch.delitem(sys.modules, peer.PEER, raising=False)  # imported by an earlier test
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == peer.PEER else find_spec(name, *a))
    section = peer.peer_section(["sngan"])
    assert peer_lines(section) == [section["skipped"]]
    assert "torch-mimicry is not installed" in section["skipped"] and "pip install --no-deps" in section["skipped"]


@pytest.mark.slow
def test_peer_section_times_both_contenders_on_equal_flops():
    from benchmarks import peer

    if peer.import_peer() is None:
        pytest.skip("torch-mimicry is not installed")
    (row,) = peer.peer_section(["wgan-gp"], widths=((8, 4),), repeats=1)["rows"]
    assert (row["preset"], row["g_width"], row["d_width"], row["n_dis"]) == ("wgan-gp", 8, 4, 5)
    for key in ("suite_seconds_per_iteration", "peer_seconds_per_iteration", "ratio_suite_to_peer",
                "suite_gflops", "peer_gflops", "suite_fraction_of_peak"):
        assert _positive(row[key]), key
    # Same nets, batch and n_dis: the suite counts no more FLOPs than the peer (it skips the critic's weight
    # gradients in the generator step) and not less than the peer minus those.
    assert 0.8 * row["peer_gflop_per_iteration"] < row["suite_gflop_per_iteration"] <= row["peer_gflop_per_iteration"]


def _job_log(path, cpu, rss, wall):
    """A job's log as the CLI leaves it: progress lines, then its resource use."""
    path.parent.mkdir(parents=True, exist_ok=True)
    use = {"cpu_seconds": cpu, "peak_rss_mib": rss, "wall_seconds": wall}
    path.write_text(f"2026-01-01 00:00:00,000 suite.train INFO: step 10\n"
                    f"2026-01-01 00:00:01,000 suite INFO: resource use: {json.dumps(use)}\n")


def test_study_overhead_is_job_cpu_minus_step_cpu(tmp_path):
    from benchmarks.overhead import render, study_overhead
    from suite.metrics.reference import reference_from_features, save_reference

    study, cache = tmp_path / "study", tmp_path / "cache"
    # Scoring's record is wall time: 30 of a 40 s job that used 20 CPU s is 15 CPU s of scoring.
    for seed, (train_cpu, train_steps, score_cpu, score_wall) in enumerate([(10.0, 6.0, 20.0, 30.0),
                                                                            (12.0, 8.0, 22.0, 20.0)]):
        run = study / "runs" / "fashion32" / "dcgan" / "wgan-gp" / f"seed{seed}"
        _job_log(run / "train.log", train_cpu, 900 + seed, train_cpu + 1)
        _job_log(run / "score.log", score_cpu, 1200, 40)
        (run / "train.json").write_text(json.dumps({"seconds": 99.0, "cpu_seconds": train_steps,
                                                     "eval_cpu_seconds": 0.5, "diagnostics_cpu_seconds": 0.25}))
        (run / "metrics.json").write_text(json.dumps({"protocol": {"seconds": score_wall}}))
    _job_log(study / "report" / "part_costs" / "dcgan.log", 4.0, 700, 5)
    (study / "report" / "part_costs" / "dcgan.json").write_text(json.dumps({"step_cpu_seconds": 3.0}))
    toy = study / "runs" / "toy-swissroll" / "mlp12" / "wgan-gp" / "seed0"
    _job_log(toy / "fit_critic.log", 5.0, 500, 6)
    (toy / "critic_fit.json").write_text(json.dumps({"seconds": 5.5, "cpu_seconds": 4.5}))
    _job_log(study / "report" / "report.log", 6.0, 400, 7)
    (study / "runs" / "fashion32" / "dcgan" / "sngan" / "seed0").mkdir(parents=True)
    (study / "runs" / "fashion32" / "dcgan" / "sngan" / "seed0" / "train.log").write_text("Traceback ...\n")
    # The shared jobs' own files carry their steps' cost: the reference its extraction, the classifier its fitting.
    references = cache / "reference" / "fashion32"
    _job_log(references / "test-inception-n256.log", 8.0, 1500, 9)
    features = np.random.default_rng(0).normal(size=(8, 3))
    save_reference(reference_from_features(features, "inception-v3-compat", "0" * 64),
                   references / "test-inception-n256.npz", cpu_seconds=6.0)
    _job_log(references / "test-domain-n256.log", 2.0, 600, 3)
    save_reference(reference_from_features(features, "domain", "0" * 64), references / "test-domain-n256.npz")
    classifier = cache / "domain" / "fashion32" / "classifier-s0-e3.log"
    _job_log(classifier, 7.0, 800, 4)
    torch.save({"state_dict": {}, "cpu_seconds": 5.0}, classifier.with_suffix(".pt"))

    overhead = study_overhead(study, total_cpu_seconds=109.0, cache=cache)
    rows = {row["kind"]: row for row in overhead["rows"]}
    assert sorted(rows) == ["classifier", "fit_critic", "part_costs", "reference", "report", "score", "train"]
    assert rows["train"]["jobs"] == 2 and rows["train"]["cpu_seconds"] == 22.0
    assert rows["train"]["measure_cpu_seconds"] == 1.5 and rows["train"]["max_rss_mib"] == 901
    assert rows["train"]["outside_cpu_seconds"] == 22.0 - 14.0 - 1.5
    assert rows["score"]["step_cpu_seconds"] == 20.0 * 30 / 40 + 22.0 * 20 / 40
    assert rows["score"]["outside_per_job"] == (42.0 - 26.0) / 2
    assert rows["part_costs"]["step_cpu_seconds"] == 3.0 and rows["part_costs"]["outside_cpu_seconds"] == 1.0
    assert rows["fit_critic"]["step_cpu_seconds"] == 4.5 and rows["fit_critic"]["outside_per_job"] == 0.5
    # a reference file without its cost (written before references recorded it) counts as all outside
    assert rows["reference"]["step_cpu_seconds"] == 6.0 and rows["reference"]["outside_cpu_seconds"] == 10.0 - 6.0
    assert rows["classifier"]["step_cpu_seconds"] == 5.0 and rows["classifier"]["max_rss_mib"] == 800
    assert overhead["jobs_cpu_seconds"] == 96.0 and overhead["steps_cpu_seconds"] == 47.5 + 6.0 + 5.0
    assert overhead["outside_share_of_jobs"] == pytest.approx((96.0 - 58.5 - 1.5) / 96.0)
    assert overhead["workflow_manager_cpu_seconds"] == 109.0 - 96.0
    assert overhead["outside_share_of_study"] == pytest.approx((109.0 - 58.5 - 1.5) / 109.0)
    assert overhead["unrecorded_logs"] == [str(study / "runs/fashion32/dcgan/sngan/seed0/train.log")]
    text = "\n".join(render(overhead))
    assert "45.0% of the whole study" in text and "Snakemake itself (scheduling, its solver, job shells, the fork server): 13 CPU s" in text
    # Without the cache, only the study's own jobs count.
    assert "reference" not in {row["kind"] for row in study_overhead(study)["rows"]}


def test_study_overhead_of_a_folder_without_benchmark_files_says_so(tmp_path):
    from benchmarks.overhead import study_overhead

    (tmp_path / "train.log").write_text("a job that failed before it finished\n")
    with pytest.raises(FileNotFoundError, match="not a finished study"):
        study_overhead(tmp_path)


def test_overhead_command_on_a_folder_that_is_not_a_study_prints_one_line(tmp_path, capsys):
    from benchmarks.overhead import main as overhead_main

    assert overhead_main([str(tmp_path / "missing")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: no job log under") and err.count("\n") == 1


@pytest.mark.slow
def test_memory_scoring_job_reports_its_own_peak_and_the_metrics_it_computed(tmp_path):
    from benchmarks.extraction import inception_weights
    from benchmarks.memory import measure_scoring
    from benchmarks.table import render

    weights = inception_weights(tmp_path)
    row = measure_scoring(16, threads=1, weights=weights)
    # The child holds the Inception weights, so its peak (in MiB) is at least their size.
    assert row["reference_peak_rss_mib"] > weights.stat().st_size / 2**20
    assert row["peak_rss_mib"] >= row["reference_peak_rss_mib"]
    assert _positive(row["reference_cpu_seconds"]) and _positive(row["scoring_cpu_seconds"])
    assert _positive(row["fid"]) and row["prdc_n"] == 16
    text = render({"memory": {"note": "training jobs", "rows": [], "scoring": row}})
    assert f"peak RSS {round(row['peak_rss_mib'])} MiB" in text and "reference of 16 test images" in text
