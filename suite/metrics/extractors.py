"""Registry of feature extractors: a name -> a builder taking one weights path.

The registry imports the implementations (lazily: torch-fidelity costs ~2 s per process); an
implementation never imports the registry. `Extractor` and `take_images` live in
`suite.metrics.base` and are re-exported here as part of the extractor API.
"""

from __future__ import annotations

from typing import Callable

from suite.errors import ConfigError
from suite.metrics.base import Extractor, take_images

__all__ = ["EXTRACTORS", "Extractor", "get_extractor", "take_images"]


def _inception(weights_path: str | None) -> Extractor:
    from suite.metrics.inception import inception_extractor

    return inception_extractor(weights_path)


def _domain(weights_path: str | None) -> Extractor:
    from suite.metrics.domain import DomainScorer

    if weights_path is None:
        raise ConfigError("the `domain` extractor needs the domain classifier's weights path")
    return DomainScorer(weights_path)


EXTRACTORS: dict[str, Callable[[str | None], Extractor]] = {
    "inception-v3-compat": _inception,
    "domain": _domain,
}


def get_extractor(name: str, weights_path: str | None = None) -> Extractor:
    """Build the extractor registered as `name` (see EXTRACTORS) from its weights file."""
    if name not in EXTRACTORS:
        raise ConfigError(f"unknown feature extractor {name!r}; allowed: {', '.join(EXTRACTORS)}")
    return EXTRACTORS[name](weights_path)
