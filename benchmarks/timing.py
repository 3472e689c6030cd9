"""Medians and the environment a number depends on (interleaving: suite.costs.interleaved)."""

from __future__ import annotations

import os
import platform
import statistics
import time

import torch

from suite.provenance import cpu
from suite.runtime import native_bf16


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
        "cpu": cpu(),
        "native_bf16": native_bf16(torch.device("cpu")),
        "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
