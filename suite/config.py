"""Study configs: defaults, validation (schema + semantics), and the list of runs they define.

A study (configs/*.yaml) names grids of data x arch x method x seed. Each point
is a `RunSpec`: everything that determines the run's numbers, hashed into its
`config_hash`.
"""

from __future__ import annotations

import copy
import os
import re
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from suite.errors import ConfigError
from suite.plugins import allowed_text, names_a_part
from suite.runspec import RunSpec

REPO_ROOT = Path(__file__).resolve().parents[1]
# Package data (a link to workflows/schemas/config.schema.yaml in the repository), so an installed wheel has it.
SCHEMA_PATH = Path(__file__).with_name("config.schema.yaml")

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
        "precision": "fp32",
    },
    "evaluate": {
        "n_gen": 1000,
        "n_ref": 1000,
        "ref_split": "test",
        "inception": True,
        "inception_n_gen": None,
        "inception_n_ref": None,
        "inception_weights": "offline",
        "fid_crosscheck": True,
        "is_splits": 10,
        "domain": True,
        "batch_size": 50,
    },
    "domain_classifier": {"epochs": 3, "seed": 0, "n_train": None},
    "critic_fit": {"steps": 0},
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
    if error.validator == "pattern" and "description" in error.schema:
        return f"{error.instance!r} is not allowed; allowed: {error.schema['description']}"
    if error.validator == "minimum":
        return f"{error.instance!r} is too small; allowed: >= {error.validator_value}"
    if error.validator == "uniqueItems":
        return f"{error.instance!r} repeats a value; allowed: each value once"
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
class Study:
    """A validated study: its resolved config and its runs."""

    config: dict
    runs: tuple[RunSpec, ...]
    datasets: dict = field(default_factory=dict)  # the study's own data sets: name -> definition (as runs record it)

    @property
    def experiment(self) -> str:
        return self.config["experiment"]

    @property
    def sequential(self) -> dict | None:
        """The sequential design ({looks, alpha, spending}), or None for fixed seeds."""
        return self.config.get("sequential")

    def cell_run(self, data: str, arch: str, method: str, seed: int) -> RunSpec:
        """A run of the cell at any seed: the cell's first run with that seed (a sequential look's new seed)."""
        for spec in self.runs:
            if (spec.data, spec.arch_name, spec.method_name) == (data, arch, method):
                return replace(spec, seed=seed)
        raise ConfigError(f"cell {data}/{arch}/{method} is not in study {self.experiment!r}")

    def run(self, data: str, arch: str, method: str, seed: int) -> RunSpec:
        for spec in self.runs:
            if (spec.data, spec.arch_name, spec.method_name, spec.seed) == (data, arch, method, seed):
                return spec
        if self.sequential and seed < self.sequential["looks"][-1]:
            return self.cell_run(data, arch, method, seed)
        raise ConfigError(
            f"run {RunSpec.format_run_id(data, arch, method, seed)} is not in study {self.experiment!r}; "
            f"its runs: {', '.join(s.run_id for s in self.runs[:10])}{' ...' if len(self.runs) > 10 else ''}"
        )

    def method_names(self) -> list[str]:
        return list(dict.fromkeys(spec.method_name for spec in self.runs))

    def data_names(self) -> list[str]:
        return list(dict.fromkeys(spec.data for spec in self.runs))


def _method_spec(name: str, methods: dict, grid: str, family: str | None = None,
                 setting: str | None = None) -> dict:
    """The resolved method `name` (a preset or an entry of `methods:`) of the grid at `grid`
    (`grids[2]`), under `setting` (A-F) if given."""
    from suite.methods import PRESETS, resolve_method

    if name in methods:
        entry = methods[name]
    elif name in PRESETS:
        entry = name
    else:
        allowed = sorted(set(PRESETS) | set(methods))
        raise ConfigError(f"config error at {grid}.methods: unknown method {name!r}; allowed: {', '.join(allowed)} "
                          "(presets, or names under `methods:`)")
    at = f"methods.{name}"
    if setting is not None:
        entry = {"preset": entry} if isinstance(entry, str) else dict(entry)
        if entry.get("setting") is not None:
            raise ConfigError(f"config error at {grid}.settings: method {name!r} names setting {entry['setting']} "
                              "itself; list it without the grid's settings, or drop its own")
        entry["setting"] = setting
        at = f"{grid}.settings (method {name} under setting {setting})"
    try:
        return resolve_method(entry, family).to_dict()
    except ConfigError as error:
        raise ConfigError(f"config error at {at}: {error}") from None


