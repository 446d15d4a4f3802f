"""Wall and CPU time of the workflow's hardware rules, run as the workflow runs them (issue 12).

Runs the commands of ``workflow/rules/hardware.smk`` -- ``hw_activity_rtl``, ``synth_sweep``
(``--jobs 2``, the rule's threads), ``synth_activity`` and ``synth_validate`` -- one after the
other, with every output, build and cache in a scratch folder (never under the repository's
``results/``), and prints per rule the wall time, the CPU time of the command and all its
children (user + sys: what contention on a shared machine does not inflate) and the load
average when it started. A second pass (``--rerun``) measures the same commands with every
cache warm (a rerun of the workflow).

    python benchmarks/bench_hw_rules.py                       # this checkout, fresh scratch folder
    python benchmarks/bench_hw_rules.py --repo /tmp/old       # another checkout (e.g. `git archive` of main)
    python benchmarks/bench_hw_rules.py --rules synth_sweep --rerun --json times.json

``--checkpoint``: the ``qsnn train`` checkpoint whose layer ``hw_activity_rtl`` measures (the
workflow uses Table 4's W=8 CIFAR10 run: ``spikformer-tiny`` on ``digits`` in the quick profile).
Without it, one is trained first (``spikformer-tiny``, 8/1/4, digits, 2 epochs; not timed).
Only the toggle *values* depend on the checkpoint, not the work each rule does.

Older checkouts write some caches under their own ``results/`` (``--repo`` folder) instead of
the scratch folder: the synthesis cache and the netlist simulations before ``--cache-dir`` /
``--work-dir`` existed. Start such a checkout from a clean copy for a cold measurement.
The yowasp (WebAssembly) tools keep their compiled modules in ``~/.cache/YoWASP`` (or
``$YOWASP_CACHE_DIR``); a machine's first yosys run compiles it (over a minute of CPU), which is
not a cost of a rule; ``--cold-wasm`` measures with an empty one.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RULES = ("hw_activity_rtl", "synth_sweep", "synth_activity", "synth_validate")


def supports(repo: Path, env: dict, args: list[str], flag: str) -> bool:
    out = subprocess.run(
        [sys.executable, "-m", "qsnn.cli", *args, "--help"], cwd=repo, env=env, capture_output=True, text=True
    )
    return flag in out.stdout


def commands(repo: Path, scratch: Path, checkpoint: Path, env: dict) -> dict[str, list[str]]:
    """The workflow's commands (hardware.smk), with outputs and caches in ``scratch``."""
    hw = scratch / "results" / "hardware"
    data = repo / "data"
    cmds = {
        "hw_activity_rtl": [
            "hw",
            "activity",
            "--checkpoint",
            str(checkpoint),
            "--data-root",
            str(data),
            "--out",
            str(hw / "activity_rtl.csv"),
        ],
        "synth_sweep": [
            "synth",
            "sweep",
            "--jobs",
            "2",
            "--out",
            str(hw / "synthesis.csv"),
            "--cache-dir",
            str(hw / "synth_cache"),
        ],
        "synth_activity": [
            "synth",
            "activity",
            "--rtl-csv",
            str(hw / "activity_rtl.csv"),
            "--netlist-rows",
            str(hw / "activity_netlist.csv"),
            "--out",
            str(hw / "activity.csv"),
            "--fits-out",
            str(hw / "activity_fits.csv"),
        ],
        "synth_validate": ["synth", "validate", "--out", str(hw / "accel_validation.csv")],
    }
    # Cache locations the workflow leaves at their defaults (under results/); pointed at the
    # scratch folder where this checkout's CLI can.
    for rule, sub, flag, path in (
        ("synth_activity", ["synth", "activity"], "--work-dir", hw / "netlist_sim"),
        ("synth_validate", ["synth", "validate"], "--build-dir", hw / "build"),
    ):
        if supports(repo, env, sub, flag):
            cmds[rule] += [flag, str(path)]
    return cmds


