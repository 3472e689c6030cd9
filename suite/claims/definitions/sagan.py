"""SAGAN (Zhang et al., ICML 2019): section 4, Fig. 3 (SN in G, TTUR, 1:1 updates, wall clock) and Table 1
(where attention goes, and attention against residual blocks of equal parameters)."""

from suite.claims.claim import Claim
from suite.claims.definitions.common import DCGAN, FASHION, scales
from suite.claims.measures import at_common, final_metric, per_run
from suite.claims.runs import Group, any_of, group

PAPER = "SAGAN (Zhang et al. 2019)"
NO_ATTENTION = {"loss": "hinge", "constraint": "none", "d_norm": "sn", "g_attention": None, "d_attention": None}

SN_D = group("SN on D, 1:1, lr 1e-4", FASHION, DCGAN, **NO_ATTENTION, g_norm="bn", n_dis=1, lr_d=1e-4, lr_g=1e-4)
SN_GD = group("SN on G and D, 1:1, lr 1e-4", FASHION, DCGAN, **NO_ATTENTION, g_norm="sn+bn", n_dis=1,
              lr_d=1e-4, lr_g=1e-4)
SN_GD_TTUR = group("SN on G and D + TTUR (4e-4 / 1e-4), 1:1", FASHION, DCGAN, **NO_ATTENTION, g_norm="sn+bn",
                   n_dis=1, lr_d=4e-4, lr_g=1e-4)
SN_GD_5 = group("SN on G and D, 5:1, lr 1e-4", FASHION, DCGAN, **NO_ATTENTION, g_norm="sn+bn", n_dis=5,
                lr_d=1e-4, lr_g=1e-4)
OURS = "domain FID on Fashion-MNIST at cpu scale instead of FID on ImageNet 128x128"
SAGAN_TTUR = {"loss": "hinge", "constraint": "none", "d_norm": "sn", "g_norm": "sn+bn", "n_dis": 1,
              "lr_d": 4e-4, "lr_g": 1e-4}
# A run record leaves attention_block out while it is "attention" (runs recorded before the field had none).
ATTENTION = any_of("attention", None)


def blocks_at(size: int, block: str) -> Group:
    """SAGAN with its attention (or the residual control) at the size x size maps of G and D."""
    kind = "attention" if block == "attention" else "residual blocks"
    return group(f"{kind} at {size}x{size} maps in G and D", FASHION, DCGAN, **SAGAN_TTUR, g_attention=size,
                 d_attention=size, attention_block=ATTENTION if block == "attention" else block)


ATTENTION_AT_8, ATTENTION_AT_16, ATTENTION_AT_32 = (blocks_at(size, "attention") for size in (8, 16, 32))
RESIDUAL_AT_8, RESIDUAL_AT_16, RESIDUAL_AT_32 = (blocks_at(size, "residual") for size in (8, 16, 32))
FINAL_FID = per_run("final domain FID", final_metric("domain_fid"))
NEEDS = ("methods sagan-fig3-snd, sagan-fig3-sngd, sagan-fig3-ttur (1:1) and sagan-fig3-sngd-5to1 on dcgan, "
         "equal generator iterations, curves every eval")


def attention_beats_residual(size: int, paper_maps: str, attention: Group, residual: Group) -> Claim:
    """Table 1's control at one map size: attention against a residual block of equal parameters there."""
    return Claim(
        id=f"sagan-table1-attention-beats-residual-at-{size}",
        source=f"{PAPER}, section 5.2 and Table 1",
        statement="Self-attention gives better results than residual blocks with the same number of parameters "
                  f"in the same place: here at the {size}x{size} feature maps of G and D.",
        groups=(attention, residual), measure=FINAL_FID, no_effect=0.0, direction=-1,
        improving_metric="domain_fid", diverged_is_worst=True,
        ours=(f"{OURS}; {size}x{size} stands for the paper's {paper_maps}; the residual block (ours: the paper "
              "gives no layout) is x + gamma * h(relu(g(relu(f(x))))) with the attention's 1x1 convs, "
              "parameter count and zero-initialised gamma"),
        grids=scales(small=None, needs=f"methods sagan-attention-{size} and sagan-residual-{size} on dcgan"),
        figure="curve")


CLAIMS = [
    Claim(
        id="sagan-fig3-sn-in-g",
        source=f"{PAPER}, section 4.1 and Fig. 3",
        statement="With 1:1 balanced updates, spectral normalization in both G and D trains better than SN in D "
                  "only, at equal generator iterations.",
        groups=(SN_GD, SN_D), measure=at_common("domain_fid", "step"), no_effect=0.0, direction=-1,
        improving_metric="domain_fid", diverged_is_worst=True, ours=OURS, grids=scales(needs=NEEDS), figure="curve"),
    Claim(
        id="sagan-fig3-ttur",
        source=f"{PAPER}, section 4.2 and Fig. 3",
        statement="Adding TTUR (D learning rate 4e-4, G 1e-4) to SN in G and D improves further at 1:1 updates "
                  "and equal generator iterations.",
        groups=(SN_GD_TTUR, SN_GD), measure=at_common("domain_fid", "step"), no_effect=0.0, direction=-1,
        improving_metric="domain_fid", diverged_is_worst=True, ours=OURS, grids=scales(needs=NEEDS), figure="curve"),
    Claim(
        id="sagan-ttur-wallclock",
        source=f"{PAPER}, section 4.2",
        statement="TTUR with one D step per G step produces better results than 5 D steps per G step given the "
                  "same wall-clock time.",
        groups=(SN_GD_TTUR, SN_GD_5), measure=at_common("domain_fid", "cpu_seconds"), no_effect=0.0, direction=-1,
        improving_metric="domain_fid", diverged_is_worst=True, ours=OURS, grids=scales(needs=NEEDS), figure="curve"),
    Claim(
        id="sagan-table1-attention-at-larger-maps",
        source=f"{PAPER}, section 5.2 and Table 1",
        statement="Self-attention placed at the larger feature maps gives better samples than at the smallest: "
                  "at 128x128 the paper's feat32 and feat64 beat feat8 and feat16.",
        groups=(ATTENTION_AT_32, ATTENTION_AT_8), measure=FINAL_FID,
        no_effect=0.0, direction=-1, improving_metric="domain_fid", diverged_is_worst=True,
        ours=(f"{OURS}; the 32x32 nets reach maps of 8, 16 and 32, so the largest (32) stands for the paper's "
              "feat32/feat64 and the smallest (8) for feat8; the paper's control, a residual block of equal "
              "parameters in the attention's place, is tested by the sagan-table1-attention-beats-residual-at-8, "
              "-at-16 and -at-32 claims"),
        grids=scales(small=None, needs="methods sagan-attention-8 and sagan-attention-32 on dcgan"), figure="curve"),
    attention_beats_residual(8, "feat8", ATTENTION_AT_8, RESIDUAL_AT_8),
    attention_beats_residual(16, "feat16", ATTENTION_AT_16, RESIDUAL_AT_16),
    attention_beats_residual(32, "feat32/feat64", ATTENTION_AT_32, RESIDUAL_AT_32),
]
