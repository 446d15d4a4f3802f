"""The workflow's fork server (qsnn/forkserver.py): `qsnn` jobs forked from a process that has
already imported torch give the same outputs, exit statuses and streams as plain processes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from qsnn import forkserver

REPO = Path(__file__).resolve().parents[1]
# What the `qsnn` console script runs (pyproject.toml: qsnn = "qsnn.cli:launch").
QSNN = [sys.executable, "-c", "import sys; from qsnn.cli import launch; sys.exit(launch())"]


def wait_for(predicate, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.1)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    log = tmp_path_factory.mktemp("fs") / "forkserver.log"
    saved = os.environ.get(forkserver.ENV_VAR)
    os.environ.pop(forkserver.ENV_VAR, None)
    handle = forkserver.start(log)
    address = os.environ[forkserver.ENV_VAR]
    wait_for(lambda: (handle.folder / "sock").exists())  # the imports are done
    yield handle, address, log
    handle.stop()
    if saved is not None:
        os.environ[forkserver.ENV_VAR] = saved
    else:
        os.environ.pop(forkserver.ENV_VAR, None)


def run_qsnn(args, env_address, cwd, **kwargs):
    env = {**os.environ, forkserver.ENV_VAR: env_address}
    return subprocess.run([*QSNN, *args], cwd=cwd, env=env, capture_output=True, text=True, **kwargs)


def served(log: Path, args: list[str]) -> bool:
    return f"qsnn {' '.join(args)}" in log.read_text()


def train_args(out: Path) -> list[str]:
    data_root = REPO / "data"
    return [
        "train",
        "--dataset",
        "digits",
        "--arch",
        "spikformer-tiny",
        "--wst",
        "2/2/2",
        "--epochs",
        "2",
        "--limit-batches",
        "3",
        "--data-root",
        str(data_root),
        "--threads",
        "1",
        "--out",
        str(out),
    ]


def test_a_training_run_through_the_server_equals_a_plain_one(server, tmp_path):
    _, address, log = server
    served_args = train_args(tmp_path / "served")
    via = run_qsnn(served_args, address, tmp_path)
    assert via.returncode == 0, via.stderr
    assert served(log, served_args), "the run did not go through the server"
    plain = run_qsnn(train_args(tmp_path / "plain"), "off", tmp_path)
    assert plain.returncode == 0, plain.stderr
    records = [json.loads((tmp_path / name / "metrics.json").read_text()) for name in ("served", "plain")]
    for record in records:
        record.pop("wall_time_s")
    assert records[0] == records[1]
    # The job's stdout is the client's: the run's summary line is there, not in the server's log.
    assert "top1" in via.stdout and "top1" not in log.read_text()


def test_errors_keep_their_exit_status_and_one_line_message(server, tmp_path):
    _, address, log = server
    args = train_args(tmp_path / "bad")
    args[args.index("2/2/2")] = "0/2/2"
    result = run_qsnn(args, address, tmp_path)
    assert served(log, args)
    plain = run_qsnn(args, "off", tmp_path)
    assert result.returncode == plain.returncode == 2
    assert result.stderr == plain.stderr and len(result.stderr.strip().splitlines()) == 1
    usage = run_qsnn([*train_args(tmp_path / "x"), "--no-such-flag"], address, tmp_path)
    assert usage.returncode == 2 and "--no-such-flag" in usage.stderr


def test_a_long_environment_reaches_the_job(server, tmp_path):
    _, address, log = server
    args = train_args(tmp_path / "env")
    # More than one socket read (a variable may hold at most 128 KiB)
    padding = {f"QSNN_TEST_PADDING_{i}": "x" * 100_000 for i in range(4)}
    env = {**os.environ, forkserver.ENV_VAR: address, **padding}
    result = subprocess.run([*QSNN, *args], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert served(log, args)


def test_the_job_runs_in_its_own_directory(server, tmp_path):
    _, address, log = server
    (tmp_path / "data").symlink_to(REPO / "data")
    args = train_args(Path("relative-run"))  # --out relative to the job's directory
    args[args.index("--data-root") + 1] = "data"
    result = run_qsnn(args, address, tmp_path)
    assert result.returncode == 0, result.stderr
    assert served(log, args)
    assert (tmp_path / "relative-run" / "metrics.json").exists()


def test_commands_measured_by_benchmarks_are_not_forwarded(monkeypatch, server):
    _, address, _ = server
    monkeypatch.setenv(forkserver.ENV_VAR, address)
    assert forkserver.forward(["synth", "sweep", "--help"]) is None
    assert forkserver.forward(["hw", "traces", "--help"]) is None


def test_without_a_reachable_server_the_command_runs_in_its_own_process(tmp_path):
    for address in ("", "off", f"{os.uname().nodename}:{tmp_path / 'missing.sock'}", f"elsewhere:{tmp_path}/sock"):
        result = run_qsnn(["archs"], address, tmp_path)
        assert result.returncode == 0 and "spikformer-8-512" in result.stdout


def test_a_signal_to_the_job_stops_the_forked_run(server, tmp_path):
    _, address, log = server
    args = train_args(tmp_path / "long")
    args[args.index("--epochs") + 1] = "500"
    args[args.index("--limit-batches") : args.index("--limit-batches") + 2] = []
    env = {**os.environ, forkserver.ENV_VAR: address}
    client = subprocess.Popen([*QSNN, *args], cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    wait_for(lambda: served(log, args), timeout=30)
    line = next(line for line in log.read_text().splitlines() if f"qsnn {' '.join(args)}" in line)
    child = int(line.split(" pid ")[1].split(":")[0])
    client.send_signal(signal.SIGTERM)
    assert client.wait(timeout=30) == 128 + signal.SIGTERM
    wait_for(lambda: not Path(f"/proc/{child}").exists() or "Z" in Path(f"/proc/{child}/stat").read_text().split()[2])


def test_the_server_stops_when_snakemake_is_gone(tmp_path):
    script = (
        "import os, sys, time\n"
        "from qsnn import forkserver\n"
        "server = forkserver.start()\n"
        "print(server.process.pid, server.folder, flush=True)\n"
        "while not (server.folder / 'sock').exists(): time.sleep(0.1)\n"
        "os._exit(0)  # killed: no onsuccess/onerror\n"
    )
    env = {k: v for k, v in os.environ.items() if k != forkserver.ENV_VAR}
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120)
    pid, folder = out.stdout.split()
    wait_for(lambda: not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text().split()[2], 30)
    assert not Path(folder, "sock").exists()


def test_off_or_a_gpu_machine_starts_nothing(monkeypatch):
    monkeypatch.setenv(forkserver.ENV_VAR, "off")
    assert forkserver.start() is None
    monkeypatch.delenv(forkserver.ENV_VAR)
    monkeypatch.setattr(forkserver, "gpu_present", lambda: True)
    assert forkserver.start() is None and forkserver.ENV_VAR not in os.environ


def test_clients_learn_at_once_that_the_server_died(tmp_path, monkeypatch):
    """A forked job holds no other client's connection, so every client sees the server go."""
    monkeypatch.delenv(forkserver.ENV_VAR, raising=False)
    log = tmp_path / "fs.log"
    handle = forkserver.start(log)
    address = os.environ[forkserver.ENV_VAR]
    clients = []
    try:
        wait_for(lambda: (handle.folder / "sock").exists())
        env = {**os.environ, forkserver.ENV_VAR: address}
        for name in ("first", "second"):
            args = train_args(tmp_path / name)
            args[args.index("--epochs") + 1] = "500"
            clients.append(subprocess.Popen([*QSNN, *args], cwd=tmp_path, env=env, stderr=subprocess.PIPE, text=True))
            wait_for(lambda args=args: served(log, args), timeout=30)
        handle.process.kill()
        statuses = [client.wait(timeout=20) for client in clients]
    finally:
        # The orphaned jobs still hold the clients' stderr: stop them before reading it.
        for line in log.read_text().splitlines():
            try:
                os.kill(int(line.split(" pid ")[1].split(":")[0]), signal.SIGKILL)
            except ProcessLookupError:
                pass
        handle.stop()
    assert statuses == [1, 1]
    assert all("fork server" in client.stderr.read() for client in clients)
