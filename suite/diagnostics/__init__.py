"""Critic diagnostics: per-layer gradient scale and weight histograms (WGAN-GP Fig. 1b), spectral norms and
singular-value spectra (SN-GAN Appendix A, Fig. 3), input-gradient norms (SN-GAN section 2)."""
from suite.diagnostics.input_grads import input_gradient_norms
from suite.diagnostics.layers import critic_layers, is_weight_layer, preserved_state
from suite.diagnostics.probe import LayerGradients, layer_gradients
from suite.diagnostics.recorder import (INPUT_GRAD_COLUMNS, LAYER_COLUMNS, SPECTRA_COLUMNS, WEIGHT_COLUMNS,
                                       DiagnosticsRecorder)
from suite.diagnostics.spectra import (effective_sigma, estimated_sigma, exact_sigma,
                                       raw_weight, singular_values, weight_histogram)
from suite.diagnostics.summary import gradient_norm_ratio, read_layers

__all__ = [
    "INPUT_GRAD_COLUMNS",
    "LAYER_COLUMNS",
    "SPECTRA_COLUMNS",
    "WEIGHT_COLUMNS",
    "DiagnosticsRecorder",
    "LayerGradients",
    "critic_layers",
    "effective_sigma",
    "estimated_sigma",
    "exact_sigma",
    "gradient_norm_ratio",
    "input_gradient_norms",
    "is_weight_layer",
    "layer_gradients",
    "preserved_state",
    "raw_weight",
    "read_layers",
    "singular_values",
    "weight_histogram",
]
