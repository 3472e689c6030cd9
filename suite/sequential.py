"""Group-sequential seeds: looks at growing seed counts, alpha spent over them, Holm within a family.

A study with `sequential: {looks: [n_1, ..., n_K], alpha, spending}` judges its claims at each look k
on the seeds below n_k. The level a claim may spend over all looks is its family's Holm level; the
Lan-DeMets O'Brien-Fleming spending function (Lan & DeMets 1983, Biometrika 70:659) gives the part of
it spent by information fraction t = n_k / n_K:

    alpha*(t) = 2 - 2 Phi(z_{1 - alpha/2} / sqrt(t)),

so almost nothing is spent early and nearly the whole level is left for the last look. Look k tests
each claim at the increment alpha*(t_k) - alpha*(t_{k-1}) (`increments`). The increments sum to the
level, so by the union bound the chance of any false verdict over all looks is at most the level, for
any test whose p-value is valid at a fixed n: small-n t-tests and exact tests alike. The exact
group-sequential boundaries (`z_boundaries`, recursive integration of the Brownian score) are
less conservative at the last look only (at K = 3, one-sided 0.025: 1.993 against the increment's
2.075); they serve as the published reference the spending function is checked against.

Within a family, Holm's step-down runs as the graphical procedure of Maurer & Bretz (2013, Stat.
Biopharm. Res. 5:311): a claim rejected at any look passes its level on equally to the open claims,
which are then retested at every look so far with the larger level. Futility stops are non-binding:
they never change a boundary, so stopping a claim early only saves seeds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import optimize
from scipy import stats as sps

OBRIEN_FLEMING = "obrien-fleming"
SPENDING = (OBRIEN_FLEMING,)
FUTILITY_POWER = 0.1  # stop when even the interval's far end gives the last look less than this chance
GRID_POINTS = 4001  # points per look in the boundary integration: 4 decimals at K <= 5


def spent(fraction, alpha: float, spending: str = OBRIEN_FLEMING) -> np.ndarray:
    """The cumulative level spent by information fraction(s) in (0, 1]; alpha at 1."""
    if spending not in SPENDING:
        raise ValueError(f"spending function {spending!r} is unknown; allowed: {', '.join(SPENDING)}")
    t = np.asarray(fraction, dtype=float)
    if np.any((t <= 0) | (t > 1)):
        raise ValueError(f"information fractions must lie in (0, 1], got {t}")
    return 2.0 - 2.0 * sps.norm.cdf(sps.norm.ppf(1 - alpha / 2) / np.sqrt(t))


def fractions(looks) -> np.ndarray:
    """n_k / n_K of looks at seed counts n_1 < ... < n_K."""
    n = np.asarray(looks, dtype=float)
    if n.size == 0 or np.any(n <= 0) or np.any(np.diff(n) <= 0):
        raise ValueError(f"looks must be increasing positive seed counts, got {list(looks)}")
    return n / n[-1]


def increments(looks, alpha: float, spending: str = OBRIEN_FLEMING) -> np.ndarray:
    """The level each look tests at: alpha*(t_k) - alpha*(t_{k-1}); they sum to alpha."""
    return np.diff(spent(fractions(looks), alpha, spending), prepend=0.0)


def z_boundaries(looks, alpha: float, spending: str = OBRIEN_FLEMING) -> np.ndarray:
    """Exact one-sided group-sequential boundaries c_k: P_0(Z_j < c_j for j < k, Z_k >= c_k) equals the
    k-th spending increment, with Z_k the standardized statistic at information fraction t_k.

    The score S_k = Z_k sqrt(t_k) is Brownian motion at times t_k; the sub-density of S_k on the paths
    that have not crossed is carried from look to look by trapezoid integration on a grid."""
    t = fractions(looks)
    spend = increments(looks, alpha, spending)
    bounds = [float(sps.norm.isf(spend[0]))]
    lower = -8.0 * math.sqrt(t[-1])
    x = np.linspace(lower, bounds[0] * math.sqrt(t[0]), GRID_POINTS)
    density = sps.norm.pdf(x, scale=math.sqrt(t[0]))
    for k in range(1, len(t)):
        step = math.sqrt(t[k] - t[k - 1])
        weights = np.full(x.size, x[1] - x[0])
        weights[[0, -1]] /= 2
        mass = density * weights

        def crossing(c: float) -> float:
            return float(mass @ sps.norm.sf((c * math.sqrt(t[k]) - x) / step)) - spend[k]

        c = optimize.brentq(crossing, -10.0, 40.0, xtol=1e-10)
        bounds.append(c)
        y = np.linspace(lower, c * math.sqrt(t[k]), GRID_POINTS)
        density = sps.norm.pdf((y[:, None] - x[None, :]) / step) @ mass / step
        x = y
    return np.array(bounds)


def conditional_power(z_now: float, fraction: float, drift: float, level: float) -> float:
    """The chance that the last look's one-sided statistic reaches its level, given the standardized
    statistic z_now at information fraction `fraction` and a drift (the expected statistic at the last
    look) under the effect one assumes: 1 - Phi((c - z sqrt(t) - drift (1 - t)) / sqrt(1 - t))."""
    if fraction >= 1:
        return float(z_now >= sps.norm.isf(level))
    critical = sps.norm.isf(level)
    return float(sps.norm.sf((critical - z_now * math.sqrt(fraction) - drift * (1 - fraction))
                             / math.sqrt(1 - fraction)))


def far_end_power(effect: float, low: float, high: float, p: float, no_effect: float, fraction: float,
                  level: float, one_sided: bool) -> float:
    """Conditional power at the last look under the interval's end farthest from no-effect. The
    standard error comes from the interval's width (normal approximation), and the statistic now is the
    test's p read as a z on the side of that end (against it when the effect lies on the other side)."""
    far = high if abs(high - no_effect) >= abs(low - no_effect) else low
    side = 1.0 if far >= no_effect else -1.0
    width = high - low
    if not (math.isfinite(width) and width > 0 and math.isfinite(p)):
        return 1.0
    standard_error = width / (2 * sps.norm.isf((1 - 0.95) / 2))
    z_now = float(sps.norm.isf(p if one_sided else p / 2))
    if (effect - no_effect) * side < 0:
        z_now = -z_now
    drift = abs(far - no_effect) / (standard_error * math.sqrt(fraction))
    return conditional_power(z_now, fraction, drift, level)


