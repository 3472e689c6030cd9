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


def exec_in_repository(marker: str, module: str, args: list[str]) -> NoReturn:
    root = repository_root(marker)
    os.chdir(root)
    os.execve(sys.executable, [sys.executable, "-m", module, *args], environment())


def cmd_run(args) -> NoReturn:
    exec_in_repository("Snakefile", "snakemake", args.snakemake_args)


def cmd_bench(args) -> NoReturn:
    exec_in_repository("benchmarks/run.py", "benchmarks.run", args.bench_args)
