"""Methods as data: the parts a GAN stabilization method is composed of."""
from suite.methods.attention import SelfAttention
from suite.methods.losses import critic_loss, generator_loss
from suite.methods.optim import make_optimizers
from suite.methods.penalties import (
    apply_critic_constraint,
    clip_parameters,
    critic_penalty,
    finite_difference_penalty,
    gradient_penalty,
    orthonormal_penalty,
)
from suite.methods.schedules import critic_steps, lr_factor, set_learning_rates, total_critic_steps
from suite.methods.spec import (
    ALLOWED,
    FAMILY_PRESETS,
    FIELDS,
    PRESETS,
    REQUIRED,
    SETTINGS_STUDY_METHODS,
    MethodSpec,
    ignored_fields,
    resolve_method,
)
from suite.methods.settings import SETTINGS, Setting
from suite.methods.spectral_norm import is_spectral_normed, spectral_norm, spectral_sigmas

__all__ = [
    "ALLOWED",
    "FAMILY_PRESETS",
    "FIELDS",
    "PRESETS",
    "REQUIRED",
    "SETTINGS",
    "SETTINGS_STUDY_METHODS",
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
]
