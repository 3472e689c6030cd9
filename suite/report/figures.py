"""Report figures (PNG + PDF each) from result files: runs table, train.csv, curve.csv, diagnostics.

Every function returns the figures it wrote; a figure whose optional inputs are absent is
skipped (logged), never an error.
"""

from __future__ import annotations

import json
import logging
import math
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.ticker import MaxNLocator, NullFormatter, ScalarFormatter  # noqa: E402

from suite import io  # noqa: E402
from suite.claims import CLAIMS, Claim, MeasurementMissing, RunOutputs  # noqa: E402
from suite.claims.definitions.common import FASHION  # noqa: E402
from suite.claims.definitions.wgan_gp import (CLAIM_FRACTION, DEEP_RESNET, FIG2_FAMILIES,  # noqa: E402
                                              SUCCESS_RULE, SWEEP, THRESHOLDS, fig2_cell, random_cell,
                                              success_thresholds)
from suite.claims.measures import final_metric  # noqa: E402
from suite.claims.successes import domain_counts, succeeded, threshold_for  # noqa: E402
from suite.report.kinds import KINDS  # noqa: E402
from suite.report.tables import REAL, metric_label  # noqa: E402
from suite.plateau import CAP, PLATEAU  # noqa: E402
from suite.runspec import FILES, load_run_record  # noqa: E402
from suite.statistics import paired_table, t_interval  # noqa: E402

log = logging.getLogger(__name__)
DPI = 110


@dataclass(frozen=True)
class Figure:
    kind: str  # one of KINDS
    title: str
    png: Path
    pdf: Path | None = None  # None for copied sample grids


def safe(name) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", str(name))


def method_colors(methods) -> dict[str, tuple]:
    cmap = plt.get_cmap("tab10")
    return {m: cmap(i % 10) for i, m in enumerate(dict.fromkeys(methods))}


def _save(fig, out_dir: Path, stem: str, kind: str, title: str) -> Figure:
    """Save PNG and PDF atomically (temp file + rename) and close the figure."""
    paths = {}
    for ext in ("png", "pdf"):
        paths[ext] = out_dir / f"{stem}.{ext}"
        with io.atomic_path(paths[ext]) as tmp:
            fig.savefig(tmp, format=ext, dpi=DPI)
    plt.close(fig)
    return Figure(kind, title, paths["png"], paths["pdf"])


def _groups(runs: pd.DataFrame):
    present = runs[runs["status"] != "missing"]
    for (data, arch), group in present.groupby(["data", "arch"], sort=False):
        yield data, arch, group


def _read_per_run(group: pd.DataFrame, relpath: str) -> dict[str, list[pd.DataFrame]]:
    """method -> [the CSV at <run>/<relpath> for each seed that has it] (seed column added)."""
    found: dict[str, list[pd.DataFrame]] = {}
    for _, r in group.sort_values("seed").iterrows():
        path = Path(r["run_dir"]) / relpath
        if path.is_file():
            frame = pd.read_csv(path)
            if len(frame):
                found.setdefault(r["method"], []).append(frame.assign(seed=int(r["seed"])))
    return found


def _band(frames: list[pd.DataFrame], x: str, y: str) -> pd.DataFrame:
    """Across seeds at each x: mean, min, max of y."""
    both = pd.concat(frames, ignore_index=True)[[x, y]].dropna()
    return both.groupby(x)[y].agg(["mean", "min", "max"]).reset_index()


def _plot_band(ax, frames, x, y, color, label):
    """The seeds' mean and min-max band of y at each step, drawn against x: the step, or the seeds'
    mean of another column (seconds) at that step, since seeds never share exact wall-clock times."""
    band = _band(frames, "step", y)
    if band.empty:
        return
    xs = band["step"]
    if x != "step":
        xs = pd.concat(frames, ignore_index=True).groupby("step")[x].mean().reindex(band["step"]).to_numpy()
    ax.plot(xs, band["mean"], color=color, label=label, lw=1.4)
    if len(frames) > 1:
        ax.fill_between(xs, band["min"], band["max"], color=color, alpha=0.2, lw=0)


