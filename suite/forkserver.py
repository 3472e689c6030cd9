"""A fork server for a study's jobs: torch and the suite imported once, each job a fork of that process.

Every job of a study is a `python -m suite <command>` process, and before its first step each one
imports torch, torch._dynamo (the first optimizer step imports it), torchvision and scikit-learn: about
4 CPU seconds, as much as the whole training of a short run. While Snakemake runs a study on this
machine, the workflow starts this server once (`start`), and each job's `python -m suite` hands its
command line, working folder, environment and standard streams over a Unix socket (`delegate`); the
server forks a child that runs the command exactly as a fresh process would, and the job exits with the
child's status. Signals sent to the job (Snakemake stopping it, Ctrl-C) go on to the child; a child
whose job is gone is stopped; the server stops when Snakemake's process does.

A child differs from a fresh process only in what was imported before it started: its RNGs are
reseeded as a fresh process's, its threads set from the job's environment (the server imported the
numeric libraries with one thread), and its resource line counts its own work, not the imports.
Anything that keeps a job from the server (no server, a SLURM job, a failed connection) runs the
command in the job's own process instead, so results never depend on it.

This module imports only the standard library at the top: the job side must stay cheap.
"""

from __future__ import annotations

import io
import json
import os
import selectors
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# The socket's path for the jobs; set to "off" before a run to keep every job in its own process.
SOCKET_VARIABLE = "GANBENCH_FORK_SERVER"
OFF = "off"
# Commands that replace their process with another program: never forked from the server.
OWN_PROCESS = frozenset({"run", "bench"})
# What the server imports before it listens: what the job kinds import between them.
PRELOAD = ("suite.cli", "suite.train", "suite.wiring", "suite.critic_fit", "suite.scoring", "suite.metrics.score",
           "suite.metrics.extractors", "suite.metrics.domain", "suite.report", "torch._dynamo", "torch_fidelity",
           "prdc", "scipy.linalg", "matplotlib.pyplot")
# Thread variables the server starts with at 1 (no idle BLAS/OpenMP worker threads across a fork); each
# child then takes its job's own values.
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
READY_TIMEOUT_SECONDS = 120.0
_LENGTH = struct.Struct("!I")


def _send_line(connection: socket.socket, message: dict) -> None:
    connection.sendall(json.dumps(message).encode() + b"\n")


def _read_line(reader) -> dict | None:
    line = reader.readline()
    return json.loads(line) if line else None


# ---- the job's side -------------------------------------------------------------------------------------

def delegate(argv: list[str]) -> int | None:
    """Run `python -m suite <argv>` as a fork of the study's server; its exit status, or None when no server
    took it (the caller then runs the command itself)."""
    path = os.environ.get(SOCKET_VARIABLE, OFF)
    if path == OFF or not argv or argv[0] in OWN_PROCESS or "SLURM_JOB_ID" in os.environ:
        return None
    try:
        connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        connection.connect(path)
        request = json.dumps({"argv": argv, "cwd": os.getcwd(), "env": dict(os.environ),
                              "umask": _current_umask()}).encode()
        socket.send_fds(connection, [_LENGTH.pack(len(request))], [0, 1, 2])
        connection.sendall(request)
        reader = connection.makefile("rb")
        started = _read_line(reader)
    except OSError:
        return None
    if started is None:  # the server could not fork: nothing ran
        return None
    child = started["pid"]
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, lambda received, _frame: _send_signal(child, received))
    try:
        ended = _read_line(reader)
    except OSError:
        ended = None
    if ended is None:
        print(f"error: the fork server stopped while running `python -m suite {' '.join(argv)}`", file=sys.stderr)
        return 1
    if "signal" in ended:  # end as the child did, so a caller sees the same death a direct run shows
        signal.signal(ended["signal"], signal.SIG_DFL)
        os.kill(os.getpid(), ended["signal"])
    return ended["status"]


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# ---- the server's side ----------------------------------------------------------------------------------

