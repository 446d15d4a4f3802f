"""``qsnn cost`` (Params/MACs/SOPs/S-ACE of one architecture) and ``qsnn paper-costs``
(every published cost cell of Tables 1, 2 and 5: ours, the deviation, and a status that
says whether it matches or which named erratum explains it; see :mod:`qsnn.metrics.paper`)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

CONVENTIONS = ("paper", "strict", "paper-counter")


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
                   help="counting convention: 'paper' is the primary, uniform count (default); "
                        "'strict' also counts attention products and charges real-valued inputs as BF16; "
                        "'paper-counter' is the documented explanation of the paper's T<=2 Spikformer rows "
                        "(the primary count without the attention projections q, k, v, proj)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--layers", action="store_true", help="include the per-layer rows")
    p.set_defaults(func=run_cost)

    q = sub.add_parser("paper-costs", help="every published cost cell of Tables 1, 2 and 5: ours, deviation, status, evidence")
    q.add_argument("--out", type=Path, help="write the per-cell CSV here (atomically): "
                                            "table, row, arch, wst, metric, published, ours, rel_dev, status, evidence")
    q.add_argument("--evidence", action="store_true", help="also print each cell's evidence sentence")
    q.set_defaults(func=run_paper_costs)


def _convention(name: str):
    from qsnn.metrics import PAPER_CONVENTION, PAPER_COUNTER, STRICT_CONVENTION

    return {"paper": PAPER_CONVENTION, "strict": STRICT_CONVENTION, "paper-counter": PAPER_COUNTER}[name]


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
    from qsnn.metrics.paper import CELL_COLUMNS, paper_cells, write_csv_atomic

    cells = paper_cells()
    if args.out:
        write_csv_atomic(cells[CELL_COLUMNS], args.out)
        print(f"wrote {len(cells)} published cells to {args.out}")
    else:
        cols = ["table", "row", "arch", "wst", "metric", "published", "ours", "rel_dev", "status"]
        shown = cells[cols + (["evidence"] if args.evidence else [])].copy()
        shown["ours"] = shown["ours"].map(lambda v: f"{v:.4g}")
        shown["rel_dev"] = shown["rel_dev"].map(lambda v: f"{100 * v:+.2f} %")
        with _wide_pandas():
            print(shown.to_string(index=False))
    _print_summary(cells)
    return 0


def _wide_pandas():
    import pandas as pd

    return pd.option_context("display.width", 1_000_000, "display.max_colwidth", 10_000, "display.max_rows", 10_000)


def _print_summary(cells) -> None:
    from qsnn.metrics.paper import ERRATUM, ERRATUM_CLASSES, MATCH, MATCH_PAPER_COUNTER, status_summary

    summary = status_summary(cells)
    print("published cost cells per status and table:", file=sys.stderr)
    print(summary.to_string(), file=sys.stderr)
    matched = int(cells["status"].isin([MATCH, MATCH_PAPER_COUNTER]).sum())
    print(f"match or match-paper-counter: {matched} of {len(cells)}", file=sys.stderr)
    for status, count in cells["status"].value_counts().sort_index().items():
        if status.startswith(ERRATUM):
            print(f"  {status} ({count}): {ERRATUM_CLASSES[status.removeprefix(ERRATUM)]}", file=sys.stderr)
