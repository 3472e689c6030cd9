"""Recording the critic's diagnostics to `layers.csv`, `weights.csv`, `input_grads.csv` and `spectra.csv`.

Columns (docs/internals.md):

- layers.csv: step, layer_index, layer, kind, grad_output_norm, weight_grad_norm,
  sigma_exact, sigma_estimate. layer_index 0 is the input side; `layer` is the
  module's qualified name, `kind` its class name (Linear, Conv2d, ...). sigma_exact
  is the largest singular value of the raw weight (`weight_orig` for a spectrally
  normalized layer), sigma_estimate the spectral norm's power-iteration value, empty
  for a plain layer. The effective weight's sigma is sigma_exact / sigma_estimate.
- weights.csv: step, bin_left, bin_right, count: the histogram of all raw weight
  values over fixed bins (see `spectra.weight_histogram`: values beyond the range are
  counted in the edge bins).
- input_grads.csv: step, split, grad_norm_mean, grad_norm_max: ||grad_x D(x)||_2 over
  the probe examples, one row for split `real` and one for `fake` (SN-GAN section 2:
  with spectral norms sigma_l it is at most the product of the layers' effective sigmas).
- spectra.csv: step, layer_index, index, singular_value: every singular value of each
  layer's raw weight matrix, largest first (index 0 is sigma_exact of layers.csv).

Each record is written with one unbuffered append of complete rows. On opening, rows
of a partial record or a partial last line (a killed process) are dropped, as are rows
with step > `resume_step`; the files are then rewritten atomically (temp file + rename).
"""
from __future__ import annotations

import csv
import io
import logging
import math
import os
from pathlib import Path

from torch import Tensor, nn

from suite.diagnostics.layers import critic_layers
from suite.diagnostics.input_grads import input_gradient_norms
from suite.diagnostics.probe import CriticLoss, layer_gradients
from suite.diagnostics.spectra import (estimated_sigma, exact_sigma, histogram_edges,
                                       max_abs_weight, singular_values, weight_histogram,
                                       weight_matrix)
from suite.io import write_text

log = logging.getLogger(__name__)

LAYER_COLUMNS = ("step", "layer_index", "layer", "kind", "grad_output_norm",
                 "weight_grad_norm", "sigma_exact", "sigma_estimate")
WEIGHT_COLUMNS = ("step", "bin_left", "bin_right", "count")
INPUT_GRAD_COLUMNS = ("step", "split", "grad_norm_mean", "grad_norm_max")
SPECTRA_COLUMNS = ("step", "layer_index", "index", "singular_value")


def _format(value) -> str:
    if isinstance(value, float):
        return "" if math.isnan(value) else repr(value)
    return str(value)


def _rows_text(rows: list[tuple]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerows([[_format(v) for v in row] for row in rows])
    return buffer.getvalue()


def _kept_rows(path: Path, columns: tuple[str, ...], rows_per_step: int,
               resume_step: int) -> list[str]:
    """Complete lines of `path` (without header) with step <= resume_step, whole records only."""
    lines = path.read_text().splitlines(keepends=True)
    if not lines:
        return []
    header = next(csv.reader([lines[0]]))
    if tuple(header) != columns:
        raise ValueError(f"{path} has columns {header}, expected {list(columns)}")
    kept = [line for line in lines[1:]
            if line.endswith("\n") and int(line.split(",", 1)[0]) <= resume_step]
    counts: dict[int, int] = {}
    for line in kept:
        step = int(line.split(",", 1)[0])
        counts[step] = counts.get(step, 0) + 1
    partial = {step for step, n in counts.items() if n != rows_per_step}
    if partial:
        log.warning("%s: dropping incomplete records at steps %s", path, sorted(partial))
    return [line for line in kept if int(line.split(",", 1)[0]) not in partial]


def _default_range(max_abs: float) -> float:
    if math.isfinite(max_abs) and max_abs > 0:
        return max_abs
    log.warning("largest |weight| is %r; using histogram range [-1, 1]", max_abs)
    return 1.0


class _RowFile:
    """An append-only CSV whose every write is a whole number of complete rows."""

    def __init__(self, path: Path, columns: tuple[str, ...], rows_per_step: int,
                 resume_step: int | None):
        self.path = path
        kept = []
        if resume_step is not None and path.exists():
            kept = _kept_rows(path, columns, rows_per_step, resume_step)
        self.kept = kept
        write_text(path, _rows_text([columns]) + "".join(kept))
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND)

    def append(self, rows: list[tuple]) -> None:
        data = _rows_text(rows).encode()
        while data:
            written = os.write(self._fd, data)
            data = data[written:]

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