def metric_by_method(runs: pd.DataFrame, metric: str, real: dict[str, dict], out_dir: Path) -> list[Figure]:
    """Per (data, arch): a box per method over its seeds with every seed as a dot."""
    figures = []
    colors = method_colors(runs["method"].dropna())
    rng = np.random.default_rng(0)
    for data, arch, group in _groups(runs):
        methods = list(dict.fromkeys(group["method"]))
        ok = group[group["status"] == "ok"]
        values = [ok.loc[ok["method"] == m, metric].dropna().to_numpy(float) for m in methods]
        if not any(len(v) for v in values):
            continue
        fig, ax = plt.subplots(figsize=(0.8 * len(methods) + 2.2, 3.4), layout="constrained")
        ax.boxplot([v if len(v) else [np.nan] for v in values], widths=0.5, showfliers=False,
                   medianprops={"color": "black"})
        for i, (m, v) in enumerate(zip(methods, values), start=1):
            ax.scatter(i + rng.uniform(-0.12, 0.12, len(v)), v, color=colors[m], s=22, zorder=3,
                       edgecolor="black", linewidth=0.4)
        labels = []
        for m in methods:
            n_div = int(((group["method"] == m) & (group["status"] == "diverged")).sum())
            labels.append(f"{m}\n({n_div} diverged)" if n_div else m)
        ax.set_xticks(range(1, len(methods) + 1), labels, rotation=20, ha="right")
        floor = real.get(data, {}).get(metric)
        if floor is not None and np.isfinite(floor):
            ax.axhline(floor, color="gray", ls="--", lw=1, label=REAL)
            ax.legend(loc="best", fontsize=8)
        ax.set_ylabel(metric_label(metric))
        title = f"{metric_label(metric)} by method: {data} / {arch}"
        ax.set_title(title, fontsize=10)
        figures.append(_save(fig, out_dir, f"metric_{safe(metric)}_{safe(data)}_{safe(arch)}", "metric_by_method", title))
    return figures


SETTING_SEPARATOR = "+"  # a grid's `settings:` names its runs <method>+<setting>


