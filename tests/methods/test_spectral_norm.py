import copy

import pytest
import torch
from torch import nn

from suite.methods import is_spectral_normed, spectral_norm, spectral_sigmas


def make_layer(kind: str) -> tuple[nn.Module, torch.Tensor]:
    if kind == "linear":
        return nn.Linear(12, 7), torch.randn(4, 12)
    if kind == "conv1d":
        return nn.Conv1d(3, 5, 3), torch.randn(2, 3, 9)
    if kind == "conv2d":
        return nn.Conv2d(3, 6, 3), torch.randn(2, 3, 8, 8)
    if kind == "convtranspose2d":
        return nn.ConvTranspose2d(4, 6, 4, stride=2, padding=1), torch.randn(2, 4, 5, 5)
    raise AssertionError(kind)


KINDS = ["linear", "conv1d", "conv2d", "convtranspose2d"]


def as_matrix(weight: torch.Tensor, transposed: bool) -> torch.Tensor:
    """Rows are output channels: dim 1 of a ConvTranspose weight (in, out, k, k)."""
    if transposed:
        weight = weight.transpose(0, 1)
    return weight.reshape(weight.shape[0], -1)


@pytest.mark.parametrize("kind", KINDS)
def test_sigma_converges_to_largest_singular_value(kind):
    torch.manual_seed(0)
    layer, x = make_layer(kind)
    matrix = as_matrix(layer.weight.detach().clone(), kind == "convtranspose2d")
    exact = torch.linalg.matrix_norm(matrix, 2)
    spectral_norm(layer)
    with torch.no_grad():
        for _ in range(200):
            layer(x)
    torch.testing.assert_close(layer.weight_sigma, exact, rtol=1e-3, atol=0)
    normalized = as_matrix(layer.weight, kind == "convtranspose2d")
    torch.testing.assert_close(torch.linalg.matrix_norm(normalized, 2), torch.tensor(1.0),
                               rtol=1e-3, atol=0)
    assert layer.weight_u.shape == (matrix.shape[0],)
    assert layer.weight_v.shape == (matrix.shape[1],)


@pytest.mark.parametrize("n_iter", [1, 3])
@pytest.mark.parametrize("kind", KINDS)
def test_matches_torch_spectral_norm_from_same_start(kind, n_iter):
    """torch.nn.utils.spectral_norm runs Miyato's Algorithm 1 like ours: exact match."""
    torch.manual_seed(1)
    ours, x = make_layer(kind)
    spectral_norm(ours, n_power_iterations=n_iter)
    ref, _ = make_layer(kind)
    with torch.no_grad():
        ref.weight.copy_(ours.weight_orig)
        ref.bias.copy_(ours.bias)
    ref = nn.utils.spectral_norm(ref, n_power_iterations=n_iter)
    ref.weight_u.copy_(ours.weight_u)
    ref.weight_v.copy_(ours.weight_v)
    for _ in range(3):
        out, expected = ours(x), ref(x)
        torch.testing.assert_close(out, expected, atol=1e-6, rtol=0)
    torch.testing.assert_close(ours.weight_u, ref.weight_u, atol=1e-6, rtol=0)
    out.square().sum().backward()
    expected.square().sum().backward()
    torch.testing.assert_close(ours.weight_orig.grad, ref.weight_orig.grad, atol=1e-5, rtol=1e-5)
    assert ours.weight_orig.grad.abs().sum() > 0


@pytest.mark.parametrize("kind", KINDS)
def test_agrees_with_torch_parametrization_after_convergence(kind):
    """The parametrization updates u before v (half a step apart): compare converged outputs."""
    torch.manual_seed(7)
    ours, x = make_layer(kind)
    spectral_norm(ours)
    ref, _ = make_layer(kind)
    with torch.no_grad():
        ref.weight.copy_(ours.weight_orig)
        ref.bias.copy_(ours.bias)
    ref = nn.utils.parametrizations.spectral_norm(ref)
    x = x[:1]
    with torch.no_grad():
        for _ in range(200):
            out, expected = ours(x), ref(x)
    torch.testing.assert_close(out, expected, rtol=1e-3, atol=1e-5)


def test_training_forward_runs_one_power_iteration():
    torch.manual_seed(2)
    layer, x = make_layer("linear")
    spectral_norm(layer)
    w = layer.weight_orig.detach()
    u0 = layer.weight_u.clone()
    layer(x)
    v1 = nn.functional.normalize(w.t() @ u0, dim=0)
    u1 = nn.functional.normalize(w @ v1, dim=0)
    torch.testing.assert_close(layer.weight_v, v1)
    torch.testing.assert_close(layer.weight_u, u1)
    sigma = u1 @ w @ v1
    torch.testing.assert_close(layer.weight_sigma, sigma)
    torch.testing.assert_close(layer.weight, w / sigma)


