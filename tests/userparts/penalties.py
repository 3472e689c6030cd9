"""R1 (Mescheder et al. 2018): gamma / 2 * E_real ||grad_x D(x)||^2, as a user writes it."""
import torch

GAMMA = 10.0


def r1(critic, real, fake):
    real = real.detach().requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(real).sum(), real, create_graph=True)
    return GAMMA / 2 * grad.flatten(1).square().sum(1).mean()
