"""Projected GPU time of every paper-profile run: arithmetic on stated assumptions, NOT a measurement.

    python benchmarks/gpu_projection.py [--measured results/bench/throughput_cpu.csv]
                                        [--out results/bench/projection_gpu.csv]

(also run by ``benchmarks/bench_throughput.py --all`` and ``--project-only``). Writes the CSV (one
row per run of config/paper.yaml, every number labelled ``projected``) and a markdown rendering
beside it with the per-table sums and the assumptions.

The method, per run (dataset, arch, W/S/T, epochs from config/paper.yaml), a two-term roofline:

* per sample and time step, from the architecture on the meta device: MACs of every synaptic layer
  (``qsnn.metrics.cost_table``, ``macs_all``: attention products included; the dense work a GPU
  does whatever the spikes are) and the number of elements those layers output (``N_out``; each is
  followed by BatchNorm / a LIF neuron / a residual add, the memory-bound work). W and S do not
  enter: on a GPU the quantized weights and multi-bit spikes are fake-quantized float16 tensors,
  so a run's work depends on the architecture, the input and T only.
* GPU seconds per training image = T x (6 x MACs / R_mm + B_train x N_out / BW): 6 FLOP per MAC
  (forward 2, backward ~2x forward) at a sustained tensor-core rate R_mm, plus B_train bytes of
  HBM traffic per output element and step (forward + backward, outside the matmul kernels) at a
  sustained bandwidth BW. Evaluation: 2 FLOP per MAC and B_eval bytes.
* the parameters are assumptions for one A100-class GPU under the float16 autocast ``qsnn train``
  uses on CUDA, given as a range (:data:`ASSUMPTIONS`): optimistic = elementwise work fused into
  few passes (what a compiled graph or hand-written CUDA kernels would reach), pessimistic = the
  eager PyTorch code of this repository, one HBM pass per op. The byte counts are estimates from
  counting the ops (see :data:`ASSUMPTIONS`), not measurements.
* GPU-hours = (epochs x train images x train s/img + (epochs + 1) x test images x eval s/img):
  ``qsnn train`` evaluates the whole test split after every epoch and once more for the final
  record. Data loading (ImageNet's JPEG decoding must keep up: a pipeline of the projected img/s),
  kernel-launch overhead, checkpointing and start-up are not included.

Train-set sizes come from the dataset manifests (``splits``, or ``samples`` x the 9:1 split of
``qsnn.data.neuromorphic`` where the dataset has no official split; per-class rounding moves
those by a few samples).

The CPU measurement (``--measured``) enters twice, never as GPU evidence: (1) a "this CPU" column,
the run's training time in CPU-days (process CPU time per image: one core when measured with one
thread) at the measured rate, interpolated in T between the measured smallest and largest T of
the same architecture and input (linear in T: measured, not assumed); (2) per measured
configuration, the fraction of the same process's fp32 GEMM rate that SNN training reached on the
CPU, quoted in the markdown as context for the pessimistic assumption.
"""

from __future__ import annotations

import argparse
import csv
import math
import os
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH_DIR = ROOT / "results" / "bench"
FLOP_PER_MAC_TRAIN = 6
FLOP_PER_MAC_EVAL = 2
GPU = "one A100-class GPU (312 TFLOP/s dense float16 tensor-core peak, 2.0 TB/s HBM), float16 autocast"


@dataclass(frozen=True)
class GpuAssumption:
    name: str
    matmul_flops: float  # sustained float16 tensor-core FLOP/s on these layer shapes (K = 384..4608)
    bandwidth: float  # sustained HBM bytes/s of the elementwise kernels
    train_bytes: float  # HBM bytes per synaptic-layer output element and time step, forward + backward
    eval_bytes: float  # the same for an evaluation forward
    why: str


ASSUMPTIONS = (
    GpuAssumption(
        "optimistic",
        200e12,
        1.6e12,
        40,
        10,
        "matmuls at ~65 % of the float16 peak (large cuBLAS GEMMs reach 70-80 %); BatchNorm, the LIF update "
        "and its surrogate gradient fused into a few float16 passes, ~40 B per output element and step for "
        "forward + backward (what torch.compile or CUDA neuron kernels such as SpikingJelly's would reach)",
    ),
    GpuAssumption(
        "pessimistic",
        100e12,
        1.6e12,
        250,
        60,
        "matmuls at ~1/3 of the peak (K = 384-512 is small for a tensor-core tile); this repository's eager "
        "code: a separate HBM pass per op. Counted per output element and step: BatchNorm ~8 B forward and "
        "~14 B backward, float16<->float32 casts around the float32 neuron 12 + 12 B, the LIF time loop ~32 B "
        "forward and ~10 passes (~80 B) backward, residual adds, saved activations: ~200-250 B",
    ),
)


