"""The study report: result files (JSON, CSV, PNG) -> tables, figures, index.html.

Reads result files only: no torch, no model or training import.
"""

from importlib import import_module

_HOMES = {"build_report": "build", "collect_runs": "collect"}
__all__ = sorted(_HOMES)


def __getattr__(name: str):  # imported on first use: the Snakefile imports suite.report.kinds at every parse
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{_HOMES[name]}"), name)
