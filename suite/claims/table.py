"""The claims table: each registered claim evaluated on a study's run folders, judged within its family.

A family is one paper's claims (the benchmark's own observations are a family of their own). Its
size m is fixed by the claims registered for that paper at the study's scale, not by which of them
happened to finish, so another paper's claims never move a p-value here. Before any test, each
claim's smallest attainable p at its seeds is computed; Tarone's screening keeps out of the family
the claims that could not pass even with the most extreme outcome (reason code unreachable-at-n).
Holm's step-down adjustment and Benjamini-Hochberg q-values run over the family's tested claims,
with the untested members counted as p = 1.

`claims_table(run_dirs)` returns a pandas DataFrame (full numbers); `display_frame` formats it
and `write_claims_table` writes CSV, Markdown, LaTeX and HTML.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from suite import statistics
from suite.claims.claim import SCALES, Claim
from suite.claims.runs import MeasurementMissing, RunOutputs
from suite.claims.verdict import (NOT_RUN, Context, Decision, Evidence, decide, evidence_for,
                                  seeds_needed)
from suite.io import write_text
from suite.plateau import CAP, PLATEAU

REPO_ROOT = Path(__file__).resolve().parents[2]
COLUMNS = ("id", "source", "family", "statement", "scale", "seeds", "statistic", "effect", "ci_low", "ci_high",
           "test", "p", "family_m", "holm_p", "bh_q", "verdict", "reason_code", "reason", "seeds_needed",
           "seeds_needed_low", "seeds_needed_high", "figure", "observation")
DISPLAY_COLUMNS = ("verdict", "id", "effect", "95% CI", "reason code", "seeds needed", "Holm p", "BH q", "seeds",
                   "scale", "test", "source", "statement", "statistic", "reason", "figure")
COMPUTED = "computed"


@dataclass(frozen=True)
class Outcome:
    """A claim on one study before the family's adjustment: its evidence, or the reason it did not run.

    `values` are the measure's values behind the evidence (the seeds needed are computed from them once
    the family's level is known); `improving` and `diverged` say why the runs may not compare."""

    claim: Claim
    scale: str
    evidence: Evidence | None
    not_run: str = ""
    values: list = field(default_factory=list)
    improving: str = ""
    diverged: str = ""


@lru_cache(maxsize=None)
def config_experiment(config: str) -> str | None:
    """The `experiment` name of a study config (repository-relative path), None if the file is absent."""
    path = REPO_ROOT / config
    if not path.is_file():
        return None
    return (yaml.safe_load(path.read_text()) or {}).get("experiment")


def scale_of(claim: Claim, experiment: str | None) -> str:
    """The scale whose config is this study, else the study's name."""
    for scale, grid in claim.grids:
        if experiment is not None and config_experiment(grid.config) == experiment:
            return scale
    return f"study {experiment}" if experiment else COMPUTED


def where_it_runs(claim: Claim) -> str:
    """'configs/x.yaml (scale)' for each scale that runs the claim, smallest first."""
    grids = sorted(claim.grids, key=lambda item: SCALES.index(item[0]))
    return ", ".join(f"{grid.config} ({scale})" for scale, grid in grids) or "no config yet"


def _still_improving(runs: list[RunOutputs], metric: str) -> tuple[str, str]:
    """('k of n runs still improving ...' or '', 'stops: ...'). A run trained to a plateau rule has
    finished when it plateaued and was still improving when it hit the rule's cap (train.json's
    stop_reason); a run of fixed iterations is still improving when its `metric` curve (lower is better)
    fell beyond its noise over the last fifth of training (statistics.still_improving)."""
    told, stops = [], Counter()
    for run in runs:
        try:
            reason = run.train.get("stop_reason")
        except MeasurementMissing:
            reason = None
        if reason in (PLATEAU, CAP):
            stops[reason] += 1
            told.append(reason == CAP)
            continue
        try:
            curve = run.curve
        except MeasurementMissing:
            continue
        if metric in curve:
            told.append(statistics.still_improving(curve["step"], curve[metric], lower_is_better=True).improving)
    improving = sum(flag is True for flag in told)
    stopped = "stops: " + ", ".join(f"{count} {reason}" for reason, count in sorted(stops.items())) if stops else ""
    return (f"{improving} of {len(told)} runs still improving at their last evaluation" if improving else ""), stopped


