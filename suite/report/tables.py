"""Report tables: built once as cells, rendered as CSV (full numbers), Markdown, LaTeX, HTML."""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from suite.report.collect import atomic_write_csv, atomic_write_text
from suite.report.stats import lower_is_better

REAL = "real data"
METRIC_LABELS = {
    "fid": "FID", "kid_mean": "KID", "kid_std": "KID std", "is_mean": "IS", "is_std": "IS std",
    "domain_fid": "domain FID", "domain_is": "domain IS",
}


@dataclass(frozen=True)
class PM:
    """A `mean +- std` cell."""

    mean: float
    std: float


@dataclass
class Table:
    name: str  # file stem
    title: str
    columns: list[str]
    rows: list[list]  # cells: str, int, float, PM or None
    numeric: pd.DataFrame  # the full numbers, written as CSV
    bold: set = field(default_factory=set)  # (row, col) cells to emphasise
    group_starts: set = field(default_factory=set)  # rows that open a new (data, arch) group
    wide: set = field(default_factory=set)  # columns of long text (wrapped in LaTeX)
    note: str = ""


def metric_label(metric: str) -> str:
    return METRIC_LABELS.get(metric, metric)


def _isnan(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x)) or x is pd.NA


def decimals(x: float) -> int:
    ax = abs(x)
    if ax >= 100:
        return 1
    if ax >= 1:
        return 2
    if ax >= 0.01:
        return 3
    return 5


def fmt(x, places: int | None = None) -> str:
    if _isnan(x):
        return "n/a"
    if isinstance(x, (int, np.integer)):
        return str(int(x))
    x = float(x)
    return f"{x:.{decimals(x) if places is None else places}f}"


def fmt_p(p) -> str:
    if _isnan(p):
        return "n/a"
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def places_for(cell: PM) -> int | None:
    """Decimal places for a `mean +- std` and its companions (median, CI): enough to show the spread's first digit."""
    if _isnan(cell.mean):
        return None
    places = decimals(cell.mean)
    if not _isnan(cell.std) and cell.std > 0:
        places = min(max(places, 1 - math.floor(math.log10(abs(cell.std)))), 6)
    return places


def _pm_parts(cell: PM) -> tuple[str, str | None]:
    if _isnan(cell.mean):
        return "n/a", None
    places = places_for(cell)
    return fmt(cell.mean, places), (None if _isnan(cell.std) else fmt(cell.std, places))


def _plain(cell) -> str:
    if isinstance(cell, PM):
        mean, std = _pm_parts(cell)
        return mean if std is None else f"{mean} ± {std}"
    if isinstance(cell, str):
        return cell
    return fmt(cell)


# ---------------------------------------------------------------- builders

def _group_keys(summary: pd.DataFrame) -> list[tuple[str, str]]:
    return list(dict.fromkeys(zip(summary["data"], summary["arch"])))


def _best_rows(values: dict[int, float], metric: str) -> set[int]:
    finite = {r: v for r, v in values.items() if not _isnan(v)}
    if not finite:
        return set()
    best = min(finite.values()) if lower_is_better(metric) else max(finite.values())
    return {r for r, v in finite.items() if v == best}


def results_table(summary: pd.DataFrame, metrics: list[str], real: dict[str, dict]) -> Table:
    """Overview: per (data, arch, method) `mean +- std` of every metric; best per group in bold."""
    columns = ["data", "arch", "method", "seeds", "diverged", "missing"] + [metric_label(m) for m in metrics]
    rows, bold, starts, numeric = [], set(), set(), []
    for data, arch in _group_keys(summary):
        starts.add(len(rows))
        group = summary[(summary["data"] == data) & (summary["arch"] == arch)]
        means = {m: {} for m in metrics}
        for method in dict.fromkeys(group["method"]):
            sub = group[group["method"] == method].set_index("metric")
            first = sub.iloc[0]
            counts = {key: int(first[key]) for key in ("n_seeds", "n_diverged", "n_missing")}
            row = [data, arch, method, *counts.values()]
            record = {"data": data, "arch": arch, "method": method, **counts}
            for m in metrics:
                mean, std = sub.loc[m, "mean"], sub.loc[m, "std"]
                row.append(PM(mean, std))
                means[m][len(rows)] = mean
                record.update({f"{m}_mean": mean, f"{m}_std": std, f"{m}_rank": sub.loc[m, "rank"]})
            rows.append(row)
            numeric.append(record)
        for j, m in enumerate(metrics):
            bold |= {(r, 6 + j) for r in _best_rows(means[m], m)}
        if data in real:
            rows.append([data, arch, REAL, "", "", ""] + [PM(real[data].get(m, np.nan), np.nan) for m in metrics])
            numeric.append({"data": data, "arch": arch, "method": REAL,
                            **{f"{m}_mean": real[data].get(m, np.nan) for m in metrics}})
    return Table("results", "Results: mean ± std over seeds (best per data/arch in bold)", columns, rows,
                 pd.DataFrame(numeric), bold, starts,
                 note="seeds: runs with results; diverged runs are counted and excluded from the numbers; "
                      "missing: runs without metrics.json (listed on the report page).")


