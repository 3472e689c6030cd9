"""WGAN-GP (Gulrajani et al., NeurIPS 2017): Figs. 1a, 1b and 3, sections 5.1, 5.2 and 5.5."""

from suite.claims.claim import Claim, Grid
from suite.claims.definitions.common import (ALL_TOYS, DCGAN, DEFAULT, FASHION, MLP12, OVERNIGHT, TEXT, TOY,
                                             TOY_DECISIVE, TOY_SCRIPT, scales)
from suite.claims.measures import (at_common, critic_w1_gap, edge_fraction, final_metric, gap_closed,
                                   gradient_growth, gradient_spread, per_run)
from suite.claims.runs import any_of, group
from suite.claims.successes import cell_success, paired_success

PAPER = "WGAN-GP (Gulrajani et al. 2017)"
FIG1B = "12-layer ReLU MLP critic (no batch norm) on the Swiss roll"

CLIP_01 = group("clipping c=0.1", TOY, MLP12, constraint="clip", clip_value=0.1)
CLIP_001 = group("clipping c=0.01", TOY, MLP12, constraint="clip", clip_value=0.01)
CLIP_0001 = group("clipping c=0.001", TOY, MLP12, constraint="clip", clip_value=0.001)
GP_TOY = group("gradient penalty", TOY, MLP12, constraint="gp")
GROWTH = per_run("log10(grad norm at input layer / at output layer), mean over diagnostics records",
                 gradient_growth)
FIG1A_NEEDS = ("toy-8gaussians, toy-25gaussians and toy-swissroll x the toy script's nets (mlp depth 4, width 512) "
               "x {preset: wgan-wc} and {preset: wgan-gp, gp_lambda: 0.1}, and critic_fit.steps > 0: each run's "
               "critic trained alone against real data + unit Gaussian noise")
TOY_NEEDS = "toy-swissroll x mlp12 (depth 12, width 512) x clipping c 0.1/0.01/0.001 and GP"

GP_ADAM = group("WGAN-GP, Adam", FASHION, DCGAN, constraint="gp", optimizer="adam", d_norm="none", setting=None)
GP_RMSPROP = group("WGAN-GP, RMSProp", FASHION, DCGAN, constraint="gp", optimizer="rmsprop", d_norm="none", setting=None)
CLIP_RMSPROP = group("weight clipping, RMSProp", FASHION, DCGAN, constraint="clip", optimizer="rmsprop", setting=None)
DCGAN_BN = group("DCGAN (batch norm)", FASHION, DCGAN, loss="ns", d_norm="bn", constraint="none", setting=None)

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
        groups=(group("clipping c=0.01 (RMSProp 5e-5)", ALL_TOYS, TOY_SCRIPT, constraint="clip", clip_value=0.01),
                group("gradient penalty (lambda 0.1)", ALL_TOYS, TOY_SCRIPT, constraint="gp", gp_lambda=0.1)),
        measure=per_run("|critic W1 estimate / its Lipschitz constant - exact W1 (optimal transport)| / exact W1",
                        critic_w1_gap),
        no_effect=0.0, direction=+1,
        ours="the W1 gap as the measure of the structure a critic captures; the toy script's critic (3 ReLU "
             "layers of 512) and its two modes (clipping at 0.01 with RMSProp, the penalty at lambda 0.1 with "
             "Adam), the three toy sets pooled",
        grids=(*scales(needs=FIG1A_NEEDS), ("paper", Grid(TOY_DECISIVE, 3, FIG1A_NEEDS))),
        figure="critic value surfaces"),
    Claim(
        id="wgan-gp-fig3-same-optimizer",
        source=f"{PAPER}, Fig. 3 and section 5.3",
        statement="Even with the same optimizer (RMSProp) as weight clipping, WGAN-GP converges faster and to a "
                  "better score per generator iteration.",
        groups=(GP_RMSPROP, CLIP_RMSPROP), measure=at_common("domain_fid", "step"),
        no_effect=0.0, direction=-1, improving_metric="domain_fid", diverged_is_worst=True,
        ours="domain FID on Fashion-MNIST (lower is better) instead of the Inception score on CIFAR-10",
        grids=scales(needs="method wgan-gp-rmsprop: {preset: wgan-gp, optimizer: rmsprop, lr_d: 5.0e-5, "
                           "lr_g: 5.0e-5} beside wgan-wc on dcgan, equal iterations"),
        figure="curve"),
    Claim(
        id="wgan-gp-fig3-adam",
        source=f"{PAPER}, Fig. 3 and section 5.3",
        statement="WGAN-GP with Adam reaches a better score than weight clipping at equal generator iterations.",
        groups=(GP_ADAM, CLIP_RMSPROP), measure=at_common("domain_fid", "step"),
        no_effect=0.0, direction=-1, improving_metric="domain_fid", diverged_is_worst=True,
        ours="domain FID on Fashion-MNIST instead of the Inception score on CIFAR-10",
        grids=scales(), figure="curve"),
    Claim(
        id="wgan-gp-fig3-slower-than-dcgan",
        source=f"{PAPER}, Fig. 3 right and section 5.3",
        statement="WGAN-GP converges more slowly in wall-clock time than DCGAN: at equal training seconds its "
                  "score is worse.",
        groups=(GP_ADAM, DCGAN_BN), measure=at_common("domain_fid", "cpu_seconds"),
        no_effect=0.0, direction=+1, improving_metric="domain_fid", diverged_is_worst=True,
        ours="domain FID on Fashion-MNIST instead of the Inception score on CIFAR-10",
        grids=scales(), figure="curve"),
]


