"""One run's identity, its folder, its file names and its config hash: the only place that spells
the run-folder layout `<results>/<study>/runs/<data>/<arch>/<method>/seed<k>/`.

A run folder describes itself: `run.yaml` holds the fully resolved spec (method fields, arch,
data, seed, budgets, scoring protocol), its config hash and the package versions, so the report
and the claims read run folders without the study file.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field, fields
from importlib import metadata
from pathlib import Path

import yaml

from suite.errors import ConfigError

SPEC_FILE = "run.yaml"

# The files of a run folder, by role.
FILES = {
    "spec": SPEC_FILE,
    "checkpoint": "checkpoint.pt",
    "train": "train.json",
    "generator": "generator.pt",
    "samples": "samples.png",
    "text_samples": "samples.txt",  # text runs: generated sequences, one a line
    "metrics": "metrics.json",
    "curve": "curve.csv",
    "log_csv": "train.csv",
    "diagnostics": "diagnostics",
    "critic_fit": "critic_fit.json",
}

RUNS = "runs"  # the folder of a study's results that holds its run folders
_ID_PATTERN = re.compile(r"^(?P<data>[^/]+)/(?P<arch>[^/]+)/(?P<method>[^/]+)/seed(?P<seed>\d+)$")
_ID_FORM = "<data>/<arch>/<method>/seed<k>"


def inception_counts(evaluate: dict) -> tuple[int | None, int | None]:
    """(generated, real) images behind the Inception metrics: at most `inception_n_gen` of the n_gen
    generated images (all when null), against `inception_n_ref` real ones (n_ref when null)."""
    n_gen, limit = evaluate.get("n_gen"), evaluate.get("inception_n_gen")
    if limit is not None:
        n_gen = limit if n_gen is None else min(n_gen, limit)
    return n_gen, evaluate.get("inception_n_ref") or evaluate.get("n_ref")


def net_params(params: dict, net: str) -> dict:
    """One net's ("g" or "d") arch parameters: each base key, overridden by its `g_` / `d_` key when
    that is not None; the prefixed keys themselves dropped."""
    prefixes = ("g_", "d_")
    return {key: value if params.get(f"{net}_{key}") is None else params[f"{net}_{key}"]
            for key, value in params.items() if not key.startswith(prefixes) and key != "family"}


def package_versions() -> dict[str, str]:
    """Versions that change a run's numbers, read from the installed distributions (no import)."""
    versions = {}
    for name in ("ganbench", "torch"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


# Fields added after runs were recorded: left out of the record and the hash while empty, so those runs
# keep their run.yaml and config hash.
_OMITTED_WHEN_EMPTY = ("dataset", "parts")


@dataclass(frozen=True)
class RunSpec:
    """One training run: everything that changes its numbers."""

    experiment: str
    data: str
    arch_name: str
    arch: dict
    method_name: str
    method: dict
    seed: int
    latent_dim: int
    train: dict
    evaluate: dict
    device: str = "auto"
    data_root: str | None = None
    threads: int = field(default=1, compare=False)
    dataset: dict | None = None  # a study's own data set: its kind, path, size, image count, content hash
    parts: dict = field(default_factory=dict)  # parts from the user's own code: kind -> path, sha256, version

    @property
    def run_id(self) -> str:
        return RunSpec.format_run_id(self.data, self.arch_name, self.method_name, self.seed)

    @staticmethod
    def format_run_id(data, arch, method, seed) -> str:
        """`<data>/<arch>/<method>/seed<k>`; with "{data}"... it is the Snakemake wildcard form."""
        return f"{data}/{arch}/{method}/seed{seed}"

    def directory(self, results: Path | str = "results") -> Path:
        return Path(results) / self.experiment / RUNS / self.run_id

    def path(self, role: str, results: Path | str = "results") -> Path:
        """The file of `role` (a key of FILES) in this run's folder."""
        return self.directory(results) / FILES[role]

    @staticmethod
    def wildcard_directory(results: str = "results") -> str:
        """The run folder as a Snakemake wildcard pattern."""
        return f"{results}/{{exp}}/{RUNS}/" + RunSpec.format_run_id("{data}", "{arch}", "{method}", "{seed}")

    @staticmethod
    def parse_run_id(run_id: str) -> dict:
        """`<data>/<arch>/<method>/seed<k>` -> {data, arch, method, seed}."""
        match = _ID_PATTERN.match(run_id)
        if not match:
            raise ConfigError(f"run {run_id!r} must look like {_ID_FORM}")
        return {**match.groupdict(), "seed": int(match["seed"])}

    @staticmethod
    def identity_from_path(path: Path | str) -> dict | None:
        """A run folder's path -> {experiment, data, arch, method, seed}, or None if it is not one."""
        parts = Path(path).parts
        if len(parts) < 6 or parts[-5] != RUNS:
            return None
        try:
            identity = RunSpec.parse_run_id("/".join(parts[-4:]))
        except ConfigError:
            return None
        return {"experiment": parts[-6], **identity}

    def config_hash(self) -> str:
        """sha256 over every field that determines the run's numbers.

        Not threads or the experiment name; not the device either, so a checkpoint moves between CPU and GPU.
        """
        payload = {k: v for k, v in self.to_dict().items() if k not in ("experiment", "threads", "device")}
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]

    def to_dict(self) -> dict:
        """The fields as a mapping, without those of _OMITTED_WHEN_EMPTY that are empty."""
        return {k: v for k, v in asdict(self).items() if not (k in _OMITTED_WHEN_EMPTY and not v)}

    @classmethod
    def from_dict(cls, data: dict) -> "RunSpec":
        return cls(**{f.name: data[f.name] for f in fields(cls) if f.name in data})

    def describe(self) -> dict:
        """The resolved spec as `run.yaml` records it (threads are the scheduler's, not the run's)."""
        record = {k: v for k, v in self.to_dict().items() if k != "threads"}
        return {**record, "run_id": self.run_id, "config_hash": self.config_hash(), "versions": package_versions()}

    def write(self, results: Path | str = "results") -> Path:
        """Write run.yaml, only when its content changed (its time stamp is what reruns the run)."""
        from suite.io import write_text_if_changed

        return write_text_if_changed(self.path("spec", results), yaml.safe_dump(self.describe(), sort_keys=False))


def load_run(path: Path | str) -> RunSpec:
    """The RunSpec of a run folder (or of its run.yaml)."""
    path = Path(path)
    spec_path = path / SPEC_FILE if path.is_dir() else path
    if not spec_path.is_file():
        raise ConfigError(f"{spec_path} does not exist: a run folder holds its {SPEC_FILE}")
    record = yaml.safe_load(spec_path.read_text())
    if not isinstance(record, dict) or "config_hash" not in record:
        raise ConfigError(f"{spec_path} is not a run spec (no config_hash)")
    spec = RunSpec.from_dict(record)
    if spec.config_hash() != record["config_hash"]:
        raise ConfigError(f"{spec_path}: its fields do not match its config_hash (edited by hand?)")
    return spec


def load_run_record(path: Path | str) -> dict:
    """A run folder's run.yaml as a mapping (with config_hash and versions)."""
    path = Path(path)
    spec_path = path / SPEC_FILE if path.is_dir() else path
    return yaml.safe_load(spec_path.read_text())
