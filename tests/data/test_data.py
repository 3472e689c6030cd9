import gzip
import pickle

import numpy as np
import pytest
import torch

from suite.data import DATASETS, data_shape, is_available, load_dataset
from suite.data.fashion import read_idx
from suite.errors import ConfigError, DataMissingError


def write_idx(path, array):
    header = b"\x00\x00\x08" + bytes([array.ndim]) + b"".join(d.to_bytes(4, "big") for d in array.shape)
    with gzip.open(path, "wb") as handle:
        handle.write(header + array.astype(np.uint8).tobytes())


def test_fashion_from_idx_files_is_padded_to_32(tmp_path):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (5, 28, 28), dtype=np.uint8)
    labels = np.array([3, 1, 4, 1, 5], dtype=np.uint8)
    write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", images)
    write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", labels)
    data = load_dataset("fashion32", "test", root=tmp_path)
    assert data.images.shape == (5, 1, 32, 32) and data.images.dtype == torch.uint8
    assert torch.equal(data.images[:, 0, 2:30, 2:30], torch.from_numpy(images))
    assert data.images[:, :, :2].sum() == 0 and data.images[:, :, :, 30:].sum() == 0
    assert data.labels.tolist() == [3, 1, 4, 1, 5]


def test_truncated_idx_is_rejected(tmp_path):
    path = tmp_path / "x.gz"
    with gzip.open(path, "wb") as handle:
        handle.write(b"\x00\x00\x08\x01" + (10).to_bytes(4, "big") + b"\x01\x02")
    with pytest.raises(ValueError, match="truncated"):
        read_idx(path)


def test_missing_fashion_says_how_to_get_it(tmp_path):
    with pytest.raises(DataMissingError, match="apt-get install dataset-fashion-mnist"):
        load_dataset("fashion32", "train", root=tmp_path)


def test_cifar_from_pickle_batches(tmp_path):
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    rng = np.random.default_rng(1)
    expected = []
    for i in range(1, 6):
        data = rng.integers(0, 256, (2, 3072), dtype=np.uint8)
        expected.append(data)
        with open(folder / f"data_batch_{i}", "wb") as handle:
            pickle.dump({"data": data, "labels": [i, i + 1]}, handle)
    loaded = load_dataset("cifar10", "train", root=tmp_path)
    assert loaded.images.shape == (10, 3, 32, 32)
    assert torch.equal(loaded.images[0].reshape(-1), torch.from_numpy(expected[0][0]))
    assert loaded.labels.tolist() == [1, 2, 2, 3, 3, 4, 4, 5, 5, 6]
    with pytest.raises(DataMissingError, match="fetch-data cifar10"):
        load_dataset("cifar10", "test", root=tmp_path)


@pytest.mark.parametrize("name", ["toy-8gaussians", "toy-25gaussians", "toy-swissroll"])
def test_toy_sets_are_seeded_and_2d(name):
    a, b = load_dataset(name, seed=3), load_dataset(name, seed=3)
    assert a.shape == (100_000, 2) and torch.equal(a, b)
    assert not torch.equal(a, load_dataset(name, seed=4))
    assert not torch.equal(a[:10_000], load_dataset(name, "test", seed=3))
    assert data_shape(name) == (2,)


def test_eight_gaussians_has_eight_modes_on_a_circle():
    points = load_dataset("toy-8gaussians")
    radius = points.norm(dim=1)
    assert torch.allclose(radius.mean(), torch.tensor(2 / 2 ** 0.5), atol=0.01)
    angles = torch.atan2(points[:, 1], points[:, 0])
    modes = torch.round(angles / (torch.pi / 4)).remainder(8)
    counts = torch.bincount(modes.long(), minlength=8)
    assert (counts > 10_000).all()


def test_unknown_data_set_lists_allowed_names():
    with pytest.raises(ConfigError, match="allowed: " + ", ".join(DATASETS)):
        load_dataset("mnist")
    with pytest.raises(ConfigError, match="allowed: train, test"):
        load_dataset("fashion32", "val")


def test_is_available_needs_every_split_on_disk(tmp_path):
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    for name in [f"data_batch_{i}" for i in range(1, 6)]:
        (folder / name).write_bytes(b"")
    assert not is_available("cifar10", tmp_path)
    (folder / "test_batch").write_bytes(b"")
    assert is_available("cifar10", tmp_path)
    write_idx(tmp_path / "train-images-idx3-ubyte.gz", np.zeros((1, 28, 28)))
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", np.zeros(1))
    write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", np.zeros((1, 28, 28)))
    assert not is_available("fashion32", tmp_path)
    write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", np.zeros(1))
    assert is_available("fashion32", tmp_path)
    assert is_available("toy-swissroll", tmp_path)
