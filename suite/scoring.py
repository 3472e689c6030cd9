"""One run's metrics.json: rebuild the trained generator, score it, record the protocol.

Image runs get the image metrics (suite.metrics.score); text runs the n-gram JS divergences
(suite.metrics.text) with their real-data floor; 2-d toy runs get the toy metrics
(suite.metrics.toy) on TOY_N generated points against TOY_N real test points, and, when the run's
training checkpoint is still there, the critic's values on a grid for the toy figures
(SURFACE_FILE in the run folder), so the report draws them without importing models.
"""

from __future__ import annotations

import json
import logging
import pickle
import time
from pathlib import Path

import numpy as np
import torch

from suite import io
from suite.data import data_shape, DATASETS, is_labelled, load_dataset
from suite.data.text import decode
from suite.data.toy import mixture_modes
from suite.errors import GanbenchError
from suite.methods import resolve_method
from suite.metrics.score import DOMAIN_KEYS, METRIC_KEYS, NON_FINITE, generator_batches, real_batches, score_generator
from suite.metrics.text import FLOOR_KEYS, NGRAM_ORDERS, TEXT_METRIC_KEYS, UNTRAINED_KEYS, ngram_js, rounded
from suite.metrics.toy import FLOOR_SEED, HQ_STDS, MODE_MIN_COUNT, TOY_METRIC_KEYS, real_floor, toy_metrics
from suite.models import build_models
from suite.provenance import software_versions
from suite.runspec import FILES, RunSpec
from suite.runtime import select_device

log = logging.getLogger(__name__)

SCORE_SEED = 20_200_101
ALL_METRIC_KEYS = (*METRIC_KEYS, *TOY_METRIC_KEYS, *TEXT_METRIC_KEYS)
TOY_N = 2000  # points per side; the exact W1 is a transport problem of O(n^3) (about 10 s at 2000 on 2 cores)
TOY_REAL_SEED = 0  # one real sample for every run of a toy set, so their distances compare
SURFACE_FILE = "toy_surface.npz"
SURFACE_GRID = 100  # critic values on a 100 x 100 grid
NOT_IMAGE = "image metrics do not apply to 2-d toy data"
NOT_TOY = "toy metrics apply to 2-d toy data only"
NOT_TEXT = "n-gram metrics apply to text data only"
NOT_IMAGE_NOR_TOY = "image and toy metrics do not apply to text data"
TEXT_FLOOR_SEED = 20_200_102  # which training sequences form the real sample the floor compares
UNLABELLED = "{data} has no labels: the domain metrics use a classifier trained on a data set's labels"


def _unlabelled_reason(scored: dict, data: str, evaluate: dict) -> dict:
    """Asked for domain metrics on a data set without labels: the reason replaces "not requested"."""
    if evaluate["domain"] and not is_labelled(data):
        scored["unavailable"].update(dict.fromkeys(DOMAIN_KEYS, UNLABELLED.format(data=data)))
    return scored


def _not_scored(reason: str) -> dict:
    return {"metrics": dict.fromkeys(ALL_METRIC_KEYS), "unavailable": dict.fromkeys(ALL_METRIC_KEYS, reason),
            "protocol": {}}


def _complete(scored: dict, reason: str) -> dict:
    """Every key of ALL_METRIC_KEYS in `metrics`, in order; those the scorer did not produce null with `reason`
    (the n-gram keys of a run on other data with NOT_TEXT)."""
    absent = [key for key in ALL_METRIC_KEYS if key not in scored["metrics"]]
    scored["metrics"] = {key: scored["metrics"].get(key) for key in ALL_METRIC_KEYS}
    scored["unavailable"].update({key: NOT_TEXT if key in TEXT_METRIC_KEYS else reason for key in absent})
    return scored


def _generated_text(generator: torch.nn.Module, n: int, run: RunSpec, device: torch.device) -> torch.Tensor | None:
    """Argmax character indices [n, length] of n sequences from fixed noise; None when the output is not finite."""
    z = torch.randn(n, run.latent_dim, generator=torch.Generator().manual_seed(SCORE_SEED))
    generator.eval()
    with torch.inference_mode():
        output = torch.cat([generator(batch.to(device)).float().cpu() for batch in z.split(run.evaluate["batch_size"])])
    return output.argmax(dim=1) if torch.isfinite(output).all() else None


