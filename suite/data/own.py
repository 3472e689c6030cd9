"""A study's own images: a folder tree of image files, or a .npz array file, at one square size.

`describe_*` reads the source once when the study loads and returns its definition, which runs record
(`run.yaml`, `dataset:`): kind, path, size, channels, image count, class names, the sha256 of the
content and the resize protocol. `load_own` turns a definition into `ImageData` in any later process.
Either source is split the same way: every TEST_EVERY-th image in order is the test split.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import torch

from suite.data.base import ImageData
from suite.errors import ConfigError, DataMissingError
from suite.io import sha256_file

TEST_EVERY = 5
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp")
GRAY_MODES = ("1", "L", "LA")  # Pillow modes read as one channel; every other mode as RGB
FOLDER_PROTOCOL = ("centre crop to the largest square (offsets rounded down), then resized to {size}x{size} "
                   "(Pillow bicubic, antialiased); {mode}; images under {size} px on a side are refused, "
                   "never enlarged")
NPZ_PROTOCOL = "array x taken as it is (uint8, [N, C, {size}, {size}]); no resize"


def _fail(name: str, problem: str, allowed: str) -> ConfigError:
    return ConfigError(f"data set {name!r}: {problem}; allowed: {allowed}")


def split_indices(count: int, split: str) -> np.ndarray:
    """Indices of `split` among `count` images in order: every TEST_EVERY-th is a test image."""
    test = np.arange(count) % TEST_EVERY == TEST_EVERY - 1
    return np.flatnonzero(test if split == "test" else ~test)


def _image_files(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if path.is_file() and path.suffix.lower() in IMAGE_SUFFIXES
                  and not any(part.startswith(".") for part in path.relative_to(root).parts))


def _class_names(name: str, root: Path, files: list[Path]) -> list[str] | None:
    """The first-level subfolder names when every image lies in one (labels), None when none does."""
    in_root = [path for path in files if path.parent == root]
    if len(in_root) == len(files):
        return None
    if in_root:
        raise _fail(name, f"{in_root[0]} lies in the top folder while other images lie in subfolders",
                    "every image in a class subfolder (labels), or none (no labels)")
    return sorted({path.relative_to(root).parts[0] for path in files})


def describe_folder(name: str, path: str, size: int) -> dict:
    """The definition of an image folder, every file opened and checked (not decoded)."""
    from PIL import Image, UnidentifiedImageError

    root = Path(path).expanduser().resolve()
    if not root.is_dir():
        raise _fail(name, f"{root} is not a folder", "a folder of images (labels from its subfolders)")
    files = _image_files(root)
    if len(files) < TEST_EVERY:
        raise _fail(name, f"{root} holds {len(files)} images ({', '.join(IMAGE_SUFFIXES)})",
                    f"at least {TEST_EVERY} (every {TEST_EVERY}th image is the test split)")
    classes = _class_names(name, root, files)
    content, gray = hashlib.sha256(), True
    for file in files:
        try:
            with Image.open(file) as image:
                width, height, mode = *image.size, image.mode
                image.verify()
        except (OSError, SyntaxError, UnidentifiedImageError, ValueError) as error:
            raise _fail(name, f"cannot read {file} ({type(error).__name__}: {error})",
                        "image files Pillow can read") from None
        if min(width, height) < size:
            raise _fail(name, f"{file} is {width}x{height}, smaller than size {size}",
                        f"images at least {size} px on each side, or a smaller size")
        gray = gray and mode in GRAY_MODES
        content.update(file.relative_to(root).as_posix().encode() + b"\0" + bytes.fromhex(sha256_file(file)))
    mode = "one channel (grayscale)" if gray else "RGB (alpha dropped)"
    return {"kind": "image-folder", "path": str(root), "size": size, "channels": 1 if gray else 3,
            "images": len(files), "classes": classes, "sha256": content.hexdigest(),
            "protocol": FOLDER_PROTOCOL.format(size=size, mode=mode)}


def _square(image, size: int):
    """FOLDER_PROTOCOL: the centre square cropped first, so resampling never reads the pixels cut off."""
    from PIL import Image

    width, height = image.size
    side = min(width, height)
    left, top = (width - side) // 2, (height - side) // 2
    return image.crop((left, top, left + side, top + side)).resize((size, size), Image.Resampling.BICUBIC)


def _load_folder(definition: dict, split: str) -> ImageData:
    from PIL import Image

    root, size = Path(definition["path"]), definition["size"]
    files = _image_files(root)
    if len(files) != definition["images"]:
        raise DataMissingError(f"{root} now holds {len(files)} images, {definition['images']} when the study "
                               "was loaded; load the study again (rerun snakemake)")
    mode = "L" if definition["channels"] == 1 else "RGB"
    classes = definition["classes"]
    images, labels = [], []
    for index in split_indices(len(files), split):
        file = files[index]
        try:
            with Image.open(file) as image:
                square = _square(image.convert(mode), size)
        except OSError as error:
            raise DataMissingError(f"cannot read {file} ({error})") from None
        images.append(np.asarray(square, dtype=np.uint8).reshape(size, size, -1).transpose(2, 0, 1))
        if classes is not None:
            labels.append(classes.index(file.relative_to(root).parts[0]))
    return ImageData(torch.from_numpy(np.stack(images)), torch.tensor(labels, dtype=torch.int64))


NPZ_LAYOUT = "x: uint8 [N, C, size, size] with C 1 or 3 (or [N, size, size]); optional y: integers >= 0 [N]"


def _read_npz(name: str, path: Path) -> tuple[np.ndarray, np.ndarray | None]:
    try:
        with np.load(path, allow_pickle=False) as arrays:
            x = arrays["x"] if "x" in arrays.files else None
            y = arrays["y"] if "y" in arrays.files else None
    except (OSError, ValueError) as error:
        raise _fail(name, f"cannot read {path} ({error})", f"a .npz file of {NPZ_LAYOUT}") from None
    if x is None:
        raise _fail(name, f"{path} has no array x", NPZ_LAYOUT)
    return (x[:, None] if x.ndim == 3 else x), y


def describe_npz(name: str, path: str, size: int) -> dict:
    """The definition of a .npz array file, its arrays checked."""
    file = Path(path).expanduser().resolve()
    if not file.is_file():
        raise _fail(name, f"{file} is not a file", f"a .npz file of {NPZ_LAYOUT}")
    x, y = _read_npz(name, file)
    if x.dtype != np.uint8 or x.ndim != 4 or x.shape[1] not in (1, 3) or x.shape[2:] != (size, size):
        raise _fail(name, f"x is {x.dtype} {list(x.shape)} (size {size})", NPZ_LAYOUT)
    if len(x) < TEST_EVERY:
        raise _fail(name, f"x holds {len(x)} images", f"at least {TEST_EVERY} (every {TEST_EVERY}th is the test split)")
    classes = None
    if y is not None:
        if not np.issubdtype(y.dtype, np.integer) or y.shape != (len(x),) or (y < 0).any():
            raise _fail(name, f"y is {y.dtype} {list(y.shape)} for {len(x)} images", NPZ_LAYOUT)
        classes = [str(label) for label in range(int(y.max()) + 1)]
    return {"kind": "npz", "path": str(file), "size": size, "channels": int(x.shape[1]), "images": len(x),
            "classes": classes, "sha256": sha256_file(file), "protocol": NPZ_PROTOCOL.format(size=size)}


def _load_npz(definition: dict, split: str) -> ImageData:
    x, y = _read_npz(definition["path"], Path(definition["path"]))
    pick = split_indices(len(x), split)
    labels = torch.from_numpy(y[pick].astype(np.int64)) if y is not None else torch.zeros(0, dtype=torch.int64)
    return ImageData(torch.from_numpy(np.ascontiguousarray(x[pick])), labels)


DESCRIBERS = {"image-folder": describe_folder, "npz": describe_npz}
_LOADERS = {"image-folder": _load_folder, "npz": _load_npz}


def load_own(definition: dict, split: str) -> ImageData:
    """A split of a described data set: uint8 [N, C, size, size] and labels (empty without classes)."""
    return _LOADERS[definition["kind"]](definition, split)
