"""Data, arch and config names the claim definitions share."""

from suite.claims.claim import Grid

TOY = "toy-swissroll"
TOYS = ("toy-8gaussians", "toy-swissroll")
FASHION = "fashion32"
CIFAR = "cifar10"
MLP12 = {"family": "mlp", "depth": 12}
DCGAN = {"family": "dcgan"}

DEFAULT = "configs/default.yaml"
OVERNIGHT = "configs/claims.yaml"
CIFAR_PAPER = "configs/cifar10-paper.yaml"
SETTINGS_PAPER = "configs/sngan-settings-paper.yaml"


def scales(small: int | None = 3, overnight: int | None = 5, paper: int | None = None, needs: str = "",
           paper_config: str = CIFAR_PAPER):
    """The (scale, Grid) pairs of a claim: seeds per group at cpu-small, cpu-overnight and paper scale."""
    pairs = [("cpu-small", DEFAULT, small), ("cpu-overnight", OVERNIGHT, overnight), ("paper", paper_config, paper)]
    return tuple((scale, Grid(config, seeds, needs)) for scale, config, seeds in pairs if seeds)
