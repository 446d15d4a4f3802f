"""Benchmark (run by hand): training and evaluation throughput of the full-scale architectures.

    python benchmarks/bench_throughput.py --arch spikformer-4-384 --wst 1/1/4 [--dataset cifar10] [--batch 8]
        [--device cpu|cuda] [--compile] [--amp] [--steps 3] [--warmup 1] [--threads N] [--json]
    python benchmarks/bench_throughput.py --all [--which trained|cited|both] [--device cuda --amp] [--batch B] [--steps N]
        [--out results/bench/throughput_<device>.csv]
    python benchmarks/bench_throughput.py --project-only [--measured results/bench/throughput_cpu.csv]

For each configuration: images/s of a training step (forward, cross-entropy, backward, AdamW) and
of an evaluation forward (``no_grad``, eval mode), on random inputs of the dataset's own shape
([T,B,2,48,48] event frames for the event-set rows, [B,C,H,W] images otherwise), and peak memory.

What is timed: ``--warmup`` steps first (default 1: allocation, numba's kernels, with
``--compile`` the compilation) are timed separately (``*_first_s``) and excluded from the
steady-state numbers, which come from the median of ``--steps`` timed steps (``*_img_s``; the
fastest step gives ``*_img_s_best``). Beside wall time, the process's own CPU time per image
(``*_cpu_s_per_img``) is recorded: on a shared machine the wall time grows with the other
users' load, a single thread's CPU time hardly (see Threads below). ``gemm_gflops`` is an fp32 matrix product timed in the same
process just before the model (same threads, same contention): ``train_gemm_fraction`` =
achieved training FLOP/s (6 FLOP per MAC: forward 2, backward 4) / that rate.

Peak memory: CUDA, the allocator's peak per phase; CPU, the process's peak RSS (``ru_maxrss``),
which is a high-water mark of the whole process. Hence every configuration of ``--all`` runs in
a fresh subprocess (``--in-process`` turns that off), the evaluation phase runs before the
training phase (so ``peak_rss_eval_mb`` is the evaluation's own peak, ``peak_rss_train_mb`` the
training's), and ``rss_base_mb`` is the RSS after imports, model, optimizer and input were built,
before the first step (torch's own import costs ~300 MB of it).

``--all``: every full-scale architecture the paper profile trains (Tables 1-5,
config/paper.yaml: the "this paper" rows), per input kind (ImageNet 224x224, CIFAR 32x32,
event frames 2x48x48), at the largest T the paper trains it with (its slowest rows) and at its
smallest T (so the scaling with T, which the GPU projection assumes, is measured too).
``--which cited`` measures instead the architectures the tables only cite (not trained by the
workflow), each at the largest T printed for it; ``--which both`` measures both sets. The CSV
records the threads used and the 1-minute load average before and after each configuration.

Threads: ``--threads``, default 1 on CPU (torch's own on CUDA). On a shared machine a multi-threaded
step stalls whenever one of its threads is descheduled (the others spin at OpenMP barriers, which
also inflates the CPU time): on this project's 2-core machine at load 3-10, 2-thread steps of one
configuration varied by up to an order of magnitude, 1-thread steps by a few percent, and a
1-thread step's CPU time is its work whatever the load (within ~9 % between runs at load 1.3-4.6). So CPU numbers are per core unless ``--threads``
says otherwise.

After a CPU ``--all`` (or with ``--project-only`` from an existing measurement) the projected GPU time
of every paper-profile run is written beside it (``benchmarks/gpu_projection.py``:
``projection_gpu.csv`` and ``.md``). That projection is arithmetic on stated assumptions, never a
measurement. Nothing here trains anything that lands in results/runs, and nothing here is a
result of the paper: only of this machine.

``--batch`` defaults to the paper's 128 on CUDA and to 2 on CPU (a CPU step at 128 takes minutes
for the ImageNet models).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import torch
from torch.nn import functional as F

ROOT = Path(__file__).resolve().parents[1]
BENCH_DIR = ROOT / "results" / "bench"
JSON_MARK = "BENCH_JSON "
FLOP_PER_MAC_TRAIN = 6  # forward 2 FLOP per MAC, backward ~2x forward (input and weight gradients)
FLOP_PER_MAC_EVAL = 2
# Preference order when an architecture is benchmarked without --dataset: a paper dataset of its own input shape.
DEFAULT_DATASETS = ("imagenet", "cifar10", "cifar100", "cifar10-dvs", "digits", "digits-dvs", "motion-dvs")


@dataclass(frozen=True)
class Config:
    arch: str
    wst: str
    dataset: str
    role: str = "single"  # "trained: largest T" | "trained: smallest T" | "cited" | "single"


# --------------------------------------------------------------------------- what --all measures


def _input_kind(dataset: str) -> str:
    from qsnn.experiments import dataset_kind

    return "imagenet" if dataset == "imagenet" else dataset_kind(dataset)


def paper_configs() -> list[Config]:
    """Per full-scale architecture the paper profile trains and per input kind (ImageNet, static
    32x32, event frames): the run of largest T (then largest S), and the run of smallest T."""
    import yaml

    from qsnn.experiments import plan_from_config

    raw = yaml.safe_load((ROOT / "config" / "paper.yaml").read_text())
    raw["paper_dir"] = str(ROOT / "data" / "paper")
    groups: dict[tuple[str, str], list] = {}
    for run in plan_from_config(raw).runs:
        groups.setdefault((run.arch, _input_kind(run.dataset)), []).append(run)
    configs = []
    for _, runs in sorted(groups.items()):
        largest = max(runs, key=lambda r: (r.wst.T, r.wst.s_bits, r.wst.w_bits, r.dataset))
        smallest = min(runs, key=lambda r: (r.wst.T, -r.wst.s_bits, -r.wst.w_bits, r.dataset))
        configs.append(Config(largest.arch, str(largest.wst), largest.dataset, "trained: largest T"))
        if smallest.wst.T != largest.wst.T:
            configs.append(Config(smallest.arch, str(smallest.wst), smallest.dataset, "trained: smallest T"))
    return configs


CITED_T_CAP = 16  # the largest T any table trains with BPTT; above it the cited rows are ANN-to-SNN conversions
CITED_T_FALLBACK = 4  # the T of the directly trained ImageNet rows, for an architecture printed only above the cap


def cited_configs() -> list[Config]:
    """Architectures Tables 1-5 only cite (registered, full scale, not trained by the paper profile),
    each at the largest T printed for it up to :data:`CITED_T_CAP`, on the table's first dataset.

    Rows above the cap (T = 250, 350: hybrid / conversion methods, not BPTT) are not benchmarked at
    their T; an architecture printed only there is measured at :data:`CITED_T_FALLBACK`."""
    from qsnn.paper_tables import read_table

    trained = {c.arch for c in paper_configs()}
    best: dict[str, tuple[tuple[int, ...], str, str]] = {}
    for n in range(1, 6):
        frame = read_table(n)
        for _, row in frame.iterrows():
            arch = str(row["arch_id"] or "")
            if not arch or arch in trained or row["source"] != "cited":
                continue
            T, role = int(row["T"]), "cited"
            if T > CITED_T_CAP:
                T, role = (
                    CITED_T_FALLBACK,
                    f"cited (printed T={int(row['T'])}, hybrid/conversion, not BPTT; measured at T={CITED_T_FALLBACK})",
                )
            key = (int(T <= CITED_T_CAP and role == "cited"), T, int(row["s_bits"]), int(row["w_bits"]))
            dataset = str(row["dataset"]).split(";")[0]
            if arch not in best or key > best[arch][0]:
                best[arch] = (key, dataset, role)
    return [Config(a, f"{k[3]}/{k[2]}/{k[1]}", d, role) for a, (k, d, role) in sorted(best.items())]


def default_dataset(arch: str) -> str:
    """A dataset whose input shape (and, if possible, class count) is the architecture's own."""
    from qsnn.data import dataset_info
    from qsnn.models import arch_spec

    spec = arch_spec(arch)
    shape = tuple(spec.input_shape)
    matches = [d for d in DEFAULT_DATASETS if tuple(dataset_info(d).input_shape) == shape]
    exact = [d for d in matches if dataset_info(d).num_classes == spec.num_classes]
    if exact or matches:
        return (exact or matches)[0]
    raise ValueError(f"no registered dataset has {arch}'s input shape {shape}; pass --dataset")


