"""Tables: content, bold best, escapes, the real-data row, and LaTeX that pdflatex compiles."""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest

from suite.report import published
from suite.report.collect import collect_runs
from suite.report.stats import analyze
from suite.report.tables import (CI, PM, Table, _plain, comparison_view, comparisons_table, cost_table, latex_escape,
                                 metric_table, part_cost_table, results_table, to_html, to_latex, to_markdown,
                                 write_table)
from tests.report.test_synthetic import DATA, REAL, make_tree

METRICS = ["fid", "domain_is"]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("tables")
    return collect_runs(make_tree(root)["runs"], root / "runs.csv")


@pytest.fixture(scope="module")
def analysis(runs):
    return analyze(runs, METRICS, "wgan-gp")


@pytest.fixture(scope="module")
def summary(analysis):
    return analysis.summary


def _cells(table: Table, method: str, arch: str) -> list:
    rows = [r for r in table.rows if r[1] == arch and r[2] == method]
    assert len(rows) == 1
    return rows[0]


def test_results_table_intervals_with_n_and_earned_best(summary):
    table = results_table(summary, METRICS, {DATA: REAL})
    fid_col = table.columns.index("FID")
    cell = _cells(table, "sngan", "dcgan")[fid_col]
    expected = summary[(summary["arch"] == "dcgan") & (summary["method"] == "sngan") & (summary["metric"] == "fid")].iloc[0]
    assert cell == CI(expected["mean"], expected["ci_low"], expected["ci_high"], 3, "t", expected["std"], "best")
    # FID: sngan beats every other method on both archs (bold); domain IS: nobody earns it, the leader is
    # tied with each method it does not beat (here both others)
    for arch in ("dcgan", "resnet"):
        row = next(i for i, r in enumerate(table.rows) if r[1] == arch and r[2] == "sngan")
        assert {(r, c) for (r, c) in table.bold if table.rows[r][1] == arch} == {(row, fid_col)}
        tied = [r[2] for r in table.rows if r[1] == arch and isinstance(r[fid_col + 1], CI) and r[fid_col + 1].mark == "tied"]
        assert len(tied) == 3
    real_rows = [r for r in table.rows if r[2] == "real data"]
    assert len(real_rows) == 2 and real_rows[0][fid_col] == PM(REAL["fid"], np.nan)
    md = to_markdown(table)
    assert f"**{expected['mean']:.2f} [{expected['ci_low']:.2f}, {expected['ci_high']:.2f}] n=3**" in md
    assert "| fashion32 | dcgan | real data |  |  |  | 1.25 |" in md
    assert " n=3 tied |" in md and "Student-t 95% interval" in md


def test_metric_tables_have_real_rows_and_comparisons_their_tests(analysis):
    summary, comparisons = analysis.summary, analysis.comparisons
    for metric in METRICS:
        table = metric_table(summary, metric, {DATA: REAL}, "wgan-gp", n_gen=1000)
        assert sum(r[2] == "real data" for r in table.rows) == 2
        assert "real data" in table.numeric["method"].tolist()
        assert ("Scored on 1,000 generated images" in table.note) == (metric == "fid")
    table = comparisons_table(comparisons, "fid", "wgan-gp")
    c = comparisons[(comparisons["arch"] == "dcgan") & (comparisons["method"] == "wgan-wc") & (comparisons["metric"] == "fid")].iloc[0]
    row = next(r for r in table.rows if r[1] == "dcgan" and r[2] == "wgan-wc")
    assert row[3:6] == ["wgan-gp", "vs wgan-gp", "3 / 3"]
    assert _plain(row[6]) == f"{c['diff']:.2f} [{c['diff_low']:.2f}, {c['diff_high']:.2f}]"
    assert row[8] == f"{c['p_welch']:.3f}" and row[9] == f"{c['p_holm']:.3f}"
    assert row[10] == "too few seeds for a rank test" and row[11] == "differs"
    top = next(r for r in table.rows if r[1] == "dcgan" and r[2] == "sngan")
    assert top[4] == "vs wgan-gp, leader vs runner-up" and top[11] == "sngan better"
    tied = comparisons_table(comparisons, "domain_is", "wgan-gp")
    verdicts = [r[11] for r in tied.rows if r[4].endswith("leader vs runner-up")]
    assert len(verdicts) == 2 and all(v.startswith("tied (~") and "seeds per method would separate them" in v
                                      for v in verdicts)


def test_cost_table_uses_cpu_seconds_when_every_run_recorded_them(runs):
    """Wall seconds of runs that shared the cores are inflated; CPU seconds are not, so they set the ratios."""
    loaded = runs.assign(cpu_seconds_per_step=runs["seconds_per_step"] / 2,
                         seconds_per_step=runs["seconds_per_step"] * np.where(np.arange(len(runs)) % 2, 3.0, 1.0))
    table = cost_table(loaded, "wgan-gp")
    col = table.columns.index("CPU s / step")
    expected = loaded.groupby(["arch", "method"])["cpu_seconds_per_step"].mean()
    for (arch, method), mean in expected.items():
        assert _cells(table, method, arch)[col].mean == pytest.approx(mean)
    assert _cells(table, "sngan", "dcgan")[table.columns.index("x wgan-gp")] == pytest.approx(0.74 / 1.09)
    assert "CPU time" in table.note


