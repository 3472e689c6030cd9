"""Deep bottleneck ResNet after WGAN-GP's 101-layer net (Gulrajani et al. 2017, section 5.2 and
the authors' gan_64x64.py: ResnetGenerator, ResnetDiscriminator, BottleneckResidualBlock),
here for 32x32 images.

`depth` counts the conv + linear layers on the main path: the input layer, 3 per bottleneck
block and the output layer, so depth = 3 * blocks + 2 (101 = 1 + 33 x 3 + 1, as the authors
count). Shortcut projections and attention are not on the main path and not counted.

Block (pre-activation): ReLU, 1x1 to in/2, ReLU, 3x3 to out/2 (stride 2 when going down, a
stride-2 transposed 3x3 when going up), ReLU, 1x1 to out (no bias, as the authors'), norm; output = shortcut + 0.3 * branch.
The shortcut is the identity, a 1x1 stride-2 conv (down) or a 1x1 conv to 4x the channels then
pixel shuffle (up). Four resolutions (32, 16, 8, 4) instead of the authors' five (64 .. 4).
"""
from torch import nn

from suite.errors import ConfigError
from suite.models.layers import Critic, Generator, Layers, Residual

RESIDUAL_SCALE = 0.3
OUTPUT_SCALE = 0.2  # gan_64x64.py divides the critic's score and the generator's pre-tanh by 5
RESAMPLE_BLOCKS = 3  # 32 -> 16 -> 8 -> 4
MAIN_PATH_EXTRA = 2  # input and output layer
MIN_DEPTH = 3 * RESAMPLE_BLOCKS + MAIN_PATH_EXTRA
CRITIC_ATTENTION_SIZES = (32, 16, 8, 4)
GENERATOR_ATTENTION_SIZES = (4, 8, 16, 32)


class Scale(nn.Module):
    """x * factor, a fixed (not learned) scale."""

    def __init__(self, factor: float):
        super().__init__()
        self.factor = factor

    def forward(self, x):
        return x * self.factor

    def extra_repr(self) -> str:
        return f"factor={self.factor}"


def blocks_for(key: str, depth: int) -> int:
    """Bottleneck blocks for `depth` main-path layers; ConfigError naming the allowed form."""
    if depth >= MIN_DEPTH and (depth - MAIN_PATH_EXTRA) % 3 == 0:
        return (depth - MAIN_PATH_EXTRA) // 3
    below = max(MIN_DEPTH, depth - (depth - MAIN_PATH_EXTRA) % 3)
    nearest = sorted({below, below + 3} if depth > MIN_DEPTH else {MIN_DEPTH})
    raise ConfigError(
        f"resnet-deep {key}={depth} is impossible: it counts the main path's conv+linear layers "
        f"(input + 3 per bottleneck block + output), so it must be 3k + 2 with k >= "
        f"{RESAMPLE_BLOCKS} blocks ({MIN_DEPTH}, {MIN_DEPTH + 3}, ..., 101, ...); nearest valid: "
        f"{', '.join(str(d) for d in nearest)}")


def check_params(params: dict) -> None:
    """ConfigError for an odd width or an impossible depth, named by its key."""
    for key in ("width", "g_width", "d_width"):
        if params.get(key) is not None and params[key] % 2:
            raise ConfigError(f"resnet-deep {key}={params[key]} must be even (bottlenecks halve it)")
    for key in ("depth", "g_depth"):
        if params.get(key) is not None:
            blocks_for(key, params[key])


def stage_lengths(plain_blocks: int, low_resolution_last: bool) -> list[int]:
    """Split the plain blocks over the four stages, the extra ones going to the smallest maps
    (the authors' nets also give the largest map one block fewer)."""
    stages = RESAMPLE_BLOCKS + 1
    base, extra = divmod(plain_blocks, stages)
    lengths = [base] * stages
    order = range(stages - 1, -1, -1) if low_resolution_last else range(stages)
    for index in list(order)[:extra]:
        lengths[index] += 1
    return lengths


def bottleneck(layers: Layers, in_channels: int, out_channels: int,
               resample: str | None = None) -> Residual:
    """resample: None (identity shortcut), "down" or "up"."""
    mid_in, mid_out = in_channels // 2, out_channels // 2
    if resample == "up":
        middle = layers.conv_transpose(mid_in, mid_out, kernel_size=3)
    else:
        middle = layers.conv(mid_in, mid_out, 3, stride=2 if resample == "down" else 1)
    branch = nn.Sequential(nn.ReLU(), layers.conv(in_channels, mid_in, 1), nn.ReLU(), middle,
                           nn.ReLU(), layers.conv(mid_out, out_channels, 1, bias=False),
                           layers.norm2d(out_channels))
    shortcut = None
    if resample == "down":
        shortcut = layers.conv(in_channels, out_channels, 1, stride=2)
    elif resample == "up":
        shortcut = nn.Sequential(layers.conv(in_channels, 4 * out_channels, 1), nn.PixelShuffle(2))
    return Residual(branch, shortcut, scale=RESIDUAL_SCALE)


def build_critic(layers: Layers, data_shape: tuple[int, ...], width: int, depth: int) -> Critic:
    """Input conv1x1 -> w; stages at 32, 16, 8, 4 (w, 2w, 4w, 8w) joined by down blocks;
    linear 4*4*8w -> 1, scaled by 1/5."""
    blocks = blocks_for("depth", depth)
    layers.check_attention("resnet-deep", CRITIC_ATTENTION_SIZES)
    channels, size = width, 32
    modules: list[nn.Module] = [layers.conv(data_shape[0], channels, 1)]
    modules += layers.attention_at(size, channels)
    lengths = stage_lengths(blocks - RESAMPLE_BLOCKS, low_resolution_last=True)
    for stage, length in enumerate(lengths):
        modules += [bottleneck(layers, channels, channels) for _ in range(length)]
        if stage < RESAMPLE_BLOCKS:
            modules.append(bottleneck(layers, channels, 2 * channels, "down"))
            channels, size = 2 * channels, size // 2
            modules += layers.attention_at(size, channels)
    modules += [nn.Flatten(), layers.linear(channels * size * size, 1), Scale(OUTPUT_SCALE)]
    return Critic(*modules, data_shape=data_shape)


def build_generator(layers: Layers, data_shape: tuple[int, ...], latent_dim: int, width: int,
                    depth: int) -> Generator:
    """linear z -> 4x4x8w; stages at 4, 8, 16, 32 (8w, 4w, 2w, w) joined by up blocks;
    conv1x1 -> C, tanh(x / 5)."""
    blocks = blocks_for("depth", depth)
    layers.check_attention("resnet-deep", GENERATOR_ATTENTION_SIZES)
    channels, size = 8 * width, 4
    modules: list[nn.Module] = [layers.linear(latent_dim, channels * size * size),
                                nn.Unflatten(1, (channels, size, size))]
    modules += layers.attention_at(size, channels)
    lengths = stage_lengths(blocks - RESAMPLE_BLOCKS, low_resolution_last=False)
    for stage, length in enumerate(lengths):
        modules += [bottleneck(layers, channels, channels) for _ in range(length)]
        if stage < RESAMPLE_BLOCKS:
            modules.append(bottleneck(layers, channels, channels // 2, "up"))
            channels, size = channels // 2, size * 2
            modules += layers.attention_at(size, channels)
    modules += [layers.conv(channels, data_shape[0], 1), Scale(OUTPUT_SCALE), nn.Tanh()]
    return Generator(*modules, latent_dim=latent_dim, data_shape=data_shape)
