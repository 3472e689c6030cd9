"""Random architectures (WGAN-GP, Gulrajani et al. 2017, section 5.1): draw k of a seeded space.

The paper draws each factor for G and for D apart: nonlinearity (ReLU, leaky ReLU,
softplus(2x + 2) / 2 - 1, tanh), depth (4, 8, 12, 20), batch norm (yes / no; layer norm in
the critic under WGAN-GP) and base filter count (32, 64, 128). Draw k comes from Python's
`random.Random` seeded with the string "wgan-gp-5.1/<k>" and read only through `random()`,
the one call whose sequence Python keeps across versions, so draw k is the same pair of nets
for every method, every rerun and every machine.

The layout around the factors is ours (neither the paper nor the authors' repository gives
it): the authors' 32x32 DCGAN (suite/models/variants.py) with d = the drawn filter count,
deepened by 3x3 stride-1 conv layers (with their norm and nonlinearity) spread over the three
feature-map sizes, the smallest first, until the net has `depth` weight layers (the DCGAN's
own 4 included). Depth 4 is the DCGAN itself.

Normalization: the draw decides whether a net is normalized, the method only which norm. A
normalized generator uses batch norm. A normalized critic uses the method's d_norm when that
is bn or ln, otherwise layer norm if the method penalizes the critic's input gradient (batch
norm mixes the examples whose gradients the penalty takes one by one) and batch norm if not.
An unnormalized net has no feature norm; spectral normalization, a reparametrization that is
part of the method, stays either way.
"""
import random
from dataclasses import replace

import torch
import torch.nn.functional as F
from torch import nn

from suite.methods.spec import ignored_fields
from suite.models.layers import Critic, Generator, Layers
from suite.models.variants import KERNEL, LEAKY_SLOPE, MULTIPLES, START_SIZE

SEED_PREFIX = "wgan-gp-5.1"
NETS = ("g", "d")
DEPTHS = (4, 8, 12, 20)
FILTERS = (32, 64, 128)
NORMALIZE = ("yes", "no")
BASE_DEPTH = 1 + len(MULTIPLES)  # the DCGAN's input/output layer plus its three resampling layers
EXTRA_KERNEL = 3


class ShiftedSoftplus(nn.Module):
    """softplus(2x + 2) / 2 - 1 (WGAN-GP section 5.1): a smooth ReLU through (-1, ~-0.35)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.softplus(2.0 * x + 2.0) / 2.0 - 1.0


NONLINEARITIES = {
    "relu": nn.ReLU,
    "leaky-relu": lambda: nn.LeakyReLU(LEAKY_SLOPE),
    "softplus": ShiftedSoftplus,
    "tanh": nn.Tanh,
}

# Each net's factors, in the order they are drawn; the resolved arch records them as
# g_<factor> / d_<factor>.
FACTORS = {"nonlinearity": tuple(NONLINEARITIES), "depth": DEPTHS, "normalize": NORMALIZE,
           "filters": FILTERS}
RECORDED_VALUES = {f"{net}_{factor}": options for net in NETS for factor, options in FACTORS.items()}


def draw_factors(draw: int) -> dict[str, object]:
    """{"g_nonlinearity": ..., "g_depth": ..., ..., "d_filters": ...} of draw `draw`."""
    rng = random.Random(f"{SEED_PREFIX}/{draw}")
    drawn = {}
    for net in NETS:
        for factor, options in FACTORS.items():
            drawn[f"{net}_{factor}"] = options[int(rng.random() * len(options))]
    return drawn


def extra_layers_per_stage(depth: int) -> list[int]:
    """How many 3x3 conv layers each of the three feature-map sizes gets, smallest first."""
    extra = depth - BASE_DEPTH
    stages = len(MULTIPLES)
    return [extra // stages + (stage < extra % stages) for stage in range(stages)]


def _extra_convs(layers: Layers, channels: int, count: int, act) -> list[nn.Module]:
    modules: list[nn.Module] = []
    for _ in range(count):
        modules += [layers.conv(channels, channels, EXTRA_KERNEL), layers.norm2d(channels), act()]
    return modules


def _net(draw: int, net: str, width_divisor: int) -> tuple[object, int, bool, int]:
    drawn = draw_factors(draw)
    filters = max(1, drawn[f"{net}_filters"] // width_divisor)
    return (NONLINEARITIES[drawn[f"{net}_nonlinearity"]], drawn[f"{net}_depth"],
            drawn[f"{net}_normalize"] == "yes", filters)


def critic_norm(method) -> str:
    """The feature norm of a critic whose draw says "normalize" (see the module's docstring)."""
    if method.d_norm in ("bn", "ln"):
        return method.d_norm
    return "ln" if "gp_lambda" not in ignored_fields(method) else "bn"


def build_generator(layers: Layers, data_shape: tuple[int, ...], latent_dim: int, draw: int,
                    width_divisor: int) -> Generator:
    """linear -> 4x4x4d, deconvs to 2d and d, deconv -> C, tanh; the extra 3x3 convs of each
    stage before its deconv."""
    act, depth, normalize, width = _net(draw, "g", width_divisor)
    layers = replace(layers, norm="bn" if normalize else "none")
    channels = MULTIPLES[0] * width
    modules: list[nn.Module] = [layers.linear(latent_dim, channels * START_SIZE ** 2),
                                nn.Unflatten(1, (channels, START_SIZE, START_SIZE)),
                                layers.norm2d(channels), act()]
    for extra, multiple in zip(extra_layers_per_stage(depth), MULTIPLES[1:]):
        modules += _extra_convs(layers, channels, extra, act)
        out_channels = multiple * width
        modules += [layers.conv_transpose(channels, out_channels, KERNEL),
                    layers.norm2d(out_channels), act()]
        channels = out_channels
    modules += _extra_convs(layers, channels, extra_layers_per_stage(depth)[-1], act)
    modules += [layers.conv_transpose(channels, data_shape[0], KERNEL), nn.Tanh()]
    return Generator(*modules, latent_dim=latent_dim, data_shape=data_shape)


def build_critic(layers: Layers, data_shape: tuple[int, ...], draw: int, width_divisor: int,
                 method) -> Critic:
    """5x5 stride-2 convs to d, 2d, 4d (norm after all but the first), each followed by its
    stage's extra 3x3 convs; linear -> 1."""
    act, depth, normalize, width = _net(draw, "d", width_divisor)
    layers = replace(layers, norm=critic_norm(method) if normalize else "none")
    channels = data_shape[0]
    modules: list[nn.Module] = []
    extras = extra_layers_per_stage(depth)[::-1]  # input side first: the largest map gets the fewest
    for index, (extra, multiple) in enumerate(zip(extras, reversed(MULTIPLES))):
        out_channels = multiple * width
        modules.append(layers.conv(channels, out_channels, KERNEL, stride=2))
        if index > 0:
            modules.append(layers.norm2d(out_channels))
        modules.append(act())
        channels = out_channels
        modules += _extra_convs(layers, channels, extra, act)
    modules += [nn.Flatten(), layers.linear(channels * START_SIZE ** 2, 1)]
    return Critic(*modules, data_shape=data_shape)
