"""Data, arch and config names the claim definitions share."""

from suite.claims.claim import Grid

TOY = "toy-swissroll"
TOYS = ("toy-8gaussians", "toy-swissroll")
ALL_TOYS = ("toy-8gaussians", "toy-25gaussians", "toy-swissroll")
FASHION = "fashion32"
TEXT = "text-fortunes"
CIFAR = "cifar10"
MLP12 = {"family": "mlp", "depth": 12}
DCGAN = {"family": "dcgan"}
# The nets of WGAN-GP's toy script (gan_toy.py): 3 ReLU layers of 512 and a linear output, in G and D alike
TOY_SCRIPT = {"family": "mlp", "depth": 4, "width": 512, "g_depth": None, "g_width": None}

# SN-GAN's own runs (the `sngan` preset and its n_dis variants): hinge loss, spectral norm in D only, batch
# norm in G, no attention, SN-GAN's learning rate 2e-4 for D and G (its standard CNN's setting C and its
# ResNet's), outside the settings study. Not SAGAN's runs: SN in G too (g_norm sn+bn), or, in the Fig. 3
# ablation's SN-in-D arm, learning rate 1e-4.
SNGAN_METHOD = dict(loss="hinge", constraint="none", d_norm="sn", g_norm="bn", g_attention=None, d_attention=None,
                    lr_d=2e-4, lr_g=2e-4, setting=None)

DEFAULT = "configs/default.yaml"
OVERNIGHT = "configs/claims.yaml"
CIFAR_PAPER = "configs/cifar10-paper.yaml"
SETTINGS_PAPER = "configs/sngan-settings-paper.yaml"
TOY_DECISIVE = "configs/toy-decisive.yaml"  # the toy claims' paper scale: the toy script's nets, to a plateau


def scales(small: int | None = 3, overnight: int | None = 6, paper: int | None = None, needs: str = "",
           paper_config: str = CIFAR_PAPER):
    """The (scale, Grid) pairs of a claim: seeds per group at cpu-small, cpu-overnight and paper scale."""
    pairs = [("cpu-small", DEFAULT, small), ("cpu-overnight", OVERNIGHT, overnight), ("paper", paper_config, paper)]
    return tuple((scale, Grid(config, seeds, needs)) for scale, config, seeds in pairs if seeds)
