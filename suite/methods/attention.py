"""Self-attention block of SAGAN (Zhang et al. 2019), and the residual block it is compared with."""
import torch
from torch import nn

from suite.methods.spectral_norm import spectral_norm


def _key_channels(block: str, channels: int) -> int:
    """The f/g width, max(C // 8, 1), of a block on `channels` (>= 1) channels."""
    if channels < 1:
        raise ValueError(f"{block} needs channels >= 1, got {channels}")
    return max(channels // 8, 1)


def _conv1x1(spectral: bool, power_iterations: int):
    """A maker of bias-free 1x1 convs, spectrally normalized when `spectral`."""

    def conv(in_channels: int, out_channels: int) -> nn.Module:
        layer = nn.Conv2d(in_channels, out_channels, 1, bias=False)
        return spectral_norm(layer, power_iterations) if spectral else layer

    return conv


class SelfAttention(nn.Module):
    """y = gamma * o + x with o the attention-weighted h(x); identity at init (gamma = 0).

    f, g are 1x1 convs to max(C // 8, 1) channels, h a 1x1 conv to C channels; the
    attention of output position j over input positions i is softmax_i(f(x)_i . g(x)_j).
    """

    def __init__(self, channels: int, spectral: bool = False, power_iterations: int = 1):
        super().__init__()
        key_channels = _key_channels("SelfAttention", channels)
        conv = _conv1x1(spectral, power_iterations)
        self.f = conv(channels, key_channels)
        self.g = conv(channels, key_channels)
        self.h = conv(channels, channels)
        self.gamma = nn.Parameter(torch.zeros(()))

    def attention_map(self, x: torch.Tensor) -> torch.Tensor:
        """beta[n, i, j]: weight of input position i for output position j (sums to 1 over i)."""
        f = self.f(x).flatten(2)
        g = self.g(x).flatten(2)
        scores = torch.bmm(f.transpose(1, 2), g)
        return torch.softmax(scores, dim=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        beta = self.attention_map(x)
        h = self.h(x).flatten(2)
        attended = torch.bmm(h, beta).view_as(x)
        return self.gamma * attended + x


class ResidualControl(nn.Module):
    """y = x + gamma * h(relu(g(relu(f(x))))): the control of SAGAN's Table 1, "residual blocks with the
    same number of parameters" in the attention's place (section 5.2).

    f (C -> max(C // 8, 1)), g (back to C) and h (C -> C) are bias-free 1x1 convs and gamma a scalar
    starting at 0, so the block has exactly SelfAttention's parameters and, like it, is the identity at
    init behind a learned gate. It mixes channels at each position only: what it lacks is attention's
    long-range dependency, the one thing the comparison is about.
    """

    def __init__(self, channels: int, spectral: bool = False, power_iterations: int = 1):
        super().__init__()
        key_channels = _key_channels("ResidualControl", channels)
        conv = _conv1x1(spectral, power_iterations)
        self.f = conv(channels, key_channels)
        self.g = conv(key_channels, channels)
        self.h = conv(channels, channels)
        self.gamma = nn.Parameter(torch.zeros(()))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        branch = self.h(torch.relu(self.g(torch.relu(self.f(x)))))
        return x + self.gamma * branch
