"""Benchmark (run by hand): torch.compile against eager, per configuration, compile time apart.

    python benchmarks/bench_compile.py [--runs ARCH:DATASET:W/S/T:BATCH ...] [--threads 1]
                                       [--out results/bench/compile_cpu.csv]

Each configuration runs ``benchmarks/bench_throughput.py`` four times, each in a fresh process:
eager, compiled with an empty inductor cache (a fresh ``TORCHINDUCTOR_CACHE_DIR``: what a first
``qsnn train --compile`` on a machine pays), compiled again with that cache warm (what later runs
pay), and eager again (brackets drift in the machine's load). Reported per phase (training step,
evaluation forward): the steady-state ratio eager / compiled of the median step (wall) and of the
process CPU time per image (with one thread the robust one on a shared machine), the compile
time (first step minus a steady step; the evaluation phase runs first and its first step compiles
the inference graph, then the training phase's first step compiles the training graphs, forward
and backward, anew), and the steps a run needs before the compilation has paid for itself. Whichever way the ratio goes, it is reported.

Defaults: the quick profile's model (spikformer-tiny on 1x8x8 digits, batch 128, the quick
profile's batch) and one full-scale model (spikformer-4-384 on CIFAR10 at 1/1/4, batch 2).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from bench_throughput import JSON_MARK, write_csv, write_text  # noqa: E402

DEFAULT_RUNS = ("spikformer-tiny:digits:1/1/4:128", "spikformer-4-384:cifar10:1/1/4:2")
STEPS = {"spikformer-tiny": 10}  # timed steps per phase; others: --steps


def run_once(spec: str, mode: str, cache: Path, args) -> dict:
    arch, dataset, wst, batch = spec.split(":")
    steps = STEPS.get(arch, args.steps)
    cmd = [
        sys.executable,
        str(HERE / "bench_throughput.py"),
        "--arch",
        arch,
        "--dataset",
        dataset,
        "--wst",
        wst,
        "--batch",
        batch,
        "--steps",
        str(steps),
        "--warmup",
        "2",
        "--threads",
        str(args.threads),
        "--json",
    ]
    if mode.startswith("compiled"):
        cmd.append("--compile")
    env = {**os.environ, "TORCHINDUCTOR_CACHE_DIR": str(cache)}
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT)
    for line in proc.stdout.splitlines():
        if line.startswith(JSON_MARK):
            row = json.loads(line[len(JSON_MARK) :])
            row.update({"mode": mode, "process_wall_s": time.perf_counter() - start})
            return row
    raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr.strip()[-2000:]}")


def summarize(rows: list[dict]) -> list[dict]:
    out = []
    for spec in dict.fromkeys((r["arch"], r["dataset"], r["wst"], r["batch"]) for r in rows):
        group = {r["mode"]: r for r in rows if (r["arch"], r["dataset"], r["wst"], r["batch"]) == spec}
        eager = [group[m] for m in ("eager", "eager (again)") if m in group]
        for compiled_mode in ("compiled (cold cache)", "compiled (warm cache)"):
            c = group.get(compiled_mode)
            if c is None:
                continue
            row = {
                "arch": spec[0],
                "dataset": spec[1],
                "wst": spec[2],
                "batch": spec[3],
                "compiled": compiled_mode,
                "threads": c["threads"],
            }
            for phase in ("train", "eval"):
                e_step = sum(e[f"{phase}_step_s"] for e in eager) / len(eager)
                e_cpu = sum(e[f"{phase}_cpu_s_per_img"] for e in eager) / len(eager)
                compile_s = c[f"{phase}_first_s"] - c[f"{phase}_step_s"]
                saved = e_step - c[f"{phase}_step_s"]
                row.update(
                    {
                        f"{phase}_eager_step_s": e_step,
                        f"{phase}_compiled_step_s": c[f"{phase}_step_s"],
                        f"{phase}_speedup_wall": e_step / c[f"{phase}_step_s"],
                        f"{phase}_speedup_cpu_time": e_cpu / c[f"{phase}_cpu_s_per_img"],
                        f"{phase}_compile_s": compile_s,
                        f"{phase}_break_even_steps": compile_s / saved if saved > 0 else float("inf"),
                    }
                )
            row["load_1min"] = c["load_1min_before"]
            out.append(row)
    return out


def render(summary: list[dict], meta: dict) -> str:
    lines = [
        "# torch.compile vs eager (CPU)",
        "",
        f"`benchmarks/bench_compile.py`, {meta['date']}, {meta['threads']} thread(s), torch {meta['torch']}; load average "
        f"before {meta['load_before']}, after {meta['load_after']}. Each number from a fresh process; eager measured "
        "twice (before and after) and averaged. Speed-up = eager / compiled (>1: compiled is faster). Compile time = "
        "first step - steady step (evaluation runs first: its first step compiles the inference graph; the training "
        "phase's first step compiles the forward and backward training graphs). Break-even = training compile time / "
        "wall time saved per training step.",
        "",
        "| model | W/S/T | batch | compiled | train speed-up wall / CPU time | eval speed-up wall / CPU time | "
        "steady train step eager / compiled (s) | compile time eval + train (s) | break-even train steps |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in summary:
        lines.append(
            f"| {r['arch']} ({r['dataset']}) | {r['wst']} | {r['batch']} | {r['compiled']} | "
            f"{r['train_speedup_wall']:.2f} / {r['train_speedup_cpu_time']:.2f} | "
            f"{r['eval_speedup_wall']:.2f} / {r['eval_speedup_cpu_time']:.2f} | "
            f"{r['train_eager_step_s']:.3f} / {r['train_compiled_step_s']:.3f} | "
            f"{r['eval_compile_s']:.1f} + {r['train_compile_s']:.1f} | {r['train_break_even_steps']:,.0f} |"
        )
    lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", nargs="+", default=list(DEFAULT_RUNS), help="ARCH:DATASET:W/S/T:BATCH")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--steps", type=int, default=3, help="timed steps per phase (spikformer-tiny: 10)")
    ap.add_argument("--out", type=Path, default=ROOT / "results" / "bench" / "compile_cpu.csv")
    args = ap.parse_args(argv)
    load_before = " ".join(f"{v:.2f}" for v in os.getloadavg())
    rows = []
    for spec in args.runs:
        with tempfile.TemporaryDirectory(prefix="inductor-") as cache:
            for mode in ("eager", "compiled (cold cache)", "compiled (warm cache)", "eager (again)"):
                row = run_once(spec, mode, Path(cache), args)
                rows.append(row)
                print(
                    f"{spec:40s} {mode:22s}: train step {row['train_step_s']:.3f} s ({row['train_cpu_s_per_img'] * 1e3:.2f} "
                    f"CPU-ms/img), first {row['train_first_s']:.1f} s; eval step {row['eval_step_s']:.3f} s, first "
                    f"{row['eval_first_s']:.1f} s; load {row['load_1min_before']:.1f}",
                    flush=True,
                )
    summary = summarize(rows)
    import torch

    meta = {
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "threads": args.threads,
        "torch": torch.__version__,
        "load_before": load_before,
        "load_after": " ".join(f"{v:.2f}" for v in os.getloadavg()),
    }
    write_csv(rows, args.out.with_name(f"{args.out.stem}_runs.csv"))
    write_csv(summary, args.out)
    write_text(render(summary, meta), args.out.with_suffix(".md"))
    print(render(summary, meta))
    print(f"wrote {args.out}, {args.out.with_suffix('.md')} and {args.out.with_name(f'{args.out.stem}_runs.csv')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
