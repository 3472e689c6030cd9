"""Methods as data: the parts a GAN stabilization method is composed of."""
from suite.methods.attention import SelfAttention
from suite.methods.spectral_norm import is_spectral_normed, spectral_norm, spectral_sigmas

__all__ = [
    "SelfAttention",
    "is_spectral_normed",
    "spectral_norm",
    "spectral_sigmas",
]
