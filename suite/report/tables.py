"""Report tables: built once as cells, rendered as CSV (full numbers), Markdown, LaTeX, HTML."""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from suite.report.collect import atomic_write_csv, atomic_write_text
from suite.report.stats import BEST, GROUP, TIED
from suite.statistics import ALPHA

REAL = "real data"
FID_FULL_N = 10_000  # the minimum n the FID authors recommend (Heusel et al. 2017, README of their TTUR code)
# the runs-table column that holds how many generated images each FID-like metric rests on
GENERATED_N_COLUMN = {"fid": "n_gen", "kid_mean": "n_gen", "domain_fid": "domain_n_gen"}
METRIC_LABELS = {
    "fid": "FID", "kid_mean": "KID", "kid_std": "KID std", "is_mean": "IS", "is_std": "IS std",
    "domain_fid": "domain FID", "domain_is": "domain IS",
    "domain_classes": "classes covered", "modes_covered": "modes covered",
    "hq_fraction": "high-quality fraction", "w1": "W1", "precision": "precision", "recall": "recall",
    "js1": "1-gram JS", "js2": "2-gram JS", "js3": "3-gram JS", "js4": "4-gram JS",
    "density": "density", "coverage": "coverage",
}


@dataclass(frozen=True)
class PM:
    """A `mean +- std` cell."""

    mean: float
    std: float


@dataclass(frozen=True)
class CI:
    """A mean with its interval and n (`40.66 [39.82, 41.50] n=3`); low/high NaN with no interval."""

    mean: float
    low: float
    high: float
    n: int | None  # None: no n shown (a difference of means)
    method: str  # "t", "BCa", "1 seed", "no seeds"
    std: float = np.nan  # sets the decimals
    mark: str = ""  # BEST or TIED

    def places(self) -> int | None:
        spread = self.std if not _isnan(self.std) and self.std > 0 else (
            (self.high - self.low) / 2 if not (_isnan(self.low) or _isnan(self.high)) else np.nan)
        return places_for(PM(self.mean, spread))

    def parts(self) -> tuple[str, str]:
        """(the number with its interval, what follows it: n, '1 seed', the mark)."""
        if _isnan(self.mean):
            return "n/a", ""
        places = self.places()
        text = fmt(self.mean, places)
        if not (_isnan(self.low) or _isnan(self.high)):
            text += f" [{fmt(self.low, places)}, {fmt(self.high, places)}]"
        tail = [] if self.n is None else [self.method if self.n < 2 else f"n={self.n}"]
        tail += [self.mark] if self.mark == TIED else []
        return text, " ".join(tail)


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
    if isinstance(cell, CI):
        return " ".join(t for t in cell.parts() if t)
    if isinstance(cell, PM):
        mean, std = _pm_parts(cell)
        return mean if std is None else f"{mean} ± {std}"
    if isinstance(cell, str):
        return cell
    return fmt(cell)


# ---------------------------------------------------------------- builders

def _group_keys(summary: pd.DataFrame) -> list[tuple[str, str]]:
    return list(dict.fromkeys(zip(summary["data"], summary["arch"])))


def _cell(r) -> CI:
    return CI(r["mean"], r["ci_low"], r["ci_high"], int(r["n"]), r["ci_method"], r["std"], r["mark"])


def improving_text(r) -> str:
    """'still improving (k of n)' for a cell with flagged runs; what is unknown otherwise."""
    if r["n_improving"]:
        return f"still improving ({int(r['n_improving'])} of {int(r['n'])})"
    if r["n_trend_unknown"]:
        return f"curve too short ({int(r['n_trend_unknown'])} runs)"
    return ""


