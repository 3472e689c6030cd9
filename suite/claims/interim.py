"""The looks of a sequential study: which claims are decided at look k, and which cells get more seeds.

Look k reads the runs with a seed below n_k and tests each open claim (suite.sequential): efficacy when
its p reaches the look's share of its family's Holm level; a non-binding futility stop when no outcome
at the last look could reach that level, when even the interval's far end leaves the last look less
than a 10% chance (conditional power), or when the runs cannot inform the claim (uninformative,
still improving). A decision is frozen: later looks keep its look, n and p. `decisions.json` of
look k holds the design, every claim's history and the cells whose seeds grow at look k + 1.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from suite import sequential, statistics
from suite.claims.claim import Claim
from suite.claims.runs import RunOutputs
from suite.claims.table import COLUMNS, COMPUTED, SCALES, Outcome, evaluate, family_members, verdict_rows
from suite.claims.verdict import (BUDGET_BOUND, CONTRADICTED, FAILS_MULTIPLICITY, INCONCLUSIVE, NOT_RUN,
                                  REPRODUCED, TOO_FEW_SEEDS, UNDERPOWERED, UNINFORMATIVE, UNREACHABLE, Context,
                                  Evidence, decide, evidence_for, seeds_needed)
from suite.errors import GanbenchError
from suite.io import write_text

OPEN = "open"  # still testing: its cells get the next look's seeds
FUTILE = "futile"  # stopped without a verdict (non-binding: its level is not given away)
EFFICACY = "efficacy"
FINAL = "final"  # open at the last look: inconclusive
STOPS_FOR = (UNINFORMATIVE, BUDGET_BOUND)  # more seeds cannot change these
DECISIONS_FILE = "decisions.json"


def cell_of(record: dict) -> tuple[str, str, str]:
    """(data, arch name, method name) of a run record (run.yaml) or RunSpec dict."""
    return record["data"], record["arch_name"], record["method_name"]


def claim_cells(claim: Claim, records: list[dict]) -> set[tuple[str, str, str]]:
    """The cells of `records` any group of the claim reads."""
    return {cell_of(record) for record in records if any(group.matches(record) for group in claim.groups)}


def study_claim_cells(records: list[dict], claims: list[Claim]) -> list[tuple[str, str, str]]:
    """The cells of a study's runs that some claim reads: the cells a sequential study's looks may grow."""
    return sorted(set().union(*(claim_cells(claim, records) for claim in claims)))


def runs_below(runs: list[RunOutputs], n: int) -> list[RunOutputs]:
    return [run for run in runs if run.seed < n]


def _scaled(n: tuple[int, ...], look_n: int, final_n: int) -> tuple[int, ...]:
    """The design's counts at the last look: pairs and runs grow with the seeds."""
    return tuple(int(math.ceil(count * final_n / look_n)) for count in n)


def tarone_at_last_look(smallest: dict[str, float], design: sequential.Design) -> tuple[int, dict[str, bool]]:
    """Tarone's screen with the last look's increment: K is the least K >= 1 with #{claims whose smallest p
    at the last look reaches that look's increment of alpha / K} <= K. A claim outside can never reject."""
    k = 1
    while True:
        last = design.increment(len(design.looks) - 1, design.alpha / k)
        reachable = {claim: q <= last for claim, q in smallest.items()}
        if sum(reachable.values()) <= k:
            return k, reachable
        k += 1


def _p_or_nan(outcome: Outcome) -> float:
    evidence = outcome.evidence
    if evidence is None or evidence.uninformative or evidence.low is None or outcome.improving:
        return math.nan
    return float(evidence.p)


def futility(evidence: Evidence, no_effect: float, one_sided: bool, improving: str, look: int,
             design: sequential.Design, level: float, reachable: bool) -> str:
    """Why a claim stops without a verdict at this look (its reason code first), or '' to go on."""
    if not reachable:
        return f"{UNREACHABLE}: no outcome at the last look's {design.looks[-1]} seeds can reach its level"
    if evidence.uninformative:
        return f"{UNINFORMATIVE}: {evidence.uninformative}"
    if improving:
        return f"{BUDGET_BOUND}: {improving}; more seeds do not finish training"
    if evidence.low is None or look == len(design.looks) - 1:
        return ""
    power = sequential.far_end_power(evidence.effect, evidence.low, evidence.high, evidence.p, no_effect,
                                     float(design.fractions[look]), design.increment(len(design.looks) - 1, level),
                                     one_sided)
    if power < sequential.FUTILITY_POWER:
        return (f"{UNDERPOWERED}: conditional power at the last look {power:.3f} < {sequential.FUTILITY_POWER} "
                "even at the interval's far end")
    return ""


