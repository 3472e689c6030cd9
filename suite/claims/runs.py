"""A run folder's outputs, read the way the claims need them: files only, never training code.

A run folder holds run.yaml (the resolved spec), train.json, metrics.json, curve.csv and
diagnostics/{layers,weights}.csv (formats in docs/internals.md). Each reader raises
`MeasurementMissing` when the file a statistic needs is absent, so a claim whose
measurement a study does not record says so instead of failing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pandas as pd
import yaml

from suite.errors import GanbenchError
from suite.runspec import FILES, RUNS

SPEC_FILE = FILES["spec"]


class MeasurementMissing(GanbenchError):
    """A file a statistic reads is not in the run folder (the study does not record that measurement)."""


@dataclass(frozen=True)
class AnyOf:
    """A field value a Group accepts when the run's value is any of `values` (`any_of("A", "B")`)."""

    values: tuple

    def __str__(self) -> str:
        return "/".join(map(str, self.values))


def any_of(*values) -> AnyOf:
    """Match a run whose field holds any of `values`: `group(..., setting=any_of("D", "E", "F"))`."""
    return AnyOf(tuple(values))


@dataclass(frozen=True)
class Group:
    """The runs one side of a comparison needs: data sets, arch fields and method fields they must match.

    Runs are matched by their resolved spec (run.yaml), not by the names a study gives them, so
    `{preset: wgan-wc, clip_value: 0.1}` is found whatever the study calls it.
    """

    label: str
    data: tuple[str, ...]
    arch: tuple[tuple[str, object], ...]
    method: tuple[tuple[str, object], ...]

    def matches(self, record: dict) -> bool:
        if record.get("data") not in self.data:
            return False
        arch, method = record.get("arch") or {}, record.get("method") or {}
        return (all(_same(arch.get(key), value) for key, value in self.arch)
                and all(_same(method.get(key), value) for key, value in self.method))

    def describe(self) -> str:
        fields = ", ".join(f"{key} {value}" for key, value in self.arch + self.method)
        return f"{self.label} ({'/'.join(self.data)}; {fields})"


def group(label: str, data, arch: dict, **method) -> Group:
    """A Group from plain mappings: `group("GP", ["toy-swissroll"], {"family": "mlp"}, constraint="gp")`."""
    data = (data,) if isinstance(data, str) else tuple(data)
    return Group(label, data, tuple(arch.items()), tuple(method.items()))


def _same(actual, wanted) -> bool:
    if isinstance(wanted, AnyOf):
        return any(_same(actual, value) for value in wanted.values)
    if isinstance(wanted, (list, tuple)):
        return isinstance(actual, (list, tuple)) and list(actual) == list(wanted)
    return actual == wanted


@dataclass
class RunOutputs:
    """One finished (or unfinished) run folder; files are read once, on first use."""

    path: Path
    record: dict = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path | str) -> RunOutputs:
        path = Path(path)
        spec = path / SPEC_FILE
        if not spec.is_file():
            raise GanbenchError(f"{path} is not a run folder: it has no {SPEC_FILE}")
        return cls(path, yaml.safe_load(spec.read_text()) or {})

    @property
    def seed(self) -> int:
        return int(self.record["seed"])

    def _file(self, name: str, what: str) -> Path:
        path = self.path / name
        if not path.is_file():
            raise MeasurementMissing(f"{name} is missing in {self.path} ({what})")
        return path

    @cached_property
    def train(self) -> dict:
        return json.loads(self._file(FILES["train"], "the training summary").read_text())

    @cached_property
    def metrics(self) -> dict:
        return json.loads(self._file(FILES["metrics"], "the run is not scored").read_text())

    @cached_property
    def curve(self) -> pd.DataFrame:
        return pd.read_csv(self._file(FILES["curve"], "no metrics were recorded over training (eval_every 0)"))

    @cached_property
    def layers(self) -> pd.DataFrame:
        return pd.read_csv(self._file("diagnostics/layers.csv", "no diagnostics (diagnostics_every 0)"),
                           dtype={"layer": str, "kind": str})

    @cached_property
    def weights(self) -> pd.DataFrame:
        return pd.read_csv(self._file("diagnostics/weights.csv", "no diagnostics (diagnostics_every 0)"))

    def table(self, name: str, what: str) -> pd.DataFrame:
        """Any other CSV of the run folder (a measurement other parts of the suite may add)."""
        return pd.read_csv(self._file(name, what))

    def diverged(self) -> bool:
        """True when training or scoring marked the run diverged (its numbers are not comparable)."""
        for name in (FILES["train"], FILES["metrics"]):
            path = self.path / name
            if path.is_file() and json.loads(path.read_text()).get("status", "ok") != "ok":
                return True
        return False


def find_runs(study_dir: Path | str) -> list[Path]:
    """Every run folder (with a run.yaml) under `<study_dir>/runs`, in a stable order."""
    root = Path(study_dir) / RUNS
    if not root.is_dir():
        raise GanbenchError(f"{study_dir} has no {RUNS}/ folder: pass results/<experiment> of a study that ran")
    return sorted(path.parent for path in root.glob(f"*/*/*/seed*/{SPEC_FILE}"))