def _preload() -> None:
    import importlib

    import matplotlib

    matplotlib.use("Agg")
    for module in PRELOAD:
        importlib.import_module(module)


def _set_parent_death_signal(signum: int) -> None:
    """Linux: this process gets `signum` when its parent exits."""
    import ctypes

    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signum)


def _become_job(request: dict, fds: list[int]) -> int:
    """In the forked child: take the job's streams, folder, environment and threads, then run the entry
    point as `python -m suite` would (it ends the process with the command's status)."""
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
        os.close(fd)
    os.chdir(request["cwd"])
    os.umask(request["umask"])
    os.environ.clear()
    os.environ.update(request["env"])
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for signum in (signal.SIGTERM, signal.SIGHUP, signal.SIGCHLD):
        signal.signal(signum, signal.SIG_DFL)
    os.environ.pop(SOCKET_VARIABLE, None)  # the child is the job's process: it hands nothing on
    sys.stdin = open(0, closefd=False)
    sys.stdout = _text_stream(1, sys.stdout)
    sys.stderr = _text_stream(2, sys.stderr)
    sys.argv = ["-m", *request["argv"]]  # run_module puts the entry point's path first, as `python -m` does

    import random
    import runpy

    import numpy as np
    import threadpoolctl
    import torch

    random.seed()
    np.random.seed()
    torch.manual_seed(torch.initial_seed())  # the default seed a fresh process starts from
    threads = _thread_count("OMP_NUM_THREADS", os.cpu_count() or 1)
    torch.set_num_threads(threads)
    threadpoolctl.threadpool_limits(_thread_count("OPENBLAS_NUM_THREADS", threads))
    runpy.run_module("suite", run_name="__main__", alter_sys=True)  # `python -m suite`: ends the process
    return 0


def _thread_count(variable: str, default: int) -> int:
    """The job's thread count from `variable`; `default` when it is unset or not a positive number, as the
    numeric libraries themselves ignore such a value."""
    value = os.environ.get(variable, "")
    return int(value) if value.isdigit() and int(value) > 0 else default


def _text_stream(fd: int, like) -> io.TextIOWrapper:
    """A text stream on `fd`, encoded as `like`, line-buffered on a terminal as a fresh interpreter's are."""
    return io.TextIOWrapper(io.FileIO(fd, "w", closefd=False), encoding=like.encoding, errors=like.errors,
                            line_buffering=os.isatty(fd) or fd == 2,
                            write_through=bool(os.environ.get("PYTHONUNBUFFERED")))


def _run_child(request: dict, fds: list[int]) -> None:
    """The forked child's whole life: it never returns into the server's loop."""
    status = 1
    try:
        _set_parent_death_signal(signal.SIGKILL)
        status = _become_job(request, fds)
    except SystemExit as exit_:
        status = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        import logging

        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
        logging.shutdown()
        os._exit(status)


def _receive(connection: socket.socket) -> tuple[dict, list[int]]:
    header, fds, _, _ = socket.recv_fds(connection, _LENGTH.size, 3)
    if len(header) != _LENGTH.size or len(fds) != 3:
        for fd in fds:
            os.close(fd)
        raise ConnectionError("incomplete request")
    (length,) = _LENGTH.unpack(header)
    payload = bytearray()
    while len(payload) < length:
        chunk = connection.recv(length - len(payload))
        if not chunk:
            raise ConnectionError("request cut short")
        payload += chunk
    return json.loads(payload), fds


def serve(path: str) -> None:
    """Import PRELOAD, listen on `path`, fork a child per job until SIGTERM or the parent's exit."""
    parent = os.getppid()
    _set_parent_death_signal(signal.SIGTERM)
    _preload()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path + ".tmp")
    listener.listen(64)
    os.rename(path + ".tmp", path)  # the path appears only once the server accepts
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ)
    children: dict[int, socket.socket] = {}
    while not stopping and os.getppid() == parent:
        for key, _ in selector.select(timeout=0.2):
            if key.fileobj is listener:
                _start_job(listener, selector, children)
            elif not _still_open(key.fileobj):  # the job is gone, so is the reason to run its child
                selector.unregister(key.fileobj)
                _send_signal(key.data)
        _reap(children, selector)
    for pid in list(children):
        _send_signal(pid)
    while children:
        _reap(children, selector)
        time.sleep(0.05)
    listener.close()
    Path(path).unlink(missing_ok=True)
    try:
        Path(path).parent.rmdir()  # the folder start() made for the socket, when nothing else is in it
    except OSError:
        pass


