import copy

import pytest
import torch
from torch import nn

from suite.diagnostics import critic_layers, layer_gradients, raw_weight
from suite.methods import spectral_norm


def wasserstein(d_real, d_fake):
    return d_fake.mean() - d_real.mean()


class Squeeze(nn.Module):
    def forward(self, x):
        return x.squeeze(1)


def linear_critic(dims=(5, 7, 6, 1)):
    layers = [nn.Linear(a, b, bias=False) for a, b in zip(dims[:-1], dims[1:])]
    return nn.Sequential(*layers, Squeeze()).double()


def test_output_and_weight_gradients_of_linear_critic_match_closed_form():
    """D(x) = w3^T W2 W1 x, L = mean D(fake) - mean D(real).

    dL/d(layer output) for one example is +-(1/n) times the transposed product of the
    layers after it, so over n_r real and n_f fake examples its norm is
    sqrt(1/n_r + 1/n_f) * ||W_L^T ... W_{k+1}^T||, independent of the inputs; with
    delta = mean x_fake - mean x_real, dL/dW_k = (W_L..W_{k+1})^T (W_{k-1}..W_1 delta)^T.
    """
    torch.manual_seed(0)
    critic = linear_critic()
    real, fake = torch.randn(9, 5, dtype=torch.float64), torch.randn(4, 5, dtype=torch.float64) + 1
    W1, W2, w3 = (critic[i].weight.detach() for i in range(3))
    scale = (1 / 9 + 1 / 4) ** 0.5
    delta = fake.mean(0) - real.mean(0)
    expected_out = [scale * (W2.T @ w3.T).norm(), scale * w3.norm(), scale * 1.0]
    expected_weight = [(W2.T @ w3.T).norm() * delta.norm(),
                       w3.norm() * (W1 @ delta).norm(),
                       (W2 @ W1 @ delta).norm()]

    grads = layer_gradients(critic, [critic[0], critic[1], critic[2]], wasserstein, real, fake)
    for got, out, weight in zip(grads, expected_out, expected_weight):
        assert got.grad_output_norm == pytest.approx(float(out), rel=1e-6, abs=0)
        assert got.weight_grad_norm == pytest.approx(float(weight), rel=1e-6, abs=0)


def test_diagonal_critic_gradients_are_products_of_later_diagonals():
    """With diagonal layers the backward gradient is the elementwise product of the later diagonals."""
    critic = linear_critic((3, 3, 3, 1))
    f64 = torch.float64
    diags = [torch.tensor([2.0, 0.5, 3.0], dtype=f64), torch.tensor([0.1, 4.0, 1.0], dtype=f64)]
    head = torch.tensor([[1.0, -2.0, 0.5]], dtype=f64)
    with torch.no_grad():
        critic[0].weight.copy_(torch.diag(diags[0]))
        critic[1].weight.copy_(torch.diag(diags[1]))
        critic[2].weight.copy_(head)
    real = torch.zeros(2, 3, dtype=torch.float64)
    fake = torch.zeros(2, 3, dtype=torch.float64)
    grads = layer_gradients(critic, list(critic)[:3], wasserstein, real, fake)
    # each of the 4 examples carries 1/2 of the vector: norm = sqrt(4 * 1/4) * ||v|| = ||v||
    assert grads[2].grad_output_norm == pytest.approx(1.0, rel=1e-12)
    assert grads[1].grad_output_norm == pytest.approx(float(head.norm()), rel=1e-12)
    assert grads[0].grad_output_norm == pytest.approx(float((head[0] * diags[1]).norm()), rel=1e-12)
    assert all(g.weight_grad_norm == 0.0 for g in grads)  # delta = 0


def conv_critic(inplace: bool, sn: bool = False, bn: bool = False):
    wrap = spectral_norm if sn else (lambda m: m)
    return nn.Sequential(
        wrap(nn.Conv2d(1, 4, 3, padding=1)), nn.BatchNorm2d(4) if bn else nn.Identity(),
        nn.LeakyReLU(0.1, inplace=inplace),
        wrap(nn.Conv2d(4, 6, 3, stride=2, padding=1)), nn.ReLU(inplace=inplace),
        nn.Flatten(), wrap(nn.Linear(6 * 4 * 4, 1)), Squeeze())


def manual_gradients(critic, real, fake, loss_fn):
    """Step through the Sequential keeping each weight layer's output, then one autograd.grad."""
    critic = copy.deepcopy(critic)
    outs = {i: [] for i, m in enumerate(critic) if isinstance(m, (nn.Conv2d, nn.Linear))}
    d = []
    for x in (real, fake):
        for i, module in enumerate(critic):
            x = module(x)
            if i in outs:
                outs[i].append(x)
        d.append(x)
    loss = loss_fn(*d)
    loss.backward(retain_graph=True)
    norms = []
    for i, tensors in outs.items():
        g = torch.autograd.grad(loss, tensors, retain_graph=True)
        norms.append((float(torch.sqrt(sum(t.pow(2).sum() for t in g))),
                      float(raw_weight(critic[i]).grad.norm())))
    return norms


@pytest.mark.parametrize("sn,bn", [(False, False), (True, False), (False, True)])
def test_conv_critic_gradients_match_manual_autograd_despite_inplace_activations(sn, bn):
    torch.manual_seed(1)
    reference = conv_critic(inplace=False, sn=sn, bn=bn)
    critic = conv_critic(inplace=True, sn=sn, bn=bn)
    critic.load_state_dict(reference.state_dict())
    real, fake = torch.randn(5, 1, 8, 8), torch.randn(3, 1, 8, 8)
    hinge = lambda r, f: torch.relu(1 - r).mean() + torch.relu(1 + f).mean()  # noqa: E731
    expected = manual_gradients(reference, real, fake, hinge)
    layers = [m for _, m in critic_layers(critic, real)]
    got = layer_gradients(critic, layers, hinge, real, fake)
    assert len(got) == 3
    for g, (out_norm, weight_norm) in zip(got, expected):
        assert out_norm > 0 and weight_norm > 0
        assert g.grad_output_norm == pytest.approx(out_norm, rel=1e-5)
        assert g.weight_grad_norm == pytest.approx(weight_norm, rel=1e-5)


def test_weight_not_requiring_grad_gives_nan():
    critic = linear_critic((2, 3, 1))
    critic[0].weight.requires_grad_(False)
    x = torch.randn(4, 2, dtype=torch.float64)
    grads = layer_gradients(critic, [critic[0], critic[1]], wasserstein, x, x + 1)
    assert grads[0].weight_grad_norm != grads[0].weight_grad_norm  # NaN
    assert grads[1].weight_grad_norm > 0