def interim(design: sequential.Design, look: int, runs: list[RunOutputs], claims: list[Claim],
            records: list[dict], experiment: str | None, previous: dict | None = None) -> dict:
    """The decisions of look `look` (0-based) on `runs` (every run folder of the study; those at or above
    n_look are not read), given the previous look's decisions. `records` are the study's run records (its
    fixed runs), for the cells each claim reads."""
    n = design.looks[look]
    if previous is not None and previous["look"] != look - 1:
        raise GanbenchError(f"look {look + 1} needs the decisions of look {look}, got those of look "
                            f"{previous['look'] + 1}")
    before = (previous or {}).get("claims", {})
    visible = runs_below(runs, n)
    outcomes = {claim.id: evaluate(claim, visible, experiment) for claim in claims}
    scale = next((o.scale for o in outcomes.values() if o.scale != COMPUTED), COMPUTED)
    by_family: dict[str, list[Claim]] = defaultdict(list)
    for claim in claims:
        by_family[claim.family].append(claim)
    decided = {}
    for family, members in by_family.items():
        ran = [c for c in members if outcomes[c.id].evidence is not None]
        # as in the fixed design: a study of no registered scale has the claims it ran as each family
        registered = family_members(family, scale, claims) if scale in SCALES else ran
        ids = list(dict.fromkeys([c.id for c in registered] + [c.id for c in ran]))
        smallest = {}
        for claim_id in ids:
            outcome = outcomes.get(claim_id)
            if outcome is None or outcome.evidence is None:
                smallest[claim_id] = 0.0  # a member that did not run keeps its place in m
                continue
            final_n = _scaled(outcome.evidence.n, n, design.looks[-1])
            smallest[claim_id] = statistics.smallest_p(outcome.claim.test_kind, final_n)
        m, reachable = tarone_at_last_look(smallest, design)
        histories = {}
        for claim in ran:
            history = [entry["p"] for entry in before.get(claim.id, {}).get("history", [])]
            status = before.get(claim.id, {}).get("status", OPEN)
            histories[claim.id] = history + ([_p_or_nan(outcomes[claim.id])] if status == OPEN else [])
        rejected, levels = sequential.holm_looks(histories, m, design)
        for claim in members:
            decided[claim.id] = _claim_decision(claim, outcomes[claim.id], before.get(claim.id), look, design,
                                                m, levels.get(claim.id, design.alpha / m), claim.id in rejected,
                                                reachable.get(claim.id, True))
    open_claims = [claim for claim in claims if decided[claim.id]["status"] == OPEN]
    grows = sorted(set().union(*(claim_cells(claim, records) for claim in open_claims))) if look + 1 < len(
        design.looks) else []
    return {"design": design.to_dict(), "look": look, "n": n, "experiment": experiment,
            "claims": decided, "continuing_cells": [list(cell) for cell in grows]}