def metric_table(summary: pd.DataFrame, metric: str, real: dict[str, dict], reference: str) -> Table:
    """One metric in detail: location, spread, bootstrap CI, rank and tests against the reference."""
    label = metric_label(metric)
    columns = ["data", "arch", "method", "n", "diverged", label, "median", "95% CI", "rank",
               f"Welch p (Holm) vs {reference}", f"MWU p (Holm) vs {reference}"]
    sub = summary[summary["metric"] == metric]
    rows, starts, bold, numeric = [], set(), set(), [sub]
    for data, arch in _group_keys(sub):
        starts.add(len(rows))
        means = {}
        for _, r in sub[(sub["data"] == data) & (sub["arch"] == arch)].iterrows():
            cell = PM(r["mean"], r["std"])
            places = places_for(cell)
            ci = "n/a" if _isnan(r["ci_low"]) else f"[{fmt(r['ci_low'], places)}, {fmt(r['ci_high'], places)}]"
            means[len(rows)] = r["mean"]
            rows.append([data, arch, r["method"], int(r["n"]), int(r["n_diverged"]), cell,
                         fmt(r["median"], places), ci, "n/a" if _isnan(r["rank"]) else str(int(r["rank"])),
                         "reference" if r["method"] == reference else f"{fmt_p(r['p_welch'])} ({fmt_p(r['p_welch_holm'])})",
                         "reference" if r["method"] == reference else f"{fmt_p(r['p_mwu'])} ({fmt_p(r['p_mwu_holm'])})"])
        bold |= {(r, 5) for r in _best_rows(means, metric)}
        if data in real:
            value = real[data].get(metric, np.nan)
            rows.append([data, arch, REAL, "", "", PM(value, np.nan), "", "", "", "", ""])
            numeric.append(pd.DataFrame([{"data": data, "arch": arch, "method": REAL, "metric": metric,
                                          "mean": value}]))
    numeric = pd.concat([n for n in numeric if len(n)], ignore_index=True) if any(len(n) for n in numeric) else sub
    return Table(f"metric_{metric}", f"{label}: seed statistics and tests against {reference}", columns, rows,
                 numeric, bold, starts,
                 note="CI: 95% percentile bootstrap of the mean. p-values two-sided; Holm-corrected over all "
                      "comparisons of this metric in parentheses.")


def cost_table(runs: pd.DataFrame, reference: str) -> Table:
    """Seconds per generator step (incl. its critic steps) per (data, arch, method): mean over the seeds,
    and its ratio to the reference method's and to the fastest method's of the same (data, arch)."""
    done = runs[runs["status"] != "missing"]
    agg = (done.groupby(["data", "arch", "method"], sort=False)
           .agg(runs=("seed", "size"), steps=("steps", "mean"), sps_mean=("seconds_per_step", "mean"),
                sps_std=("seconds_per_step", "std"), seconds_mean=("seconds", "mean"))
           .reset_index())
    by_group = agg.groupby(["data", "arch"], sort=False)["sps_mean"]
    reference_sps = agg["sps_mean"].where(agg["method"] == reference).groupby([agg["data"], agg["arch"]]).transform("max")
    agg["x_reference"] = agg["sps_mean"] / reference_sps
    agg["x_fastest"] = agg["sps_mean"] / by_group.transform("min")
    columns = ["data", "arch", "method", "runs", "steps", "s / step", f"x {reference}", "x fastest", "total s"]
    rows, starts, bold = [], set(), set()
    previous = None
    for _, r in agg.iterrows():
        if (r["data"], r["arch"]) != previous:
            starts.add(len(rows))
            previous = (r["data"], r["arch"])
        if r["x_fastest"] == 1.0:
            bold.add((len(rows), 5))
        steps = "n/a" if _isnan(r["steps"]) else str(int(round(r["steps"])))
        rows.append([r["data"], r["arch"], r["method"], int(r["runs"]), steps,
                     PM(r["sps_mean"], r["sps_std"]), r["x_reference"], r["x_fastest"], r["seconds_mean"]])
    return Table("cost", "Cost: seconds per generator step (incl. its critic steps), mean ± std over seeds",
                 columns, rows, agg, bold, starts,
                 note=f"Wall time as recorded by each run (train.seconds_per_step); x {reference}: ratio to the "
                      "reference method, x fastest: to the fastest method of the same data/arch (fastest in bold).")


def part_cost_table(costs: list[dict]) -> Table:
    """Seconds per generator step of one preset with each stabilization part, relative to no constraint,
    one block per arch (suite.costs.part_costs records)."""
    numeric = pd.DataFrame([{"data": c["data"], "arch": c["arch"], "batch_size": c["batch_size"], **row}
                            for c in costs for row in c["rows"]])
    columns = ["data", "arch", "part", "constraint", "critic norm", "s / step", "x none"]
    rows, starts = [], set()
    for c in costs:
        starts.add(len(rows))
        rows += [[c["data"], c["arch"], r["part"], r["constraint"], r["d_norm"], r["seconds_per_iteration"],
                  r["relative_to_none"]] for r in c["rows"]]
    first = costs[0]
    return Table("part_costs", "Cost of each stabilization part: seconds per generator step, relative to none",
                 columns, rows, numeric, group_starts=starts,
                 note=f"{first['preset']} (n_dis {first['n_dis']}) with one part swapped in, at the study's batch "
                      f"size, timed on this machine as the median of {first['repeats']} interleaved repeats of "
                      f"{first['iterations']} steps (rule part_costs).")


