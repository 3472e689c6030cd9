"""The headline paragraph: built from the statistics, so other numbers give other sentences."""

from __future__ import annotations

import json

import pandas as pd

from suite.report.collect import collect_runs
from suite.report.headline import headline
from suite.report.stats import analyze, curve_trends
from tests.report.test_synthetic import DATA, make_tree


def _set_fid(run_root, arch, method, values):
    for seed, value in enumerate(values):
        path = run_root / DATA / arch / method / f"seed{seed}" / "metrics.json"
        record = json.loads(path.read_text())
        record["metrics"]["fid"] = value
        path.write_text(json.dumps(record))


def _study(root, edit=None):
    tree = make_tree(root)
    if edit:
        edit(tree)
    runs = collect_runs(tree["runs"], root / "runs.csv")
    analysis = analyze(runs, ["fid"], "wgan-gp", curve_trends(runs))
    return analysis, headline(analysis, ["fid"], "wgan-gp", n_gen=1000)


def _sentence(sentences, start):
    found = [s for s in sentences if s.startswith(start)]
    assert len(found) == 1, sentences
    return found[0]


def test_two_studies_two_headlines(tmp_path):
    first, one = _study(tmp_path / "a")

    def wgan_wc_wins_on_dcgan(tree):  # the clipped critic now leads by ~10 FID at SD ~1
        _set_fid(tree["run_root"], "dcgan", "wgan-wc", [18.0, 19.5, 20.5])

    second, two = _study(tmp_path / "b", wgan_wc_wins_on_dcgan)
    assert one != two
    dcgan_one = _sentence(one, "On fashion32 / dcgan")
    dcgan_two = _sentence(two, "On fashion32 / dcgan")
    assert dcgan_one.startswith("On fashion32 / dcgan, sngan beats wgan-gp by ")
    assert dcgan_two.startswith("On fashion32 / dcgan, wgan-wc beats sngan by ")
    # the number in the sentence is the computed difference of means
    pair = second.comparisons[second.comparisons["top_pair"] & (second.comparisons["arch"] == "dcgan")].iloc[0]
    assert f"by {-pair['diff']:.1f} FID [" in dcgan_two and f"Holm p = {pair['p_holm']:.3f}" in dcgan_two
    assert _sentence(one, "On fashion32 / resnet") == _sentence(two, "On fashion32 / resnet")  # untouched cells


def test_tied_top_pair_says_so_with_the_seeds_needed(tmp_path):
    def close_race(tree):  # sngan and wgan-gp within 0.3 FID at SD ~2
        _set_fid(tree["run_root"], "dcgan", "sngan", [38.0, 41.0, 42.3])
        _set_fid(tree["run_root"], "dcgan", "wgan-gp", [39.5, 40.0, 42.0])

    analysis, sentences = _study(tmp_path, close_race)
    text = _sentence(sentences, "On fashion32 / dcgan")
    pair = analysis.comparisons[analysis.comparisons["top_pair"] & (analysis.comparisons["arch"] == "dcgan")].iloc[0]
    assert " are not separable on FID at 3 seeds each " in text
    assert f"about {int(pair['seeds_to_separate'])} seeds per method would separate them" in text
    assert pair["seeds_to_separate"] > 3
    marks = analysis.summary[(analysis.summary["arch"] == "dcgan")].set_index("method")["mark"]
    assert marks["sngan"] == marks["wgan-gp"] == "tied"


def test_runs_still_improving_and_sample_size(tmp_path):
    def falling_curves(tree):  # every dcgan/sngan run's domain FID falls steadily to the end
        for seed in range(3):
            path = tree["run_root"] / DATA / "dcgan" / "sngan" / f"seed{seed}" / "curve.csv"
            frame = pd.read_csv(path)
            frame["domain_fid"] = 100.0 - frame["step"] / 2
            frame.to_csv(path, index=False)

    base, before = _study(tmp_path / "a")
    changed, after = _study(tmp_path / "b", falling_curves)
    flagged_before = int((base.trends["improving"] == True).sum())  # noqa: E712
    flagged_after = int((changed.trends["improving"] == True).sum())  # noqa: E712
    assert flagged_after > flagged_before
    sentence = next(s for s in after if "still improving" in s)
    assert sentence.startswith(f"{flagged_after} of 17 runs") and "sngan on dcgan" in sentence
    assert any(s.startswith("FID rests on 1,000 generated images") for s in after)
    assert not any("generated images" in s for s in headline(base, ["fid"], "wgan-gp", n_gen=10_000))


def test_reference_sentence_counts_the_tests(tmp_path):
    analysis, sentences = _study(tmp_path)
    vs = analysis.comparisons[analysis.comparisons["vs_reference"]]
    held = int((vs["p_holm"] < 0.05).sum())
    assert _sentence(sentences, "Against the reference wgan-gp").startswith(
        f"Against the reference wgan-gp, {held} of {len(vs)} FID comparisons hold at Holm p < 0.05")
    assert headline(analysis, [], "wgan-gp") == []


def test_one_seed_cells_cannot_be_compared(tmp_path):
    tree = make_tree(tmp_path)
    runs = collect_runs(tree["runs"], tmp_path / "runs.csv")
    sentences = headline(analyze(runs[runs["seed"] == 0], ["fid"], "wgan-gp"), ["fid"], "wgan-gp")
    assert sentences[0] == "Each cell's FID rests on 1 finished seeds; intervals are Student-t below 10 seeds, BCa bootstrap from 10."
    assert "cannot be compared on FID: 1 seed each, a t-test needs 2 per method." in _sentence(sentences, "On fashion32 / dcgan")


def test_cells_scored_without_the_metric_are_counted_apart_not_as_zero_seeds(tmp_path):
    def no_fid_on_one_cell(tree):
        _set_fid(tree["run_root"], "dcgan", "sngan", [None, None, None])

    analysis, sentences = _study(tmp_path, no_fid_on_one_cell)
    fid = analysis.summary[analysis.summary["metric"] == "fid"]
    assert (fid["n"] == 0).sum() == 1
    assert sentences[0].startswith(f"Each cell's FID rests on {int(fid['n'][fid['n'] > 0].min())} to 3 finished seeds "
                                   "(1 more cell without it);")