def _claim_decision(claim: Claim, outcome: Outcome, before: dict | None, look: int, design: sequential.Design,
                    m: int, level: float, rejected: bool, reachable: bool) -> dict:
    """One claim's entry at this look: its status, verdict, code, reason and the history of its looks."""
    history = list((before or {}).get("history", []))
    status = (before or {}).get("status", OPEN)
    if outcome.evidence is None:
        return {"family": claim.family, "status": NOT_RUN, "verdict": NOT_RUN, "code": "", "reason": outcome.not_run,
                "m": m, "history": history}
    entry = dict(before or {}, family=claim.family, m=m)
    if status == OPEN:
        p = _p_or_nan(outcome)
        history.append({"look": look + 1, "n": design.looks[look], "seeds": list(outcome.evidence.n), "p": p,
                        "level": level, "boundary": design.increment(look, level)})
    entry["history"] = history
    if rejected and status != EFFICACY:
        # a claim rejected by a later look's recycled level keeps the look whose p passed
        passed = next(h for h in history if math.isfinite(h["p"]) and h["p"] <= design.increment(h["look"] - 1, level))
        evidence = outcome.evidence
        context = Context(0.0, level)
        verdict = decide(evidence, claim.no_effect, claim.direction, context) if status == OPEN else None
        verdict_name = verdict.verdict if verdict is not None else _direction_verdict(entry)
        return entry | {"status": EFFICACY, "verdict": verdict_name, "code": verdict.code if verdict else "",
                        "reason": (f"p {passed['p']:.2g} <= boundary {design.increment(passed['look'] - 1, level):.2g} "
                                   f"at look {passed['look']} (n {passed['n']})"), "decided_at": passed["look"]}
    if status != OPEN:
        return entry
    stop = futility(outcome.evidence, claim.no_effect, claim.test_kind == "worst-cell", outcome.improving, look,
                    design, level, reachable)
    if stop:
        return entry | {"status": FUTILE, "verdict": INCONCLUSIVE, "code": stop.split(":")[0],
                        "reason": stop, "decided_at": look + 1, "direction": _side(outcome, claim)}
    if look == len(design.looks) - 1:
        final = decide(outcome.evidence, claim.no_effect, claim.direction,
                       Context(1.0, level, diverged=outcome.diverged))
        code = final.code or UNDERPOWERED
        if code == UNDERPOWERED and math.isfinite(outcome.evidence.p) and outcome.evidence.p < statistics.ALPHA:
            code = FAILS_MULTIPLICITY
        if outcome.evidence.low is None:
            code = TOO_FEW_SEEDS
        return entry | {"status": FINAL, "verdict": INCONCLUSIVE, "code": code,
                        "reason": f"open at the last look: no p reached its boundary ({final.reason})",
                        "decided_at": look + 1, "direction": _side(outcome, claim)}
    return entry | {"status": OPEN, "verdict": INCONCLUSIVE, "code": "", "reason": "open: more seeds at the next look",
                    "direction": _side(outcome, claim)}


def _side(outcome: Outcome, claim: Claim) -> int:
    """+1 when the effect lies on the paper's side of no-effect, -1 against it, 0 without an effect."""
    effect = outcome.evidence.effect if outcome.evidence is not None else math.nan
    if not math.isfinite(effect) or effect == claim.no_effect:
        return 0
    return 1 if (effect - claim.no_effect) * claim.direction > 0 else -1


def _direction_verdict(entry: dict) -> str:
    """The verdict of a claim stopped earlier and rejected now: on the side its effect lay when it stopped."""
    return REPRODUCED if entry.get("direction", 1) >= 0 else CONTRADICTED


def write_decisions(decisions: dict, out: Path | str) -> None:
    write_text(Path(out), json.dumps(decisions, indent=1, allow_nan=True) + "\n")


def read_decisions(path: Path | str) -> dict:
    path = Path(path)
    if not path.is_file():
        raise GanbenchError(f"{path} does not exist: the look before this one has not run")
    return json.loads(path.read_text())


def sequential_table(decisions: dict, runs: list[RunOutputs], claims: list[Claim]) -> pd.DataFrame:
    """The claims table of a sequential study: each claim's evidence at the last look it was tested, with
    the verdict, code and reason of its decisions; holm_p holds the p of that look, family_m the m, and the
    seeds needed are at the claim's level there (no BH q: the looks spend a Holm level only)."""
    experiment = decisions.get("experiment")
    design = sequential.Design.from_config(decisions["design"])
    rows = []
    for claim in claims:
        entry = decisions["claims"].get(claim.id, {})
        history = entry.get("history", [])
        n = history[-1]["n"] if history else design.looks[-1]
        outcome = evaluate(claim, runs_below(runs, n), experiment)
        row = verdict_rows([outcome], [claim]).iloc[0].to_dict()
        if entry:
            row.update(verdict=entry["verdict"], reason_code=entry.get("code", ""), reason=entry["reason"],
                       family_m=entry.get("m", row["family_m"]), holm_p=history[-1]["p"] if history else math.nan,
                       bh_q=math.nan)
        if history and outcome.values and outcome.evidence is not None and outcome.evidence.low is not None:
            # at the claim's own level in its family, not at the one-claim family verdict_rows saw
            needed = seeds_needed(claim.test_kind, outcome.values, claim.no_effect, history[-1]["level"])
            row.update(seeds_needed=needed.estimate, seeds_needed_low=needed.low, seeds_needed_high=needed.high)
        rows.append(row)
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    return frame.sort_values("observation", kind="stable").reset_index(drop=True)


