"""The diagnostics on every real critic family: all weight layers found, input side first."""
import functools

import pytest
import torch
from torch import nn

from tests.models.helpers import TINY_ARCHS, data_shape_for, make_spec
from suite.diagnostics import DiagnosticsRecorder, critic_layers, is_weight_layer
from suite.methods import critic_loss, is_spectral_normed
from suite.models import build_models, count_weight_layers

CASES = [(family, d_norm, None) for family in TINY_ARCHS for d_norm in ("none", "bn", "ln", "sn")]
CASES += [("dcgan", "sn", 16), ("resnet", "none", 16)]  # SAGAN-style attention in the critic


def tiny_critic(family, d_norm, d_attention):
    torch.manual_seed(0)
    shape = data_shape_for(family, channels=1)
    spec = make_spec(d_norm=d_norm, d_attention=d_attention)
    _, critic = build_models(TINY_ARCHS[family], spec, shape, latent_dim=8)
    return critic.train(), torch.randn(4, *shape), spec


def first_input_size(layer):
    return layer.in_features if isinstance(layer, nn.Linear) else layer.in_channels


@pytest.mark.parametrize("family,d_norm,attention", CASES)
def test_every_weight_layer_is_found_input_side_first(family, d_norm, attention):
    critic, x, _ = tiny_critic(family, d_norm, attention)
    layers = critic_layers(critic, x)
    found = [layer for _, layer in layers]
    assert len(found) == count_weight_layers(critic)
    assert {id(m) for m in found} == {id(m) for m in critic.modules() if is_weight_layer(m)}
    assert first_input_size(found[0]) == (2 if family == "mlp" else 1)
    assert isinstance(found[-1], nn.Linear) and found[-1].out_features == 1
    if d_norm == "sn":
        assert all(is_spectral_normed(m) for m in found)


@pytest.mark.parametrize("family", list(TINY_ARCHS))
def test_recorder_on_real_critic_leaves_state_unchanged(family, tmp_path):
    critic, real, spec = tiny_critic(family, "sn" if family != "mlp" else "bn", None)
    fake = torch.randn_like(real)
    loss = functools.partial(critic_loss, spec.loss)
    state = {k: v.clone() for k, v in critic.state_dict().items()}
    rng = torch.get_rng_state()
    with DiagnosticsRecorder(critic, loss, real, fake, tmp_path) as recorder:
        recorder.record(0)
    assert all(torch.equal(state[k], v) for k, v in critic.state_dict().items())
    assert torch.equal(torch.get_rng_state(), rng)
    assert all(p.grad is None for p in critic.parameters())
    rows = (tmp_path / "layers.csv").read_text().splitlines()
    assert len(rows) == 1 + count_weight_layers(critic)
