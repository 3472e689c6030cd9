"""One run's metrics.json: rebuild the trained generator, score it, record the protocol."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import torch

from suite.config import RunSpec
from suite.data import data_shape, DATASETS
from suite.methods import resolve_method
from suite.metrics.score import METRIC_KEYS, NON_FINITE, generator_batches, real_batches, score_generator
from suite.models import build_models
from suite.provenance import software_versions
from suite.runtime import select_device

log = logging.getLogger(__name__)

SCORE_SEED = 20_200_101


def _not_scored(reason: str) -> dict:
    return {"metrics": dict.fromkeys(METRIC_KEYS), "unavailable": dict.fromkeys(METRIC_KEYS, reason), "protocol": {}}


def _score_finite(generator: torch.nn.Module, run: RunSpec, score_kwargs: dict,
                  device: torch.device) -> tuple[dict, str | None]:
    """Score the generator; the second value says why the run counts as diverged (None when it does not).

    Non-finite samples would be clamped into valid-looking uint8 images and scored as if fine,
    so a forward hook watches the raw output; a non-finite metric is an overflow of the run too.
    """
    non_finite_batches = []
    hook = generator.register_forward_hook(
        lambda module, inputs, output: non_finite_batches.append(not bool(torch.isfinite(output).all())))
    try:
        batches = generator_batches(generator, run.evaluate["n_gen"], run.evaluate["batch_size"],
                                    run.latent_dim, seed=SCORE_SEED, device=device)
        scored = score_generator(batches, run.evaluate["n_gen"], **score_kwargs, device=device)
    finally:
        hook.remove()
    if any(non_finite_batches):
        scored = _not_scored("the generator's samples are not finite (NaN/Inf)")
        return scored, "non-finite generator samples"
    overflowed = sorted(key for key, reason in scored["unavailable"].items() if reason.startswith(NON_FINITE))
    return scored, (f"non-finite {', '.join(overflowed)}" if overflowed else None)


def score_run(run: RunSpec, generator_path: Path, train_summary_path: Path, score_kwargs: dict) -> dict:
    """The run's metrics.json record (docs/internals.md); diverged or non-image runs get null metrics with the reason."""
    summary = json.loads(Path(train_summary_path).read_text())
    saved = torch.load(generator_path, map_location="cpu", weights_only=False)
    status = {"status": summary["status"], "diverged_at_step": summary["diverged_at_step"]}
    if summary["status"] != "ok":
        scored = _not_scored(f"run diverged at step {summary['diverged_at_step']}")
    elif DATASETS[run.data].kind != "image":
        scored = _not_scored("image metrics do not apply to 2-d toy data")
    else:
        generator, _ = build_models(run.arch, resolve_method(run.method), data_shape(run.data), run.latent_dim)
        generator.load_state_dict(saved["generator"])
        device = select_device(run.device)
        scored, overflow = _score_finite(generator.to(device), run, score_kwargs, device)
        if overflow:
            log.warning("%s diverged: %s", run.run_id, overflow)
            status = {"status": "diverged", "diverged_at_step": saved["step"]}
    scored["protocol"]["checkpoint_step"] = saved["step"]
    return {
        "run": {"experiment": run.experiment, "data": run.data, "arch": run.arch_name, "method": run.method_name,
                "seed": run.seed, "config_hash": run.config_hash(), "code_version": summary["code_version"]},
        **status,
        "train": {key: summary[key] for key in ("steps", "seconds", "seconds_per_step", "images_seen")},
        **scored,
        "versions": software_versions(),
    }


def score_real_data(data: str, evaluate: dict, score_kwargs: dict, device: torch.device) -> dict:
    """Held-out real images (the split the reference does not use), n_gen of them: the floor of each metric."""
    held_out = "train" if evaluate["ref_split"] == "test" else "test"
    batches = real_batches(data, held_out, evaluate["n_gen"], batch_size=evaluate["batch_size"])
    scored = score_generator(batches, evaluate["n_gen"], **score_kwargs, device=device)
    scored["protocol"]["real_split"] = held_out
    return {"data": data, "status": "ok", **scored, "versions": software_versions()}
