"""The claims' statistics: small pure functions from run outputs to numbers.

A per-run statistic maps one run folder to one number (the seed is the unit of replication);
a `Measure` turns the runs of a claim's groups into one array of numbers per group.

Outcome measures (a trained model's score, lower is better) score a diverged run +inf and carry it
through their aggregation, so a claim with `diverged_is_worst` keeps the failure in its test (the
claims table replaces +inf by the worst finite value of the claim); a value that was never measured
(a setting not run, a file not written) stays NaN, reported as missing.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from suite.claims.runs import MeasurementMissing, RunOutputs
from suite.runspec import FILES

INPUT_GRADS = "diagnostics/input_grads.csv"
SPECTRA = "diagnostics/spectra.csv"
CRITIC_FIT = FILES["critic_fit"]


@dataclass(frozen=True)
class Measure:
    """`values(groups)` -> one array per group; `name` is what the claims table prints."""

    name: str
    values: Callable[[Sequence[Sequence[RunOutputs]]], list[np.ndarray]]


def per_run(name: str, statistic: Callable[[RunOutputs], float]) -> Measure:
    """A Measure that applies `statistic` to each run of each group. A run that lacks what the statistic
    reads (a study may record diagnostics for some runs only) is NaN, left out like any non-finite value;
    a group in which every run lacks it raises the first run's MeasurementMissing."""

    return Measure(name, lambda groups: [_per_run_values(runs, statistic) for runs in groups])


def _per_run_values(runs: Sequence[RunOutputs], statistic: Callable[[RunOutputs], float]) -> np.ndarray:
    values, missing = [], []
    for run in runs:
        try:
            values.append(statistic(run))
        except MeasurementMissing as error:
            values.append(math.nan)
            missing.append(error)
    if runs and len(missing) == len(runs):
        raise missing[0]
    return np.array(values, dtype=float)


def computed(name: str, sample: Callable[[], np.ndarray]) -> Measure:
    """A Measure that needs no runs: a computation repeated over seeds (one group)."""
    return Measure(name, lambda groups: [np.asarray(sample(), dtype=float)])


def _by_step(frame: pd.DataFrame) -> list[pd.DataFrame]:
    if frame.empty:
        raise MeasurementMissing("the diagnostics hold no records")
    return [rows.sort_values("layer_index") for _, rows in frame.groupby("step", sort=True)]


def gradient_growth(run: RunOutputs) -> float:
    """log10 of the critic-loss gradient norm at the input-side layer over that at the output-side layer,

    averaged over the recorded steps (diagnostics/layers.csv, grad_output_norm). Above 0 the gradient
    grows on its way back to the input (explodes), below 0 it shrinks (vanishes).
    """
    ratios = [math.log10(rows["grad_output_norm"].iloc[0] / rows["grad_output_norm"].iloc[-1])
              for rows in _by_step(run.layers)]
    return float(np.mean(ratios))


def gradient_spread(run: RunOutputs) -> float:
    """log10(largest / smallest per-layer gradient norm), averaged over the recorded steps:
    the number of orders of magnitude the gradient scale spans across the critic's layers."""
    spreads = [math.log10(rows["grad_output_norm"].max() / rows["grad_output_norm"].min())
               for rows in _by_step(run.layers)]
    return float(np.mean(spreads))


def edge_fraction(run: RunOutputs) -> float:
    """Fraction of all critic weights in the two outermost bins of the last recorded histogram.

    The histogram (diagnostics/weights.csv) spans +-(largest |w| at the first record); for a clipped
    critic that is +-c, so the outer bins hold the weights sitting at the clipping bounds.
    """
    weights = run.weights
    if weights.empty:
        raise MeasurementMissing("diagnostics/weights.csv holds no records")
    last = weights[weights["step"] == weights["step"].max()].sort_values("bin_left")
    counts = last["count"].to_numpy(dtype=float)
    return float((counts[0] + counts[-1]) / counts.sum())


def sigma_tracking_errors(run: RunOutputs, burn_in: float = 0.0) -> np.ndarray:
    """|sigma_exact / sigma_estimate - 1| of every spectrally normalized layer at every diagnostics record
    after the burn-in: how far the persistent-u power-iteration estimate strays from the SVD's sigma (the
    normalized weight's sigma minus 1).

    The burn-in is the first `burn_in` fraction of the run's generator iterations (run.yaml's
    train.iterations; the last recorded step when the record lacks it): records at a step above it count.
    """
    layers = run.layers
    normed = layers[layers["sigma_estimate"].notna()]
    if normed.empty:
        raise MeasurementMissing("no spectrally normalized layer in diagnostics/layers.csv")
    total = (run.record.get("train") or {}).get("iterations") or int(layers["step"].max())
    settled = normed[normed["step"] > burn_in * total]
    if settled.empty:
        raise MeasurementMissing(f"diagnostics/layers.csv of {run.path} has no record after the first "
                                 f"{burn_in:.0%} of {total} iterations")
    return (settled["sigma_exact"] / settled["sigma_estimate"] - 1.0).abs().to_numpy(dtype=float)


