"""The report's opening paragraph: what the numbers support at this scale and what they do not.

It leads with the verdicts on the registered claims (counts, the reasons behind the inconclusive
ones, the decided claims by id), then the primary metric's comparisons and caveats. Every sentence
is built from a computed value of the claims frame or the Analysis (a verdict, a comparison, a
count, a protocol value); none is written by hand, so the paragraph changes when the numbers do.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from suite.report.claims_view import DECIDED, INCONCLUSIVE, reason_counts, verdict_counts
from suite.report.stats import Analysis, lower_is_better
from suite.report.tables import FID_FULL_N, _isnan, fmt, fmt_p, metric_label
from suite.statistics import ALPHA, SEPARATE_CAP


def _seeds(n_a, n_b) -> str:
    if n_a == n_b:
        return f"{int(n_a)} seed{'s' if n_a != 1 else ''} each"
    return f"{int(n_a)} and {int(n_b)} seeds"


def _interval(low, high, places: int) -> str:
    return "no interval" if _isnan(low) or _isnan(high) else f"[{fmt(low, places)}, {fmt(high, places)}]"


def _places(c) -> int:
    spread = abs(c["diff_high"] - c["diff_low"]) if not (_isnan(c["diff_low"]) or _isnan(c["diff_high"])) else abs(c["diff"])
    return 2 if not spread or _isnan(spread) else max(0, min(4, 1 - int(np.floor(np.log10(spread)))))


def top_pair_sentence(c, metric: str) -> str:
    """'On data / arch, A beats B by X FID [CI] ...' or 'A and B are not separable at n seeds ...'."""
    label, places = metric_label(metric), _places(c)
    where = f"On {c['data']} / {c['arch']}"
    if _isnan(c["p_holm"]):
        return (f"{where}, {c['method']} and {c['versus']} cannot be compared on {label}: "
                f"{_seeds(c['n_a'], c['n_b'])}, a t-test needs 2 per method.")
    gain = -1 if lower_is_better(metric) else 1  # best - runner-up, turned into "better by"
    by, low, high = gain * c["diff"], *sorted((gain * c["diff_low"], gain * c["diff_high"]))
    stats = f"Holm p = {fmt_p(c['p_holm'])}, Hedges' g = {fmt(abs(c['hedges_g']), 2)}, {_seeds(c['n_a'], c['n_b'])}"
    if c["p_holm"] < ALPHA:
        return (f"{where}, {c['method']} beats {c['versus']} by {fmt(by, places)} {label} "
                f"{_interval(low, high, places)} ({stats}).")
    seeds = c["seeds_to_separate"]
    if _isnan(seeds) and not _isnan(c["hedges_g"]) and c["hedges_g"] != 0:
        # the seeds search stops at the cap: a tiny effect is not the same as equal means
        need = (f"at the observed effect (g = {fmt(abs(c['hedges_g']), 2)}) more than {SEPARATE_CAP:,} seeds per method "
                "would be needed to separate them")
    elif _isnan(seeds):
        need = "no number of seeds would separate equal means"
    else:
        need = (f"at the observed effect (g = {fmt(abs(c['hedges_g']), 2)}) about {int(seeds)} seeds per method "
                "would separate them")
        if seeds <= max(c["n_a"], c["n_b"]):
            need += ", no more than now: the effect itself is estimated too loosely at this n to rely on"
    return (f"{where}, {c['method']} and {c['versus']} are not separable on {label} at {_seeds(c['n_a'], c['n_b'])} "
            f"(difference {fmt(by, places)} {_interval(low, high, places)}, Holm p = {fmt_p(c['p_holm'])}); {need}.")


def reference_sentence(comparisons: pd.DataFrame, metric: str, reference: str) -> str | None:
    vs = comparisons[(comparisons["metric"] == metric) & comparisons["vs_reference"]]
    tested = vs[vs["p_holm"].notna()]
    if tested.empty:
        return None
    held = tested[tested["p_holm"] < ALPHA]
    better = -1 if lower_is_better(metric) else 1
    words = []
    for _, c in held.iterrows():
        other = c["versus"] if c["method"] == reference else c["method"]
        sign = better * (c["diff"] if c["method"] == other else -c["diff"])
        words.append(f"{other} {'better' if sign > 0 else 'worse'} on {c['arch']}")
    listed = f": {', '.join(words)}" if words else ""
    return (f"Against the reference {reference}, {len(held)} of {len(tested)} {metric_label(metric)} comparisons hold "
            f"at Holm p < {ALPHA}{listed}.")


def trend_sentence(trends: pd.DataFrame) -> str | None:
    if trends.empty:
        return None
    known = trends[trends["improving"].notna()]
    unknown = len(trends) - len(known)
    flagged = known[known["improving"] == True]  # noqa: E712
    tail = f"; {unknown} runs have too few curve points to tell" if unknown else ""
    if known.empty:
        return f"No run's curve has enough points to tell whether it was still improving ({len(trends)} runs)."
    if flagged.empty:
        return (f"None of the {len(known)} runs with a long enough curve was still improving over its last fifth of "
                f"training by more than its noise{tail}.")
    cells = ", ".join(f"{m} on {a}" for (a, m), _ in flagged.groupby(["arch", "method"], sort=False))
    share = "All" if len(flagged) == len(known) else f"{len(flagged)} of"
    return (f"{share} {len(known)} runs with a long enough curve were still improving over their last fifth of training "
            f"({cells}): rankings there are bound by the training budget{tail}.")


def sample_size_sentence(n_gen: float | None, metric: str) -> str | None:
    """Why the primary metric's values compare only at its sample count (FID and domain FID)."""
    if n_gen is None or _isnan(n_gen) or n_gen >= FID_FULL_N or metric not in ("fid", "domain_fid"):
        return None
    label = metric_label(metric)
    return (f"{label[0].upper()}{label[1:]} rests on {int(n_gen):,} generated images, under {FID_FULL_N:,}: "
            "it is biased upward at this n and comparable only with values at the same n, not with published ones.")


