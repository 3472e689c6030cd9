"""Registry of data sets: name -> loader, shape, kind and an on-disk check.

The registry imports the loaders; a loader never imports the registry (its return type lives in
`suite.data.base`). A study's own data sets (`datasets:`, suite.data.own) join it under the study's
names when the study loads (`describe_own`, then `register_own`), and in each job from the definition
the run recorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from suite.data.cifar import cifar10_present, load_cifar10
from suite.data.fashion import fashion_present, load_fashion32
from suite.data.own import DESCRIBERS, load_own
from suite.data.text import SEQUENCE_LENGTH, VOCABULARY_SIZE, load_text, text_present
from suite.data.toy import SAMPLERS, sample_toy
from suite.errors import ConfigError

SPLITS = ("train", "test")


@dataclass(frozen=True)
class DataSet:
    name: str
    shape: tuple[int, ...]
    kind: str  # "image", "toy" or "text"
    load: Callable[[str, Path | None, int], object]  # (split, root, seed) -> ImageData, float tensor [N, 2] or TextData
    present: Callable[[Path | None], bool]  # root -> every split on disk
    labelled: bool = True  # image sets: whether the images have class labels (the domain metrics need them)


def _toy(name: str) -> DataSet:
    return DataSet(name, (2,), "toy", lambda split, root, seed: sample_toy(name, split, seed), lambda root: True)


DATASETS: dict[str, DataSet] = {
    "fashion32": DataSet("fashion32", (1, 32, 32), "image",
                         lambda split, root, seed: load_fashion32(split, root), fashion_present),
    "cifar10": DataSet("cifar10", (3, 32, 32), "image",
                       lambda split, root, seed: load_cifar10(split, root), cifar10_present),
    **{name: _toy(name) for name in SAMPLERS},
    "text-fortunes": DataSet("text-fortunes", (VOCABULARY_SIZE, SEQUENCE_LENGTH), "text",
                             lambda split, root, seed: load_text(split, root), text_present, labelled=False),
}


SHIPPED = tuple(DATASETS)


def describe_own(name: str, entry: dict) -> dict:
    """The definition of a study's own data set `name` (`{kind, path, size}`), its source read and checked."""
    if name in SHIPPED:
        raise ConfigError(f"data set {name!r} is shipped; allowed: another name for your own data set")
    return DESCRIBERS[entry["kind"]](name, entry["path"], entry["size"])


def register_own(name: str, definition: dict) -> DataSet:
    """Make the described data set loadable by `name` in this process."""
    size = definition["size"]
    DATASETS[name] = DataSet(name, (definition["channels"], size, size), "image",
                             lambda split, root, seed: load_own(definition, split), lambda root: True,
                             labelled=definition["classes"] is not None)
    return DATASETS[name]


def own_key(name: str, definition: dict) -> str:
    """The name of a study's own data set in the shared cache, its content hash and size in it: the cached
    classifier and reference statistics follow the content."""
    return f"{name}-{definition['sha256'][:12]}-s{definition['size']}"


def is_labelled(name: str) -> bool:
    return _dataset(name).labelled


def _dataset(name: str) -> DataSet:
    if name not in DATASETS:
        raise ConfigError(f"unknown data set {name!r}; allowed: {', '.join(DATASETS)}")
    return DATASETS[name]


def is_available(name: str, root: str | Path | None = None) -> bool:
    """Whether every split of the data set is on disk (toy sets always are: they are generated)."""
    return _dataset(name).present(Path(root) if root is not None else None)


def data_shape(name: str) -> tuple[int, ...]:
    """Shape of one example: (C, 32, 32) for images, (2,) for toy sets, (vocabulary, length) one-hot for text."""
    return _dataset(name).shape


def load_dataset(name: str, split: str = "train", root: str | Path | None = None, seed: int = 0):
    """Load a data set split: `ImageData` for images, a float tensor [N, 2] for toy sets, `TextData` for text.

    `root` overrides where image files are looked for; `seed` only matters for toy sets.
    """
    dataset = _dataset(name)
    if split not in SPLITS:
        raise ConfigError(f"unknown split {split!r} for {name}; allowed: {', '.join(SPLITS)}")
    return dataset.load(split, Path(root) if root is not None else None, seed)