def test_cost_table_seconds_per_step(runs):
    table = cost_table(runs, "wgan-gp")
    expected = runs.groupby(["arch", "method"])["seconds_per_step"].agg(["mean", "std"])
    col = table.columns.index("s / step")
    for (arch, method), exp in expected.iterrows():
        assert _cells(table, method, arch)[col] == PM(pytest.approx(exp["mean"]), pytest.approx(exp["std"]))
        ratio = exp["mean"] / expected.loc[(arch, "wgan-gp"), "mean"]
        assert _cells(table, method, arch)[table.columns.index("x wgan-gp")] == pytest.approx(ratio)
    sngan = _cells(table, "sngan", "dcgan")
    assert sngan[table.columns.index("x fastest")] == pytest.approx(1.0)
    assert sngan[table.columns.index("x wgan-gp")] == pytest.approx(0.74 / 1.09)
    assert _cells(table, "wgan-gp", "dcgan")[table.columns.index("x fastest")] == pytest.approx(1.09 / 0.74)
    assert (table.rows.index(sngan), 5) in table.bold
    for text in (to_markdown(table), to_latex(table), to_html(table)):
        assert "x wgan-gp" in text and "x fastest" in text and "0.74" in text


def test_latex_escapes_and_booktabs():
    assert latex_escape("wgan_gp 50% R&D #1") == r"wgan\_gp 50\% R\&D \#1"
    table = Table("t_x", "a_b & c", ["method_name", "FID"], [["wgan_gp", PM(12.345, 0.5)], ["50%", PM(1.0, np.nan)]],
                  pd.DataFrame(), bold={(0, 1)})
    tex = to_latex(table)
    assert r"\toprule" in tex and r"\midrule" in tex and r"\bottomrule" in tex
    assert r"wgan\_gp & \textbf{12.35} $\pm$ \textbf{0.50} \\" in tex
    assert r"50\% & 1.00 \\" in tex and r"a\_b \& c" in tex


def test_comparison_table_carries_protocol_and_citation(summary):
    papers = published.load_published()
    entries = [{"paper": "sngan-table2", "row": "WGAN-GP", "data": DATA, "arch": "dcgan", "method": "wgan-gp"},
               {"paper": "sngan-table2", "row": "real data", "data": DATA, "method": "real data"}]
    comp = published.comparison_table(entries, summary, {DATA: REAL}, ours_protocol="1000 vs 1000 test")
    fid = comp[(comp["paper_row"] == "WGAN-GP") & (comp["metric"] == "fid")].iloc[0]
    ours = summary[(summary["arch"] == "dcgan") & (summary["method"] == "wgan-gp") & (summary["metric"] == "fid")].iloc[0]
    assert (fid["published"], fid["ours_mean"], fid["ours_n"]) == (40.2, ours["mean"], 3)
    assert "5,000 test" in fid["protocol"] and "Miyato" in fid["citation"]
    real_fid = comp[(comp["paper_row"] == "real data") & (comp["metric"] == "fid")].iloc[0]
    assert (real_fid["published"], real_fid["ours_mean"]) == (7.8, REAL["fid"])
    assert set(comp["metric"]) == {"fid", "is_mean"}
    html = to_html(comparison_view(comp))
    assert "Miyato" in html and "1000 vs 1000 test" in html and "40.20" in html
    with pytest.raises(published.ConfigError, match="allowed"):
        published.comparison_table([{"paper": "nope", "row": "x"}], summary, {})


def test_published_yaml_holds_the_notes_numbers():
    papers = published.load_published()
    sn = papers["sngan-table2"]["rows"]
    assert sn["real data"] == {"is_mean": 11.24, "fid": 7.8}
    assert sn["ResNet SN-GAN, hinge loss"]["fid_std"] == 0.21
    assert papers["wgan-gp"]["rows"]["WGAN-GP ResNet"]["is_mean"] == 7.86
    assert papers["kurach-2019"]["rows"]["spectral norm"]["fid"] == 22.91
    assert all({"citation", "protocol", "data", "rows"} <= set(p) for p in papers.values())


def part_costs(arch: str, seconds: dict[str, float]) -> dict:
    """A suite.costs.part_costs record with the given seconds per iteration per part."""
    return {"preset": "wgan-gp", "n_dis": 5, "data": DATA, "arch": arch, "arch_spec": {}, "batch_size": 64,
            "iterations": 2, "repeats": 3,
            "rows": [{"part": part, "constraint": "none", "d_norm": "none", "seconds_per_iteration": value,
                      "relative_to_none": value / seconds["none"]} for part, value in seconds.items()]}


