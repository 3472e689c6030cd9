"""Per-layer critic diagnostics: gradient scale, spectral norms, weight histograms (DESIGN 6)."""
from suite.diagnostics.layers import critic_layers, is_weight_layer, preserved_state
from suite.diagnostics.probe import LayerGradients, layer_gradients
from suite.diagnostics.recorder import LAYER_COLUMNS, WEIGHT_COLUMNS, DiagnosticsRecorder
from suite.diagnostics.spectra import (effective_sigma, estimated_sigma, exact_sigma,
                                       raw_weight, weight_histogram)
from suite.diagnostics.summary import gradient_norm_ratio, read_layers

__all__ = [
    "LAYER_COLUMNS",
    "WEIGHT_COLUMNS",
    "DiagnosticsRecorder",
    "LayerGradients",
    "critic_layers",
    "effective_sigma",
    "estimated_sigma",
    "exact_sigma",
    "gradient_norm_ratio",
    "is_weight_layer",
    "layer_gradients",
    "preserved_state",
    "raw_weight",
    "read_layers",
    "weight_histogram",
]
