"""The published comparison: which rows pair with which runs, and the comparability rule."""
import numpy as np
import pandas as pd
import pytest

from suite.config import load_study
from suite.report.published import comparison_table, differences, load_published, matching_entries

CIFAR_PAPER = {
    "toy-paper": {
        "citation": "A. Author, A Paper, 2020, Table 1",
        "data": "cifar10", "resolution": 32,
        "protocol": "FID 10,000 generated vs 5,000 test",
        "measure": {"fid": {"n_gen": 10000, "n_ref": 5000, "ref_split": "test"},
                    "is_mean": {"n_gen": 5000, "is_splits": 10}},
        "arch": {"text": "standard CNN, width 64", "family": "dcgan",
                 "spec": {"family": "dcgan", "width": 64}},
        "ours": {"real data": "real data", "GP": "wgan-gp",
                 "clip": {"method": "wgan-wc", "differs": "their loss is the standard GAN loss"}},
        "rows": {"real data": {"fid": 7.8}, "GP": {"fid": 40.2, "is_mean": 6.68}, "clip": {"fid": 42.6},
                 "unmatched": {"fid": 1.0}},
    }
}


def study(n_gen=10000, n_ref=5000, width=64, data=("cifar10", "fashion32")):
    """A resolved-study-like config: one grid of wgan-gp and wgan-wc on dcgan, and a study variant."""
    return {
        "archs": {"cnn": {"family": "dcgan", "width": width}, "res": {"family": "resnet", "width": 8}},
        "methods": {"wgan-gp-variant": {"preset": "wgan-gp", "lambda_gp": 1.0}},
        "evaluate": {"n_gen": n_gen, "n_ref": n_ref, "ref_split": "test", "is_splits": 10},
        "grids": [{"data": list(data), "archs": ["cnn", "res"],
                   "methods": ["wgan-gp", "wgan-wc", "wgan-gp-variant"]}],
    }


def summary_for(cells, value=33.0):
    return pd.DataFrame([{"data": d, "arch": a, "method": m, "metric": metric, "mean": value + i,
                          "std": 1.5, "n": 3}
                         for i, (d, a, m) in enumerate(cells) for metric in ("fid", "is_mean")])


def test_fashion_mnist_against_a_cifar10_number_is_not_comparable():
    theirs = {"data": "cifar10", "resolution": 32, "n_gen": 10000, "n_ref": 5000, "ref_split": "test",
              "arch": {"spec": {"family": "dcgan", "width": 64}}}
    ours = {"data": "fashion-mnist", "resolution": 32, "n_gen": 10000, "n_ref": 5000,
            "ref_split": "test", "arch": {"family": "dcgan", "width": 64}}
    assert differences(ours, theirs, "fid") == ["data: ours fashion-mnist, theirs cifar10"]
    assert differences({**ours, "data": "cifar10"}, theirs, "fid") == []
    # a different n, reference split or width each break it, and each is named
    found = differences({**ours, "data": "cifar10", "n_gen": 256, "ref_split": "train",
                         "arch": {"family": "dcgan", "width": 16}}, theirs, "fid")
    assert found == ["n_gen: ours 256, theirs 10000", "ref_split: ours train, theirs test",
                     "architecture: ours dcgan width 16, theirs dcgan width 64"]
    # IS does not depend on the reference set: n_ref is not compared for it
    assert differences({**ours, "data": "cifar10", "n_ref": 1}, {**theirs, "n_gen": 10000}, "is_mean") == []


def test_unknown_protocol_or_unreproduced_arch_is_not_comparable():
    theirs = {"data": "cifar10", "n_gen": 10000, "arch": {"text": "InfoGAN-style CNN", "family": "dcgan"}}
    ours = {"data": "cifar10", "n_gen": None, "arch": {"family": "dcgan", "width": 64}}
    assert differences(ours, theirs, "fid") == [
        "n_gen: ours not given, theirs 10000",
        "architecture: ours dcgan width 64, theirs InfoGAN-style CNN"]
    # per-net widths are compared net by net: SN-GAN's ResNet is 256 in G and 128 in D
    resnet = {"spec": {"family": "resnet", "g_width": 256, "d_width": 128}}
    assert differences({"arch": {"family": "resnet", "width": 128}}, {"arch": resnet}, "fid") == [
        "architecture: ours resnet width 128, theirs resnet G width 256 / D width 128"]
    assert differences({"arch": {"family": "resnet", "width": 128, "g_width": 256}}, {"arch": resnet}, "fid") == []


