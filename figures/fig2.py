"""Fig. 2: neuron input integration for the spike/time allocations S/T = 1/4, 4/1 and 2/2
(paper Fig. 2 (a)-(c)), drawn from the RTL simulation traces of ``qsnn_neuron``.

Input: ``results/hardware/fig2_traces.csv`` with columns ``config, cycle, signal, value``
(one row per signal per sampled cycle; a value holds until the signal's next row).
``config`` names the allocation; accepted spellings: ``1/4`` (S/T), ``8/1/4`` (W/S/T),
``s1t4``, ``w8s1t4``, ``S=1,T=4``. Each configuration becomes one panel of waveforms:
1-bit signals (valid, last, out_valid, ...) as logic levels, multi-bit ones (psum,
membrane, spike level, FSM state) as buses annotated with their values.
"""

from __future__ import annotations

import re
import sys

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

import common

TRACES = "fig2_traces.csv"
PAPER_ORDER = [(1, 4), (4, 1), (2, 2)]  # the paper's panels (a)-(c)
SIGNAL_ORDER = ["state", "valid", "in_valid", "last", "in_last", "psum", "membrane", "spike", "out_valid"]
BUS_SIGNALS = {"psum", "membrane", "spike", "state"}  # always drawn as buses, even if only 0/1 occur
LANE_FILL = 0.7


def parse_config(config: str) -> tuple[int, int]:
    """Return ``(S, T)`` of a configuration name; see the module docstring for spellings."""
    text = str(config).strip()
    s_match = re.search(r"s\s*=?\s*(\d+)", text, re.IGNORECASE)
    t_match = re.search(r"t\s*=?\s*(\d+)", text, re.IGNORECASE)
    if s_match and t_match:
        return int(s_match.group(1)), int(t_match.group(1))
    parts = [p.strip() for p in text.split("/")]
    if all(p.isdigit() for p in parts) and len(parts) in (2, 3):
        return int(parts[-2]), int(parts[-1])
    raise ValueError(f"{TRACES}: cannot read S and T from config {config!r}; "
                     "use 'S/T' (e.g. '1/4'), 'W/S/T' or 's1t4'")


def order_configs(configs) -> list:
    keyed = {c: parse_config(c) for c in configs}
    rank = {st: i for i, st in enumerate(PAPER_ORDER)}
    return sorted(keyed, key=lambda c: (rank.get(keyed[c], len(rank)), keyed[c], str(c)))


def order_signals(signals) -> list[str]:
    rank = {s: i for i, s in enumerate(SIGNAL_ORDER)}
    return sorted(signals, key=lambda s: (rank.get(s, len(rank)), s))


def step_series(trace: pd.DataFrame, end_cycle: int) -> tuple[np.ndarray, np.ndarray]:
    """Cycle/value arrays for a steps-post plot that runs to ``end_cycle``."""
    trace = trace.sort_values("cycle")
    cycles = trace["cycle"].to_numpy(dtype=float)
    values = trace["value"].to_numpy(dtype=float)
    return np.append(cycles, end_cycle), np.append(values, values[-1])


def draw_lane(ax, lane: int, name: str, trace: pd.DataFrame, end_cycle: int) -> None:
    cycles, values = step_series(trace, end_cycle)
    is_bus = name in BUS_SIGNALS or not set(np.unique(values)) <= {0.0, 1.0}
    lo, hi = float(values.min()), float(values.max())
    scale = LANE_FILL / (hi - lo) if hi > lo else 0.0
    y = lane + 0.15 + (values - lo) * scale if is_bus else lane + 0.15 + values * LANE_FILL
    ax.plot(cycles, y, drawstyle="steps-post", color="tab:blue" if is_bus else "black", linewidth=1.0)
    if is_bus:  # print each new value where it starts, like a logic analyser's bus lane
        previous = None
        for c, v, yy in zip(cycles[:-1], values[:-1], y[:-1]):
            if v != previous:
                ax.text(c + 0.1, yy + 0.05, f"{v:g}", fontsize=5, va="bottom", color="tab:blue")
            previous = v


def draw_config(ax, config: str, traces: pd.DataFrame, letter: str) -> None:
    s_bits, steps = parse_config(config)
    signals = order_signals(traces["signal"].unique())
    end_cycle = int(traces["cycle"].max()) + 1
    for lane, name in enumerate(reversed(signals)):
        draw_lane(ax, lane, name, traces[traces["signal"] == name], end_cycle)
    ax.set_yticks([lane + 0.5 for lane in range(len(signals))], list(reversed(signals)))
    ax.set_ylim(0, len(signals))
    ax.set_xlim(float(traces["cycle"].min()), end_cycle)
    ax.set_xlabel("clock cycle")
    ax.set_title(f"({letter}) S/T = {s_bits}/{steps}: {2**s_bits - 1} spike level(s), {steps} time step(s)"
                 f"  [trace config {config}]")
    ax.grid(axis="y", visible=False)


def make_figure(args: common.FigureArgs):
    traces = common.read_hardware(args, TRACES, ("config", "cycle", "signal", "value"))
    traces = traces.assign(cycle=pd.to_numeric(traces["cycle"], errors="raise"),
                           value=pd.to_numeric(traces["value"], errors="raise"))
    if traces.empty:
        raise ValueError(f"{args.hardware / TRACES}: has no rows; rerun the Fig. 2 trace simulation")
    configs = order_configs(traces["config"].unique())
    fig, axes = plt.subplots(len(configs), 1, figsize=(7.0, 2.3 * len(configs)), squeeze=False)
    for i, (ax, config) in enumerate(zip(axes[:, 0], configs)):
        draw_config(ax, config, traces[traces["config"] == config], "abcdefghijklmnopqrstuvwxyz"[i % 26])
    common.set_title(fig, "Fig. 2: multi-bit LIF neuron input integration for different S/T allocations\n"
                 f"RTL simulation (Verilator) of hardware/rtl/qsnn_neuron.v; {args.profile} profile "
                 "(no dataset involved)")
    return fig


def main(argv: list[str] | None = None) -> int:
    return common.run(make_figure, "fig2.py", __doc__, argv)


if __name__ == "__main__":
    sys.exit(main())
