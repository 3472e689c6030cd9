"""The `ganbench` command: version, the run / bench pass-through, one-line errors, progress in logs."""

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from suite import __version__
from tests.conftest import REPO, run_cli, toy_study


def test_version_from_the_module_and_the_console_script():
    assert run_cli("--version").stdout.strip() == f"ganbench {__version__}"
    script = Path(sys.executable).parent / "ganbench"
    result = subprocess.run([str(script), "--version"], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == f"ganbench {__version__}"
    assert subprocess.run([str(script), "--help"], capture_output=True, text=True).stdout.startswith("usage: ganbench")


def test_help_lists_the_user_commands():
    usage = run_cli("--help").stdout
    for command in ("run", "bench", "check", "claims", "report"):
        assert f"    {command} " in usage, command


@pytest.mark.slow
def test_run_passes_every_argument_to_snakemake_in_the_checkout(tmp_path):
    """From a folder without a Snakefile, `run` uses the checkout the package lives in."""
    result = run_cli("run", "-n", "--quiet", "rules", "all", "--configfile", REPO / "configs" / "smoke.yaml",
                     cwd=tmp_path)
    assert "train_run" in result.stdout and "build_report" in result.stdout
    assert not (tmp_path / ".snakemake").exists()


@pytest.mark.slow
def test_run_reports_snakemakes_exit_status():
    result = run_cli("run", "-n", "no_such_target_rule", check=False)
    assert result.returncode == 1
    assert "no_such_target_rule" in result.stdout + result.stderr


@pytest.mark.slow
def test_bench_passes_its_arguments_to_the_benchmarks(tmp_path):
    result = run_cli("bench", "--help", cwd=tmp_path)
    assert result.stdout.startswith("usage: python -m benchmarks.run")
    assert "--quick" in result.stdout


def test_unknown_option_is_one_usage_error():
    result = run_cli("check", "--bogus", "configs/smoke.yaml", check=False)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == "python -m suite: error: unrecognized arguments: --bogus"


@pytest.mark.parametrize("command, option", [("reference", "--n"), ("floors", "--n-gen")])
@pytest.mark.parametrize("count", ["1", "0", "ten"])
def test_an_image_count_below_two_is_one_usage_error_and_writes_nothing(tmp_path, command, option, count):
    out = tmp_path / "ref.npz"
    args = {"reference": ("--data", "fashion32", "--split", "test", "--extractor", "domain", "--out", out),
            "floors": ("--domain-classifier", tmp_path / "c.pt", "--domain-ref", out)}[command]
    result = run_cli(command, *args, option, count, check=False)
    assert result.returncode == 2
    assert f"argument {option}: " in result.stderr and "Traceback" not in result.stderr
    assert "at least 2" in result.stderr or "whole number" in result.stderr
    assert not out.exists()


@pytest.mark.slow
def test_progress_in_a_log_is_one_line_per_tenth_without_carriage_returns(tmp_path):
    study = tmp_path / "study.yaml"
    study.write_text(yaml.safe_dump(toy_study(iterations=20, diagnostics_every=0)))
    run = "toy-8gaussians/mlp-small/wgan-gp/seed0"
    result = run_cli("train", "--study", study, "--run", run, "--out", tmp_path / "run", "--threads", "1")
    assert "\r" not in result.stderr
    lines = [line.split(" INFO: ", 1)[1] for line in result.stderr.splitlines() if " suite.progress INFO: " in line]
    assert lines == [f"{run}: {2 * k}/20 steps ({10 * k}%)" for k in range(1, 11)]
