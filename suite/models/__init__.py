"""Architecture families (docs/internals.md, Models): a registry and one call that builds G and D.

    generator, critic = build_models({"family": "dcgan", "width": 64}, spec, (1, 32, 32))

`spec` is a MethodSpec; only its d_norm, g_norm, g_attention and d_attention are read, and by a
family with `critic_reads_method` (the random architectures) the whole spec.
An arch key `k` (width, depth) sets both nets; `g_k` / `d_k`, when given, override it for the
generator / the critic alone. A family's `recorded` keys are derived from its params (the random
family's drawn factors): the resolved arch holds them, so run.yaml shows them, and an arch that
states one must state the derived value.
"""
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from torch import nn

from suite.errors import ConfigError
from suite.plugins import UserPart, allowed_text, load_part, names_a_part
from suite.runspec import net_params
from suite.models import dcgan, mlp, random_arch, resnet, resnet_deep, text_resnet, variants
from suite.models.layers import (CRITIC_NORMS, GENERATOR_NORMS, Critic, Generator,
                                 count_main_path_layers, count_weight_layers, critic_layers,
                                 generator_layers, user_norm)

IMAGE_SIZE = 32


@dataclass(frozen=True)
class Param:
    """One integer key of an arch mapping; nullable keys take None to mean "as the critic"."""

    default: int | None
    minimum: int
    description: str
    nullable: bool = False

    def json_schema(self) -> dict:
        return {"type": ["integer", "null"] if self.nullable else "integer",
                "minimum": self.minimum, "default": self.default,
                "description": self.description}


@dataclass(frozen=True)
class ArchFamily:
    """A family's builders and the keys its arch mapping accepts (besides `family`)."""

    name: str
    description: str
    build_generator: Callable[..., Generator]
    build_critic: Callable[..., Critic]
    params: dict[str, Param] = field(default_factory=dict)
    images_only: bool = True
    check: Callable[[dict], None] | None = None
    critic_reads_method: bool = False
    recorded: Callable[[dict], dict] | None = None
    recorded_values: dict[str, tuple] = field(default_factory=dict)


def _net_widths(width: Param) -> dict[str, Param]:
    """width plus its per-net overrides g_width and d_width (null: width)."""
    return {"width": width,
            "g_width": Param(None, width.minimum, "the generator's width (null: width)", nullable=True),
            "d_width": Param(None, width.minimum, "the critic's width (null: width)", nullable=True)}


# gan_64x64.py: DIM = 64 for every Fig. 2 variant.
_VARIANT_WIDTHS = _net_widths(Param(64, 1, "d: G's 4x4 map and D's last conv have 4d channels"))