def results_table(summary: pd.DataFrame, metrics: list[str], real: dict[str, dict], name: str = "results",
                  title: str = "Results: mean [95% interval] over seeds, n beside it") -> Table:
    """Overview: per (data, arch, method) each metric's mean with its interval; earned best in bold, ties marked."""
    curve = summary.get("n_improving", pd.Series(0)).fillna(0).gt(0).any() or summary.get(
        "n_trend_unknown", pd.Series(0)).fillna(0).gt(0).any()
    columns = ["data", "arch", "method", "seeds", "diverged", "missing"] + [metric_label(m) for m in metrics]
    columns += ["curve"] if curve else []
    rows, bold, starts, numeric = [], set(), set(), []
    for data, arch in _group_keys(summary):
        starts.add(len(rows))
        group = summary[(summary["data"] == data) & (summary["arch"] == arch)]
        for method in dict.fromkeys(group["method"]):
            sub = group[group["method"] == method].set_index("metric")
            first = sub.iloc[0]
            counts = {key: int(first[key]) for key in ("n_seeds", "n_diverged", "n_missing")}
            row = [data, arch, method, *counts.values()]
            record = {"data": data, "arch": arch, "method": method, **counts}
            for j, m in enumerate(metrics):
                r = sub.loc[m]
                row.append(_cell(r))
                if r["mark"] == BEST:
                    bold.add((len(rows), 6 + j))
                record.update({f"{m}_mean": r["mean"], f"{m}_ci_low": r["ci_low"], f"{m}_ci_high": r["ci_high"],
                               f"{m}_n": r["n"], f"{m}_std": r["std"], f"{m}_rank": r["rank"], f"{m}_mark": r["mark"]})
            if curve:
                row.append(improving_text(first))
                record["curve"] = row[-1]
            rows.append(row)
            numeric.append(record)
        if data in real:
            rows.append([data, arch, REAL, "", "", ""] + [PM(real[data].get(m, np.nan), np.nan) for m in metrics]
                        + ([""] if curve else []))
            numeric.append({"data": data, "arch": arch, "method": REAL,
                            **{f"{m}_mean": real[data].get(m, np.nan) for m in metrics}})
    return Table(name, title, columns, rows, pd.DataFrame(numeric), bold, starts,
                 note=f"Interval: {INTERVAL_NOTE} {MARK_NOTE} seeds: runs with results; diverged runs are counted "
                      "and excluded from the numbers; missing: runs without metrics.json (listed on the report page)."
                      + (f" curve: {CURVE_NOTE}" if curve else ""))


INTERVAL_NOTE = ("Student-t 95% interval of the mean below 10 seeds (at 3 seeds its half-width is 2.48 SD), BCa "
                 "bootstrap from 10 up; one seed has none.")
MARK_NOTE = ("best (bold): beats every other method at Holm-adjusted Welch p < 0.05; tied: the leader and each "
             "method it does not separate from at that level.")
CURVE_NOTE = ("a run is still improving when its curve metric gained more over the last fifth of its iterations "
              "than 2 SDs of its successive differences over the second half of training; the ranking is then "
              "bound by the training budget.")


def _n_gen_note(n_gen: float | None) -> str:
    if n_gen is None or _isnan(n_gen) or n_gen >= FID_FULL_N:
        return ""
    return (f" Scored on {int(n_gen):,} generated images (< {FID_FULL_N:,}): FID is biased upward at small n, so "
            "these FIDs are comparable only with FIDs at the same n.")


