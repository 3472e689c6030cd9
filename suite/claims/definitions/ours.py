"""The benchmark's own observations: findings of this suite at its budget, not a paper's claims."""

import json

import numpy as np

from suite.claims.claim import Claim
from suite.claims.definitions.common import DCGAN, FASHION, scales
from suite.claims.measures import Measure, final_metric
from suite.claims.runs import group

BN = group("DCGAN (batch norm)", FASHION, DCGAN, loss="ns", d_norm="bn", constraint="none", setting=None)
ALL_DCGAN = group("every method", FASHION, DCGAN, setting=None)
FID = final_metric("fid")


def bn_against_runner_up(groups) -> list[np.ndarray]:
    """FIDs of the BN runs and of the other method (by method_name) with the lowest mean FID, on the BN
    runs' architecture: runs of another width were given another budget, so they are not its rivals."""
    bn, everyone = groups
    bn_archs = {json.dumps(run.record["arch"], sort_keys=True) for run in bn}
    others: dict[str, list[float]] = {}
    for run in everyone:
        if not BN.matches(run.record) and json.dumps(run.record["arch"], sort_keys=True) in bn_archs:
            others.setdefault(run.record["method_name"], []).append(FID(run))
    if not others:
        return [np.array([FID(run) for run in bn]), np.array([])]
    runner_up = min(others.values(), key=lambda values: np.nanmean(values) if np.isfinite(values).any() else np.inf)
    return [np.array([FID(run) for run in bn]), np.array(runner_up)]


CLAIMS = [
    Claim(
        id="ours-bn-leads-at-equal-cpu-time",
        source="this benchmark's default study",
        statement="At equal CPU time per run on this budget, the DCGAN batch-norm baseline reaches a lower FID "
                  "than the best of the other methods.",
        groups=(BN, ALL_DCGAN),
        measure=Measure("FID (metrics.json): DCGAN-BN minus the method with the next-lowest mean FID",
                        bn_against_runner_up),
        no_effect=0.0, direction=-1, grids=scales(overnight=None), figure="metric_by_method", observation=True),
]