def variance_sentence(summary: pd.DataFrame, metric: str) -> str | None:
    cells = summary[(summary["metric"] == metric) & (summary["dominant"] != "")]
    if cells.empty:
        return None
    sampling = int((cells["dominant"] == "sampling").sum())
    return (f"Sampling noise outweighs the training-seed variance in {sampling} of {len(cells)} "
            f"{metric_label(metric)} cells.")


def _listed(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def claims_sentences(frame: pd.DataFrame) -> list[str]:
    """'Of 37 registered claims, 6 reproduced, 1 contradicted, 20 inconclusive (9 budget-bound, ...),
    10 not run.' then the decided claims by id."""
    if frame.empty:
        return []
    ours = int(frame["observation"].astype(bool).sum())
    own = f" ({ours} of them this benchmark's own observations)" if ours else ""
    parts = []
    for verdict, count in verdict_counts(frame):
        part = f"{count} {verdict}"
        if verdict == INCONCLUSIVE and count:
            part += f" ({', '.join(f'{n} {code}' for code, n in reason_counts(frame))})"
        parts.append(part)
    sentences = [f"Of {len(frame)} registered claim{'s' if len(frame) != 1 else ''}{own}, {', '.join(parts)}."]
    decided = []
    for verdict in DECIDED:
        rows = frame[frame["verdict"] == verdict]
        names = [f"{r['id']} (ours)" if bool(r["observation"]) else str(r["id"]) for _, r in rows.iterrows()]
        if names:
            decided.append(f"{verdict.capitalize()}: {_listed(names)}.")
    sentences += decided or ["No claim is decided either way at this scale."]
    return sentences


def headline(analysis: Analysis, metrics: list[str], reference: str, n_gen: float | None = None) -> list[str]:
    """The opening sentences, primary metric (the first reported) first; `n_gen`: the generated images its
    values rest on."""
    if not metrics:
        return []
    metric = metrics[0]
    comparisons = analysis.comparisons
    ns = analysis.summary.loc[analysis.summary["metric"] == metric, "n"]
    measured = ns[ns > 0]
    sentences = []
    if len(measured):
        low, high = int(measured.min()), int(measured.max())
        span = str(low) if low == high else f"{low} to {high}"
        without = len(ns) - len(measured)
        # a cell scored without this metric (or with every run diverged or missing) rests on no seed at all
        others = f" ({without} more cell{'s' if without > 1 else ''} without it)" if without else ""
        sentences.append(f"Each cell's {metric_label(metric)} rests on {span} finished seeds{others}; "
                         "intervals are Student-t below 10 seeds, BCa bootstrap from 10.")
    top = comparisons[(comparisons["metric"] == metric) & comparisons["top_pair"]]
    sentences += [top_pair_sentence(c, metric) for _, c in top.iterrows()]
    sentences += [s for s in (reference_sentence(comparisons, metric, reference), trend_sentence(analysis.trends),
                              variance_sentence(analysis.summary, metric), sample_size_sentence(n_gen, metric)) if s]
    return sentences
