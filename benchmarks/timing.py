"""Interleaved repeats and medians, so load from other processes on a shared machine hits every contender alike."""

from __future__ import annotations

import os
import platform
import statistics
import time
from typing import Callable

import torch


def interleaved(contenders: dict[str, Callable[[], object]], repeats: int, warmup: int = 1) -> dict[str, list[float]]:
    """Seconds of each call of each contender; contenders alternate within a repeat, and their order
    flips every repeat so neither always runs right after the other."""
    names = list(contenders)
    for _ in range(warmup):
        for name in names:
            contenders[name]()
    seconds: dict[str, list[float]] = {name: [] for name in names}
    for repeat in range(repeats):
        for name in names if repeat % 2 == 0 else reversed(names):
            started = time.perf_counter()
            contenders[name]()
            seconds[name].append(time.perf_counter() - started)
    return seconds


def median(values: list[float]) -> float:
    return statistics.median(values)


def environment() -> dict:
    """What a number depends on: threads, load at measurement time, versions, CPU."""
    return {
        "threads": torch.get_num_threads(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "cpu_count": os.cpu_count(),
        "torch": torch.__version__,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