def history_frame(decisions: dict) -> pd.DataFrame:
    """One row per claim and look: look, n, seeds, p, level, boundary, and the decision it led to."""
    rows = []
    for claim_id, entry in decisions["claims"].items():
        for index, look in enumerate(entry.get("history", [])):
            last = index == len(entry["history"]) - 1
            rows.append({"id": claim_id, "family": entry["family"], "look": look["look"], "n": look["n"],
                         "seeds": " vs ".join(map(str, look["seeds"])), "p": look["p"], "level": look["level"],
                         "boundary": look["boundary"],
                         "decision": (f"{entry['verdict']} ({entry['status']})" if last and entry["status"] != OPEN
                                      else "continue")})
    return pd.DataFrame(rows, columns=["id", "family", "look", "n", "seeds", "p", "level", "boundary", "decision"])


@dataclass(frozen=True)
class Simulated:
    """A family's sequential design against the fixed design at the last look's seeds, over replications:
    the share of replications with a verdict on a claim without effect, the claims decided (a verdict) per
    replication, the mean seeds per claim (the look's n at which it stopped) and the share of claims still
    open after each look."""

    false_rate: float
    decided: float
    seeds: float
    fixed_false_rate: float
    fixed_decided: float
    fixed_seeds: float
    open_after: tuple[float, ...]


def simulate(design: sequential.Design, test_kind: str, draws: list[Callable], nulls: list[bool],
             no_effect: float = 0.0, reps: int = 1000, seed: int = 0) -> Simulated:
    """Run the whole sequential procedure (tests, Holm over looks, futility) on simulated claims of one
    family. `draws[i](rng, n)` returns claim i's values for n seeds in the form its test takes (a list of
    groups, pairs or cells); `nulls[i]` says whether claim i has no effect."""
    rng = np.random.default_rng(seed)
    m, last = len(draws), len(design.looks) - 1
    one_sided = test_kind == "worst-cell"
    false = decided = seeds = fixed_false = fixed_decided = 0
    open_after = np.zeros(len(design.looks))
    for _ in range(reps):
        full = [draw(rng, design.looks[-1]) for draw in draws]
        histories: dict[int, list[float]] = {i: [] for i in range(m)}
        stopped: dict[int, int] = {}
        rejected: set[int] = set()
        for look, n in enumerate(design.looks):
            evidences = {i: evidence_for(test_kind, [np.asarray(v)[:n] for v in full[i]], no_effect)
                         for i in range(m) if i not in stopped}
            for i, evidence in evidences.items():
                informative = evidence.low is not None and not evidence.uninformative
                histories[i].append(float(evidence.p) if informative else math.nan)
            rejected, levels = sequential.holm_looks(histories, m, design)
            for i, evidence in evidences.items():
                if (i in rejected or look == last
                        or futility(evidence, no_effect, one_sided, "", look, design, levels[i], True)):
                    stopped[i] = n
            open_after[look] += m - len(stopped)
        false += any(nulls[i] for i in rejected)
        decided += len(rejected)
        seeds += sum(stopped.values()) / m
        p_fixed = np.array([evidence_for(test_kind, values, no_effect).p for values in full], dtype=float)
        fixed = statistics.holm(np.where(np.isfinite(p_fixed), p_fixed, 1.0)) < design.alpha
        fixed_false += any(nulls[i] and fixed[i] for i in range(m))
        fixed_decided += int(fixed.sum())
    return Simulated(false / reps, decided / reps, seeds / reps, fixed_false / reps, fixed_decided / reps,
                     float(design.looks[-1]), tuple(open_after / (reps * m)))
