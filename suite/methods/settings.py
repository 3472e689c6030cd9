"""SN-GAN's optimizer settings A-F as data: Adam's learning rate and betas, and n_dis.

Miyato et al. 2018 (ICLR), Table 1 ("Hyper-parameter settings we tested in our experiments"):
A follows WGAN-GP (Gulrajani et al. 2017), B Warde-Farley & Bengio (2017), C DCGAN (Radford et
al. 2016); D, E and F are the "more aggressive learning rates" of section 4. The paper trains
every critic regularizer of its Figs. 1-2 under each setting, with one learning rate for G and D.
"""

from __future__ import annotations

from dataclasses import dataclass

from suite.errors import ConfigError


@dataclass(frozen=True)
class Setting:
    """One row of SN-GAN Table 1: Adam's alpha (for G and D alike), (beta1, beta2) and n_dis."""

    lr: float
    beta1: float
    beta2: float
    n_dis: int

    def method_fields(self) -> dict:
        """The method fields this setting fixes (optimizer adam, lr_d = lr_g = alpha)."""
        return {"optimizer": "adam", "lr_d": self.lr, "lr_g": self.lr,
                "betas": (self.beta1, self.beta2), "n_dis": self.n_dis}


# SN-GAN (Miyato et al. 2018), Table 1.
SETTINGS: dict[str, Setting] = {
    "A": Setting(lr=1e-4, beta1=0.5, beta2=0.9, n_dis=5),
    "B": Setting(lr=1e-4, beta1=0.5, beta2=0.999, n_dis=1),
    "C": Setting(lr=2e-4, beta1=0.5, beta2=0.999, n_dis=1),
    "D": Setting(lr=1e-3, beta1=0.5, beta2=0.9, n_dis=5),
    "E": Setting(lr=1e-3, beta1=0.5, beta2=0.999, n_dis=5),
    "F": Setting(lr=1e-3, beta1=0.9, beta2=0.999, n_dis=5),
}

# The fields a setting fixes; a method that names a setting may not give them too.
SETTING_FIELDS = ("optimizer", "lr_d", "lr_g", "betas", "n_dis")

# A study grid with `settings: [A, D]` names the method `<method>+A`, `<method>+D` (a run-folder
# and rule-name safe character).
SEPARATOR = "+"


def setting(name) -> Setting:
    """The setting called `name`; ConfigError naming the allowed ones otherwise."""
    if not isinstance(name, str) or name not in SETTINGS:
        raise ConfigError(f"setting {name!r} is unknown; allowed: {', '.join(SETTINGS)} (SN-GAN Table 1)")
    return SETTINGS[name]


def setting_method_name(method: str, name: str) -> str:
    """The name a grid gives `method` trained under setting `name`: `sngan+D`."""
    return f"{method}{SEPARATOR}{name}"