# --------------------------------------------------------------------------- one measurement


def input_batch(dataset: str, T: int, batch: int, device: torch.device) -> tuple[torch.Tensor, int]:
    from qsnn.data import dataset_info

    info = dataset_info(dataset)
    shape = tuple(info.input_shape)
    if info.kind == "neuromorphic":
        return torch.rand(T, batch, *shape, device=device) * 3, info.num_classes
    return torch.randn(batch, *shape, device=device), info.num_classes


def current_rss_mb() -> float | None:
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return None
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def gemm_gflops(device: torch.device, n: int = 1024, seconds: float = 0.6) -> float:
    """fp32 n x n matrix products per second, as GFLOP/s: what this process gets right now."""
    a = torch.randn(n, n, device=device)
    b = torch.randn(n, n, device=device)
    a @ b  # warm-up
    count, start = 0, time.perf_counter()
    while True:
        a @ b
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        count += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return 2 * n**3 * count / elapsed / 1e9


def timed(fn, warmup: int, steps: int, device: torch.device) -> dict:
    """Wall and process-CPU seconds of each warm-up step and each timed step."""

    def one() -> tuple[float, float]:
        wall, cpu = time.perf_counter(), time.process_time()
        fn()
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        return time.perf_counter() - wall, time.process_time() - cpu

    first = [one() for _ in range(warmup)]
    timed_steps = [one() for _ in range(steps)]
    return {"first": first, "steps": timed_steps}