def metric_table(summary: pd.DataFrame, metric: str, real: dict[str, dict], reference: str,
                 n_gen: float | None = None) -> Table:
    """One metric per cell: mean [interval] with n, SD over seeds beside the sampling SD, median, rank, mark,
    whether its runs were still improving; KID beside FID where both were scored."""
    label = metric_label(metric)
    sub = summary[summary["metric"] == metric]
    kid = summary[summary["metric"] == "kid_mean"].set_index(GROUP) if metric == "fid" else pd.DataFrame()
    split = sub["sampling_sd"].notna().any()
    columns = ["data", "arch", "method", "diverged", f"{label} [95% interval]", "seed SD"]
    columns += ["sampling SD", "dominates"] if split else []
    columns += ["median", "rank", "mark", "curve"] + (["KID [95% interval]"] if len(kid) else [])
    rows, starts, bold, numeric = [], set(), set(), [sub]
    for data, arch in _group_keys(sub):
        starts.add(len(rows))
        for _, r in sub[(sub["data"] == data) & (sub["arch"] == arch)].iterrows():
            cell = _cell(r)
            places = cell.places()
            if r["mark"] == BEST:
                bold.add((len(rows), 4))
            row = [data, arch, r["method"], int(r["n_diverged"]), cell, fmt(r["std"], places)]
            row += [fmt(r["sampling_sd"], places), r["dominant"] or "n/a"] if split else []
            row += [fmt(r["median"], places), "n/a" if _isnan(r["rank"]) else str(int(r["rank"])), r["mark"],
                    improving_text(r)]
            if len(kid):
                key = (data, arch, r["method"])
                row.append(_cell(kid.loc[key]) if key in kid.index else "n/a")
            rows.append(row)
        if data in real:
            value = real[data].get(metric, np.nan)
            rows.append([data, arch, REAL, "", PM(value, np.nan)] + [""] * (len(columns) - 5))
            numeric.append(pd.DataFrame([{"data": data, "arch": arch, "method": REAL, "metric": metric,
                                          "mean": value}]))
    numeric = pd.concat([n for n in numeric if len(n)], ignore_index=True) if any(len(n) for n in numeric) else sub
    note = f"Interval: {INTERVAL_NOTE} {MARK_NOTE} Tests: table comparisons_{metric}."
    if split:
        note += (" seed SD: spread over training seeds (it holds sampling noise too); sampling SD: root mean square "
                 "of the runs' sampling standard errors; dominates: the larger of sampling variance and the "
                 "training-seed variance left after subtracting it.")
    note += f" curve: {CURVE_NOTE}"
    if metric in GENERATED_N_COLUMN:
        note += _n_gen_note(n_gen)
    return Table(f"metric_{metric}", f"{label}: mean over seeds with its interval, against {reference} in "
                 f"comparisons_{metric}", columns, rows, numeric, bold, starts, note=note)


def comparison_text(c) -> str:
    """The verdict of one comparison in words."""
    if c["vs_leader"]:
        if c["p_holm"] < ALPHA:
            return f"{c['method']} better"
        seeds = c["seeds_to_separate"]
        need = "no difference in means" if _isnan(seeds) else f"~{int(seeds)} seeds per method would separate them"
        return f"tied ({need})"
    return "differs" if c["p_holm"] < ALPHA else "not separated"


def comparisons_table(comparisons: pd.DataFrame, metric: str, reference: str) -> Table:
    """Every pair a metric's table compares: difference with its interval, Hedges' g, Welch p, Holm p, rank test."""
    label = metric_label(metric)
    sub = comparisons[comparisons["metric"] == metric]
    columns = ["data", "arch", "a", "b", "compared as", "n a / b", f"{label} a - b [95% interval]", "Hedges' g",
               "Welch p", "Holm p", "Mann-Whitney p", "verdict"]
    rows, starts = [], set()
    for data, arch in _group_keys(sub):
        starts.add(len(rows))
        for _, c in sub[(sub["data"] == data) & (sub["arch"] == arch)].iterrows():
            kinds = [k for k, on in ((f"vs {reference}", c["vs_reference"]), ("leader vs runner-up", c["top_pair"]),
                                     ("leader vs the rest", c["vs_leader"] and not c["top_pair"])) if on]
            diff = CI(c["diff"], c["diff_low"], c["diff_high"], None, "", np.nan, "")
            rank = c["rank_note"] if c["rank_note"] else fmt_p(c["p_rank"])
            rows.append([data, arch, c["method"], c["versus"], ", ".join(kinds), f"{int(c['n_a'])} / {int(c['n_b'])}",
                         diff, fmt(c["hedges_g"], 2), fmt_p(c["p_welch"]), fmt_p(c["p_holm"]), rank,
                         comparison_text(c)])
    return Table(f"comparisons_{metric}", f"{label}: pairwise comparisons (Welch t, Holm-adjusted over this table)",
                 columns, rows, sub, group_starts=starts, wide={11},
                 note="a - b: difference of means with its Welch-Satterthwaite 95% interval; Hedges' g: the "
                      "difference in pooled SDs, small-sample corrected; Holm p: Welch p adjusted over every row of "
                      "this table; Mann-Whitney only where its exact two-sided p can fall below 0.05 (4 seeds per "
                      "method at least). Seeds to separate (tied): per method, for a two-sided t-test at Holm's "
                      "first-step level (0.05 / rows of this table) with power 0.8, if the observed g were the "
                      "true effect.")


