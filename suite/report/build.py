"""The report's one entry point: runs table + run files -> tables, figures and index.html."""

from __future__ import annotations

import html
import json
import logging
import platform
from collections import Counter
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import scipy
import yaml

from suite.claims import CLAIMS, RunOutputs
from suite.claims.interim import history_frame, read_decisions, sequential_table
from suite.claims.table import claims_table, write_claims_table
from suite.errors import ConfigError, DataMissingError
from suite.runspec import FILES, RunSpec
from suite.report import figures as figs
from suite.report import html as page
from suite.report import published, tables
from suite.report.collect import atomic_write_csv, atomic_write_text, read_runs_table
from suite.report.claims_view import claims_html, verdict_counts
from suite.report.headline import claims_sentences, headline
from suite.report.kinds import FIGURE_HEADINGS
from suite.report.stats import LOWER_IS_BETTER, Analysis, analyze, curve_trends
from suite.statistics import ALPHA

# Fidelity and diversity of the generated images (Kynkaanniemi et al. 2019; Naeem et al. 2020): one table of
# their own wherever the runs carry them, not a ranked table each.
PRDC = ("precision", "recall", "density", "coverage")

log = logging.getLogger(__name__)


def reference_method(study: dict, runs: pd.DataFrame) -> str:
    """report.reference_method, else the study's first method that has runs (grid order)."""
    chosen = (study.get("report") or {}).get("reference_method")
    if chosen:
        return chosen
    candidates = [m for grid in study.get("grids") or [] for m in grid.get("methods") or []]
    declared = study.get("methods")
    if isinstance(declared, dict):
        candidates += list(declared)
    elif isinstance(declared, list):
        candidates += [m if isinstance(m, str) else next(iter(m)) for m in declared if m]
    present = list(dict.fromkeys(runs["method"].dropna()))
    return next((m for m in candidates if m in present), present[0])


def report_metrics(study: dict, runs: pd.DataFrame) -> list[str]:
    chosen = (study.get("report") or {}).get("metrics")
    if chosen:
        unknown = [m for m in chosen if m not in LOWER_IS_BETTER]
        if unknown:
            raise ConfigError(f"report.metrics {unknown} unknown; allowed: {list(LOWER_IS_BETTER)}")
        return list(chosen)
    return [m for m in LOWER_IS_BETTER if m not in PRDC and m in runs and runs[m].notna().any()]


def present_prdc(runs: pd.DataFrame, metrics: list[str]) -> list[str]:
    return [m for m in PRDC if m not in metrics and m in runs and runs[m].notna().any()]


def generated_n(runs: pd.DataFrame, protocol_records: list[dict], metric: str = "fid") -> float | None:
    """The fewest generated images any run's `metric` (FID, KID or domain FID) rests on (runs table, else
    metrics.json); None without that metric. Runs scored before the domain FID recorded its own count
    scored it on all n_gen images."""
    column = tables.GENERATED_N_COLUMN[metric]

    def count(protocol) -> object:
        value = protocol.get(column)
        return protocol.get("n_gen") if value is None or pd.isna(value) else value

    ok = runs[(runs["status"] == "ok") & runs[metric].notna()] if metric in runs else runs.iloc[:0]
    if "n_gen" in ok and ok["n_gen"].notna().any():
        return float(ok.apply(count, axis=1).min())
    found = pd.to_numeric(pd.Series([count(r.get("protocol") or {}) for r in protocol_records
                                     if (r.get("metrics") or {}).get(metric) is not None]), errors="coerce")
    return float(found.min()) if found.notna().any() else None


def load_real(real_metrics: dict[str, Path] | None) -> tuple[dict[str, dict], dict[str, dict]]:
    """data -> real-data metrics, and data -> its protocol."""
    values, protocols = {}, {}
    for data, path in (real_metrics or {}).items():
        path = Path(path)
        if not path.is_file():
            raise DataMissingError(f"real-data metrics for {data!r} not found at {path}; run the reference rule first")
        record = json.loads(path.read_text(encoding="utf-8"))
        values[data] = {k: (np.nan if v is None else float(v)) for k, v in record.get("metrics", {}).items()}
        protocols[data] = record.get("protocol", {})
    return values, protocols


def read_records(runs: pd.DataFrame) -> list[dict]:
    """The metrics.json of every present run (for protocol, versions, unavailable reasons)."""
    records = []
    for _, r in runs[runs["status"] != "missing"].iterrows():
        path = Path(r["run_dir"]) / FILES["metrics"]
        if path.is_file():
            records.append(json.loads(path.read_text(encoding="utf-8")))
    return records


