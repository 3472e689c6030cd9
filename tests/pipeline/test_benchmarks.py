"""The benchmark's --quick mode on tiny sizes: every section writes finite positive numbers under the expected keys.

Speeds are reported as ratios by the benchmark itself, never asserted here."""

import json
import math

import pytest

from benchmarks.run import main


def _positive(value):
    return isinstance(value, (int, float)) and math.isfinite(value) and value > 0


@pytest.mark.slow
def test_quick_benchmark_writes_every_section(tmp_path, capsys):
    out = tmp_path / "bench"
    main(["--quick", "--presets", "dcgan-bn", "--iterations", "1", "--repeats", "1", "--batch-size", "4",
          "--format-batches", "2", "4", "--inception-n", "2", "--inception-batch", "2", "--domain-n", "16", "--threads", "1",
          "--out", str(out)])
    assert sorted(p.name for p in out.glob("*.json")) == ["domain.json", "formats.json", "inception.json",
                                                         "parts.json", "training.json"]
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
    assert formats["formats"] == ["fp32", "channels_last", "bf16", "channels_last+bf16"]
    assert row["fp32_vs_fp32"] == 1.0
    assert all(_positive(row[f"{name}_seconds_per_iteration"]) and _positive(row[f"{name}_vs_fp32"])
               for name in formats["formats"])
    assert [(r["batch_size"], _positive(r["images_per_second"])) for r in formats["batch_rows"]] == [(2, True),
                                                                                                  (4, True)]
    inception = json.loads((out / "inception.json").read_text())
    for key in ("suite_channels_last_images_per_second", "suite_contiguous_images_per_second",
                "bare_module_images_per_second", "bare_torchscript_images_per_second",
                "ratio_bare_module_to_suite", "channels_last_speedup"):
        assert _positive(inception[key]), key
    domain = json.loads((out / "domain.json").read_text())
    assert _positive(domain["domain_images_per_second"])
    for section in (training, parts, formats, inception, domain):
        assert section["environment"]["threads"] == 1 and len(section["environment"]["load_average"]) == 3
    table = capsys.readouterr().out
    assert "suite/bare" in table and "vs none" in table and "relative to fp32" in table and "domain metrics" in table
