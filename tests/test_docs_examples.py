"""The worked examples of docs/methods.md (an own penalty, R1) and docs/data.md (an own image folder), run as
written: each fenced block whose first line is `# file: <path>` is written to that path in a copy of the
workflow, and each `$ ` line of the example's console block is run there."""

import json
import math
import re
import shlex
import subprocess

import pytest
import yaml

from tests.conftest import REPO
from tests.data.files import write_image_folder
from tests.pipeline.test_pipeline import workflow_copy

FILE_BLOCK = re.compile(r"```\w+\n# file: (\S+)\n(.*?)```", re.S)
CONSOLE_BLOCK = re.compile(r"```console\n(.*?)```", re.S)


def worked_example(doc: str) -> str:
    """The doc's section `Worked example...`, to the next heading of its level or above (outside code)."""
    lines, section, level, fenced = (REPO / "docs" / doc).read_text().splitlines(), [], None, False
    for line in lines:
        heading = not fenced and re.match(r"^(#+) ", line)
        fenced = fenced != line.startswith("```")
        if heading and level is not None and len(heading.group(1)) <= level:
            break
        if heading and level is None and line.lstrip("#").startswith(" Worked example"):
            level = len(heading.group(1))
        if level is not None:
            section.append(line)
    return "\n".join(section) + "\n"


def write_example(doc: str, tmp_path):
    """A workflow copy holding the example's files (and, for docs/data.md, the image folder it describes);
    returns it and the example's commands."""
    workdir = workflow_copy(tmp_path)
    section = worked_example(doc)
    files = FILE_BLOCK.findall(section)
    assert files, f"{doc}: the worked example has no `# file:` blocks"
    for path, content in files:
        (workdir / path).parent.mkdir(parents=True, exist_ok=True)
        (workdir / path).write_text(content)
    if doc == "data.md":
        write_image_folder(workdir / "data" / "shapes", {"circles": 30, "squares": 30}, size=(40, 36))
    (console,) = CONSOLE_BLOCK.findall(section)
    commands = [shlex.split(line[2:]) for line in console.splitlines() if line.startswith("$ ")]
    return workdir, commands


def run(workdir, command):
    result = subprocess.run(command, cwd=workdir, capture_output=True, text=True)
    assert result.returncode == 0, f"{' '.join(command)}:\n{result.stderr[-3000:]}"
    return result.stdout + result.stderr


@pytest.mark.parametrize("doc, runs", [("methods.md", ["fashion32/dcgan-tiny/gan-r1/seed0",
                                                        "fashion32/dcgan-tiny/dcgan-bn/seed0"]),
                                       ("data.md", ["shapes/dcgan-tiny/sngan/seed0"])])
def test_the_worked_example_loads(tmp_path, doc, runs):
    """Its first command, `python -m suite check`, lists the runs (the parts and data checked on the way)."""
    workdir, commands = write_example(doc, tmp_path)
    assert commands[0][:3] == ["python", "-m", "suite"]
    output = run(workdir, commands[0])
    assert [line.split()[0] for line in output.splitlines() if line.startswith("  ")] == runs


@pytest.mark.slow
def test_the_r1_example_runs_as_written(tmp_path):
    workdir, commands = write_example("methods.md", tmp_path)
    for command in commands:
        run(workdir, command)
    runs = workdir / "results" / "r1" / "runs" / "fashion32" / "dcgan-tiny"
    record = yaml.safe_load((runs / "gan-r1" / "seed0" / "run.yaml").read_text())
    assert record["parts"]["constraint"]["path"] == "mygan.r1:r1"
    penalties = [float(row.split(",")[4]) for row in (runs / "gan-r1" / "seed0" / "train.csv").read_text().split()[1:]]
    assert all(value > 0 for value in penalties), "R1 penalises every critic step"
    assert "gan-r1" in (workdir / "results" / "r1" / "report" / "index.html").read_text()


@pytest.mark.slow
def test_the_image_folder_example_runs_as_written(tmp_path):
    workdir, commands = write_example("data.md", tmp_path)
    outputs = [run(workdir, command) for command in commands]
    assert "Nothing to be done" in outputs[-1]
    metrics = json.loads((workdir / "results" / "shapes" / "runs" / "shapes" / "dcgan-tiny" / "sngan" / "seed0"
                          / "metrics.json").read_text())
    assert math.isfinite(metrics["metrics"]["fid"]) and math.isfinite(metrics["metrics"]["domain_fid"])
