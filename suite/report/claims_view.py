"""The claims table as the report shows it: one line per claim, grouped by paper, details one click away.

`claims_html(frame)` turns the claims frame (`suite.claims.claims_table`) into HTML: per family (the
paper, or this benchmark's own observations) a table whose caption names the family and the size of
its Holm family, with the decided claims first. Each collapsed row holds the verdict badge, the claim
id with the start of its statement, the effect with its 95% interval, the reason code and the seeds
needed; the claim cell's <details> opens onto the statement, source, statistic, test, p-values, scale,
seeds and the full reason. `verdict_counts` and `reason_counts` are what the headline counts.
"""

from __future__ import annotations

import html
import math
import re
from collections import Counter

import pandas as pd

from suite.claims.claim import OURS
from suite.claims.table import COLUMNS, seeds_needed_text
from suite.claims.verdict import CONTRADICTED, INCONCLUSIVE, REASON_CODES, REPRODUCED, VERDICTS
from suite.report.tables import fmt_p

DECIDED = (REPRODUCED, CONTRADICTED)
OURS_MARK = "ours, not a paper's"
# (css class, heading) of the collapsed row's columns; the widths live in the page CSS.
ROW_CELLS = (("verdict", "verdict"), ("claim", "claim (click for details)"), ("effect", "effect [95% CI]"),
           ("reason-code", "reason code"), ("seeds-needed", "seeds needed (range)"))


def _missing(x) -> bool:
    return x is None or x is pd.NA or (isinstance(x, float) and math.isnan(x))


def _text(x) -> str:
    return "" if _missing(x) else str(x)


def _e(x) -> str:
    return html.escape(_text(x))


def _slug(verdict: str) -> str:
    """A verdict as a CSS class name: 'not run' -> 'not-run'."""
    return re.sub(r"[^a-z0-9]+", "-", verdict.lower()).strip("-")


def check_columns(frame: pd.DataFrame) -> None:
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"claims frame lacks the columns {missing}")


def _decimals(effect: float, low: float, high: float) -> int | None:
    """Decimal places: two significant digits of the interval's width, else three of the effect;
    None when that would take more than six places (the number is shown in scientific notation)."""
    width = high - low if math.isfinite(low) and math.isfinite(high) else math.nan
    if math.isfinite(width) and width > 0:
        places = 1 - math.floor(math.log10(width))
    elif math.isfinite(effect) and effect != 0:
        places = 2 - math.floor(math.log10(abs(effect)))
    else:
        places = 2
    return None if places > 6 else max(places, 0)


def _number(x: float, places: int | None) -> str:
    return f"{x:.1e}" if places is None else f"{x:,.{places}f}"


def effect_text(effect, low, high) -> str:
    """'0.42 [0.11, 0.73]'; the effect alone without an interval; '' without an effect."""
    effect, low, high = (math.nan if _missing(v) else float(v) for v in (effect, low, high))
    if not math.isfinite(effect):
        return ""
    places = _decimals(effect, low, high)
    shown = _number(effect, places)
    if math.isfinite(low) and math.isfinite(high):
        shown += f" [{_number(low, places)}, {_number(high, places)}]"
    return shown


def p_text(p) -> str:
    return "" if _missing(p) else fmt_p(p)


def family_title(family: str, m: int) -> str:
    who = f"This benchmark's own observations ({OURS_MARK})" if family == OURS else family
    if m <= 0:
        return f"{who}: no claim tested"
    return f"{who}: Holm over m = {m}"


