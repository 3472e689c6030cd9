"""Parts a study takes from the user's own code, without a fork of the suite.

A study names such a part by `module:attribute` (`mygan.losses:relativistic`), or by the name of an
entry point its package registers in the part's group (`ganbench.losses`, `ganbench.constraints`,
`ganbench.norms`, `ganbench.archs`). The module is imported from the installed packages or from the working directory
the study runs in. Each kind's registry (losses, penalties, model families) calls `load_part` with the
check its own parts pass; `UserPart.record` is what a run records of it (its identity, so a change to
the module re-runs exactly the runs that use it).
"""

from __future__ import annotations

import importlib
import os
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Callable

from suite.errors import ConfigError
from suite.io import sha256_file

GROUPS = {"loss": "ganbench.losses", "constraint": "ganbench.constraints", "d_norm": "ganbench.norms",
          "family": "ganbench.archs"}
FORM = "module:attribute"


@dataclass(frozen=True)
class UserPart:
    """One loaded part: the name the study gave, where it lives and what its code was."""

    name: str
    path: str  # module:attribute
    value: object
    sha256: str  # of the module's file
    version: str | None  # of the distribution that installs the module, if one does

    def record(self) -> dict:
        record = {"path": self.path, "sha256": self.sha256}
        return record if self.version is None else {**record, "version": self.version}


def _entry_point(kind: str, name: str) -> metadata.EntryPoint | None:
    matches = metadata.entry_points(group=GROUPS[kind], name=name)
    return next(iter(matches), None)


def names_a_part(kind: str, name: object) -> bool:
    """Whether `name` can only mean a user part of `kind`: `module:attribute`, or a registered entry point."""
    return isinstance(name, str) and (":" in name or _entry_point(kind, name) is not None)


def allowed_text(kind: str) -> str:
    """How a user part of `kind` is named, for the `allowed:` of an error line."""
    registered = sorted({point.name for point in metadata.entry_points(group=GROUPS[kind])})
    installed = f" ({', '.join(registered)})" if registered else ""
    return f"an entry point of group {GROUPS[kind]}{installed}, or {FORM} of your own module"


def _import(module_name: str, where: str):
    # `python -m` puts the working directory on the path, Snakemake's own process does not: a study's
    # module beside it is found the same way by both.
    if os.getcwd() not in sys.path and "" not in sys.path:
        sys.path.append(os.getcwd())
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        raise ConfigError(f"{where}: cannot import {module_name} ({error}); allowed: a module installed or in "
                          f"the study's working directory {os.getcwd()}") from None
    except Exception as error:  # the user's module failed while it ran: say where, in one line
        raise ConfigError(f"{where}: importing {module_name} failed: {type(error).__name__}: {error}") from None


def _version(module, point: metadata.EntryPoint | None) -> str | None:
    """The version of the distribution whose files hold the module (a top-level name alone may be claimed
    by an unrelated distribution: several ship a `tests` package)."""
    if point is not None and point.dist is not None:
        return point.dist.version
    source = Path(module.__file__).resolve()
    for name in metadata.packages_distributions().get(module.__name__.partition(".")[0], []):
        distribution = metadata.distribution(name)
        if any(Path(distribution.locate_file(file)).resolve() == source for file in distribution.files or ()):
            return distribution.version
    return None


_LOADED: dict[tuple[str, str], UserPart] = {}


def load_part(kind: str, name: str, check: Callable[[object, str], None]) -> UserPart:
    """The user part `name` of `kind` (a key of GROUPS), imported and passed through `check`
    (which raises ConfigError naming what is wrong); loaded once per process."""
    key = (kind, name)
    if key in _LOADED:
        return _LOADED[key]
    point = None if ":" in name else _entry_point(kind, name)
    path = point.value if point is not None else name
    where = f"{kind} {name!r}"
    module_name, _, attribute = path.partition(":")
    if not module_name or not attribute or " " in path:
        raise ConfigError(f"{where} is not a name of this suite; allowed: {allowed_text(kind)}")
    module = _import(module_name, where)
    value = module
    for part in attribute.split("."):
        if not hasattr(value, part):
            raise ConfigError(f"{where}: {module_name} has no attribute {attribute!r}; allowed: a name it defines")
        value = getattr(value, part)
    check(value, where)
    source = getattr(module, "__file__", None)
    if source is None:
        raise ConfigError(f"{where}: {module_name} has no source file to record; allowed: a module from a .py file")
    part = UserPart(name, path, value, sha256_file(source), _version(module, point))
    _LOADED[key] = part
    return part


def verify_records(records: dict[str, dict], where: str) -> None:
    """ConfigError when a recorded part's module file now differs from the sha256 recorded: the record is
    stale, and the study must be loaded again to record the new code."""
    for kind, record in records.items():
        module = _import(record["path"].partition(":")[0], f"{where}: {kind} {record['path']!r}")
        current = sha256_file(module.__file__)
        if current != record["sha256"]:
            raise ConfigError(f"{where}: {kind} {record['path']} changed since the run was recorded (sha256 "
                              f"{record['sha256'][:12]}, now {current[:12]}); allowed: the recorded code; load "
                              "the study again (rerun snakemake) so the run records the new code")
