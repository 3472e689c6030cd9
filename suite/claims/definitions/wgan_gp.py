"""WGAN-GP (Gulrajani et al., NeurIPS 2017): Figs. 1a, 1b and 3."""

from suite.claims.claim import Claim
from suite.claims.definitions.common import DCGAN, FASHION, MLP12, TOY, TOYS, scales
from suite.claims.measures import (at_common, critic_w1_gap, edge_fraction, gradient_growth,
                                   gradient_spread, per_run)
from suite.claims.runs import group

PAPER = "WGAN-GP (Gulrajani et al. 2017)"
FIG1B = "12-layer ReLU MLP critic (no batch norm) on the Swiss roll"

CLIP_01 = group("clipping c=0.1", TOY, MLP12, constraint="clip", clip_value=0.1)
CLIP_001 = group("clipping c=0.01", TOY, MLP12, constraint="clip", clip_value=0.01)
CLIP_0001 = group("clipping c=0.001", TOY, MLP12, constraint="clip", clip_value=0.001)
GP_TOY = group("gradient penalty", TOY, MLP12, constraint="gp")
GROWTH = per_run("log10(grad norm at input layer / at output layer), mean over diagnostics records",
                 gradient_growth)
TOY_NEEDS = "toy-swissroll x mlp12 (depth 12, width 512) x clipping c 0.1/0.01/0.001 and GP"

GP_ADAM = group("WGAN-GP, Adam", FASHION, DCGAN, constraint="gp", optimizer="adam", d_norm="none")
GP_RMSPROP = group("WGAN-GP, RMSProp", FASHION, DCGAN, constraint="gp", optimizer="rmsprop", d_norm="none")
CLIP_RMSPROP = group("weight clipping, RMSProp", FASHION, DCGAN, constraint="clip", optimizer="rmsprop")
DCGAN_BN = group("DCGAN (batch norm)", FASHION, DCGAN, loss="ns", d_norm="bn", constraint="none")

CLAIMS = [
    Claim(
        id="wgan-gp-fig1b-clip-explodes",
        source=f"{PAPER}, Fig. 1b left",
        statement=f"With weight clipping at c = 0.1 the per-layer gradient norms of a {FIG1B} explode: "
                  "they grow from the last layer to the first.",
        groups=(CLIP_01,), measure=GROWTH, no_effect=0.0, direction=+1,
        grids=scales(needs=TOY_NEEDS), figure="grad_norms"),
    Claim(
        id="wgan-gp-fig1b-clip-vanishes-c0.01",
        source=f"{PAPER}, Fig. 1b left",
        statement=f"With weight clipping at c = 0.01 the per-layer gradient norms of a {FIG1B} vanish: "
                  "they shrink from the last layer to the first.",
        groups=(CLIP_001,), measure=GROWTH, no_effect=0.0, direction=-1,
        grids=scales(needs=TOY_NEEDS), figure="grad_norms"),
    Claim(
        id="wgan-gp-fig1b-clip-vanishes-c0.001",
        source=f"{PAPER}, Fig. 1b left",
        statement=f"With weight clipping at c = 0.001 the per-layer gradient norms of a {FIG1B} vanish.",
        groups=(CLIP_0001,), measure=GROWTH, no_effect=0.0, direction=-1,
        grids=scales(needs=TOY_NEEDS), figure="grad_norms"),
    Claim(
        id="wgan-gp-fig1b-gp-flat",
        source=f"{PAPER}, Fig. 1b left",
        statement=f"With the gradient penalty the per-layer gradient norms of a {FIG1B} neither vanish nor explode.",
        groups=(GP_TOY,),
        measure=per_run("orders of magnitude spanned by the per-layer gradient norms "
                        "(log10 max/min), mean over records", gradient_spread),
        no_effect=1.0, direction=-1, ours="'neither vanish nor explode' read as within one order of magnitude",
        grids=scales(needs=TOY_NEEDS), figure="grad_norms"),
    Claim(
        id="wgan-gp-fig1b-weights-pile",
        source=f"{PAPER}, Fig. 1b right",
        statement="Weight clipping (c = 0.01) pushes the critic's weights towards the two ends of the clipping "
                  "range; the gradient penalty does not.",
        groups=(CLIP_001, GP_TOY),
        measure=per_run("fraction of critic weights in the two outer bins (of 101) of the last weight histogram",
                        edge_fraction),
        no_effect=0.0, direction=+1, grids=scales(needs=TOY_NEEDS), figure="weights"),
    Claim(
        id="wgan-gp-fig1a-critic-surface",
        source=f"{PAPER}, Fig. 1a",
        statement="With the generator held at the real data plus Gaussian noise, critics trained with weight "
                  "clipping fail to capture the data's higher moments; critics trained with the gradient "
                  "penalty capture them.",
        groups=(group("clipping c=0.01", TOYS, MLP12, constraint="clip", clip_value=0.01),
                group("gradient penalty", TOYS, MLP12, constraint="gp")),
        measure=per_run("|critic W1 estimate / its Lipschitz constant - exact W1 (optimal transport)| / exact W1",
                        critic_w1_gap),
        no_effect=0.0, direction=+1, ours="the W1 gap as the measure of the structure a critic captures",
        grids=scales(needs="a critic-only run mode: generator fixed at real data + Gaussian noise, "
                           "writing critic_fit.json and the value surface"),
        figure="critic value surfaces"),
    Claim(
        id="wgan-gp-fig3-same-optimizer",
        source=f"{PAPER}, Fig. 3 and section 5.3",
        statement="Even with the same optimizer (RMSProp) as weight clipping, WGAN-GP converges faster and to a "
                  "better score per generator iteration.",
        groups=(GP_RMSPROP, CLIP_RMSPROP), measure=at_common("domain_fid", "step"),
        no_effect=0.0, direction=-1, improving_metric="domain_fid",
        ours="domain FID on Fashion-MNIST (lower is better) instead of the Inception score on CIFAR-10",
        grids=scales(needs="method wgan-gp-rmsprop: {preset: wgan-gp, optimizer: rmsprop, lr_d: 5.0e-5, "
                           "lr_g: 5.0e-5} beside wgan-wc on dcgan, equal iterations"),
        figure="curve"),
    Claim(
        id="wgan-gp-fig3-adam",
        source=f"{PAPER}, Fig. 3 and section 5.3",
        statement="WGAN-GP with Adam reaches a better score than weight clipping at equal generator iterations.",
        groups=(GP_ADAM, CLIP_RMSPROP), measure=at_common("domain_fid", "step"),
        no_effect=0.0, direction=-1, improving_metric="domain_fid",
        ours="domain FID on Fashion-MNIST instead of the Inception score on CIFAR-10",
        grids=scales(), figure="curve"),
    Claim(
        id="wgan-gp-fig3-slower-than-dcgan",
        source=f"{PAPER}, Fig. 3 right and section 5.3",
        statement="WGAN-GP converges more slowly in wall-clock time than DCGAN: at equal training seconds its "
                  "score is worse.",
        groups=(GP_ADAM, DCGAN_BN), measure=at_common("domain_fid", "seconds"),
        no_effect=0.0, direction=+1, improving_metric="domain_fid",
        ours="domain FID on Fashion-MNIST instead of the Inception score on CIFAR-10",
        grids=scales(), figure="curve"),
]