def cost_table(runs: pd.DataFrame, reference: str) -> Table:
    """Seconds per generator step (incl. its critic steps) per (data, arch, method): mean over the seeds,
    and its ratio to the reference method's and to the fastest method's of the same (data, arch).

    CPU seconds where every run recorded them: wall seconds grow with the jobs that share the cores,
    CPU seconds do not, so the ratios do not depend on how many jobs ran beside."""
    done = runs[runs["status"] != "missing"]
    cpu = "cpu_seconds_per_step" in done and done["cpu_seconds_per_step"].notna().all() and len(done) > 0
    per_step = "cpu_seconds_per_step" if cpu else "seconds_per_step"
    agg = (done.groupby(["data", "arch", "method"], sort=False)
           .agg(runs=("seed", "size"), steps=("steps", "mean"), sps_mean=(per_step, "mean"),
                sps_std=(per_step, "std"), seconds_mean=("seconds", "mean"))
           .reset_index())
    by_group = agg.groupby(["data", "arch"], sort=False)["sps_mean"]
    reference_sps = agg["sps_mean"].where(agg["method"] == reference).groupby([agg["data"], agg["arch"]]).transform("max")
    agg["x_reference"] = agg["sps_mean"] / reference_sps
    agg["x_fastest"] = agg["sps_mean"] / by_group.transform("min")
    columns = ["data", "arch", "method", "runs", "steps", "CPU s / step" if cpu else "s / step", f"x {reference}",
               "x fastest", "total s"]
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
                 note=("CPU time of the training steps (train.cpu_seconds_per_step)" if cpu else
                       "Wall time as recorded by each run (train.seconds_per_step)")
                      + f"; total s: wall time; x {reference}: ratio to the "
                      "reference method, x fastest: to the fastest method of the same data/arch (fastest in bold).")


def part_cost_table(costs: list[dict]) -> Table:
    """CPU seconds per generator step of one preset with each stabilization part, relative to no constraint,
    one block per arch (suite.costs.part_costs records)."""
    numeric = pd.DataFrame([{"data": c["data"], "arch": c["arch"], "batch_size": c["batch_size"], **row}
                            for c in costs for row in c["rows"]])
    columns = ["data", "arch", "part", "constraint", "critic norm", "CPU s / step", "x none"]
    rows, starts = [], set()
    for c in costs:
        starts.add(len(rows))
        rows += [[c["data"], c["arch"], r["part"], r["constraint"], r["d_norm"], r["seconds_per_iteration"],
                  r["relative_to_none"]] for r in c["rows"]]
    first = costs[0]
    return Table("part_costs", "Cost of each stabilization part: CPU seconds per generator step, relative to none",
                 columns, rows, numeric, group_starts=starts,
                 note=f"{first['preset']} (n_dis {first['n_dis']}) with one part swapped in, at the study's batch "
                      f"size, timed on this machine in CPU seconds (jobs running beside do not stretch them) as "
                      f"the median of {first['repeats']} interleaved repeats of {first['iterations']} steps "
                      "(rule part_costs).")


def comparison_view(comparison: pd.DataFrame) -> Table:
    """Ours beside the published value, each with its protocol; the citation per row."""
    columns = ["paper row", "ours (data / arch / method)", "metric", "ours", "published", "comparable",
               "our protocol", "published protocol", "citation"]
    rows = []
    for _, r in comparison.iterrows():
        ours = "/".join(str(x) for x in (r["data"], r["arch"], r["method"]) if not _isnan(x) and x != "")
        rows.append([r["paper_row"], ours, metric_label(r["metric"]),
                     PM(r["ours_mean"], r["ours_std"]), PM(r["published"], r["published_std"]),
                     "yes" if r["comparable"] else f"not comparable: {r['differences']}",
                     r["ours_protocol"], r["protocol"], r["citation"]])
    return Table("paper_comparison", "Our numbers beside the published ones", columns, rows, comparison,
                 wide={5, 6, 7, 8}, note="Only rows marked comparable share the paper's protocol.")


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