def grid_methods(grid: dict) -> list[tuple[str, str, str | None]]:
    """(run method name, method name, setting) for each method of a grid, crossed with its `settings`:
    `settings: [A, D]` turns method `gan-sn` into runs named `gan-sn+A` and `gan-sn+D`."""
    from suite.methods.settings import setting_method_name

    settings = grid.get("settings") or [None]
    return [(name if setting is None else setting_method_name(name, setting), name, setting)
            for name in grid["methods"] for setting in settings]


def _arch_spec(name: str, archs: dict, where: str) -> dict:
    """The arch as runs record it: its family (as the study names it) and every parameter, defaults filled in."""
    from suite.models import ARCHS, resolve_arch

    if name in archs:
        arch = dict(archs[name])
    elif name in ARCHS:
        arch = {"family": name}
    else:
        allowed = sorted(set(ARCHS) | set(archs))
        raise ConfigError(f"config error at {where}: unknown arch {name!r}; allowed: {', '.join(allowed)} "
                          "(families, or names under `archs:`)")
    if arch["family"] not in ARCHS and not names_a_part("family", arch["family"]):
        raise ConfigError(f"config error at archs.{name}.family: unknown family {arch['family']!r}; allowed: "
                          f"{', '.join(ARCHS)}, {allowed_text('family')}")
    try:
        _, params = resolve_arch(arch)
    except ConfigError as error:
        raise ConfigError(f"config error at archs.{name}: {error}") from None
    return {"family": arch["family"], **params}


def _user_parts(method: dict, arch: dict, where: str) -> dict:
    """What the run records of the parts that come from the user's own code: kind -> path, sha256, version."""
    from suite.methods import resolve_method, user_parts
    from suite.models import user_family, user_norm

    try:
        parts = user_parts(resolve_method(method)) | {"d_norm": user_norm(method["d_norm"]),
                                                      "family": user_family(arch["family"])}
    except ConfigError as error:
        raise ConfigError(f"config error at {where}: {error}") from None
    return {kind: part.record() for kind, part in parts.items() if part is not None}


def _activation_bytes(net, inputs) -> int:
    """Bytes of every leaf module's output in one forward pass (on the meta device: nothing is computed)."""
    import torch

    total = 0

    def count(module, args, output):
        nonlocal total
        if isinstance(output, torch.Tensor):
            total += output.numel() * output.element_size()

    leaves = [module for module in net.modules() if not list(module.children())]
    hooks = [module.register_forward_hook(count) for module in leaves]
    try:
        output = net(inputs)
    finally:
        for hook in hooks:
            hook.remove()
    return total, output


def _machine_memory() -> int:
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def _references_drawn(evaluate: dict) -> list[tuple[str, int, str]]:
    """(key, images, split) of the real images a scoring under `evaluate` draws for its references."""
    from suite.runspec import inception_counts

    drawn = [("evaluate.n_ref", evaluate["n_ref"], evaluate["ref_split"])]
    if evaluate["inception"]:
        drawn.append(("evaluate.inception_n_ref", inception_counts(evaluate)[1], evaluate["ref_split"]))
    return drawn


def _check_own_counts(name: str, definition: dict, drawn: list[tuple[str, int, str]]) -> None:
    """A study's own data set may be small: each count drawn from one of its splits must fit that split."""
    from suite.data.own import split_indices

    for key, count, split in drawn:
        size = len(split_indices(definition["images"], split))
        if count > size:
            raise ConfigError(f"config error at {key}: {count} images of data set {name!r}, whose {split} "
                              f"split holds {size} of its {definition['images']}; allowed: at most {size}")


def _check_output(net: str, family: str, output, expected: tuple) -> None:
    if tuple(output.shape) != expected:
        raise ConfigError(f"the {net} of family {family} gives {list(output.shape)} on a batch of 2; "
                          f"allowed: {list(expected)}")


