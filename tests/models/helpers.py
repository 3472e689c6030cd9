"""Tiny architectures and method specs shared by the model tests."""
from suite.methods import resolve_method

# Tiny but complete versions of each family (resnet-deep at its smallest depth).
TINY_ARCHS = {
    "dcgan": {"family": "dcgan", "width": 4},
    "resnet": {"family": "resnet", "width": 8},
    "resnet-deep": {"family": "resnet-deep", "width": 4, "depth": 14},
    "mlp": {"family": "mlp", "width": 16, "depth": 4},
}
IMAGE_FAMILIES = ("dcgan", "resnet", "resnet-deep")


def make_spec(d_norm="none", g_norm="bn", d_attention=None, g_attention=None):
    """A real MethodSpec (sngan preset: no gradient penalty) with the four fields models read."""
    return resolve_method({"preset": "sngan", "d_norm": d_norm, "g_norm": g_norm,
                           "d_attention": d_attention, "g_attention": g_attention})


def data_shape_for(family, channels=3):
    return (2,) if family == "mlp" else (channels, 32, 32)
