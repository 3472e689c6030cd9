"""index.html: one static page, inline CSS, relative links only (no server, no external assets)."""

from __future__ import annotations

import html
import os
from dataclasses import dataclass
from pathlib import Path

from suite.report.figures import Figure
from suite.report.tables import Table, to_html

CSS = """
body { font-family: system-ui, sans-serif; margin: 1.5em auto; padding: 0 1em; max-width: 1250px; color: #222; }
h1 { font-size: 1.6em; } h2 { border-bottom: 1px solid #ccc; margin-top: 2em; } h3 { margin-bottom: .3em; }
nav a { margin-right: 1em; }
table.report-table, table.kv { border-collapse: collapse; margin: .5em 0 1em; font-size: .88em; }
table.report-table caption { text-align: left; font-weight: bold; padding: .3em 0; }
table.report-table th, table.report-table td, table.kv th, table.kv td { padding: .2em .6em; border-bottom: 1px solid #e4e4e4; text-align: left; vertical-align: top; }
table.report-table thead th { border-bottom: 2px solid #444; }
table.report-table td { white-space: nowrap; } table.report-table td.wide { white-space: normal; min-width: 9em; }
tr.group-start td { border-top: 2px solid #999; }
tr.real td { color: #555; font-style: italic; background: #f6f6f6; }
p.headline { font-size: 1.05em; line-height: 1.5; max-width: 900px; background: #f4f7fb; padding: .8em 1em; border-left: 4px solid #4a78b0; }
.note { font-size: .85em; color: #555; margin-top: -.5em; }
.downloads { font-size: .85em; }
figure { display: inline-block; margin: .5em 1em 1em 0; vertical-align: top; }
figure img { max-width: 100%; border: 1px solid #ddd; }
figure.metric_by_method, figure.grad_norms { max-width: 49%; }
figure.samples img { width: 260px; image-rendering: pixelated; }
figcaption { font-size: .85em; color: #444; max-width: 900px; }
/* The claims: one line per claim at any window from 1,366 px wide (fixed layout, truncated cells);
   the claim cell's details open below its line. */
div.claims-view { margin: .5em 0 1em; }
table.claims { width: 100%; table-layout: fixed; border-collapse: collapse; font-size: .88em; margin: 0; }
table.claims caption { caption-side: top; text-align: left; font-weight: 600; padding: .9em .5em .25em;
  border-bottom: 2px solid #999; }
table.claims-head th { padding: .2em .5em; text-align: left; border-bottom: 2px solid #444; white-space: nowrap;
  overflow: hidden; text-overflow: ellipsis; }
table.claims td { padding: .25em .5em; border-bottom: 1px solid #e4e4e4; text-align: left; vertical-align: top;
  white-space: nowrap; overflow: hidden; text-overflow: ellipsis; line-height: 1.45; }
table.claims col.verdict { width: 8.4em; } table.claims col.effect { width: 14.5em; }
table.claims col.reason-code { width: 10.5em; } table.claims col.seeds-needed { width: 16em; }
table.claims td.effect, table.claims td.seeds-needed { font-variant-numeric: tabular-nums; }
table.claims tr.reproduced td, table.claims tr.contradicted td { background: #fafcfa; }
table.claims tr.not-run td { color: #777; }
span.verdict { display: inline-block; min-width: 6.2em; text-align: center; padding: 0 .4em; border-radius: .8em;
  font-size: .82em; font-weight: 600; line-height: 1.5; }
span.v-reproduced { background: #1e7b34; color: #fff; }
span.v-contradicted { background: #c62828; color: #fff; }
span.v-inconclusive { background: #f3d58b; color: #4d3b00; }
span.v-not-run { background: #f1f1f1; color: #777; border: 1px solid #ddd; }
td.claim summary { cursor: pointer; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
td.claim span.claim-id { font-family: ui-monospace, monospace; font-size: .95em; }
td.claim span.gist { color: #666; margin-left: .4em; }
td.claim span.ours { font-size: .8em; color: #5b3d8c; border: 1px solid #b9a6d8; border-radius: .6em;
  padding: 0 .4em; margin-left: .3em; }
td.claim details[open] { white-space: normal; }
td.claim details[open] span.gist { display: none; }
td.claim dl { display: grid; grid-template-columns: 6.5em 1fr; gap: .15em .8em; margin: .4em 0 .5em 1em; }
td.claim dt { color: #555; font-weight: 600; } td.claim dd { margin: 0; overflow-wrap: anywhere; }
pre { background: #f5f5f5; padding: .8em; overflow-x: auto; font-size: .85em; }
"""


@dataclass(frozen=True)
class Section:
    anchor: str
    heading: str
    body: str  # HTML


def rel(path: Path, start: Path) -> str:
    """A relative URL from the page's folder to `path` (forward slashes)."""
    return Path(os.path.relpath(Path(path), Path(start))).as_posix()


def table_block(table: Table, files: dict[str, Path], out_dir: Path) -> str:
    links = " · ".join(f'<a href="{html.escape(rel(p, out_dir))}">{ext.upper()}</a>'
                       for ext, p in files.items() if ext != "html")
    return f'{to_html(table)}<p class="downloads">Download: {links}</p>\n'


def figure_block(figure: Figure, out_dir: Path) -> str:
    img = f'<img src="{html.escape(rel(figure.png, out_dir))}" alt="{html.escape(figure.title)}">'
    if figure.pdf is not None:
        img = f'<a href="{html.escape(rel(figure.pdf, out_dir))}">{img}</a>'
    css = f' class="{figure.kind}"'
    pdf = " (click for PDF)" if figure.pdf is not None else ""
    return f"<figure{css}>{img}<figcaption>{html.escape(figure.title)}{pdf}</figcaption></figure>\n"


def kv_table(mapping: dict) -> str:
    rows = "".join(f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(str(v))}</td></tr>" for k, v in mapping.items())
    return f'<table class="kv">{rows}</table>\n' if rows else "<p>none</p>\n"


def item_list(items: list[str], empty: str = "none") -> str:
    if not items:
        return f"<p>{html.escape(empty)}</p>\n"
    return "<ul>" + "".join(f"<li>{html.escape(i)}</li>" for i in items) + "</ul>\n"


def paragraph(sentences: list[str]) -> str:
    return f'<p class="headline">{html.escape(" ".join(sentences))}</p>\n' if sentences else "<p>no finished runs</p>\n"


def preformatted(text: str) -> str:
    return f"<pre>{html.escape(text)}</pre>\n"


def render_page(title: str, sections: list[Section]) -> str:
    nav = " ".join(f'<a href="#{s.anchor}">{html.escape(s.heading)}</a>' for s in sections)
    body = "".join(f'<section id="{s.anchor}"><h2>{html.escape(s.heading)}</h2>\n{s.body}</section>\n' for s in sections)
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f"<title>{html.escape(title)}</title><style>{CSS}</style></head>\n"
            f"<body><h1>{html.escape(title)}</h1><nav>{nav}</nav>\n{body}</body></html>\n")
