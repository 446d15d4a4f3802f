"""Quick-profile measurements of issue 3 (run by hand; CPU, stand-in data).

    python benchmarks/quick_tables.py [--part all|target|table2|table3] [--epochs 15] [--threads 1]

* ``target``: a tiny model at 16/1/4 on ``digits`` (issue target: top-1 >= 90 %).
* ``table2``: the 13 W/S/T rows of the paper's Table 2 on ``digits`` (stand-in for CIFAR10/100).
* ``table3``: the 6 W/S/T rows of Table 3 on ``digits-dvs`` (stand-in for the neuromorphic sets).

Every run is a normal ``qsnn.train`` run under ``--out`` (default
``results/quick_tables``); a run whose ``metrics.json`` already exists is reused,
an interrupted one resumes. The script writes ``quick_tables.csv`` there and
prints a table and the S-versus-T comparisons at equal bit budget next to the
paper's (published numbers transcribed from Tables 2 and 3 for the comparison
only). All accuracies here are on the offline stand-in datasets with tiny models:
they test the trend, not the paper's numbers.

Quick-profile optimisation (a deviation from Sec. 6.3, labelled as such): 20
epochs at lr 2e-3 (batch 128). With the paper's lr 5e-4 the tiny Spikformer at
16/1/4 plateaus near 82 % top-1 on digits after 30 epochs (measured), short of
the issue's 90 % target; 4x the learning rate reaches 91.1 % in 20 epochs.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pandas as pd
import torch

from qsnn.train import RuntimeOptions, TrainConfig, train
from qsnn.wst import parse_wst

TABLE2_ROWS = [
    "16/1/4",
    "1/1/1",
    "1/4/1",
    "1/2/2",
    "1/1/4",
    "2/2/1",
    "2/1/2",
    "4/1/1",
    "4/4/1",
    "4/2/2",
    "4/1/4",
    "8/1/2",
    "8/2/1",
]
TABLE3_ROWS = ["16/1/16", "1/1/16", "1/2/8", "1/4/4", "1/8/2", "1/16/1"]
# Published accuracies (paper Tables 2 and 3), for the trend comparison only.
PAPER_TABLE2 = {  # W/S/T: (CIFAR10, CIFAR100)
    "16/1/4": (95.51, 78.21),
    "1/1/1": (90.48, 70.11),
    "1/4/1": (95.00, 76.90),
    "1/2/2": (94.43, 75.91),
    "1/1/4": (93.91, 74.13),
    "2/2/1": (95.41, 76.67),
    "2/1/2": (93.56, 75.91),
    "4/1/1": (94.51, 74.61),
    "4/4/1": (96.84, 80.13),
    "4/2/2": (96.50, 80.71),
    "4/1/4": (95.94, 78.77),
    "8/1/2": (95.55, 77.72),
    "8/2/1": (96.29, 80.00),
}
PAPER_TABLE3 = {  # W/S/T: (CIFAR10-DVS, DVS128 Gesture, N-Caltech101)
    "16/1/16": (80.7, 98.3, 80.23),
    "1/1/16": (79.8, 96.67, 79.77),
    "1/2/8": (79.3, 98.48, 80.00),
    "1/4/4": (63.1, 97.35, 82.64),
    "1/8/2": (43.0, 96.59, 80.46),
    "1/16/1": (35.8, 95.45, 77.47),
}
# Equal bit budget (W*S*T), S-heavy first: "S over T on static data" says the first wins.
S_OVER_T_PAIRS = [
    ("1/4/1", "1/1/4"),
    ("1/2/2", "1/1/4"),
    ("2/2/1", "2/1/2"),
    ("4/4/1", "4/1/4"),
    ("4/2/2", "4/1/4"),
    ("8/2/1", "8/1/2"),
]


def run_one(dataset: str, arch: str, wst: str, args) -> dict:
    config = TrainConfig(
        dataset=dataset, arch=arch, wst=wst, epochs=args.epochs, seed=args.seed, batch_size=args.batch_size, lr=args.lr
    )
    out = args.out / f"{dataset}__{arch}__{parse_wst(wst).slug}__e{args.epochs}__s{args.seed}"
    metrics = out / "metrics.json"
    if metrics.exists():
        record = json.loads(metrics.read_text())
        stored = {k: record["run"][k] for k in ("epochs", "seed", "batch_size", "lr")}
        wanted = {"epochs": config.epochs, "seed": config.seed, "batch_size": config.batch_size, "lr": config.lr}
        if stored != wanted:
            raise SystemExit(f"{metrics} was trained with {stored}, not {wanted}: pass another --out")
    else:
        record = train(config, RuntimeOptions(out=out, data_root=args.data_root, threads=args.threads, progress=False))
    print(
        f"  {dataset:10s} {arch:16s} {wst:8s} top1 {record['top1']:6.2f}%  {record['wall_time_s']:6.1f} s", flush=True
    )
    w = parse_wst(wst)
    return {
        "dataset": dataset,
        "arch": arch,
        "wst": wst,
        "bit_budget": w.bit_budget,
        "epochs": args.epochs,
        "seed": args.seed,
        "top1": record["top1"],
        "params": record["params"],
        "s_ace": record["s_ace"],
        "ns_ace": record["ns_ace"],
        "wall_time_s": record["wall_time_s"],
    }


def s_over_t(rows: pd.DataFrame) -> list[str]:
    acc = dict(zip(rows["wst"], rows["top1"]))
    lines = []
    for s_heavy, t_heavy in S_OVER_T_PAIRS:
        if s_heavy in acc and t_heavy in acc:
            ours = "S wins" if acc[s_heavy] > acc[t_heavy] else ("tie" if acc[s_heavy] == acc[t_heavy] else "T wins")
            paper = "S wins" if PAPER_TABLE2[s_heavy][0] > PAPER_TABLE2[t_heavy][0] else "T wins"
            lines.append(
                f"  {s_heavy} vs {t_heavy}: ours {acc[s_heavy]:.2f} vs {acc[t_heavy]:.2f} ({ours}); "
                f"paper CIFAR10 {PAPER_TABLE2[s_heavy][0]} vs {PAPER_TABLE2[t_heavy][0]} ({paper})"
            )
    return lines


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--part", choices=["all", "target", "table2", "table3"], default="all")
    ap.add_argument("--arch", default="spikformer-tiny")
    ap.add_argument("--target-arch", default="spikformer-tiny", help="tiny model for the 16/1/4 >= 90%% target")
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--lr", type=float, default=2e-3, help="quick-profile lr (paper: 5e-4)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--rows", default=None, help="comma-separated W/S/T subset of the chosen table(s)")
    ap.add_argument("--data-root", type=Path, default=Path("data"))
    ap.add_argument("--out", type=Path, default=Path("results/quick_tables"))
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    keep = None if args.rows is None else set(args.rows.split(","))
    pick = lambda rows: [r for r in rows if keep is None or r in keep]  # noqa: E731

    results = []
    if args.part in ("all", "target"):
        print("target: tiny model at 16/1/4 on digits (>= 90 % top-1)")
        results.append({"table": "target", **run_one("digits", args.target_arch, "16/1/4", args)})
    if args.part in ("all", "table2"):
        print("Table 2 rows on digits (stand-in for CIFAR10/100)")
        results += [{"table": "table2", **run_one("digits", args.arch, w, args)} for w in pick(TABLE2_ROWS)]
    if args.part in ("all", "table3"):
        print("Table 3 rows on digits-dvs (stand-in for the neuromorphic sets)")
        results += [{"table": "table3", **run_one("digits-dvs", args.arch, w, args)} for w in pick(TABLE3_ROWS)]

    frame = pd.DataFrame(results)
    frame["paper"] = [
        PAPER_TABLE2.get(w) if t == "table2" else PAPER_TABLE3.get(w) if t == "table3" else None
        for t, w in zip(frame["table"], frame["wst"])
    ]
    args.out.mkdir(parents=True, exist_ok=True)
    csv_path = args.out / f"quick_tables_e{args.epochs}_s{args.seed}.csv"
    frame.to_csv(csv_path, index=False)
    print(frame[["table", "dataset", "wst", "bit_budget", "top1", "paper", "wall_time_s"]].to_string(index=False))
    static = frame[frame["table"] == "table2"]
    if len(static):
        print("S over T at equal bit budget (digits, stand-in data):")
        print("\n".join(s_over_t(static)))
    print(f"wrote {csv_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
