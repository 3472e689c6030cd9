"""Synthetic run folders with known numbers, written in the formats the suite's runs write."""

import json
from pathlib import Path

import yaml

from suite.methods import resolve_method

# run.yaml's method as a study resolves it (every field), under the names the tests use
METHOD_ENTRIES = {
    "wgan-wc-c0.1": ({"preset": "wgan-wc", "clip_value": 0.1}, None),
    "wgan-wc": ("wgan-wc", None),
    "wgan-gp": ("wgan-gp", None),
    "wgan-gp-rmsprop": ({"preset": "wgan-gp", "optimizer": "rmsprop", "lr_d": 5e-5, "lr_g": 5e-5}, None),
    "sngan": ("sngan", "dcgan"),  # SN-GAN on the standard CNN: setting C, n_dis 1
    "sngan-ndis5": ({"preset": "sngan", "n_dis": 5}, None),
    "dcgan-bn": ("dcgan-bn", None),
    "sagan": ("sagan", None),
    "sagan-fig3-snd": ({"preset": "sagan", "g_attention": None, "d_attention": None, "g_norm": "bn",
                        "lr_d": 1e-4}, None),
}
METHODS = {name: resolve_method(entry, family).to_dict() for name, (entry, family) in METHOD_ENTRIES.items()}
ARCHS = {"mlp12": {"family": "mlp", "depth": 12, "width": 512}, "dcgan": {"family": "dcgan", "width": 16},
         "dcgan8": {"family": "dcgan", "width": 8}, "resnet": {"family": "resnet", "width": 32}}


def make_run(results: Path, method: str, seed: int, data: str = "fashion32", arch: str = "dcgan",
             experiment: str = "synth", status: str = "ok", cpu_seconds_per_step: float | None = None,
             grad_norms: list[list[float]] | None = None, weight_counts: list[int] | None = None,
             sigmas: list[tuple[float, float | None]] | None = None, curve: dict | None = None,
             fid: float | None = None, domain_fid: float | None = None, iterations: int | None = None,
             sigma_records: dict[int, list[tuple[float, float | None]]] | None = None) -> Path:
    """One run folder; each keyword writes the file that holds it (grad_norms: one list per step at steps
    10, 20, ...; sigma_records: step -> per-layer (sigma_exact, sigma_estimate); iterations: run.yaml's
    train.iterations)."""
    folder = results / experiment / "runs" / data / arch / method / f"seed{seed}"
    (folder / "diagnostics").mkdir(parents=True, exist_ok=True)
    record = {"experiment": experiment, "data": data, "arch_name": arch, "arch": ARCHS[arch],
              "method_name": method, "method": METHODS[method], "seed": seed}
    if iterations is not None:
        record["train"] = {"iterations": iterations, "batch_size": 64}
    (folder / "run.yaml").write_text(yaml.safe_dump(record))
    if cpu_seconds_per_step is not None or status != "ok":
        # wall seconds 3x the CPU's, as with 8 jobs on 2 cores: the claims must read the CPU time
        wall = None if cpu_seconds_per_step is None else 3 * cpu_seconds_per_step
        (folder / "train.json").write_text(json.dumps({"status": status, "seconds_per_step": wall,
                                                       "cpu_seconds_per_step": cpu_seconds_per_step}))
    lines = ["step,layer_index,layer,kind,grad_output_norm,weight_grad_norm,sigma_exact,sigma_estimate"]
    if grad_norms is not None or sigmas is not None:
        for index, norms in enumerate(grad_norms or [[1.0] * len(sigmas)]):
            step = 10 * (index + 1)
            for layer, norm in enumerate(norms):
                exact, estimate = sigmas[layer] if sigmas else (1.0, None)
                lines.append(f"{step},{layer},{layer},Linear,{norm},1.0,{exact},{'' if estimate is None else estimate}")
    for step, layers in (sigma_records or {}).items():
        for layer, (exact, estimate) in enumerate(layers):
            lines.append(f"{step},{layer},{layer},Conv2d,1.0,1.0,{exact},{'' if estimate is None else estimate}")
    if len(lines) > 1:
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
    if fid is not None or domain_fid is not None:
        metrics = {key: value for key, value in (("fid", fid), ("domain_fid", domain_fid)) if value is not None}
        (folder / "metrics.json").write_text(json.dumps({"status": status, "metrics": metrics}))
    return folder