def _check_run(spec: RunSpec) -> None:
    """Build the models once on the meta device and run them on 2 examples, so bad arch keys, arch/data
    mismatches, nets of the wrong output shape and batches whose activations cannot fit in this machine's
    memory fail before any job."""
    import torch

    from suite.data import data_shape
    from suite.methods import resolve_method
    from suite.models import build_models

    where = f"config error at archs.{spec.arch_name} (run {spec.run_id})"
    shape = data_shape(spec.data)
    try:
        with torch.device("meta"):
            generator, critic = build_models(spec.arch, resolve_method(spec.method), shape, spec.latent_dim)
            g_bytes, fake = _activation_bytes(generator, torch.empty(2, spec.latent_dim))
            _check_output("generator", spec.arch["family"], fake, (2, *shape))
            d_bytes, scores = _activation_bytes(critic, fake)
            _check_output("critic", spec.arch["family"], scores, (2,))
    except ConfigError as error:
        raise ConfigError(f"{where}: {error}") from None
    except Exception as error:  # only the user's own nets get here: the shipped ones are tested
        if "family" not in spec.parts:
            raise
        raise ConfigError(f"{where}: family {spec.arch['family']} failed on a batch of 2: "
                          f"{type(error).__name__}: {error}") from None
    # Measured on 2 examples: the activations G and D (on a real and a fake batch) save for backward,
    # and as much again for their gradients.
    per_example = g_bytes + 2 * d_bytes
    batch = spec.train["batch_size"]
    memory = _machine_memory()
    if batch * per_example > memory:
        raise ConfigError(
            f"config error at train.batch_size: {batch} needs about {batch * per_example / 2**30:.0f} GiB of "
            f"activations for {spec.arch_name} on {spec.data}, more than this machine's "
            f"{memory / 2**30:.0f} GiB; allowed: batch_size <= {memory // per_example}")


def _sequential_design(entry: dict) -> dict:
    """The sequential key with its defaults; its looks must grow."""
    design = {"alpha": 0.05, "spending": "obrien-fleming", **entry}
    looks = design["looks"]
    if any(later <= earlier for earlier, later in zip(looks, looks[1:])):
        raise ConfigError(f"config error at sequential.looks: {looks} must be increasing seed counts; "
                          "allowed: e.g. [3, 6, 12]")
    return design


# The metric the plateau rule may read, by kind of data: the domain curve of labelled images, the toy curve
# (suite.metrics.toy.ToyCurve) of 2-d data.
PLATEAU_METRICS = {"image": "domain_fid", "toy": "w1"}


def _check_plateau(train: dict, evaluate: dict, data: str, where: str) -> None:
    """The plateau rule reads a curve of evaluations over training: domain FID on labelled images, W1 on
    2-d toy data."""
    from suite.data import DATASETS

    if train.get("plateau") is None:
        return
    dataset, metric = DATASETS[data], train["plateau"]["metric"]
    if dataset.kind == "toy":
        ok = bool(train["eval_every"]) and metric == PLATEAU_METRICS["toy"]
    else:
        ok = (bool(train["eval_every"]) and evaluate["domain"] and dataset.labelled
              and metric == PLATEAU_METRICS["image"])
    if not ok:
        raise ConfigError(f"config error at {where}.train.plateau: the rule needs evaluations over training of "
                          f"{data} (metric {metric}); allowed: metric domain_fid on labelled image data with "
                          "train.eval_every > 0 and evaluate.domain true, or metric w1 on 2-d toy data with "
                          "train.eval_every > 0")


def _check_toy_curve(train: dict, data: str, where: str) -> None:
    """A toy run's curve draws `eval_samples` held-out real points from its test split."""
    from suite.data import DATASETS
    from suite.data.toy import SIZES

    if train["eval_every"] and DATASETS[data].kind == "toy" and train["eval_samples"] > SIZES["test"]:
        raise ConfigError(f"config error at {where}.train.eval_samples: {train['eval_samples']} points of {data}'s "
                          f"curve, whose test split holds {SIZES['test']}; allowed: at most {SIZES['test']}")


