"""Published numbers (published.yaml) and the side-by-side with ours, each row judged comparable
or not from both protocols.

`report.paper_comparison` is either `true` (every published row whose method and arch family
match a run of the study, plus every "real data" row) or a list of entries
`{paper: <key>, row: <paper's row label>, data: <our data>, arch: <our arch>, method: <our method>}`;
`method: real data` compares the paper's row with our real-data floor for `data`.

A row is comparable only when the two protocols agree on everything both state that moves the
number: data set, resolution, generated and reference sample counts, reference split, IS splits,
the architecture (family and each net's width and depth), and the method (published.yaml names
where a paper's method differs from our preset of the same name).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from suite.errors import ConfigError
from suite.runspec import inception_counts, net_params

PUBLISHED_YAML = Path(__file__).with_name("published.yaml")
REAL = "real data"
# our data name -> (data set, resolution in pixels) of its images
OUR_DATA = {"fashion32": ("fashion-mnist", 32), "cifar10": ("cifar10", 32)}
# protocol keys each metric's number depends on
METRIC_KEYS = {"fid": ("n_gen", "n_ref", "ref_split"), "is_mean": ("n_gen", "is_splits")}
COMPARISON_COLUMNS = [
    "paper", "paper_row", "data", "arch", "method", "metric",
    "ours_mean", "ours_std", "ours_n", "ours_protocol", "published", "published_std", "protocol",
    "comparable", "differences", "citation",
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


def _row_match(paper: dict, label: str) -> dict:
    """{method, differs} of our preset that the paper's row corresponds to ({} when none)."""
    match = (paper.get("ours") or {}).get(label)
    if match is None:
        return {}
    return {"method": match} if isinstance(match, str) else dict(match)


def _row_arch(paper: dict, label: str) -> dict:
    return (paper.get("row_arch") or {}).get(label) or paper.get("arch") or {}


def _net_shapes(arch: dict, stated: dict | None = None):
    """(family, generator params, critic params) of an arch mapping; with `stated` (a paper's spec),
    only the keys that spec states."""
    stated = arch if stated is None else stated
    keys = {key.removeprefix("g_").removeprefix("d_") for key in stated if key != "family"}
    g, d = net_params(arch, "g"), net_params(arch, "d")
    return (arch.get("family"), {k: g[k] for k in sorted(keys) if k in g}, {k: d[k] for k in sorted(keys) if k in d})


def _paper_net_shapes(spec: dict):
    """A paper's arch spec per net: the keys it states, `g_` / `d_` keys over the shared one."""
    keys = sorted({key.removeprefix("g_").removeprefix("d_") for key in spec if key != "family"})
    per_net = [{k: spec.get(f"{net}_{k}", spec.get(k)) for k in keys if spec.get(f"{net}_{k}", spec.get(k)) is not None}
               for net in ("g", "d")]
    return (spec.get("family"), *per_net)


def _arch_difference(ours: dict | None, theirs: dict) -> str | None:
    if ours is None:
        return "our architecture not given"
    if not theirs.get("spec"):
        return f"architecture: ours {_arch_text(ours)}, theirs {theirs.get('text', 'not stated')}"
    if _net_shapes(ours, theirs["spec"]) != _paper_net_shapes(theirs["spec"]):
        return f"architecture: ours {_arch_text(ours)}, theirs {_arch_text(theirs['spec'], paper=True)}"
    return None


def _arch_text(arch: dict, paper: bool = False) -> str:
    family, g, d = _paper_net_shapes(arch) if paper else _net_shapes(arch)
    if g == d:
        return f"{family} " + ", ".join(f"{k} {v}" for k, v in g.items())
    return (f"{family} G " + ", ".join(f"{k} {v}" for k, v in g.items())
            + " / D " + ", ".join(f"{k} {v}" for k, v in d.items()))


def differences(ours: dict, theirs: dict, metric: str) -> list[str]:
    """What differs between our protocol and the paper's for `metric` ([] when comparable).

    Both are mappings with `data`, `resolution`, the metric's sample keys (n_gen, n_ref,
    ref_split, is_splits), `arch` (ours: an arch mapping; theirs: {text, spec}) and, for the
    paper, `differs` (a method difference). A key the paper does not state is not compared;
    one we do not know (None) makes the row not comparable.
    """
    found = []
    for key in ("data", "resolution", *METRIC_KEYS.get(metric, ())):
        if theirs.get(key) is None:
            continue
        if ours.get(key) is None:
            found.append(f"{key}: ours not given, theirs {theirs[key]}")
        elif ours[key] != theirs[key]:
            found.append(f"{key}: ours {ours[key]}, theirs {theirs[key]}")
    if not theirs.get("real_data"):
        arch = _arch_difference(ours.get("arch"), theirs.get("arch") or {})
        if arch:
            found.append(arch)
        if theirs.get("differs"):
            found.append(f"method: {theirs['differs']}")
    return found


def _their_protocol(paper: dict, label: str, metric: str) -> dict:
    match = _row_match(paper, label)
    return {"data": paper.get("data"), "resolution": paper.get("resolution"),
            **(paper.get("measure") or {}).get(metric, {}), "arch": _row_arch(paper, label),
            "differs": match.get("differs"), "real_data": match.get("method") == REAL}


def _protocol_text(protocol: dict, metric: str) -> str:
    keys = [k for k in ("data", "resolution", *METRIC_KEYS.get(metric, ())) if protocol.get(k) is not None]
    return "; ".join(f"{k} {protocol[k]}" for k in keys)


