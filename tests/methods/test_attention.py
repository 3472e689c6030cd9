import torch

from suite.methods import SelfAttention, is_spectral_normed


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