# --------------------------------------------------------------------------- inputs


def paper_plan():
    import yaml

    from qsnn.experiments import plan_from_config

    raw = yaml.safe_load((ROOT / "config" / "paper.yaml").read_text())
    raw["paper_dir"] = str(ROOT / "data" / "paper")
    return plan_from_config(raw)


@lru_cache(maxsize=None)
def split_sizes(dataset: str) -> tuple[int, int, bool]:
    """(train images, test images, exact) from the dataset's manifest."""
    from qsnn.data.manifest import load_manifest
    from qsnn.data.neuromorphic import TRAIN_FRACTION

    raw = load_manifest(dataset).raw
    splits = raw.get("splits") or {}
    if "train" in splits:
        test = splits.get("test", splits.get("val"))
        return int(splits["train"]), int(test), True
    if "samples" in raw:  # no official split: the fixed per-class 9:1 split
        train = round(TRAIN_FRACTION * int(raw["samples"]))
        return train, int(raw["samples"]) - train, False
    raise ValueError(f"manifest of {dataset!r} has neither splits nor samples")


@lru_cache(maxsize=None)
def layer_work(arch: str, dataset: str) -> tuple[float, float]:
    """(MACs, output elements) of every synaptic layer, per sample and time step: the MACs are
    ``cost_table(...).totals['macs_all']``; the outputs are counted by hooks in one meta-device pass."""
    import torch

    from qsnn.data import dataset_info
    from qsnn.layers import SYNAPTIC_LAYERS
    from qsnn.metrics import cost_table
    from qsnn.models import create

    info = dataset_info(dataset)
    shape = tuple(info.input_shape)
    model = create(arch, 1, 1, 1, num_classes=info.num_classes, input_shape=shape)  # T = 1: per step
    macs = float(cost_table(model, input_shape=shape).totals["macs_all"])
    model = model.to("meta")
    count = [0]

    def hook(module, inputs, output):
        count[0] += output.numel()

    handles = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, SYNAPTIC_LAYERS)]
    try:
        with torch.no_grad():
            model(torch.empty((1, *shape), device="meta"))
    finally:
        for h in handles:
            h.remove()
    return macs, float(count[0])


def seconds_per_image(arch: str, dataset: str, T: int, a: GpuAssumption, train: bool = True) -> float:
    macs, outputs = layer_work(arch, dataset)
    flop, traffic = (FLOP_PER_MAC_TRAIN, a.train_bytes) if train else (FLOP_PER_MAC_EVAL, a.eval_bytes)
    return T * (flop * macs / a.matmul_flops + traffic * outputs / a.bandwidth)


def input_kind(dataset: str) -> str:
    from qsnn.data import dataset_info

    info = dataset_info(dataset)
    return f"{info.kind}:{'x'.join(map(str, info.input_shape))}"


def read_measured(path: Path) -> list[dict]:
    if not path.exists():
        return []
    with open(path, newline="") as fh:
        return [r for r in csv.DictReader(fh) if r.get("status") == "ok"]


class CpuModel:
    """Measured CPU seconds (process CPU time; one core when measured with one thread) per training
    image as a + b*T, per (arch, input kind)."""

    def __init__(self, measured: list[dict]):
        self.points: dict[tuple[str, str], list[tuple[int, float]]] = {}
        for r in measured:
            key = (r["arch"], input_kind(r["dataset"]))
            self.points.setdefault(key, []).append((int(r["T"]), float(r["train_cpu_s_per_img"])))
        self.threads = sorted({int(r["threads"]) for r in measured})

    def seconds_per_image(self, arch: str, dataset: str, T: int) -> float | None:
        pts = sorted(self.points.get((arch, input_kind(dataset)), []))
        if not pts:
            return None
        if len(pts) == 1 or pts[0][0] == pts[-1][0]:
            return pts[-1][1] * T / pts[-1][0]  # proportional to T when only one T was measured
        (t0, s0), (t1, s1) = pts[0], pts[-1]
        return s0 + (s1 - s0) * (T - t0) / (t1 - t0)


# --------------------------------------------------------------------------- the projection


