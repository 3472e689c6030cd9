"""A study's own data: an image folder (labels from its subfolders) or a .npz file, described once and
recorded, loaded the same in any process, and refused in one line when it cannot be used."""

import numpy as np
import pytest
import torch
from PIL import Image

from suite.config import resolve_study
from suite.data import DATASETS, describe_own, is_labelled, load_dataset, own_key, register_own
from suite.data.own import split_indices
from suite.errors import ConfigError
from tests.conftest import toy_study
from tests.data.files import write_image_folder


def folder_study(path, kind="image-folder", name="mine") -> dict:
    study = toy_study("own-data")
    study["datasets"] = {name: {"kind": kind, "path": str(path), "size": 32}}
    study["archs"] = {"dcgan-tiny": {"family": "dcgan", "width": 2}}
    study["grids"][0].update(data=[name], archs=["dcgan-tiny"])
    study["train"]["batch_size"] = 4
    study["evaluate"].update(n_gen=4, n_ref=2)  # a split of the smallest folder here (10 images) holds 2
    return study


def test_a_labelled_folder_is_described_split_and_loaded(tmp_path):
    write_image_folder(tmp_path / "pets", {"cats": 10, "dogs": 15}, size=(48, 40))
    definition = describe_own("pets", {"kind": "image-folder", "path": str(tmp_path / "pets"), "size": 32})
    assert definition["images"] == 25 and definition["classes"] == ["cats", "dogs"]
    assert definition["channels"] == 3 and definition["path"] == str(tmp_path / "pets")
    assert "centre crop" in definition["protocol"] and len(definition["sha256"]) == 64
    register_own("pets", definition)
    train, test = load_dataset("pets", "train"), load_dataset("pets", "test")
    assert (len(train), len(test)) == (20, 5)  # every 5th image in path order is a test image
    assert train.images.dtype == torch.uint8 and tuple(train.images.shape[1:]) == (3, 32, 32)
    # Path order: cats-000..009 (labels 0), then dogs-000..014 (labels 1).
    assert test.labels.tolist() == [0, 0, 1, 1, 1] and int(train.labels.sum()) == 12
    assert is_labelled("pets")


def test_the_resize_protocol_crops_the_centre_square_and_shrinks_it(tmp_path):
    """A 96x64 image whose outer 16-px columns are black: the centre 64x64 square is white, and shrunk to 32."""
    folder = tmp_path / "wide"
    folder.mkdir()
    pixels = np.zeros((64, 96), np.uint8)
    pixels[:, 16:80] = 255
    for index in range(5):
        Image.fromarray(pixels, "L").save(folder / f"{index}.png")
    definition = describe_own("wide", {"kind": "image-folder", "path": str(folder), "size": 32})
    assert definition["channels"] == 1 and definition["classes"] is None
    register_own("wide", definition)
    images = load_dataset("wide", "train").images
    assert images.shape == (4, 1, 32, 32) and int(images.min()) == 255
    assert not is_labelled("wide")


def test_the_content_hash_follows_the_bytes_and_nothing_else(tmp_path):
    folder = write_image_folder(tmp_path / "set", count=6, size=(32, 32))
    entry = {"kind": "image-folder", "path": str(folder), "size": 32}
    first = describe_own("set", entry)
    assert describe_own("set", entry) == first
    Image.new("RGB", (32, 32), (1, 2, 3)).save(folder / "image-002.png")
    changed = describe_own("set", entry)
    assert changed["sha256"] != first["sha256"] and own_key("set", changed) != own_key("set", first)
    assert own_key("set", first) == f"set-{first['sha256'][:12]}-s32"


def test_an_npz_file_with_and_without_labels(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (12, 32, 32), dtype=np.uint8)
    np.savez(tmp_path / "grey.npz", x=x)
    np.savez(tmp_path / "labelled.npz", x=np.repeat(x[:, None], 3, axis=1), y=np.arange(12) % 3)
    grey = describe_own("grey", {"kind": "npz", "path": str(tmp_path / "grey.npz"), "size": 32})
    labelled = describe_own("labelled", {"kind": "npz", "path": str(tmp_path / "labelled.npz"), "size": 32})
    assert (grey["channels"], grey["classes"], labelled["channels"]) == (1, None, 3)
    assert labelled["classes"] == ["0", "1", "2"]
    register_own("grey", grey)
    register_own("labelled", labelled)
    test = load_dataset("grey", "test")
    assert torch.equal(test.images[:, 0], torch.from_numpy(x[split_indices(12, "test")])) and len(test.labels) == 0
    assert load_dataset("labelled", "test").labels.tolist() == [1, 0]  # images 4 and 9


