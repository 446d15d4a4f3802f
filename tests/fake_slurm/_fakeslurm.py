"""A fake SLURM for tests: sbatch, srun, squeue, sacct, scancel, sinfo, scontrol, sacctmgr, sshare.

Each command in this folder is a tiny script that calls `main(<its name>, argv)`. Put the folder
first on PATH and point FAKE_SLURM_LOG at a file: every call is appended to it as one JSON line
(`prog`, `argv`, `cwd`; sbatch also records its job `script`, job id and exit state).

sbatch runs the submitted job locally and synchronously (so when it prints the job id, the
job has finished), with the SLURM_* variables a batch job sees, its output in `--output`, and
records the job's final state (COMPLETED or FAILED) for sacct/squeue. It also refuses the
option combinations `man sbatch` forbids that a profile can produce (--cpus-per-gpu with
--cpus-per-task; --cpus-per-gpu without a GPU request), so a profile that asks for CPUs the
wrong way fails here as it would on a cluster.

Only the standard library: the scripts run under whatever `python3` is on PATH.

Environment:
  FAKE_SLURM_LOG         required: the JSON-lines call log (its folder also holds the job states)
  FAKE_SLURM_PARTITIONS  `sinfo -o %P` answer, comma-separated, default marked `*` (default "cpu*,gpu")
  FAKE_SLURM_ACCOUNTS    accounts that sacctmgr/sshare list for the user (default "bitbudget")
  FAKE_SLURM_TIMEOUT     seconds a job may run before it is recorded as TIMEOUT (default 600)
"""

from __future__ import annotations

import fcntl
import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

# Options whose value is the next word (the plugin writes most sbatch options as `--opt=value`).
SBATCH_VALUE_OPTS = {
    "-A",
    "--account",
    "-p",
    "--partition",
    "-t",
    "--time",
    "-J",
    "--job-name",
    "-o",
    "--output",
    "-e",
    "--error",
    "--comment",
    "-D",
    "--chdir",
    "--mem",
    "--mem-per-cpu",
    "-C",
    "--constraint",
    "-M",
    "--clusters",
    "-n",
    "--ntasks",
    "-c",
    "--cpus-per-task",
    "-N",
    "--nodes",
    "--qos",
    "--gres",
    "--gpus",
    "-G",
    "--cpus-per-gpu",
    "--jobid",
    "--array",
    "-a",
    "--reservation",
    "--exclude",
    "-x",
    "--export",
    "--wrap",
}
SACCT_VALUE_OPTS = {
    "-o",
    "--format",
    "-j",
    "--jobs",
    "--name",
    "-S",
    "--starttime",
    "-E",
    "--endtime",
    "-u",
    "--user",
    "-M",
    "--clusters",
}
SQUEUE_VALUE_OPTS = {"-o", "--format", "-n", "--name", "-t", "--states", "-j", "--jobs", "-u", "-M"}
SINFO_VALUE_OPTS = {"-o", "--format", "-p", "--partition"}
# sbatch/srun short options may be glued to their value (`srun -n1`).
GLUED_SHORT = ("-n", "-c", "-N", "-t", "-p", "-A", "-J", "-o", "-e", "-D", "-C", "-M", "-G")


def _log_path() -> Path:
    log = os.environ.get("FAKE_SLURM_LOG")
    if not log:
        sys.exit("fake slurm: set FAKE_SLURM_LOG to the call log file")
    return Path(log)


def _state_dir() -> Path:
    d = _log_path().with_name(_log_path().name + ".jobs")
    d.mkdir(parents=True, exist_ok=True)
    return d


def _record(entry: dict) -> None:
    path = _log_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        fh.write(json.dumps(entry) + "\n")