def gpu_hours(run, a: GpuAssumption) -> float:
    train_n, test_n, _ = split_sizes(run.dataset)
    seconds = run.epochs * train_n * seconds_per_image(run.arch, run.dataset, run.wst.T, a) + (
        run.epochs + 1
    ) * test_n * seconds_per_image(run.arch, run.dataset, run.wst.T, a, train=False)
    return seconds / 3600


def run_rows(plan, cpu: CpuModel) -> list[dict]:
    tables: dict[str, list[str]] = {}
    for entry in plan.entries:
        if entry.run is not None:
            label = (
                f"table{entry.table}"
                if entry.table
                else ("extension" if entry.source == "extension" else ";".join(entry.figures) or "other")
            )
            tables.setdefault(entry.run.run_id, [])
            if label not in tables[entry.run.run_id]:
                tables[entry.run.run_id].append(label)
    rows = []
    for run in plan.runs:
        train_n, test_n, exact = split_sizes(run.dataset)
        macs, outputs = layer_work(run.arch, run.dataset)
        row = {
            "run_id": run.run_id,
            "used_by": ";".join(tables.get(run.run_id, [])),
            "dataset": run.dataset,
            "arch": run.arch,
            "wst": str(run.wst),
            "T": run.wst.T,
            "epochs": run.epochs,
            "train_images": train_n,
            "test_images": test_n,
            "sizes_exact": exact,
            "gmacs_per_img": macs * run.wst.T / 1e9,
            "mean_fan_in": macs / outputs,
        }
        for a in ASSUMPTIONS:
            s_img = seconds_per_image(run.arch, run.dataset, run.wst.T, a)
            row[f"projected_gpu_train_img_s_{a.name}"] = 1 / s_img
            row[f"implied_tflops_{a.name}"] = FLOP_PER_MAC_TRAIN * macs * run.wst.T / s_img / 1e12
        for a in ASSUMPTIONS:
            row[f"projected_gpu_hours_{a.name}"] = gpu_hours(run, a)
        cpu_s = cpu.seconds_per_image(run.arch, run.dataset, run.wst.T)
        row["this_cpu_train_cpu_days"] = None if cpu_s is None else run.epochs * train_n * cpu_s / 86400
        row["kind"] = "projected (roofline on stated GPU assumptions), not measured"
        rows.append(row)
    return rows


def table_rows(plan, by_run: dict[str, dict]) -> list[dict]:
    groups = [(f"Table {n}", plan.run_ids(table=n)) for n in range(1, 6)]
    groups.append(
        (
            "Fig. 5 weight sweep + extensions (beyond the tables)",
            sorted(set(by_run) - {rid for n in range(1, 6) for rid in plan.run_ids(table=n)}),
        )
    )
    groups.append(("whole paper profile (each run once)", sorted(by_run)))
    rows = []
    for label, ids in groups:
        row = {"group": label, "runs": len(ids)}
        for a in ASSUMPTIONS:
            row[f"projected_gpu_hours_{a.name}"] = sum(by_run[i][f"projected_gpu_hours_{a.name}"] for i in ids)
        rows.append(row)
    return rows