def summarize_values(values: list) -> str:
    distinct = sorted({json.dumps(v, sort_keys=True) if isinstance(v, (dict, list)) else str(v) for v in values})
    numeric = pd.to_numeric(pd.Series(values), errors="coerce")
    if len(distinct) > 3 and numeric.notna().all():
        return f"{numeric.min():g} to {numeric.max():g} ({len(distinct)} distinct)"
    return ", ".join(distinct)


TRAINING_PRECISION = "training precision"
TRAINING_CPU = "training CPU (vector instructions)"
MACHINE_NOTE = ("A run is bit-identical when rerun on the same CPU model with the same vector instructions and "
                "threads. Elsewhere its float order differs, and over hundreds of GAN updates so do its numbers: "
                "the default study on two machines of the same kind gave FIDs up to 20 apart (dcgan-bn "
                "167.0 +- 14.9 and 161.7 +- 8.3 over 3 seeds). Numbers from another machine are "
                "another sample of the same experiment, not a failed reproduction.")


def protocol_summary(records: list[dict]) -> dict[str, str]:
    """Each scoring protocol key's values over the runs, and the precision and CPU they trained on."""
    collected: dict[str, list] = {}
    for record in records:
        for key, value in (record.get("protocol") or {}).items():
            collected.setdefault(key, []).append(value)
        train = record.get("train") or {}
        if train.get("precision"):
            collected.setdefault(TRAINING_PRECISION, []).append(train["precision"])
        if train.get("cpu"):
            collected.setdefault(TRAINING_CPU, []).append(f"{train['cpu']['model']} ({train['cpu']['capability']})")
    return {key: summarize_values(v) for key, v in collected.items()}


def protocol_line(protocol: dict[str, str]) -> str:
    parts = []
    if "n_gen" in protocol or "n_ref" in protocol:
        parts.append(f"{protocol.get('n_gen', '?')} generated vs {protocol.get('n_ref', '?')} "
                     f"{protocol.get('ref_split', '')} images".replace("  ", " "))
    domain = (protocol.get("domain_n_gen"), protocol.get("domain_n_ref"))
    if "domain_n_gen" in protocol and domain != (protocol.get("n_gen"), protocol.get("n_ref")):
        parts.append(f"domain metrics {domain[0]} generated vs {domain[1]}")
    if "is_splits" in protocol:
        parts.append(f"IS {protocol['is_splits']} splits")
    if "extractor" in protocol:
        parts.append(protocol["extractor"])
    if TRAINING_PRECISION in protocol:
        parts.append(f"trained in {protocol[TRAINING_PRECISION]}")
    return "; ".join(parts)


def versions(records: list[dict]) -> dict[str, str]:
    found: dict[str, list] = {}
    for record in records:
        for key, value in (record.get("versions") or {}).items():
            found.setdefault(key, []).append(value)
        if (record.get("protocol") or {}).get("torch_version"):
            found.setdefault("torch (runs)", []).append(record["protocol"]["torch_version"])
        if (record.get("run") or {}).get("code_version"):
            found.setdefault("code version (runs)", []).append(record["run"]["code_version"])
    out = {key: summarize_values(v) for key, v in found.items()}
    out.update({"python (report)": platform.python_version(), "pandas (report)": pd.__version__,
                "numpy (report)": np.__version__, "scipy (report)": scipy.__version__,
                "matplotlib (report)": matplotlib.__version__})
    return out


def unavailable(records: list[dict]) -> list[str]:
    reasons = Counter((m, why) for r in records for m, why in (r.get("unavailable") or {}).items())
    return [f"{m}: {why} ({n} runs)" for (m, why), n in sorted(reasons.items())]


def _run_label(r) -> str:
    return RunSpec.format_run_id(r["data"], r["arch"], r["method"], r["seed"])


def make_tables(runs, analysis: Analysis, metrics, prdc, real, reference, study, our_protocol, part_costs,
                records) -> list[tables.Table]:
    summary = analysis.summary
    made = [tables.results_table(summary, metrics, real)]
    for m in metrics:
        n_gen = generated_n(runs, records, m) if m in tables.GENERATED_N_COLUMN else None
        made += [tables.metric_table(summary, m, real, reference, n_gen),
                 tables.comparisons_table(analysis.comparisons, m, reference)]
    if prdc:
        made.append(tables.results_table(summary, prdc, real, name="prdc", title=(
            "Precision, recall, density, coverage (k = 5 neighbours, Inception features): mean [95% interval]")))
    entries = (study.get("report") or {}).get("paper_comparison") or []
    if entries:
        comparison = published.comparison_table(entries, summary, real, ours_protocol=our_protocol, study=study)
        made.append(tables.comparison_view(comparison))
    made.append(tables.cost_table(runs, reference))
    if part_costs:
        made.append(tables.part_cost_table(part_costs))
    return made