def parse_options(
    argv: list[str], value_opts: set[str], glued: tuple[str, ...] = (), stop_at_positional: bool = False
) -> tuple[dict[str, list[str]], list[str]]:
    """Options as {name: [values]} (flags get ""), and the positional words left over (with
    stop_at_positional, everything from the first positional word on: srun's command)."""
    opts: dict[str, list[str]] = {}
    rest: list[str] = []
    i = 0
    while i < len(argv):
        word = argv[i]
        if word.startswith("--") and "=" in word:
            key, value = word.split("=", 1)
            opts.setdefault(key, []).append(value)
        elif word in value_opts and i + 1 < len(argv):
            opts.setdefault(word, []).append(argv[i + 1])
            i += 1
        elif glued and word.startswith(glued) and len(word) > 2 and not word.startswith("--"):
            opts.setdefault(word[:2], []).append(word[2:])
        elif word.startswith("-"):
            opts.setdefault(word, []).append("")
        else:
            rest.append(word)
            if stop_at_positional:
                rest.extend(argv[i + 1 :])
                break
        i += 1
    return opts, rest


def _first(opts: dict[str, list[str]], *names: str) -> str | None:
    for name in names:
        if name in opts:
            return opts[name][-1]
    return None


def _next_job_id() -> int:
    counter = _state_dir() / "counter"
    with open(counter, "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        fh.seek(0)
        last = int(fh.read().strip() or "1000")
        fh.seek(0)
        fh.truncate()
        fh.write(str(last + 1))
    return last + 1


def _save_job(job: dict) -> None:
    path = _state_dir() / f"{job['id']}.json"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(job))
    os.replace(tmp, path)


def _jobs() -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted(_state_dir().glob("*.json"))]


def _gpu_count(opts: dict[str, list[str]]) -> int:
    """GPUs requested by --gpus=[model:]N or --gres=gpu[:model]:N (0 when none)."""
    gpus = _first(opts, "--gpus", "-G")
    if gpus is not None:
        return int(gpus.rsplit(":", 1)[-1])
    for gres in opts.get("--gres", []):
        for item in gres.split(","):
            parts = item.split(":")
            if parts[0] == "gpu":
                return int(parts[-1]) if len(parts) > 1 and parts[-1].isdigit() else 1
    return 0


def _check_cpu_options(prog: str, opts: dict[str, list[str]]) -> str | None:
    """The combinations `man sbatch`/`man srun` reject (--cpus-per-gpu section)."""
    if "--cpus-per-gpu" in opts and ("--cpus-per-task" in opts or "-c" in opts):
        return f"{prog}: fatal: --cpus-per-task and --cpus-per-gpu are mutually exclusive"
    if "--cpus-per-gpu" in opts and _gpu_count(opts) == 0:
        return f"{prog}: error: --cpus-per-gpu requires a GPU request (--gpus or --gres=gpu)"
    return None


