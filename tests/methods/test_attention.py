import pytest
import torch

from suite.methods import SelfAttention, is_spectral_normed, resolve_method
from suite.methods.attention import ResidualControl
from suite.models import build_models


def reference_attention(block: SelfAttention, x: torch.Tensor) -> torch.Tensor:
    """SAGAN eq. (1)-(3) written out with einsum on the 1x1 conv weights."""
    n, c, hgt, wid = x.shape
    flat = x.reshape(n, c, hgt * wid)
    f = torch.einsum("kc,nci->nki", block.f.weight[:, :, 0, 0], flat)
    g = torch.einsum("kc,ncj->nkj", block.g.weight[:, :, 0, 0], flat)
    h = torch.einsum("dc,nci->ndi", block.h.weight[:, :, 0, 0], flat)
    scores = torch.einsum("nki,nkj->nij", f, g)
    beta = torch.exp(scores - scores.amax(dim=1, keepdim=True))
    beta = beta / beta.sum(dim=1, keepdim=True)
    o = torch.einsum("nci,nij->ncj", h, beta).reshape(n, c, hgt, wid)
    return block.gamma * o + x


def test_identity_at_init():
    torch.manual_seed(0)
    block = SelfAttention(16)
    x = torch.randn(2, 16, 4, 4)
    assert block.gamma.item() == 0.0
    assert torch.equal(block(x), x)


def test_matches_einsum_reference_when_gamma_nonzero():
    torch.manual_seed(1)
    block = SelfAttention(16)
    with torch.no_grad():
        block.gamma.fill_(0.5)
    x = torch.randn(3, 16, 4, 5)
    y = block(x)
    assert (y - x).abs().max() > 1e-2
    torch.testing.assert_close(y, reference_attention(block, x), atol=1e-5, rtol=1e-5)


def test_attention_map_is_distribution_over_input_positions():
    torch.manual_seed(2)
    block = SelfAttention(8)
    beta = block.attention_map(torch.randn(2, 8, 3, 3))
    assert beta.shape == (2, 9, 9)
    torch.testing.assert_close(beta.sum(dim=1), torch.ones(2, 9))
    assert (beta >= 0).all()


def test_channel_sizes_and_gamma_gets_gradient():
    assert SelfAttention(64).f.out_channels == 8
    assert SelfAttention(4).g.out_channels == 1
    block = SelfAttention(16)
    assert block.h.out_channels == 16
    block(torch.randn(2, 16, 4, 4)).square().sum().backward()
    assert block.gamma.grad is not None and block.gamma.grad != 0


def test_spectral_flag_wraps_every_conv():
    plain, spectral = SelfAttention(16), SelfAttention(16, spectral=True)
    assert not any(is_spectral_normed(m) for m in (plain.f, plain.g, plain.h))
    assert all(is_spectral_normed(m) for m in (spectral.f, spectral.g, spectral.h))
    torch.manual_seed(3)
    with torch.no_grad():
        spectral.gamma.fill_(1.0)
    x = torch.randn(2, 16, 4, 4)
    spectral.eval()
    torch.testing.assert_close(spectral(x), reference_attention(spectral, x),
                               atol=1e-5, rtol=1e-5)


def parameter_count(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


# 2 * C * max(C // 8, 1) + C^2 + 1: f, g, h and gamma
@pytest.mark.parametrize("channels, parameters", [(1, 4), (3, 16), (8, 81), (16, 321), (64, 5121)])
def test_residual_control_has_exactly_the_attentions_parameters(channels, parameters):
    assert parameter_count(SelfAttention(channels)) == parameters
    assert parameter_count(ResidualControl(channels)) == parameters
    assert parameter_count(ResidualControl(channels, spectral=True)) == parameters


def test_residual_control_is_the_identity_at_init_and_learns_its_gate():
    torch.manual_seed(4)
    block = ResidualControl(16)
    x = torch.randn(2, 16, 4, 4)
    assert block.gamma.item() == 0.0
    assert torch.equal(block(x), x)
    block(x).square().sum().backward()
    assert block.gamma.grad is not None and block.gamma.grad != 0


def test_residual_control_is_its_formula_and_mixes_channels_at_each_position_only():
    """x + gamma * h(relu(g(relu(f(x))))); moving one position's input moves that position's output alone,
    where attention moves every position's (the long-range dependency the control lacks)."""
    torch.manual_seed(5)
    residual, attention = ResidualControl(16), SelfAttention(16)
    with torch.no_grad():
        residual.gamma.fill_(0.5)
        attention.gamma.fill_(0.5)
    x = torch.randn(1, 16, 4, 4)
    f, g, h = (conv.weight[:, :, 0, 0] for conv in (residual.f, residual.g, residual.h))
    branch = torch.einsum("dc,cn->dn", h, torch.relu(g @ torch.relu(f @ x[0].flatten(1))))
    torch.testing.assert_close(residual(x), x + 0.5 * branch.view_as(x), atol=1e-5, rtol=1e-5)
    moved = x.clone()
    moved[:, :, 0, 0] += 1.0
    with torch.no_grad():
        assert ((residual(moved) - residual(x)).abs().amax(dim=1) > 0).sum() == 1
        assert ((attention(moved) - attention(x)).abs().amax(dim=1) > 0).all()


def test_residual_control_spectral_flag_normalizes_every_conv():
    plain = ResidualControl(16)
    assert not any(is_spectral_normed(m) for m in (plain.f, plain.g, plain.h))
    torch.manual_seed(6)
    block = ResidualControl(16, spectral=True).train()
    x = torch.randn(2, 16, 4, 4)
    with torch.no_grad():
        for _ in range(100):  # power iterations, one per training forward
            block(x)
    for conv in (block.f, block.g, block.h):
        assert is_spectral_normed(conv)
        largest = torch.linalg.svdvals(conv.weight.reshape(conv.out_channels, -1))[0]
        torch.testing.assert_close(largest, torch.tensor(1.0), rtol=1e-3, atol=0)


# (G, D) parameter counts of the claims' dcgan (width 16) on Fashion-MNIST 32x32 with a block at `size`
@pytest.mark.parametrize("size, parameters", [(8, (442082, 186610)), (16, (438242, 185650))])
def test_a_dcgan_with_residual_blocks_has_the_attention_nets_parameters(size, parameters):
    for block, kind in (("attention", SelfAttention), ("residual", ResidualControl)):
        spec = resolve_method({"preset": "sagan", "g_attention": size, "d_attention": size, "attention_block": block})
        generator, critic = build_models({"family": "dcgan", "width": 16}, spec, (1, 32, 32))
        assert (parameter_count(generator), parameter_count(critic)) == parameters, block
        for net in (generator, critic):
            assert [type(m) for m in net.modules() if isinstance(m, (SelfAttention, ResidualControl))] == [kind]
