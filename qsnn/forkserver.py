"""A fork server for local workflow runs: each ``qsnn`` job starts from a process that has
already imported torch and the library.

Why: most jobs of the quick profile are small (a tiny model trained for a few seconds, a table,
a summary), and a fresh Python process spends about 2.5 s of CPU importing torch, torch._dynamo
(which ``torch.optim`` pulls in) and the library before the job does anything: measured, a
third of a 20-epoch T=1 run. With two cores and about a hundred jobs that start-up is minutes of
the profile.

How: ``Snakefile``'s ``onstart`` starts ``python -m qsnn.forkserver`` (:func:`start`), which
imports :data:`PRELOAD` and then listens on a Unix socket; the socket's address goes into the
jobs' environment (:data:`ENV_VAR`). The ``qsnn`` command (:func:`qsnn.cli.launch`) sends its
arguments, working directory, environment and its stdin/stdout/stderr (as file descriptors) to
the server, which forks a child that runs exactly what ``qsnn`` would have run, with the job's
environment and descriptors, and the client exits with the child's status. The job is still one
Snakemake job with its own log, output and exit status; only the imports are shared.

What keeps it safe:
  * The server never runs a torch operation before forking, so the children start with no
    thread pool (forking after one has started is unsafe). It is not started at all on a
    machine with a GPU driver (a forked process cannot use CUDA once its parent has touched it;
    there a run lasts hours and its imports do not matter) nor off Linux.
  * Commands that run for minutes and are measured by ``benchmark:`` (``synth``, ``hw``) run
    in their own process: a fork would hide their CPU time from the benchmark.
  * Any failure to reach the server (none started, another machine under SLURM, a stale
    socket) runs the command in the client's own process, as without a server.
  * The server exits when Snakemake ends (``onsuccess``/``onerror`` call :func:`stop`), when
    its parent process is gone, or after :data:`IDLE_EXIT_S` without a request.
  * ``QSNN_FORKSERVER=off`` in the environment switches it off.
"""

from __future__ import annotations

import argparse
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ENV_VAR = "QSNN_FORKSERVER"
# Imported once by the server; every child inherits them.
PRELOAD = (
    "numpy",
    "torch",
    "torch._dynamo",  # torch.optim's add_param_group imports it (1.4 s)
    "pandas",
    "qsnn.cli",
    "qsnn.train.engine",
    "qsnn.models",
    "qsnn.data",
    "qsnn.metrics",
    "qsnn.report",
    "qsnn.search",
)
# First words of the commands that are forwarded (the rest run in their own process).
FORWARDED = frozenset({"train", "evaluate", "report", "render", "search", "paper-costs", "cost", "data", "archs"})
IDLE_EXIT_S = 600.0
MAX_MESSAGE = 1 << 20


# ----------------------------------------------------------------- client
def forward(argv: list[str]) -> int | None:
    """Run ``qsnn argv`` in a child of the server; None when no server can take it.

    None means nothing was started: the caller runs the command itself.
    """
    address = os.environ.get(ENV_VAR, "")
    if not address or address == "off" or not argv or argv[0] not in FORWARDED:
        return None
    host, _, path = address.partition(":")
    if host != socket.gethostname() or not Path(path).exists():
        return None
    request = json.dumps({"argv": argv, "cwd": os.getcwd(), "env": dict(os.environ)}).encode()
    try:
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        conn.connect(path)
        socket.send_fds(conn, [request], [0, 1, 2])
        conn.shutdown(socket.SHUT_WR)
        reply = _read_line(conn)
    except OSError:
        return None
    if reply is None:  # the server refused or died before forking
        return None
    child = int(json.loads(reply)["pid"])
    # Snakemake stops a job by signalling its process: pass the signal on to the child.
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, lambda sig, _frame: _kill(child, sig))
    try:
        status = _read_line(conn)
    except OSError:
        status = None
    if status is None:
        print(f"qsnn: the fork server at {path} stopped while running `qsnn {' '.join(argv)}`", file=sys.stderr)
        return 1
    return int(json.loads(status)["status"])


def _kill(pid: int, signum: int) -> None:
    try:
        os.kill(pid, signum)
    except ProcessLookupError:
        pass


def _read_line(conn: socket.socket) -> bytes | None:
    data = b""
    while not data.endswith(b"\n"):
        chunk = conn.recv(4096)
        if not chunk:
            return None
        data += chunk
    return data


# ----------------------------------------------------------------- server
def serve(path: Path, parent: int, idle_exit_s: float = IDLE_EXIT_S) -> None:
    """Import :data:`PRELOAD`, then fork a child per request until told to stop."""
    import importlib

    for name in PRELOAD:
        importlib.import_module(name)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    tmp = path.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    listener.bind(str(tmp))
    listener.listen(64)
    os.replace(tmp, path)  # clients find the socket only once the imports are done
    running: dict[int, socket.socket] = {}
    last_active = time.monotonic()
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(True))
    while not stop:
        ready, _, _ = select.select([listener], [], [], 0.05)
        if ready:
            conn, _ = listener.accept()
            pid = _spawn(conn, [listener, *running.values()])
            if pid is not None:
                running[pid] = conn
        _reap(running)
        if running or ready:
            last_active = time.monotonic()
        if os.getppid() != parent or time.monotonic() - last_active > idle_exit_s:
            break
    listener.close()
    path.unlink(missing_ok=True)
    for conn in running.values():
        conn.close()
    try:
        path.parent.rmdir()
    except OSError:
        pass


