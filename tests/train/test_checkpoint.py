"""Checkpoints: weights_only loading, unreadable checkpoints moved aside, full and read-only disks."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import torch
import yaml

from tests.conftest import REPO, run_cli, toy_study

RUN = "toy-8gaussians/mlp-small/wgan-gp/seed0"


def train(study, out, check=True):
    return run_cli("train", "--study", study, "--run", RUN, "--out", out, "--threads", "1", check=check)


def losses(run_dir):
    return pd.read_csv(run_dir / "train.csv").drop(columns=["seconds"])


@pytest.fixture(scope="module")
def whole(tmp_path_factory):
    """One uninterrupted run: (study file, run folder)."""
    root = tmp_path_factory.mktemp("whole")
    study = root / "study.yaml"
    study.write_text(yaml.safe_dump(toy_study(iterations=20)))
    train(study, root / "run")
    return study, root / "run"


def test_checkpoint_holds_only_tensors_and_plain_types(whole):
    _, run_dir = whole
    state = torch.load(run_dir / "checkpoint.pt", map_location="cpu", weights_only=True)
    assert state["step"] == 20
    assert state["rng"]["python"]["words"].dtype == torch.int64 and state["rng"]["python"]["words"].numel() == 625
    assert state["rng"]["numpy"]["keys"].numel() == 624 and state["rng"]["numpy"]["kind"] == "MT19937"


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _scramble(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[100:4100] = bytes(range(256)) * 16
    path.write_bytes(bytes(data))


@pytest.mark.slow
@pytest.mark.parametrize("damage", [_truncate, _scramble], ids=["truncated", "corrupt"])
def test_unreadable_checkpoint_is_moved_aside_and_the_run_starts_over(whole, tmp_path, damage):
    study, reference = whole
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    shutil.copy(reference / "checkpoint.pt", run_dir / "checkpoint.pt")
    damage(run_dir / "checkpoint.pt")
    result = train(study, run_dir)
    warnings = [line for line in result.stderr.splitlines() if "checkpoint" in line and "WARNING" in line]
    assert len(warnings) == 1 and "is unreadable" in warnings[0] and "from step 0" in warnings[0], result.stderr
    assert (run_dir / "checkpoint.pt.unreadable").is_file()
    pd.testing.assert_frame_equal(losses(run_dir), losses(reference))
    assert torch.load(run_dir / "checkpoint.pt", weights_only=True)["step"] == 20


class _WritesAFile:
    """A pickled object whose loading would run code: open() creates the file named in it."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return open, (str(self.path), "w")


@pytest.mark.slow
def test_checkpoint_with_a_pickled_object_is_refused_without_running_it(whole, tmp_path):
    study, reference = whole
    run_dir, marker = tmp_path / "run", tmp_path / "code-ran"
    run_dir.mkdir()
    state = torch.load(reference / "checkpoint.pt", weights_only=True)
    state["status"] = _WritesAFile(marker)
    torch.save(state, run_dir / "checkpoint.pt")
    result = train(study, run_dir)
    assert not marker.exists()
    assert "is unreadable" in result.stderr and (run_dir / "checkpoint.pt.unreadable").is_file()
    pd.testing.assert_frame_equal(losses(run_dir), losses(reference))


@pytest.fixture
def small_tmpfs(tmp_path):
    """A 64 KiB tmpfs (root only): a disk that fills, or one remounted read-only."""
    mount = tmp_path / "disk"
    mount.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)], capture_output=True, text=True)
    if made.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {made.stderr.strip()}")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=True)


def _assert_one_line_error(result, text):
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error: ") and last.endswith(text), result.stderr


@pytest.mark.slow
def test_full_disk_gives_one_line_and_nothing_taken_as_done(whole, small_tmpfs):
    study, _ = whole
    (small_tmpfs / "filler").write_bytes(b"\0" * (60 * 1024))
    filled = subprocess.run(["dd", "if=/dev/zero", f"of={small_tmpfs / 'rest'}", "bs=4096"], capture_output=True)
    assert b"No space left" in filled.stderr
    result = train(study, small_tmpfs / "run", check=False)
    _assert_one_line_error(result, "No space left on device")
    assert not (small_tmpfs / "run" / "train.json").exists()
    assert not list((small_tmpfs / "run").glob(".*.tmp"))


@pytest.mark.slow
def test_read_only_results_folder_gives_one_line(whole, small_tmpfs):
    study, _ = whole
    subprocess.run(["mount", "-o", "remount,ro", str(small_tmpfs)], check=True)
    result = train(study, small_tmpfs / "run", check=False)
    _assert_one_line_error(result, "Read-only file system")


def test_results_follow_the_umask(tmp_path):
    script = ("import os, sys; os.umask(0o022); from suite import io; "
              "io.write_text(sys.argv[1], 'x'); io.write_json(sys.argv[2], {}); "
              "os.umask(0o027); io.write_text(sys.argv[3], 'x')")
    paths = [tmp_path / "a.txt", tmp_path / "b.json", tmp_path / "c.txt"]
    subprocess.run([sys.executable, "-c", script, *map(str, paths)], cwd=REPO, check=True)
    assert [path.stat().st_mode & 0o777 for path in paths] == [0o644, 0o644, 0o640]


def test_reference_statistics_and_figures_follow_the_umask_too(tmp_path):
    import matplotlib.pyplot as plt
    import numpy as np

    from suite.metrics.reference import Reference, load_reference, save_reference
    from suite.report.figures import _save

    previous = os.umask(0o022)
    try:
        features = np.arange(12.0).reshape(4, 3)
        save_reference(Reference(features.mean(0), np.eye(3), 4, features, "domain", "0" * 64, "fashion32", "test", 0),
                       tmp_path / "ref.npz")
        figure = _save(plt.figure(), tmp_path / "figures", "empty", "curve", "an empty figure")
    finally:
        os.umask(previous)
    assert load_reference(tmp_path / "ref.npz").n == 4
    written = [tmp_path / "ref.npz", figure.png, figure.pdf]
    assert [path.stat().st_mode & 0o777 for path in written] == [0o644] * 3
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["empty.pdf", "empty.png", "figures", "ref.npz"]
