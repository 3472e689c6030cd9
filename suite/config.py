"""Study configs: defaults, validation (schema + semantics), and the list of runs they define.

A study (configs/*.yaml) names grids of data x arch x method x seed. Each point
is a `RunSpec`: everything that determines the run's numbers, hashed into its
`config_hash`.
"""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from suite.errors import ConfigError

REPO_ROOT = Path(__file__).resolve().parents[1]
SCHEMA_PATH = REPO_ROOT / "workflows" / "schemas" / "config.schema.yaml"

DEFAULTS: dict[str, Any] = {
    "device": "auto",
    "data_root": None,
    "latent_dim": 128,
    "threads": 1,
    "archs": {},
    "methods": {},
    "train": {
        "iterations": 1000,
        "batch_size": 64,
        "log_every": 10,
        "checkpoint_every": 100,
        "eval_every": 0,
        "eval_samples": 500,
        "diagnostics_every": 0,
        "channels_last": False,
        "bf16": False,
    },
    "evaluate": {
        "n_gen": 1000,
        "n_ref": 1000,
        "ref_split": "test",
        "inception": True,
        "inception_weights": "offline",
        "fid_crosscheck": True,
        "is_splits": 10,
        "domain": True,
        "batch_size": 50,
    },
    "domain_classifier": {"epochs": 3, "seed": 0, "n_train": None},
    "report": {},
}


def deep_merge(base: dict, override: dict) -> dict:
    """A copy of `base` with `override` merged in (nested mappings merged, the rest replaced)."""
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


@lru_cache(maxsize=1)
def load_schema() -> dict:
    return yaml.safe_load(SCHEMA_PATH.read_text())


def _path(error: jsonschema.ValidationError) -> str:
    parts = []
    for part in error.absolute_path:
        parts.append(f"[{part}]" if isinstance(part, int) else (f".{part}" if parts else str(part)))
    return "".join(parts) or "(top level)"


def _schema_message(error: jsonschema.ValidationError) -> str:
    if error.validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        return f"{error.message}; allowed keys: {', '.join(allowed)}"
    if error.validator == "enum":
        return f"{error.instance!r} is not allowed; allowed: {', '.join(map(str, error.validator_value))}"
    return error.message


# JSON Schema counts 1.0 as an integer; a seed or iteration count written 1.0 would then name a run
# `seed1.0` that no rule can produce, so only true ints (not bools) pass.
_Validator = jsonschema.validators.extend(
    jsonschema.Draft202012Validator,
    type_checker=jsonschema.Draft202012Validator.TYPE_CHECKER.redefine(
        "integer", lambda checker, instance: isinstance(instance, int) and not isinstance(instance, bool)),
)


