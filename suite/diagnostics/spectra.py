"""Statistics of the critic's weights: spectral norms, singular-value spectra, the histogram of weight values.

For a spectrally normalized layer the raw weight is the Parameter `weight_orig` and the
layer computes with weight_orig / sigma_estimate, sigma_estimate being the power
iteration's value kept in the `weight_sigma` buffer. The diagnostics record the exact
largest singular value of the raw weight and the estimate; the effective weight's
sigma is their ratio (`effective_sigma`), which spectral normalization pins near 1.
"""
from __future__ import annotations

import math

import torch
from torch import nn

# The spectral norm's own reshaping, so exact and estimated sigma describe the same matrix.
from suite.methods.spectral_norm import is_spectral_normed, raw_weight, weight_matrix


def largest_singular_value(matrix: torch.Tensor) -> float:
    """||matrix||_2, the value of torch.linalg.matrix_norm(matrix, 2), computed in float64.

    As the square root of the largest eigenvalue of the smaller Gram matrix: a
    symmetric eigensolve on min(out, in)^2 entries, ~5x faster than a float32 SVD on
    conv-shaped (out, in*k*k) matrices and accurate to ~1e-15 instead of ~1e-6.
    """
    with torch.no_grad():
        m = matrix.detach().to(torch.float64)
        gram = m @ m.T if m.shape[0] <= m.shape[1] else m.T @ m
        return float(torch.linalg.eigvalsh(gram)[-1].clamp_min(0).sqrt())


def singular_values(layer: nn.Module) -> torch.Tensor:
    """All singular values of the layer's raw weight matrix (see `weight_matrix`), largest first.

    float64 on the CPU, min(out, in) of them; the first is `exact_sigma`. A spectrally
    normalized layer computes with these divided by its `estimated_sigma`.
    """
    with torch.no_grad():
        return torch.linalg.svdvals(weight_matrix(layer).detach().to(torch.float64)).cpu()


def exact_sigma(layer: nn.Module) -> float:
    """Largest singular value of the layer's raw weight matrix (see `weight_matrix`)."""
    return largest_singular_value(weight_matrix(layer))


def estimated_sigma(layer: nn.Module) -> float:
    """The spectral norm's current power-iteration estimate; NaN for a plain layer."""
    if not is_spectral_normed(layer):
        return math.nan
    return float(layer.weight_sigma)


def effective_sigma(layer: nn.Module) -> float:
    """Largest singular value of the weight the layer computes with.

    weight_orig / weight_sigma for a spectrally normalized layer, the weight itself otherwise.
    """
    if not is_spectral_normed(layer):
        return exact_sigma(layer)
    return exact_sigma(layer) / estimated_sigma(layer)


def histogram_edges(bins: int, value_range: float) -> torch.Tensor:
    """The bins + 1 edges of equal bins over [-value_range, value_range] (float64)."""
    return torch.linspace(-value_range, value_range, bins + 1, dtype=torch.float64)


def weight_histogram(layers: list[nn.Module], bins: int, value_range: float) -> torch.Tensor:
    """Counts (int64, length `bins`) of all raw weight values of `layers` over [-r, r].

    Values outside [-r, r] are clipped into the edge bins, so the counts always sum
    to the number of weights; a pile in an edge bin therefore means "at or beyond the
    edge". Biases are not included. NaN weights are not counted.
    """
    if bins < 1 or not value_range > 0:
        raise ValueError(f"histogram needs bins >= 1 and range > 0, got {bins}, {value_range}")
    with torch.no_grad():
        values = torch.cat([raw_weight(layer).detach().reshape(-1).to(torch.float64)
                            for layer in layers])
        values = values.clamp_(-value_range, value_range)
        counts = torch.histc(values, bins=bins, min=-value_range, max=value_range)
    return counts.round().to("cpu", torch.int64)


def max_abs_weight(layers: list[nn.Module]) -> float:
    """The largest |w| over the raw weights of `layers` (the default histogram range)."""
    with torch.no_grad():
        return max(float(raw_weight(layer).detach().abs().max()) for layer in layers)
