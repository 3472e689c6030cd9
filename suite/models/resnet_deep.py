"""Deep bottleneck ResNet after WGAN-GP's 101-layer net (Gulrajani et al. 2017, gan_64x64.py).

Every block is pre-activation bottleneck: ReLU, 1x1 reduce to half the output width,
ReLU, 3x3, ReLU, 1x1 expand, norm; the branch is scaled by 0.3 before the add. The
critic is a stem conv, three stages at 32, 16, 8 each ending in a down block, and a
linear head on the 4x4 map; the generator mirrors it with up blocks. `depth` counts
the conv + linear layers: 3 per block + stem + 3 shortcut convs + head = 3 * blocks + 5.
"""
from torch import nn

from suite.errors import ConfigError
from suite.models.layers import Critic, Generator, Layers, Residual

RESIDUAL_SCALE = 0.3
RESAMPLE_BLOCKS = 3
EXTRA_LAYERS = 5  # stem, head and the three resampling shortcut convs
MIN_DEPTH = 3 * RESAMPLE_BLOCKS + EXTRA_LAYERS
CRITIC_ATTENTION_SIZES = (32, 16, 8, 4)
GENERATOR_ATTENTION_SIZES = (4, 8, 16, 32)


def valid_depth(depth: int) -> bool:
    return depth >= MIN_DEPTH and (depth - EXTRA_LAYERS) % 3 == 0


def check_depth(key: str, depth: int) -> int:
    """Number of blocks for `depth` weight layers; ConfigError naming the nearest valid depths."""
    if valid_depth(depth):
        return (depth - EXTRA_LAYERS) // 3
    below = max(MIN_DEPTH, depth - (depth - EXTRA_LAYERS) % 3)
    nearest = sorted({below, below + 3} if depth > MIN_DEPTH else {MIN_DEPTH})
    raise ConfigError(
        f"resnet-deep {key}={depth} is impossible: it counts conv+linear layers, "
        f"3 per bottleneck block + {EXTRA_LAYERS}, so it must be one of {MIN_DEPTH}, "
        f"{MIN_DEPTH + 3}, {MIN_DEPTH + 6}, ...; nearest valid: "
        f"{', '.join(str(d) for d in nearest)}")


def stage_lengths(plain_blocks: int, low_resolution_last: bool) -> list[int]:
    """Split the plain blocks over three stages, the extra ones going to the smallest maps."""
    base, extra = divmod(plain_blocks, 3)
    lengths = [base] * 3
    order = (2, 1, 0) if low_resolution_last else (0, 1, 2)
    for index in order[:extra]:
        lengths[index] += 1
    return lengths


def bottleneck(layers: Layers, in_channels: int, out_channels: int,
               resample: str | None = None) -> Residual:
    """resample: None (identity shortcut), "down" (3x3 stride 2) or "up" (upsample before 3x3)."""
    mid_in, mid_out = in_channels // 2, out_channels // 2
    branch = [nn.ReLU(), layers.conv(in_channels, mid_in, 1), nn.ReLU()]
    if resample == "up":
        branch.append(nn.Upsample(scale_factor=2))
    branch += [layers.conv(mid_in, mid_out, 3, stride=2 if resample == "down" else 1), nn.ReLU(),
               layers.conv(mid_out, out_channels, 1), layers.norm2d(out_channels)]
    shortcut = None
    if resample == "down":
        shortcut = nn.Sequential(nn.AvgPool2d(2), layers.conv(in_channels, out_channels, 1))
    elif resample == "up":
        shortcut = nn.Sequential(nn.Upsample(scale_factor=2), layers.conv(in_channels, out_channels, 1))
    return Residual(nn.Sequential(*branch), shortcut, scale=RESIDUAL_SCALE)


def _check_width(width: int) -> None:
    if width % 2:
        raise ConfigError(f"resnet-deep width={width} must be even (bottlenecks halve it)")


def build_critic(layers: Layers, data_shape: tuple[int, ...], width: int, depth: int,
                 g_depth: int | None = None) -> Critic:
    """Stem conv3x3 -> w; stages at 32, 16, 8 (w, 2w, 4w) each closed by a down block;
    ReLU, linear 4*4*8w -> 1."""
    _check_width(width)
    blocks = check_depth("depth", depth)
    layers.check_attention("resnet-deep", CRITIC_ATTENTION_SIZES)
    channels, size = width, 32
    modules: list[nn.Module] = [layers.conv(data_shape[0], channels, 3)]
    modules += layers.attention_at(size, channels)
    for length in stage_lengths(blocks - RESAMPLE_BLOCKS, low_resolution_last=True):
        modules += [bottleneck(layers, channels, channels) for _ in range(length)]
        modules.append(bottleneck(layers, channels, 2 * channels, "down"))
        channels, size = 2 * channels, size // 2
        modules += layers.attention_at(size, channels)
    modules += [nn.ReLU(), nn.Flatten(), layers.linear(channels * size * size, 1)]
    return Critic(*modules, data_shape=data_shape)


def build_generator(layers: Layers, data_shape: tuple[int, ...], latent_dim: int, width: int,
                    depth: int, g_depth: int | None = None) -> Generator:
    """linear z -> 4x4x8w; up block then a stage at 8, 16, 32 (4w, 2w, w); norm, ReLU,
    conv3x3 -> C, tanh. Its layer count is g_depth (default: depth), same formula."""
    _check_width(width)
    blocks = check_depth("g_depth" if g_depth is not None else "depth",
                         depth if g_depth is None else g_depth)
    layers.check_attention("resnet-deep", GENERATOR_ATTENTION_SIZES)
    channels, size = 8 * width, 4
    modules: list[nn.Module] = [layers.linear(latent_dim, channels * size * size),
                                nn.Unflatten(1, (channels, size, size))]
    modules += layers.attention_at(size, channels)
    for length in stage_lengths(blocks - RESAMPLE_BLOCKS, low_resolution_last=False):
        modules.append(bottleneck(layers, channels, channels // 2, "up"))
        channels, size = channels // 2, size * 2
        modules += layers.attention_at(size, channels)
        modules += [bottleneck(layers, channels, channels) for _ in range(length)]
    modules += [layers.norm2d(channels), nn.ReLU(), layers.conv(channels, data_shape[0], 3), nn.Tanh()]
    return Generator(*modules, latent_dim=latent_dim, data_shape=data_shape)