def _worst_for_diverged(values: list[np.ndarray]) -> tuple[list[np.ndarray], str]:
    """Replace +inf (a diverged run's score in a lower-is-better measure) by the claim's worst finite value."""
    replaced = sum(int(np.isposinf(np.asarray(v, dtype=float)).sum()) for v in values)
    if not replaced:
        return values, ""
    finite = np.concatenate([statistics.finite(v) for v in values])
    if finite.size == 0:
        return values, f"{replaced} diverged value(s) and no finite one"
    worst = float(finite.max())
    arrays = [np.where(np.isposinf(np.asarray(v, dtype=float)), worst, np.asarray(v, dtype=float)) for v in values]
    return arrays, f"{replaced} diverged value(s) scored as the worst finite value {worst:.4g}"


def evaluate(claim: Claim, runs: list[RunOutputs], experiment: str | None) -> Outcome:
    """The claim's evidence on `runs` (any run folders; the claim picks its groups by their specs)."""
    scale = scale_of(claim, experiment) if claim.groups else COMPUTED
    selected = [[run for run in runs if group.matches(run.record)] for group in claim.groups]
    empty = [group for group, chosen in zip(claim.groups, selected) if not chosen]
    if empty:
        lacking = "; ".join(group.describe() for group in empty)
        return Outcome(claim, scale, None, f"this study has no runs of {lacking}; {where_it_runs(claim)} runs it")
    # A success count reads a diverged run as a failure and an outcome measure as the worst score;
    # any other mean cannot use its number, so it is left out and counted per group.
    keeps_diverged = claim.counts_successes or claim.diverged_is_worst
    kept = selected if keeps_diverged else [[run for run in chosen if not run.diverged()] for chosen in selected]
    notes, diverged = [], ""
    dropped = [len(chosen) - len(ok) for chosen, ok in zip(selected, kept)]
    if any(dropped):
        counts = " vs ".join(map(str, dropped))
        notes.append(f"diverged runs left out per group: {counts}")
        if len(set(dropped)) > 1:
            diverged = f"diverged runs left out in different numbers per group ({counts})"
    failed = sum(run.diverged() for chosen in kept for run in chosen) if claim.counts_successes else 0
    if failed:
        notes.append(f"{failed} diverged run(s) counted as failures")
    try:
        if any(not ok for ok in kept):
            raise MeasurementMissing("every run of a group diverged")
        values = claim.measure.values(kept)
    except MeasurementMissing as missing:
        if any(dropped) and any(not ok for ok in kept):
            evidence = Evidence(math.nan, None, None, math.nan, tuple(map(len, kept)), notes=tuple(notes),
                                uninformative="every run of a group diverged")
            return Outcome(claim, scale, evidence, diverged=diverged)
        return Outcome(claim, scale, None, f"measurement missing: {missing}")
    if claim.diverged_is_worst:
        values, note = _worst_for_diverged(values)
        notes += [note] if note else []
    improving = ""
    if claim.improving_metric:
        improving, stops = _still_improving([run for ok in kept for run in ok if not run.diverged()],
                                            claim.improving_metric)
        notes += [stops] if stops else []
    if not claim.counts_successes:
        lost = sum(np.asarray(v, dtype=float).size - statistics.finite(v).size for v in values)
        if lost:
            notes.append(f"{lost} run(s) without a finite value left out")
    evidence = evidence_for(claim.test_kind, values, claim.no_effect)
    evidence = Evidence(evidence.effect, evidence.low, evidence.high, evidence.p, evidence.n,
                        evidence.notes + tuple(notes), evidence.uninformative)
    return Outcome(claim, scale, evidence, values=values, improving=improving, diverged=diverged)


def family_members(family: str, scale: str, pool: list[Claim]) -> list[Claim]:
    """The claims of `family` registered at `scale`, and every computed one (it runs in any study)."""
    return [claim for claim in pool if claim.family == family and (not claim.groups or claim.grid(scale))]


@dataclass(frozen=True)
class Family:
    """One family's adjustment: its m (Tarone's K), level alpha / m, and per claim id: testable, Holm p, BH q."""

    m: int
    level: float
    testable: dict
    holm: dict
    bh: dict