ARCHS: dict[str, ArchFamily] = {
    "dcgan": ArchFamily(
        "dcgan", "SN-GAN standard CNN: 7 convs + linear critic (lReLU 0.1), deconv generator",
        dcgan.build_generator, dcgan.build_critic,
        _net_widths(Param(64, 1, "base width w: the critic's widest conv and the generator's "
                                 "4x4 map have 8w channels"))),
    "resnet": ArchFamily(
        "resnet", "SN-GAN CIFAR ResNet: critic of 4 residual blocks (2 down), generator of 3 up blocks",
        resnet.build_generator, resnet.build_critic,
        _net_widths(Param(128, 1, "channels of every residual block (SN-GAN: 256 in G, 128 in D)"))),
    "resnet-deep": ArchFamily(
        "resnet-deep", "bottleneck ResNet, residual branch x0.3; depth=101 is WGAN-GP's 101-layer net",
        resnet_deep.build_generator, resnet_deep.build_critic,
        {**_net_widths(Param(16, 2, "even; stage widths are w, 2w, 4w and 8w at 4x4")),
         "depth": Param(101, resnet_deep.MIN_DEPTH,
                        "main-path conv+linear layers of each net = 3 * bottleneck blocks + 2"),
         "g_depth": Param(None, resnet_deep.MIN_DEPTH, "generator layers, same rule (null: depth)",
                          nullable=True)},
        check=resnet_deep.check_params),
    "mlp": ArchFamily(
        "mlp", "ReLU MLPs (WGAN-GP toy nets); any data shape, flattened",
        mlp.build_generator, mlp.build_critic,
        {"width": Param(512, 1, "hidden units of both nets"),
         "depth": Param(4, 1, "critic linear layers, the output layer included"),
         "g_width": Param(None, 1, "hidden units of the generator (null: width)", nullable=True),
         "g_depth": Param(None, 1, "generator linear layers (null: depth)", nullable=True)},
        images_only=False),
    **{name: ArchFamily(name, description, build_generator, build_critic, params)
       for name, description, build_generator, build_critic, params in (
           ("wgangp-dcgan", "WGAN-GP Fig. 2 baseline: the authors' DCGAN G and D at 32x32 (5x5 convs, "
            "lReLU 0.2 in D)", variants.baseline_generator, variants.baseline_critic, _VARIANT_WIDTHS),
           ("wgangp-g-constant", "WGAN-GP Fig. 2: G without norm and with d filters in every layer; "
            "DCGAN D", variants.constant_no_norm_generator, variants.baseline_critic, _VARIANT_WIDTHS),
           ("wgangp-g-mlp", "WGAN-GP Fig. 2: G a 4-layer 512-unit ReLU MLP; DCGAN D",
            variants.mlp_no_norm_generator, variants.baseline_critic,
            {"width": _VARIANT_WIDTHS["width"],
             "g_width": Param(variants.MLP_UNITS, 1, "hidden units of the MLP generator")}),
           ("wgangp-no-norm", "WGAN-GP Fig. 2: DCGAN G and D without any normalization",
            variants.no_norm_generator, variants.no_norm_critic, _VARIANT_WIDTHS),
           ("wgangp-gated", "WGAN-GP Fig. 2: gated multiplicative units sigmoid(a)*tanh(b) in G and D",
            variants.gated_generator, variants.gated_critic, _VARIANT_WIDTHS),
           ("wgangp-tanh", "WGAN-GP Fig. 2: tanh nonlinearities everywhere in G and D",
            variants.tanh_generator, variants.tanh_critic, _VARIANT_WIDTHS))},
    "text-resnet": ArchFamily(
        "text-resnet", "WGAN-GP section 5.5 language model: 1-d conv ResNets (5 blocks of two kernel-5 convs, "
                       "residual x0.3), softmax G, linear-out D; text data only",
        text_resnet.build_generator, text_resnet.build_critic,
        {**_net_widths(Param(512, 1, "channels of every residual block (gan_language.py: DIM = 512)")),
         "blocks": Param(text_resnet.BLOCKS, 1, "residual blocks in each net (gan_language.py: 5)")},
        images_only=False),
    "random": ArchFamily(
        "random", "WGAN-GP section 5.1: draw k of the random space (nonlinearity, depth, norm, filters "
                  "per net)", random_arch.build_generator, random_arch.build_critic,
        {"draw": Param(0, 0, "which draw of the seeded space (the same nets for every method)"),
         "width_divisor": Param(1, 1, "divide the drawn filter counts by this (CPU-sized nets)")},
        critic_reads_method=True, recorded=lambda params: random_arch.draw_factors(params["draw"]),
        recorded_values=random_arch.RECORDED_VALUES),
}


_BUILDER_ARGUMENTS = {"build_generator": ("layers", "data_shape", "latent_dim"),
                      "build_critic": ("layers", "data_shape")}


def check_family(value, where: str) -> None:
    """ConfigError unless `value` is an ArchFamily whose builders take their arguments and its params.
    What the nets output is checked on a batch where the study loads (config), with the data's shape."""
    if not isinstance(value, ArchFamily):
        raise ConfigError(f"{where} is a {type(value).__name__}, not an ArchFamily; allowed: "
                          "suite.models.ArchFamily(name, description, build_generator, build_critic, params)")
    defaults = {key: param.default for key, param in value.params.items()}
    for builder, arguments in _BUILDER_ARGUMENTS.items():
        try:
            inspect.signature(getattr(value, builder)).bind(*arguments, **defaults)
        except (TypeError, ValueError):
            keys = "".join(f", {key}" for key in defaults)
            raise ConfigError(f"{where}: {builder} cannot be called as {builder}({', '.join(arguments)}{keys}); "
                              f"allowed: {builder}({', '.join(arguments)}, <one keyword per param>)") from None


def user_family(name: str) -> UserPart | None:
    """The user's arch family `name`, loaded and checked; None for a shipped family."""
    return None if name in ARCHS else load_part("family", name, check_family)


def resolve_family(name) -> ArchFamily:
    if name in ARCHS:
        return ARCHS[name]
    if not names_a_part("family", name):
        raise ConfigError(f"arch family {name!r} is unknown; allowed: {', '.join(ARCHS)}, {allowed_text('family')}")
    return user_family(name).value


def resolve_arch(arch: Mapping) -> tuple[ArchFamily, dict]:
    """The family and its complete, checked params (defaults filled in) for an arch mapping."""
    if not isinstance(arch, Mapping):
        raise ConfigError(f"arch must be a mapping with a 'family' key, got {arch!r}")
    name = arch.get("family")
    family = resolve_family(name)
    params = {}
    for key, param in family.params.items():
        value = arch.get(key, param.default)
        valid_int = isinstance(value, int) and not isinstance(value, bool) and value >= param.minimum
        if not (valid_int or (value is None and param.nullable)):
            what = f"an int >= {param.minimum}" + (" or null" if param.nullable else "")
            raise ConfigError(f"arch {name}: {key}={value!r} is invalid; it must be {what}")
        params[key] = value
    recorded = family.recorded(params) if family.recorded is not None else {}
    unknown = sorted(set(arch) - {"family"} - set(family.params) - set(recorded))
    if unknown:
        allowed = ", ".join(["family", *family.params])
        raise ConfigError(f"arch key(s) {', '.join(unknown)} unknown for family {name}; "
                          f"allowed: {allowed}")
    stated = {key: arch[key] for key in recorded if key in arch and arch[key] != recorded[key]}
    if stated:
        key, value = next(iter(stated.items()))
        raise ConfigError(f"arch {name}: {key}={value!r} contradicts the params, which give "
                          f"{recorded[key]!r}; leave {key} out (it is derived, not set)")
    if family.check is not None:
        family.check(params)
    return family, {**params, **recorded}


def arch_json_schema() -> dict:
    """JSON schema of an arch mapping (one alternative per family), for the config schema."""
    return {"oneOf": [
        {"type": "object", "description": family.description, "required": ["family"],
         "additionalProperties": False,
         "properties": {"family": {"const": name},
                        **{key: param.json_schema() for key, param in family.params.items()},
                        **{key: {"enum": list(values), "description": "derived from the params"}
                           for key, values in family.recorded_values.items()}}}
        for name, family in ARCHS.items()]}


def _check_shapes(family: ArchFamily, data_shape, latent_dim) -> tuple[int, ...]:
    shape = tuple(data_shape)
    if not shape or not all(isinstance(d, int) and d >= 1 for d in shape):
        raise ConfigError(f"data_shape must be a tuple of positive ints, got {data_shape!r}")
    if family.images_only and (len(shape) != 3 or shape[1:] != (IMAGE_SIZE, IMAGE_SIZE)):
        raise ConfigError(f"arch {family.name} needs images of shape (C, {IMAGE_SIZE}, "
                          f"{IMAGE_SIZE}), got {shape}; use the mlp family for other data")
    if isinstance(latent_dim, bool) or not isinstance(latent_dim, int) or latent_dim < 1:
        raise ConfigError(f"latent_dim must be a positive int, got {latent_dim!r}")
    return shape


def build_models(arch: Mapping, spec, data_shape: tuple, latent_dim: int = 128
                 ) -> tuple[Generator, Critic]:
    """(generator, critic): G(z [N, latent_dim]) -> [N, *data_shape], D(x) -> [N]."""
    family, params = resolve_arch(arch)
    shape = _check_shapes(family, data_shape, latent_dim)
    d_layers, g_layers = critic_layers(spec), generator_layers(spec)
    built = {key: params[key] for key in family.params}
    generator = family.build_generator(g_layers, shape, latent_dim, **net_params(built, "g"))
    method = {"method": spec} if family.critic_reads_method else {}
    critic = family.build_critic(d_layers, shape, **net_params(built, "d"), **method)
    return generator, critic


def _parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def describe(arch: Mapping, spec, data_shape: tuple, latent_dim: int = 128) -> dict:
    """Family, resolved params, and per net the parameter count, the conv+linear layer count
    and the main-path count (shortcuts and attention left out)."""
    family, params = resolve_arch(arch)
    generator, critic = build_models(arch, spec, data_shape, latent_dim)
    return {"family": family.name, "params": params,
            "g_parameters": _parameter_count(generator),
            "d_parameters": _parameter_count(critic),
            "g_weight_layers": count_weight_layers(generator),
            "d_weight_layers": count_weight_layers(critic),
            "g_main_path_layers": count_main_path_layers(generator),
            "d_main_path_layers": count_main_path_layers(critic)}


__all__ = ["ARCHS", "ArchFamily", "CRITIC_NORMS", "Critic", "GENERATOR_NORMS", "Generator",
           "Param", "arch_json_schema", "build_models", "check_family", "count_main_path_layers",
           "count_weight_layers", "describe", "net_params", "resolve_arch", "resolve_family", "user_family",
           "user_norm"]
