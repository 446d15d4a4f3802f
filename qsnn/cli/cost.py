"""``qsnn cost`` (Params/MACs/SOPs/S-ACE of one architecture, or of a NIR graph with ``--nir``) and ``qsnn paper-costs``
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
        raise argparse.ArgumentTypeError(
            f"malformed input shape {text!r}: expected CxHxW with positive integers, e.g. 3x224x224"
        )
    return tuple(int(p) for p in parts)


def positive_int_arg(text: str) -> int:
    if not text.isdigit() or int(text) <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive integer")
    return int(text)


def register(sub) -> None:
    p = sub.add_parser(
        "cost",
        help="Params, MACs, SOPs and S-ACE of an architecture at W/S/T (shape tracing, no data), "
        "or of a NIR graph (--nir)",
    )
    p.add_argument("--arch", help="registered architecture name (see `qsnn archs`); required unless --nir")
    p.add_argument("--wst", type=wst_arg, help="allocation W/S/T, e.g. 4/2/1; required with --arch")
    p.add_argument("--input", type=input_shape_arg, help="input shape CxHxW of one frame (default: the architecture's)")
    p.add_argument("--num-classes", type=positive_int_arg, help="classifier outputs (default: the architecture's)")
    p.add_argument(
        "--convention",
        choices=CONVENTIONS,
        default="paper",
        help="counting convention: 'paper' is the primary, uniform count (default); "
        "'strict' also counts attention products and charges real-valued inputs as BF16; "
        "'paper-counter' is the documented explanation of the paper's T<=2 Spikformer rows "
        "(the primary count without the attention projections q, k, v, proj)",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--layers", action="store_true", help="include the per-layer rows")
    nir = p.add_argument_group("NIR graphs (instead of --arch/--wst; needs pip install 'qsnn[interop]')")
    nir.add_argument(
        "--nir",
        type=Path,
        metavar="FILE",
        help="cost a Neuromorphic Intermediate Representation graph from its weights and shapes",
    )
    nir.add_argument("--steps", type=positive_int_arg, default=1, help="time steps T the graph runs (a graph has none)")
    nir.add_argument(
        "--spike-bits", type=positive_int_arg, default=1, help="bits of the graph's spikes (NIR spikes are binary)"
    )
    nir.add_argument(
        "--rates",
        type=Path,
        metavar="JSON",
        help="firing rates {node: fraction of non-zero inputs} for NS-ACE; without them NS-ACE is not computed",
    )
    p.set_defaults(func=run_cost, usage_error=p.error)

    q = sub.add_parser(
        "paper-costs", help="every published cost cell of Tables 1, 2 and 5: ours, deviation, status, evidence"
    )
    q.add_argument(
        "--out",
        type=Path,
        help="write the per-cell CSV here (atomically): "
        "table, row, arch, wst, metric, published, ours, rel_dev, status, evidence",
    )
    q.add_argument("--evidence", action="store_true", help="also print each cell's evidence sentence")
    q.set_defaults(func=run_paper_costs)


def _convention(name: str):
    from qsnn.metrics import PAPER_CONVENTION, PAPER_COUNTER, STRICT_CONVENTION

    return {"paper": PAPER_CONVENTION, "strict": STRICT_CONVENTION, "paper-counter": PAPER_COUNTER}[name]


def _check_flag_sets(args) -> None:
    """--arch/--wst and --nir are two ways in; a mix is a usage error (one line, exit 2)."""
    if args.nir is not None:
        if args.arch or args.wst:
            args.usage_error("give either --nir FILE or --arch NAME --wst W/S/T, not both")
        return
    if not (args.arch and args.wst):
        args.usage_error("the following arguments are required: --arch, --wst (or --nir FILE for a NIR graph)")
    for flag, given in (("--steps", args.steps != 1), ("--spike-bits", args.spike_bits != 1), ("--rates", args.rates)):
        if given:
            args.usage_error(f"{flag} applies to --nir graphs only; an architecture's T and S come from --wst")


def run_cost(args) -> int:
    _check_flag_sets(args)
    if args.nir is not None:
        return run_nir_cost(args)
    import torch

    from qsnn.metrics import cost_table
    from qsnn.models import create

    wst = args.wst
    with torch.device("meta"):  # full-scale models are built without allocating weights
        model = create(args.arch, wst.w_bits, wst.s_bits, wst.T, num_classes=args.num_classes, input_shape=args.input)
    report = cost_table(model, convention=_convention(args.convention))
    payload = {
        "arch": args.arch,
        "wst": str(wst),
        "w_bits": wst.w_bits,
        "s_bits": wst.s_bits,
        "T": wst.T,
        "bit_budget": wst.bit_budget,
        "num_classes": model.num_classes,
        **report.to_dict(with_layers=args.layers),
    }
    if args.json:
        print(json.dumps(payload, indent=2))
        return 0
    _print_human(payload, report if args.layers else None)
    return 0


def _read_rates(path: Path | None) -> dict | None:
    if path is None:
        return None
    try:
        rates = json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise ValueError(f"--rates {path} is not JSON: {err}") from None
    if not isinstance(rates, dict) or not all(isinstance(v, (int, float)) for v in rates.values()):
        raise ValueError(f"--rates {path} must hold one object {{node: fraction of non-zero inputs}}")
    return rates


def run_nir_cost(args) -> int:
    from qsnn.metrics.nir import nir_cost

    cost = nir_cost(args.nir, args.steps, args.spike_bits, _read_rates(args.rates), _convention(args.convention))
    payload = {
        "nir": str(cost.path),
        "nir_version": cost.version,
        "spike_bits": cost.spike_bits,
        "T": args.steps,
        **cost.report.to_dict(with_layers=args.layers),
        "ns_ace_note": cost.note,
    }
    if args.json:
        print(json.dumps(payload, indent=2))
        return 0
    shape = "x".join(str(d) for d in payload["input_shape"]) or "unknown"
    print(f"NIR graph {cost.path} (NIR {cost.version}), input {shape}, T={args.steps}, {cost.spike_bits}-bit spikes")
    print(f"  params      {payload['params']:,d}")
    print(f"  MACs/step   {_si(payload['macs'])}")
    print(f"  SOPs        {_si(payload['sops'])}")
    print(f"  S-ACE       {_si(payload['s_ace'])}")
    print(
        f"  NS-ACE      {_si(payload['ns_ace'])}"
        if payload["ns_ace"] is not None
        else f"  NS-ACE      not computed: {cost.note} (--rates)"
    )
    if args.layers:
        print(cost.report.layers.to_string(index=False))
    return 0


def _print_human(payload: dict, report) -> None:
    c, h, w = payload["input_shape"]
    print(
        f"{payload['arch']} at W/S/T {payload['wst']} (bit budget {payload['bit_budget']}), input {c}x{h}x{w}, "
        f"{payload['num_classes']} classes"
    )
    print(
        f"  params      {payload['params']:,d}  ({payload['params_M_paper_units']:.4g} M in the paper's 16-bit units)"
    )
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