def run(cmd: list[str], cwd: Path, env: dict, log: Path) -> dict:
    load = os.getloadavg()[0]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    with open(log, "w") as fh:
        proc = subprocess.run(
            [sys.executable, "-m", "qsnn.cli", *cmd], cwd=cwd, env=env, stdout=fh, stderr=subprocess.STDOUT
        )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed (exit {proc.returncode}); see {log}")
    return {
        "wall_s": round(wall, 1),
        "cpu_s": round(cpu, 1),
        "load_at_start": round(load, 2),
        "load_at_end": round(os.getloadavg()[0], 2),
    }


def train_checkpoint(repo: Path, scratch: Path, env: dict) -> Path:
    out = scratch / "checkpoint"
    if not (out / "checkpoint.pt").exists():
        subprocess.run(
            [
                sys.executable,
                "-m",
                "qsnn.cli",
                "train",
                "--dataset",
                "digits",
                "--arch",
                "spikformer-tiny",
                "--wst",
                "8/1/4",
                "--epochs",
                "2",
                "--lr",
                "0.002",
                "--threads",
                "1",
                "--no-progress",
                "--out",
                str(out),
                "--data-root",
                str(repo / "data"),
            ],
            cwd=scratch,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
    return out / "checkpoint.pt"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--repo", type=Path, default=REPO, help="checkout whose qsnn runs (default: this one)")
    p.add_argument("--scratch", type=Path, help="scratch folder (default: a new temporary one; kept)")
    p.add_argument("--checkpoint", type=Path, help="checkpoint.pt for hw_activity_rtl (default: train a small one)")
    p.add_argument("--rules", nargs="+", default=list(RULES), choices=RULES)
    p.add_argument("--rerun", action="store_true", help="then run the same commands again, every cache warm")
    p.add_argument(
        "--cold-wasm", action="store_true", help="an empty YoWASP cache (the tools' first start compiles them)"
    )
    p.add_argument(
        "--activity-jobs",
        type=int,
        default=None,
        help="append --jobs N to the two activity commands (a rule with `threads: N`; the workflow "
        "runs them with one job today)",
    )
    p.add_argument("--json", type=Path, help="write the times here too")
    args = p.parse_args(argv)

    repo = args.repo.resolve()
    scratch = (args.scratch or Path(tempfile.mkdtemp(prefix="bench-hw-"))).resolve()
    scratch.mkdir(parents=True, exist_ok=True)
    (scratch / "logs").mkdir(exist_ok=True)
    env = dict(os.environ, PYTHONPATH=str(repo) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    if args.cold_wasm:
        env["YOWASP_CACHE_DIR"] = str(scratch / "yowasp-cache")
        shutil.rmtree(env["YOWASP_CACHE_DIR"], ignore_errors=True)
    checkpoint = (args.checkpoint or train_checkpoint(repo, scratch, env)).resolve()
    cmds = commands(repo, scratch, checkpoint, env)
    if args.activity_jobs:
        for rule in ("hw_activity_rtl", "synth_activity"):
            cmds[rule] += ["--jobs", str(args.activity_jobs)]
    print(f"repo {repo}\nscratch {scratch}\ncheckpoint {checkpoint}\n{os.cpu_count()} CPUs", flush=True)

    times: dict[str, dict] = {}
    for label in ("first run", "rerun") if args.rerun else ("first run",):
        print(f"\n{label}:\n{'rule':<16} {'wall s':>8} {'CPU s':>8} {'load':>6}", flush=True)
        for rule in [r for r in RULES if r in args.rules]:
            t = run(cmds[rule], scratch, env, scratch / "logs" / f"{rule}-{label.replace(' ', '_')}.log")
            times[f"{label}/{rule}"] = t
            print(f"{rule:<16} {t['wall_s']:>8.1f} {t['cpu_s']:>8.1f} {t['load_at_start']:>6.2f}", flush=True)
        total = [v for k, v in times.items() if k.startswith(label)]
        print(f"{'total':<16} {sum(t['wall_s'] for t in total):>8.1f} {sum(t['cpu_s'] for t in total):>8.1f}")
    if args.json:
        args.json.write_text(json.dumps({"repo": str(repo), "scratch": str(scratch), "times": times}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