def sbatch(argv: list[str]) -> int:
    opts, rest = parse_options(argv, SBATCH_VALUE_OPTS, GLUED_SHORT, stop_at_positional=True)
    wrap = _first(opts, "--wrap")
    if wrap is not None:
        script = "#!/bin/sh\n" + wrap + "\n"
    elif rest:
        script = sys.stdin.read() if rest[0] in ("-", "/dev/stdin") else Path(rest[0]).read_text()
    else:
        script = sys.stdin.read()
    entry = {"prog": "sbatch", "argv": argv, "cwd": os.getcwd(), "script": script}
    error = _check_cpu_options("sbatch", opts)
    if error:
        entry["refused"] = error
        _record(entry)
        print(error, file=sys.stderr)
        return 1

    job_id = _next_job_id()
    name = _first(opts, "--job-name", "-J") or "sbatch"
    workdir = _first(opts, "--chdir", "-D") or os.getcwd()
    out = (_first(opts, "--output", "-o") or "slurm-%j.out").replace("%j", str(job_id))
    out = out.replace("%A", str(job_id)).replace("%a", "0")
    job = {"id": job_id, "name": name, "state": "RUNNING", "exit_code": None, "argv": argv}
    _save_job(job)

    env = dict(os.environ)
    env.update(
        SLURM_JOB_ID=str(job_id),
        SLURM_JOBID=str(job_id),
        SLURM_JOB_NAME=name,
        SLURM_SUBMIT_DIR=os.getcwd(),
        SLURM_JOB_PARTITION=_first(opts, "--partition", "-p") or "cpu",
        SLURM_JOB_NODELIST="fakenode01",
    )
    cpus = _first(opts, "--cpus-per-task", "-c")
    if cpus:
        env["SLURM_CPUS_PER_TASK"] = cpus
    gpus = _first(opts, "--gpus", "-G")
    if gpus:  # sbatch exports SLURM_GPUS only for -G/--gpus (man sbatch, OUTPUT ENVIRONMENT)
        env["SLURM_GPUS"] = gpus
    if _first(opts, "--cpus-per-gpu"):
        env["SLURM_CPUS_PER_GPU"] = _first(opts, "--cpus-per-gpu")

    script_path = _state_dir() / f"{job_id}.sh"
    script_path.write_text(script)
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    timeout = float(os.environ.get("FAKE_SLURM_TIMEOUT", "600"))
    with open(out, "w") as log:
        try:
            rc = subprocess.run(
                ["/bin/sh", str(script_path)],
                cwd=workdir,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                timeout=timeout,
            ).returncode
            state = "COMPLETED" if rc == 0 else "FAILED"
        except subprocess.TimeoutExpired:
            rc, state = 1, "TIMEOUT"
    job.update(state=state, exit_code=rc)
    _save_job(job)
    entry.update(job_id=job_id, state=state, exit_code=rc)
    _record(entry)

    cluster = _first(opts, "--clusters", "-M")
    if "--parsable" in opts:
        print(f"{job_id};{cluster}" if cluster else job_id)
    else:
        print(f"Submitted batch job {job_id}" + (f" on cluster {cluster}" if cluster else ""))
    return 0


def srun(argv: list[str]) -> int:
    """Runs the command after the options; sets what a GPU step sees (CUDA_VISIBLE_DEVICES)."""
    opts, command = parse_options(argv, SBATCH_VALUE_OPTS, GLUED_SHORT, stop_at_positional=True)
    _record({"prog": "srun", "argv": argv, "cwd": os.getcwd()})
    error = _check_cpu_options("srun", opts)
    if error:
        print(error, file=sys.stderr)
        return 1
    env = dict(os.environ)
    ngpu = _gpu_count(opts)
    if ngpu:
        env["CUDA_VISIBLE_DEVICES"] = ",".join(str(i) for i in range(ngpu))
        env["SLURM_STEP_GPUS"] = env["CUDA_VISIBLE_DEVICES"]
    if not command:
        print("srun: fatal: No command given to execute.", file=sys.stderr)
        return 1
    return subprocess.run(command, env=env).returncode


SACCT_FIELDS = {
    "jobidraw": lambda j: str(j["id"]),
    "jobid": lambda j: str(j["id"]),
    "state": lambda j: j["state"],
    "jobname": lambda j: j["name"],
    "exitcode": lambda j: f"{j['exit_code'] or 0}:0",
    "reason": lambda j: "NonZeroExitCode" if j["state"] == "FAILED" else "None",
    "nodelist": lambda j: "fakenode01",
    "account": lambda j: os.environ.get("FAKE_SLURM_ACCOUNTS", "bitbudget").split(",")[0],
    "elapsed": lambda j: "00:00:01",
}


