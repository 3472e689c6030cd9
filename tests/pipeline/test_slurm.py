"""A smoke study through a real single-node SLURM cluster (scripts/slurm-local.sh).

A fixture starts slurmctld + slurmd (and munged) with the script; the test copies
Snakefile, workflows/ and configs/ into a temporary directory, writes the smoke
study's first grid at one seed as configs/slurm-smoke.yaml, runs

    snakemake --workflow-profile workflows/profiles/slurm all --configfile configs/slurm-smoke.yaml

there, and checks:
- the report and every run's metrics.json exist;
- every job went through SLURM: the plugin wrote one log per job under
  .snakemake/slurm_logs/rule_<rule>/, slurmctld's job completion log lists
  each of those job ids as COMPLETED under this run's job name (the plugin's
  run id), and their number equals the non-target jobs of the DAG;
- what SLURM granted matches what the job asked for: CPUs = the job's threads,
  time limit = its runtime, memory >= its mem_mb (from the jobstep's own log);
then `down`, after which the recorded daemons are gone and /etc/slurm/slurm.conf
no longer points at the cluster. Skipped only when slurmctld is not installed
(Debian: slurm-wlm and munge, which CI installs; scripts/install.sh never does).
"""
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from suite.config import load_study

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "slurm-local.sh"
SLURMCTLD = shutil.which("slurmctld") or next((p for p in ("/usr/sbin/slurmctld",) if os.access(p, os.X_OK)), None)
DAEMONS = ("slurmctld", "slurmd", "munged")
# The study's own work dominates: on a 2-core node the 2-thread rules (reference
# statistics, the domain classifier, the real-data floor) run one at a time; each SLURM job adds ~15-35 s (two workflow
# parses: the sbatch'd jobstep, then srun) plus the plugin's status polling.
TIMEOUT = 1800

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(SLURMCTLD is None, reason="slurmctld is not installed (apt-get install slurm-wlm munge)"),
]


def clean_env(**extra) -> dict:
    """The caller's environment without SLURM/Snakemake job variables, with the checkout importable."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLURM_", "SNAKEMAKE_", "SBATCH_", "SRUN_"))}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])])
    env.update(extra)
    return env


def script(command: str, state: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(SCRIPT), command], env=clean_env(GANBENCH_SLURM_DIR=str(state)),
                          capture_output=True, text=True, timeout=120)


def running(pid: int, name: str) -> bool:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip() == name
    except OSError:
        return False


@pytest.fixture
def cluster(tmp_path):
    """A running local cluster: {"state": dir, "pids": {daemon: pid}} (munged only when the script started it)."""
    state = tmp_path / "slurm"
    up = script("up", state)
    if up.returncode != 0:
        script("down", state)
        pytest.fail(f"slurm-local.sh up failed ({up.returncode}):\n{up.stdout}\n{up.stderr}")
    pids = {name: int((state / f"{name}.pid").read_text()) for name in DAEMONS if (state / f"{name}.pid").is_file()}
    try:
        yield {"state": state, "pids": pids, "up": up}
    finally:
        script("down", state)  # a no-op when the test already stopped it


def workflow_copy(dest: Path) -> Path:
    """The workflow, plus `configs/slurm-smoke.yaml`: the smoke study's first grid at one seed.

    Every rule still runs as a SLURM job; fewer runs keep the test's cost (each job parses the
    workflow twice on the node) inside CI's budget.
    """
    dest.mkdir()
    shutil.copy2(REPO / "Snakefile", dest / "Snakefile")
    shutil.copytree(REPO / "workflows", dest / "workflows")
    shutil.copytree(REPO / "configs", dest / "configs")
    study = yaml.safe_load((REPO / "configs" / "smoke.yaml").read_text())
    study["grids"] = [{**study["grids"][0], "seeds": study["grids"][0]["seeds"][:1]}]
    (dest / "configs" / "slurm-smoke.yaml").write_text(yaml.safe_dump(study))
    return dest


def jobcomp_records(path: Path) -> dict[int, dict[str, str]]:
    """slurmctld's jobcomp/filetxt log: job id -> its KEY=VALUE fields."""
    records = {}
    for line in path.read_text().splitlines():
        fields = dict(item.split("=", 1) for item in line.split() if "=" in item)
        records[int(fields["JobId"])] = fields
    return records


def megabytes(value: str) -> float:
    """A TRES memory value (1000M, 3G, 1T) in MB."""
    return float(value[:-1]) * {"M": 1, "G": 1024, "T": 1024**2}[value[-1]]


def requested(slurm_log: Path) -> tuple[int, dict[str, str]]:
    """(threads, resources) of the job as the jobstep's snakemake printed them."""
    text = slurm_log.read_text()
    match = re.search(r"^\s+resources: (.*)$", text, re.M)
    assert match, f"no resources line in {slurm_log}:\n{text[-2000:]}"
    resources = dict(item.split("=", 1) for item in match.group(1).split(", "))
    threads = re.search(r"^\s+threads: (\d+)$", text, re.M)
    return int(threads.group(1)) if threads else 1, resources