class DiagnosticsRecorder:
    """Per-layer gradient norms, spectral norms and spectra, the weight histogram and the
    input-gradient norms of a critic.

    `critic_loss(d_real, d_fake)` is the method's critic loss (no penalty). The probe
    batches stay fixed so steps are comparable; `record` may be given a fresh fake batch.
    `record` leaves the critic's parameters, `.grad`, buffers and the RNG state
    unchanged. The histogram range is `hist_range`, or else the largest |weight| at
    the first record (kept from weights.csv on resume), fixed afterwards.
    Without `resume_step`, existing files in `out_dir` are replaced.
    """

    def __init__(self, critic: nn.Module, critic_loss: CriticLoss, probe_real: Tensor,
                 probe_fake: Tensor, out_dir: Path, hist_bins: int = 101,
                 hist_range: float | None = None, resume_step: int | None = None):
        if hist_bins < 1:
            raise ValueError(f"hist_bins must be >= 1, got {hist_bins}")
        if hist_range is not None and not hist_range > 0:
            raise ValueError(f"hist_range must be > 0, got {hist_range}")
        self.critic = critic
        self.critic_loss = critic_loss
        self.probe_real = probe_real
        self.probe_fake = probe_fake
        self.hist_bins = hist_bins
        named = critic_layers(critic, probe_real)
        if not named:
            raise ValueError(f"{type(critic).__name__} has no Linear/Conv layer to diagnose")
        self.layer_names = [name for name, _ in named]
        self.layers = [layer for _, layer in named]
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        self._layers_file = _RowFile(out_dir / "layers.csv", LAYER_COLUMNS,
                                     len(self.layers), resume_step)
        self._weights_file = _RowFile(out_dir / "weights.csv", WEIGHT_COLUMNS,
                                      hist_bins, resume_step)
        self._input_grads_file = _RowFile(out_dir / "input_grads.csv", INPUT_GRAD_COLUMNS,
                                          2, resume_step)
        n_singular = sum(min(weight_matrix(layer).shape) for layer in self.layers)
        self._spectra_file = _RowFile(out_dir / "spectra.csv", SPECTRA_COLUMNS,
                                      n_singular, resume_step)
        self.hist_range = self._resumed_range(hist_range)

    def _resumed_range(self, requested: float | None) -> float | None:
        kept = self._weights_file.kept
        if not kept:
            return requested
        stored = -float(kept[0].split(",")[1])
        if requested is not None and requested != stored:
            log.warning("weights.csv was recorded over [-%g, %g]; keeping that range, "
                        "not the requested %g", stored, stored, requested)
        return stored

    def record(self, step: int, probe_fake: Tensor | None = None) -> None:
        """Append one record (one row per layer, bin, split or singular value) to each file."""
        fake = self.probe_fake if probe_fake is None else probe_fake
        grads = layer_gradients(self.critic, self.layers, self.critic_loss, self.probe_real, fake)
        rows = [(step, index, name, type(layer).__name__, g.grad_output_norm,
                 g.weight_grad_norm, exact_sigma(layer), estimated_sigma(layer))
                for index, (name, layer, g) in enumerate(zip(self.layer_names, self.layers, grads))]
        if self.hist_range is None:
            self.hist_range = _default_range(max_abs_weight(self.layers))
        counts = weight_histogram(self.layers, self.hist_bins, self.hist_range).tolist()
        edges = histogram_edges(self.hist_bins, self.hist_range).tolist()
        bins = [(step, edges[i], edges[i + 1], counts[i]) for i in range(self.hist_bins)]
        splits = [(step, split, float(norms.mean()), float(norms.max()))
                  for split, norms in (("real", input_gradient_norms(self.critic, self.probe_real)),
                                       ("fake", input_gradient_norms(self.critic, fake)))]
        spectra = [(step, layer_index, index, float(value))
                   for layer_index, layer in enumerate(self.layers)
                   for index, value in enumerate(singular_values(layer).tolist())]
        self._layers_file.append(rows)
        self._weights_file.append(bins)
        self._input_grads_file.append(splits)
        self._spectra_file.append(spectra)

    def close(self) -> None:
        for file in (self._layers_file, self._weights_file, self._input_grads_file, self._spectra_file):
            file.close()

    def __enter__(self) -> DiagnosticsRecorder:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
