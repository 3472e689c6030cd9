"""Small image data sets written in the on-disk formats the loaders read, for tests without the real ones.

- Fashion-MNIST: the four gzipped IDX files of Debian's `dataset-fashion-mnist` (and of the torchvision
  download), 28x28 grey images and their labels.
- CIFAR-10: the `cifar-10-batches-py` folder of the python version: five training batches, a test batch
  and `batches.meta`, each a pickled dict with `data` (rows of 3072 bytes, channel-major) and `labels`.

The images are not noise: each class has its own blocky silhouette (a random 0/1 pattern on a coarse grid,
in its own colour for CIFAR-10), drawn at a random offset of up to 2 pixels, a random brightness and with
pixel noise, so a small classifier tells the classes apart after a few dozen steps and a domain score
separates these images from noise, as on the real sets.
"""

from __future__ import annotations

import gzip
import pickle
from pathlib import Path

import numpy as np

CLASSES = 10
FASHION_SIZES = {"train": 1200, "test": 400}  # the smoke study's one-epoch classifier learns on 1200
FASHION_FILES = {"train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
                 "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")}
CIFAR_BATCH_SIZE = 40  # images per batch file: 5 training batches, 1 test batch
CIFAR_FOLDER = "cifar-10-batches-py"
CIFAR_LABEL_NAMES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
MAX_SHIFT = 2
NOISE_STD = 20.0


