"""configs/toy-decisive.yaml: the nets and settings of WGAN-GP's toy script (gan_toy.py), checked against the
script's values: 3 ReLU layers of DIM = 512 then a linear output in each net, 2-d noise, batch 256,
CRITIC_ITERS 5, LAMBDA 0.1 with Adam 1e-4 (0.5, 0.9), and RMSProp 5e-5 with clipping at 0.01."""

from pathlib import Path

import pytest
from torch import nn

from suite.config import load_study
from suite.methods import resolve_method
from suite.models import build_models

STUDY = load_study(Path(__file__).resolve().parents[2] / "configs" / "toy-decisive.yaml")
DIM = 512


def run_of(method):
    return next(run for run in STUDY.runs if run.method_name == method)


def linear_shapes(net):
    return [tuple(module.weight.shape) for module in net.modules() if isinstance(module, nn.Linear)]


@pytest.mark.parametrize("method", ["wgan-gp-toy", "wgan-wc-toy", "wgan-gp-l10", "sngan-toy"])
def test_both_nets_are_three_relu_layers_of_512_and_a_linear_output(method):
    run = run_of(method)
    generator, critic = build_models(run.arch, resolve_method(run.method), (2,), run.latent_dim)
    assert run.latent_dim == 2  # tf.random_normal([n_samples, 2])
    assert linear_shapes(generator) == [(DIM, 2), (DIM, DIM), (DIM, DIM), (2, DIM)]
    assert linear_shapes(critic) == [(DIM, 2), (DIM, DIM), (DIM, DIM), (1, DIM)]
    for net in (generator, critic):
        assert sum(isinstance(module, nn.ReLU) for module in net.modules()) == 3
        assert not any(isinstance(module, (nn.BatchNorm1d, nn.LayerNorm)) for module in net.modules())
    # weights and biases: 2*512+512, twice 512*512+512, then 512*out+out
    hidden = (2 * DIM + DIM) + 2 * (DIM * DIM + DIM)
    assert sum(p.numel() for p in critic.parameters()) == hidden + DIM + 1 == 527_361
    assert sum(p.numel() for p in generator.parameters()) == hidden + 2 * DIM + 2 == 527_874


def test_the_methods_hold_the_scripts_settings():
    gp, wc = resolve_method(run_of("wgan-gp-toy").method), resolve_method(run_of("wgan-wc-toy").method)
    assert (gp.constraint, gp.gp_lambda, gp.n_dis, gp.optimizer, gp.lr_d, gp.lr_g, tuple(gp.betas)) == (
        "gp", 0.1, 5, "adam", 1e-4, 1e-4, (0.5, 0.9))
    assert (wc.constraint, wc.clip_value, wc.n_dis, wc.optimizer, wc.lr_d, wc.lr_g) == (
        "clip", 0.01, 5, "rmsprop", 5e-5, 5e-5)
    assert {gp.loss, wc.loss} == {"wasserstein"} and {gp.g_norm, wc.g_norm, gp.d_norm, wc.d_norm} == {"none"}


def test_every_run_trains_to_a_w1_plateau_on_the_three_toy_sets_with_the_scripts_batch():
    assert {run.data for run in STUDY.runs} == {"toy-8gaussians", "toy-25gaussians", "toy-swissroll"}
    for run in STUDY.runs:
        assert run.train["batch_size"] == 256 and run.train["plateau"]["metric"] == "w1"
        assert run.train["eval_every"] > 0 and run.train["iterations"] >= 10 * run.train["eval_every"]
