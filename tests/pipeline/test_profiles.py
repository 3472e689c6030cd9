"""The shipped Snakemake profiles and the workflow's lint.

Every study in configs/*.yaml is dry-run (`snakemake -n`) with each profile in
workflows/profiles/ from a copy of the workflow in a temporary directory (a dry
run writes results/<study>/study.yaml); the paper-size studies in the slow tier.
The selected dry runs start together, since most of their time is spent importing
torch. Checks: each exits 0 and reads its
profile; the DAG has one train_run job per run of the study; the shell commands
are printed (printshellcmds); with the slurm profile every job carries the
partition, and a rule that declares no resources gets the profile's
runtime/mem_mb while a rule that declares them keeps its own.
"""
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from suite.claims import CLAIMS
from suite.claims.interim import study_claim_cells
from suite.config import load_study
from tests.shipped import shipped_studies

REPO = Path(__file__).resolve().parents[2]
STUDIES = shipped_studies()
PROFILES = sorted(p.name for p in (REPO / "workflows" / "profiles").iterdir() if (p / "config.yaml").is_file())
# The README's study and CI's study dry-run in the fast tier too; the other studies in the slow tier.
FAST_DRY_RUNS = {"default.yaml", "smoke.yaml"}
DRY_RUNS = [pytest.param(study.values[0], profile, id=f"{study.id}-{profile}",
                         marks=[*study.marks, *([] if study.id in FAST_DRY_RUNS else [pytest.mark.slow])])
            for study in STUDIES for profile in PROFILES]
SNAKEMAKE = [sys.executable, "-m", "snakemake"]
TIMEOUT = 600


def workflow_copy(dest: Path) -> Path:
    dest.mkdir(parents=True)
    shutil.copy2(REPO / "Snakefile", dest / "Snakefile")
    shutil.copytree(REPO / "workflows", dest / "workflows")
    shutil.copytree(REPO / "configs", dest / "configs")
    return dest


def workflow_env() -> dict:
    """The environment of a user's shell in which `suite` imports (the checkout first)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLURM_", "SNAKEMAKE_"))}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])])
    return env


def job_stats(output: str) -> dict[str, int]:
    """The 'Job stats' table of a snakemake run: rule -> number of jobs."""
    table = output.split("Job stats:", 1)[1]
    counts = {}
    for line in table.splitlines()[3:]:
        parts = line.split()
        if len(parts) != 2 or not parts[1].isdigit() or parts[0] == "total":
            break
        counts[parts[0]] = int(parts[1])
    return counts


def job_resources(output: str) -> list[tuple[str, dict[str, str]]]:
    """(rule, resources) of every job block printed by a dry run."""
    jobs, rule = [], None
    for line in output.splitlines():
        if match := re.match(r"^(?:local)?(?:rule|checkpoint) (\S+):$", line):
            rule = match.group(1)
        elif (match := re.match(r"^\s+resources: (.*)$", line)) and rule is not None:
            jobs.append((rule, dict(item.split("=", 1) for item in match.group(1).split(", "))))
            rule = None
    return jobs


@pytest.fixture(scope="module")
def dry_runs(request, tmp_path_factory):
    """Start the (config, profile) dry runs this session selected at once; -> (returncode, output)."""
    root = tmp_path_factory.mktemp("profiles")
    selected = {(item.callspec.params["config"].name, item.callspec.params["profile"])
                for item in request.session.items if getattr(item, "originalname", None) == "test_dry_run"}
    procs = {}
    for config, profile in sorted(selected):
        workdir = workflow_copy(root / f"{Path(config).stem}-{profile}")
        cmd = [*SNAKEMAKE, "-n", "all", "--workflow-profile", f"workflows/profiles/{profile}",
               "--configfile", f"configs/{config}"]
        procs[config, profile] = subprocess.Popen(cmd, cwd=workdir, env=workflow_env(), text=True,
                                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    results = {}
    try:
        for key, proc in procs.items():
            output, _ = proc.communicate(timeout=TIMEOUT)
            results[key] = (proc.returncode, output)
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    return results


def planned_runs(study) -> set[str]:
    """What a dry run trains: the fixed runs, and in a sequential study the first look's seeds of every
    cell a claim reads."""
    ids = {spec.run_id for spec in study.runs}
    if study.sequential:
        cells = study_claim_cells([spec.to_dict() for spec in study.runs], list(CLAIMS.values()))
        ids |= {study.run(*cell, seed).run_id for cell in cells for seed in range(study.sequential["looks"][0])}
    return ids


def test_every_config_and_profile_is_shipped():
    assert {"default", "slurm"} <= set(PROFILES)
    assert {"smoke.yaml", "default.yaml"} <= {study.values[0].name for study in STUDIES}


@pytest.mark.parametrize(("config", "profile"), DRY_RUNS)
def test_dry_run(dry_runs, config, profile):
    returncode, output = dry_runs[config.name, profile]
    assert returncode == 0, f"snakemake -n with {profile} on {config} failed:\n{output[-4000:]}"
    assert f"Using workflow specific profile workflows/profiles/{profile}" in output
    study = load_study(config)
    stats = job_stats(output)
    assert stats.get("train_run") == len(planned_runs(study)), stats
    assert "Shell command: python -m suite train " in output, "printshellcmds is not in effect"

    jobs = job_resources(output)
    assert len(jobs) == sum(stats.values()), "a job block without a resources line"
    if profile == "slurm":
        slurm = yaml.safe_load((REPO / "workflows/profiles/slurm/config.yaml").read_text())
        defaults = {k: str(v) for k, v in slurm["default-resources"].items()}
        for rule, resources in jobs:
            assert resources.get("slurm_partition") == defaults["slurm_partition"], (rule, resources)
            assert resources.get("runtime") and resources.get("mem_mb"), (rule, resources)
        by_rule = dict(jobs)
        # collect_runs declares no resources: the profile's defaults apply
        assert by_rule["collect_runs"]["runtime"] == defaults["runtime"]
        assert by_rule["collect_runs"]["mem_mb"] == defaults["mem_mb"]
        # train_run declares its own: they win over the defaults
        assert by_rule["train_run"]["runtime"] != defaults["runtime"]
        assert by_rule["train_run"]["mem_mb"] != defaults["mem_mb"]
    else:
        assert all("slurm_partition" not in resources for _, resources in jobs)


@pytest.mark.slow
def test_lint(tmp_path):
    """`snakemake --lint` of the workflow reports nothing but the per-rule conda advice."""
    workdir = workflow_copy(tmp_path / "lint")
    result = subprocess.run([*SNAKEMAKE, "--lint"], cwd=workdir, env=workflow_env(), text=True,
                            capture_output=True, timeout=TIMEOUT)
    output = result.stdout + result.stderr
    issues, where = [], "?"
    for line in output.splitlines():
        if line.startswith("Lints for "):
            where = line[len("Lints for "):].rstrip(":").replace(str(workdir) + "/", "")
        elif line.startswith("    * "):
            issues.append(f"{where}: {line[6:].rstrip(':.')}")
    # Rules call the installed package (`python -m suite`) in the one environment scripts/install.sh
    # builds; per-rule conda environments would not hold the package, so that advice is the one exception.
    issues = [issue for issue in issues if "Specify a conda environment or container" not in issue]
    assert not issues, "snakemake --lint reports:\n" + "\n".join(issues)
    assert "Lints for" in output or result.returncode == 0, output[-4000:]
