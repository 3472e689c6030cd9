"""What produced a number: code version and software versions."""

from __future__ import annotations

import platform
import subprocess
from functools import lru_cache
from pathlib import Path

import suite

REPO_ROOT = Path(__file__).resolve().parents[1]


@lru_cache(maxsize=1)
def code_version() -> str:
    """`<package version>+g<commit>` (with `.dirty` when the tracked suite code has local edits)."""
    try:
        commit = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=REPO_ROOT,
                                capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", "suite"],
                               cwd=REPO_ROOT, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return suite.__version__
    return f"{suite.__version__}+g{commit}{'.dirty' if dirty else ''}"


def software_versions() -> dict:
    import numpy
    import torch

    versions = {"python": platform.python_version(), "torch": torch.__version__, "numpy": numpy.__version__}
    for name in ("torch_fidelity", "pytorch_fid", "snakemake", "scipy", "pandas"):
        try:
            module = __import__(name)
            versions[name] = getattr(module, "__version__", "unknown")
        except ImportError:
            continue
    return versions
