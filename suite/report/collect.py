"""Run directories -> one tidy table with a row per run (from each run's metrics.json).

The report reads result files only; this module never imports torch or training code.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pandas as pd

from suite.errors import DataMissingError, GanbenchError
from suite.io import write_text
from suite.runspec import FILES, RunSpec

log = logging.getLogger(__name__)

METRIC_KEYS = ("fid", "kid_mean", "kid_std", "is_mean", "is_std", "domain_fid", "domain_is", "domain_classes",
               "fid_sampling_se", "kid_sampling_se", "domain_fid_sampling_se",  # sampling SEs of one run's scores
               "precision", "recall", "density", "coverage",  # k = 5 nearest neighbours on scoring features
               "modes_covered", "hq_fraction", "w1",  # 2-d toy runs
               "js1", "js2", "js3", "js4",  # text runs: n-gram JS divergence (bits) against held-out text
               "js1_floor", "js2_floor", "js3_floor", "js4_floor",  # two disjoint real samples of the same size
               "js1_untrained", "js2_untrained", "js3_untrained", "js4_untrained")  # the generator before training
# how many points each score compared: n_gen / n_ref behind FID (the domain FID's without Inception)
PROTOCOL_COLUMNS = ("n_gen", "n_ref", "domain_n_gen", "domain_n_ref", "modes_total")
ID_COLUMNS = ("experiment", "data", "arch", "method", "seed")
RUN_COLUMNS = (
    *ID_COLUMNS,
    "status",
    "diverged_at_step",
    "steps",
    "seconds",
    "seconds_per_step",
    "cpu_seconds_per_step",
    *METRIC_KEYS,
    *PROTOCOL_COLUMNS,
    "run_dir",
)
MISSING = "missing"


def atomic_write_text(path: Path, text: str) -> None:
    """Write text to a temp file beside `path`, then rename it into place."""
    write_text(path, text)


def atomic_write_csv(frame: pd.DataFrame, path: Path) -> None:
    atomic_write_text(path, frame.to_csv(index=False))


def _float_or_none(value):
    return None if value is None else float(value)


def read_run(run_dir: Path) -> dict:
    """One run's metrics.json -> one flat row (see RUN_COLUMNS)."""
    path = Path(run_dir) / FILES["metrics"]
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise GanbenchError(f"{path} is not valid JSON ({exc}); delete it and rerun the scoring rule") from exc
    try:
        run, train, metrics = record["run"], record.get("train", {}), record.get("metrics", {})
        protocol = record.get("protocol", {})
        row = {key: run.get(key) for key in ID_COLUMNS}
        row["seed"] = int(run["seed"])
        row["status"] = record["status"]
    except (KeyError, TypeError, ValueError) as exc:
        raise GanbenchError(f"{path} lacks the run/status fields of docs/internals.md ({exc!r})") from exc
    diverged_at = record.get("diverged_at_step")
    row["diverged_at_step"] = None if diverged_at is None else int(diverged_at)
    row["steps"] = train.get("steps")
    row["seconds"] = _float_or_none(train.get("seconds"))
    sps = train.get("seconds_per_step")
    if sps is None and row["seconds"] is not None and train.get("steps"):
        sps = row["seconds"] / train["steps"]
    row["seconds_per_step"] = _float_or_none(sps)
    row["cpu_seconds_per_step"] = _float_or_none(train.get("cpu_seconds_per_step"))
    for key in METRIC_KEYS:
        row[key] = _float_or_none(metrics.get(key))
    for key in PROTOCOL_COLUMNS:
        row[key] = _float_or_none(protocol.get(key))
    row["run_dir"] = str(run_dir)
    return row


def _missing_row(run_dir: Path) -> dict:
    row = dict.fromkeys(RUN_COLUMNS)
    row.update(RunSpec.identity_from_path(run_dir) or dict.fromkeys(ID_COLUMNS))
    row["status"] = MISSING
    row["run_dir"] = str(run_dir)
    return row


def collect_runs(run_dirs: list[Path], out_csv: Path, missing_ok: bool = False) -> pd.DataFrame:
    """Read every `<run>/metrics.json` into one row per run and write the table to `out_csv`.

    A run without metrics.json raises DataMissingError naming every such run, unless
    `missing_ok`: then it is kept as a row with status "missing" (the report lists it).
    """
    run_dirs = [Path(d) for d in run_dirs]
    missing = [d for d in run_dirs if not (d / FILES["metrics"]).is_file()]
    if missing and not missing_ok:
        names = ", ".join(str(d) for d in missing)
        raise DataMissingError(
            f"{len(missing)} of {len(run_dirs)} runs have no metrics.json: {names} "
            "(run their score rule first, or pass missing_ok to list them in the report)"
        )
    if missing:
        log.warning("%d runs have no metrics.json, listed as missing: %s", len(missing), ", ".join(map(str, missing)))
    rows = [_missing_row(d) if d in missing else read_run(d) for d in run_dirs]
    frame = pd.DataFrame(rows, columns=list(RUN_COLUMNS))
    frame = frame.astype({"diverged_at_step": "Int64", "steps": "Int64", "seed": "Int64"})
    for key in ("seconds", "seconds_per_step", "cpu_seconds_per_step", *METRIC_KEYS, *PROTOCOL_COLUMNS):
        frame[key] = frame[key].astype(float)
    atomic_write_csv(frame, Path(out_csv))
    log.info("collected %d runs (%d missing) into %s", len(frame), len(missing), out_csv)
    return frame


def read_runs_table(runs_csv: Path) -> pd.DataFrame:
    """Read a table written by collect_runs, with the same column types."""
    path = Path(runs_csv)
    if not path.is_file():
        raise DataMissingError(f"runs table {path} does not exist; collect the runs first")
    frame = pd.read_csv(path, dtype={"experiment": str, "data": str, "arch": str, "method": str, "status": str})
    absent = [c for c in RUN_COLUMNS if c not in frame.columns]
    if absent:
        raise GanbenchError(f"runs table {path} lacks columns {absent}; rebuild it with collect_runs")
    return frame.astype({"diverged_at_step": "Int64", "steps": "Int64", "seed": "Int64"})
