"""CPU time of a command's whole process tree, process by process: what Snakemake spends beside its jobs.

Snakemake's benchmark files sample a job's process tree (every 0.5 s for 15 s, then every 30 s), so
they miss up to the last 30 s of a job, and nothing records Snakemake's own process (scheduling, its
benchmark threads) or the short processes it starts (its ILP scheduler's solver, rules without
`benchmark:`). Here a thread reads /proc every `interval` seconds while the command runs and keeps
each descendant's latest CPU time (user + system); the command's total from rusage minus the sum over
the processes seen is what ran too briefly to be sampled. Linux only (/proc).
"""

from __future__ import annotations

import os
import resource
import subprocess
import threading
import time
from collections import defaultdict
from pathlib import Path

PROC = Path("/proc")
TICKS = os.sysconf("SC_CLK_TCK")


def _stat_rows() -> dict[int, tuple[int, float, int]]:
    """pid -> (parent pid, CPU seconds, start time in ticks) of every process visible now."""
    rows = {}
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # gone since listed
            continue
        fields = stat[stat.rfind(")") + 2:].split()  # the name in parentheses may hold spaces
        rows[int(entry.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / TICKS, int(fields[19]))
    return rows


def _command_line(pid: int) -> str:
    try:
        return (PROC / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""


def descendants(root: int, rows: dict[int, tuple[int, float, int]]) -> list[int]:
    children = defaultdict(list)
    for pid, (parent, _, _) in rows.items():
        children[parent].append(pid)
    found, stack = [], [root]
    while stack:
        for child in children[stack.pop()]:
            found.append(child)
            stack.append(child)
    return found


FORK_SERVER = "suite.forkserver"


def role(command_line: str, is_root: bool, parent_command_line: str = "") -> str:
    """What a process is, from its command line and its parent's: the workflow manager, a suite job by
    subcommand, a job's shell wrapper, the fork server or a job's fork of it, or the program's name."""
    if is_root:
        return "workflow manager (snakemake itself)"
    words = command_line.split()
    if FORK_SERVER in words:  # a fork keeps its parent's command line
        return "job forked from the fork server" if FORK_SERVER in parent_command_line.split() else "fork server"
    if "-m" in words and "suite" in words:
        job = words[words.index("suite") + 1] if words.index("suite") + 1 < len(words) else "?"
        return f"shell of a {job} job" if Path(words[0]).name in ("bash", "sh") else f"job: {job}"
    return Path(words[0]).name if words else "?"


def run_sampled(command: list[str], cwd: Path, interval: float = 1.0) -> tuple[subprocess.CompletedProcess, dict]:
    """Run `command`; return its result and {"total_cpu_seconds", "roles": {role: {"processes", "cpu_seconds"}},
    "unseen_cpu_seconds"}. The root's own CPU is the workflow manager's; a process's last interval is unseen."""
    seen: dict[tuple[int, int], dict] = {}  # (pid, start time): a pid reused later is another process
    done = threading.Event()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def sample() -> None:
        while not done.is_set():
            rows = _stat_rows()
            for pid in [process.pid, *descendants(process.pid, rows)]:
                if pid not in rows:
                    continue
                key = (pid, rows[pid][2])
                if key not in seen:
                    seen[key] = {"role": role(_command_line(pid), pid == process.pid, _command_line(rows[pid][0])),
                                 "cpu_seconds": 0.0}
                seen[key]["cpu_seconds"] = max(seen[key]["cpu_seconds"], rows[pid][1])
            done.wait(interval)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout, stderr = process.communicate()
    done.set()
    sampler.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    total = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    roles: dict[str, dict] = defaultdict(lambda: {"processes": 0, "cpu_seconds": 0.0})
    for process_seen in seen.values():
        roles[process_seen["role"]]["processes"] += 1
        roles[process_seen["role"]]["cpu_seconds"] += process_seen["cpu_seconds"]
    accounting = {"total_cpu_seconds": total, "interval_seconds": interval,
                  "roles": dict(sorted(roles.items(), key=lambda item: -item[1]["cpu_seconds"])),
                  "unseen_cpu_seconds": total - sum(r["cpu_seconds"] for r in roles.values())}
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr), accounting


def render(accounting: dict) -> list[str]:
    from benchmarks.table import table

    total = accounting["total_cpu_seconds"]
    rows = [[name, r["processes"], r["cpu_seconds"], f"{r['cpu_seconds'] / total:.1%}"]
            for name, r in accounting["roles"].items()]
    rows.append([f"unseen (processes shorter than {accounting['interval_seconds']:g} s, last intervals)", "",
                 accounting["unseen_cpu_seconds"], f"{accounting['unseen_cpu_seconds'] / total:.1%}"])
    return [f"CPU seconds by process, sampled from /proc (total {total:.0f} CPU s from rusage)",
            *table(["process", "processes", "CPU s", "share"], rows)]
