"""``qsnn cost`` (Params/MACs/SOPs/S-ACE of one architecture) and ``qsnn paper-costs``
(ours vs the published cost columns of Tables 1, 2 and 5)."""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

CONVENTIONS = ("paper", "strict")


def wst_arg(text: str):
    from qsnn.wst import parse_wst

    try:
        return parse_wst(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def input_shape_arg(text: str) -> tuple[int, int, int]:
    parts = text.lower().split("x")
    if len(parts) != 3 or not all(p.isdigit() and int(p) > 0 for p in parts):
        raise argparse.ArgumentTypeError(f"malformed input shape {text!r}: expected CxHxW with positive integers, e.g. 3x224x224")
    return tuple(int(p) for p in parts)


def positive_int_arg(text: str) -> int:
    if not text.isdigit() or int(text) <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive integer")
    return int(text)


def register(sub) -> None:
    p = sub.add_parser("cost", help="Params, MACs, SOPs and S-ACE of an architecture at W/S/T (shape tracing, no data)")
    p.add_argument("--arch", required=True, help="registered architecture name (see `qsnn archs`)")
    p.add_argument("--wst", required=True, type=wst_arg, help="allocation W/S/T, e.g. 4/2/1")
    p.add_argument("--input", type=input_shape_arg, help="input shape CxHxW of one frame (default: the architecture's)")
    p.add_argument("--num-classes", type=positive_int_arg, help="classifier outputs (default: the architecture's)")
    p.add_argument("--convention", choices=CONVENTIONS, default="paper",
                   help="counting convention: 'paper' reproduces the paper's columns (default), "
                        "'strict' also counts attention products and charges real-valued inputs as BF16")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--layers", action="store_true", help="include the per-layer rows")
    p.set_defaults(func=run_cost)

    q = sub.add_parser("paper-costs", help="our full-scale Params/SOPs/S-ACE beside Tables 1, 2 and 5 of the paper")
    q.add_argument("--out", type=Path, help="write the comparison CSV here (atomically)")
    q.add_argument("--convention", choices=CONVENTIONS, default="paper", help="counting convention (see `qsnn cost`)")
    q.set_defaults(func=run_paper_costs)


def _convention(name: str):
    from qsnn.metrics import PAPER_CONVENTION, STRICT_CONVENTION

    return {"paper": PAPER_CONVENTION, "strict": STRICT_CONVENTION}[name]


def run_cost(args) -> int:
    import torch

    from qsnn.metrics import cost_table
    from qsnn.models import create

    wst = args.wst
    with torch.device("meta"):  # full-scale models are built without allocating weights
        model = create(args.arch, wst.w_bits, wst.s_bits, wst.T, num_classes=args.num_classes, input_shape=args.input)
    report = cost_table(model, convention=_convention(args.convention))
    payload = {"arch": args.arch, "wst": str(wst), "w_bits": wst.w_bits, "s_bits": wst.s_bits, "T": wst.T,
               "bit_budget": wst.bit_budget, "num_classes": model.num_classes,
               **report.to_dict(with_layers=args.layers)}
    if args.json:
        print(json.dumps(payload, indent=2))
        return 0
    _print_human(payload, report if args.layers else None)
    return 0


def _print_human(payload: dict, report) -> None:
    c, h, w = payload["input_shape"]
    print(f"{payload['arch']} at W/S/T {payload['wst']} (bit budget {payload['bit_budget']}), input {c}x{h}x{w}, "
          f"{payload['num_classes']} classes")
    print(f"  params      {payload['params']:,d}  ({payload['params_M_paper_units']:.4g} M in the paper's 16-bit units)")
    print(f"  MACs/step   {_si(payload['macs'])}   (all layers, uncounted included: {_si(payload['macs_all'])})")
    print(f"  SOPs        {_si(payload['sops'])}")
    print(f"  S-ACE       {_si(payload['s_ace'])}")
    if report is not None:
        print(report.layers.drop(columns=["firing_rate", "ns_ace"]).to_string(index=False))


def _si(value: float) -> str:
    """``3.66e9`` -> ``'3.664 G'``: readable at any scale, from tiny nets to Spikformer-8-768."""
    for factor, prefix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= factor:
            return f"{value / factor:.4g} {prefix}"
    return f"{value:.4g}"


def run_paper_costs(args) -> int:
    from qsnn.metrics.paper import TOLERANCE, paper_costs, write_csv_atomic

    table = paper_costs(convention=_convention(args.convention))
    if args.out:
        write_csv_atomic(table, args.out)
        print(f"wrote {len(table)} rows to {args.out}")
    else:
        cols = ["table", "row", "arch_id", "wst", "params_M", "paper_params_M", "sops_G", "paper_sops_G",
                "s_ace_G", "paper_s_ace_G", "dev_params", "dev_sops", "dev_s_ace"]
        print(table[cols].round(4).to_string(index=False))
    _print_summary(table, TOLERANCE)
    return 0


def _print_summary(table, tolerance: float) -> None:
    for col, label in (("dev_params", "Params"), ("dev_sops", "SOPs"), ("dev_s_ace", "S-ACE")):
        devs = table[col].dropna()
        ok = int((devs.abs() <= tolerance).sum())
        print(f"{label:7s}: {ok}/{len(devs)} published values within {tolerance:.0%}", file=sys.stderr)
    worst = table[["dev_params", "dev_sops", "dev_s_ace"]].abs().max(axis=1)
    if not math.isnan(worst.max()):
        print(f"rows with every published cost within {tolerance:.0%}: {int(table['within_2pct'].sum())}/{len(table)}",
              file=sys.stderr)
