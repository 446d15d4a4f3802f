"""``qsnn synth ...``: synthesis sweep, netlist switching activity, Fig. 3 fits,
the Table 4 accelerator model (+ its validation) and board measurements."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path

from qsnn import resources

RESULTS = Path("results/hardware")


def ws_arg(text: str) -> tuple[int, int]:
    """``--ws`` item ``W/S`` -> (W, S), range-checked as the W and S of an allocation."""
    from qsnn.wst import parse_wst

    if text.count("/") != 1 or not all(part.strip().isdigit() for part in text.split("/")):
        raise argparse.ArgumentTypeError(f"malformed W/S pair {text!r}: expected two integers like '2/1' (W/S)")
    try:
        wst = parse_wst(f"{text}/1")
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None
    return wst.w_bits, wst.s_bits


def register(subparsers) -> None:
    parser = subparsers.add_parser("synth", help="synthesis, netlist activity, Fig. 3 fits, Table 4 model")
    sub = parser.add_subparsers(dest="synth_command", required=True, metavar="SUBCOMMAND")

    one = sub.add_parser("one", help="synthesize one configuration (cached)")
    one.add_argument("--family", default="xcup", choices=["xcup", "ecp5"])
    one.add_argument("--variant", default="dsp", choices=["dsp", "nodsp"])
    one.add_argument("--w", type=int, required=True, help="weight bits W")
    one.add_argument("--s", type=int, required=True, help="spike bits S")
    _common_synth(one)
    one.set_defaults(func=cmd_one)

    sweep = sub.add_parser("sweep", help="W x S sweep for xcup (dsp, nodsp) and ecp5 (+PnR, Fmax)")
    sweep.add_argument("--families", nargs="+", default=["xcup", "ecp5"], choices=["xcup", "ecp5"])
    sweep.add_argument("--w", type=int, nargs="+", default=[1, 2, 4, 8, 16])
    sweep.add_argument("--s", type=int, nargs="+", default=[1, 2, 4, 8])
    sweep.add_argument("--jobs", type=int, default=2)
    sweep.add_argument("--out", type=Path, default=RESULTS / "synthesis.csv")
    _common_synth(sweep)
    sweep.set_defaults(func=cmd_sweep)

    act = sub.add_parser("activity", help="netlist-level toggles per SOP (xcup, ecp5), merged with RTL activity")
    act.add_argument("--families", nargs="+", default=["xcup", "ecp5"], choices=["xcup", "ecp5"])
    act.add_argument(
        "--ws", nargs="+", type=ws_arg, default=[(2, 1), (8, 4)], metavar="W/S", help="W/S pairs, e.g. 2/1 8/4"
    )
    act.add_argument("--T", type=int, nargs="+", default=[1, 2, 4, 8])
    act.add_argument("--rtl-csv", type=Path, default=RESULTS / "activity_rtl.csv")
    act.add_argument(
        "--netlist-rows",
        type=Path,
        default=RESULTS / "activity_netlist.csv",
        help="per-run netlist rows (written by the simulation, reused with --reuse)",
    )
    act.add_argument("--reuse", action="store_true", help="merge and fit the existing --netlist-rows, simulate nothing")
    act.add_argument(
        "--work-dir",
        type=Path,
        default=None,
        help="netlists, simulation builds and coverage files (default results/hardware/netlist_sim; "
        "cached: a rerun synthesizes, compiles and simulates only what changed)",
    )
    act.add_argument(
        "--jobs", type=int, default=1, help="synthesize, compile and simulate in this many parallel jobs (default 1)"
    )
    act.add_argument("--out", type=Path, default=RESULTS / "activity.csv")
    act.add_argument("--fits-out", type=Path, default=RESULTS / "activity_fits.csv")
    act.set_defaults(func=cmd_activity)

    fits = sub.add_parser("fits", help="fit toggles/SOP vs bit budget (and + T) from activity.csv")
    fits.add_argument("--activity", type=Path, default=RESULTS / "activity.csv")
    fits.add_argument("--out", type=Path, default=RESULTS / "activity_fits.csv")
    fits.set_defaults(func=cmd_fits)

    acc = sub.add_parser("accel", help="Table 4: modelled fps/latency (+ board measurements when present)")
    acc.add_argument(
        "--paper-table",
        type=Path,
        default=resources.paper_tables_dir() / "table4.csv",
        help="the transcribed Table 4 whose rows are modelled (default: the shipped data/paper/table4.csv)",
    )
    acc.add_argument("--board-dir", type=Path, default=None, help="board CSVs (default hardware/board)")
    acc.add_argument("--include-examples", action="store_true", help="also ingest example_*.csv (tests only)")
    acc.add_argument("--rows", type=int, default=32)
    acc.add_argument("--cols", type=int, default=32)
    acc.add_argument("--clock-mhz", type=float, default=300.0)
    acc.add_argument("--out", type=Path, default=RESULTS / "accelerator.csv")
    acc.set_defaults(func=cmd_accel)

    val = sub.add_parser("validate", help="cycle model vs Verilator (tiles + 3-layer pipeline)")
    val.add_argument("--out", type=Path, default=RESULTS / "accel_validation.csv")
    val.add_argument(
        "--build-dir",
        type=Path,
        default=RESULTS / "build",
        help="Verilator build cache (default results/hardware/build, shared with `qsnn hw`)",
    )
    val.set_defaults(func=cmd_validate)


def _common_synth(p: argparse.ArgumentParser) -> None:
    p.add_argument("--rtl-dir", type=Path, default=None)
    p.add_argument("--cache-dir", type=Path, default=None)
    p.add_argument("--top", default="qsnn_layer_tile")
    p.add_argument("--force", action="store_true", help="ignore the cache")


def _setup(args):
    from qsnn.hardware import synth

    kw = {}
    if args.rtl_dir:
        kw["rtl_dir"] = args.rtl_dir
    if args.cache_dir:
        kw["cache_dir"] = args.cache_dir
    return synth.SynthSetup(**kw)


def cmd_one(args) -> int:
    from qsnn.hardware import synth

    cfg = synth.SynthConfig(args.family, args.variant, args.w, args.s, args.top)
    try:
        result = synth.synthesize(cfg, _setup(args), force=args.force)
    except synth.SynthesisError as err:
        print(f"qsnn synth one: {err}", file=sys.stderr)
        return 1
    print(json.dumps(asdict(result), indent=1))
    return 0


def cmd_sweep(args) -> int:
    from qsnn.hardware import synth

    configs = [c for c in synth.sweep_configs(tuple(args.families), tuple(args.w), tuple(args.s), args.top)]
    outcome = synth.run_sweep(configs, _setup(args), jobs=args.jobs, force=args.force)
    fresh = [r for r in outcome.results if not r.cached]
    print(
        f"{len(outcome.results)} configurations ({len(fresh)} synthesized, {len(outcome.results) - len(fresh)} cached) "
        f"in {outcome.seconds:.1f} s on {args.jobs} workers"
    )
    if outcome.failures:
        for cfg, message in outcome.failures:
            print(f"FAILED {cfg.slug}: {message}", file=sys.stderr)
        print(f"{args.out} not written: fix the failures above and rerun (the successes are cached)", file=sys.stderr)
        return 1
    synth.write_csv_atomic(synth.results_frame(outcome.results), args.out)
    print(f"wrote {args.out}")
    return 0


def cmd_activity(args) -> int:
    import pandas as pd

    from qsnn.hardware import fits, synth
    from qsnn.hardware import netlist_activity as na

    if args.reuse:
        if not args.netlist_rows.exists():
            raise FileNotFoundError(f"{args.netlist_rows} not found; run `qsnn synth activity` without --reuse")
        netlist = pd.read_csv(args.netlist_rows)
    else:
        rows = na.measure_netlist_activity(
            args.ws, args.families, args.T, work_dir=args.work_dir or na.DEFAULT_WORK_DIR, jobs=args.jobs
        )
        netlist = pd.DataFrame(rows)
        synth.write_csv_atomic(netlist, args.netlist_rows)
    activity = na.merge_activity(netlist, args.rtl_csv)
    synth.write_csv_atomic(activity, args.out)
    synth.write_csv_atomic(fits.fit_activity(activity), args.fits_out)
    print(f"wrote {args.out} and {args.fits_out}")
    return 0


def cmd_fits(args) -> int:
    import pandas as pd

    from qsnn.hardware import fits, synth

    if not args.activity.exists():
        raise FileNotFoundError(f"{args.activity} not found; run `qsnn synth activity` first")
    table = fits.fit_activity(pd.read_csv(args.activity))
    synth.write_csv_atomic(table, args.out)
    print(table[["level", "family", "primitive", "model", "r2"]].to_string(index=False))
    return 0


def cmd_accel(args) -> int:
    from qsnn.hardware import accel, board, synth
    from qsnn.paper_tables import read_table_file

    cfg = accel.AcceleratorConfig(rows=args.rows, cols=args.cols, clock_mhz=args.clock_mhz)
    modelled = accel.table4_rows(read_table_file(args.paper_table), cfg)
    measured = board.load_measurements(
        args.board_dir or board.DEFAULT_BOARD_DIR, include_examples=args.include_examples
    )
    table = board.apply_measurements(modelled, measured)
    synth.write_csv_atomic(table, args.out)
    cols = ["dataset", "w_bits", "s_bits", "T", "bit_budget", "fps", "paper_fps", "latency_ms", "paper_latency", "kind"]
    print(table[cols].to_string(index=False, float_format=lambda v: f"{v:.2f}"))
    print(f"wrote {args.out} ({len(measured)} board measurements used)")
    return 0


def cmd_validate(args) -> int:
    import pandas as pd

    from qsnn.hardware import accel, synth

    shapes, cols, T, samples = accel.SECOND_PIPELINE
    build = args.build_dir
    table = pd.concat(
        [
            accel.validate_tiles(build_dir=build),
            accel.validate_pipeline(build_dir=build),
            accel.validate_pipeline(shapes, cols, T, samples, build_dir=build),
        ],
        ignore_index=True,
    )
    synth.write_csv_atomic(table, args.out)
    print(table[["scope", "layer", "modelled_cycles", "simulated_cycles", "rel_error"]].to_string(index=False))
    return 0 if table["within_5pct"].all() else 1
