"""Synthetic run folders with known numbers, written in the formats the suite's runs write."""

import json
from pathlib import Path

import yaml

METHODS = {
    "wgan-wc-c0.1": {"loss": "wasserstein", "constraint": "clip", "clip_value": 0.1, "d_norm": "none",
                     "g_norm": "bn", "optimizer": "rmsprop", "n_dis": 5},
    "wgan-wc": {"loss": "wasserstein", "constraint": "clip", "clip_value": 0.01, "d_norm": "none",
                "g_norm": "bn", "optimizer": "rmsprop", "n_dis": 5},
    "wgan-gp": {"loss": "wasserstein", "constraint": "gp", "clip_value": 0.01, "d_norm": "none",
                "g_norm": "bn", "optimizer": "adam", "n_dis": 5},
    "sngan-ndis5": {"loss": "hinge", "constraint": "none", "d_norm": "sn", "g_norm": "bn",
                    "optimizer": "adam", "n_dis": 5},
    "dcgan-bn": {"loss": "ns", "constraint": "none", "d_norm": "bn", "g_norm": "bn", "optimizer": "adam",
                 "n_dis": 1},
}
ARCHS = {"mlp12": {"family": "mlp", "depth": 12, "width": 512}, "dcgan": {"family": "dcgan", "width": 16},
         "dcgan8": {"family": "dcgan", "width": 8}}


def make_run(results: Path, method: str, seed: int, data: str = "fashion32", arch: str = "dcgan",
             experiment: str = "synth", status: str = "ok", cpu_seconds_per_step: float | None = None,
             grad_norms: list[list[float]] | None = None, weight_counts: list[int] | None = None,
             sigmas: list[tuple[float, float | None]] | None = None, curve: dict | None = None,
             fid: float | None = None) -> Path:
    """One run folder; each keyword writes the file that holds it (grad_norms: one list per step)."""
    folder = results / experiment / "runs" / data / arch / method / f"seed{seed}"
    (folder / "diagnostics").mkdir(parents=True, exist_ok=True)
    record = {"experiment": experiment, "data": data, "arch_name": arch, "arch": ARCHS[arch],
              "method_name": method, "method": METHODS[method], "seed": seed}
    (folder / "run.yaml").write_text(yaml.safe_dump(record))
    if cpu_seconds_per_step is not None or status != "ok":
        # wall seconds 3x the CPU's, as with 8 jobs on 2 cores: the claims must read the CPU time
        wall = None if cpu_seconds_per_step is None else 3 * cpu_seconds_per_step
        (folder / "train.json").write_text(json.dumps({"status": status, "seconds_per_step": wall,
                                                       "cpu_seconds_per_step": cpu_seconds_per_step}))
    if grad_norms is not None or sigmas is not None:
        lines = ["step,layer_index,layer,kind,grad_output_norm,weight_grad_norm,sigma_exact,sigma_estimate"]
        for index, norms in enumerate(grad_norms or [[1.0] * len(sigmas)]):
            step = 10 * (index + 1)
            for layer, norm in enumerate(norms):
                exact, estimate = sigmas[layer] if sigmas else (1.0, None)
                lines.append(f"{step},{layer},{layer},Linear,{norm},1.0,{exact},{'' if estimate is None else estimate}")
        (folder / "diagnostics" / "layers.csv").write_text("\n".join(lines) + "\n")
    if weight_counts is not None:
        bins = len(weight_counts)
        lines = ["step,bin_left,bin_right,count"]
        lines += [f"10,{-1 + 2 * i / bins},{-1 + 2 * (i + 1) / bins},{c}" for i, c in enumerate(weight_counts)]
        (folder / "diagnostics" / "weights.csv").write_text("\n".join(lines) + "\n")
    if curve is not None:
        keys = list(curve)
        rows = [",".join(keys)] + [",".join(str(v) for v in values) for values in zip(*curve.values())]
        (folder / "curve.csv").write_text("\n".join(rows) + "\n")
    if fid is not None:
        (folder / "metrics.json").write_text(json.dumps({"status": status, "metrics": {"fid": fid}}))
    return folder
