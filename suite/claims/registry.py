"""Every registered claim, by id: the one place that gathers the definitions."""

from suite.claims.claim import Claim
from suite.claims.definitions import ours, sagan, sngan, wgan_gp


def _by_id(claims: list[Claim]) -> dict[str, Claim]:
    registry: dict[str, Claim] = {}
    for claim in claims:
        if claim.id in registry:
            raise ValueError(f"claim id {claim.id!r} is registered twice")
        registry[claim.id] = claim
    return registry


CLAIMS: dict[str, Claim] = _by_id([*wgan_gp.CLAIMS, *sngan.CLAIMS, *sagan.CLAIMS, *ours.CLAIMS])
