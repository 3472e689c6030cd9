"""What produced a number: code version and software versions."""

from __future__ import annotations

import hashlib
import platform
import subprocess
from functools import lru_cache
from importlib import metadata
from pathlib import Path

import suite

SUITE_ROOT = Path(suite.__file__).resolve().parent


@lru_cache(maxsize=1)
def code_version() -> str:
    """`<package version>+src.<hash>`: sha256 over the suite's own source and data files.

    A checkpoint resumes only under the same code version, so this names exactly the code that
    produces the numbers: a commit that touches only docs or tests keeps checkpoints valid, a local
    edit of the suite does not, and installs without git get a version too.
    """
    digest = hashlib.sha256()
    for path in sorted(SUITE_ROOT.rglob("*")):
        if path.suffix in (".py", ".yaml") and "__pycache__" not in path.parts:
            digest.update(path.relative_to(SUITE_ROOT).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return f"{suite.__version__}+src.{digest.hexdigest()[:12]}"


def git_commit() -> str | None:
    """The checkout's commit (with `-dirty` for local edits of tracked files), or None outside git."""
    try:
        return subprocess.run(["git", "describe", "--always", "--dirty", "--abbrev=12"], cwd=SUITE_ROOT.parent,
                              capture_output=True, text=True, check=True).stdout.strip() or None
    except (OSError, subprocess.CalledProcessError):
        return None


def cpu() -> dict:
    """The CPU a number came from: its model, and the widest vector instructions torch's kernels use on it
    (AVX2, AVX512, ...), which decide their float order: runs of the same seed agree bit for bit only on
    CPUs that match here."""
    import torch

    model = platform.processor()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            model = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), model)
    except OSError:
        pass
    return {"model": model, "capability": torch.backends.cpu.get_cpu_capability()}


def software_versions() -> dict:
    import numpy
    import torch

    versions = {"python": platform.python_version(), "torch": torch.__version__, "numpy": numpy.__version__,
                "ganbench": code_version(), "git_commit": git_commit()}
    # Read from the installed metadata: importing these (Snakemake above all) would cost every scoring job
    # about a CPU second for a version string.
    for name in ("torch_fidelity", "pytorch_fid", "snakemake", "scipy", "pandas"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions
