"""A method is data: `MethodSpec` composes a loss, a critic constraint, norms, optimizers, schedules."""
import dataclasses
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from numbers import Real

from suite.errors import ConfigError
from suite.methods.losses import LOSSES
from suite.methods.settings import SETTING_FIELDS, SETTINGS, setting
from suite.plugins import allowed_text, names_a_part

ALLOWED: dict[str, tuple] = {
    "loss": tuple(LOSSES),
    "constraint": ("none", "clip", "gp", "gp-fd", "ortho"),
    "d_norm": ("none", "bn", "ln", "sn", "wn"),
    "g_norm": ("bn", "sn+bn", "none"),
    "optimizer": ("adam", "rmsprop"),
    "fd_pairs": ("independent", "same"),
    "lr_schedule": ("constant", "linear"),
    "n_dis_schedule": ("constant", "wgan"),
    "attention_block": ("attention", "residual"),
}

# Fields a user's own part may fill (suite.plugins), beside the shipped names of ALLOWED.
USER_PART_FIELDS = ("loss", "constraint", "d_norm")

# A method composed without a preset must name these; the others have defaults.
REQUIRED = ("loss", "constraint", "d_norm", "g_norm", "optimizer", "lr_d", "lr_g", "n_dis")

_GRADIENT_PENALTIES = ("gp", "gp-fd")
_MULTIPLIER_NORMS = ("bn", "ln", "wn")  # the critic norms with a learned multiplier gamma

# SN-GAN adds Brock et al.'s term ||W^T W - I||_F^2 to the objective as it is (Miyato et al. 2018,
# section 3, Eq. 14: "augmented the adversarial objective function by adding the following term");
# neither section 4 nor the appendix names another coefficient, so 1. docs/methods.md says more.
ORTHO_LAMBDA = 1.0

# Fields added after runs were recorded, with the value those runs had: `to_dict` leaves such a field
# out while it holds that value, so the earlier runs keep their run.yaml and config hash.
OMITTED_AT_DEFAULT = {"attention_block": "attention"}


@dataclass(frozen=True, kw_only=True)
class MethodSpec:
    """The parts of a GAN stabilization method; validated on construction."""

    loss: str
    constraint: str
    clip_value: float = 0.01
    gp_lambda: float = 10.0
    one_sided: bool = False
    fd_pairs: str = "independent"
    ortho_lambda: float = ORTHO_LAMBDA
    d_norm: str
    d_norm_affine: bool = True
    g_norm: str
    power_iterations: int = 1
    g_attention: int | None = None
    d_attention: int | None = None
    attention_block: str = "attention"
    optimizer: str
    lr_d: float
    lr_g: float
    betas: tuple[float, float] = (0.0, 0.9)
    lr_schedule: str = "constant"
    n_dis: int
    n_dis_schedule: str = "constant"
    setting: str | None = None

    def __post_init__(self):
        for field, allowed in ALLOWED.items():
            value = getattr(self, field)
            if value not in allowed and not (field in USER_PART_FIELDS and names_a_part(field, value)):
                own = f", {allowed_text(field)}" if field in USER_PART_FIELDS else ""
                raise ConfigError(f"{field} {value!r} is not allowed; allowed: {', '.join(allowed)}{own}")
        for field in ("lr_d", "lr_g", "clip_value", "ortho_lambda"):
            self._set(field, _positive(field, getattr(self, field)))
        self._set("gp_lambda", _number("gp_lambda", self.gp_lambda, minimum=0.0))
        self._set("betas", _betas(self.betas))
        self._set("n_dis", _int_at_least("n_dis", self.n_dis, 1))
        self._set("power_iterations", _int_at_least("power_iterations", self.power_iterations, 1))
        for field in ("one_sided", "d_norm_affine"):
            if not isinstance(getattr(self, field), bool):
                raise ConfigError(f"{field} must be true or false, got {getattr(self, field)!r}")
        for field in ("g_attention", "d_attention"):
            value = getattr(self, field)
            if value is not None:
                self._set(field, _int_at_least(field, value, 1))
        if self.constraint in _GRADIENT_PENALTIES and self.d_norm == "bn":
            warnings.warn(
                f"constraint {self.constraint!r} with d_norm 'bn': batch norm mixes examples, "
                "which breaks the per-example gradient penalty (allowed, as in the peers)",
                UserWarning, stacklevel=3)
        if self.setting is not None:
            self._check_setting()

    def _check_setting(self) -> None:
        """A record that names a setting holds that setting's optimizer fields (run.yaml stays truthful)."""
        fixed = setting(self.setting).method_fields()
        differing = [field for field, value in fixed.items() if getattr(self, field) != value]
        if differing:
            wanted = ", ".join(f"{field} {fixed[field]!r}" for field in differing)
            raise ConfigError(f"setting {self.setting} fixes {wanted}; remove the conflicting field(s) "
                              "or the setting")

    def _set(self, field: str, value) -> None:
        object.__setattr__(self, field, value)

    def to_dict(self) -> dict:
        """Plain JSON-ready mapping (betas as a list, without the OMITTED_AT_DEFAULT fields that hold
        their default); `resolve_method` accepts it back."""
        record = dataclasses.asdict(self)
        record["betas"] = list(self.betas)
        for field, default in OMITTED_AT_DEFAULT.items():
            if record[field] == default:
                del record[field]
        return record