def setting_table(runs: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Per (data, arch, method, setting): the mean of `metric` over the finished seeds with its Student-t
    95% interval and n, for the runs whose run.yaml names an optimizer setting (SN-GAN Table 1). A run
    named `<method>+<setting>` counts under `<method>`."""
    columns = ["data", "arch", "method", "setting", "mean", "low", "high", "n"]
    rows = []
    ok = runs[(runs["status"] == "ok") & runs[metric].notna()] if metric in runs else runs.iloc[:0]
    for _, run in ok.iterrows():
        setting = (load_run_record(run["run_dir"]).get("method") or {}).get("setting")
        if setting is not None:
            method = str(run["method"])
            suffix = f"{SETTING_SEPARATOR}{setting}"
            rows.append((run["data"], run["arch"], method.removesuffix(suffix), setting, float(run[metric])))
    found = pd.DataFrame(rows, columns=["data", "arch", "method", "setting", "value"])
    table = []
    for (data, arch, method, setting), group in found.groupby(["data", "arch", "method", "setting"], sort=False):
        interval = t_interval(group["value"].to_numpy(float))
        table.append((data, arch, method, setting, interval.mean, interval.low, interval.high, interval.n))
    frame = pd.DataFrame(table, columns=columns)
    return frame.sort_values(["data", "arch", "method", "setting"], kind="stable").reset_index(drop=True)


def score_by_setting(runs: pd.DataFrame, metric: str, out_dir: Path) -> list[Figure]:
    """Per (data, arch): `metric` by optimizer setting, one line per method (mean over seeds, Student-t 95%
    interval as error bars), as SN-GAN Figs. 1-2 show each regularizer's score under settings A-F."""
    figures = []
    table = setting_table(runs, metric)
    colors = method_colors(table["method"])
    for (data, arch), group in table.groupby(["data", "arch"], sort=False):
        settings = sorted(group["setting"].unique())
        position = {setting: index for index, setting in enumerate(settings)}
        fig, ax = plt.subplots(figsize=(max(5.5, 0.7 * len(settings) + 3.5), 4.0), layout="constrained")
        methods = list(dict.fromkeys(group["method"]))
        for offset, method in enumerate(methods):
            rows = group[group["method"] == method]
            xs = rows["setting"].map(position).to_numpy(float) + 0.06 * (offset - (len(methods) - 1) / 2)
            low = (rows["mean"] - rows["low"]).fillna(0).to_numpy()
            high = (rows["high"] - rows["mean"]).fillna(0).to_numpy()
            ax.errorbar(xs, rows["mean"], yerr=[low, high], color=colors[method], marker="o", ms=4, lw=1.2,
                        capsize=2, label=method)
        ax.set_xticks(range(len(settings)), settings)
        ax.set_xlabel("optimizer setting (SN-GAN Table 1)")
        ax.set_ylabel(metric_label(metric))
        if (group["low"].fillna(group["mean"]) > 0).all():
            ax.set_yscale("log")
        ax.legend(fontsize=7, ncol=2)
        title = f"{metric_label(metric)} by setting: {data} / {arch} (mean, 95% t interval over seeds)"
        ax.set_title(title.replace(" (", "\n("), fontsize=9)
        figures.append(_save(fig, out_dir, f"setting_{safe(metric)}_{safe(data)}_{safe(arch)}", "score_by_setting",
                             title))
    return figures


STOP_MARKERS = {PLATEAU: "o", CAP: "x"}


def _mark_stops(ax, group: pd.DataFrame, usable: dict[str, list[pd.DataFrame]], metric: str, colors) -> bool:
    """Mark where each run trained to a plateau rule stopped (its last curve point): o where it plateaued,
    x where it hit the cap. True when any run was marked."""
    marked = False
    for _, r in group.iterrows():
        summary = Path(r["run_dir"]) / FILES["train"]
        if r["method"] not in usable or not summary.is_file():
            continue
        reason = json.loads(summary.read_text()).get("stop_reason")
        frames = [f for f in usable[r["method"]] if int(f["seed"].iloc[0]) == int(r["seed"])]
        if reason in STOP_MARKERS and frames and not frames[0][metric].dropna().empty:
            last = frames[0].dropna(subset=[metric]).iloc[-1]
            ax.plot(last["step"], last[metric], STOP_MARKERS[reason], color=colors[r["method"]], ms=6, mfc="none")
            marked = True
    return marked


def curves(runs: pd.DataFrame, metrics: list[str], out_dir: Path) -> list[Figure]:
    """Per (data, arch, metric in curve.csv): mean over seeds with a min-max band, vs step and vs training
    CPU seconds (wall seconds for curves recorded before CPU time was)."""
    figures = []
    colors = method_colors(runs["method"].dropna())
    for data, arch, group in _groups(runs):
        per_method = _read_per_run(group, FILES["curve"])
        for metric in metrics:
            usable = {m: fs for m, fs in per_method.items() if metric in fs[0].columns}
            if not usable:
                continue
            fig, axes = plt.subplots(1, 2, figsize=(10, 3.6), sharey=True, layout="constrained")
            cpu = all("cpu_seconds" in frames[0].columns for frames in usable.values())
            time_axis = "cpu_seconds" if cpu else "seconds"
            for m, frames in usable.items():
                _plot_band(axes[0], frames, "step", metric, colors[m], m)
                if time_axis in frames[0].columns:
                    _plot_band(axes[1], frames, time_axis, metric, colors[m], m)
            stopped = _mark_stops(axes[0], group, usable, metric, colors)
            axes[0].set_xlabel("generator step")
            axes[1].set_xlabel("training CPU seconds" if cpu else "wall seconds")
            axes[0].set_ylabel(metric_label(metric))
            axes[0].legend(fontsize=8)
            title = f"{metric_label(metric)} over training: {data} / {arch} (mean, band = seed min-max)"
            if stopped:
                title += "; each run's stop: o plateau, x cap"
            fig.suptitle(title, fontsize=10)
            figures.append(_save(fig, out_dir, f"curve_{safe(metric)}_{safe(data)}_{safe(arch)}", "curve", title))
    return figures


def losses(runs: pd.DataFrame, out_dir: Path) -> list[Figure]:
    """Per (data, arch): critic loss, generator loss and D(real) - D(fake) gap from train.csv."""
    figures = []
    colors = method_colors(runs["method"].dropna())
    panels = [("loss_d", "critic loss"), ("loss_g", "generator loss"), ("gap", "D(real) - D(fake)")]
    for data, arch, group in _groups(runs):
        per_method = _read_per_run(group, FILES["log_csv"])
        if not per_method:
            continue
        fig, axes = plt.subplots(1, 3, figsize=(13, 3.4), layout="constrained")
        for ax, (column, label) in zip(axes, panels):
            for m, frames in per_method.items():
                if column in frames[0].columns:
                    _plot_band(ax, frames, "step", column, colors[m], m)
            ax.set_title(label, fontsize=10)
            ax.set_xlabel("generator step")
        axes[0].legend(fontsize=8)
        title = f"Losses and critic gap: {data} / {arch}"
        fig.suptitle(title, fontsize=10)
        figures.append(_save(fig, out_dir, f"losses_{safe(data)}_{safe(arch)}", "losses", title))
    return figures


def grad_profile(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Per depth from the output (0 = the critic's last layer): geometric mean, min and max over seeds
    of grad_output_norm at each seed's last recorded step (non-positive norms cannot go on a log axis)."""
    last = pd.concat([f[f["step"] == f["step"].max()] for f in frames], ignore_index=True)
    last = last[last["grad_output_norm"] > 0]
    top = last.groupby("seed")["layer_index"].transform("max")
    logs = np.log(last["grad_output_norm"]).groupby(top - last["layer_index"])
    out = pd.DataFrame({"gmean": np.exp(logs.mean()), "min": np.exp(logs.min()), "max": np.exp(logs.max())})
    return out.rename_axis("depth").reset_index()


def sigma_in_use(layers: pd.DataFrame) -> pd.Series:
    """Sigma of the weight each layer computes with: sigma_exact is that of the raw weight
    (weight_orig under SN), so an SN layer's is sigma_exact / sigma_estimate (docs/internals.md)."""
    estimate = layers["sigma_estimate"] if "sigma_estimate" in layers else pd.Series(np.nan, index=layers.index)
    return layers["sigma_exact"].where(estimate.isna(), layers["sigma_exact"] / estimate)


def grad_norms(runs: pd.DataFrame, out_dir: Path) -> list[Figure]:
    """Per (data, arch): gradient norm at each critic layer's output (last step), output -> input, log y."""
    figures = []
    colors = method_colors(runs["method"].dropna())
    for data, arch, group in _groups(runs):
        per_method = _read_per_run(group, "diagnostics/layers.csv")
        if not per_method:
            continue
        fig, ax = plt.subplots(figsize=(6.5, 4), layout="constrained")
        for m, frames in per_method.items():
            stats = grad_profile(frames)
            if stats.empty:
                continue
            ax.plot(stats["depth"], stats["gmean"], marker="o", ms=3, color=colors[m], label=m)
            if len(frames) > 1:
                ax.fill_between(stats["depth"], stats["min"], stats["max"], color=colors[m], alpha=0.2, lw=0)
        ax.set_yscale("log")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("critic layer, from output (0) to input")
        ax.set_ylabel("gradient norm at layer output")
        ax.legend(fontsize=8)
        title = f"Gradient norm per layer at the last step: {data} / {arch}"
        ax.set_title(title, fontsize=10)
        figures.append(_save(fig, out_dir, f"grad_norms_{safe(data)}_{safe(arch)}", "grad_norms", title))
    return figures


def _panel_per_method(per_method: dict[str, list[pd.DataFrame]], draw, *, panel_size: tuple[float, float],
                      ylabel: str, title: str, out_dir: Path, stem: str, kind: str, sharey: bool = False) -> Figure:
    """One figure, a panel per method in a row: draw(ax, method, frames) fills each."""
    width, height = panel_size
    fig, axes = plt.subplots(1, len(per_method), figsize=(width * len(per_method), height), squeeze=False,
                             sharey=sharey, layout="constrained")
    for ax, (method, frames) in zip(axes[0], per_method.items()):
        draw(ax, method, frames)
    axes[0][0].set_ylabel(ylabel)
    fig.suptitle(title, fontsize=10)
    return _save(fig, out_dir, stem, kind, title)


def weights(runs: pd.DataFrame, out_dir: Path) -> list[Figure]:
    """Per (data, arch): the critic's weight histogram at the last step of each method's first seed."""
    colors = method_colors(runs["method"].dropna())

    def draw(ax, method, frames):
        first = frames[0]
        hist = first[first["step"] == first["step"].max()]
        width = hist["bin_right"] - hist["bin_left"]
        ax.bar(hist["bin_left"], hist["count"] / hist["count"].sum(), width=width, align="edge",
               color=colors[method], edgecolor="none")
        ax.set_title(f"{method} (seed {int(first['seed'].iloc[0])}, step {int(hist['step'].iloc[0])})", fontsize=9)
        ax.set_xlabel("critic weight")

    figures = []
    for data, arch, group in _groups(runs):
        per_method = _read_per_run(group, "diagnostics/weights.csv")
        if per_method:
            figures.append(_panel_per_method(
                per_method, draw, panel_size=(3.3, 3), ylabel="fraction of weights",
                title=f"Critic weight distribution: {data} / {arch}", out_dir=out_dir,
                stem=f"weights_{safe(data)}_{safe(arch)}", kind="weights"))
    return figures


def sigmas(runs: pd.DataFrame, out_dir: Path) -> list[Figure]:
    """Per (data, arch): spectral norm of every critic layer's weight in use over training, one panel per method."""
    cmap = plt.get_cmap("viridis")

    def draw(ax, method, frames):
        both = pd.concat(frames, ignore_index=True)
        both["sigma"] = sigma_in_use(both)
        mean = both.groupby(["layer_index", "step"])["sigma"].mean().reset_index()
        n_layers = max(int(mean["layer_index"].max()) + 1, 1)
        for index, layer in mean.groupby("layer_index"):
            ax.plot(layer["step"], layer["sigma"], color=cmap(index / max(n_layers - 1, 1)), lw=1)
        ax.axhline(1.0, color="gray", ls=":", lw=1)
        ax.set_yscale("log")
        ax.yaxis.set_major_formatter(ScalarFormatter())
        ax.yaxis.set_minor_formatter(NullFormatter())
        ax.set_title(method, fontsize=9)
        ax.set_xlabel("generator step")

    figures = []
    for data, arch, group in _groups(runs):
        per_method = {m: fs for m, fs in _read_per_run(group, "diagnostics/layers.csv").items()
                      if "sigma_exact" in fs[0].columns and pd.concat(fs)["sigma_exact"].notna().any()}
        if per_method:
            figures.append(_panel_per_method(
                per_method, draw, panel_size=(3.5, 3.2), sharey=True,
                ylabel="sigma of the weight in use\n(colour: input -> output)",
                title=f"Spectral norm per critic layer over training: {data} / {arch}", out_dir=out_dir,
                stem=f"sigmas_{safe(data)}_{safe(arch)}", kind="sigmas"))
    return figures


def sample_grids(runs: pd.DataFrame, out_dir: Path) -> list[Figure]:
    """Copy each (data, arch, method)'s first seed's samples.png into the report."""
    figures = []
    present = runs[runs["status"] != "missing"].sort_values("seed", kind="stable")
    for (data, arch, method), group in present.groupby(["data", "arch", "method"], sort=False):
        for seed, folder in zip(group["seed"], group["run_dir"]):
            source = Path(folder) / FILES["samples"]
            if source.is_file():
                target = Path(out_dir) / f"samples_{safe(data)}_{safe(arch)}_{safe(method)}.png"
                with io.atomic_path(target) as tmp:
                    shutil.copyfile(source, tmp)
                figures.append(Figure("samples", f"{method}: {data} / {arch}, seed {int(seed)}", target))
                break
    return figures


TOY_SURFACE = "toy_surface.npz"  # written by the scoring of each toy run (real, fake, grid_x, grid_y, critic)


def toy_surfaces(runs: pd.DataFrame, out_dir: Path) -> list[Figure]:
    """Per (toy data, arch): one panel per method (its first seed with a surface file), WGAN-GP Fig. 1a
    style: the critic's value as filled contours, real points under the generated ones."""
    figures = []
    for data, arch, group in _groups(runs):
        panels = {}
        for _, r in group.sort_values("seed", kind="stable").iterrows():
            path = Path(r["run_dir"]) / TOY_SURFACE
            if r["method"] not in panels and path.is_file():
                with np.load(path) as surface:
                    panels[r["method"]] = ({key: surface[key] for key in surface.files}, int(r["seed"]))
        if not panels:
            continue
        fig, axes = plt.subplots(1, len(panels), figsize=(max(3.6 * len(panels), 5.0), 4.0), squeeze=False)
        for ax, (method, (surface, seed)) in zip(axes[0], panels.items()):
            contours = ax.contourf(surface["grid_x"], surface["grid_y"], surface["critic"], levels=20, cmap="viridis",
                                   alpha=0.8)
            fig.colorbar(contours, ax=ax, fraction=0.046, pad=0.02)
            ax.scatter(*surface["real"].T, s=2, color="tab:orange", label="real", alpha=0.5, lw=0)
            ax.scatter(*surface["fake"].T, s=2, color="white", label="generated", alpha=0.7, lw=0)
            ax.set_title(f"{method} (seed {seed})", fontsize=9)
            ax.set_aspect("equal")
        axes[0][0].legend(loc="lower left", fontsize=7, markerscale=4)
        title = f"Critic value (contours), real and generated points: {data} / {arch}"
        fig.suptitle(title.replace(": ", ":\n"), fontsize=10)
        fig.tight_layout()
        figures.append(_save(fig, out_dir, f"toy_{safe(data)}_{safe(arch)}", "samples", title))
    return figures


# WGAN-GP sections 5.1-5.2: success counts over architectures, judged by the claims' own rule and pairing.
SUCCESS_METRIC = "domain_fid"
FIG2_ORDER = (*FIG2_FAMILIES, DEEP_RESNET)
VERDICT_COLORS = {"success": "tab:green", "failure": "tab:red", "diverged": "tab:red", "no threshold": "gray"}


@dataclass(frozen=True)
class SuccessSet:
    """The runs of one success claim: `cell` names a run's architecture (None: not on one), and the
    claim's first group is WGAN-GP, its measure the pairing of two methods' runs at its threshold."""

    name: str
    stem: str
    cell: Callable[[dict], str | None]
    claim_id: str

    @property
    def claim(self) -> Claim:
        return CLAIMS[self.claim_id]


RANDOM_SET = SuccessSet("random architectures", "random", random_cell, "wgan-gp-5.1-random-architectures")
FIG2_SET = SuccessSet("Fig. 2 architectures", "fig2", fig2_cell, "wgan-gp-5.2-beats-dcgan")


def _judged(run: RunOutputs) -> bool:
    """Whether the success rule applies: the run diverged (a failure at every threshold) or it has a domain
    FID on Fashion-MNIST, scored at an n_gen the thresholds are set for (the floors were measured there)."""
    if run.record.get("data") != FASHION:
        return False
    if run.diverged():
        return True
    try:
        threshold_for(run, THRESHOLDS)
    except MeasurementMissing:
        return False
    return math.isfinite(final_metric(SUCCESS_METRIC)(run))


def success_verdict(run: RunOutputs) -> str:
    """success or failure at the claims' threshold, diverged, or no threshold (see `_judged`)."""
    if run.diverged():
        return "diverged"
    if not _judged(run):
        return "no threshold"
    return "success" if succeeded(run, SUCCESS_METRIC, THRESHOLDS) else "failure"


def success_runs(runs: pd.DataFrame, chosen: SuccessSet) -> dict[str, list[RunOutputs]]:
    """method -> its present runs on the set's architectures that the success rule judges, in table order."""
    found: dict[str, list[RunOutputs]] = {}
    present = runs[runs["status"] != "missing"]
    for method, folder in zip(present["method"], present["run_dir"]):
        run = RunOutputs.load(folder)
        if chosen.cell(run.record) is not None and _judged(run):
            found.setdefault(method, []).append(run)
    return found


def success_rates(by_method: dict[str, list[RunOutputs]]) -> pd.DataFrame:
    """Per method and threshold fraction of SWEEP: its runs, successes and their rate."""
    rows = []
    for method, found in by_method.items():
        for fraction in SWEEP:
            wins = sum(succeeded(run, SUCCESS_METRIC, success_thresholds(fraction)) for run in found)
            rows.append((method, fraction, len(found), wins, wins / len(found)))
    return pd.DataFrame(rows, columns=["method", "fraction", "runs", "successes", "rate"])


def _wgan_gp_methods(by_method: dict[str, list[RunOutputs]], chosen: SuccessSet) -> list[str]:
    """The methods whose runs the claim's first group (WGAN-GP) matches."""
    return [m for m, found in by_method.items() if any(chosen.claim.groups[0].matches(r.record) for r in found)]


def paired_counts(by_method: dict[str, list[RunOutputs]], chosen: SuccessSet) -> pd.DataFrame:
    """Each WGAN-GP method against each other method, at the claim's threshold: the (architecture, seed)
    pairs both ran, split by who succeeded (the claim's own measure)."""
    columns = ["wgan_gp", "other", "pairs", "both", "only_wgan_gp", "only_other", "neither"]
    wgan_gp = _wgan_gp_methods(by_method, chosen)
    rows = []
    for first in wgan_gp:
        for other in (m for m in by_method if m not in wgan_gp):
            try:
                a, b = chosen.claim.measure.values([by_method[first], by_method[other]])
            except MeasurementMissing:
                continue  # no (architecture, seed) that both ran
            table = paired_table(a, b)
            rows.append((first, other, table.n, table.both, table.only_a, table.only_b, table.neither))
    return pd.DataFrame(rows, columns=columns)


def _pair_lines(pairs: pd.DataFrame) -> list[str]:
    if pairs.empty:
        return ["no WGAN-GP run paired with another method's on the same architecture and seed"]
    return [f"{r.wgan_gp} vs {r.other} over {r.pairs} pairs: both {r.both}, only {r.wgan_gp} {r.only_wgan_gp}, "
            f"only {r.other} {r.only_other}, neither {r.neither}" for r in pairs.itertuples()]


def _threshold_ticks(by_method: dict[str, list[RunOutputs]]) -> tuple[list[str], str]:
    """Tick labels (the fraction over the domain FID threshold at each protocol the runs were scored at)."""
    scored = sorted({domain_counts(run) for found in by_method.values() for run in found if not run.diverged()})
    labels = ["\n".join([f"{f:g}", *(f"{success_thresholds(f)[counts]:.1f}" for counts in scored)]) for f in SWEEP]
    below = (f"\nbelow: the domain FID threshold at n_gen/n_ref {', '.join(f'{g}/{r}' for g, r in scored)}"
             if scored else "")
    return labels, "fraction of the way from real-data floor to one-class collapse (log scale)" + below


def success_by_threshold(runs: pd.DataFrame, chosen: SuccessSet, out_dir: Path) -> list[Figure]:
    """Each method's success rate on the set's architectures at every threshold of SWEEP (WGAN-GP Table 2's
    sweep), with WGAN-GP's paired outcomes against each other method at the claim's threshold."""
    by_method = success_runs(runs, chosen)
    if not by_method:
        return []
    rates, pairs = success_rates(by_method), paired_counts(by_method, chosen)
    colors, wgan_gp = method_colors(runs["method"].dropna()), _wgan_gp_methods(by_method, chosen)
    fig, (ax, note) = plt.subplots(2, 1, figsize=(7, 5.2), height_ratios=[5, 1], layout="constrained")
    for offset, (method, rows) in enumerate(rates.groupby("method", sort=False)):
        dodge = 0.005 * (offset - (len(by_method) - 1) / 2)  # methods with equal rates stay visible
        ax.plot(rows["fraction"] + dodge, rows["rate"], marker="o", ms=4, color=colors[method],
                ls="-" if method in wgan_gp else "--", label=f"{method} ({rows['runs'].iloc[0]} runs)")
    ax.axvline(CLAIM_FRACTION, color="gray", ls=":", lw=1, label="the claims' threshold")
    labels, xlabel = _threshold_ticks(by_method)
    ax.set_xticks(SWEEP, labels, fontsize=8)
    ax.set_xlabel(xlabel, fontsize=8)
    ax.set_ylim(-0.05, 1.05)
    ax.set_ylabel("success rate (domain FID below the threshold)")
    ax.legend(fontsize=7)
    ax.set_title(f"Success rate by threshold: {chosen.name}, {FASHION}", fontsize=10)
    note.axis("off")
    note.text(0, 1, "\n".join(["paired outcomes at the claims' threshold:", *_pair_lines(pairs)]), va="top",
              fontsize=7, transform=note.transAxes)
    title = (f"Success rate by threshold: {chosen.name}, {FASHION} ({SUCCESS_RULE}; the threshold swept from a "
             f"quarter to three quarters of the way). At the claims' threshold: {'; '.join(_pair_lines(pairs))}")
    return [_save(fig, out_dir, f"success_{chosen.stem}_{safe(FASHION)}", "success", title)]


def fig2_grid_cells(runs: pd.DataFrame) -> pd.DataFrame:
    """Per (data, arch on a Fig. 2 architecture, method): the first seed with a samples.png, its domain FID and
    verdict; architectures in Fig. 2's order, methods in the runs table's."""
    columns = ["data", "cell", "arch", "method", "seed", "samples", "domain_fid", "verdict"]
    rows, seen = [], set()
    datas, methods = list(dict.fromkeys(runs["data"])), list(dict.fromkeys(runs["method"]))
    for _, r in runs[runs["status"] != "missing"].sort_values("seed", kind="stable").iterrows():
        key, samples = (r["data"], r["arch"], r["method"]), Path(r["run_dir"]) / FILES["samples"]
        if key in seen or not samples.is_file():
            continue
        run = RunOutputs.load(r["run_dir"])
        cell = fig2_cell(run.record)
        if cell is not None:
            seen.add(key)
            rows.append((r["data"], cell, r["arch"], r["method"], int(r["seed"]), samples,
                         float(r[SUCCESS_METRIC]), success_verdict(run)))
    rows.sort(key=lambda r: (datas.index(r[0]), FIG2_ORDER.index(r[1]), r[2], methods.index(r[3])))
    return pd.DataFrame(rows, columns=columns)


def _cell_title(cell) -> str:
    if cell.verdict == "diverged" or not math.isfinite(cell.domain_fid):
        return f"{cell.method}\nseed {cell.seed}: {cell.verdict}"
    return f"{cell.method}\nseed {cell.seed}: FID {cell.domain_fid:.1f}, {cell.verdict}"


def fig2_grids(runs: pd.DataFrame, out_dir: Path) -> list[Figure]:
    """Per data set: WGAN-GP Fig. 2's layout, a row per architecture the study ran and a column per method,
    each cell the first seed's samples titled with its domain FID and success at the claims' threshold."""
    figures = []
    for data, grid in fig2_grid_cells(runs).groupby("data", sort=False):
        arches, methods = list(dict.fromkeys(grid["arch"])), list(dict.fromkeys(grid["method"]))
        fig, axes = plt.subplots(len(arches), len(methods), figsize=(2.3 * len(methods) + 0.6, 2.5 * len(arches)),
                                 squeeze=False, layout="constrained")
        cells = {(c.arch, c.method): c for c in grid.itertuples()}
        for row, arch in zip(axes, arches):
            cell = grid.loc[grid["arch"] == arch, "cell"].iloc[0]
            row[0].set_ylabel(arch if arch == cell else f"{arch}\n({cell})", fontsize=8)
            for ax, method in zip(row, methods):
                ax.set_xticks([])
                ax.set_yticks([])
                found = cells.get((arch, method))
                if found is None:
                    ax.set_title(method, fontsize=7)
                    ax.text(0.5, 0.5, "no samples", ha="center", va="center", color="gray", transform=ax.transAxes)
                else:
                    ax.imshow(plt.imread(found.samples))
                    ax.set_title(_cell_title(found), fontsize=7, color=VERDICT_COLORS[found.verdict])
        fig.suptitle(f"Samples by Fig. 2 architecture and method: {data}", fontsize=10)
        title = (f"Samples by Fig. 2 architecture (rows) and method (columns): {data}, first seed, titled with its "
                 f"domain FID and success ({SUCCESS_RULE})")
        figures.append(_save(fig, out_dir, f"fig2_grid_{safe(data)}", "fig2_grid", title))
    return figures


def all_figures(runs: pd.DataFrame, metrics: list[str], real: dict[str, dict],
                out_dir: Path) -> list[Figure]:
    """Every figure kind in KINDS order, each in `out_dir/<kind>/`; absent inputs skip their figure.

    Every kind's folder is made, empty or not: the workflow declares each as an output, so
    `snakemake --report` can caption each kind.
    """
    folder = {kind: Path(out_dir) / kind for kind in KINDS}
    for path in folder.values():
        path.mkdir(parents=True, exist_ok=True)
    made = [f for m in metrics for f in metric_by_method(runs, m, real, folder["metric_by_method"])]
    made += [f for m in metrics for f in score_by_setting(runs, m, folder["score_by_setting"])]
    made += curves(runs, metrics, folder["curve"])
    made += losses(runs, folder["losses"])
    made += grad_norms(runs, folder["grad_norms"])
    made += weights(runs, folder["weights"])
    made += sigmas(runs, folder["sigmas"])
    made += sample_grids(runs, folder["samples"])
    made += toy_surfaces(runs, folder["samples"])
    made += fig2_grids(runs, folder["fig2_grid"])
    made += [f for chosen in (RANDOM_SET, FIG2_SET) for f in success_by_threshold(runs, chosen, folder["success"])]
    for kind in KINDS:
        if not any(f.kind == kind for f in made):
            log.info("no %s figure: its inputs are absent", kind)
    return made