def _start_job(listener: socket.socket, selector: selectors.BaseSelector, children: dict[int, socket.socket]) -> None:
    """Accept one job and fork its child; a job that left before it was read is dropped."""
    try:
        connection, _ = listener.accept()
    except OSError:
        return
    try:
        request, fds = _receive(connection)
    except (OSError, ValueError):
        connection.close()
        return
    pid = os.fork()
    if pid == 0:
        selector.close()
        listener.close()
        for other in children.values():
            other.close()
        connection.close()
        _run_child(request, fds)
    for fd in fds:
        os.close(fd)
    children[pid] = connection
    selector.register(connection, selectors.EVENT_READ, pid)
    try:
        _send_line(connection, {"pid": pid})
    except OSError:  # the job left meanwhile: the next select sees its end closed
        pass


def _still_open(connection: socket.socket) -> bool:
    try:
        return bool(connection.recv(1))
    except OSError:
        return False


def _send_signal(pid: int, signum: int = signal.SIGTERM) -> None:
    """Signal a child that may have ended already."""
    try:
        os.kill(pid, signum)
    except ProcessLookupError:
        pass


def _reap(children: dict[int, socket.socket], selector: selectors.BaseSelector) -> None:
    """Tell each job whose child ended how it ended."""
    while children:
        try:
            pid, wait_status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        connection = children.pop(pid, None)
        if connection is None:
            continue
        ended = ({"signal": os.WTERMSIG(wait_status)} if os.WIFSIGNALED(wait_status)
                 else {"status": os.waitstatus_to_exitcode(wait_status)})
        try:
            selector.unregister(connection)
        except KeyError:  # already unregistered: the job had closed its end
            pass
        try:
            _send_line(connection, ended)
        except OSError:
            pass
        connection.close()


# ---- the workflow's side --------------------------------------------------------------------------------

class Server:
    """A running fork server: `os.environ` names its socket while it runs, so the jobs started from this
    process find it."""

    def __init__(self, process: subprocess.Popen, folder: Path):
        self.process, self.folder = process, folder

    def stop(self) -> None:
        os.environ.pop(SOCKET_VARIABLE, None)
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)  # what a killed server left


def start(timeout: float = READY_TIMEOUT_SECONDS) -> Server | None:
    """Start a server for the jobs this process will start and wait until it listens; None where jobs keep
    their own processes (not Linux, or GANBENCH_FORK_SERVER=off) or when it did not come up in time."""
    if sys.platform != "linux" or os.environ.get(SOCKET_VARIABLE) == OFF:
        return None
    env = {**os.environ, **{name: "1" for name in THREAD_VARIABLES}}
    env.pop(SOCKET_VARIABLE, None)
    try:
        folder = Path(tempfile.mkdtemp(prefix="ganbench-fork-"))  # short: a socket path holds at most 107 bytes
        path = folder / "socket"
        process = subprocess.Popen([sys.executable, "-m", "suite.forkserver", str(path)], env=env,
                                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, start_new_session=True)
    except OSError:  # no temporary folder, no interpreter to start: the jobs keep their own processes
        return None
    server = Server(process, folder)
    deadline = time.monotonic() + timeout
    while not path.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            server.stop()
            return None
        time.sleep(0.05)
    os.environ[SOCKET_VARIABLE] = str(path)
    return server


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m suite.forkserver SOCKET_PATH (the workflow starts it: forkserver.start)")
    serve(sys.argv[1])
