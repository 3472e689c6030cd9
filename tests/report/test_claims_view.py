"""The claims as the report shows them: one line per claim, the headline's verdict counts, escaping, and a
headless Chromium render at a 1,366-pixel laptop width."""

from __future__ import annotations

import json
import math
import re
import shutil
import subprocess

import pandas as pd
import pytest

from suite.report import html as page
from suite.report.build import claims_section
from suite.report.claims_view import claims_html, effect_text, seeds_needed_text
from suite.report.headline import claims_sentences

WGAN_GP, SNGAN, SAGAN = "WGAN-GP (Gulrajani et al. 2017)", "SN-GAN (Miyato et al. 2018)", "SAGAN (Zhang et al. 2019)"
# (family, verdict, reason code) of 37 claims: 6 reproduced, 1 contradicted, 20 inconclusive, 10 not run
PLAN = (
    [(WGAN_GP, "inconclusive", "budget-bound")] * 3 + [(WGAN_GP, "reproduced", "")] * 2
    + [(WGAN_GP, "not run", "")] * 2 + [(WGAN_GP, "inconclusive", "unreachable-at-n")] * 2
    + [(SNGAN, "inconclusive", "budget-bound")] * 3 + [(SNGAN, "reproduced", "")] * 3
    + [(SNGAN, "contradicted", "")] + [(SNGAN, "inconclusive", "unreachable-at-n")] * 3
    + [(SNGAN, "not run", "")] * 5 + [(SNGAN, "inconclusive", "underpowered")] * 2
    + [(SAGAN, "not run", "")] * 3 + [(SAGAN, "inconclusive", "budget-bound")] * 2
    + [(SAGAN, "inconclusive", "too-few-seeds"), (SAGAN, "inconclusive", "fails-multiplicity"),
       (SAGAN, "inconclusive", "uninformative")]
    + [("ours", "reproduced", ""), ("ours", "inconclusive", "unreachable-at-n"), ("ours", "inconclusive", "diverged")]
)
LONG_STATEMENT = ("With weight clipping at c = 0.01 the per-layer gradient norms of a 12-layer ReLU critic without "
                  "batch normalization vanish towards the input, falling by more than an order of magnitude per "
                  "layer, while the gradient penalty keeps them within a factor of two of each other at every depth.")
LONG_REASON = ("the 95% interval of the effect still includes no effect and at the observed effect size the test "
               "would need far more seeds per group than this study runs; the curves were also still improving at "
               "their last evaluation, so the ranking at this budget is bound by the training length rather than "
               "by the method, and a longer run at the paper scale is what would decide it.")


def synthetic_claims(statement: str = LONG_STATEMENT, reason: str = LONG_REASON) -> pd.DataFrame:
    """37 claims with exactly the columns of `suite.claims.claims_table`, long texts and every seeds-needed kind."""
    m = {family: sum(1 for f, v, _ in PLAN if f == family and v != "not run") for family, _, _ in PLAN}
    rows = []
    for i, (family, verdict, code) in enumerate(PLAN):
        run, decided = verdict != "not run", verdict in ("reproduced", "contradicted")
        effect = (-1) ** i * 10 ** (i % 5 - 2) * 1.2345 if run else math.nan
        width = abs(effect) * (0.5 if decided else 3)
        needed = [(12.0, 6.0, 40.0), (math.inf, 250.0, math.inf), (math.inf, math.inf, math.inf),
                  (math.nan, math.nan, math.nan)][i % 4] if verdict == "inconclusive" else (math.nan,) * 3
        p = math.nan if not run else 0.0001 * (i + 1) if decided else 0.03 + 0.02 * i
        rows.append({
            "id": f"{family.split()[0].lower()}-claim-{i:02d}-{'long-identifier-' * (i % 3)}end",
            "source": "this benchmark's default study" if family == "ours" else f"{family}, section {i % 6}",
            "family": family, "statement": f"{statement} (claim {i})",
            "scale": "cpu-small" if run else "computed", "seeds": f"{3 + i % 4} vs {3 + i % 4}" if run else "",
            "statistic": "final FID (lower is better); no effect 0, paper expects a negative difference " * 2,
            "effect": effect, "ci_low": effect - width / 2 if run else math.nan,
            "ci_high": effect + width / 2 if run else math.nan,
            "test": "Welch t" if i % 2 else "one-sample t", "p": p, "family_m": m[family],
            "holm_p": min(1.0, p * m[family]) if run else math.nan, "bh_q": min(1.0, p * 2) if run else math.nan,
            "verdict": verdict, "reason_code": code,
            "reason": "" if decided else f"{reason} [{i}]",
            "seeds_needed": needed[0], "seeds_needed_low": needed[1], "seeds_needed_high": needed[2],
            "figure": "fig1b" if i % 3 == 0 else "", "observation": family == "ours",
        })
    return pd.DataFrame(rows)