# Sections 5.1 and 5.2: success counts over architectures. The paper judged success by eye
# (5.2) and by an Inception score threshold on 32x32 ImageNet (5.1). Ours, set before any run of
# these grids: domain FID on Fashion-MNIST below the geometric mean of two floors measured with
# the study's domain classifier at the same n_gen and n_ref (`python -m suite floors`;
# docs/wgan-gp-archs.md has the method): held-out real images (the best any generator can do) and
# real images of the single class that scores best (a generator collapsed onto one garment, drawn
# perfectly).
FLOORS = {  # (n_gen, n_ref): (real-data floor, one-class collapse)
    (256, 256): (15.605, 415.24),
    (1000, 1000): (3.062, 395.27),
    (2000, 10000): (0.968, 394.57),
}
SWEEP = (0.25, 0.375, 0.5, 0.625, 0.75)  # thresholds at floor * (collapse / floor) ** t; the claim uses 0.5


def success_thresholds(fraction: float) -> dict[tuple[int, int], float]:
    """Per (n_gen, n_ref), the threshold a `fraction` of the way from the real-data floor to the
    collapse floor on a log scale (0.5: their geometric mean)."""
    return {counts: floor * (collapse / floor) ** fraction for counts, (floor, collapse) in FLOORS.items()}


CLAIM_FRACTION = 0.5  # the claims' threshold: the geometric mean of the two floors
THRESHOLDS = success_thresholds(CLAIM_FRACTION)
SUCCESS_RULE = ("success = domain FID below the geometric mean of the real-data floor and the one-class "
                "collapse floor (" + ", ".join(f"{value:.1f} at n_gen {n_gen} with n_ref {n_ref}"
                                               for (n_gen, n_ref), value in THRESHOLDS.items())
                + "); a diverged run fails")
FIG2_FAMILIES = ("wgangp-dcgan", "wgangp-g-constant", "wgangp-g-mlp", "wgangp-no-norm", "wgangp-gated",
                 "wgangp-tanh")
DEEP_RESNET = "resnet-deep-101"


def fig2_cell(record: dict) -> str | None:
    """The Fig. 2 architecture a run trains (a variant family or the 101-layer ResNet), else None."""
    arch = record.get("arch") or {}
    if arch.get("family") in FIG2_FAMILIES:
        return arch["family"]
    if arch.get("family") == "resnet-deep" and arch.get("depth") == 101:
        return DEEP_RESNET
    return None