def judge_family(outcomes: list[Outcome], members: list[Claim], alpha: float = statistics.ALPHA) -> Family:
    """Screen, then adjust, one family: its members and every claim of the outcomes that ran. A member
    that did not run (or is not in this table) counts as testable, so it keeps its place in m; its p
    counts as 1."""
    by_id = {outcome.claim.id: outcome for outcome in outcomes}
    # every claim tested here is in the family, registered at this scale or not
    ran = [claim_id for claim_id, outcome in by_id.items() if outcome.evidence is not None]
    ids = list(dict.fromkeys([claim.id for claim in members] + ran))
    smallest = []
    for claim_id in ids:
        outcome = by_id.get(claim_id)
        ran = outcome is not None and outcome.evidence is not None
        smallest.append(statistics.smallest_p(outcome.claim.test_kind, outcome.evidence.n) if ran else 0.0)
    m, mask = statistics.tarone_screen(np.array(smallest), alpha)
    testable = dict(zip(ids, map(bool, mask)))
    tested = [claim_id for claim_id in ids if claim_id in by_id and testable[claim_id]
              and by_id[claim_id].evidence is not None and not by_id[claim_id].evidence.uninformative
              and math.isfinite(by_id[claim_id].evidence.p)]
    p = np.array([by_id[claim_id].evidence.p for claim_id in tested], dtype=float)
    holm = dict(zip(tested, statistics.holm(p, m=m))) if tested else {}
    bh = dict(zip(tested, statistics.bh_qvalues(p, m=m))) if tested else {}
    return Family(m, alpha / m, testable, holm, bh)


def judge(outcomes: list[Outcome], registered: list[Claim] | None = None) -> list[tuple[Family, Decision]]:
    """Each outcome's family (Tarone's screening, Holm and BH within it) and decision, in order."""
    from suite.claims.registry import CLAIMS

    registered = list(CLAIMS.values()) if registered is None else registered
    study_scale = next((o.scale for o in outcomes if o.scale != COMPUTED), COMPUTED)
    by_family: dict[str, list[Outcome]] = defaultdict(list)
    for outcome in outcomes:
        by_family[outcome.claim.family].append(outcome)
    families = {}
    for name, here in by_family.items():
        if study_scale in SCALES:
            known = {claim.id for claim in registered}
            members = family_members(name, study_scale, registered + [o.claim for o in here if o.claim.id not in known])
        else:  # a study of no registered scale has no registered design: its family is the claims it ran
            members = [o.claim for o in here if o.evidence is not None]
        families[name] = judge_family(here, members)
    judged = []
    for outcome in outcomes:
        claim, evidence, family = outcome.claim, outcome.evidence, families[outcome.claim.family]
        if evidence is None:
            judged.append((family, Decision(NOT_RUN, "", outcome.not_run)))
            continue
        testable = family.testable.get(claim.id, True)
        reach = None if testable else statistics.reachable_at(claim.test_kind, family.level)
        context = Context(family.holm.get(claim.id, math.nan), family.level, testable, reach, outcome.improving,
                          outcome.diverged)
        judged.append((family, decide(evidence, claim.no_effect, claim.direction, context)))
    return judged


def verdict_rows(outcomes: list[Outcome], registered: list[Claim] | None = None) -> pd.DataFrame:
    """One row per outcome, with its family's numbers, its decision and the seeds that would decide it."""
    rows = []
    for outcome, (family, decision) in zip(outcomes, judge(outcomes, registered)):
        claim, evidence = outcome.claim, outcome.evidence
        needed = statistics.NO_SEEDS_NEEDED
        if evidence is not None and outcome.values and evidence.low is not None:
            needed = seeds_needed(claim.test_kind, outcome.values, claim.no_effect, family.level)
        statistic = f"{claim.measure.name}; no effect {claim.no_effect:g}, paper expects {claim.expected}"
        if claim.ours:
            statistic += f" (ours: {claim.ours})"
        rows.append({
            "id": claim.id, "source": claim.source, "family": claim.family, "statement": claim.statement,
            "scale": outcome.scale, "seeds": " vs ".join(map(str, evidence.n)) if evidence else "",
            "statistic": statistic,
            "effect": evidence.effect if evidence else math.nan,
            "ci_low": _number(evidence.low if evidence else None),
            "ci_high": _number(evidence.high if evidence else None),
            "test": claim.test, "p": evidence.p if evidence else math.nan, "family_m": family.m,
            "holm_p": float(family.holm.get(claim.id, math.nan)), "bh_q": float(family.bh.get(claim.id, math.nan)),
            "verdict": decision.verdict, "reason_code": decision.code, "reason": decision.reason,
            "seeds_needed": needed.estimate, "seeds_needed_low": needed.low, "seeds_needed_high": needed.high,
            "figure": claim.figure, "observation": claim.observation,
        })
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    # The benchmark's own observations come after the papers' claims, kept apart.
    return frame.sort_values("observation", kind="stable").reset_index(drop=True)