def _rows(markup: str) -> list[str]:
    return re.findall(r'<tr class="claim [^"]*">.*?</tr>', markup, flags=re.S)


def test_one_line_per_claim_grouped_by_paper_decided_first():
    frame = synthetic_claims()
    markup = claims_html(frame)
    rows = _rows(markup)
    assert len(rows) == len(frame) == 37
    assert markup.count("<tr") == len(frame) + 1  # the column headings, then one row per claim
    for family, m in (("WGAN-GP (Gulrajani et al. 2017)", 7), ("SN-GAN (Miyato et al. 2018)", 12),
                      ("SAGAN (Zhang et al. 2019)", 5)):
        assert f"<caption>{family}: Holm over m = {m}</caption>" in markup
    ours_caption = "This benchmark&#x27;s own observations (ours, not a paper&#x27;s): Holm over m = 3"
    assert f"<caption>{ours_caption}</caption>" in markup
    # within each family: reproduced, contradicted, inconclusive, not run
    rank = {"reproduced": 0, "contradicted": 1, "inconclusive": 2, "not-run": 3}
    for table in re.findall(r"<table class=\"claims\">.*?</table>", markup, flags=re.S):
        verdicts = re.findall(r'<tr class="claim ([^"]*)">', table)
        assert [rank[v] for v in verdicts] == sorted(rank[v] for v in verdicts)
    ours = [row for row in rows if "ours-claim" in row]
    assert len(ours) == 3 and all("ours, not a paper&#x27;s" in row for row in ours)
    # the collapsed row: badge, id, effect [CI], reason code, seeds needed; the rest behind <details>
    row = next(r for r in rows if "sn-gan-claim-13-" in r)
    cells = re.findall(r"<td class=\"([^\"]+)\"", row)
    assert cells == ["verdict", "claim", "effect", "reason-code", "seeds-needed"]
    assert '<span class="verdict v-reproduced">reproduced</span>' in row
    assert "<details><summary>" in row and "<dt>Statement</dt>" in row and "<dt>Statistic</dt>" in row
    assert "Holm p = 0.017 (m = 12)" in row and "BH q = 0.003" in row and "<dt>Source</dt>" in row


def test_headline_counts_and_names_every_decided_claim():
    frame = synthetic_claims()
    first, *named = claims_sentences(frame)
    counts = frame["verdict"].value_counts()
    assert first.startswith(f"Of {len(frame)} registered claims (3 of them this benchmark's own observations), "
                            f"{counts['reproduced']} reproduced, {counts['contradicted']} contradicted, "
                            f"{counts['inconclusive']} inconclusive (")
    assert first.endswith(f"), {counts['not run']} not run.")
    reasons = frame.loc[frame["verdict"] == "inconclusive", "reason_code"].value_counts()
    assert "(8 budget-bound, 6 unreachable-at-n, 2 underpowered, 1 too-few-seeds, 1 uninformative, " in first
    for code, n in reasons.items():
        assert f"{n} {code}" in first
    text = " ".join(named)
    decided = frame[frame["verdict"].isin(["reproduced", "contradicted"])]
    assert len(decided) == 7 and all(claim_id in text for claim_id in decided["id"])
    undecided = frame.loc[~frame["verdict"].isin(["reproduced", "contradicted"]), "id"]
    assert not any(re.search(rf"\b{re.escape(i)}\b", text) for i in undecided)
    contradicted = frame.loc[frame["verdict"] == "contradicted", "id"].iloc[0]
    assert named[0].startswith("Reproduced: ") and named[1] == f"Contradicted: {contradicted}."
    assert "ours-claim-34-long-identifier-end (ours)" in named[0]

    # other numbers, other sentences: nothing decided
    quiet = frame.assign(verdict="inconclusive", reason_code="budget-bound")
    assert claims_sentences(quiet) == ["Of 37 registered claims (3 of them this benchmark's own observations), "
                                       "0 reproduced, 0 contradicted, 37 inconclusive (37 budget-bound), 0 not run.",
                                       "No claim is decided either way at this scale."]


