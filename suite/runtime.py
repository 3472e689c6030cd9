"""Process set-up for a job: threads, device, determinism, and the RNG states a checkpoint carries."""

from __future__ import annotations

import logging
import random
import sys

import numpy as np
import torch

from suite.errors import ConfigError

log = logging.getLogger(__name__)


def set_threads(threads: int) -> None:
    """Use exactly the threads Snakemake gave the job."""
    torch.set_num_threads(threads)
    try:
        torch.set_num_interop_threads(threads)
    except RuntimeError:  # already set in this process (e.g. inside pytest)
        pass


def select_device(requested: str) -> torch.device:
    if requested == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if requested == "cuda" and not torch.cuda.is_available():
        raise ConfigError("device: cuda was requested but no CUDA device is available; use device: auto or cpu")
    if requested not in ("cpu", "cuda"):
        raise ConfigError(f"unknown device {requested!r}; allowed: auto, cpu, cuda")
    return torch.device(requested)


PRECISIONS = ("fp32", "bf16")


def native_bf16(device: torch.device) -> bool:
    """Whether `device` does bf16 arithmetic in hardware: a GPU that supports it, or a CPU with AVX-512
    BF16 (oneDNN's bf16 kernels). Elsewhere bf16 is emulated: a convolution measured 23x slower than in
    fp32 on an AVX2-only AMD EPYC."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    return torch.cpu._is_avx512_bf16_supported()


def training_precision(requested: str, device: torch.device) -> str:
    """The precision a run trains in: `requested`, except bf16 on a device without native bf16, which
    trains in fp32 (said in the log; train.json records the precision used)."""
    if requested not in PRECISIONS:
        raise ConfigError(f"unknown train.precision {requested!r}; allowed: {', '.join(PRECISIONS)}")
    if requested == "bf16" and not native_bf16(device):
        log.warning("train.precision bf16: this %s has no native bf16 (emulated bf16 is many times slower), "
                    "so the run trains in fp32", device.type.upper())
        return "fp32"
    return requested


def make_deterministic(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    # torch.use_deterministic_algorithms also sets torch._inductor.config.deterministic, and importing
    # inductor costs ~2 s in every job; the suite never compiles, so it sets the eager flag, and
    # inductor's only when something has already imported it.
    torch._C._set_deterministic_algorithms(True, warn_only=False)
    inductor_config = sys.modules.get("torch._inductor.config")
    if inductor_config is not None:
        inductor_config.deterministic = True
    torch.backends.cudnn.benchmark = False


def rng_state() -> dict:
    """Every RNG state as tensors and plain numbers, so a checkpoint loads with weights_only=True."""
    version, mt_words, gauss_next = random.getstate()
    kind, keys, pos, has_gauss, cached_gaussian = np.random.get_state()
    state = {
        "python": {"version": version, "words": torch.tensor(mt_words, dtype=torch.int64), "gauss_next": gauss_next},
        "numpy": {"kind": kind, "keys": torch.from_numpy(keys.astype(np.int64)), "pos": int(pos),
                  "has_gauss": int(has_gauss), "cached_gaussian": float(cached_gaussian)},
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict) -> None:
    python, numpy_state = state["python"], state["numpy"]
    random.setstate((python["version"], tuple(python["words"].tolist()), python["gauss_next"]))
    np.random.set_state((numpy_state["kind"], numpy_state["keys"].numpy().astype(np.uint32), numpy_state["pos"],
                         numpy_state["has_gauss"], numpy_state["cached_gaussian"]))
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