def sacct(argv: list[str]) -> int:
    _record({"prog": "sacct", "argv": argv, "cwd": os.getcwd()})
    opts, _ = parse_options(argv, SACCT_VALUE_OPTS)
    if "-nu" in opts:  # the plugin's account guess `sacct -nu USER -o Account%256 | tail -1`
        return 0
    fields = (_first(opts, "--format", "-o") or "JobID,JobName,State").split(",")
    fields = [f.split("%")[0].lower() for f in fields]
    jobs = _jobs()
    name = _first(opts, "--name")
    if name is not None:
        jobs = [j for j in jobs if j["name"] in name.split(",")]
    ids = _first(opts, "-j", "--jobs")
    if ids is not None:
        wanted = {i.split(".")[0].split("_")[0] for i in ids.split(",")}
        jobs = [j for j in jobs if str(j["id"]) in wanted]
    sep = "|" if "--parsable2" in opts or "-P" in opts else " "
    if not ("--noheader" in opts or "-n" in opts):
        print(sep.join(f.capitalize() for f in fields))
    for job in jobs:
        print(sep.join(SACCT_FIELDS.get(f, lambda j: "")(job) for f in fields))
    return 0


def squeue(argv: list[str]) -> int:
    _record({"prog": "squeue", "argv": argv, "cwd": os.getcwd()})
    opts, _ = parse_options(argv, SQUEUE_VALUE_OPTS)
    fmt = _first(opts, "--format", "-o") or "%i %j %T"
    jobs = _jobs()
    name = _first(opts, "--name", "-n")
    if name is not None:
        jobs = [j for j in jobs if j["name"] in name.split(",")]
    if "--noheader" not in opts and "-h" not in opts:
        print(fmt.replace("%i", "JOBID").replace("%T", "STATE").replace("%j", "NAME"))
    for job in jobs:
        print(fmt.replace("%i", str(job["id"])).replace("%T", job["state"]).replace("%j", job["name"]))
    return 0


def scancel(argv: list[str]) -> int:
    _record({"prog": "scancel", "argv": argv, "cwd": os.getcwd()})
    _, ids = parse_options(argv, {"-M", "--clusters"})
    for job in _jobs():
        if str(job["id"]) in ids and job["state"] in ("PENDING", "RUNNING"):
            job["state"] = "CANCELLED"
            _save_job(job)
    return 0


def sinfo(argv: list[str]) -> int:
    _record({"prog": "sinfo", "argv": argv, "cwd": os.getcwd()})
    partitions = os.environ.get("FAKE_SLURM_PARTITIONS", "cpu*,gpu").split(",")
    opts, _ = parse_options(argv, SINFO_VALUE_OPTS)
    if (_first(opts, "-o", "--format") or "%P") == "%P":
        print("PARTITION")
        print("\n".join(partitions))
    return 0


def scontrol(argv: list[str]) -> int:
    _record({"prog": "scontrol", "argv": argv, "cwd": os.getcwd()})
    if argv[:2] == ["show", "config"]:
        print("Configuration data as of 2026-01-01T00:00:00")
        print("MaxArraySize            = 1001")
        print("MinJobAge               = 300 sec")
        return 0
    print(f"scontrol: error: fake scontrol does not emulate {shlex.join(argv)}", file=sys.stderr)
    return 1


def accounts(prog: str, argv: list[str]) -> int:
    """sacctmgr -n -s list user U format=account%256; sshare -U --format Account --noheader."""
    _record({"prog": prog, "argv": argv, "cwd": os.getcwd()})
    for account in os.environ.get("FAKE_SLURM_ACCOUNTS", "bitbudget").split(","):
        print(f"  {account}")
    return 0


def main(prog: str, argv: list[str]) -> int:
    handlers = {
        "sbatch": sbatch,
        "srun": srun,
        "sacct": sacct,
        "squeue": squeue,
        "scancel": scancel,
        "sinfo": sinfo,
        "scontrol": scontrol,
        "sacctmgr": lambda a: accounts("sacctmgr", a),
        "sshare": lambda a: accounts("sshare", a),
    }
    return handlers[prog](argv)


if __name__ == "__main__":  # python _fakeslurm.py PROG ARGS...
    sys.exit(main(sys.argv[1], sys.argv[2:]))