def macs_per_step(arch: str, dataset: str) -> float:
    """MACs per sample and time step of every synaptic layer (attention products included): the
    dense work a GPU or CPU does whatever the spikes are (qsnn.metrics.cost_table, ``macs_all``)."""
    from qsnn.data import dataset_info
    from qsnn.metrics import cost_table
    from qsnn.models import create

    info = dataset_info(dataset)
    model = create(arch, 1, 1, 1, num_classes=info.num_classes, input_shape=tuple(info.input_shape))
    return float(cost_table(model, input_shape=tuple(info.input_shape)).totals["macs_all"])


def _phase(prefix: str, record: dict, batch: int, macs_img: float, flop_per_mac: int) -> dict:
    walls = [w for w, _ in record["steps"]]
    cpus = [c for _, c in record["steps"]]
    median = statistics.median(walls)
    first = record["first"][0][0] if record["first"] else float("nan")
    return {
        f"{prefix}_img_s": batch / median,
        f"{prefix}_img_s_best": batch / min(walls),
        f"{prefix}_step_s": median,
        f"{prefix}_first_s": first,  # the first warm-up step: allocation, kernels, compilation
        f"{prefix}_cpu_s_per_img": statistics.median(cpus) / batch,
        f"{prefix}_gflops": flop_per_mac * macs_img * batch / median / 1e9,
    }


