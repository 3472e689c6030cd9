"""Seed statistics per (data, arch, method) and the pairwise comparisons a metric's table makes.

Diverged and missing runs are counted, never averaged: only runs with status "ok" and a
finite value enter a metric's numbers. The primitives live in suite.statistics.

A metric's table compares, in each (data, arch) group, every method with the reference
method and the leader (the best mean) with every other method (one test per pair); Holm's
adjustment spans all comparisons of that metric. A method is marked "best" only when it beats
every other method at Holm-adjusted p < 0.05; otherwise the leader and each method it does not
beat are marked "tied", and each comparison says how many seeds per method a t-test at Holm's
first-step level (0.05 / the number of tests of the metric) would need to separate them with
power 0.8 if the observed effect were the true one.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from suite import statistics as st
from suite.errors import ConfigError
from suite.runspec import FILES

log = logging.getLogger(__name__)

GROUP = ["data", "arch", "method"]
# Direction of each rankable metric: True when lower is better.
LOWER_IS_BETTER = {"fid": True, "kid_mean": True, "domain_fid": True, "is_mean": False, "domain_is": False,
                   "domain_classes": False,
                   "modes_covered": False, "hq_fraction": False, "w1": True,
                   "js1": True, "js2": True, "js3": True, "js4": True,  # text: n-gram JS to held-out text (bits)
                   "precision": False, "recall": False, "density": False, "coverage": False}
# Per-run sampling standard error of a metric (several subsets of one run's images against the
# same reference), where the runs table has it.
SAMPLING_SE = {"fid": "fid_sampling_se", "kid_mean": "kid_sampling_se", "domain_fid": "domain_fid_sampling_se"}
# Curve metrics tried in turn for the "still improving" flag.
CURVE_METRICS = ("fid", "domain_fid", "kid_mean", "w1")  # w1: the toy curve (2-d data)
BEST, TIED = "best", "tied"
SUMMARY_COLUMNS = [
    "data", "arch", "method", "metric", "n_seeds", "n_diverged", "n_missing", "n",
    "mean", "std", "median", "ci_low", "ci_high", "ci_method", "rank", "mark",
    "sampling_sd", "dominant", "n_improving", "n_trend_unknown",
]
COMPARISON_COLUMNS = [
    "data", "arch", "metric", "method", "versus", "vs_reference", "vs_leader", "top_pair", "n_a", "n_b",
    "diff", "diff_low", "diff_high", "hedges_g", "p_welch", "p_holm", "p_rank", "rank_note", "seeds_to_separate",
]
TREND_COLUMNS = ["data", "arch", "method", "seed", "curve_metric", "improving", "improvement", "noise", "reason"]


def lower_is_better(metric: str) -> bool:
    try:
        return LOWER_IS_BETTER[metric]
    except KeyError:
        raise ConfigError(f"report metric {metric!r} has no ranking direction; allowed: {sorted(LOWER_IS_BETTER)}") from None


@dataclass(frozen=True)
class Analysis:
    summary: pd.DataFrame  # SUMMARY_COLUMNS: one row per (data, arch, method, metric)
    comparisons: pd.DataFrame  # COMPARISON_COLUMNS: one row per pair a metric's table compares
    trends: pd.DataFrame  # TREND_COLUMNS: one row per run with a curve


def _ok_values(ok: pd.DataFrame, data, arch, method, column: str) -> np.ndarray:
    sel = ok[(ok["data"] == data) & (ok["arch"] == arch) & (ok["method"] == method)]
    return st.finite(sel[column]) if column in sel else np.empty(0)


def variance_split(values: np.ndarray, sampling_se: np.ndarray) -> tuple[float, str]:
    """Sampling SD of a cell (root mean square of its runs' sampling SEs) and which source dominates.

    The spread over seeds holds both: var_seeds = var_training + var_sampling, so the training
    part is estimated as max(0, var_seeds - mean(se^2)) and compared with mean(se^2)."""
    if sampling_se.size == 0:
        return np.nan, ""
    sampling_var = float(np.mean(sampling_se ** 2))
    if values.size < 2:
        return float(np.sqrt(sampling_var)), ""
    training_var = max(0.0, float(values.var(ddof=1)) - sampling_var)
    return float(np.sqrt(sampling_var)), "training seeds" if training_var > sampling_var else "sampling"


def _cell_rows(runs: pd.DataFrame, metrics: list[str], trend_counts: dict) -> list[dict]:
    ok = runs[runs["status"] == "ok"]
    rows = []
    for (data, arch, method), group in runs.groupby(GROUP, sort=False, dropna=False):
        counts = {
            "n_seeds": int((group["status"] != "missing").sum()),
            "n_diverged": int((group["status"] == "diverged").sum()),
            "n_missing": int((group["status"] == "missing").sum()),
        }
        n_improving, n_unknown = trend_counts.get((data, arch, method), (0, 0))
        for metric in metrics:
            values = _ok_values(ok, data, arch, method, metric)
            interval = st.mean_interval(values)
            se = _ok_values(ok, data, arch, method, SAMPLING_SE[metric]) if metric in SAMPLING_SE else np.empty(0)
            sampling_sd, dominant = variance_split(values, se)
            rows.append({"data": data, "arch": arch, "method": method, "metric": metric, **counts,
                         "n": interval.n, "mean": interval.mean,
                         "std": float(values.std(ddof=1)) if values.size >= 2 else np.nan,
                         "median": float(np.median(values)) if values.size else np.nan,
                         "ci_low": np.nan if interval.low is None else interval.low,
                         "ci_high": np.nan if interval.high is None else interval.high,
                         "ci_method": interval.method, "mark": "", "sampling_sd": sampling_sd, "dominant": dominant,
                         "n_improving": n_improving, "n_trend_unknown": n_unknown})
    return rows


def _pair_row(data, arch, metric, a: str, b: str, va, vb, vs_reference: bool, vs_leader: bool,
              top_pair: bool) -> dict:
    c = st.compare(va, vb)
    return {"data": data, "arch": arch, "metric": metric, "method": a, "versus": b, "vs_reference": vs_reference,
            "vs_leader": vs_leader, "top_pair": top_pair, "n_a": c.n_a, "n_b": c.n_b, "diff": c.difference.diff,
            "diff_low": np.nan if c.difference.low is None else c.difference.low,
            "diff_high": np.nan if c.difference.high is None else c.difference.high,
            "hedges_g": c.hedges_g, "p_welch": c.p_welch, "p_rank": np.nan if c.rank.p is None else c.rank.p,
            "rank_note": c.rank.reason or ""}


def _ranked(cells: pd.DataFrame, metric: str) -> list[str]:
    """The cell's methods with a finite mean, best first."""
    ranked = cells[np.isfinite(cells["mean"].astype(float))].sort_values(
        "mean", ascending=lower_is_better(metric), kind="stable")
    return ranked["method"].tolist()


def _comparisons(runs: pd.DataFrame, summary: pd.DataFrame, metrics: list[str], reference: str) -> pd.DataFrame:
    ok = runs[runs["status"] == "ok"]
    rows = []
    for metric in metrics:
        first = len(rows)
        cells = summary[summary["metric"] == metric]
        for (data, arch), group in cells.groupby(["data", "arch"], sort=False):
            ranked = _ranked(group, metric)
            leader = ranked[0] if len(ranked) >= 2 else None
            values = {m: _ok_values(ok, data, arch, m, metric) for m in group["method"]}
            pairs: dict[tuple[str, str], set] = {}  # (a, b) with the leader first -> what the pair is
            if reference in values:
                for method in group["method"]:
                    if method != reference:
                        pairs.setdefault((reference, method) if reference == leader else (method, reference),
                                         set()).add("reference")
            if leader is not None:
                for rank, other in enumerate(ranked[1:]):
                    pairs.setdefault((leader, other), set()).update({"leader", "top"} if rank == 0 else {"leader"})
            for (a, b), kinds in pairs.items():
                rows.append(_pair_row(data, arch, metric, a, b, values[a], values[b], "reference" in kinds,
                                      "leader" in kinds, "top" in kinds))
        p_holm = st.holm([r["p_welch"] for r in rows[first:]])
        family = int(np.isfinite(p_holm).sum())
        for r, p in zip(rows[first:], p_holm):
            r["p_holm"] = p
            # Holm's first step tests at alpha / m: the level a new study's smallest p must reach.
            r["seeds_to_separate"] = st.seeds_to_separate(r["hedges_g"], alpha=st.ALPHA / max(family, 1))
    return pd.DataFrame(rows, columns=COMPARISON_COLUMNS)


def _mark_best(summary: pd.DataFrame, comparisons: pd.DataFrame) -> None:
    """"best" for a leader that beats every other method of its cell; else "tied" on the leader and on
    each method it does not beat."""
    leader_pairs = comparisons.loc[comparisons["vs_leader"].astype(bool)]  # an empty mask selects no columns
    for (data, arch, metric), pairs in leader_pairs.groupby(["data", "arch", "metric"], sort=False):
        sel = (summary["data"] == data) & (summary["arch"] == arch) & (summary["metric"] == metric)
        beaten = pairs["p_holm"] < st.ALPHA
        leader = pairs["method"].iloc[0]
        if beaten.all():
            summary.loc[sel & (summary["method"] == leader), "mark"] = BEST
        else:
            summary.loc[sel & summary["method"].isin([leader, *pairs.loc[~beaten, "versus"]]), "mark"] = TIED


def curve_trends(runs: pd.DataFrame) -> pd.DataFrame:
    """Per finished run with a curve.csv: whether its curve metric was still improving at the end."""
    rows = []
    for _, r in runs[runs["status"] == "ok"].iterrows():
        path = Path(r["run_dir"]) / FILES["curve"]
        if not path.is_file():
            continue
        curve = pd.read_csv(path)
        metric = next((m for m in CURVE_METRICS if m in curve.columns), None)
        if metric is None or "step" not in curve.columns:
            continue
        trend = st.still_improving(curve["step"], curve[metric], lower_is_better(metric))
        rows.append({"data": r["data"], "arch": r["arch"], "method": r["method"], "seed": r["seed"],
                     "curve_metric": metric, "improving": trend.improving, "improvement": trend.improvement,
                     "noise": trend.noise, "reason": trend.reason or ""})
    return pd.DataFrame(rows, columns=TREND_COLUMNS)


def _trend_counts(trends: pd.DataFrame) -> dict:
    counts = {}
    for key, group in trends.groupby(GROUP, sort=False):
        counts[key] = (int((group["improving"] == True).sum()), int(group["improving"].isna().sum()))  # noqa: E712
    return counts


def analyze(runs: pd.DataFrame, metrics: list[str], reference_method: str, trends: pd.DataFrame | None = None) -> Analysis:
    """Cell statistics, comparisons with their Holm p, earned best/tied marks and run trends."""
    for metric in metrics:
        lower_is_better(metric)
    methods = list(dict.fromkeys(runs["method"].dropna()))
    if reference_method not in methods:
        raise ConfigError(f"report.reference_method {reference_method!r} is not a method of the study; allowed: {methods}")
    trends = pd.DataFrame(columns=TREND_COLUMNS) if trends is None else trends
    summary = pd.DataFrame(_cell_rows(runs, metrics, _trend_counts(trends)), columns=SUMMARY_COLUMNS)
    if summary.empty:
        return Analysis(summary, pd.DataFrame(columns=COMPARISON_COLUMNS), trends)
    for metric in metrics:
        sel = summary["metric"] == metric
        summary.loc[sel, "rank"] = summary[sel].groupby(["data", "arch"], sort=False)["mean"].rank(
            method="min", ascending=lower_is_better(metric))
    comparisons = _comparisons(runs, summary, metrics, reference_method)
    _mark_best(summary, comparisons)
    log.info("analyzed %d cells x %d metrics, %d comparisons (reference %s)",
             len(summary) // max(len(metrics), 1), len(metrics), len(comparisons), reference_method)
    return Analysis(summary.reset_index(drop=True), comparisons, trends)
