"""ReLU multilayer perceptrons, as in WGAN-GP's toy experiments (512 wide; Fig. 1b uses a
12-layer critic). `depth` counts the linear layers, the output layer included.

Inputs of any shape are flattened, so an MLP also runs on images; its generator ends in
tanh for images ([C, H, W]) and is linear for vector (toy) data.
"""
import math

from torch import nn

from suite.models.layers import Critic, Generator, Layers


def _hidden_stack(layers: Layers, in_features: int, width: int, depth: int) -> list[nn.Module]:
    """depth - 1 hidden (linear, norm, ReLU) layers."""
    modules: list[nn.Module] = []
    for _ in range(depth - 1):
        modules += [layers.linear(in_features, width), layers.norm1d(width), nn.ReLU()]
        in_features = width
    return modules


def build_critic(layers: Layers, data_shape: tuple[int, ...], width: int, depth: int) -> Critic:
    """Flatten, depth - 1 hidden layers of `width`, linear -> 1."""
    layers.check_attention("mlp", ())
    features = math.prod(data_shape)
    modules = [nn.Flatten(), *_hidden_stack(layers, features, width, depth)]
    modules.append(layers.linear(width if depth > 1 else features, 1))
    return Critic(*modules, data_shape=data_shape)


def build_generator(layers: Layers, data_shape: tuple[int, ...], latent_dim: int, width: int,
                    depth: int) -> Generator:
    """depth - 1 hidden layers of `width`, linear -> data."""
    layers.check_attention("mlp", ())
    features = math.prod(data_shape)
    modules = _hidden_stack(layers, latent_dim, width, depth)
    modules.append(layers.linear(width if depth > 1 else latent_dim, features))
    if len(data_shape) == 3:
        modules.append(nn.Tanh())
    modules.append(nn.Unflatten(1, tuple(data_shape)))
    return Generator(*modules, latent_dim=latent_dim, data_shape=data_shape)
