"""Progress of a long loop: a tqdm bar on a terminal; in a log file, one plain line per tenth of the work.

A bar redrawn with carriage returns turns a Snakemake job's log into one unreadable line, so
away from a terminal each tenth is logged as its own line instead.
"""

from __future__ import annotations

import logging
import sys
from typing import Iterable, Iterator

from tqdm import tqdm

log = logging.getLogger(__name__)

LOG_STEPS = 10


class LogProgress:
    """tqdm's update / context-manager / iteration interface, writing a log line per tenth of `total`."""

    def __init__(self, iterable: Iterable | None = None, total: int | None = None, desc: str = "",
                 initial: int = 0, unit: str = "it"):
        self.iterable = iterable
        self.total = total if total is not None else (len(iterable) if hasattr(iterable, "__len__") else None)
        self.desc, self.unit, self.n = desc, unit, initial
        self._logged_tenths = self._tenths()

    def _tenths(self) -> int:
        return LOG_STEPS * self.n // self.total if self.total else 0

    def update(self, n: int = 1) -> None:
        self.n += n
        tenths = self._tenths()
        if tenths > self._logged_tenths:
            self._logged_tenths = tenths
            log.info("%s: %d/%d %s (%d%%)", self.desc, self.n, self.total, self.unit, 100 * self.n // self.total)

    def __iter__(self) -> Iterator:
        for item in self.iterable:
            yield item
            self.update(1)

    def close(self) -> None:
        pass

    def __enter__(self) -> "LogProgress":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def progress(iterable: Iterable | None = None, *, total: int | None = None, desc: str = "", initial: int = 0,
             unit: str = "it", leave: bool = False):
    """A tqdm bar when stderr is a terminal, else a LogProgress."""
    if sys.stderr.isatty():
        return tqdm(iterable, total=total, desc=desc, initial=initial, unit=unit, leave=leave)
    return LogProgress(iterable, total=total, desc=desc, initial=initial, unit=unit)
