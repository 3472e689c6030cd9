"""The studies shipped in configs/, as test parameters. Expanding a study checks every run's nets on the
meta device, and a dry run builds its whole DAG: tens of seconds for the paper-size studies (hundreds of
runs), so those run in the slow tier and the small ones in both."""
from pathlib import Path

import pytest

from suite.config import load_yaml

REPO = Path(__file__).resolve().parents[1]
LARGE_STUDY = 200  # runs


def run_count(path: Path) -> int:
    """Runs a study's grids expand to, counted from the file without resolving it."""
    return sum(len(grid["data"]) * len(grid["archs"]) * len(grid["methods"]) * len(grid.get("settings", [None]))
               * len(grid["seeds"]) for grid in load_yaml(path)["grids"])


def shipped_studies() -> list:
    """One parameter per configs/*.yaml (its path, named by its file name), the large ones marked slow."""
    return [pytest.param(path, id=path.name, marks=[pytest.mark.slow] if run_count(path) > LARGE_STUDY else [])
            for path in sorted((REPO / "configs").glob("*.yaml"))]