def _number(value) -> float:
    return math.nan if value is None else float(value)


def claims_table(run_dirs, claims: list[Claim] | None = None) -> pd.DataFrame:
    """The claims table of a study's run folders (each with run.yaml): every registered claim by default.
    A family's m counts its registered claims at the study's scale even when `claims` picks a few."""
    from suite.claims.registry import CLAIMS

    runs = [RunOutputs.load(path) for path in run_dirs]
    experiments = sorted({str(run.record.get("experiment")) for run in runs})
    experiment = experiments[0] if len(experiments) == 1 else None
    chosen = list(CLAIMS.values()) if claims is None else claims
    return verdict_rows([evaluate(claim, runs, experiment) for claim in chosen])


def _fmt(x) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "n/a"
    magnitude = abs(x)
    places = 1 if magnitude >= 100 else 2 if magnitude >= 1 else 3 if magnitude >= 0.01 else 5
    return f"{x:.{places}f}"


def _count(n: float) -> str:
    if not math.isfinite(n) and n != math.inf:
        return ""
    return f"> {statistics.SEEDS_CAP:,}" if n > statistics.SEEDS_CAP else f"{int(round(n)):,}"


def seeds_needed_text(estimate: float, low: float, high: float) -> str:
    """'12 (6-40)': seeds per group at the observed effect, then at the interval's far and near ends;
    '> 10,000' for an infinite count (and beyond the cap), '' when not computed."""
    shown, low, high = _count(float(estimate)), _count(float(low)), _count(float(high))
    if not shown or not low or not high or low == high:
        return shown
    return f"{shown} ({low} to {high})" if high.startswith(">") else f"{shown} ({low}-{high})"


def _p_text(p: float) -> str:
    return "n/a" if not math.isfinite(p) else "<0.001" if p < 0.001 else f"{p:.3f}"


def display_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The table as strings: verdict first, the interval in one column, Holm p with its family's m, the
    seeds needed as 'estimate (range)', and the benchmark's observations marked."""
    shown = frame.copy()
    shown["effect"] = frame["effect"].map(_fmt)
    shown["95% CI"] = [f"[{_fmt(lo)}, {_fmt(hi)}]" if math.isfinite(lo) else "n/a"
                       for lo, hi in zip(frame["ci_low"], frame["ci_high"])]
    shown["Holm p"] = [f"{_p_text(p)} (m {m})" for p, m in zip(frame["holm_p"], frame["family_m"])]
    shown["BH q"] = frame["bh_q"].map(_p_text)
    shown["reason code"] = frame["reason_code"]
    shown["seeds needed"] = [seeds_needed_text(*row) for row in
                             zip(frame["seeds_needed"], frame["seeds_needed_low"], frame["seeds_needed_high"])]
    shown["source"] = [f"{source} (ours, not a paper's)" if own else source
                       for source, own in zip(frame["source"], frame["observation"])]
    return shown[list(DISPLAY_COLUMNS)]


def write_claims_table(frame: pd.DataFrame, out_dir: Path | str, stem: str = "claims") -> list[Path]:
    """claims.csv (full numbers), claims.md, claims.tex and claims.html in `out_dir`."""
    out_dir = Path(out_dir)
    shown = display_frame(frame)
    texts = {
        "csv": frame.to_csv(index=False),
        "md": shown.to_markdown(index=False) + "\n",
        "tex": shown.to_latex(index=False, longtable=True, caption="Published claims and their verdicts",
                              label="tab:claims"),
        "html": shown.to_html(index=False, classes="claims", border=0, escape=True),
    }
    paths = []
    for suffix, text in texts.items():
        path = out_dir / f"{stem}.{suffix}"
        write_text(path, text)
        paths.append(path)
    return paths


def coverage(claim: Claim, records: list[dict]) -> str:
    """Seeds per group that a study's runs (run.yaml records or RunSpec dicts) give the claim; '' if a group has none."""
    if not claim.groups:
        return "computed"
    counts = [len({record["seed"] for record in records if group.matches(record)}) for group in claim.groups]
    return " vs ".join(map(str, counts)) + " seeds" if all(counts) else ""