def random_cell(record: dict) -> str | None:
    """The random draw a run trains (with its width divisor: another divisor is another net), else None."""
    arch = record.get("arch") or {}
    if arch.get("family") != "random":
        return None
    return f"draw {arch['draw']} / {arch['width_divisor']}"


FIG2_NEEDS = ("fashion32 x the six wgangp-* variants (and resnet-deep depth 101 at paper scale) x wgan-gp-ln, "
              "dcgan-bn, lsgan (loss lsgan, RMSprop 1e-4, n_dis 1) and wgan-wc with d_norm bn, seeds paired "
              "across methods")
RANDOM_NEEDS = "fashion32 x {family: random, draw: k} for many k x dcgan-bn and wgan-gp, seeds paired"
ARCHS_PAPER = "configs/wgan-gp-archs-paper.yaml"


def _archs_scales(needs: str, small: int, overnight: int, paper: int):
    return (("cpu-small", Grid(DEFAULT, small, needs)), ("cpu-overnight", Grid(OVERNIGHT, overnight, needs)),
            ("paper", Grid(ARCHS_PAPER, paper, needs)))


FIG2 = {"family": any_of(*FIG2_FAMILIES, "resnet-deep")}  # fig2_cell keeps resnet-deep at depth 101 only
GP_FIG2 = group("WGAN-GP", FASHION, FIG2, loss="wasserstein", constraint="gp")
FIG2_RIVALS = {
    "dcgan": group("DCGAN (non-saturating loss)", FASHION, FIG2, loss="ns", constraint="none"),
    "lsgan": group("LSGAN (least squares)", FASHION, FIG2, loss="lsgan", constraint="none"),
    "wgan-wc": group("WGAN weight clipping", FASHION, FIG2, loss="wasserstein", constraint="clip"),
}
FIG2_PAIRED = paired_success(f"WGAN-GP's success rate minus the other's over paired (Fig. 2 architecture, seed) "
                             f"runs", "domain_fid", THRESHOLDS, fig2_cell)
RANDOM = {"family": "random"}

CLAIMS += [
    Claim(
        id="wgan-gp-5.2-every-variant",
        source=f"{PAPER}, section 5.2 and Fig. 2",
        statement="WGAN-GP trains every architecture of Fig. 2: the DCGAN baseline, no BN and constant filters in "
                  "G, a 4-layer 512-unit MLP G, no normalization, gated units, tanh units and the 101-layer "
                  "ResNet.",
        groups=(GP_FIG2,),
        measure=cell_success("success rate of WGAN-GP in its worst Fig. 2 architecture", "domain_fid", THRESHOLDS,
                             fig2_cell),
        no_effect=0.5, direction=+1, test_kind="worst-cell", improving_metric="domain_fid",
        ours="'trains' read as succeeding in more than half the seeds of every architecture: in each cell the "
             "one-sided exact binomial test of a success rate above 1/2, the claim holding only when every cell's "
             "does (an intersection-union test: its p is the largest cell p; it can reproduce the claim or leave "
             f"it open, never contradict it); {SUCCESS_RULE}",
        grids=_archs_scales(FIG2_NEEDS, small=3, overnight=6, paper=3),
        figure="fig2_grid"),
    *[Claim(
        id=f"wgan-gp-5.2-beats-{rival}",
        source=f"{PAPER}, section 5.2 and Fig. 2",
        statement=f"Over the Fig. 2 architectures WGAN-GP succeeds more often than {other.label}, each method "
                  "with its own recommended optimizer.",
        groups=(GP_FIG2, other), measure=FIG2_PAIRED, no_effect=0.0, direction=+1, test_kind="mcnemar",
        improving_metric="domain_fid", ours=SUCCESS_RULE,
        grids=_archs_scales(FIG2_NEEDS, small=3, overnight=6, paper=3), figure="success")
      for rival, other in FIG2_RIVALS.items()],
    Claim(
        id="wgan-gp-5.1-random-architectures",
        source=f"{PAPER}, section 5.1 and Table 2",
        statement="Over random architectures (nonlinearity, depth, batch norm and filter count drawn for G and D "
                  "apart), WGAN-GP trains more of them than the standard GAN.",
        groups=(group("WGAN-GP", FASHION, RANDOM, loss="wasserstein", constraint="gp"),
                group("standard GAN (non-saturating)", FASHION, RANDOM, loss="ns", constraint="none")),
        measure=paired_success("WGAN-GP's success rate minus the standard GAN's over paired (draw, seed) runs",
                               "domain_fid", THRESHOLDS, random_cell),
        no_effect=0.0, direction=+1, test_kind="mcnemar", improving_metric="domain_fid",
        ours=f"{SUCCESS_RULE}; the success table over the thresholds {', '.join(map(str, SWEEP))} of the way "
             "(log scale) from floor to collapse is the figure",
        grids=_archs_scales(RANDOM_NEEDS, small=1, overnight=6, paper=1),
        figure="success"),
]


