"""Tables: content, bold best, escapes, the real-data row, and LaTeX that pdflatex compiles."""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest

from suite.report import published
from suite.report.collect import collect_runs
from suite.report.stats import summarize
from suite.report.tables import (PM, Table, _plain, comparison_view, cost_table, latex_escape, metric_table,
                                 part_cost_table, results_table, to_html, to_latex, to_markdown, write_table)
from tests.report.test_synthetic import DATA, REAL, make_tree

METRICS = ["fid", "domain_is"]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("tables")
    return collect_runs(make_tree(root)["runs"], root / "runs.csv")


@pytest.fixture(scope="module")
def summary(runs):
    return summarize(runs, METRICS, "wgan-gp")


def _cells(table: Table, method: str, arch: str) -> list:
    rows = [r for r in table.rows if r[1] == arch and r[2] == method]
    assert len(rows) == 1
    return rows[0]


def test_results_table_mean_std_and_bold_best(summary):
    table = results_table(summary, METRICS, {DATA: REAL})
    fid_col = table.columns.index("FID")
    cell = _cells(table, "sngan", "dcgan")[fid_col]
    expected = summary[(summary["arch"] == "dcgan") & (summary["method"] == "sngan") & (summary["metric"] == "fid")].iloc[0]
    assert cell == PM(expected["mean"], expected["std"])
    # lowest FID bold in each arch group; highest domain IS bold
    for arch in ("dcgan", "resnet"):
        sub = summary[(summary["arch"] == arch) & (summary["metric"] == "fid")]
        best = sub.loc[sub["mean"].idxmin(), "method"]
        row = next(i for i, r in enumerate(table.rows) if r[1] == arch and r[2] == best)
        assert (row, fid_col) in table.bold
        assert sum(1 for (r, c) in table.bold if c == fid_col and table.rows[r][1] == arch) == 1
        sub = summary[(summary["arch"] == arch) & (summary["metric"] == "domain_is")]
        best = sub.loc[sub["mean"].idxmax(), "method"]
        row = next(i for i, r in enumerate(table.rows) if r[1] == arch and r[2] == best)
        assert (row, fid_col + 1) in table.bold
    real_rows = [r for r in table.rows if r[2] == "real data"]
    assert len(real_rows) == 2 and real_rows[0][fid_col] == PM(REAL["fid"], np.nan)
    md = to_markdown(table)
    assert f"**{expected['mean']:.2f} ± {expected['std']:.2f}**" in md
    assert "| fashion32 | dcgan | real data |  |  |  | 1.25 |" in md


def test_every_metric_table_has_a_real_data_row_and_tests(summary):
    for metric in METRICS:
        table = metric_table(summary, metric, {DATA: REAL}, "wgan-gp")
        assert sum(r[2] == "real data" for r in table.rows) == 2
        assert _cells(table, "wgan-gp", "dcgan")[-1] == "reference"
        p = summary[(summary["arch"] == "dcgan") & (summary["method"] == "wgan-wc") & (summary["metric"] == metric)].iloc[0]
        welch = _cells(table, "wgan-wc", "dcgan")[-2]
        assert welch.startswith(f"{p['p_welch']:.3f}" if p["p_welch"] >= 0.001 else "<0.001")
        assert "real data" in table.numeric["method"].tolist()


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


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex binary not installed")
def test_latex_tables_compile_with_pdflatex(summary, runs, tmp_path):
    tables = [results_table(summary, METRICS, {DATA: REAL}), metric_table(summary, "fid", {DATA: REAL}, "wgan-gp"),
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


def test_median_and_ci_show_the_places_of_the_spread():
    row = {"data": DATA, "arch": "dcgan", "method": "wgan-gp", "metric": "domain_is", "n_seeds": 2, "n_diverged": 0,
           "n_missing": 0, "n": 2, "mean": 1.00006, "std": 1.41e-5, "median": 1.00006, "ci_low": 1.00005,
           "ci_high": 1.00007, "rank": 1.0, "p_welch": np.nan, "p_mwu": np.nan, "p_welch_holm": np.nan,
           "p_mwu_holm": np.nan}
    cells = metric_table(pd.DataFrame([row]), "domain_is", {}, "wgan-gp").rows[0]
    assert _plain(cells[5]) == "1.000060 ± 0.000014"
    assert cells[6:8] == ["1.000060", "[1.000050, 1.000070]"]
