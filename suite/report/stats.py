"""Seed statistics per (data, arch, method): location, spread, bootstrap CI, rank, tests.

Diverged and missing runs are counted, never averaged: only runs with status "ok" and a
finite value enter a metric's numbers.
"""

from __future__ import annotations

import logging
import warnings

import numpy as np
import pandas as pd
from scipy import stats as sps

from suite.errors import ConfigError

log = logging.getLogger(__name__)

GROUP = ["data", "arch", "method"]
# Direction of each rankable metric: True when lower is better.
LOWER_IS_BETTER = {"fid": True, "kid_mean": True, "domain_fid": True, "is_mean": False, "domain_is": False}
SUMMARY_COLUMNS = [
    "data", "arch", "method", "metric", "n_seeds", "n_diverged", "n_missing", "n",
    "mean", "std", "median", "ci_low", "ci_high", "rank",
    "p_welch", "p_mwu", "p_welch_holm", "p_mwu_holm",
]
BOOT_SEED = 20240607
CONFIDENCE = 0.95


def lower_is_better(metric: str) -> bool:
    try:
        return LOWER_IS_BETTER[metric]
    except KeyError:
        raise ConfigError(f"report metric {metric!r} has no ranking direction; allowed: {sorted(LOWER_IS_BETTER)}") from None


def finite(values) -> np.ndarray:
    arr = np.asarray(pd.to_numeric(pd.Series(values), errors="coerce"), dtype=float)
    return arr[np.isfinite(arr)]


def bootstrap_ci(values, confidence: float = CONFIDENCE, n_resamples: int = 4999, seed: int = BOOT_SEED) -> tuple[float, float]:
    """Percentile bootstrap CI of the mean; degenerate [x, x] with < 2 values or constant values."""
    x = finite(values)
    if x.size == 0:
        return (np.nan, np.nan)
    if x.size < 2 or np.ptp(x) == 0:
        return (float(x[0]), float(x[0]))
    res = sps.bootstrap((x,), np.mean, confidence_level=confidence, n_resamples=n_resamples,
                        method="percentile", rng=np.random.default_rng(seed))
    return (float(res.confidence_interval.low), float(res.confidence_interval.high))


def welch_p(a, b) -> float:
    """Two-sided Welch t-test p-value; NaN when a group has < 2 values or both are constant."""
    a, b = finite(a), finite(b)
    if a.size < 2 or b.size < 2 or (np.ptp(a) == 0 and np.ptp(b) == 0):
        return np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return float(sps.ttest_ind(a, b, equal_var=False).pvalue)


def mannwhitney_p(a, b) -> float:
    """Two-sided Mann-Whitney U p-value; NaN when a group is empty."""
    a, b = finite(a), finite(b)
    if a.size == 0 or b.size == 0:
        return np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return float(sps.mannwhitneyu(a, b, alternative="two-sided").pvalue)


def holm(pvalues) -> np.ndarray:
    """Holm step-down adjusted p-values; NaN entries stay NaN and do not count as tests.

    Sort the m finite p-values ascending: adj_(i) = max_{j<=i} min(1, (m - j + 1) p_(j)).
    """
    p = np.asarray(pvalues, dtype=float)
    out = np.full(p.shape, np.nan)
    idx = np.flatnonzero(np.isfinite(p))
    m = idx.size
    if m == 0:
        return out
    order = idx[np.argsort(p[idx], kind="stable")]
    running = 0.0
    for k, i in enumerate(order):
        running = max(running, min(1.0, (m - k) * p[i]))
        out[i] = running
    return out


def _group_stats(values: np.ndarray, seed: int) -> dict:
    n = values.size
    lo, hi = bootstrap_ci(values, seed=seed)
    return {
        "n": n,
        "mean": float(values.mean()) if n else np.nan,
        "std": float(values.std(ddof=1)) if n >= 2 else np.nan,
        "median": float(np.median(values)) if n else np.nan,
        "ci_low": lo,
        "ci_high": hi,
    }


def summarize(runs: pd.DataFrame, metrics: list[str], reference_method: str, seed: int = BOOT_SEED) -> pd.DataFrame:
    """Long table: one row per (data, arch, method, metric) with the columns SUMMARY_COLUMNS."""
    for metric in metrics:
        lower_is_better(metric)
    methods = list(dict.fromkeys(runs["method"].dropna()))
    if reference_method not in methods:
        raise ConfigError(f"report.reference_method {reference_method!r} is not a method of the study; allowed: {methods}")
    ok = runs[runs["status"] == "ok"]
    rows = []
    for (data, arch, method), group in runs.groupby(GROUP, sort=False, dropna=False):
        counts = {
            "n_seeds": int((group["status"] != "missing").sum()),
            "n_diverged": int((group["status"] == "diverged").sum()),
            "n_missing": int((group["status"] == "missing").sum()),
        }
        ref = ok[(ok["data"] == data) & (ok["arch"] == arch) & (ok["method"] == reference_method)]
        mine = group[group["status"] == "ok"]
        for metric in metrics:
            values = finite(mine[metric])
            row = {"data": data, "arch": arch, "method": method, "metric": metric, **counts}
            row.update(_group_stats(values, seed))
            if method == reference_method:
                row["p_welch"] = row["p_mwu"] = np.nan
            else:
                row["p_welch"] = welch_p(values, ref[metric])
                row["p_mwu"] = mannwhitney_p(values, ref[metric])
            rows.append(row)
    table = pd.DataFrame(rows)
    if table.empty:
        return pd.DataFrame(columns=SUMMARY_COLUMNS)
    table["rank"] = np.nan
    for metric in metrics:
        sel = table["metric"] == metric
        ranks = table[sel].groupby(["data", "arch"], sort=False)["mean"].rank(
            method="min", ascending=lower_is_better(metric))
        table.loc[sel, "rank"] = ranks
        table.loc[sel, "p_welch_holm"] = holm(table.loc[sel, "p_welch"])
        table.loc[sel, "p_mwu_holm"] = holm(table.loc[sel, "p_mwu"])
    log.info("summarized %d groups x %d metrics (reference %s)", len(table) // max(len(metrics), 1), len(metrics), reference_method)
    return table[SUMMARY_COLUMNS].reset_index(drop=True)