# Section 5.5, "Modeling discrete data with a continuous generator": a character-level language GAN whose
# generator's softmax goes to the critic as is. The paper: "We were unable to produce comparable results with
# the standard GAN objective, though we do not claim that doing so is impossible", and why: "a discriminator
# might quickly learn to reject all samples that don't lie on V_n^T (sequences of one-hot vectors) and give
# meaningless gradients to the generator", while with the gradient penalty "the Lipschitz constraint forces the
# critic to provide a linear gradient from all of the simplex towards the real points". Both nets are the
# paper's 1-d conv ResNets (text-resnet, no normalization, as gan_language.py), the same for both objectives.
TEXT_RESNET = {"family": "text-resnet"}
TEXT_GP = group("WGAN-GP", TEXT, TEXT_RESNET, loss="wasserstein", constraint="gp")
TEXT_STANDARD = group("standard GAN (non-saturating)", TEXT, TEXT_RESNET, loss="ns", constraint="none")
TEXT_NEEDS = "text-fortunes x text-resnet x wgan-gp and the standard GAN loss (ns, no constraint), same optimizer"
TEXT_SCALES = (("cpu-overnight", Grid(OVERNIGHT, 6, TEXT_NEEDS)),)

CLAIMS += [
    Claim(
        id="wgan-gp-5.5-standard-gan-learns-little",
        source=f"{PAPER}, section 5.5 and Table 4",
        statement="With the standard GAN objective, a continuous (softmax) generator of character sequences learns "
                  "nothing useful: the discriminator tells one-hot from softmax output and gives meaningless "
                  "gradients to the generator.",
        groups=(TEXT_STANDARD,),
        measure=per_run("share of the 4-gram JS gap from the untrained generator to the real-data floor that "
                        "training closed", gap_closed("js4")),
        no_effect=0.5, direction=-1,
        ours="'learns nothing useful' read as closing less than half of the way from the run's untrained generator "
             "to the real-data floor on the 4-gram JS divergence (1 would be real text, 0 no progress); a diverged "
             "run closes nothing",
        grids=TEXT_SCALES, figure="text samples"),
    Claim(
        id="wgan-gp-5.5-gp-beats-standard-on-text",
        source=f"{PAPER}, section 5.5 and Table 4",
        statement="A WGAN-GP character-level language model learns the statistics of language that the standard "
                  "GAN objective, on the same generator and critic, does not: its 4-gram JS divergence to held-out "
                  "text is lower.",
        groups=(TEXT_GP, TEXT_STANDARD),
        measure=per_run("4-gram JS divergence (bits) of generated to held-out text", final_metric("js4")),
        no_effect=0.0, direction=-1, diverged_is_worst=True,
        ours="'comparable results' read as the 4-gram JS divergence (the language model's own monitor in the "
             "authors' code), on the Debian fortunes corpus instead of the Billion Word data set",
        grids=TEXT_SCALES, figure="text samples"),
]