def settled_sigma_error(quantile: float, burn_in: float) -> Callable[[RunOutputs], float]:
    """The `quantile` (e.g. 0.9) of `sigma_tracking_errors(run, burn_in)` over layers and records: below a
    band, at least that share of the settled layer-records lies within it."""

    def statistic(run: RunOutputs) -> float:
        return float(np.quantile(sigma_tracking_errors(run, burn_in), quantile))

    return statistic


def log_seconds_per_step(run: RunOutputs) -> float:
    """log10 of the training CPU seconds per generator iteration (train.json); differences are log ratios.

    CPU time, since wall time grows with the jobs sharing the cores, not with the step's own cost."""
    if run.train.get("cpu_seconds_per_step") is None:
        raise MeasurementMissing(f"train.json of {run.path} has no cpu_seconds_per_step")
    return math.log10(float(run.train["cpu_seconds_per_step"]))


def final_metric(key: str) -> Callable[[RunOutputs], float]:
    """The run's scored metric `key` from metrics.json (NaN when it was not computed); +inf for a run
    that diverged (in training or scoring), the worst score of a lower-is-better metric."""

    def statistic(run: RunOutputs) -> float:
        if run.diverged():
            return math.inf
        value = run.metrics["metrics"].get(key)
        return math.nan if value is None else float(value)

    return statistic


def gap_closed(key: str) -> Callable[[RunOutputs], float]:
    """The share of the way from the run's untrained generator to the real-data floor that training covered on
    metric `key` (lower is better): (untrained - trained) / (untrained - floor), from the `key`, `key_untrained`
    and `key_floor` of metrics.json; 0 for a run that diverged (it got nowhere), NaN where one was not scored."""

    def statistic(run: RunOutputs) -> float:
        if run.diverged():
            return 0.0
        metrics = run.metrics["metrics"]
        trained, untrained, floor = (metrics.get(name) for name in (key, f"{key}_untrained", f"{key}_floor"))
        if trained is None or untrained is None or floor is None:
            raise MeasurementMissing(f"metrics.json of {run.path} lacks {key}, {key}_untrained or {key}_floor")
        if untrained <= floor:
            return math.nan  # the untrained generator already scores at the floor: no gap to close
        return (float(untrained) - float(trained)) / (float(untrained) - float(floor))

    return statistic


def _curve_with(run: RunOutputs, *columns: str):
    curve = run.curve
    for column in columns:
        if column not in curve:
            raise MeasurementMissing(f"curve.csv of {run.path} has no {column} column")
    return curve


def curve_value(run: RunOutputs, metric: str, axis: str, at: float) -> float:
    """curve.csv's `metric`, linearly interpolated at `axis` (step or cpu_seconds) = `at`;
    NaN outside the evaluated range (no extrapolation)."""
    curve = _curve_with(run, metric, axis)
    x, y = curve[axis].to_numpy(dtype=float), curve[metric].to_numpy(dtype=float)
    if len(x) == 0 or at < x[0] or at > x[-1]:
        return math.nan
    return float(np.interp(at, x, y))


def at_common(metric: str, axis: str) -> Measure:
    """Each run's curve `metric` at the largest `axis` value (generator iteration or training CPU second)
    that every run of the claim that did not diverge reached: the comparison at equal iterations or
    equal time. A diverged run scores +inf (the worst: the metric is lower-is-better) and takes no part
    in choosing the common value, so one early failure does not cut every other run's budget.

    Equal time is CPU time: a study runs several jobs on the same cores, which stretches each one's wall
    time by the load beside it, not by its own cost; on a machine to itself the two agree.
    """
    unit = {"step": "generator iterations", "cpu_seconds": "training CPU seconds"}[axis]

    def values(groups):
        finished = [run for runs in groups for run in runs if not run.diverged()]
        if not finished:
            return [np.full(len(runs), math.inf) for runs in groups]
        common = min(float(_curve_with(run, axis)[axis].iloc[-1]) for run in finished)
        return [np.array([math.inf if run.diverged() else curve_value(run, metric, axis, common)
                          for run in runs_], dtype=float) for runs_ in groups]

    return Measure(f"{metric} at equal {unit}", values)