def _spawn(conn: socket.socket, others: list[socket.socket]) -> int | None:
    """Fork a child for the request on ``conn``; its pid goes back to the client.

    ``others`` (the listener, the other clients' connections) are closed in the child: a child
    holding them would keep another client waiting should the server die.
    """
    fds: list[int] = []
    try:
        conn.settimeout(10)
        message, fds, _, _ = socket.recv_fds(conn, MAX_MESSAGE, 3)
        while len(message) < MAX_MESSAGE:  # a long environment arrives in pieces; the client closes its end
            chunk = conn.recv(1 << 16)
            if not chunk:
                break
            message += chunk
        request = json.loads(message)
        if len(fds) != 3:
            raise ValueError("expected stdin, stdout and stderr")
    except (OSError, ValueError):
        for fd in fds:
            os.close(fd)
        conn.close()
        return None
    pid = os.fork()
    if pid == 0:
        for sock in (*others, conn):
            sock.close()
        _child(request, fds)  # never returns
    for fd in fds:
        os.close(fd)
    print(f"{time.strftime('%H:%M:%S')} pid {pid}: qsnn {' '.join(request['argv'])}", flush=True)
    try:
        conn.sendall(json.dumps({"pid": pid}).encode() + b"\n")
    except OSError:
        pass
    return pid


def _child(request: dict, fds: list[int]) -> None:
    """The job: the client's descriptors, directory, environment and arguments, then exit."""
    status = 1
    try:
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGCHLD):
            signal.signal(signum, signal.SIG_DFL)
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
            os.close(fd)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        sys.argv = ["qsnn", *request["argv"]]
        from qsnn.cli import main

        status = _exit_status(main, request["argv"])
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:
                pass
        os._exit(status)


def _exit_status(main, argv: list[str]) -> int:
    try:
        return int(main(argv) or 0)
    except SystemExit as done:  # argparse's usage errors and --help
        code = done.code
        if code is None or isinstance(code, int):
            return code or 0
        print(code, file=sys.stderr)
        return 1
    except BaseException:
        import traceback

        traceback.print_exc()
        return 1


def _reap(running: dict[int, socket.socket]) -> None:
    """Collect finished children and send each client its child's exit status."""
    while running:
        try:
            pid, wait_status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        conn = running.pop(pid, None)
        if conn is None:
            continue
        code = os.waitstatus_to_exitcode(wait_status)
        status = 128 - code if code < 0 else code  # killed by a signal: the shell's 128 + N
        try:
            conn.sendall(json.dumps({"status": status}).encode() + b"\n")
        except OSError:
            pass
        conn.close()


# ----------------------------------------------------------------- lifetime (called by the Snakefile)
def gpu_present() -> bool:
    """Whether this machine has an NVIDIA or AMD GPU driver loaded.

    A process that has touched CUDA cannot be forked into a working CUDA process, and which
    import first asks the driver for its devices is torch's business; on a GPU machine a run
    lasts hours, so the server's few seconds are not worth that risk there.
    """
    return any(Path("/dev").glob("nvidia*")) or Path("/dev/kfd").exists()


@dataclass
class Server:
    """A running server: its process and the address its clients find in :data:`ENV_VAR`."""

    process: subprocess.Popen
    folder: Path

    def stop(self) -> None:
        """Stop it (it also stops on its own when idle or orphaned) and remove its socket."""
        if os.environ.get(ENV_VAR, "").endswith(str(self.folder / "sock")):
            del os.environ[ENV_VAR]
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        shutil.rmtree(self.folder, ignore_errors=True)


def start(log_path: Path | None = None) -> Server | None:
    """Start a server for this process's jobs and put its address into ``os.environ``.

    Returns None (and starts nothing) when ``QSNN_FORKSERVER=off``, off Linux (macOS forbids
    forking a process that has loaded its system frameworks) or on a GPU machine (see
    :func:`gpu_present`). The server becomes usable once its imports are done; jobs that start
    earlier run as usual.
    """
    if os.environ.get(ENV_VAR) == "off" or not sys.platform.startswith("linux") or gpu_present():
        return None
    folder = Path(tempfile.mkdtemp(prefix="qsnn-fs-"))  # short: a socket path has ~100 bytes
    path = folder / "sock"
    if log_path:
        Path(log_path).parent.mkdir(parents=True, exist_ok=True)
    log = open(log_path, "w") if log_path else subprocess.DEVNULL
    process = subprocess.Popen(
        [sys.executable, "-m", "qsnn.forkserver", "--socket", str(path), "--parent", str(os.getpid())],
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # Ctrl-C in the terminal goes to Snakemake, which stops it
    )
    if log_path:
        log.close()  # the server holds its own copy
    os.environ[ENV_VAR] = f"{socket.gethostname()}:{path}"
    return Server(process, folder)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m qsnn.forkserver", description=__doc__.splitlines()[0])
    parser.add_argument("--socket", type=Path, required=True, help="where to listen")
    parser.add_argument("--parent", type=int, required=True, help="exit when this process is gone")
    parser.add_argument("--idle-exit", type=float, default=IDLE_EXIT_S, help="exit after this many idle seconds")
    args = parser.parse_args(argv)
    serve(args.socket, args.parent, args.idle_exit)
    return 0


if __name__ == "__main__":
    sys.exit(main())
