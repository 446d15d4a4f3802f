"""``qsnn train`` and ``qsnn evaluate``.

``qsnn train --dataset D --arch A --wst W/S/T --out DIR`` trains with the paper's
Sec. 6.3 defaults (AdamW, lr 5e-4, batch 128, per-step cosine; 400 epochs, 310
on ImageNet) and writes ``DIR/checkpoint.pt`` and ``DIR/log.csv`` every epoch and
``DIR/metrics.json`` last. Re-running the same command resumes from the
checkpoint. ``--limit-batches N`` caps the batches of every epoch (train and
test, and the final measurement); it is meant for tests and smoke runs, and is
part of the run's configuration.

``--compile`` runs training through ``torch.compile`` (inductor: C++ on CPU, Triton on a GPU);
like ``--threads`` it is a runtime choice, not part of the run's configuration: a compiled run
resumes an eager checkpoint and the reverse, and ``metrics.json`` says ``"compiled": true``.
When stdout is not a terminal (a log file, SLURM, Snakemake) each epoch prints one line
(epoch, loss, train and test accuracy, seconds); in a terminal a progress bar shows on stderr.

``qsnn evaluate DIR/checkpoint.pt [--out DIR2]`` recomputes ``metrics.json``.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

MAX_SEED = 2**31 - 1  # what every RNG (Python, NumPy, torch, DataLoader workers) accepts


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer; give a whole number >= 1") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not >= 1")
    return value


def non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer; give a whole number >= 0") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{value} is negative; give a whole number >= 0")
    return value


def seed_value(text: str) -> int:
    value = non_negative_int(text)
    if value > MAX_SEED:
        raise argparse.ArgumentTypeError(f"{value} is too large; seeds go from 0 to {MAX_SEED}")
    return value


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number; give e.g. 0.0005") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"{text} is not a finite number > 0; give e.g. 0.0005")
    return value


def non_negative_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number; give e.g. 0.01") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"{text} is not a finite number >= 0; give e.g. 0.01")
    return value


def register(sub) -> None:
    p = sub.add_parser("train", help="train one W/S/T configuration and write OUT/metrics.json")
    p.add_argument("--dataset", required=True, help="dataset registry name (see `qsnn data list`)")
    p.add_argument("--arch", required=True, help="architecture registry name (see `qsnn archs`)")
    p.add_argument("--wst", required=True, help="bit allocation W/S/T, e.g. 4/2/1")
    p.add_argument(
        "--epochs", type=positive_int, default=None, help="default: 310 on imagenet, 400 otherwise (paper Sec. 6.3)"
    )
    p.add_argument("--out", type=Path, required=True, help="run folder (checkpoint.pt, log.csv, metrics.json)")
    p.add_argument("--seed", type=seed_value, default=0, help=f"training seed, 0..{MAX_SEED} (default 0)")
    p.add_argument("--batch-size", type=positive_int, default=128, help="per process (default 128, paper)")
    p.add_argument("--lr", type=positive_float, default=5e-4, help="AdamW peak learning rate (default 5e-4, paper)")
    p.add_argument(
        "--weight-decay",
        type=non_negative_float,
        default=0.01,
        help="AdamW weight decay (paper silent; torch default 0.01)",
    )
    _add_runtime_flags(p)
    p.add_argument("--download", action="store_true", help="download the dataset if it is missing")
    p.add_argument(
        "--limit-batches",
        type=positive_int,
        default=None,
        help="cap optimizer steps and test batches per epoch (tests, smoke runs, the rehearsal)",
    )
    p.add_argument(
        "--compile",
        action="store_true",
        help="train through torch.compile (needs a C++ compiler on CPU; pays off on GPUs and large models)",
    )
    start = p.add_mutually_exclusive_group()
    start.add_argument(
        "--resume",
        dest="start",
        action="store_const",
        const="resume",
        help="continue from OUT/checkpoint.pt even when that run finished (re-measures it)",
    )
    start.add_argument(
        "--retrain",
        dest="start",
        action="store_const",
        const="retrain",
        help="discard OUT/checkpoint.pt and train from scratch",
    )
    p.set_defaults(start="auto")
    p.set_defaults(func=run_train)

    e = sub.add_parser("evaluate", help="recompute metrics.json from a checkpoint")
    e.add_argument("checkpoint", type=Path, help="a checkpoint.pt written by `qsnn train`")
    e.add_argument("--out", type=Path, default=None, help="folder for metrics.json (default: the checkpoint's folder)")
    _add_runtime_flags(e)
    e.set_defaults(func=run_evaluate, download=False, start="auto")


def _add_runtime_flags(p) -> None:
    p.add_argument("--data-root", type=Path, default=Path("data"), help="folder of prepared datasets (default: data)")
    p.add_argument("--num-workers", type=non_negative_int, default=0, help="DataLoader worker processes (default 0)")
    p.add_argument("--threads", type=positive_int, default=None, help="torch CPU threads (default: torch's choice)")
    p.add_argument(
        "--no-progress", action="store_true", help="no progress bar (it is off anyway when stderr is not a terminal)"
    )


def _runtime(args, out: Path):
    from qsnn.train import RuntimeOptions

    if args.data_root.exists() and not args.data_root.is_dir():
        raise NotADirectoryError(f"--data-root {args.data_root} is a file; pass the folder that holds the datasets")
    return RuntimeOptions(
        out=out,
        data_root=args.data_root,
        num_workers=args.num_workers,
        threads=args.threads,
        download=args.download,
        progress=False if args.no_progress else None,
        start=args.start,
        compile=getattr(args, "compile", False),
    )


def _summary(record: dict, out: Path) -> str:
    return (
        f"{record['run']['arch']} {record['run']['wst']} on {record['run']['dataset']}: "
        f"top1 {record['top1']:.2f}%  NS-ACE {record['ns_ace']:.4g}  -> {out / 'metrics.json'}"
    )


def run_train(args) -> int:
    from qsnn.train import NonFiniteLossError, TrainConfig, default_epochs, train

    config = TrainConfig(
        dataset=args.dataset,
        arch=args.arch,
        wst=args.wst,
        epochs=args.epochs if args.epochs is not None else default_epochs(args.dataset),
        seed=args.seed,
        batch_size=args.batch_size,
        lr=args.lr,
        weight_decay=args.weight_decay,
        limit_batches=args.limit_batches,
    )
    try:
        record = train(config, _runtime(args, args.out))
    except NonFiniteLossError as err:
        print(f"qsnn train: error: {err}", file=sys.stderr)
        return 3
    if record is not None:
        print(_summary(record, args.out))
    return 0


def run_evaluate(args) -> int:
    from qsnn.train import evaluate_checkpoint

    out = args.out if args.out is not None else args.checkpoint.parent
    record = evaluate_checkpoint(args.checkpoint, _runtime(args, out))
    if record is not None:
        print(_summary(record, out))
    return 0
