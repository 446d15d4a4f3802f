"""Benchmark (run by hand): training and evaluation throughput of the full-scale architectures.

    python benchmarks/bench_throughput.py --arch spikformer-4-384 --wst 1/1/4 [--batch 8]
        [--device cpu|cuda] [--compile] [--amp] [--steps 3]
    python benchmarks/bench_throughput.py --all [--device cuda --amp] [--out results/bench/throughput.csv]

For each architecture: images/s of a training step (forward, cross-entropy, backward, AdamW) and
of an evaluation forward, on random inputs of the architecture's own shape ([T,B,2,48,48] event
frames for the event-set rows, [B,C,H,W] images otherwise), plus peak memory (CUDA: the
allocator's peak; CPU: the process's peak RSS, which includes everything the process did before).
``--all`` runs every full-scale architecture that Tables 1-5 train, at the largest T the paper
trains it with (the slowest of its rows), and writes one CSV row each. It never trains anything
that lands in results/runs; nothing here is a result of the paper, only of this machine.

The numbers are this machine's; on a shared machine report the load. ``--batch`` defaults to the
paper's 128 on CUDA and to 4 on CPU (a CPU step at 128 takes minutes for the ImageNet models).
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import sys
import time
from pathlib import Path

import torch
from torch.nn import functional as F

ROOT = Path(__file__).resolve().parents[1]


def paper_configs() -> list[tuple[str, str, str]]:
    """(arch, W/S/T, dataset) per full-scale architecture trained by the paper profile: the row of
    largest T (then largest S) of that architecture and dataset kind."""
    import yaml

    from qsnn.experiments import dataset_kind, plan_from_config

    raw = yaml.safe_load((ROOT / "config" / "paper.yaml").read_text())
    raw["paper_dir"] = str(ROOT / "data" / "paper")
    best: dict[tuple[str, str], object] = {}
    for run in plan_from_config(raw).runs:
        key = (run.arch, "imagenet" if run.dataset == "imagenet" else dataset_kind(run.dataset))
        if key not in best or (run.wst.T, run.wst.s_bits) > (best[key].wst.T, best[key].wst.s_bits):
            best[key] = run
    return [(r.arch, str(r.wst), r.dataset) for _, r in sorted(best.items())]


def input_batch(dataset: str, T: int, batch: int, device: torch.device) -> tuple[torch.Tensor, int]:
    from qsnn.data import dataset_info

    info = dataset_info(dataset)
    shape = tuple(info.input_shape)
    if info.kind == "neuromorphic":
        return torch.rand(T, batch, *shape, device=device) * 3, info.num_classes
    return torch.randn(batch, *shape, device=device), info.num_classes


def peak_memory_mb(device: torch.device) -> float:
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def timed(fn, steps: int, device: torch.device) -> float:
    fn()  # warm-up (and compilation)
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    start = time.perf_counter()
    for _ in range(steps):
        fn()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return (time.perf_counter() - start) / steps


def measure(arch: str, wst: str, dataset: str, batch: int, device: torch.device, compile_: bool, amp: bool,
            steps: int) -> dict:
    from qsnn.data import dataset_info
    from qsnn.models import create
    from qsnn.wst import parse_wst

    w = parse_wst(wst)
    info = dataset_info(dataset)
    model = create(arch, w.w_bits, w.s_bits, w.T, num_classes=info.num_classes,
                   input_shape=tuple(info.input_shape)).to(device)
    runner = torch.compile(model) if compile_ else model
    x, classes = input_batch(dataset, w.T, batch, device)
    y = torch.randint(0, classes, (batch,), device=device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=5e-4)
    scaler = torch.amp.GradScaler(device.type, enabled=amp and device.type == "cuda")

    def train_step():
        model.train()
        with torch.autocast(device.type, dtype=torch.float16, enabled=amp):
            loss = F.cross_entropy(runner(x).float(), y)
        optimizer.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()

    @torch.no_grad()
    def eval_step():
        model.eval()
        with torch.autocast(device.type, dtype=torch.float16, enabled=amp):
            runner(x)

    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    train_s = timed(train_step, steps, device)
    eval_s = timed(eval_step, steps, device)
    return {"arch": arch, "wst": wst, "dataset": dataset, "batch": batch, "device": str(device),
            "compile": compile_, "amp": amp, "train_img_s": batch / train_s, "eval_img_s": batch / eval_s,
            "train_step_s": train_s, "peak_mem_mb": peak_memory_mb(device),
            "threads": torch.get_num_threads(), "load_1min": os.getloadavg()[0]}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--arch", help="registered architecture (see `qsnn archs`)")
    ap.add_argument("--wst", help="W/S/T, e.g. 1/1/4")
    ap.add_argument("--dataset", default=None, help="dataset whose input shape to use (default: the arch's own)")
    ap.add_argument("--all", action="store_true", help="every full-scale architecture of Tables 1-5 at the paper's T")
    ap.add_argument("--batch", type=int, default=None, help="default: 128 on CUDA (paper), 4 on CPU")
    ap.add_argument("--device", choices=("cpu", "cuda"), default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--compile", action="store_true", help="torch.compile the model")
    ap.add_argument("--amp", action="store_true", help="float16 autocast (what `qsnn train` does on CUDA)")
    ap.add_argument("--steps", type=int, default=3, help="timed steps after one warm-up step")
    ap.add_argument("--out", type=Path, default=None, help="CSV to write (default: results/bench/throughput_<device>.csv with --all)")
    args = ap.parse_args(argv)
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        print("bench_throughput: error: --device cuda but no CUDA GPU is visible", file=sys.stderr)
        return 2
    batch = args.batch or (128 if device.type == "cuda" else 4)
    if args.all:
        configs = paper_configs()
    elif args.arch and args.wst:
        from qsnn.models import arch_spec

        configs = [(args.arch, args.wst, args.dataset or ("imagenet" if arch_spec(args.arch).input_shape[1] == 224 else "cifar10"))]
    else:
        print("bench_throughput: error: give --arch and --wst, or --all", file=sys.stderr)
        return 2
    rows = []
    for arch, wst, dataset in configs:
        row = measure(arch, wst, dataset, batch, device, args.compile, args.amp, args.steps)
        rows.append(row)
        print(f"{arch:18s} {wst:8s} {dataset:13s} batch {batch:4d}: train {row['train_img_s']:9.1f} img/s, "
              f"eval {row['eval_img_s']:9.1f} img/s, peak {row['peak_mem_mb']:8.0f} MB", flush=True)
    out = args.out or (ROOT / "results" / "bench" / f"throughput_{device.type}.csv" if args.all else None)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(f".{out.name}.tmp")
        with open(tmp, "w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
        os.replace(tmp, out)
        print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