def validate_schema(config: dict) -> None:
    """Check `config` against the JSON schema; the first error names its key path."""
    validator = _Validator(load_schema())
    errors = sorted(validator.iter_errors(config), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        first = errors[0]
        raise ConfigError(f"config error at {_path(first)}: {_schema_message(first)}")


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

    @property
    def run_id(self) -> str:
        return f"{self.data}/{self.arch_name}/{self.method_name}/seed{self.seed}"

    def directory(self, results: Path | str = "results") -> Path:
        return Path(results) / self.experiment / "runs" / self.run_id

    def config_hash(self) -> str:
        """sha256 over every field that determines the run's numbers.

        Not threads or the experiment name; not the device either, so a checkpoint moves between CPU and GPU.
        """
        payload = {k: v for k, v in asdict(self).items() if k not in ("experiment", "threads", "device")}
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "RunSpec":
        return cls(**data)


@dataclass(frozen=True)
class Study:
    """A validated study: its resolved config and its runs."""

    config: dict
    runs: tuple[RunSpec, ...]

    @property
    def experiment(self) -> str:
        return self.config["experiment"]

    def run(self, data: str, arch: str, method: str, seed: int) -> RunSpec:
        for spec in self.runs:
            if (spec.data, spec.arch_name, spec.method_name, spec.seed) == (data, arch, method, seed):
                return spec
        raise ConfigError(
            f"run {data}/{arch}/{method}/seed{seed} is not in study {self.experiment!r}; "
            f"its runs: {', '.join(s.run_id for s in self.runs[:10])}{' ...' if len(self.runs) > 10 else ''}"
        )

    def method_names(self) -> list[str]:
        return list(dict.fromkeys(spec.method_name for spec in self.runs))

    def data_names(self) -> list[str]:
        return list(dict.fromkeys(spec.data for spec in self.runs))


def _method_spec(name: str, methods: dict, where: str) -> dict:
    from suite.methods import PRESETS, resolve_method

    if name in methods:
        entry = methods[name]
    elif name in PRESETS:
        entry = name
    else:
        allowed = sorted(set(PRESETS) | set(methods))
        raise ConfigError(f"config error at {where}: unknown method {name!r}; allowed: {', '.join(allowed)} "
                          "(presets, or names under `methods:`)")
    try:
        return resolve_method(entry).to_dict()
    except ConfigError as error:
        raise ConfigError(f"config error at methods.{name}: {error}") from None


def _arch_spec(name: str, archs: dict, where: str) -> dict:
    from suite.models import ARCHS

    if name in archs:
        arch = dict(archs[name])
    elif name in ARCHS:
        arch = {"family": name}
    else:
        allowed = sorted(set(ARCHS) | set(archs))
        raise ConfigError(f"config error at {where}: unknown arch {name!r}; allowed: {', '.join(allowed)} "
                          "(families, or names under `archs:`)")
    if arch["family"] not in ARCHS:
        raise ConfigError(
            f"config error at archs.{name}.family: unknown family {arch['family']!r}; allowed: {', '.join(ARCHS)}"
        )
    return arch


def _check_run(spec: RunSpec) -> None:
    """Build the models once on the meta device so bad arch keys or arch/data mismatches fail before any job."""
    import torch

    from suite.data import data_shape
    from suite.methods import resolve_method
    from suite.models import build_models

    try:
        with torch.device("meta"):
            build_models(spec.arch, resolve_method(spec.method), data_shape(spec.data), spec.latent_dim)
    except ConfigError as error:
        raise ConfigError(f"config error at archs.{spec.arch_name} (run {spec.run_id}): {error}") from None


def resolve_study(raw: dict) -> Study:
    """Validate a raw config (schema, then names and values) and expand its grids into runs."""
    from suite.data import DATASETS

    if not isinstance(raw, dict):
        raise ConfigError("config error: a study config must be a mapping")
    validate_schema(raw)
    config = deep_merge(DEFAULTS, raw)
    runs: dict[tuple, RunSpec] = {}
    checked_pairs = set()
    for index, grid in enumerate(config["grids"]):
        for data in grid["data"]:
            if data not in DATASETS:
                raise ConfigError(f"config error at grids[{index}].data: unknown data set {data!r}; allowed: {', '.join(DATASETS)}")
        train = deep_merge(config["train"], grid.get("train", {}))
        evaluate = deep_merge(config["evaluate"], grid.get("evaluate", {}))
        for data in grid["data"]:
            for arch_name in grid["archs"]:
                arch = _arch_spec(arch_name, config["archs"], f"grids[{index}].archs")
                for method_name in grid["methods"]:
                    method = _method_spec(method_name, config["methods"], f"grids[{index}].methods")
                    for seed in grid["seeds"]:
                        spec = RunSpec(
                            experiment=config["experiment"], data=data, arch_name=arch_name, arch=arch,
                            method_name=method_name, method=method, seed=seed,
                            latent_dim=config["latent_dim"], train=train, evaluate=evaluate,
                            device=config["device"], data_root=config["data_root"], threads=config["threads"],
                        )
                        key = (data, arch_name, method_name, seed)
                        if key in runs:
                            raise ConfigError(f"config error at grids[{index}]: run {spec.run_id} appears in two grids")
                        runs[key] = spec
                        if (data, arch_name, method_name) not in checked_pairs:
                            checked_pairs.add((data, arch_name, method_name))
                            _check_run(spec)
    reference = config["report"].get("reference_method")
    methods = {spec.method_name for spec in runs.values()}
    if reference is not None and reference not in methods:
        raise ConfigError(f"config error at report.reference_method: {reference!r} is not a method of this study; allowed: {', '.join(sorted(methods))}")
    archs_with_runs = {spec.arch_name for spec in runs.values()}
    for arch in config["report"].get("part_costs", []):
        if arch not in archs_with_runs:
            raise ConfigError(f"config error at report.part_costs: arch {arch!r} has no run in this study; allowed: {', '.join(sorted(archs_with_runs))}")
    return Study(config=config, runs=tuple(runs.values()))


def load_yaml(path: Path | str) -> dict:
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file {path} does not exist; studies live in configs/ ({', '.join(sorted(p.name for p in (REPO_ROOT / 'configs').glob('*.yaml')))})")
    try:
        return yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as error:
        raise ConfigError(f"config file {path} is not valid YAML: {error}") from None


def load_study(path: Path | str) -> Study:
    return resolve_study(load_yaml(path))


def study_config_for_snakemake(config: dict, configfiles: list, overrides: dict) -> dict:
    """The study a snakemake call asked for.

    `--configfile X` selects study X alone (default.yaml's keys are not merged in);
    `--config experiment=NAME` selects configs/NAME.yaml; otherwise the Snakefile's default.
    """
    if configfiles:
        selected: dict = {}
        for path in configfiles:
            selected = deep_merge(selected, load_yaml(path))
        return deep_merge(selected, overrides or {})
    name = (overrides or {}).get("experiment")
    named = REPO_ROOT / "configs" / f"{name}.yaml"
    if name and named.is_file():
        return deep_merge(load_yaml(named), overrides)
    return config


def write_resolved_study(study: Study, results: Path | str = "results") -> Path:
    """Write the study's resolved config where the rules read it; rewritten only when it changed."""
    from suite.io import write_text

    path = Path(results) / study.experiment / "study.yaml"
    text = yaml.safe_dump(study.config, sort_keys=False)
    if not path.is_file() or path.read_text() != text:
        write_text(path, text)
    return path