def resolve_study(raw: dict) -> Study:
    """Validate a raw config (schema, then names and values) and expand its grids into runs."""
    from suite.data import describe_own, register_own
    from suite.data.registry import SHIPPED

    if not isinstance(raw, dict):
        raise ConfigError("config error: a study config must be a mapping")
    validate_schema(raw)
    config = deep_merge(DEFAULTS, raw)
    if "sequential" in config:
        config["sequential"] = _sequential_design(config["sequential"])
    own_data = {}
    for name, entry in config.get("datasets", {}).items():
        try:
            own_data[name] = describe_own(name, entry)
        except ConfigError as error:
            raise ConfigError(f"config error at datasets.{name}: {error}") from None
        register_own(name, own_data[name])
    runs: dict[tuple, RunSpec] = {}
    checked_pairs = set()
    for index, grid in enumerate(config["grids"]):
        for data in grid["data"]:
            if data not in SHIPPED and data not in own_data:
                raise ConfigError(f"config error at grids[{index}].data: unknown data set {data!r}; allowed: "
                                  f"{', '.join([*SHIPPED, *own_data])} (or a name under `datasets:`)")
        train = deep_merge(config["train"], grid.get("train", {}))
        evaluate = deep_merge(config["evaluate"], grid.get("evaluate", {}))
        for data in grid["data"]:
            _check_plateau(train, evaluate, data, f"grids[{index}]")
            _check_toy_curve(train, data, f"grids[{index}]")
            if data in own_data:
                _check_own_counts(data, own_data[data],
                                  [("train.batch_size", train["batch_size"], "train"), *_references_drawn(evaluate)])
            for arch_name in grid["archs"]:
                arch = _arch_spec(arch_name, config["archs"], f"grids[{index}].archs")
                for method_name, entry_name, setting in grid_methods(grid):
                    method = _method_spec(entry_name, config["methods"], f"grids[{index}]", arch["family"], setting)
                    parts = _user_parts(method, arch, f"grids[{index}] (method {method_name}, arch {arch_name})")
                    for seed in grid["seeds"]:
                        spec = RunSpec(
                            experiment=config["experiment"], data=data, arch_name=arch_name, arch=arch,
                            method_name=method_name, method=method, seed=seed,
                            latent_dim=config["latent_dim"], train=train, evaluate=evaluate,
                            device=config["device"], data_root=config["data_root"], threads=config["threads"],
                            dataset=own_data.get(data), parts=parts,
                        )
                        key = (data, arch_name, method_name, seed)
                        if key in runs:
                            raise ConfigError(f"config error at grids[{index}]: run {spec.run_id} appears in two grids")
                        runs[key] = spec
                        checked = (data, arch_name, method_name, train["batch_size"])
                        if checked not in checked_pairs:
                            checked_pairs.add(checked)
                            _check_run(spec)
    # The real-data floor of each data set scores under the study's own `evaluate`, on the split the
    # reference does not use.
    floor = config["evaluate"]
    held_out = "train" if floor["ref_split"] == "test" else "test"
    for data in {spec.data for spec in runs.values()} & set(own_data):
        _check_own_counts(data, own_data[data], [("evaluate.n_gen (the real-data floor's images)", floor["n_gen"],
                                                  held_out), *_references_drawn(floor)])
    # The resolved config names every arch of its runs, each complete (the report reads archs from it).
    config["archs"] = {spec.arch_name: spec.arch for spec in runs.values()}
    reference = config["report"].get("reference_method")
    methods = {spec.method_name for spec in runs.values()}
    if reference is not None and reference not in methods:
        raise ConfigError(f"config error at report.reference_method: {reference!r} is not a method of this study; allowed: {', '.join(sorted(methods))}")
    archs_with_runs = {spec.arch_name for spec in runs.values()}
    for arch in config["report"].get("part_costs", []):
        if arch not in archs_with_runs:
            raise ConfigError(f"config error at report.part_costs: arch {arch!r} has no run in this study; allowed: {', '.join(sorted(archs_with_runs))}")
    return Study(config=config, runs=tuple(runs.values()), datasets=own_data)


class _StudyLoader(yaml.SafeLoader):
    """YAML 1.1 reads `4e-4` (no dot, no exponent sign) as text; studies write learning rates that way."""


_StudyLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
                    |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
                    |\.[0-9_]+(?:[eE][-+]?[0-9]+)?
                    |[-+]?\.(?:inf|Inf|INF)
                    |\.(?:nan|NaN|NAN))$""", re.X),
    list("-+0123456789."),
)


def parse_yaml(text: str):
    """YAML as studies are read everywhere (numbers like 4e-4 are numbers)."""
    return yaml.load(text, Loader=_StudyLoader)


def known_studies() -> list[str]:
    return sorted(p.stem for p in (REPO_ROOT / "configs").glob("*.yaml"))


def load_yaml(path: Path | str) -> dict:
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file {path} does not exist; studies live in configs/ ({', '.join(known_studies())})")
    try:
        return parse_yaml(path.read_text()) or {}
    except yaml.YAMLError as error:
        problem = getattr(error, "problem", None) or "not valid YAML"
        mark = getattr(error, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise ConfigError(f"config file {path} is not valid YAML: {problem}{where}") from None


def load_study(path: Path | str) -> Study:
    return resolve_study(load_yaml(path))


STUDY_NAME = re.compile(r"^(?!\.+$)[A-Za-z0-9_.-]+$")


def study_config_for_snakemake(default: Path | str, configfiles: list, overrides: dict) -> tuple[dict, Path]:
    """The study a snakemake call asked for, and the file it came from.

    `--configfile X` selects study X alone (the default study's keys are not merged in);
    `--config experiment=NAME` selects configs/NAME.yaml; otherwise `default`.
    """
    overrides = overrides or {}
    files = [Path(path) for path in configfiles] if configfiles else []
    if not files:
        name = overrides.get("experiment")
        if name is not None:
            if not isinstance(name, str) or not STUDY_NAME.match(name):
                raise ConfigError(f"config error at experiment: {name!r} is not a study name "
                                  "(letters, digits, '_', '.', '-'; not a path)")
            named = REPO_ROOT / "configs" / f"{name}.yaml"
            if not named.is_file() and name != load_yaml(default).get("experiment"):
                raise ConfigError(f"no study {name!r}; known: {', '.join(known_studies())}")
            files = [named if named.is_file() else Path(default)]
        else:
            files = [Path(default)]
    selected: dict = {}
    for path in files:
        selected = deep_merge(selected, load_yaml(path))
    return deep_merge(selected, overrides), files[-1]


def write_resolved_study(study: Study, origin: Path | str | None = None, results: Path | str = "results") -> Path:
    """Write the study's resolved config where the report rules read it; rewritten only when it changed.

    A results folder belongs to one study file: another file with the same `experiment` and other
    content is refused, so two studies never overwrite each other's runs.
    """
    from suite.io import write_text, write_text_if_changed

    path = Path(results) / study.experiment / "study.yaml"
    origin_path = path.with_name("origin.txt")
    text = yaml.safe_dump(study.config, sort_keys=False)
    same = path.is_file() and path.read_text() == text
    if origin is not None:
        origin = str(Path(origin).resolve())
        recorded = origin_path.read_text().strip() if origin_path.is_file() else None
        if recorded is not None and recorded != origin and not same:
            raise ConfigError(
                f"experiment {study.experiment!r} in {origin} differs from the study that made "
                f"{path.parent}/ ({recorded}); give it another `experiment` name, or remove {path.parent}/")
        if recorded != origin:
            write_text(origin_path, origin + "\n")
    return write_text_if_changed(path, text)


def write_floor_protocol(study: Study, data: str, results: Path | str = "results") -> Path:
    """What the real-data floor of `data` depends on, where rule score_real_data reads it."""
    from suite.io import write_text_if_changed

    protocol = {"data": data, "device": study.config["device"], "evaluate": study.config["evaluate"]}
    if data in study.datasets:
        protocol["dataset"] = study.datasets[data]
    return write_text_if_changed(Path(results) / study.experiment / "reference" / data / "protocol.yaml",
                                 yaml.safe_dump(protocol, sort_keys=False))


def write_own_datasets(study: Study, cache: Path | str = "results/cache") -> list[Path]:
    """The definition of each of the study's own data sets, where the shared classifier and reference
    rules read it (named by `own_key`: a new content is a new file, an unchanged one is not rewritten)."""
    from suite.data import own_key
    from suite.io import write_text_if_changed

    return [write_text_if_changed(Path(cache) / "data" / f"{own_key(name, definition)}.yaml",
                                  yaml.safe_dump(definition, sort_keys=False))
            for name, definition in study.datasets.items()]


def write_cost_base(study: Study, arch: str, results: Path | str = "results") -> Path:
    """The run part costs are timed on for `arch` (its first run: data, batch, seed), without its method,
    since the timing swaps in each part."""
    from suite.io import write_text_if_changed

    base = next(spec for spec in study.runs if spec.arch_name == arch)
    record = {key: value for key, value in base.describe().items()
              if key not in ("method_name", "method", "run_id", "config_hash", "versions")}
    return write_text_if_changed(Path(results) / study.experiment / "report" / "part_costs" / f"{arch}.base.yaml",
                                 yaml.safe_dump(record, sort_keys=False))
