"""Published numbers (published.yaml) and the side-by-side with ours.

A study asks for the comparison with `report.paper_comparison`, a list of entries
`{paper: <key>, row: <paper's row label>, data: <our data>, arch: <our arch>, method: <our method>}`.
`method: real data` compares the paper's row with our real-data floor for `data`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from suite.errors import ConfigError

PUBLISHED_YAML = Path(__file__).with_name("published.yaml")
REAL = "real data"
COMPARISON_COLUMNS = [
    "paper", "paper_row", "data", "arch", "method", "metric",
    "ours_mean", "ours_std", "ours_n", "ours_protocol", "published", "published_std", "protocol", "citation",
]


def load_published(path: Path = PUBLISHED_YAML) -> dict:
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def _published_row(papers: dict, entry: dict) -> tuple[dict, dict]:
    key = entry.get("paper")
    if key not in papers:
        raise ConfigError(f"report.paper_comparison paper {key!r} is unknown; allowed: {sorted(papers)}")
    paper = papers[key]
    label = entry.get("row")
    if label not in paper["rows"]:
        raise ConfigError(f"report.paper_comparison row {label!r} is not in {key}; allowed: {sorted(paper['rows'])}")
    return paper, paper["rows"][label]


def comparison_table(entries: list[dict], summary: pd.DataFrame, real: dict[str, dict],
                     ours_protocol: str = "", papers: dict | None = None) -> pd.DataFrame:
    """One row per (entry, published metric): our mean/std/n beside the published value.

    `summary` is stats.summarize's long table; `real` maps data -> real-data metrics dict;
    `ours_protocol` describes how our numbers were measured (shown beside the paper's).
    """
    papers = load_published() if papers is None else papers
    rows = []
    for entry in entries:
        paper, published = _published_row(papers, entry)
        for metric, value in published.items():
            if metric.endswith("_std"):
                continue
            ours_mean = ours_std = np.nan
            ours_n = 0
            if entry.get("method") == REAL:
                ours_value = real.get(entry.get("data"), {}).get(metric)
                if ours_value is not None:
                    ours_mean, ours_n = float(ours_value), 1
            else:
                sel = summary[(summary["data"] == entry.get("data")) & (summary["arch"] == entry.get("arch"))
                              & (summary["method"] == entry.get("method")) & (summary["metric"] == metric)]
                if len(sel):
                    ours_mean, ours_std, ours_n = sel["mean"].iloc[0], sel["std"].iloc[0], int(sel["n"].iloc[0])
            rows.append({
                "paper": entry["paper"], "paper_row": entry["row"], "data": entry.get("data"),
                "arch": entry.get("arch", ""), "method": entry.get("method"), "metric": metric,
                "ours_mean": ours_mean, "ours_std": ours_std, "ours_n": ours_n,
                "ours_protocol": ours_protocol,
                "published": float(value), "published_std": float(published.get(f"{metric}_std", np.nan)),
                "protocol": paper["protocol"], "citation": paper["citation"],
            })
    return pd.DataFrame(rows, columns=COMPARISON_COLUMNS)