def _score_text(generator: torch.nn.Module, run: RunSpec, device: torch.device) -> dict:
    """js1..js4 of n generated sequences against n held-out ones; the floor (n training sequences, disjoint from
    the held-out split, against the same held-out ones) and the value of the run's generator before training
    (its family initialized with the run's seed), each at the same n."""
    start = time.perf_counter()
    held_out = load_dataset(run.data, "test", root=run.data_root)
    train = load_dataset(run.data, "train", root=run.data_root)
    n = min(run.evaluate["n_gen"], len(held_out), len(train))
    reference = held_out.decode(held_out.codes[:n])
    fake = _generated_text(generator, n, run, device)
    if fake is None:
        return _not_scored("the generator's samples are not finite (NaN/Inf)")
    picks = torch.randperm(len(train), generator=torch.Generator().manual_seed(TEXT_FLOOR_SEED))[:n]
    torch.manual_seed(run.seed)
    untrained, _ = build_models(run.arch, resolve_method(run.method), data_shape(run.data), run.latent_dim)
    untrained_fake = _generated_text(untrained.to(device), n, run, device)
    metrics = {**rounded(ngram_js(decode(fake, held_out.alphabet), reference)),
               **dict(zip(FLOOR_KEYS, rounded(ngram_js(train.decode(train.codes[picks]), reference)).values()))}
    if untrained_fake is not None:
        metrics |= dict(zip(UNTRAINED_KEYS, rounded(ngram_js(decode(untrained_fake, held_out.alphabet),
                                                             reference)).values()))
    protocol = {"n_gen": n, "n_ref": n, "ref_split": "test", "ngram_orders": list(NGRAM_ORDERS),
                "js_log_base": 2, "seconds": time.perf_counter() - start}
    return _complete({"metrics": metrics, "unavailable": {}, "protocol": protocol}, NOT_IMAGE_NOR_TOY)


def _score_toy(generator: torch.nn.Module, run: RunSpec, device: torch.device) -> tuple[dict, np.ndarray | None]:
    """The toy metrics of TOY_N generated points, and the points (None when they are not finite)."""
    start = time.perf_counter()
    z = torch.randn(TOY_N, run.latent_dim, generator=torch.Generator().manual_seed(SCORE_SEED))
    generator.eval()
    with torch.inference_mode():
        fake = generator(z.to(device)).double().cpu().numpy()
    if not np.isfinite(fake).all():
        return _not_scored("the generator's samples are not finite (NaN/Inf)"), None
    real = load_dataset(run.data, "test", seed=TOY_REAL_SEED)[:TOY_N].double().numpy()
    modes = mixture_modes(run.data)
    metrics = toy_metrics(fake, real, None if modes is None else (modes[0].numpy(), modes[1]))
    unavailable = {} if modes is not None else dict.fromkeys(("modes_covered", "hq_fraction"),
                                                             f"{run.data} is not a mixture: it has no modes")
    protocol = {**_toy_protocol(modes), "seconds": time.perf_counter() - start}
    return _complete({"metrics": metrics, "unavailable": unavailable, "protocol": protocol}, NOT_IMAGE), fake


def save_critic_surface(critic: torch.nn.Module, real: np.ndarray, fake: np.ndarray, out_path: Path) -> None:
    """The critic's values on a SURFACE_GRID x SURFACE_GRID grid spanning the real and generated points
    (critic[i, j] at (grid_x[j], grid_y[i])), saved with the points to `out_path` (.npz)."""
    points = np.concatenate([real, fake])
    low, high = np.percentile(points, [0.5, 99.5], axis=0)
    low, high = low - 0.1 * (high - low), high + 0.1 * (high - low)
    grid_x, grid_y = np.linspace(low[0], high[0], SURFACE_GRID), np.linspace(low[1], high[1], SURFACE_GRID)
    xx, yy = np.meshgrid(grid_x, grid_y)
    critic.eval()
    with torch.inference_mode():
        values = critic(torch.from_numpy(np.stack([xx.ravel(), yy.ravel()], axis=1)).float())
    with io.atomic_path(out_path) as tmp, open(tmp, "wb") as handle:
        np.savez(handle, real=real.astype(np.float32), fake=fake.astype(np.float32), grid_x=grid_x, grid_y=grid_y,
                 critic=values.reshape(SURFACE_GRID, SURFACE_GRID).double().numpy())


def load_state(path: Path) -> dict:
    """A generator or checkpoint file as training wrote it: tensors and plain types only. weights_only
    refuses anything else, so a foreign .pt file in a results folder cannot run code when scored."""
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as error:
        raise GanbenchError(f"{path} holds objects other than tensors and plain types, so it is not loaded; "
                            "score only the files training wrote (delete it and rerun the run's training)") from error


