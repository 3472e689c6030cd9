"""Medians and the environment a number depends on (interleaving: suite.costs.interleaved)."""

from __future__ import annotations

import os
import platform
import statistics
import time

import torch

from suite.runtime import native_bf16


def median(values: list[float]) -> float:
    return statistics.median(values)


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            return next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")),
                         platform.processor())
    except OSError:
        return platform.processor()


def environment() -> dict:
    """What a number depends on: threads, load at measurement time, versions, CPU."""
    return {
        "threads": torch.get_num_threads(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "cpu_count": os.cpu_count(),
        "torch": torch.__version__,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpu_model": _cpu_model(),
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),  # the widest vector ISA torch's kernels use
        "native_bf16": native_bf16(torch.device("cpu")),
        "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
