"""Claim definitions, one module per paper; suite.claims.registry gathers them."""