FIELDS: tuple[str, ...] = tuple(field.name for field in dataclasses.fields(MethodSpec))


def _number(field: str, value, minimum: float = float("-inf")) -> float:
    if isinstance(value, bool) or not isinstance(value, Real):
        hint = " (YAML reads 1e-4 as text; write 1.0e-4)" if isinstance(value, str) else ""
        raise ConfigError(f"{field} must be a number, got {value!r}{hint}")
    if not value >= minimum:
        raise ConfigError(f"{field} must be >= {minimum}, got {value!r}")
    return float(value)


def _positive(field: str, value) -> float:
    value = _number(field, value)
    if not value > 0.0:
        raise ConfigError(f"{field} must be > 0, got {value!r}")
    return value


def _int_at_least(field: str, value, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError(f"{field} must be an integer >= {minimum}, got {value!r}")
    return value


def _betas(value) -> tuple[float, float]:
    if isinstance(value, (str, bytes)) or not hasattr(value, "__len__") or len(value) != 2:
        raise ConfigError(f"betas must be two numbers [b1, b2] in [0, 1), got {value!r}")
    betas = tuple(_number("betas", beta, minimum=0.0) for beta in value)
    if any(beta >= 1.0 for beta in betas):
        raise ConfigError(f"betas must lie in [0, 1), got {list(value)!r}")
    return betas


_ADAM_GP = dict(loss="wasserstein", constraint="gp", gp_lambda=10.0, g_norm="bn",
                optimizer="adam", lr_d=1e-4, lr_g=1e-4, betas=(0.0, 0.9), n_dis=5)

PRESETS: dict[str, MethodSpec] = {
    "wgan-wc": MethodSpec(loss="wasserstein", constraint="clip", clip_value=0.01, d_norm="none",
                          g_norm="bn", optimizer="rmsprop", lr_d=5e-5, lr_g=5e-5, n_dis=5),
    "wgan-gp": MethodSpec(**_ADAM_GP, d_norm="none"),
    "wgan-gp-ln": MethodSpec(**_ADAM_GP, d_norm="ln"),
    "wgan-gp-fd": MethodSpec(**{**_ADAM_GP, "constraint": "gp-fd"}, d_norm="none"),
    "sngan": MethodSpec(loss="hinge", constraint="none", d_norm="sn", g_norm="bn",
                        optimizer="adam", lr_d=2e-4, lr_g=2e-4, betas=(0.0, 0.9), n_dis=5),
    "dcgan-bn": MethodSpec(loss="ns", constraint="none", d_norm="bn", g_norm="bn",
                           optimizer="adam", lr_d=2e-4, lr_g=2e-4, betas=(0.5, 0.999), n_dis=1),
    "sagan": MethodSpec(loss="hinge", constraint="none", d_norm="sn", g_norm="sn+bn",
                        g_attention=16, d_attention=16, optimizer="adam", lr_d=4e-4, lr_g=1e-4,
                        betas=(0.0, 0.9), n_dis=1),
}

# The critic regularizers of SN-GAN's settings study (Miyato et al. 2018, section 4.1, Figs. 1-2),
# beside `wgan-gp` above: all on the standard (non-saturating) GAN loss, clipping at c = 0.01 and the
# penalty at lambda = 10 as there, and "the multiplier parameter gamma" removed from BN, LN and WN.
# Their optimizer fields are setting C's (Table 1); a study crosses them with settings A-F.
_STANDARD_GAN = dict(loss="ns", g_norm="bn", **SETTINGS["C"].method_fields())
PRESETS |= {
    "gan-wc": MethodSpec(**_STANDARD_GAN, constraint="clip", clip_value=0.01, d_norm="none"),
    "gan-gp": MethodSpec(**_STANDARD_GAN, constraint="gp", gp_lambda=10.0, d_norm="none"),
    "gan-bn": MethodSpec(**_STANDARD_GAN, constraint="none", d_norm="bn", d_norm_affine=False),
    "gan-ln": MethodSpec(**_STANDARD_GAN, constraint="none", d_norm="ln", d_norm_affine=False),
    "gan-wn": MethodSpec(**_STANDARD_GAN, constraint="none", d_norm="wn", d_norm_affine=False),
    "gan-ortho": MethodSpec(**_STANDARD_GAN, constraint="ortho", d_norm="none"),
    "gan-sn": MethodSpec(**_STANDARD_GAN, constraint="none", d_norm="sn"),
}
SETTINGS_STUDY_METHODS = ("gan-wc", "gan-gp", "wgan-gp", "gan-bn", "gan-ln", "gan-wn", "gan-ortho", "gan-sn")

# Per arch family, the fields in which a preset differs from its base entry above. SN-GAN trains
# its ResNet with Adam 2e-4, betas (0, 0.9), n_dis 5 (the base `sngan`), but its standard CNN
# under the settings A-F of its Table 1 (Miyato et al. 2018); setting C (2e-4, (0.5, 0.999),
# n_dis 1) is the one the authors' lab ships for its SN-DCGAN (pfnet-research/chainer-gan-lib,
# example.sh). WGAN-GP's 64x64 ResNets (its 101-layer net among them) normalize the critic with
# layer norm, as batch norm would break the per-example penalty (igul222/improved_wgan_training,
# gan_64x64.py, `Normalize`). docs/methods.md says why.
_LAYER_NORM_CRITIC = {"resnet-deep": dict(d_norm="ln")}
FAMILY_PRESETS: dict[str, dict[str, dict]] = {
    "sngan": {"dcgan": dict(lr_d=2e-4, lr_g=2e-4, betas=(0.5, 0.999), n_dis=1)},
    "wgan-gp": _LAYER_NORM_CRITIC,
    "wgan-gp-fd": _LAYER_NORM_CRITIC,
}


def ignored_fields(spec: MethodSpec) -> dict[str, str]:
    """Field -> why `spec` never reads it (its constraint, optimizer or norms leave it unused)."""
    ignored = {}
    if spec.constraint != "clip":
        ignored["clip_value"] = f"only constraint clip reads it, this method's constraint is {spec.constraint!r}"
    if spec.constraint not in _GRADIENT_PENALTIES:
        for field in ("gp_lambda", "one_sided"):
            ignored[field] = (f"only constraints gp and gp-fd read it, "
                              f"this method's constraint is {spec.constraint!r}")
    if spec.constraint != "gp-fd":
        ignored["fd_pairs"] = f"only constraint gp-fd reads it, this method's constraint is {spec.constraint!r}"
    if spec.constraint != "ortho":
        ignored["ortho_lambda"] = f"only constraint ortho reads it, this method's constraint is {spec.constraint!r}"
    if spec.d_norm not in _MULTIPLIER_NORMS:
        ignored["d_norm_affine"] = (f"only critic norms with a multiplier ({', '.join(_MULTIPLIER_NORMS)}) read "
                                    f"it, this method's d_norm is {spec.d_norm!r}")
    if spec.optimizer != "adam":
        ignored["betas"] = f"only optimizer adam has betas, this method's optimizer is {spec.optimizer!r}"
    if spec.g_attention is None and spec.d_attention is None:
        ignored["attention_block"] = ("only a method with g_attention or d_attention places a block, this "
                                      "method has both null")
    if spec.d_norm != "sn" and spec.g_norm != "sn+bn":
        ignored["power_iterations"] = ("only spectral norm reads it (d_norm sn or g_norm sn+bn), this "
                                       f"method has d_norm {spec.d_norm!r} and g_norm {spec.g_norm!r}")
    return ignored


def resolve_method(entry, family: str | None = None) -> MethodSpec:
    """A preset name, `{preset: name, <field>: override...}`, or a mapping of all parts.

    `setting: <A-F>` in a mapping sets optimizer adam and the lr, betas and n_dis of that row of
    SN-GAN Table 1 (suite.methods.settings); giving any of those fields beside it is refused.

    `family` (an arch family) selects the preset's per-family entry in FAMILY_PRESETS. A field
    given explicitly that the resolved method ignores is refused, and so is optimizer adam
    without betas from the entry or from an adam preset. A complete record (every field, as
    `MethodSpec.to_dict` writes it into a run spec) is taken as it is.
    """
    if isinstance(entry, MethodSpec):
        return entry
    if isinstance(entry, str):
        return _preset(entry, family)
    if not isinstance(entry, Mapping):
        raise ConfigError(f"a method is a preset name or a mapping of its parts, got {entry!r}")
    unknown = sorted(set(entry) - set(FIELDS) - {"preset"})
    if unknown:
        raise ConfigError(f"unknown method field(s) {', '.join(map(repr, unknown))}; "
                          f"allowed: preset, {', '.join(FIELDS)}")
    parts = {key: value for key, value in entry.items() if key != "preset"}
    if "preset" not in entry and set(FIELDS) - set(OMITTED_AT_DEFAULT) <= set(parts):
        return MethodSpec(**parts)
    parts = _with_setting(parts)
    if "preset" in entry:
        base = _preset(entry["preset"], family)
        spec = dataclasses.replace(base, **parts)
        adam_betas = base.optimizer == "adam"
    else:
        missing = [field for field in REQUIRED if field not in parts]
        if missing:
            raise ConfigError(f"a method without `preset` must give {', '.join(REQUIRED)}; "
                              f"missing: {', '.join(missing)}")
        spec = MethodSpec(**parts)
        adam_betas = False
    _refuse_ignored(spec, parts)
    if spec.optimizer == "adam" and "betas" not in parts and not adam_betas:
        source = f"preset {entry['preset']!r} uses rmsprop" if "preset" in entry else "no preset gives them"
        raise ConfigError(f"optimizer adam needs betas ({source}): give betas: [beta1, beta2]")
    return spec


def _with_setting(parts: dict) -> dict:
    """`parts` with the optimizer fields of its `setting` (SN-GAN Table 1) filled in; a setting and
    any field it fixes given together are refused."""
    name = parts.get("setting")
    if name is None:
        return parts
    fixed = setting(name).method_fields()
    conflicting = [field for field in SETTING_FIELDS if field in parts]
    if conflicting:
        raise ConfigError(f"setting {name} fixes {', '.join(SETTING_FIELDS)}; remove "
                          f"{', '.join(conflicting)} or the setting")
    return {**parts, **fixed}


def _refuse_ignored(spec: MethodSpec, parts: dict) -> None:
    ignored = ignored_fields(spec)
    for field in parts:
        if field in ignored:
            raise ConfigError(f"{field} is ignored by this method: {ignored[field]}; remove it")


def _preset(name, family: str | None = None) -> MethodSpec:
    if not isinstance(name, str) or name not in PRESETS:
        raise ConfigError(f"unknown method preset {name!r}; allowed: {', '.join(PRESETS)}")
    overrides = FAMILY_PRESETS.get(name, {}).get(family)
    return dataclasses.replace(PRESETS[name], **overrides) if overrides else PRESETS[name]