@dataclass(frozen=True)
class Design:
    """The looks (seed counts), the overall level and the spending function of a sequential study."""

    looks: tuple[int, ...]
    alpha: float = 0.05
    spending: str = OBRIEN_FLEMING

    def __post_init__(self):
        fractions(self.looks)
        if not 0 < self.alpha < 1:
            raise ValueError(f"alpha must lie in (0, 1), got {self.alpha}")
        spent(1.0, self.alpha, self.spending)

    @classmethod
    def from_config(cls, entry: dict) -> Design:
        return cls(tuple(int(n) for n in entry["looks"]), float(entry["alpha"]), entry["spending"])

    @property
    def fractions(self) -> np.ndarray:
        return fractions(self.looks)

    def increment(self, look: int, level: float) -> float:
        """The level look `look` (0-based) tests a claim at when the claim holds `level` over all looks."""
        return float(increments(self.looks, level, self.spending)[look])

    def to_dict(self) -> dict:
        return {"looks": list(self.looks), "alpha": self.alpha, "spending": self.spending}


def holm_looks(histories: dict[str, list[float]], m: int, design: Design,
               rejected: set[str] = frozenset()) -> tuple[set[str], dict[str, float]]:
    """Holm's step-down over looks: (the rejected claims, each claim's level: the one it was rejected at, or
    the open claims' level now).

    `histories[id]` holds the claim's p at each look it was tested (NaN: not tested there); m counts the
    family's members, those that never ran included (they are never rejected). A claim is rejected when
    its p at some look j reaches look j's increment of its level; every rejection raises the open claims'
    level from alpha / (m - r) to alpha / (m - r - 1), and the loop retests them on the same p-values."""
    levels = {claim: design.alpha / max(m - len(rejected), 1) for claim in rejected}
    while True:
        level = design.alpha / max(m - len(levels), 1)
        steps = increments(design.looks, level, design.spending)
        new = {claim for claim, history in histories.items() if claim not in levels
               and any(math.isfinite(p) and p <= steps[j] for j, p in enumerate(history))}
        if not new:
            return set(levels), {claim: levels.get(claim, level) for claim in histories}
        levels |= dict.fromkeys(new, level)