def write_idx(path: Path, array: np.ndarray) -> None:
    """An unsigned-byte IDX file (magic 0x00000803-style header, big-endian dims), gzipped."""
    header = b"\x00\x00\x08" + bytes([array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    with gzip.open(path, "wb", compresslevel=1) as handle:  # any level reads the same; 9 takes a second
        handle.write(header + array.astype(np.uint8).tobytes())


def _silhouettes(rng: np.random.Generator, side: int, cell: int) -> np.ndarray:
    """CLASSES distinct 0/1 patterns [CLASSES, side, side]: a random (side // cell)^2 grid of cells, each
    on with probability 0.45, blown up to cell x cell pixels."""
    grid = side // cell
    while True:
        coarse = rng.random((CLASSES, grid, grid)) < 0.45
        flat = coarse.reshape(CLASSES, -1)
        differing = (flat[:, None, :] != flat[None, :, :]).sum(-1) + np.eye(CLASSES, dtype=int) * grid * grid
        if differing.min() >= grid * grid // 4:  # every pair of classes differs in a quarter of the cells
            return coarse.repeat(cell, axis=1).repeat(cell, axis=2).astype(np.float64)


def _draw(rng: np.random.Generator, patterns: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """One image per label [N, *pattern shape] in [0, 255] float: the pattern shifted, scaled and noised."""
    side = patterns.shape[-1]
    padded = np.pad(patterns, [(0, 0)] * (patterns.ndim - 2) + [(MAX_SHIFT, MAX_SHIFT)] * 2)
    shifts = rng.integers(0, 2 * MAX_SHIFT + 1, size=(len(labels), 2))
    images = np.empty((len(labels), *patterns.shape[1:]))
    for dy, dx in np.unique(shifts, axis=0):
        picked = (shifts == (dy, dx)).all(axis=1)
        images[picked] = padded[labels[picked], ..., dy:dy + side, dx:dx + side]
    brightness = rng.uniform(150, 255, size=(len(labels),) + (1,) * (images.ndim - 1))
    return np.clip(images * brightness + rng.normal(0, NOISE_STD, images.shape), 0, 255)


def _balanced_labels(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.permutation(np.arange(n) % CLASSES)


def write_fashion_mnist(root: Path, sizes: dict[str, int] = FASHION_SIZES, seed: int = 0) -> Path:
    """The four gzipped IDX files of a Fashion-MNIST-like set in `root` (28x28 grey, 10 balanced classes)."""
    root.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    patterns = _silhouettes(rng, 28, 4)
    for split, (images_name, labels_name) in FASHION_FILES.items():
        labels = _balanced_labels(rng, sizes[split])
        write_idx(root / images_name, _draw(rng, patterns, labels).round())
        write_idx(root / labels_name, labels)
    return root


def write_cifar10(root: Path, batch_size: int = CIFAR_BATCH_SIZE, seed: int = 0) -> Path:
    """`root/cifar-10-batches-py` with CIFAR-10-like batches (32x32 colour, 10 classes, batch_size per file)."""
    folder = root / CIFAR_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    colours = rng.uniform(0.3, 1.0, size=(CLASSES, 3, 1, 1))
    patterns = _silhouettes(rng, 32, 4)[:, None] * colours  # [CLASSES, 3, 32, 32]
    names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    for index, name in enumerate(names):
        labels = _balanced_labels(rng, batch_size)
        rows = _draw(rng, patterns, labels).round().astype(np.uint8).reshape(batch_size, 3 * 32 * 32)
        batch = {"batch_label": f"{'testing' if name == 'test_batch' else 'training'} batch {index + 1} of 6",
                 "labels": labels.tolist(), "data": rows,
                 "filenames": [f"synthetic_{index}_{i}.png" for i in range(batch_size)]}
        with open(folder / name, "wb") as handle:
            pickle.dump(batch, handle, protocol=2)
    with open(folder / "batches.meta", "wb") as handle:
        pickle.dump({"num_cases_per_batch": batch_size, "label_names": CIFAR_LABEL_NAMES, "num_vis": 3072}, handle,
                    protocol=2)
    return root


def write_image_folder(root: Path, classes: dict[str, int] | None = None, count: int = 0,
                       size: tuple[int, int] = (40, 36), mode: str = "RGB", seed: int = 0) -> Path:
    """PNG files written with Pillow: `classes` {name: count} in one subfolder each (labels), or `count` in
    `root` itself (no labels). Each image is one flat colour (its class's, or a random one) with noise."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    channels = 1 if mode == "L" else 3
    folders = {name: root / name for name in classes} if classes else {"": root}
    counts = classes or {"": count}
    for label, (name, folder) in enumerate(folders.items()):
        folder.mkdir(parents=True, exist_ok=True)
        colour = rng.integers(0, 256, channels)
        for index in range(counts[name]):
            pixels = colour + rng.normal(0, NOISE_STD, (size[1], size[0], channels))
            image = Image.fromarray(pixels.clip(0, 255).astype(np.uint8).squeeze(-1) if channels == 1
                                    else pixels.clip(0, 255).astype(np.uint8), mode)
            image.save(folder / f"{name or 'image'}-{index:03d}.png")
    return root


# A fortunes corpus in the package's own format: plain text files of cookies separated by lines holding '%'.
# Sentences drawn from a small word list, so the n-gram statistics are those of words, not of noise.
FORTUNE_WORDS = ("the", "cat", "sat", "on", "a", "mat", "and", "dog", "ran", "to", "park", "with", "red", "ball",
                 "time", "flies", "like", "an", "arrow", "fruit", "banana", "never", "say", "die", "Zap!", "--")
FORTUNE_COOKIES_PER_FILE = 6


def write_fortunes(root: Path, seed: int = 0) -> Path:
    """`root/fortunes/<name>` for every corpus file name, each with a few multi-line cookies."""
    from suite.data.text import CORPUS_FILES

    rng = np.random.default_rng(seed)
    folder = root / "fortunes"
    folder.mkdir(parents=True, exist_ok=True)
    for name in CORPUS_FILES:
        cookies = []
        for _ in range(FORTUNE_COOKIES_PER_FILE):
            words = rng.choice(FORTUNE_WORDS, size=int(rng.integers(12, 40)))
            lines = [" ".join(words[i:i + 7]) for i in range(0, len(words), 7)]
            cookies.append("\n\t".join(lines) + "\n")
        (folder / name).write_text("%\n".join(cookies))
    return folder