def input_gradient_over_bound(run: RunOutputs) -> float:
    """log10(largest ||grad_x D|| on the probe samples / product of the layers' effective sigmas),
    at the last step recorded in both diagnostics/input_grads.csv (step, split, grad_norm_max) and
    layers.csv. Below 0 the norm respects the bound of the sigmas' product."""
    grads = run.table(INPUT_GRADS, "the diagnostics do not record ||grad_x D|| on real and fake samples")
    layers = run.layers
    step = min(int(grads["step"].max()), int(layers["step"].max()))
    at = layers[layers["step"] == step]
    sigma = np.where(at["sigma_estimate"].notna(), at["sigma_exact"] / at["sigma_estimate"], at["sigma_exact"])
    return float(math.log10(grads.loc[grads["step"] == step, "grad_norm_max"].max()) - np.log10(sigma).sum())


def effective_rank_fraction(run: RunOutputs) -> float:
    """Mean over the critic's layers of exp(entropy of sigma_i / sum sigma) / number of singular values
    (the effective rank of Roy & Vetterli 2007, as a fraction), at the last step of diagnostics/spectra.csv
    (step, layer_index, index, singular_value). Near 0: rank-deficient; 1: a flat spectrum."""
    spectra = run.table(SPECTRA, "the diagnostics record only each layer's largest singular value")
    last = spectra[spectra["step"] == spectra["step"].max()]
    fractions = []
    for _, layer in last.groupby("layer_index"):
        sigma = layer["singular_value"].to_numpy(dtype=float)
        p = sigma[sigma > 0] / sigma.sum()
        fractions.append(math.exp(-(p * np.log(p)).sum()) / len(sigma))
    return float(np.mean(fractions))


def critic_w1_gap(run: RunOutputs) -> float:
    """|critic's W1 estimate / its measured Lipschitz constant - exact W1| / exact W1, from critic_fit.json
    (w1_critic = E D(real) - E D(fake), lipschitz = max ||grad_x D||, w1_exact from optimal transport)."""
    path = run.path / CRITIC_FIT
    if not path.is_file():
        raise MeasurementMissing(f"{CRITIC_FIT} is missing: no run trains a critic against a fixed generator "
                                 "(real data + Gaussian noise) and records its fit")
    fit = json.loads(path.read_text())
    if fit["w1_critic"] is None:  # the fit diverged (its status says so): no finite value
        return math.nan
    return abs(fit["w1_critic"] / fit["lipschitz"] - fit["w1_exact"]) / fit["w1_exact"]


def power_iteration_errors(matrix: np.ndarray, start: np.ndarray, iterations: int) -> np.ndarray:
    """Relative error |u^T W v - sigma_1| / sigma_1 after 1..`iterations` rounds of power iteration
    (v = W^T u / |W^T u|, u = W v / |W v|) from the left vector `start`; sigma_1 from the SVD."""
    sigma = np.linalg.svd(matrix, compute_uv=False)[0]
    u = start / np.linalg.norm(start)
    errors = []
    for _ in range(iterations):
        v = matrix.T @ u
        v /= np.linalg.norm(v)
        u = matrix @ v
        u /= np.linalg.norm(u)
        errors.append(abs(float(u @ matrix @ v) - sigma) / sigma)
    return np.array(errors)


def power_iteration_rate(matrix: np.ndarray, start: np.ndarray, first: int, last: int) -> float:
    """The fitted per-iteration log-rate of the sigma error over iterations `first`..`last` (least squares
    of log error on the iteration) over its predicted value 4 log(sigma_2 / sigma_1): 1 when the error
    falls like (sigma_2 / sigma_1)^(4k).

    Why 4: one round applies W^T W once, so the left vector's angle to the top singular vector shrinks by
    (sigma_2 / sigma_1)^2 per round, and the error of u^T W v, quadratic in that angle, by the square of
    that. `first`..`last` must lie past the transient of the lower singular values and above the
    floating-point floor of the error.

    Checked numerically: on the seeded 64 x 512 Gaussian matrix of definitions/ours.py (sigma_2 / sigma_1
    = 0.951) from 10 random starts, the fitted exponent is 4.00-4.33 over k = 50..110 for this error and
    2.00-2.13 for the left vector's angle to u_1 (the error is about 0.05 sin^2 of it there); on
    diag(1, 0.9, 0.3) the ratio is 1.000. Below k ~ 20 the fit scatters (0.8-6.6) while the lower
    singular values' share dies out.
    """
    sigma = np.linalg.svd(matrix, compute_uv=False)
    errors = power_iteration_errors(matrix, start, last)[first - 1:]
    if not (np.isfinite(errors) & (errors > 0)).all():
        raise ValueError(f"the error reaches 0 before iteration {last}: fit an earlier range")
    slope = np.polyfit(np.arange(first, last + 1), np.log(errors), 1)[0]
    return float(slope / (4 * math.log(sigma[1] / sigma[0])))