def measure(cfg: Config, batch: int, device: torch.device, compile_: bool, amp: bool, steps: int, warmup: int) -> dict:
    from qsnn.data import dataset_info
    from qsnn.models import create
    from qsnn.wst import parse_wst

    load_before = os.getloadavg()[0]
    w = parse_wst(cfg.wst)
    info = dataset_info(cfg.dataset)
    gemm = gemm_gflops(device)
    macs_img = macs_per_step(cfg.arch, cfg.dataset) * w.T
    model = create(
        cfg.arch, w.w_bits, w.s_bits, w.T, num_classes=info.num_classes, input_shape=tuple(info.input_shape)
    ).to(device)
    runner = torch.compile(model) if compile_ else model
    x, classes = input_batch(cfg.dataset, w.T, batch, device)
    y = torch.randint(0, classes, (batch,), device=device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=5e-4)
    scaler = torch.amp.GradScaler(device.type, enabled=amp and device.type == "cuda")

    def train_step():
        with torch.autocast(device.type, dtype=torch.float16, enabled=amp):
            loss = F.cross_entropy(runner(x).float(), y)
        optimizer.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()

    @torch.no_grad()
    def eval_step():
        with torch.autocast(device.type, dtype=torch.float16, enabled=amp):
            runner(x)

    rss_base = current_rss_mb()
    # Evaluation first: on CPU the peak RSS is a high-water mark, so the training phase's larger
    # peak would otherwise hide the evaluation's.
    model.eval()
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    ev = timed(eval_step, warmup, steps, device)
    peak_eval = torch.cuda.max_memory_allocated(device) / 2**20 if device.type == "cuda" else peak_rss_mb()
    model.train()
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    tr = timed(train_step, warmup, steps, device)
    peak_train = torch.cuda.max_memory_allocated(device) / 2**20 if device.type == "cuda" else peak_rss_mb()
    row = {
        "arch": cfg.arch,
        "wst": cfg.wst,
        "T": w.T,
        "dataset": cfg.dataset,
        "input": "x".join(map(str, info.input_shape)),
        "role": cfg.role,
        "batch": batch,
        "device": torch.cuda.get_device_name(device) if device.type == "cuda" else f"cpu ({_cpu_name()})",
        "compile": compile_,
        "amp": amp,
        "threads": torch.get_num_threads(),
        "interop_threads": torch.get_num_interop_threads(),
        "warmup": warmup,
        "steps": steps,
        "gmacs_per_img": macs_img / 1e9,
    }
    row.update(_phase("train", tr, batch, macs_img, FLOP_PER_MAC_TRAIN))
    row.update(_phase("eval", ev, batch, macs_img, FLOP_PER_MAC_EVAL))
    row.update(
        {
            "gemm_gflops": gemm,
            "train_gemm_fraction": row["train_gflops"] / gemm,
            "rss_base_mb": rss_base,
            "peak_eval_mb": peak_eval,
            "peak_train_mb": peak_train,
            "peak_kind": "cuda allocator peak" if device.type == "cuda" else "process peak RSS (fresh process)",
            "load_1min_before": load_before,
            "load_1min_after": os.getloadavg()[0],
            "torch": torch.__version__,
            "status": "ok",
        }
    )
    return row


# --------------------------------------------------------------------------- --all: one subprocess each


def child_command(cfg: Config, args, batch: int) -> list[str]:
    cmd = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--arch",
        cfg.arch,
        "--wst",
        cfg.wst,
        "--dataset",
        cfg.dataset,
        "--role",
        cfg.role,
        "--batch",
        str(batch),
        "--device",
        args.device,
        "--steps",
        str(args.steps),
        "--warmup",
        str(args.warmup),
        "--json",
    ]
    if args.threads:
        cmd += ["--threads", str(args.threads)]
    return cmd + (["--compile"] if args.compile else []) + (["--amp"] if args.amp else [])


def run_isolated(cfg: Config, args, batch: int) -> dict:
    """One configuration in a fresh Python process; its JSON line back, or a row saying why not."""
    start = time.perf_counter()
    try:
        proc = subprocess.run(
            child_command(cfg, args, batch), capture_output=True, text=True, timeout=args.timeout, cwd=ROOT
        )
    except subprocess.TimeoutExpired:
        why = f"timed out after {args.timeout} s"
    else:
        for line in proc.stdout.splitlines():
            if line.startswith(JSON_MARK):
                row = json.loads(line[len(JSON_MARK) :])
                row["process_wall_s"] = time.perf_counter() - start
                return row
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        why = f"exit {proc.returncode}: {tail}"
    return {
        "arch": cfg.arch,
        "wst": cfg.wst,
        "dataset": cfg.dataset,
        "role": cfg.role,
        "batch": batch,
        "status": f"failed ({why})",
        "process_wall_s": time.perf_counter() - start,
    }


