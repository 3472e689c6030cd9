"""build_report end to end on a synthetic run tree: files, links, lists, and a headless Chromium render."""

from __future__ import annotations

import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlparse

import pandas as pd
import pytest

from suite.errors import ConfigError, DataMissingError
from suite.report import build_report, collect_runs
from suite.report.build import generated_n, present_prdc, protocol_line, reference_method, report_metrics
from suite.report.figures import KINDS
from tests.report.test_synthetic import DATA, DIVERGED, EXPERIMENT, METHODS, REAL, make_tree

MISSING = ("dcgan", "sngan", 2)
STUDY = {
    "experiment": EXPERIMENT,
    "methods": list(METHODS),
    "report": {"metrics": ["fid", "domain_is"],
               "paper_comparison": [{"paper": "sngan-table2", "row": "WGAN-GP", "data": DATA, "arch": "dcgan",
                                     "method": "wgan-gp"}]},
}
TABLES = ("results", "metric_fid", "comparisons_fid", "metric_domain_is", "comparisons_domain_is", "paper_comparison",
          "cost")


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links, self.imgs, self.table_ids = [], [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for key in ("src", "href"):
            if attrs.get(key):
                self.links.append(attrs[key])
        if tag == "img":
            self.imgs.append(attrs)
        if tag == "table" and attrs.get("id"):
            self.table_ids.append(attrs["id"])


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    root = tmp_path_factory.mktemp("build")
    tree = make_tree(root)
    arch, method, seed = MISSING
    (tree["run_root"] / DATA / arch / method / f"seed{seed}" / "metrics.json").unlink()
    runs_csv = root / "results" / EXPERIMENT / "runs.csv"
    runs = collect_runs(tree["runs"], runs_csv, missing_ok=True)
    index = build_report(runs_csv, tree["report_dir"], STUDY, tree["real"])
    return {**tree, "index": index, "table": runs, "html": index.read_text(encoding="utf-8")}


def test_index_holds_every_table_and_table_files(report):
    parser = Links()
    parser.feed(report["html"])
    assert parser.table_ids[:len(TABLES)] == [f"table-{t}" for t in TABLES]
    tables = report["report_dir"] / "tables"
    for name in TABLES:
        for ext in ("csv", "md", "tex", "html"):
            assert (tables / f"{name}.{ext}").stat().st_size > 0
    assert report["html"].count('class="real"') >= 2 * 3  # a real-data row per (data, arch) in each metric table


def test_page_opens_with_the_headline(report):
    text = report["html"]
    body = text[text.index("<body>"):]
    assert body.index('<section id="headline">') < body.index('<section id="overview">') < body.index('id="tables"')
    paragraph = re.search(r'<p class="headline">(.*?)</p>', text).group(1)
    # resnet: sngan wins at 3 seeds each; dcgan: its missing seed leaves 2 vs 3, not separable at Holm p < 0.05
    assert "On fashion32 / resnet, sngan beats wgan-gp by " in paragraph and "Holm p = " in paragraph
    assert "On fashion32 / dcgan, sngan and wgan-gp are not separable on FID at 2 and 3 seeds" in paragraph
    assert "FID rests on 1,000 generated images, under 10,000" in paragraph
    tables = report["report_dir"] / "tables"
    comparisons = pd.read_csv(tables / "comparisons.csv")
    assert set(comparisons["metric"]) == {"fid", "domain_is"} and comparisons["p_holm"].notna().all()
    assert len(pd.read_csv(tables / "trends.csv")) == 16  # ok runs with a curve (1 diverged, 1 missing)


def test_claims_table_comes_right_under_the_headline(report):
    text = report["html"]
    body = text[text.index("<body>"):]
    assert body.index('<section id="headline">') < body.index('<section id="claims">') < body.index('<section id="overview">')
    tables = report["report_dir"] / "tables"
    claims = pd.read_csv(tables / "claims.csv")
    assert len(claims) >= 10 and all((tables / f"claims.{suffix}").is_file() for suffix in ("md", "tex", "html"))
    assert set(claims["verdict"]) <= {"reproduced", "contradicted", "inconclusive", "not run"}
    # The synthetic study runs no toy grid and no CIFAR-10: those claims say which config runs them.
    table2 = claims[claims["id"].str.contains("table2")].iloc[0]
    assert table2["verdict"] == "not run" and "cifar10-paper.yaml" in table2["reason"]
    section = body[body.index('<section id="claims">'):body.index('<section id="overview">')]
    assert f"{len(claims)} registered claims" in section and section.count("<tr") == len(claims) + 1


def test_prdc_table_and_the_generated_n(report):
    runs = report["table"].drop(columns=["n_gen", "precision"], errors="ignore")
    assert present_prdc(runs.assign(precision=0.5, recall=float("nan")), ["fid"]) == ["precision"]
    assert generated_n(runs.assign(n_gen=2000.0), []) == 2000.0
    records = [{"metrics": {"fid": 3.0}, "protocol": {"n_gen": 1000}}, {"metrics": {"fid": None}, "protocol": {"n_gen": 50}}]
    assert generated_n(runs, records) == 1000.0 and generated_n(runs, records[1:]) is None
    # Inception on the first 256 images, the domain classifier on all 2,000; a record from before the domain
    # FID kept its own count scored it on all n_gen
    runs = runs.drop(columns=["domain_n_gen", "domain_fid"], errors="ignore")
    records = [{"metrics": {"fid": 3.0, "domain_fid": 9.0}, "protocol": {"n_gen": 256, "domain_n_gen": 2000}},
               {"metrics": {"domain_fid": 8.0}, "protocol": {"n_gen": 3000}}]
    assert generated_n(runs, records, "fid") == 256.0 and generated_n(runs, records, "domain_fid") == 2000.0
    assert generated_n(runs, records[1:], "domain_fid") == 3000.0
    table = runs.assign(fid=3.0, domain_fid=9.0, n_gen=256.0, domain_n_gen=[2000.0] + [float("nan")] * (len(runs) - 1))
    assert generated_n(table, [], "domain_fid") == 256.0  # the rows without their own count fall back to n_gen


def test_every_link_is_relative_and_resolves(report):
    parser = Links()
    parser.feed(report["html"])
    files = [link for link in parser.links if not link.startswith("#")]
    assert len(files) > 20
    for link in files:
        parsed = urlparse(link)
        assert not parsed.scheme and not parsed.netloc and not link.startswith("/"), link
        assert (report["index"].parent / unquote(parsed.path)).is_file(), link
    anchors = {a[1:] for a in parser.links if a.startswith("#")}
    assert all(f'id="{a}"' in report["html"] for a in anchors)


def test_figures_of_every_kind_png_and_pdf(report):
    figures = report["report_dir"] / "figures"
    for stem in ("metric_by_method/metric_fid_fashion32_dcgan", "metric_by_method/metric_domain_is_fashion32_resnet",
                 "curve/curve_domain_is_fashion32_dcgan", "losses/losses_fashion32_resnet",
                 "grad_norms/grad_norms_fashion32_dcgan", "weights/weights_fashion32_dcgan",
                 "sigmas/sigmas_fashion32_dcgan"):
        for ext in ("png", "pdf"):
            assert (figures / f"{stem}.{ext}").stat().st_size > 1000, stem
    # the resnet runs have no diagnostics/: those figures are skipped, the rest still made
    assert not list(figures.glob("*/grad_norms_*resnet*")) and not list(figures.glob("*/sigmas_*resnet*"))
    # curve.csv has no fid column: no FID curve
    assert not list(figures.glob("curve/curve_fid_*"))
    samples = sorted(p.name for p in (figures / "samples").glob("samples_*.png"))
    assert len(samples) == 6
    source = report["run_root"] / DATA / "dcgan" / "wgan-gp" / "seed0" / "samples.png"
    assert (figures / "samples" / "samples_fashion32_dcgan_wgan-gp.png").read_bytes() == source.read_bytes()


def test_lists_protocol_versions_and_config(report):
    text = report["html"]
    arch, method, seed = DIVERGED
    assert f"{DATA}/{arch}/{method}/seed{seed}: diverged at step 40" in text
    arch, method, seed = MISSING
    assert f"{DATA}/{arch}/{method}/seed{seed} (" in text and "Missing runs (1)" in text
    results = pd.read_csv(report["report_dir"] / "tables" / "results.csv").set_index(["arch", "method"])
    assert results.loc[(arch, method), "n_missing"] == 1 and results["n_missing"].sum() == 1
    assert f"| {DATA} | {arch} | {method} | 2 | 0 | 1 |" in (report["report_dir"] / "tables" / "results.md").read_text()
    assert "is_mean: no 1008-way logits weights offline (17 runs)" in text
    assert "inception-v3-compat" in text and "3.5, 4.5, 5.5" in text  # protocol values across runs
    assert "python (report)" in text and "torch (runs)" in text
    assert "paper_comparison:" in text and "- wgan-gp" in text  # the study config as YAML
    assert "Miyato" in text and "40.20" in text


def test_table_numbers_match_the_runs(report):
    fid = pd.read_csv(report["report_dir"] / "tables" / "metric_fid.csv")
    runs = report["table"]
    ok = runs[(runs["status"] == "ok") & (runs["arch"] == "resnet") & (runs["method"] == "wgan-wc")]
    got = fid[(fid["arch"] == "resnet") & (fid["method"] == "wgan-wc")].iloc[0]
    assert got["mean"] == pytest.approx(ok["fid"].mean()) and got["n"] == 2 and got["n_diverged"] == 1
    real = fid[fid["method"] == "real data"]
    assert real["mean"].tolist() == [REAL["fid"]] * 2
    assert len(pd.read_csv(report["report_dir"] / "tables" / "summary.csv")) == 6 * 2


def test_defaults_and_config_errors(report):
    runs = report["table"]
    assert reference_method({"methods": ["sngan", "wgan-gp"]}, runs) == "sngan"
    assert reference_method({"methods": {"wgan-wc": {}}}, runs) == "wgan-wc"
    grids = {"methods": {"custom": {"preset": "sngan"}}, "grids": [{"methods": ["wgan-wc", "sngan"]}]}
    assert reference_method(grids, runs) == "wgan-wc"  # grid order; a method without runs is passed over
    assert reference_method({}, runs) == "wgan-gp"  # first method in the runs table
    assert reference_method({"report": {"reference_method": "sngan"}}, runs) == "sngan"
    assert report_metrics({}, runs) == ["fid", "kid_mean", "domain_fid", "domain_is"]  # IS is null everywhere
    with pytest.raises(ConfigError, match="allowed"):
        report_metrics({"report": {"metrics": ["fid", "lpips"]}}, runs)
    with pytest.raises(DataMissingError, match="real-data metrics"):
        build_report(report["report_dir"].parent / "runs.csv", report["report_dir"] / "x",
                     STUDY, {DATA: Path("/nonexistent/real_metrics.json")})


def test_optional_inputs_absent_skip_their_figures(tmp_path):
    tree = make_tree(tmp_path)
    for run in tree["runs"]:
        for name in ("train.csv", "curve.csv", "samples.png"):
            (run / name).unlink()
        shutil.rmtree(run / "diagnostics", ignore_errors=True)
    runs_csv = tmp_path / "runs.csv"
    collect_runs(tree["runs"], runs_csv)
    index = build_report(runs_csv, tmp_path / "report", {"report": {"metrics": ["fid"]}})
    figures = tmp_path / "report" / "figures"
    made = sorted(p.relative_to(figures).as_posix() for p in figures.rglob("*.*"))
    assert made == sorted(f"metric_by_method/metric_fid_fashion32_{a}.{e}" for a in ("dcgan", "resnet") for e in ("png", "pdf"))
    assert sorted(p.name for p in figures.iterdir()) == sorted(KINDS)  # every kind's folder, empty or not
    text = index.read_text()
    assert "real-data floor</th><td>not given" in text and 'id="fig-losses"' not in text


@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium binary not installed")
def test_headless_chromium_renders_tables_and_images(report, tmp_path):
    flags = ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / 'profile'}"]
    shot = tmp_path / "report.png"
    subprocess.run(flags + [f"--screenshot={shot}", "--window-size=1200,3000", report["index"].as_uri()],
                   capture_output=True, timeout=90, check=True)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
    # a probe copy of the page records each image's natural size once loaded
    probe = report["index"].with_name("probe.html")
    script = ("<script>window.addEventListener('load', () => { for (const img of document.images) "
              "{ img.setAttribute('data-natural', img.naturalWidth + 'x' + img.naturalHeight); } });</script>")
    probe.write_text(report["html"].replace("</body>", script + "</body>"), encoding="utf-8")
    dom = subprocess.run(flags + ["--dump-dom", "--virtual-time-budget=10000", probe.as_uri()],
                         capture_output=True, text=True, timeout=90, check=True).stdout
    probe.unlink()
    for name in TABLES:
        assert f'id="table-{name}"' in dom
    sizes = re.findall(r'<img [^>]*data-natural="(\d+)x(\d+)"', dom)
    assert len(sizes) == report["html"].count("<img ") > 0
    assert all(int(w) > 0 and int(h) > 0 for w, h in sizes)


def test_every_figure_kind_has_its_snakemake_report_caption():
    """`snakemake --report` reads workflows/report/<kind>.rst for each figure folder the report rule declares."""
    captions = Path(__file__).resolve().parents[2] / "workflows" / "report"
    assert [kind for kind in KINDS if not (captions / f"{kind}.rst").is_file()] == []


def test_the_protocol_line_names_the_domain_counts_when_they_differ():
    inception = {"n_gen": "256", "n_ref": "256", "ref_split": "test", "extractor": "inception-v3-compat"}
    assert protocol_line({**inception, "domain_n_gen": "256", "domain_n_ref": "256"}) == (
        "256 generated vs 256 test images; inception-v3-compat")
    assert protocol_line({**inception, "domain_n_gen": "2000", "domain_n_ref": "10000"}) == (
        "256 generated vs 256 test images; domain metrics 2000 generated vs 10000; inception-v3-compat")