def test_a_study_records_its_data_set_in_each_run(tmp_path):
    write_image_folder(tmp_path / "pets", {"cats": 5, "dogs": 5}, size=(32, 32))
    study = resolve_study(folder_study(tmp_path / "pets"))
    run = study.runs[0]
    assert run.data == "mine" and run.run_id.startswith("mine/dcgan-tiny/")
    assert run.dataset == study.datasets["mine"] and run.dataset["images"] == 10
    assert study.config["datasets"] == folder_study(tmp_path / "pets")["datasets"], "the study file reloads as written"
    assert run.describe()["dataset"]["sha256"] == run.dataset["sha256"]
    assert DATASETS["mine"].shape == (3, 32, 32)


def _garbage(folder):
    write_image_folder(folder, count=5, size=(32, 32))
    (folder / "broken.png").write_bytes(b"not a png at all")


def _small(folder):
    write_image_folder(folder, count=5, size=(32, 32))
    Image.new("RGB", (20, 40)).save(folder / "tiny.png")


def _mixed(folder):
    write_image_folder(folder, {"a": 3, "b": 3}, size=(32, 32))
    Image.new("RGB", (32, 32)).save(folder / "loose.png")


@pytest.mark.parametrize("make, message", [
    (lambda folder: folder.mkdir(), r"holds 0 images \(.png, .jpg, .*\); allowed: at least 5"),
    (_garbage, r"cannot read .*/broken.png \(UnidentifiedImageError: .*\); allowed: image files Pillow can read"),
    (_small, r"tiny.png is 20x40, smaller than size 32; allowed: images at least 32 px on each side"),
    (_mixed, r"loose.png lies in the top folder while other images lie in subfolders; allowed: every image in a "
             r"class subfolder"),
    (lambda folder: None, r"is not a folder; allowed: a folder of images"),
])
def test_a_bad_folder_is_one_line_naming_the_problem(tmp_path, make, message):
    make(tmp_path / "bad")
    with pytest.raises(ConfigError, match=r"config error at datasets.mine: data set 'mine': .*" + message) as error:
        resolve_study(folder_study(tmp_path / "bad"))
    assert "\n" not in str(error.value)


@pytest.mark.parametrize("arrays, message", [
    ({"x": np.zeros((10, 1, 32, 32), np.float32)}, r"x is float32 \[10, 1, 32, 32\] \(size 32\); allowed: x: uint8"),
    ({"x": np.zeros((10, 1, 28, 28), np.uint8)}, r"x is uint8 \[10, 1, 28, 28\] \(size 32\)"),
    ({"images": np.zeros((10, 32, 32), np.uint8)}, r"has no array x"),
    ({"x": np.zeros((10, 32, 32), np.uint8), "y": np.zeros(9, np.int64)}, r"y is int64 \[9\] for 10 images"),
])
def test_a_bad_npz_file_is_one_line_saying_the_layout(tmp_path, arrays, message):
    np.savez(tmp_path / "bad.npz", **arrays)
    with pytest.raises(ConfigError, match=message):
        resolve_study(folder_study(tmp_path / "bad.npz", kind="npz"))


def test_own_names_may_not_shadow_shipped_ones_and_kinds_are_checked(tmp_path):
    write_image_folder(tmp_path / "pets", count=5, size=(32, 32))
    with pytest.raises(ConfigError, match=r"data set 'fashion32' is shipped; allowed: another name"):
        resolve_study(folder_study(tmp_path / "pets", name="fashion32"))
    with pytest.raises(ConfigError, match=r"datasets.mine.kind: 'folder' is not allowed; allowed: image-folder, npz"):
        resolve_study(folder_study(tmp_path / "pets", kind="folder"))


@pytest.mark.parametrize("change, message", [
    (lambda study: study["train"].update(batch_size=21),
     r"config error at train.batch_size: 21 images of data set 'mine', whose train split holds 20 of its 25; "
     r"allowed: at most 20"),
    (lambda study: study["evaluate"].update(domain=True, n_ref=6),
     r"config error at evaluate.n_ref: 6 images of data set 'mine', whose test split holds 5 of its 25"),
    (lambda study: study["evaluate"].update(n_gen=21),
     r"config error at evaluate.n_gen \(the real-data floor's images\): 21 images of data set 'mine', whose "
     r"train split holds 20"),
])
def test_counts_beyond_a_split_of_an_own_data_set_are_refused(tmp_path, change, message):
    write_image_folder(tmp_path / "pets", count=25, size=(32, 32))
    study = folder_study(tmp_path / "pets")
    study["evaluate"].update(n_gen=8, n_ref=4)
    study["train"]["batch_size"] = 8
    change(study)
    with pytest.raises(ConfigError, match=message):
        resolve_study(study)