PART_COSTS = [part_costs("dcgan", {"none": 1.0, "clip": 0.96, "gp": 1.77, "gp-fd": 1.43, "sn": 1.01}),
              part_costs("resnet", {"none": 2.0, "clip": 2.1, "gp": 4.0, "gp-fd": 3.0, "sn": 2.0})]


def test_part_cost_table_one_block_per_arch():
    table = part_cost_table(PART_COSTS)
    assert [(r[1], r[2], r[6]) for r in table.rows[:5]] == [("dcgan", "none", 1.0), ("dcgan", "clip", 0.96),
                                                            ("dcgan", "gp", 1.77), ("dcgan", "gp-fd", 1.43),
                                                            ("dcgan", "sn", 1.01)]
    assert table.rows[7][1:3] == ["resnet", "gp"] and table.rows[7][6] == pytest.approx(2.0)
    assert table.group_starts == {0, 5}
    assert list(table.numeric.columns[:4]) == ["data", "arch", "batch_size", "part"] and len(table.numeric) == 10
    for text in (to_markdown(table), to_latex(table), to_html(table)):
        assert "x none" in text and "gp-fd" in text and "1.77" in text
    assert "CPU s / step" in table.columns and "CPU seconds" in table.note


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex binary not installed")
def test_latex_tables_compile_with_pdflatex(summary, runs, tmp_path):
    tables = [results_table(summary, METRICS, {DATA: REAL}), metric_table(summary, "fid", {DATA: REAL}, "wgan-gp", 1000),
              comparisons_table(analyze(runs, METRICS, "wgan-gp").comparisons, "fid", "wgan-gp"),
              cost_table(runs, "wgan-gp"), part_cost_table(PART_COSTS)]
    entries = [{"paper": "sngan-table2", "row": "SN-GAN, hinge loss", "data": DATA, "arch": "dcgan", "method": "sngan"}]
    tables.append(comparison_view(published.comparison_table(entries, summary, {DATA: REAL}, "n_gen 1000 & 50%")))
    inputs = []
    for table in tables:
        paths = write_table(table, tmp_path)
        inputs.append(rf"\input{{{paths['tex'].name}}}")
    doc = "\n".join([r"\documentclass{article}", r"\usepackage[margin=1cm,landscape]{geometry}",
                     r"\usepackage{booktabs}", r"\usepackage[T1]{fontenc}", r"\begin{document}", *inputs,
                     r"\end{document}"])
    (tmp_path / "doc.tex").write_text(doc)
    proc = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "doc.tex"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert (tmp_path / "doc.pdf").stat().st_size > 1000
    assert "Undefined control sequence" not in proc.stdout


def test_median_and_interval_show_the_places_of_the_spread():
    row = {"data": DATA, "arch": "dcgan", "method": "wgan-gp", "metric": "domain_is", "n_seeds": 2, "n_diverged": 0,
           "n_missing": 0, "n": 2, "mean": 1.00006, "std": 1.41e-5, "median": 1.00006, "ci_low": 1.00005,
           "ci_high": 1.00007, "ci_method": "t", "rank": 1.0, "mark": "", "sampling_sd": np.nan, "dominant": "",
           "n_improving": 1, "n_trend_unknown": 0}
    cells = metric_table(pd.DataFrame([row]), "domain_is", {}, "wgan-gp").rows[0]
    assert _plain(cells[4]) == "1.000060 [1.000050, 1.000070] n=2"
    assert cells[5:7] == ["0.000014", "1.000060"] and cells[-1] == "still improving (1 of 2)"
    one = CI(40.123, np.nan, np.nan, 1, "1 seed")
    assert _plain(one) == "40.12 1 seed" and "$" not in to_latex(Table("t", "t", ["x"], [[one]], pd.DataFrame()))


def test_variance_split_columns_where_sampling_se_exists(runs):
    summary = analyze(runs.assign(fid_sampling_se=0.1), ["fid"], "wgan-gp").summary
    table = metric_table(summary, "fid", {}, "wgan-gp")
    assert table.columns[5:8] == ["seed SD", "sampling SD", "dominates"]
    row = _cells(table, "sngan", "dcgan")
    assert row[6] == "0.10" and row[7] == "training seeds" and "sampling SD" in table.note
    assert "sampling SD" not in metric_table(analyze(runs, ["fid"], "wgan-gp").summary, "fid", {}, "wgan-gp").columns


def test_kid_beside_fid(runs, analysis):
    assert "KID [95% interval]" not in metric_table(analysis.summary, "fid", {}, "wgan-gp").columns  # not scored
    summary = analyze(runs, ["fid", "kid_mean"], "wgan-gp").summary
    table = metric_table(summary, "fid", {}, "wgan-gp")
    kid = summary[(summary["arch"] == "dcgan") & (summary["method"] == "sngan") & (summary["metric"] == "kid_mean")].iloc[0]
    assert table.columns[-1] == "KID [95% interval]"
    assert _cells(table, "sngan", "dcgan")[-1].mean == kid["mean"]