def test_eval_mode_keeps_u_v_and_uses_them():
    torch.manual_seed(3)
    layer, x = make_layer("conv2d")
    spectral_norm(layer)
    for _ in range(5):
        layer(x)
    layer.eval()
    u, v = layer.weight_u.clone(), layer.weight_v.clone()
    out = layer(x)
    assert torch.equal(layer.weight_u, u) and torch.equal(layer.weight_v, v)
    sigma = u @ as_matrix(layer.weight_orig.detach(), False) @ v
    expected = nn.functional.conv2d(x, layer.weight_orig / sigma, layer.bias)
    torch.testing.assert_close(out, expected)
    torch.testing.assert_close(layer(x), out, atol=0, rtol=0)


def test_state_dict_roundtrip_restores_u_v_and_outputs():
    torch.manual_seed(4)
    layer, x = make_layer("convtranspose2d")
    spectral_norm(layer)
    for _ in range(4):
        layer(x)
    state = layer.state_dict()
    assert {"weight_orig", "weight_u", "weight_v", "weight_sigma", "bias"} == set(state)

    torch.manual_seed(99)
    fresh, _ = make_layer("convtranspose2d")
    spectral_norm(fresh)
    assert not torch.equal(fresh.weight_u, layer.weight_u)
    fresh.load_state_dict(state)
    assert torch.equal(fresh.weight_u, layer.weight_u)
    assert torch.equal(fresh.weight_v, layer.weight_v)
    for mode in (False, True):
        fresh.train(mode)
        layer.train(mode)
        assert torch.equal(fresh(x), layer(x))


def test_deepcopy_after_forward_and_several_forwards_before_backward():
    torch.manual_seed(5)
    layer, x = make_layer("linear")
    spectral_norm(layer)
    # A GP critic runs real, fake and interpolates before one backward.
    loss = layer(x).sum() + layer(2 * x).sum() + layer(-x).sum()
    clone = copy.deepcopy(layer)
    loss.backward()
    assert layer.weight_orig.grad is not None and layer.weight_orig.grad.abs().sum() > 0
    assert torch.equal(clone.weight_u, layer.weight_u)
    assert torch.equal(clone(x), layer(x))


def test_spectral_sigmas_and_is_spectral_normed():
    torch.manual_seed(6)
    model = nn.Sequential(spectral_norm(nn.Linear(5, 8)), nn.ReLU(), nn.Linear(8, 3),
                          spectral_norm(nn.Linear(3, 1)))
    model(torch.randn(2, 5))
    sigmas = spectral_sigmas(model)
    assert set(sigmas) == {"0", "3"}
    assert sigmas["0"] == pytest.approx(float(model[0].weight_sigma))
    assert is_spectral_normed(model[0]) and not is_spectral_normed(model[2])


def test_rejects_unsupported_and_double_wrapping():
    with pytest.raises(TypeError, match="Linear"):
        spectral_norm(nn.BatchNorm2d(3))
    layer = spectral_norm(nn.Linear(3, 2))
    with pytest.raises(ValueError, match="already"):
        spectral_norm(layer)
    with pytest.raises(ValueError, match="n_power_iterations"):
        spectral_norm(nn.Linear(3, 2), n_power_iterations=0)


def test_more_power_iterations_bring_sigma_closer_to_the_svd_value():
    """One training forward from the same fresh u, v: the error to the top singular value shrinks
    as the iterations per forward grow (SN-GAN uses 1, reusing u across updates)."""
    errors = []
    for n_iter in (1, 3, 10):
        torch.manual_seed(5)
        layer, x = nn.Linear(40, 30), torch.randn(4, 40)
        exact = torch.linalg.matrix_norm(layer.weight.detach(), 2)
        spectral_norm(layer, n_power_iterations=n_iter)
        layer(x)
        errors.append(abs(float(layer.weight_sigma) - float(exact)) / float(exact))
    assert errors[0] > errors[1] > errors[2]
    assert errors[0] > 0.01 and errors[2] < 0.01


def test_the_methods_power_iterations_reach_every_spectral_layer():
    from suite.methods import resolve_method
    from suite.methods.spectral_norm import _SpectralNormHook
    from suite.models import build_models

    spec = resolve_method({"preset": "sagan", "power_iterations": 4})
    generator, critic = build_models({"family": "resnet", "width": 8}, spec, (1, 32, 32), latent_dim=8)
    hooks = [hook for model in (generator, critic) for module in model.modules()
             for hook in module._forward_pre_hooks.values() if isinstance(hook, _SpectralNormHook)]
    assert len(hooks) > 10 and {hook.n_power_iterations for hook in hooks} == {4}