def per_seed_mean(name: str, statistic: Callable[[RunOutputs], float]) -> Measure:
    """`statistic` averaged over each seed's runs in each group: one number per seed, when a group
    spans several runs per seed (several settings of one method). A seed with a diverged run (+inf
    from an outcome statistic) has mean +inf: its failure is that seed's outcome."""

    def values(groups):
        arrays = []
        for runs in groups:
            by_seed: dict[int, list[float]] = {}
            for run in runs:
                by_seed.setdefault(run.seed, []).append(statistic(run))
            arrays.append(np.array([np.mean(found) for _, found in sorted(by_seed.items())], dtype=float))
        return arrays

    return Measure(name, values)


def log_range(values) -> float:
    """log10(largest / smallest) of positive values: the orders of magnitude they span (NaN if any is
    not a finite positive number)."""
    values = np.asarray(values, dtype=float)
    if values.size == 0 or not (np.isfinite(values) & (values > 0)).all():
        return math.nan
    return float(math.log10(values.max() / values.min()))


def spread_across(name: str, statistic: Callable[[RunOutputs], float], field: str) -> Measure:
    """Per seed, `log_range` of `statistic` over the values of method field `field` (the optimizer
    settings) that every group ran: how far a method's score moves from its best to its worst setting.

    A seed whose run diverged at one of those values (+inf from an outcome statistic) gets +inf: its
    worst setting failed, the largest spread there is. A seed that lacks one of them (a run not done)
    gets NaN, so the claims table reports it as a run without a finite value, never silently.
    """

    def values(groups):
        levels = [{run.record["method"].get(field) for run in runs} for runs in groups]
        common = set.intersection(*levels)
        if len(common) < 2:
            raise MeasurementMissing(f"the groups share fewer than two values of {field} "
                                     f"({', '.join(map(str, sorted(common, key=str))) or 'none'})")
        arrays = []
        for runs in groups:
            by_seed: dict[int, dict] = {}
            for run in runs:
                level = run.record["method"].get(field)
                if level in common:
                    by_seed.setdefault(run.seed, {})[level] = statistic(run)
            arrays.append(np.array([_spread(found, common) for _, found in sorted(by_seed.items())], dtype=float))
        return arrays

    return Measure(name, values)


def _spread(found: dict, common: set) -> float:
    if set(found) != common:
        return math.nan
    scores = list(found.values())
    return math.inf if any(score == math.inf for score in scores) else log_range(scores)


def _arch_key(run: RunOutputs) -> str:
    """The data set and the resolved arch record of a run: another width or depth is another cell."""
    return json.dumps({"data": run.record.get("data"), "arch": run.record.get("arch")}, sort_keys=True)


def paired_by_arch(name: str, statistic: Callable[[RunOutputs], float]) -> Measure:
    """Two aligned arrays of `statistic`, one entry per (data, arch record, seed) that both groups ran, in
    a stable order: for a paired test, where the architecture's own effect cancels in each difference.

    Runs of one group in the same cell and seed (methods the group does not tell apart) are averaged.
    A run whose statistic lacks its file is NaN; no shared cell and seed, or no value at all, raises
    MeasurementMissing.
    """

    def cells(runs) -> tuple[dict, list]:
        found: dict[tuple[str, int], list[float]] = {}
        missing = []
        for run in runs:
            try:
                value = statistic(run)
            except MeasurementMissing as error:
                value = math.nan
                missing.append(error)
            found.setdefault((_arch_key(run), run.seed), []).append(value)
        return {key: float(np.mean(values)) for key, values in found.items()}, missing

    def values(groups):
        (first, missing_a), (second, missing_b) = (cells(runs) for runs in groups)
        common = sorted(set(first) & set(second))
        if not common:
            raise MeasurementMissing("no architecture and seed was run by both groups of the claim")
        pairs = [np.array([found[key] for key in common], dtype=float) for found in (first, second)]
        if not (np.isfinite(pairs[0]) & np.isfinite(pairs[1])).any() and (missing_a or missing_b):
            raise (missing_a or missing_b)[0]
        return pairs

    return Measure(name, values)


def on_shared_archs(name: str, statistic: Callable[[RunOutputs], float]) -> Measure:
    """`statistic` of each group's runs on the (data, arch record) cells that every group ran: two
    methods compared on the same network at the same budget, whatever else a study holds."""

    def values(groups):
        shared = set.intersection(*({_arch_key(run) for run in runs} for runs in groups))
        if not shared:
            raise MeasurementMissing("the groups share no data set and architecture")
        return [_per_run_values([run for run in runs if _arch_key(run) in shared], statistic) for runs in groups]

    return Measure(name, values)