TEXT_SAMPLE_LINES = 12  # generated lines the report shows per (data, arch, method)


def text_samples(runs: pd.DataFrame) -> str:
    """Per (data, arch, method), the first seed's generated text (samples.txt of a text run, argmax per
    position), its first TEXT_SAMPLE_LINES lines with the run's 4-gram JS and floor; "" when no run has text."""
    blocks = []
    present = runs[runs["status"] != "missing"].sort_values("seed", kind="stable")
    for (data, arch, method), group in present.groupby(["data", "arch", "method"], sort=False):
        for _, run in group.iterrows():
            source = Path(run["run_dir"]) / FILES["text_samples"]
            if not source.is_file():
                continue
            lines = source.read_text(encoding="utf-8").splitlines()[:TEXT_SAMPLE_LINES]
            scores = ", ".join(f"{key} {run[key]:.3f}" for key in ("js4", "js4_floor") if pd.notna(run.get(key)))
            heading = f"{method}: {data} / {arch}, seed {int(run['seed'])}" + (f" ({scores})" if scores else "")
            blocks.append(f"<h3>{html.escape(heading)}</h3>\n" + page.preformatted("\n".join(lines)))
            break
    return "".join(blocks)


def claims_section(frame: pd.DataFrame, table_dir: Path, out_dir: Path, sequential: bool = False) -> page.Section:
    """The published claims with their verdicts on this study's runs, right under the headline: one line
    per claim, grouped by paper, details one click away, and links to the full table files."""
    paths = write_claims_table(frame, table_dir)
    summary = ", ".join(f"{count} {verdict}" for verdict, count in verdict_counts(frame) if count)
    links = " · ".join(f'<a href="{html.escape(page.rel(path, out_dir))}">{path.suffix[1:].upper()}</a>'
                       for path in paths)
    test = ("its p-value at some look reaches that look's share of its Holm level within the claims of its paper "
            "(the m in each heading; the looks section below has each boundary)" if sequential else
            f"its p-value, Holm-adjusted over the claims of its paper (the m in each heading), is below {ALPHA}")
    body = (f"<p>{len(frame)} registered claims on this study's runs: {html.escape(summary)}. A claim is reproduced "
            f"only when its effect's 95% interval excludes no effect on the side the paper expects and {test}; "
            "contradicted when both hold with the interval on the other side; otherwise inconclusive, and the "
            "reason code says what is missing. Click a claim for its statement, statistic, test and full "
            "reason.</p>\n"
            + claims_html(frame)
            + f'<p class="downloads">Full table: {links}</p>\n')
    return page.Section("claims", "Published claims: reproduced, contradicted or inconclusive at this scale", body)


def looks_section(decisions: dict, table_dir: Path, out_dir: Path) -> page.Section:
    """A sequential study's decision history: per claim and look, n, p, the boundary and the decision."""
    history = history_frame(decisions)
    path = table_dir / "looks.csv"
    atomic_write_csv(history, path)
    design = decisions["design"]
    shown = history.assign(p=history["p"].map(lambda p: f"{p:.3g}"), level=history["level"].map(lambda v: f"{v:.3g}"),
                           boundary=history["boundary"].map(lambda v: f"{v:.3g}"))
    body = (f"<p>Seeds in looks at n = {', '.join(map(str, design['looks']))} (look {decisions['look'] + 1} is the "
            f"last that ran). Each claim holds its family's Holm level (alpha {design['alpha']}), spent over the looks "
            f"by the Lan-DeMets {design['spending']} function; a look tests at its increment (union bound), and a "
            "decision, once made, is frozen. Futility stops do not give their level away (non-binding).</p>\n"
            + shown.to_html(index=False, classes="looks", border=0, escape=True)
            + f'<p class="downloads">Full history: <a href="{html.escape(page.rel(path, out_dir))}">CSV</a></p>\n')
    return page.Section("looks", "Sequential seeds: each claim's looks and decision", body)