def comparison_view(comparison: pd.DataFrame) -> Table:
    """Ours beside the published value, each with its protocol; the citation per row."""
    columns = ["paper row", "ours (data / arch / method)", "metric", "ours", "published",
               "our protocol", "published protocol", "citation"]
    rows = []
    for _, r in comparison.iterrows():
        ours = "/".join(str(x) for x in (r["data"], r["arch"], r["method"]) if not _isnan(x) and x != "")
        rows.append([r["paper_row"], ours, metric_label(r["metric"]),
                     PM(r["ours_mean"], r["ours_std"]), PM(r["published"], r["published_std"]),
                     r["ours_protocol"], r["protocol"], r["citation"]])
    return Table("paper_comparison", "Our numbers beside the published ones", columns, rows, comparison,
                 wide={5, 6, 7}, note="Protocols differ where stated: compare with care.")


# ---------------------------------------------------------------- renderers

def to_markdown(table: Table) -> str:
    def cell(i, j, c):
        text = _plain(c).replace("|", "\\|")
        return f"**{text}**" if (i, j) in table.bold and text else text

    lines = [f"**{table.title}**", "", "| " + " | ".join(table.columns) + " |",
             "|" + "|".join(" --- " for _ in table.columns) + "|"]
    lines += ["| " + " | ".join(cell(i, j, c) for j, c in enumerate(row)) + " |" for i, row in enumerate(table.rows)]
    if table.note:
        lines += ["", table.note]
    return "\n".join(lines) + "\n"


_LATEX_ESCAPES = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
                  "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
                  "±": r"$\pm$", "<": r"\textless{}", ">": r"\textgreater{}"}


def latex_escape(text: str) -> str:
    return "".join(_LATEX_ESCAPES.get(ch, ch) for ch in str(text))


def _latex_cell(cell, bold: bool) -> str:
    wrap = (lambda s: rf"\textbf{{{s}}}") if bold else (lambda s: s)
    if isinstance(cell, PM):
        mean, std = _pm_parts(cell)
        return wrap(mean) if std is None else rf"{wrap(mean)} $\pm$ {wrap(std)}"
    text = latex_escape(_plain(cell))
    return wrap(text) if text else text


def to_latex(table: Table) -> str:
    spec = "".join("p{3.2cm}" if j in table.wide else ("l" if j < 3 else "r") for j in range(len(table.columns)))
    lines = [r"\begin{table}[htbp]", r"\centering", r"\small",
             rf"\caption{{{latex_escape(table.title)}}}", rf"\label{{tab:{table.name.replace('_', '-')}}}",
             rf"\begin{{tabular}}{{{spec}}}", r"\toprule",
             " & ".join(latex_escape(c) for c in table.columns) + r" \\", r"\midrule"]
    for i, row in enumerate(table.rows):
        if i in table.group_starts and i > 0:
            lines.append(r"\midrule")
        lines.append(" & ".join(_latex_cell(c, (i, j) in table.bold) for j, c in enumerate(row)) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}"]
    if table.note:
        lines.append(rf"\par\smallskip\footnotesize {latex_escape(table.note)}")
    lines.append(r"\end{table}")
    return "\n".join(lines) + "\n"


def to_html(table: Table) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in table.columns)
    body = []
    for i, row in enumerate(table.rows):
        cells = []
        for j, c in enumerate(row):
            text = html.escape(_plain(c))
            td = '<td class="wide">' if j in table.wide else "<td>"
            cells.append(f"{td}<strong>{text}</strong></td>" if (i, j) in table.bold and text else f"{td}{text}</td>")
        classes = [k for k, on in (("group-start", i in table.group_starts), ("real", REAL in row[:3])) if on]
        attr = f' class="{" ".join(classes)}"' if classes else ""
        body.append(f"<tr{attr}>{''.join(cells)}</tr>")
    note = f'<p class="note">{html.escape(table.note)}</p>' if table.note else ""
    return (f'<table id="table-{table.name}" class="report-table">'
            f"<caption>{html.escape(table.title)}</caption><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table>{note}\n")


def write_table(table: Table, out_dir: Path) -> dict[str, Path]:
    """Write name.csv (full numbers), name.md, name.tex and name.html under out_dir."""
    out_dir = Path(out_dir)
    paths = {ext: out_dir / f"{table.name}.{ext}" for ext in ("csv", "md", "tex", "html")}
    atomic_write_csv(table.numeric, paths["csv"])
    atomic_write_text(paths["md"], to_markdown(table))
    atomic_write_text(paths["tex"], to_latex(table))
    atomic_write_text(paths["html"], to_html(table))
    return paths
