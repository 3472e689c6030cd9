"""Published claims with verdicts: each finding the suite can test, registered as data.

Reads run outputs only (run.yaml, train.json, metrics.json, curve.csv, diagnostics/): never training
code, models or torch. The report imports this package; this package never imports the report.
"""

from suite.claims.claim import SCALES, Claim, Grid
from suite.claims.registry import CLAIMS
from suite.claims.runs import AnyOf, Group, MeasurementMissing, RunOutputs, any_of, find_runs, group
from suite.claims.table import claims_table, display_frame, write_claims_table
from suite.claims.verdict import CONTRADICTED, INCONCLUSIVE, NOT_RUN, REASON_CODES, REPRODUCED, VERDICTS, decide

__all__ = [
    "AnyOf", "CLAIMS", "CONTRADICTED", "INCONCLUSIVE", "NOT_RUN", "REASON_CODES", "REPRODUCED", "SCALES", "VERDICTS", "Claim", "Grid",
    "Group", "MeasurementMissing", "RunOutputs", "any_of", "claims_table", "decide", "display_frame", "find_runs", "group",
    "write_claims_table",
]
