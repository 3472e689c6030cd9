import math

import numpy as np
import pytest
import torch
from torch import nn

from suite.diagnostics import effective_sigma, estimated_sigma, exact_sigma, singular_values, weight_histogram
from suite.diagnostics.spectra import histogram_edges, largest_singular_value, max_abs_weight
from suite.methods import spectral_norm


@pytest.mark.parametrize("layer", [nn.Linear(12, 7), nn.Conv2d(3, 6, 3), nn.Conv1d(2, 5, 4)],
                         ids=["linear", "conv2d", "conv1d"])
def test_exact_sigma_of_plain_layer_is_matrix_2_norm(layer):
    w = layer.weight.detach()
    expected = torch.linalg.matrix_norm(w.reshape(w.shape[0], -1), 2)
    assert exact_sigma(layer) == pytest.approx(float(expected), rel=1e-6)
    assert math.isnan(estimated_sigma(layer))
    assert effective_sigma(layer) == exact_sigma(layer)


def test_exact_sigma_of_known_matrix():
    layer = nn.Linear(3, 3, bias=False)
    with torch.no_grad():
        layer.weight.copy_(torch.diag(torch.tensor([0.5, -4.0, 2.0])))
    assert exact_sigma(layer) == pytest.approx(4.0, rel=1e-6)


def test_transposed_conv_uses_output_channels_as_rows():
    layer = nn.ConvTranspose2d(4, 6, 3)  # weight (in=4, out=6, 3, 3)
    w = layer.weight.detach()
    expected = torch.linalg.matrix_norm(w.transpose(0, 1).reshape(6, -1), 2)
    wrong = torch.linalg.matrix_norm(w.reshape(4, -1), 2)
    assert not math.isclose(float(expected), float(wrong), rel_tol=1e-3)
    assert exact_sigma(layer) == pytest.approx(float(expected), rel=1e-6)


@pytest.mark.parametrize("kind", ["linear", "conv"])
def test_spectral_normed_layer_effective_sigma_is_one(kind):
    torch.manual_seed(0)
    layer = nn.Linear(20, 10) if kind == "linear" else nn.Conv2d(3, 8, 3)
    with torch.no_grad():
        layer.weight.mul_(7.0)
    raw = torch.linalg.matrix_norm(layer.weight.detach().reshape(layer.weight.shape[0], -1), 2)
    spectral_norm(layer)
    x = torch.randn(2, 20) if isinstance(layer, nn.Linear) else torch.randn(2, 3, 6, 6)
    with torch.no_grad():
        for _ in range(300):  # one power iteration per training forward
            layer(x)
    assert exact_sigma(layer) == pytest.approx(float(raw), rel=1e-6)  # of weight_orig
    assert estimated_sigma(layer) == pytest.approx(float(raw), rel=1e-4)
    assert effective_sigma(layer) == pytest.approx(1.0, abs=1e-4)
    used = layer.weight.detach()  # the weight the layer computes with
    assert float(torch.linalg.matrix_norm(used.reshape(used.shape[0], -1), 2)) == \
        pytest.approx(1.0, abs=1e-4)


def test_histogram_counts_every_weight_and_clips_outside_values_into_edge_bins():
    a, b = nn.Linear(4, 5), spectral_norm(nn.Conv2d(2, 3, 3))
    with torch.no_grad():
        a.weight.copy_(torch.linspace(-2, 2, 20).reshape(5, 4))
        b.weight_orig.uniform_(-0.5, 0.5)
    counts = weight_histogram([a, b], bins=4, value_range=1.0)
    assert counts.dtype == torch.int64
    assert int(counts.sum()) == 20 + 3 * 2 * 3 * 3  # weights only, no biases
    values = torch.cat([a.weight.detach().flatten(), b.weight_orig.detach().flatten()])
    edges = histogram_edges(4, 1.0)
    assert edges.tolist() == [-1.0, -0.5, 0.0, 0.5, 1.0]
    assert int(counts[0]) == int((values < -0.5).sum())
    assert int(counts[-1]) == int((values >= 0.5).sum())
    assert int(counts[1] + counts[2]) == int(((values >= -0.5) & (values < 0.5)).sum())


def test_clipped_weights_pile_in_edge_bins():
    torch.manual_seed(0)
    layers = [nn.Linear(64, 64) for _ in range(3)]
    with torch.no_grad():
        for layer in layers:
            layer.weight.normal_(0, 1).clamp_(-0.01, 0.01)
    r = max_abs_weight(layers)
    assert r == pytest.approx(0.01)
    counts = weight_histogram(layers, bins=101, value_range=r)
    n = 3 * 64 * 64
    assert int(counts.sum()) == n
    assert int(counts[0] + counts[-1]) > 0.95 * n  # almost every weight sits at +-c


@pytest.mark.parametrize("shape", [(1, 9), (9, 1), (40, 7), (7, 40), (64, 64)])
def test_largest_singular_value_matches_float64_matrix_norm(shape):
    torch.manual_seed(0)
    matrix = torch.randn(*shape) * 0.05
    expected = float(torch.linalg.matrix_norm(matrix.double(), 2))
    assert largest_singular_value(matrix) == pytest.approx(expected, rel=1e-12)
    assert largest_singular_value(torch.zeros(*shape)) == 0.0


@pytest.mark.parametrize("layer", [nn.Linear(12, 7), nn.Conv2d(3, 6, 3), nn.ConvTranspose2d(4, 6, 3)],
                         ids=["linear", "conv2d", "conv-transpose"])
def test_singular_values_match_numpy_svd_of_the_out_by_rest_matrix(layer):
    w = layer.weight.detach().double().numpy()
    if isinstance(layer, nn.ConvTranspose2d):
        w = w.swapaxes(0, 1)
    expected = np.linalg.svd(w.reshape(w.shape[0], -1), compute_uv=False)
    values = singular_values(layer)
    assert values.dtype == torch.float64
    np.testing.assert_allclose(values.numpy(), expected, rtol=1e-12, atol=1e-14)
    assert values[0].item() == pytest.approx(exact_sigma(layer), rel=1e-12)


def test_singular_values_of_a_known_rank_two_matrix():
    layer = spectral_norm(nn.Linear(4, 3, bias=False))
    with torch.no_grad():  # 5 * e1 e1^T + 2 * e2 e3^T: singular values 5, 2, 0 (of the raw weight)
        layer.weight_orig.copy_(torch.tensor([[5.0, 0, 0, 0], [0, 0, 2.0, 0], [0, 0, 0, 0]]))
    np.testing.assert_allclose(singular_values(layer).numpy(), [5.0, 2.0, 0.0], atol=1e-12)