def _study_cells(study: dict) -> dict[tuple[str, str, str], dict]:
    """(data, arch, method) -> our protocol for that cell of the study (resolved config)."""
    archs = study.get("archs") or {}
    cells = {}
    for grid in study.get("grids") or []:
        if grid.get("settings"):
            continue  # its runs train a method under another optimizer setting: no longer the paper's preset
        evaluate = {**(study.get("evaluate") or {}), **(grid.get("evaluate") or {})}
        for data in grid.get("data") or []:
            data_set, resolution = OUR_DATA.get(data, (data, None))
            for arch in grid.get("archs") or []:
                for method in grid.get("methods") or []:
                    cells[(data, arch, method)] = {
                        "data": data_set, "resolution": resolution, "arch": archs.get(arch), **_counts(evaluate)}
    return cells


def _counts(evaluate: dict) -> dict:
    """The sample keys of our Inception metrics (the only ones a paper reports)."""
    n_gen, n_ref = inception_counts(evaluate)
    return {"n_gen": n_gen, "n_ref": n_ref, "ref_split": evaluate.get("ref_split"), "is_splits": evaluate.get("is_splits")}


def _real_protocol(study: dict, data: str) -> dict:
    data_set, resolution = OUR_DATA.get(data, (data, None))
    evaluate = study.get("evaluate") or {}
    return {"data": data_set, "resolution": resolution, **_counts(evaluate)}


def matching_entries(study: dict, papers: dict) -> list[dict]:
    """Entries for `paper_comparison: true`: each published row beside every run cell whose
    method is the row's preset (study-defined variants excluded) and whose arch family is the
    row's, and each "real data" row beside every image data set of the study."""
    custom = set(study.get("methods") or {})
    cells = _study_cells(study)
    entries = []
    for key, paper in papers.items():
        for label in paper["rows"]:
            match = _row_match(paper, label)
            if match.get("method") == REAL:
                for data in dict.fromkeys(d for d, _, _ in cells if d in OUR_DATA):
                    entries.append({"paper": key, "row": label, "data": data, "method": REAL})
                continue
            family = _row_arch(paper, label).get("family")
            for (data, arch, method), ours in cells.items():
                if (method == match.get("method") and method not in custom and ours["arch"]
                        and data in OUR_DATA and ours["arch"].get("family") == family):
                    entries.append({"paper": key, "row": label, "data": data, "arch": arch,
                                    "method": method})
    return entries


def _ours(entry: dict, metric: str, summary: pd.DataFrame, real: dict) -> tuple[float, float, int]:
    if entry.get("method") == REAL:
        value = real.get(entry.get("data"), {}).get(metric)
        return (np.nan, np.nan, 0) if value is None else (float(value), np.nan, 1)
    sel = summary[(summary["data"] == entry.get("data")) & (summary["arch"] == entry.get("arch"))
                  & (summary["method"] == entry.get("method")) & (summary["metric"] == metric)]
    if not len(sel):
        return np.nan, np.nan, 0
    return sel["mean"].iloc[0], sel["std"].iloc[0], int(sel["n"].iloc[0])


def comparison_table(entries: list[dict] | bool, summary: pd.DataFrame, real: dict[str, dict],
                     ours_protocol: str = "", papers: dict | None = None,
                     study: dict | None = None) -> pd.DataFrame:
    """One row per (entry, published metric): our mean/std/n beside the published value, both
    protocols, and whether they are comparable (with what differs).

    `summary` is stats.summarize's long table; `real` maps data -> real-data metrics dict;
    `study` (the resolved study config) gives our protocol per run cell and, for
    `entries=True`, the cells to match; without it only the data set is known and
    `ours_protocol` describes how our numbers were measured.
    """
    papers = load_published() if papers is None else papers
    study = study or {}
    if entries is True:
        entries = matching_entries(study, papers)
    cells = _study_cells(study)
    rows = []
    for entry in entries or []:
        paper, published = _published_row(papers, entry)
        data = entry.get("data")
        if entry.get("method") == REAL:
            ours = _real_protocol(study, data) if study else {}
        else:
            ours = cells.get((data, entry.get("arch"), entry.get("method")), {})
        ours = {"data": OUR_DATA.get(data, (data, None))[0], **ours}
        for metric, value in published.items():
            if metric.endswith("_std"):
                continue
            theirs = _their_protocol(paper, entry["row"], metric)
            if entry.get("method") == REAL:
                theirs["real_data"] = True
            found = differences(ours, theirs, metric)
            ours_mean, ours_std, ours_n = _ours(entry, metric, summary, real)
            ours_text = _protocol_text(ours, metric) if study else ours_protocol
            if study and ours.get("arch"):
                ours_text += f"; arch {_arch_text(ours['arch'])}"
            rows.append({
                "paper": entry["paper"], "paper_row": entry["row"], "data": data,
                "arch": entry.get("arch", ""), "method": entry.get("method"), "metric": metric,
                "ours_mean": ours_mean, "ours_std": ours_std, "ours_n": ours_n,
                "ours_protocol": ours_text,
                "published": float(value), "published_std": float(published.get(f"{metric}_std", np.nan)),
                "protocol": "; ".join(filter(None, [paper["protocol"], paper.get("resize"),
                                                    _row_arch(paper, entry["row"]).get("text")])),
                "comparable": not found, "differences": "; ".join(found),
                "citation": paper["citation"],
            })
    return pd.DataFrame(rows, columns=COMPARISON_COLUMNS)