def test_smoke_study_through_slurm(cluster, tmp_path):
    workdir = workflow_copy(tmp_path / "work")
    cmd = [sys.executable, "-m", "snakemake", "--workflow-profile", "workflows/profiles/slurm",
           "all", "--configfile", "configs/slurm-smoke.yaml"]
    log_path = tmp_path / "snakemake.log"
    started = time.monotonic()
    with open(log_path, "w") as log:
        proc = subprocess.Popen(cmd, cwd=workdir, env=clean_env(), stdout=log, stderr=subprocess.STDOUT)
        try:
            returncode = proc.wait(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.terminate()  # snakemake cancels its SLURM jobs on SIGTERM
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            returncode = None
    elapsed = time.monotonic() - started
    output = log_path.read_text()
    print(f"snakemake through SLURM: {elapsed:.0f} s")
    assert returncode is not None, f"snakemake through SLURM still ran after {TIMEOUT} s:\n{output[-6000:]}"
    assert returncode == 0, f"snakemake through SLURM failed after {elapsed:.0f} s:\n{output[-6000:]}"

    # the study's results
    study = load_study(workdir / "configs" / "slurm-smoke.yaml")
    assert (workdir / "results" / study.experiment / "report" / "index.html").is_file()
    assert study.runs
    for spec in study.runs:
        metrics = workdir / spec.directory() / "metrics.json"
        assert metrics.is_file(), f"missing {metrics}"
        assert json.loads(metrics.read_text()), f"empty {metrics}"

    # every job went through SLURM
    run_id = re.search(r"SLURM run ID: (\S+)", output)
    assert run_id, output[-3000:]
    stats = dict(re.findall(r"^(\w+)\s+(\d+)$", output.split("Job stats:", 1)[1].split("\n\n", 1)[0], re.M))
    submitted = sum(int(n) for rule, n in stats.items() if rule not in ("all", "total"))
    logs = {int(log.stem): log for log in (workdir / ".snakemake" / "slurm_logs").rglob("*.log")}
    assert len(logs) == submitted, f"{len(logs)} SLURM logs for {submitted} jobs: {sorted(map(str, logs.values()))}"
    rules = {log.relative_to(workdir / ".snakemake" / "slurm_logs").parts[0] for log in logs.values()}
    assert rules == {f"rule_{rule}" for rule, n in stats.items() if rule not in ("all", "total")}

    records = jobcomp_records(cluster["state"] / "jobcomp.txt")
    for job_id, log in logs.items():
        record = records.get(job_id)
        assert record is not None, f"SLURM job {job_id} ({log}) is not in slurmctld's job completion log"
        assert record["Name"] == run_id.group(1) and record["JobState"] == "COMPLETED", record
        threads, resources = requested(log)
        tres = dict(item.split("=", 1) for item in record["Tres"].split(","))
        assert int(tres["cpu"]) == threads, (log, record["Tres"])
        assert record["TimeLimit"] == resources["runtime"], (log, record["TimeLimit"], resources)
        assert megabytes(tres["mem"]) >= int(resources["mem_mb"]), (log, record["Tres"], resources)
        assert record["Partition"] == resources["slurm_partition"]

    # down stops exactly the daemons up started
    pids = cluster["pids"]
    assert {"slurmctld", "slurmd"} <= set(pids)
    assert all(running(pid, name) for name, pid in pids.items())
    down = script("down", cluster["state"])
    assert down.returncode == 0, down.stderr
    assert not any(running(pid, name) for name, pid in pids.items()), down.stdout
    assert not Path("/etc/slurm/slurm.conf").is_symlink() or \
        os.readlink("/etc/slurm/slurm.conf") != str(cluster["state"] / "slurm.conf")


ETC_CONF = Path("/etc/slurm/slurm.conf")
HEADER = "# Written by scripts/slurm-local.sh up: a single-node cluster for ganbench."


def dead_pid() -> int:
    """The pid of a process that has exited."""
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    return int(child.stdout)


def recorded_running(state: Path) -> bool:
    """Whether a daemon recorded in a cluster's state directory still runs."""
    for name in ("slurmctld", "slurmd"):
        pid_file = state / f"{name}.pid"
        if pid_file.is_file() and running(int(pid_file.read_text() or 0), name):
            return True
    return False


def test_up_replaces_the_link_of_a_killed_cluster_but_not_a_foreign_config(tmp_path):
    """A session killed mid-test leaves /etc/slurm/slurm.conf pointing at a dead cluster; the next `up` takes over.

    A configuration the script did not write (no header line) is still refused, untouched.
    """
    if ETC_CONF.exists() and (not ETC_CONF.read_text().startswith(HEADER) or recorded_running(ETC_CONF.resolve().parent)):
        pytest.skip(f"{ETC_CONF} is in use on this machine; not touching it")
    killed = tmp_path / "killed"
    killed.mkdir()
    (killed / "slurm.conf").write_text(HEADER + "\n")
    for name in ("slurmctld", "slurmd"):
        (killed / f"{name}.pid").write_text(f"{dead_pid()}\n")
    ETC_CONF.parent.mkdir(parents=True, exist_ok=True)
    ETC_CONF.unlink(missing_ok=True)
    ETC_CONF.symlink_to(killed / "slurm.conf")

    state = tmp_path / "slurm"
    try:
        up = script("up", state)
        assert up.returncode == 0, up.stdout + up.stderr
        assert "replaced a stale" in up.stdout
        assert os.readlink(ETC_CONF) == str(state / "slurm.conf")
    finally:
        script("down", state)
    assert not ETC_CONF.is_symlink()

    foreign = tmp_path / "foreign.conf"
    foreign.write_text("ClusterName=someone-else\n")
    ETC_CONF.symlink_to(foreign)
    try:
        up = script("up", tmp_path / "refused")
        assert up.returncode == 1
        assert f"{ETC_CONF} exists" in up.stderr and str(foreign) in up.stderr
        assert os.readlink(ETC_CONF) == str(foreign)
    finally:
        ETC_CONF.unlink()