def _toy_surface(run: RunSpec, checkpoint_path: Path, step: int, fake: np.ndarray) -> None:
    """Write SURFACE_FILE beside the checkpoint when it holds this run's critic at the scored step."""
    if not checkpoint_path.is_file():
        log.info("%s: no %s, so no critic surface for the toy figure", run.run_id, checkpoint_path.name)
        return
    state = load_state(checkpoint_path)
    if state["config_hash"] != run.config_hash() or state["step"] != step:
        log.warning("%s: %s is from another config or step, so no critic surface", run.run_id, checkpoint_path)
        return
    _, critic = build_models(run.arch, resolve_method(run.method), data_shape(run.data), run.latent_dim)
    critic.load_state_dict(state["critic"])
    real = load_dataset(run.data, "test", seed=TOY_REAL_SEED)[:TOY_N].numpy()
    save_critic_surface(critic, real, fake, checkpoint_path.parent / SURFACE_FILE)


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
    """The run's metrics.json record (docs/internals.md): image or toy metrics by the data's kind; a metric
    that does not apply (or a diverged run's) is null with the reason."""
    summary = json.loads(Path(train_summary_path).read_text())
    saved = load_state(generator_path)
    status = {"status": summary["status"], "diverged_at_step": summary["diverged_at_step"]}
    if summary["status"] != "ok":
        scored = _not_scored(f"run diverged at step {summary['diverged_at_step']}")
    else:
        generator, _ = build_models(run.arch, resolve_method(run.method), data_shape(run.data), run.latent_dim)
        generator.load_state_dict(saved["generator"])
        device = select_device(run.device)
        if DATASETS[run.data].kind == "image":
            scored, overflow = _score_finite(generator.to(device), run, score_kwargs, device)
            scored = _unlabelled_reason(_complete(scored, NOT_TOY), run.data, run.evaluate)
        elif DATASETS[run.data].kind == "text":
            scored = _score_text(generator.to(device), run, device)
            overflow = "non-finite generator samples" if "js1" in scored["unavailable"] else None
        else:
            scored, fake = _score_toy(generator.to(device), run, device)
            overflow = None if fake is not None else "non-finite generator samples"
            if fake is not None:
                _toy_surface(run, Path(generator_path).parent / FILES["checkpoint"], saved["step"], fake)
        if overflow:
            log.warning("%s diverged: %s", run.run_id, overflow)
            status = {"status": "diverged", "diverged_at_step": saved["step"]}
    scored["protocol"]["checkpoint_step"] = saved["step"]
    return {
        "run": {"experiment": run.experiment, "data": run.data, "arch": run.arch_name, "method": run.method_name,
                "seed": run.seed, "config_hash": run.config_hash(), "code_version": summary["code_version"]},
        **status,
        "train": {key: summary[key] for key in ("steps", "seconds", "seconds_per_step", "cpu_seconds",
                                                 "cpu_seconds_per_step", "images_seen", "precision", "cpu")
                  if key in summary},
        **scored,
        "versions": software_versions(),
    }


def _toy_protocol(modes) -> dict:
    return {"n_gen": TOY_N, "n_ref": TOY_N, "ref_split": "test",
            "modes_total": None if modes is None else len(modes[0]), "hq_stds": HQ_STDS,
            "modes_min_count": MODE_MIN_COUNT}


def score_real_toy(data: str) -> dict:
    """The real-data floor of a toy set: TOY_N points of another real sample (the train split drawn with
    FLOOR_SEED) scored exactly as a run's TOY_N generated points are, against the same TOY_N test points."""
    start = time.perf_counter()
    real = load_dataset(data, "test", seed=TOY_REAL_SEED)[:TOY_N].double().numpy()
    modes = mixture_modes(data)
    metrics = real_floor(data, real)
    unavailable = {} if modes is not None else dict.fromkeys(("modes_covered", "hq_fraction"),
                                                             f"{data} is not a mixture: it has no modes")
    protocol = {**_toy_protocol(modes), "real_split": "train", "real_seed": FLOOR_SEED,
                "seconds": time.perf_counter() - start}
    scored = _complete({"metrics": metrics, "unavailable": unavailable, "protocol": protocol}, NOT_IMAGE)
    return {"data": data, "status": "ok", **scored, "versions": software_versions()}


def score_real_data(data: str, evaluate: dict, score_kwargs: dict, device: torch.device) -> dict:
    """Held-out real images (the split the reference does not use), n_gen of them: the floor of each metric.
    On 2-d toy data, the toy metrics' floor at the scoring's own sample size (score_real_toy)."""
    if DATASETS[data].kind != "image":
        return score_real_toy(data)
    held_out = "train" if evaluate["ref_split"] == "test" else "test"
    batches = real_batches(data, held_out, evaluate["n_gen"], batch_size=evaluate["batch_size"])
    scored = _unlabelled_reason(score_generator(batches, evaluate["n_gen"], **score_kwargs, device=device), data,
                                evaluate)
    scored["protocol"]["real_split"] = held_out
    return {"data": data, "status": "ok", **scored, "versions": software_versions()}
