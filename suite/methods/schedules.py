"""Schedules over generator iterations: critic steps per iteration and the learning-rate factor.

Both are pure functions of the iteration index, so a resumed run follows the same schedule as an
uninterrupted one without any scheduler state in the checkpoint.
"""
import torch

from suite.methods.spec import MethodSpec

# WGAN's reference code (Arjovsky et al. 2017, martinarjovsky/WassersteinGAN main.py): 100 critic
# steps while fewer than 25 generator iterations are done, and at every 500th; opt.Diters otherwise.
WGAN_BURST_STEPS = 100
WGAN_BURST_FIRST = 25
WGAN_BURST_EVERY = 500


def critic_steps(spec: MethodSpec, step: int) -> int:
    """Critic steps in the generator iteration that starts after `step` generator iterations."""
    if spec.n_dis_schedule == "wgan" and (step < WGAN_BURST_FIRST or step % WGAN_BURST_EVERY == 0):
        return WGAN_BURST_STEPS
    return spec.n_dis


def total_critic_steps(spec: MethodSpec, steps: int) -> int:
    """Critic steps taken in the first `steps` generator iterations."""
    return sum(critic_steps(spec, step) for step in range(steps))


def lr_factor(spec: MethodSpec, step: int, total: int) -> float:
    """Multiplier of lr_d and lr_g in iteration `step` of `total`: 1, or 1 - step/total (linear to 0)."""
    if spec.lr_schedule == "linear":
        return max(0.0, 1.0 - step / total)
    return 1.0


def set_learning_rates(spec: MethodSpec, opt_g: torch.optim.Optimizer, opt_d: torch.optim.Optimizer,
                       step: int, total: int) -> None:
    """Set both optimizers' rates for iteration `step` of `total` (before its first critic step)."""
    factor = lr_factor(spec, step, total)
    for optimizer, base in ((opt_g, spec.lr_g), (opt_d, spec.lr_d)):
        for group in optimizer.param_groups:
            group["lr"] = base * factor