def write_csv(rows: list[dict], out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    with open(tmp, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    os.replace(tmp, out)


def _h(hours: float) -> str:
    if hours >= 48:
        return f"{hours:,.0f} h ({hours / 24:.1f} d)"
    return f"{hours:.1f} h" if hours >= 1 else f"{hours * 60:.0f} min"


def _range(row: dict) -> str:
    lo, hi = (row[f"projected_gpu_hours_{a.name}"] for a in ASSUMPTIONS)
    return f"{_h(lo)} - {_h(hi)}"


def render(runs: list[dict], tables: list[dict], measured: list[dict], measured_path: Path) -> str:
    opt, pes = ASSUMPTIONS
    lines = [
        "# Projected GPU time per paper-profile run (PROJECTED, not measured on a GPU)",
        "",
        f"Reference: {GPU}. Per sample and time step, the architecture's synaptic layers do MACs (`cost_table`, "
        "all layers) and output N_out elements (each followed by memory-bound BatchNorm / LIF / residual work). "
        "GPU s per training image = T x (6 x MACs / R_mm + B_train x N_out / BW); evaluation 2 FLOP/MAC and B_eval. "
        "GPU-hours = epochs x train images x train s/img + (epochs + 1) x test images x eval s/img. Data loading, "
        "kernel launches, checkpoints and start-up are not included. No GPU was available when this was written: "
        "the range is the spread of two stated assumptions, and the true figure may lie outside it.",
        "",
        "| assumption | R_mm (TFLOP/s) | BW (TB/s) | B_train / B_eval (bytes per output element and step) | why |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| {a.name} | {a.matmul_flops / 1e12:.0f} | {a.bandwidth / 1e12:.1f} | {a.train_bytes:.0f} / "
        f"{a.eval_bytes:.0f} | {a.why} |"
        for a in ASSUMPTIONS
    ]
    imagenet = [r for r in runs if r["dataset"] == "imagenet"]
    if imagenet:
        fastest = max(r[f"projected_gpu_train_img_s_{opt.name}"] for r in imagenet)
        slowest = min(r[f"projected_gpu_train_img_s_{pes.name}"] for r in imagenet)
        lines += [
            "",
            f"Data loading is assumed to keep up. The ImageNet runs would consume {slowest:,.0f}-{fastest:,.0f} "
            "decoded and augmented 224x224 images per second; JPEG decoding runs at the order of a few hundred "
            "images per second per CPU core, so at the optimistic end the data pipeline (DataLoader workers, "
            "or GPU decoding), not the GPU, may set the time.",
        ]
    lines.append("")
    if measured:
        fr = ", ".join(
            f"{r['arch']} {r['wst']} ({r['dataset']}) {float(r['train_gemm_fraction']):.0%}" for r in measured
        )
        threads = sorted({r["threads"] for r in measured})
        lines += [
            f"CPU context (`{measured_path.name}`, {'/'.join(threads)} thread(s)): SNN training reached this fraction "
            f"of the same process's fp32 GEMM rate: {fr}. On the CPU the matmuls dominate. A GPU's tensor-core rate "
            "exceeds its memory bandwidth by a far larger factor than a CPU core's FMA rate exceeds its own, so there "
            "the elementwise term dominates instead: hence a roofline in both terms, not CPU time divided by a "
            "speed-up factor.",
            "",
        ]
    lines += [
        "## Per table (runs shared between tables are counted in each)",
        "",
        f"| group | runs | projected GPU-hours ({opt.name} - {pes.name}) |",
        "|---|---|---|",
    ]
    lines += [f"| {t['group']} | {t['runs']} | {_range(t)} |" for t in tables]
    lines += [
        "",
        "## Per run",
        "",
        "| dataset | arch | W/S/T | epochs | train / test images | GMAC/img | projected GPU train img/s "
        f"({opt.name} / {pes.name}) | implied TFLOP/s | projected GPU-hours | this CPU: training CPU-days "
        "(measured rate) | used by |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in runs:
        cpu_days = r["this_cpu_train_cpu_days"]
        sizes = f"{r['train_images']} / {r['test_images']}" + ("" if r["sizes_exact"] else " (9:1 split, approx.)")
        lines.append(
            f"| {r['dataset']} | {r['arch']} | {r['wst']} | {r['epochs']} | {sizes} | {r['gmacs_per_img']:.2f} | "
            f"{r[f'projected_gpu_train_img_s_{opt.name}']:,.0f} / {r[f'projected_gpu_train_img_s_{pes.name}']:,.0f} | "
            f"{r[f'implied_tflops_{opt.name}']:.0f} / {r[f'implied_tflops_{pes.name}']:.0f} | "
            f"{_range(r)} | {'' if cpu_days is None else f'{cpu_days:,.0f}'} | {r['used_by']} |"
        )
    lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--measured",
        type=Path,
        default=BENCH_DIR / "throughput_cpu.csv",
        help="CPU measurement of bench_throughput.py --all (optional: only the 'this CPU' column needs it)",
    )
    ap.add_argument("--out", type=Path, default=BENCH_DIR / "projection_gpu.csv")
    args = ap.parse_args(argv)
    measured = read_measured(args.measured)
    plan = paper_plan()
    runs = run_rows(plan, CpuModel(measured))
    tables = table_rows(plan, {r["run_id"]: r for r in runs})
    write_csv(runs, args.out)
    tables_out = args.out.with_name(f"{args.out.stem}_tables.csv")
    write_csv(tables, tables_out)
    md = args.out.with_suffix(".md")
    tmp = md.with_name(f".{md.name}.tmp")
    tmp.write_text(render(runs, tables, measured, args.measured))
    os.replace(tmp, md)
    for t in tables:
        print(f"{t['group']:55s} {t['runs']:3d} runs: projected {_range(t)}")
    print(f"wrote {args.out}, {tables_out} and {md} (projected from FLOP counts and stated GPU rates, not measured)")
    return 0 if all(math.isfinite(r[f"projected_gpu_hours_{a.name}"]) for r in runs for a in ASSUMPTIONS) else 1


if __name__ == "__main__":
    sys.exit(main())
