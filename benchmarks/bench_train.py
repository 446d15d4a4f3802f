"""Benchmark (run by hand): wall time of quick-profile training runs, end to end, optionally against another checkout.

    python benchmarks/bench_train.py [--runs DATASET:ARCH:W/S/T ...] [--epochs 20] [--threads 1]
                                     [--repeats 1] [--baseline DIR] [--data-root data]

Each run is ``qsnn train`` as a fresh process (imports, data, training, final measurement,
metrics.json), with the quick profile's settings (batch 128, lr 2e-3, 20 epochs, one thread: the
workflow runs two such jobs side by side on 2 cores). Defaults: ``digits`` on spikformer-tiny at
1/4/1 and ``digits-dvs`` (event frames) at 1/1/16, the quick profile's slowest kind of job.

``--baseline DIR`` times the same runs with the ``qsnn`` package of another checkout (e.g. one
made with ``git worktree add /tmp/base <commit>``), alternating with this one run by run, so a
busy machine slows both alike; it also says whether both wrote the same results (top-1, firing
rates, the per-epoch losses and accuracies), which they should when only speed changed. On a
shared machine the numbers are inflated by whatever else runs: the load average is reported.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
DEFAULT_RUNS = ("digits:spikformer-tiny:1/4/1", "digits-dvs:spikformer-tiny:1/1/16")


def result_digest(out: Path) -> tuple[str, dict]:
    """A digest of what a run computed (not how long it took) and its metrics record."""
    record = json.loads((out / "metrics.json").read_text())
    with open(out / "log.csv", newline="") as f:
        log = [{k: v for k, v in row.items() if k != "seconds"} for row in csv.DictReader(f)]
    what = {k: record[k] for k in ("top1", "top5", "firing_rates", "layer_input_rates", "ns_ace")}
    return hashlib.sha256(json.dumps([what, log], sort_keys=True).encode()).hexdigest()[:12], record


def train_once(tree: Path, run: str, args) -> dict:
    dataset, arch, wst = run.split(":")
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(tree), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep),
    }
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [
            sys.executable,
            "-m",
            "qsnn.cli",
            "train",
            "--dataset",
            dataset,
            "--arch",
            arch,
            "--wst",
            wst,
            "--epochs",
            str(args.epochs),
            "--batch-size",
            "128",
            "--lr",
            "0.002",
            "--out",
            tmp,
            "--threads",
            str(args.threads),
            "--data-root",
            str(Path(args.data_root).resolve()),
            "--no-progress",
        ]
        start = time.perf_counter()
        subprocess.run(cmd, check=True, env=env, cwd=tmp, stdout=subprocess.DEVNULL)
        wall = time.perf_counter() - start
        digest, record = result_digest(Path(tmp))
    return {"wall": wall, "inside": record["wall_time_s"], "top1": record["top1"], "digest": digest}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--runs", nargs="+", default=list(DEFAULT_RUNS), help="DATASET:ARCH:W/S/T, e.g. digits:spikformer-tiny:1/4/1"
    )
    ap.add_argument("--epochs", type=int, default=20, help="the quick profile's 20 by default")
    ap.add_argument("--threads", type=int, default=1, help="the workflow's one thread per run")
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--baseline", type=Path, default=None, help="a checkout whose qsnn to time against this one")
    ap.add_argument("--data-root", default="data")
    args = ap.parse_args()
    trees = {"this": HERE}
    if args.baseline is not None:
        if not (args.baseline / "qsnn" / "__init__.py").exists():
            ap.error(f"--baseline {args.baseline} holds no qsnn package")
        trees["baseline"] = args.baseline.resolve()
    samples: dict[tuple[str, str], list[dict]] = {}
    load_before = os.getloadavg()
    for repeat in range(args.repeats):
        for run in args.runs:
            order = list(trees) if repeat % 2 == 0 else list(trees)[::-1]  # alternate who goes first
            for name in order:
                samples.setdefault((run, name), []).append(train_once(trees[name], run, args))
    load_after = os.getloadavg()

    print(
        f"{args.epochs} epochs, batch 128, {args.threads} thread(s), {args.repeats} repeat(s); 1-min load average "
        f"{load_before[0]:.1f} before, {load_after[0]:.1f} after, on {os.cpu_count()} cores"
    )
    for run in args.runs:
        cells = []
        for name in trees:
            got = samples[(run, name)]
            wall = statistics.median(s["wall"] for s in got)
            inside = statistics.median(s["inside"] for s in got)
            cells.append(f"{name}: {wall:6.1f} s wall ({inside:5.1f} s in-process), top1 {got[0]['top1']:.2f}%")
        line = f"{run:40s} " + " | ".join(cells)
        if "baseline" in trees:
            ratio = statistics.median(s["wall"] for s in samples[(run, "baseline")]) / statistics.median(
                s["wall"] for s in samples[(run, "this")]
            )
            same = {s["digest"] for name in trees for s in samples[(run, name)]}
            line += f" | baseline/this {ratio:.2f}x, results {'identical' if len(same) == 1 else 'DIFFER'}"
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
