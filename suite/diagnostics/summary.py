"""Reading the recorded diagnostics back: numbers the report and the tests use."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd


def read_layers(layers_csv: Path) -> pd.DataFrame:
    """layers.csv as a DataFrame, with `sigma_effective` = sigma of the weight in use.

    For a spectrally normalized layer that is sigma_exact / sigma_estimate (the layer
    computes with weight_orig / sigma_estimate); for a plain layer, sigma_exact.
    """
    frame = pd.read_csv(layers_csv, dtype={"layer": str, "kind": str})
    estimate = frame["sigma_estimate"]
    frame["sigma_effective"] = np.where(estimate.notna(), frame["sigma_exact"] / estimate,
                                        frame["sigma_exact"])
    return frame


def gradient_norm_ratio(layers_csv: Path, step: int | None = None) -> float:
    """grad_output_norm of the last (output-side) layer over that of the first (input-side).

    At `step`, or at the last recorded step by default. Above 1 the gradient shrinks
    on its way to the input (vanishing), below 1 it grows (exploding).
    """
    frame = pd.read_csv(layers_csv)
    if frame.empty:
        raise ValueError(f"{layers_csv} holds no records")
    step = int(frame["step"].max()) if step is None else step
    at_step = frame[frame["step"] == step]
    if at_step.empty:
        steps = sorted(frame["step"].unique().tolist())
        raise ValueError(f"{layers_csv} has no record at step {step}; recorded steps: {steps}")
    at_step = at_step.sort_values("layer_index")
    first = float(at_step["grad_output_norm"].iloc[0])
    last = float(at_step["grad_output_norm"].iloc[-1])
    if first == 0:
        return math.inf if last > 0 else math.nan
    return last / first