def test_true_pairs_each_row_with_runs_of_its_preset_and_arch_family():
    entries = matching_entries(study(), CIFAR_PAPER)
    pairs = {(e["row"], e["data"], e.get("arch"), e["method"]) for e in entries}
    assert pairs == {("real data", "cifar10", None, "real data"), ("real data", "fashion32", None, "real data"),
                     ("GP", "cifar10", "cnn", "wgan-gp"), ("GP", "fashion32", "cnn", "wgan-gp"),
                     ("clip", "cifar10", "cnn", "wgan-wc"), ("clip", "fashion32", "cnn", "wgan-wc")}
    # the study's own variant of wgan-gp and the resnet arch (another family) are not paired


def test_comparison_table_marks_each_row_from_both_protocols():
    cells = [("cifar10", "cnn", "wgan-gp"), ("fashion32", "cnn", "wgan-gp"), ("cifar10", "cnn", "wgan-wc")]
    table = comparison_table(True, summary_for(cells), {"cifar10": {"fid": 3.0}}, papers=CIFAR_PAPER,
                             study=study())
    by = {(r.paper_row, r.data, r.metric): r for r in table.itertuples()}
    gp = by[("GP", "cifar10", "fid")]
    assert (gp.ours_mean, gp.ours_std, gp.ours_n, gp.published) == (33.0, 1.5, 3, 40.2)
    assert gp.comparable and gp.differences == ""
    assert "n_gen 10000; n_ref 5000; ref_split test" in gp.ours_protocol and "dcgan width 64" in gp.ours_protocol
    # the IS row is measured on 5,000 samples in the paper, on 10,000 here
    assert not by[("GP", "cifar10", "is_mean")].comparable
    assert by[("GP", "cifar10", "is_mean")].differences == "n_gen: ours 10000, theirs 5000"
    fashion = by[("GP", "fashion32", "fid")]
    assert (fashion.ours_mean, fashion.comparable) == (34.0, False)
    assert fashion.differences == "data: ours fashion-mnist, theirs cifar10"
    clip = by[("clip", "cifar10", "fid")]
    assert not clip.comparable and clip.differences == "method: their loss is the standard GAN loss"
    real = by[("real data", "cifar10", "fid")]
    assert (real.ours_mean, real.ours_n, real.comparable) == (3.0, 1, True)
    assert not by[("real data", "fashion32", "fid")].comparable
    # a run cell that never finished still gets its row, with no number
    missing = by[("clip", "fashion32", "fid")]
    assert np.isnan(missing.ours_mean) and missing.ours_n == 0
    # the same study at n 256 (the default study's size) is comparable nowhere
    small = comparison_table(True, summary_for(cells), {}, papers=CIFAR_PAPER, study=study(256, 256))
    assert not small["comparable"].any()


def test_default_study_shows_lucic_fashion_mnist_as_context_not_comparable():
    config = load_study("configs/default.yaml").config
    assert config["report"]["paper_comparison"] is True
    cells = [("fashion32", "dcgan", m) for m in ("wgan-gp", "wgan-wc", "dcgan-bn", "sngan")]
    table = comparison_table(True, summary_for(cells), {}, study=config)
    lucic = table[table["paper"] == "lucic-2018"]
    assert set(lucic["paper_row"]) == {"WGAN-GP", "WGAN (weight clipping)", "non-saturating GAN"}
    assert set(lucic["arch"]) == {"dcgan"}
    gp = lucic[lucic["paper_row"] == "WGAN-GP"].iloc[0]
    assert (gp["published"], gp["published_std"]) == (24.5, 2.1)
    assert "resolution: ours 32, theirs 28" in gp["differences"]
    assert "n_gen: ours 256, theirs 10000" in gp["differences"]
    # CIFAR-10 numbers are shown beside Fashion-MNIST runs only as not comparable
    cifar = table[table["paper"] == "sngan-table2"]
    assert len(cifar) and not cifar["comparable"].any()
    assert cifar["differences"].str.contains("data: ours fashion-mnist, theirs cifar10").all()
    assert not table["comparable"].any()


def test_published_yaml_rows_with_a_counterpart_name_real_presets_and_archs():
    from suite.methods import PRESETS
    from suite.models import resolve_arch

    for key, paper in load_published().items():
        for label, match in (paper.get("ours") or {}).items():
            assert label in paper["rows"], (key, label)
            method = match if isinstance(match, str) else match["method"]
            assert method == "real data" or method in PRESETS, (key, method)
        for arch in [paper.get("arch") or {}, *(paper.get("row_arch") or {}).values()]:
            if arch.get("spec"):
                assert resolve_arch(arch["spec"])[0].name == arch["family"]


@pytest.mark.parametrize("config", ["configs/default.yaml", "configs/cifar10-paper.yaml"])
def test_shipped_studies_turn_the_comparison_on(config):
    assert load_study(config).config["report"]["paper_comparison"] is True
