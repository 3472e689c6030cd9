"""Methods as data: the parts a GAN stabilization method is composed of."""
from suite.methods.attention import SelfAttention
from suite.methods.losses import LOSSES, Loss, critic_loss, generator_loss, user_loss
from suite.methods.optim import make_optimizers
from suite.methods.penalties import (
    apply_critic_constraint,
    clip_parameters,
    critic_penalty,
    finite_difference_penalty,
    gradient_penalty,
    orthonormal_penalty,
    user_constraint,
)
from suite.methods.schedules import critic_steps, lr_factor, set_learning_rates, total_critic_steps
from suite.methods.spec import (
    ALLOWED,
    FAMILY_PRESETS,
    FIELDS,
    PRESETS,
    REQUIRED,
    SETTINGS_STUDY_METHODS,
    USER_PART_FIELDS,
    MethodSpec,
    ignored_fields,
    resolve_method,
)
from suite.methods.settings import SETTINGS, Setting
from suite.methods.spectral_norm import is_spectral_normed, spectral_norm, spectral_sigmas
from suite.plugins import UserPart


def user_parts(spec: MethodSpec) -> dict[str, UserPart]:
    """The loss and constraint of `spec` that come from the user's own code (field -> part), loaded and
    checked; an own `d_norm` is built, and so loaded, by the models (suite.models.user_norm)."""
    found = {"loss": user_loss(spec.loss), "constraint": user_constraint(spec.constraint)}
    return {field: part for field, part in found.items() if part is not None}


__all__ = [
    "ALLOWED",
    "FAMILY_PRESETS",
    "FIELDS",
    "LOSSES",
    "Loss",
    "PRESETS",
    "REQUIRED",
    "SETTINGS",
    "SETTINGS_STUDY_METHODS",
    "USER_PART_FIELDS",
    "MethodSpec",
    "SelfAttention",
    "Setting",
    "apply_critic_constraint",
    "clip_parameters",
    "critic_loss",
    "critic_penalty",
    "critic_steps",
    "finite_difference_penalty",
    "generator_loss",
    "gradient_penalty",
    "ignored_fields",
    "is_spectral_normed",
    "lr_factor",
    "make_optimizers",
    "orthonormal_penalty",
    "resolve_method",
    "set_learning_rates",
    "spectral_norm",
    "spectral_sigmas",
    "total_critic_steps",
    "user_constraint",
    "user_loss",
    "user_parts",
]
