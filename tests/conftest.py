import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import torch
import yaml

from suite.data import ROOT_VARIABLE
from tests.data.files import write_cifar10, write_fashion_mnist, write_fortunes

REPO = Path(__file__).resolve().parents[1]
# Tests start `snakemake` and the rules start `python`: those of the environment running the tests,
# also when it was never activated (`.venv/bin/python -m pytest`).
os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
os.environ.setdefault("OMP_NUM_THREADS", "2")
torch.set_num_threads(2)


def pytest_configure(config):
    """Every test, and every process a test starts, reads Fashion-MNIST, CIFAR-10 and the fortunes corpus from small files
    written here in their real formats (tests/data/files.py), never an installed or downloaded copy.
    Set before any test module is imported, so the environments they build at import carry it too."""
    root = Path(tempfile.mkdtemp(prefix="ganbench-test-data-"))
    write_fashion_mnist(root)
    write_cifar10(root)
    write_fortunes(root)
    os.environ[ROOT_VARIABLE] = str(root)
    config.add_cleanup(lambda: shutil.rmtree(root, ignore_errors=True))


def toy_study(experiment="toy-test", methods=("wgan-gp",), seeds=(0,), iterations=30, **train):
    """A tiny 2-d study (MLP on 8 gaussians) that trains in seconds."""
    return {
        "experiment": experiment,
        "archs": {"mlp-small": {"family": "mlp", "depth": 3, "width": 32}},
        "train": {"iterations": iterations, "batch_size": 64, "log_every": 1, "checkpoint_every": 5,
                  "eval_every": 0, "diagnostics_every": 5, **train},
        "evaluate": {"inception": False, "domain": False},
        "grids": [{"data": ["toy-8gaussians"], "archs": ["mlp-small"], "methods": list(methods),
                   "seeds": list(seeds)}],
    }


@pytest.fixture
def write_study(tmp_path):
    def write(config: dict, name: str = "study.yaml") -> Path:
        path = tmp_path / name
        path.write_text(yaml.safe_dump(config))
        return path

    return write


def start_training(study, run: str, out, stderr=subprocess.DEVNULL) -> subprocess.Popen:
    """`python -m suite train` of one run with 1 thread, in the background (to kill or signal it)."""
    return subprocess.Popen([sys.executable, "-m", "suite", "train", "--study", str(study), "--run", run,
                             "--out", str(out), "--threads", "1"], cwd=REPO, stdout=subprocess.DEVNULL,
                            stderr=stderr, text=True)


def run_cli(*args, cwd=REPO, check=True, **kwargs):
    """Run `python -m suite ...` as a user would; returns the CompletedProcess."""
    result = subprocess.run([sys.executable, "-m", "suite", *map(str, args)], cwd=cwd,
                            capture_output=True, text=True, **kwargs)
    if check and result.returncode != 0:
        raise AssertionError(f"suite {' '.join(map(str, args))} failed ({result.returncode}):\n{result.stderr[-3000:]}")
    return result