def ordered_families(frame: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    """(family, its rows) in the frame's order with the benchmark's own observations last; within a
    family decided claims first, then inconclusive, then not run, each in the frame's order."""
    rank = {v: i for i, v in enumerate(VERDICTS)}
    families = list(dict.fromkeys(frame["family"]))
    families.sort(key=lambda f: f == OURS)
    out = []
    for family in families:
        rows = frame[frame["family"] == family]
        order = rows["verdict"].map(lambda v: rank.get(v, len(VERDICTS)))
        out.append((family, rows.assign(_rank=order.values).sort_values("_rank", kind="stable").drop(columns="_rank")))
    return out


def _equals(name: str, p) -> str:
    """'p = 0.012', 'p < 0.001'; '' without a value."""
    shown = p_text(p)
    if not shown:
        return ""
    return f"{name} < {shown[1:]}" if shown.startswith("<") else f"{name} = {shown}"


def _details(r) -> str:
    tested = _equals("p", r["p"]) or "no test"
    if _equals("Holm p", r["holm_p"]):
        m = "" if _missing(r["family_m"]) else f" (m = {int(r['family_m'])})"
        tested += f", {_equals('Holm p', r['holm_p'])}{m}"
    if _equals("BH q", r["bh_q"]):
        tested += f", {_equals('BH q', r['bh_q'])}"
    items = [("Statement", r["statement"]), ("Source", r["source"]), ("Statistic", r["statistic"]),
             ("Test", f"{_text(r['test'])}: {tested}" if _text(r["test"]) else tested),
             ("Scale", r["scale"]), ("Seeds", r["seeds"]), ("Reason", r["reason"]), ("Figure", r["figure"])]
    return "<dl>" + "".join(f"<dt>{name}</dt><dd>{_e(value)}</dd>" for name, value in items if _text(value)) + "</dl>"


def claim_row(r) -> str:
    verdict = _text(r["verdict"])
    badge = f'<span class="verdict v-{_slug(verdict)}">{_e(verdict)}</span>'
    ours = f'<span class="ours">{html.escape(OURS_MARK)}</span> ' if bool(r["observation"]) else ""
    summary = (f'<summary><span class="claim-id">{_e(r["id"])}</span> {ours}'
               f'<span class="gist">{_e(r["statement"])}</span></summary>')
    effect = effect_text(r["effect"], r["ci_low"], r["ci_high"])
    seeds = seeds_needed_text(r["seeds_needed"], r["seeds_needed_low"], r["seeds_needed_high"])
    code = _text(r["reason_code"])
    cells = [f'<td class="verdict">{badge}</td>',
             f'<td class="claim"><details>{summary}{_details(r)}</details></td>',
             f'<td class="effect" title="{html.escape(effect)}">{html.escape(effect)}</td>',
             f'<td class="reason-code" title="{_e(r["reason"])}">{html.escape(code)}</td>',
             f'<td class="seeds-needed" title="{html.escape(seeds)}">{html.escape(seeds)}</td>']
    return f'<tr class="claim {_slug(verdict)}">{"".join(cells)}</tr>\n'


def _colgroup() -> str:
    return "<colgroup>" + "".join(f'<col class="{css}">' for css, _ in ROW_CELLS) + "</colgroup>"


def claims_html(frame: pd.DataFrame) -> str:
    """The claims, one line each: a header table, then one table per family (its caption the family and
    its Holm m). Every table shares the column widths, so the columns line up down the page."""
    check_columns(frame)
    head = ('<table class="claims claims-head">' + _colgroup() + "<thead><tr>"
            + "".join(f'<th class="{css}">{html.escape(name)}</th>' for css, name in ROW_CELLS)
            + "</tr></thead></table>\n")
    tables = []
    for family, rows in ordered_families(frame):
        m = pd.to_numeric(rows["family_m"], errors="coerce").max()
        caption = html.escape(family_title(_text(family), 0 if _missing(m) else int(m)))
        body = "".join(claim_row(r) for _, r in rows.iterrows())
        tables.append(f'<table class="claims"><caption>{caption}</caption>{_colgroup()}'
                      f"<tbody>\n{body}</tbody></table>\n")
    return f'<div class="claims-view" id="claims-table">\n{head}{"".join(tables)}</div>\n'


def verdict_counts(frame: pd.DataFrame) -> list[tuple[str, int]]:
    """(verdict, count) for the four verdicts in order (zeros included), then any other verdict found."""
    counts = Counter(frame["verdict"])
    others = [v for v in counts if v not in VERDICTS]
    return [(v, counts.get(v, 0)) for v in (*VERDICTS, *others)]


def reason_counts(frame: pd.DataFrame) -> list[tuple[str, int]]:
    """(reason code, count) over the inconclusive claims, most frequent first (ties in REASON_CODES order)."""
    codes = [_text(c) or "no reason code" for c in frame.loc[frame["verdict"] == INCONCLUSIVE, "reason_code"]]
    order = {c: i for i, c in enumerate(REASON_CODES)}
    return sorted(Counter(codes).items(), key=lambda item: (-item[1], order.get(item[0], len(order)), item[0]))
