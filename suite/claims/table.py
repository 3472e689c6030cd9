"""The claims table: each registered claim evaluated on a study's run folders, with Holm across the table.

`claims_table(run_dirs)` returns a pandas DataFrame (full numbers); `display_frame` formats it
(effect, "95% CI", "Holm p") and `write_claims_table` writes CSV, Markdown, LaTeX and HTML.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from suite import statistics
from suite.claims.claim import SCALES, Claim
from suite.claims.measures import still_improving
from suite.claims.runs import MeasurementMissing, RunOutputs
from suite.claims.verdict import NOT_RUN, Evidence, decide, evidence_for
from suite.io import write_text

REPO_ROOT = Path(__file__).resolve().parents[2]
COLUMNS = ("id", "source", "statement", "scale", "seeds", "statistic", "effect", "ci_low", "ci_high",
           "test", "p", "holm_p", "verdict", "reason", "figure", "observation")
DISPLAY_COLUMNS = ("id", "source", "statement", "scale", "seeds", "statistic", "effect", "95% CI", "test",
                   "Holm p", "verdict", "reason", "figure")


@dataclass(frozen=True)
class Outcome:
    """A claim on one study before Holm: its evidence, or the reason it did not run."""

    claim: Claim
    scale: str
    evidence: Evidence | None
    not_run: str = ""


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
    return f"study {experiment}" if experiment else "computed"


def where_it_runs(claim: Claim) -> str:
    """'configs/x.yaml (scale)' for each scale that runs the claim, smallest first."""
    grids = sorted(claim.grids, key=lambda item: SCALES.index(item[0]))
    return ", ".join(f"{grid.config} ({scale})" for scale, grid in grids) or "no config yet"


def evaluate(claim: Claim, runs: list[RunOutputs], experiment: str | None) -> Outcome:
    """The claim's evidence on `runs` (any run folders; the claim picks its groups by their specs)."""
    scale = scale_of(claim, experiment) if claim.groups else "computed"
    selected = [[run for run in runs if group.matches(run.record)] for group in claim.groups]
    empty = [group for group, chosen in zip(claim.groups, selected) if not chosen]
    if empty:
        lacking = "; ".join(group.describe() for group in empty)
        return Outcome(claim, scale, None, f"this study has no runs of {lacking}; {where_it_runs(claim)} runs it")
    # A success count reads a diverged run as a failure; a mean cannot use its number.
    kept = selected if claim.counts_successes else [[run for run in chosen if not run.diverged()]
                                                    for chosen in selected]
    notes = []
    diverged = sum(len(chosen) - len(ok) for chosen, ok in zip(selected, kept))
    if diverged:
        notes.append(f"{diverged} diverged run(s) left out")
    failed = sum(run.diverged() for chosen in kept for run in chosen) if claim.counts_successes else 0
    if failed:
        notes.append(f"{failed} diverged run(s) counted as failures")
    try:
        if any(not ok for ok in kept):
            raise MeasurementMissing("every run of a group diverged")
        values = claim.measure.values(kept)
        if claim.improving_metric:
            improving = sum(still_improving(run, claim.improving_metric) for ok in kept for run in ok)
            if improving:
                notes.append(f"{improving} of {sum(map(len, kept))} runs still improving at their last evaluation")
    except MeasurementMissing as missing:
        if diverged and any(not ok for ok in kept):
            return Outcome(claim, scale, Evidence(math.nan, None, None, math.nan, tuple(map(len, kept)),
                                                  notes=tuple(notes)))
        return Outcome(claim, scale, None, f"measurement missing: {missing}")
    lost = sum(len(v) - statistics.finite(v).size for v in values)
    if lost:
        notes.append(f"{lost} run(s) without a finite value left out")
    evidence = evidence_for(claim.test_kind, values, claim.no_effect)
    return Outcome(claim, scale, Evidence(evidence.effect, evidence.low, evidence.high, evidence.p, evidence.n,
                                          evidence.seeds_needed, evidence.notes + tuple(notes)))


def verdict_rows(outcomes: list[Outcome]) -> pd.DataFrame:
    """One row per outcome; Holm's adjustment runs across every claim of the table that has a test."""
    p = np.array([o.evidence.p if o.evidence else math.nan for o in outcomes], dtype=float)
    p_holm = statistics.holm(p)
    rows = []
    for outcome, adjusted in zip(outcomes, p_holm):
        claim, evidence = outcome.claim, outcome.evidence
        if evidence is None:
            verdict, reason = NOT_RUN, outcome.not_run
        else:
            verdict, reason = decide(evidence, claim.no_effect, claim.direction, float(adjusted))
        statistic = f"{claim.measure.name}; no effect {claim.no_effect:g}, paper expects {claim.expected}"
        if claim.ours:
            statistic += f" (ours: {claim.ours})"
        rows.append({
            "id": claim.id, "source": claim.source, "statement": claim.statement, "scale": outcome.scale,
            "seeds": " vs ".join(map(str, evidence.n)) if evidence else "",
            "statistic": statistic,
            "effect": evidence.effect if evidence else math.nan,
            "ci_low": _number(evidence.low if evidence else None),
            "ci_high": _number(evidence.high if evidence else None),
            "test": claim.test, "p": evidence.p if evidence else math.nan, "holm_p": float(adjusted),
            "verdict": verdict, "reason": reason, "figure": claim.figure, "observation": claim.observation,
        })
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    # The benchmark's own observations come after the papers' claims, kept apart.
    return frame.sort_values("observation", kind="stable").reset_index(drop=True)


def _number(value) -> float:
    return math.nan if value is None else float(value)


def claims_table(run_dirs, claims: list[Claim] | None = None) -> pd.DataFrame:
    """The claims table of a study's run folders (each with run.yaml): every registered claim by default."""
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


def display_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The table as strings, with the interval in one column and the benchmark's observations marked."""
    shown = frame.copy()
    shown["effect"] = frame["effect"].map(_fmt)
    shown["95% CI"] = [f"[{_fmt(lo)}, {_fmt(hi)}]" if math.isfinite(lo) else "n/a"
                       for lo, hi in zip(frame["ci_low"], frame["ci_high"])]
    shown["Holm p"] = frame["holm_p"].map(lambda p: "n/a" if not math.isfinite(p) else
                                          "<0.001" if p < 0.001 else f"{p:.3f}")
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