def build_report(runs_csv: Path, out_dir: Path, study: dict,
                 real_metrics: dict[str, Path] | None = None, part_costs: list[Path] = (),
                 decisions: Path | None = None) -> Path:
    """Write tables/, figures/ and index.html under out_dir; return the index.html path. A sequential study
    passes its last look's `decisions` (decisions.json): its verdicts come from there, with their history."""
    out_dir = Path(out_dir)
    runs = read_runs_table(runs_csv)
    present = runs[runs["status"] != "missing"]
    if present.empty:
        raise DataMissingError(f"{runs_csv} has no finished runs to report on")
    reference = reference_method(study, present)
    metrics = report_metrics(study, present)
    prdc = present_prdc(present, metrics)
    real, real_protocols = load_real(real_metrics)
    analysis = analyze(runs, metrics + prdc, reference, curve_trends(runs))
    records = read_records(runs)
    protocol = protocol_summary(records)
    primary = metrics[0] if metrics else None
    primary_n_gen = generated_n(runs, records, primary) if primary in tables.GENERATED_N_COLUMN else None

    table_dir, figure_dir = out_dir / "tables", out_dir / "figures"
    atomic_write_csv(analysis.summary, table_dir / "summary.csv")
    atomic_write_csv(analysis.comparisons, table_dir / "comparisons.csv")
    atomic_write_csv(analysis.trends, table_dir / "trends.csv")
    table_blocks = []
    costs = [json.loads(Path(path).read_text()) for path in part_costs]
    for table in make_tables(runs, analysis, metrics, prdc, real, reference, study, protocol_line(protocol), costs,
                             records):
        table_blocks.append(page.table_block(table, tables.write_table(table, table_dir), out_dir))
    made = figs.all_figures(runs, metrics, real, figure_dir)

    experiment = study.get("experiment") or (present["experiment"].dropna().iloc[0] if present["experiment"].notna().any() else "study")
    counts = Counter(runs["status"])
    overview = {"experiment": experiment, "runs": len(runs), "ok": counts.get("ok", 0),
                "diverged": counts.get("diverged", 0), "missing": counts.get("missing", 0),
                "methods": ", ".join(dict.fromkeys(present["method"])), "reference method": reference,
                "metrics": ", ".join(metrics), "real-data floor": ", ".join(real) or "not given"}
    # one claims frame for both the headline and the claims section
    run_dirs = [Path(d) for d in runs.loc[runs["status"] != "missing", "run_dir"]]
    looks = read_decisions(decisions) if decisions is not None else None
    claims = (claims_table(run_dirs) if looks is None
              else sequential_table(looks, [RunOutputs.load(d) for d in run_dirs], list(CLAIMS.values())))
    opening = claims_sentences(claims) + headline(analysis, metrics, reference, primary_n_gen)
    sections = [page.Section("headline", "What the numbers say", page.paragraph(opening)),
                claims_section(claims, table_dir, out_dir, sequential=looks is not None)]
    if looks is not None:
        sections.append(looks_section(looks, table_dir, out_dir))
    sections += [page.Section("overview", "Overview", page.kv_table(overview)),
                 page.Section("tables", "Tables", "".join(table_blocks))]
    for kind in figs.KINDS:
        blocks = [page.figure_block(f, out_dir) for f in made if f.kind == kind]
        if blocks:
            sections.append(page.Section(f"fig-{kind}", FIGURE_HEADINGS[kind], "".join(blocks)))
    generated_text = text_samples(runs)
    if generated_text:
        sections.append(page.Section("text-samples", "Text samples (argmax per position; \u00a4 is the unknown "
                                     "symbol)", generated_text))
    diverged = [f"{_run_label(r)}: diverged at step {r['diverged_at_step']}" for _, r in runs[runs["status"] == "diverged"].iterrows()]
    missing = [f"{_run_label(r)} ({r['run_dir']}): no metrics.json" for _, r in runs[runs["status"] == "missing"].iterrows()]
    sections += [
        page.Section("diverged", f"Diverged runs ({len(diverged)})", page.item_list(diverged)),
        page.Section("missing", f"Missing runs ({len(missing)})", page.item_list(missing)),
        page.Section("unavailable", "Unavailable metrics", page.item_list(unavailable(records))),
        page.Section("protocol", "Protocol", page.paragraph(MACHINE_NOTE) + page.kv_table(protocol) + "".join(
            f"<h3>real data: {html.escape(str(d))}</h3>" + page.kv_table(p) for d, p in real_protocols.items())),
        page.Section("versions", "Software versions", page.kv_table(versions(records))),
        page.Section("config", "Study config", page.preformatted(yaml.safe_dump(study, sort_keys=False))),
    ]
    index = out_dir / "index.html"
    atomic_write_text(index, page.render_page(f"ganbench report: {experiment}", sections))
    log.info("report for %s: %d tables, %d figures -> %s", experiment, len(table_blocks), len(made), index)
    return index
