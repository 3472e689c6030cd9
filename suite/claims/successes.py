"""Success counts: a run succeeds when its final metric is below a threshold (WGAN-GP sections 5.1
and 5.2 count architectures a method trains, not mean scores).

A diverged run is a failure. Runs are grouped into cells (an architecture variant, a random draw)
by a function of their run.yaml record that returns the cell's label, or None for a run outside
the claim. Paired measures match two methods' runs on the same cell and seed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from suite import statistics
from suite.claims.measures import Measure, final_metric
from suite.claims.runs import MeasurementMissing, RunOutputs

Cell = Callable[[dict], str | None]


class CellValues(list):
    """One 0/1 array per cell, with the cells' labels for the verdict's notes."""

    def __init__(self, arrays, labels):
        super().__init__(arrays)
        self.labels = tuple(labels)


Thresholds = Mapping[tuple[int, int], float]  # (n_gen, n_ref) of the domain FID -> the threshold set for it


def domain_counts(run: RunOutputs) -> tuple[int | None, int | None]:
    """(generated, reference) images behind the run's domain FID."""
    protocol = run.metrics.get("protocol", {})
    return (protocol.get("domain_n_gen") or protocol.get("n_gen"),
            protocol.get("domain_n_ref") or protocol.get("n_ref"))


def threshold_for(run: RunOutputs, thresholds: Thresholds) -> float:
    """The threshold set for the run's scoring protocol (FID's bias depends on the sample counts, so a
    threshold holds only at the n_gen and n_ref it was set for)."""
    counts = domain_counts(run)
    if counts not in thresholds:
        allowed = ", ".join(f"n_gen {n_gen} with n_ref {n_ref}" for n_gen, n_ref in thresholds)
        raise MeasurementMissing(f"{run.path} was scored with n_gen {counts[0]}, n_ref {counts[1]}; the success "
                                 f"threshold is set for {allowed}")
    return thresholds[counts]


def succeeded(run: RunOutputs, metric: str, thresholds: Thresholds) -> bool:
    """The run finished without diverging and its final `metric` (lower is better) is below the
    threshold of its protocol."""
    if run.diverged():
        return False
    value = final_metric(metric)(run)
    return math.isfinite(value) and value < threshold_for(run, thresholds)


def _by_cell_and_seed(runs: Sequence[RunOutputs], cell: Cell, outcome) -> dict[tuple[str, int], object]:
    found = {}
    for run in runs:
        label = cell(run.record)
        if label is not None:
            found[(label, run.seed)] = outcome(run)
    return found


def _pairs(groups, cell: Cell, outcome) -> tuple[list[tuple[str, int]], dict, dict]:
    first, second = (_by_cell_and_seed(runs, cell, outcome) for runs in groups)
    common = sorted(set(first) & set(second))
    if not common:
        raise MeasurementMissing("no cell and seed was run by both methods of the claim")
    return common, first, second


def paired_success(name: str, metric: str, thresholds: Thresholds, cell: Cell) -> Measure:
    """Two aligned 0/1 arrays, one entry per (cell, seed) that both groups ran."""

    def values(groups):
        common, first, second = _pairs(groups, cell, lambda run: succeeded(run, metric, thresholds))
        return [np.array([found[key] for key in common], dtype=float) for found in (first, second)]

    return Measure(name, values)


def cell_success(name: str, metric: str, thresholds: Thresholds, cell: Cell) -> Measure:
    """One 0/1 array per cell of the (single) group's runs, labelled with the cell."""

    def values(groups):
        by_cell: dict[str, list[float]] = {}
        for (label, _), success in sorted(_by_cell_and_seed(
                groups[0], cell, lambda run: succeeded(run, metric, thresholds)).items()):
            by_cell.setdefault(label, []).append(float(success))
        if not by_cell:
            raise MeasurementMissing("no run of the claim's group is on one of its cells")
        return CellValues([np.array(found) for found in by_cell.values()], by_cell)

    return Measure(name, values)


def success_sweep(groups: Sequence[Sequence[RunOutputs]], metric: str, thresholds: Sequence[float],
                  cell: Cell) -> pd.DataFrame:
    """The paired table at each threshold (WGAN-GP Table 2's layout): threshold, both, only_first,
    only_second, neither, McNemar's exact p. A diverged run fails at every threshold."""

    def final(run: RunOutputs) -> float:
        return math.inf if run.diverged() else final_metric(metric)(run)

    common, first, second = _pairs(groups, cell, final)
    rows = []
    for threshold in thresholds:
        a = np.array([first[key] < threshold for key in common])
        b = np.array([second[key] < threshold for key in common])
        table = statistics.paired_table(a, b)
        rows.append({"threshold": threshold, "both": table.both, "only_first": table.only_a,
                     "only_second": table.only_b, "neither": table.neither,
                     "p": statistics.mcnemar_exact_p(table)})
    return pd.DataFrame(rows)
