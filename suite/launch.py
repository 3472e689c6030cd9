"""`ganbench run` and `ganbench bench`: Snakemake and the benchmarks, started from the repository.

Both need the repository checkout (the Snakefile, the benchmarks package), not only the installed
package. They replace this process, so Ctrl-C and the exit status are the tool's own.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import NoReturn

from suite.errors import ConfigError

PACKAGE_PARENT = Path(__file__).resolve().parents[1]


def repository_root(marker: str) -> Path:
    """The checkout to run in: the current folder if it holds `marker`, else the one this package lives in."""
    for root in (Path.cwd(), PACKAGE_PARENT):
        if (root / marker).exists():
            return root
    raise ConfigError(f"no {marker} in {Path.cwd()} or {PACKAGE_PARENT}: run this from a ganbench checkout "
                      f"(git clone, then `bash scripts/install.sh`)")


def environment() -> dict:
    """This interpreter's bin folder first on PATH: the rules' `python -m suite` then runs in the same
    environment as this command, also when it was never activated (`.venv/bin/ganbench run ...`)."""
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


def exec_in_repository(root: Path, module: str, args: list[str]) -> NoReturn:
    os.chdir(root)
    os.execve(sys.executable, [sys.executable, "-m", module, *args], environment())


LOCAL_PROFILE = Path("workflows/profiles/default/config.yaml")
RATE_OPTIONS = ("--max-jobs-per-timespan", "--max-jobs-per-second", "--profile", "--workflow-profile")


def snakemake_arguments(args: list[str], root: Path) -> list[str]:
    """`args` plus the local profile's scheduling rate, unless they set a rate or name a profile (whose
    own keys a command-line option would override)."""
    if any(arg.split("=", 1)[0] in RATE_OPTIONS for arg in args):
        return args
    import yaml

    rate = yaml.safe_load((root / LOCAL_PROFILE).read_text())["max-jobs-per-timespan"]
    return ["--max-jobs-per-timespan", rate, *args]


def cmd_run(args) -> NoReturn:
    root = repository_root("Snakefile")
    exec_in_repository(root, "snakemake", snakemake_arguments(args.snakemake_args, root))


def cmd_bench(args) -> NoReturn:
    exec_in_repository(repository_root("benchmarks/run.py"), "benchmarks.run", args.bench_args)