def write_csv(rows: list[dict], out: Path) -> None:
    fields: list[str] = []
    for row in rows:
        fields += [k for k in row if k not in fields]
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    with open(tmp, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    os.replace(tmp, out)


def _fmt(value, digits: int = 2) -> str:
    if isinstance(value, float):
        return f"{value:.{digits}f}" if abs(value) < 1e4 else f"{value:.3g}"
    return "" if value is None else str(value)


def render_markdown(rows: list[dict], meta: dict) -> str:
    lines = [
        f"# Measured throughput ({meta['device']})",
        "",
        f"Measured by `benchmarks/bench_throughput.py --all` on {meta['date']}: {meta['cpu']}, "
        f"{meta['cores']} cores, torch {torch.__version__}. Load average (1/5/15 min) before: {meta['load_before']}; "
        f"after: {meta['load_after']}. Each row in a fresh process; {meta['warmup']} warm-up step(s) excluded, "
        f"median of {meta['steps']} timed steps. Random inputs of the dataset's shape; this machine's numbers, "
        "not the paper's. On a shared machine wall-clock img/s is depressed by the other users' load; "
        "with one thread, CPU-s/img (the process's own CPU time) is the work per image on one core whatever the load.",
        "",
        "| arch | W/S/T | input | role | batch | threads | train img/s (median / best step) | "
        "eval img/s (median / best) | CPU-s/img train / eval | train first step (s) | train GFLOP/s | "
        "GEMM GFLOP/s | fraction | peak train / eval / base (MB) | load before / after |",
        "|" + "---|" * 15,
    ]
    for r in rows:
        if r.get("status") != "ok":
            lines.append(
                f"| {r['arch']} | {r['wst']} | {r['dataset']} | {r['role']} | {r['batch']} | {r['status']} |" + " |" * 9
            )
            continue
        lines.append(
            f"| {r['arch']} | {r['wst']} | {r['input']} ({r['dataset']}) | {r['role']} | {r['batch']} | {r['threads']} | "
            f"{_fmt(r['train_img_s'], 3)} / {_fmt(r['train_img_s_best'], 3)} | {_fmt(r['eval_img_s'], 3)} / "
            f"{_fmt(r['eval_img_s_best'], 3)} | {_fmt(r['train_cpu_s_per_img'])} / {_fmt(r['eval_cpu_s_per_img'])} | "
            f"{_fmt(r['train_first_s'], 1)} | {_fmt(r['train_gflops'], 1)} | {_fmt(r['gemm_gflops'], 0)} | "
            f"{_fmt(r['train_gemm_fraction'])} | {_fmt(r['peak_train_mb'], 0)} / {_fmt(r['peak_eval_mb'], 0)} / "
            f"{_fmt(r['rss_base_mb'], 0)} | {_fmt(r['load_1min_before'], 1)} / {_fmt(r['load_1min_after'], 1)} |"
        )
    lines += [
        "",
        "train GFLOP/s: 6 FLOP per MAC (forward 2, backward 4) x MACs per image (cost_table `macs_all` x T) "
        "x img/s; fraction: that over the fp32 1024^3 GEMM rate measured in the same process just before.",
        "",
    ]
    return "\n".join(lines)


def write_text(text: str, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_text(text)
    os.replace(tmp, out)


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def run_all(args, batch: int) -> int:
    configs = (paper_configs() if args.which in ("trained", "both") else []) + (
        cited_configs() if args.which in ("cited", "both") else []
    )
    suffix = ("_compiled" if args.compile else "") + ("_cited" if args.which == "cited" else "")
    out = args.out or BENCH_DIR / f"throughput_{args.device}{suffix}.csv"
    partial = out.with_name(f"{out.stem}.partial.csv")
    load_before = " ".join(f"{v:.2f}" for v in os.getloadavg())
    print(f"bench_throughput: {len(configs)} configurations, load average {load_before}", flush=True)
    rows = []
    for cfg in configs:
        row = (
            run_isolated(cfg, args, batch)
            if not args.in_process
            else measure(cfg, batch, torch.device(args.device), args.compile, args.amp, args.steps, args.warmup)
        )
        rows.append(row)
        report(row)
        write_csv(rows, partial)  # progress only; the final file appears once all rows are in
    meta = {
        "device": args.device,
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "cpu": _cpu_name(),
        "cores": os.cpu_count(),
        "load_before": load_before,
        "load_after": " ".join(f"{v:.2f}" for v in os.getloadavg()),
        "warmup": args.warmup,
        "steps": args.steps,
    }
    write_csv(rows, out)
    write_text(render_markdown(rows, meta), out.with_suffix(".md"))
    partial.unlink(missing_ok=True)
    print(f"wrote {out} and {out.with_suffix('.md')} (load average after: {meta['load_after']})")
    if (
        not args.no_projection and args.which != "cited" and args.device == "cpu"
    ):  # on CUDA the measurement is the answer
        project(out, args.projection_out)
    return 0 if all(r.get("status") == "ok" for r in rows) else 1


def project(measured: Path, out: Path | None) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import gpu_projection

    gpu_projection.main(["--measured", str(measured)] + (["--out", str(out)] if out else []))


def report(row: dict) -> None:
    if row.get("status") != "ok":
        print(f"{row['arch']:18s} {row['wst']:8s} {row['dataset']:13s}: {row['status']}", flush=True)
        return
    print(
        f"{row['arch']:18s} {row['wst']:8s} {row['dataset']:13s} batch {row['batch']:4d} threads {row['threads']}: "
        f"train {row['train_img_s']:9.3f} img/s ({row['train_cpu_s_per_img']:.2f} CPU-s/img, first step "
        f"{row['train_first_s']:.1f} s), eval {row['eval_img_s']:9.3f} img/s, peak {row['peak_train_mb']:7.0f} MB "
        f"(eval {row['peak_eval_mb']:.0f}), load {row['load_1min_before']:.1f}->{row['load_1min_after']:.1f}",
        flush=True,
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--arch", help="registered architecture (see `qsnn archs`)")
    ap.add_argument("--wst", help="W/S/T, e.g. 1/1/4")
    ap.add_argument(
        "--dataset", default=None, help="dataset whose input shape to use (default: one of the arch's own shape)"
    )
    ap.add_argument("--role", default="single", help=argparse.SUPPRESS)
    ap.add_argument(
        "--all", action="store_true", help="every full-scale architecture Tables 1-5 train, at the paper's T"
    )
    ap.add_argument(
        "--which",
        choices=("trained", "cited", "both"),
        default="trained",
        help="with --all: the architectures the paper profile trains (default), those the tables only cite, or both",
    )
    ap.add_argument("--batch", type=int, default=None, help="default: 128 on CUDA (paper), 2 on CPU")
    ap.add_argument("--device", choices=("cpu", "cuda"), default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--compile", action="store_true", help="torch.compile the model")
    ap.add_argument("--amp", action="store_true", help="float16 autocast (what `qsnn train` does on CUDA)")
    ap.add_argument("--steps", type=int, default=3, help="timed steps per phase (the median is reported)")
    ap.add_argument("--warmup", type=int, default=1, help="untimed-for-throughput steps per phase (first one reported)")
    ap.add_argument(
        "--threads", type=int, default=None, help="torch.set_num_threads (default: 1 on CPU, torch's own on CUDA)"
    )
    ap.add_argument("--json", action="store_true", help="print the row as one JSON line (what --all's subprocesses do)")
    ap.add_argument(
        "--in-process",
        action="store_true",
        help="--all without a subprocess per configuration (peak RSS then misleads)",
    )
    ap.add_argument("--timeout", type=float, default=1800, help="seconds per configuration with --all")
    ap.add_argument(
        "--out", type=Path, default=None, help="CSV (default with --all: results/bench/throughput_<device>.csv)"
    )
    ap.add_argument("--no-projection", action="store_true", help="with --all: skip the projected GPU-hours table")
    ap.add_argument(
        "--projection-out", type=Path, default=None, help="projection CSV (default results/bench/projection_gpu.csv)"
    )
    ap.add_argument("--project-only", action="store_true", help="write the GPU projection from --measured and stop")
    ap.add_argument("--measured", type=Path, default=BENCH_DIR / "throughput_cpu.csv", help="with --project-only")
    args = ap.parse_args(argv)
    if args.project_only:
        project(args.measured, args.projection_out)
        return 0
    if args.steps < 1 or args.warmup < 0:
        ap.error("--steps must be >= 1 and --warmup >= 0")
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        print("bench_throughput: error: --device cuda but no CUDA GPU is visible", file=sys.stderr)
        return 2
    if args.threads is None and device.type == "cpu":
        args.threads = 1  # see the module docstring: per-core numbers survive a shared machine
    if args.threads:
        torch.set_num_threads(args.threads)
    batch = args.batch or (128 if device.type == "cuda" else 2)
    if args.all:
        return run_all(args, batch)
    if not (args.arch and args.wst):
        print("bench_throughput: error: give --arch and --wst, or --all", file=sys.stderr)
        return 2
    cfg = Config(args.arch, args.wst, args.dataset or default_dataset(args.arch), args.role)
    row = measure(cfg, batch, device, args.compile, args.amp, args.steps, args.warmup)
    if args.json:
        print(JSON_MARK + json.dumps(row), flush=True)
    else:
        report(row)
        if args.out is not None:
            write_csv([row], args.out)
            print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
