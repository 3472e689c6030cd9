"""Fashion-MNIST padded to 32x32, from the Debian package or a torchvision download."""

from __future__ import annotations

import gzip
import logging
from pathlib import Path

import numpy as np
import torch

from suite.data.base import DOWNLOAD_ROOT, ImageData, named_root
from suite.errors import DataMissingError

log = logging.getLogger(__name__)

DEBIAN_ROOT = Path("/usr/share/datasets/fashion-mnist")
FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
HOW_TO_GET = (
    "Fashion-MNIST not found: install it with `apt-get install dataset-fashion-mnist` "
    "(Debian/Ubuntu) or run `python -m suite fetch-data fashion32` with network access"
)


def _find(root: Path, stem: str) -> Path | None:
    for candidate in (root / stem, root / f"{stem}.gz", root / "FashionMNIST" / "raw" / stem,
                      root / "FashionMNIST" / "raw" / f"{stem}.gz"):
        if candidate.is_file():
            return candidate
    return None


def read_idx(path: Path) -> np.ndarray:
    """Read an IDX file (the MNIST format), gzipped or not."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as handle:
        data = handle.read()
    if data[:2] != b"\x00\x00" or data[2] != 0x08:
        raise ValueError(f"{path} is not an unsigned-byte IDX file")
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    offset = 4 + 4 * ndim
    array = np.frombuffer(data, dtype=np.uint8, offset=offset)
    if array.size != int(np.prod(dims)):
        raise ValueError(f"{path} is truncated: expected {int(np.prod(dims))} values, found {array.size}")
    return array.reshape(dims)


def _roots(root: Path | None) -> list[Path]:
    named = named_root(root)
    return [named] if named is not None else [DEBIAN_ROOT, DOWNLOAD_ROOT]


def locate_fashion(split: str, root: Path | None = None) -> tuple[Path, Path] | None:
    """(images, labels) IDX paths of a split, or None when no candidate folder has them."""
    image_stem, label_stem = FILES[split]
    for directory in _roots(root):
        images_path, labels_path = _find(directory, image_stem), _find(directory, label_stem)
        if images_path and labels_path:
            return images_path, labels_path
    return None


def fashion_present(root: Path | None = None) -> bool:
    """Whether both splits are found: under `root` or $GANBENCH_DATA_ROOT when named, else in the Debian
    folder or `data/`."""
    return all(locate_fashion(split, root) for split in FILES)


def load_fashion32(split: str, root: Path | None = None) -> ImageData:
    """Images uint8 [N, 1, 32, 32] zero-padded by 2 pixels per side, labels int64 [N]."""
    located = locate_fashion(split, root)
    if located is None:
        raise DataMissingError(HOW_TO_GET)
    images_path, labels_path = located
    log.info("reading Fashion-MNIST %s from %s", split, images_path.parent)
    images = torch.from_numpy(read_idx(images_path).copy())
    labels = torch.from_numpy(read_idx(labels_path).astype(np.int64))
    padded = torch.nn.functional.pad(images, (2, 2, 2, 2)).unsqueeze(1)
    return ImageData(padded.contiguous(), labels)


def download_fashion(root: Path) -> Path:
    """Download Fashion-MNIST with torchvision into `root` (needs network access)."""
    from torchvision.datasets import FashionMNIST

    for train in (True, False):
        FashionMNIST(root=str(root), train=train, download=True)
    return root
