"""The study report: result files (JSON, CSV, PNG) -> tables, figures, index.html.

Reads result files only: no torch, no model or training import.
"""

from suite.report.build import build_report
from suite.report.collect import collect_runs

__all__ = ["build_report", "collect_runs"]
