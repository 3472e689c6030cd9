import gzip
import os
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch

from suite.data import DATASETS, ROOT_VARIABLE, data_shape, fetch_root, is_available, load_dataset
from suite.data.fashion import DEBIAN_ROOT, fashion_present, read_idx
from suite.errors import ConfigError, DataMissingError
from tests.data.files import CIFAR_BATCH_SIZE, CLASSES, FASHION_SIZES, write_cifar10, write_fashion_mnist, write_idx


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


def test_the_tests_read_small_files_in_the_real_formats():
    """conftest writes both image sets under $GANBENCH_DATA_ROOT; the loaders find them with no root given."""
    root = Path(os.environ[ROOT_VARIABLE])
    for name, magic in (("train-images-idx3-ubyte.gz", 3), ("t10k-labels-idx1-ubyte.gz", 1)):
        with gzip.open(root / name, "rb") as handle:
            assert handle.read(4) == bytes([0, 0, 8, magic])
    for split, size in FASHION_SIZES.items():
        data = load_dataset("fashion32", split)
        assert data.images.shape == (size, 1, 32, 32)
        assert torch.bincount(data.labels).tolist() == [size // CLASSES] * CLASSES
    with open(root / "cifar-10-batches-py" / "data_batch_1", "rb") as handle:
        batch = pickle.load(handle, encoding="latin1")
    assert batch["data"].shape == (CIFAR_BATCH_SIZE, 3072) and batch["data"].dtype == np.uint8
    assert load_dataset("cifar10", "train").images.shape == (5 * CIFAR_BATCH_SIZE, 3, 32, 32)
    assert load_dataset("cifar10", "test").labels.shape == (CIFAR_BATCH_SIZE,)
    assert is_available("fashion32") and is_available("cifar10")


def test_a_named_folder_wins_over_the_environment_and_the_environment_over_the_defaults(tmp_path, monkeypatch):
    named, empty, workdir = tmp_path / "named", tmp_path / "empty", tmp_path / "work"
    write_fashion_mnist(named, {"train": 20, "test": 10})
    write_cifar10(named, batch_size=10)
    empty.mkdir()
    monkeypatch.setenv(ROOT_VARIABLE, str(empty))
    assert not is_available("fashion32") and not is_available("cifar10")
    with pytest.raises(DataMissingError, match="apt-get install dataset-fashion-mnist"):
        load_dataset("fashion32", "test")
    assert len(load_dataset("fashion32", "test", root=named)) == 10
    assert len(load_dataset("cifar10", "test", root=named)) == 10
    assert fetch_root(None) == empty and fetch_root(named) == named

    monkeypatch.setenv(ROOT_VARIABLE, str(named))
    assert len(load_dataset("fashion32", "train")) == 20

    monkeypatch.delenv(ROOT_VARIABLE)
    write_fashion_mnist(workdir / "data", {"train": 20, "test": 30})
    monkeypatch.chdir(workdir)
    assert fetch_root(None) == Path("data")
    expected = 10_000 if fashion_present(DEBIAN_ROOT) else 30  # the Debian package first, then data/
    assert len(load_dataset("fashion32", "test")) == expected


@pytest.mark.skipif(not fashion_present(DEBIAN_ROOT), reason=f"Fashion-MNIST is not in {DEBIAN_ROOT} (Debian's "
                                                              "dataset-fashion-mnist); only this test reads the real set")
def test_the_debian_package_holds_all_of_fashion_mnist():
    for split, size in (("train", 60_000), ("test", 10_000)):
        data = load_dataset("fashion32", split, root=DEBIAN_ROOT)
        assert data.images.shape == (size, 1, 32, 32) and data.images.dtype == torch.uint8
        assert torch.bincount(data.labels).tolist() == [size // 10] * 10
        assert data.images[:, :, :2].sum() == 0 and int(data.images.max()) == 255