def test_seeds_needed_and_effect_cells():
    assert seeds_needed_text(12.0, 6.0, 40.0) == "12 (6-40)"
    assert seeds_needed_text(math.inf, math.inf, math.inf) == "> 10,000"
    assert seeds_needed_text(250.0, 40.0, math.inf) == "250 (40 to > 10,000)"
    assert seeds_needed_text(math.nan, math.nan, math.nan) == ""
    assert seeds_needed_text(8.0, math.nan, math.nan) == "8"
    rows = _rows(claims_html(synthetic_claims()))
    seeds = [re.search(r'<td class="seeds-needed"[^>]*>(.*?)</td>', row).group(1) for row in rows]
    assert "&gt; 10,000" in seeds and "" in seeds and "12 (6-40)" in seeds
    assert "nan" not in " ".join(seeds).lower() and "inf" not in " ".join(seeds).lower()
    # a few significant places, set by the interval's width
    assert effect_text(-12.3456, -15.01, -9.7) == "-12.3 [-15.0, -9.7]"
    assert effect_text(0.0123456, 0.0101, 0.0147) == "0.0123 [0.0101, 0.0147]"
    assert effect_text(1234.5, math.nan, math.nan) == "1,234"
    assert effect_text(0.5, None, None) == "0.500" and effect_text(math.nan, 1.0, 2.0) == ""
    assert effect_text(4.2e-7, -5.3e-8, 9e-7) == "4.2e-07 [-5.3e-08, 9.0e-07]"


def test_text_is_escaped():
    frame = synthetic_claims(statement="FID <script>alert(1)</script> & IS", reason="p < 0.05 & \"quoted\"")
    frame.loc[0, "id"] = "a<b&c"
    frame.loc[0, "family"] = "R&D <lab>"
    markup = claims_html(frame)
    assert "<script>" not in markup and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; IS" in markup
    assert "a&lt;b&amp;c" in markup and "R&amp;D &lt;lab&gt;" in markup
    assert 'title="p &lt; 0.05 &amp; &quot;quoted&quot;' in markup
    headline = page.paragraph(claims_sentences(frame))
    assert "<b&c" not in headline


def test_a_frame_without_the_columns_is_refused():
    with pytest.raises(ValueError, match="reason_code"):
        claims_html(synthetic_claims().drop(columns=["reason_code"]))


PROBE = """<script>window.addEventListener('load', () => {
  const rows = [...document.querySelectorAll('table.claims tr.claim')];
  const heights = rows.map(r => r.getBoundingClientRect().height);
  const details = rows[0].querySelector('details');
  details.open = true;
  const opened = rows[0].getBoundingClientRect().height;
  details.open = false;
  document.documentElement.setAttribute('data-probe', JSON.stringify({
    scrollWidth: document.documentElement.scrollWidth, heights: heights, opened: opened,
    tableWidth: document.querySelector('div.claims-view').getBoundingClientRect().width}));
});</script>"""


@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium binary not installed")
def test_headless_chromium_fits_a_laptop_window_one_line_per_claim(tmp_path):
    frame = synthetic_claims()
    sections = [page.Section("headline", "What the numbers say", page.paragraph(claims_sentences(frame))),
                claims_section(frame, tmp_path / "tables", tmp_path)]
    html_page = page.render_page("ganbench report: claims at 1,366 px", sections)
    index = tmp_path / "index.html"
    index.write_text(html_page, encoding="utf-8")
    probe = tmp_path / "probe.html"
    probe.write_text(html_page.replace("</body>", PROBE + "</body>"), encoding="utf-8")
    flags = ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run(flags + ["--window-size=1366,900", "--dump-dom", "--virtual-time-budget=5000",
                                  probe.as_uri()], capture_output=True, text=True, timeout=90, check=True).stdout
    found = re.search(r"data-probe=\"([^\"]*)\"", dom)
    assert found, dom[:2000]
    measured = json.loads(found.group(1).replace("&quot;", '"'))
    print("claims probe at 1366 px:", measured)
    heights = measured["heights"]
    assert len(heights) == len(frame)
    assert measured["scrollWidth"] <= 1366
    assert max(heights) <= 1.6 * min(heights)  # every collapsed row is one line
    assert measured["opened"] > 3 * min(heights)  # the details open below the line
    shot = tmp_path / "claims_1366.png"
    subprocess.run(flags + [f"--screenshot={shot}", "--window-size=1366,2000", index.as_uri()],
                   capture_output=True, timeout=90, check=True)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
