"""Fig. 2: neuron input integration for the spike/time allocations S/T = 1/4, 4/1 and 2/2
(paper Fig. 2 (a)-(c)), drawn from the RTL simulation traces of ``qsnn_neuron``.

Input: ``results/hardware/fig2_traces.csv`` with columns ``config, cycle, signal, value``
(one row per signal per sampled cycle; a value holds until the signal's next row).
``config`` names the allocation; accepted spellings: ``1/4`` (S/T), ``8/1/4`` (W/S/T),
``s1t4``, ``w8s1t4``, ``S=1,T=4``. Each configuration becomes one panel of waveforms:
1-bit signals (valid, last, out_valid, ...) as logic levels, multi-bit ones (FSM state,
spike level) as buses and the numbers (psum, v_int, membrane) as taller lanes, all
annotated with their values.

The membrane is drawn twice on one scale: ``v_int`` is the integrated membrane before
the reset (leaked membrane + P_sum, drawn on ``valid`` beats only, with the threshold
``v_th`` as a dashed line), ``membrane`` the register after the reset, one cycle later.
With a hard reset and a spike on every beat the register stays at 0, so the integration
shows only in ``v_int``; a trace written before ``v_int`` was recorded gets a note
asking to rerun ``qsnn hw traces``.
"""

from __future__ import annotations

import re
import sys

import common
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

TRACES = "fig2_traces.csv"
PAPER_ORDER = [(1, 4), (4, 1), (2, 2)]  # the paper's panels (a)-(c)
SIGNAL_ORDER = ["state", "valid", "in_valid", "last", "in_last", "psum", "v_int", "membrane", "spike", "out_valid"]
BUS_SIGNALS = {"state", "spike"}  # multi-bit codes: drawn with their values even if only 0/1 occur
ANALOG_SIGNALS = {"psum", "v_int", "membrane"}  # numbers: drawn in a taller lane, annotated with values
POTENTIAL = {"v_int", "membrane"}  # membrane before / after reset: one shared scale, with the threshold
THRESHOLD = "v_th"  # drawn as a dashed line in the membrane lanes, not as a lane of its own
VALID = "valid"
LANE_LABELS = {
    "psum": "P_sum",
    "v_int": "membrane\nbefore reset",
    "membrane": "membrane\nafter reset",
    "spike": "spike level",
    "out_valid": "out valid",
}
STATE_NAMES = {0: "IDLE", 1: "INTEG"}  # localparams of hardware/rtl/qsnn_neuron.v
LANE_HEIGHT = {"analog": 2.0, "logic": 1.0, "bus": 1.0}
PAD = 0.18  # free space at the bottom and top of each lane (lane units)
VALUE_FONTSIZE = 6.5


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
    raise ValueError(f"{TRACES}: cannot read S and T from config {config!r}; use 'S/T' (e.g. '1/4'), 'W/S/T' or 's1t4'")


def order_configs(configs) -> list:
    keyed = {c: parse_config(c) for c in configs}
    rank = {st: i for i, st in enumerate(PAPER_ORDER)}
    return sorted(keyed, key=lambda c: (rank.get(keyed[c], len(rank)), keyed[c], str(c)))


def order_signals(signals) -> list[str]:
    rank = {s: i for i, s in enumerate(SIGNAL_ORDER)}
    return sorted(signals, key=lambda s: (rank.get(s, len(rank)), s))


def lane_kind(name: str, values: np.ndarray) -> str:
    if name in ANALOG_SIGNALS:
        return "analog"
    if name in BUS_SIGNALS or not set(np.unique(values)) <= {0.0, 1.0}:
        return "bus"
    return "logic"


def per_cycle(traces: pd.DataFrame, name: str, cycles: np.ndarray) -> np.ndarray:
    """Value of signal ``name`` in every cycle of ``cycles`` (a value holds until its next row)."""
    trace = traces[traces["signal"] == name].sort_values("cycle")
    index = np.searchsorted(trace["cycle"].to_numpy(dtype=float), cycles, side="right") - 1
    values = trace["value"].to_numpy(dtype=float)
    return np.where(index >= 0, values[np.clip(index, 0, None)], np.nan)


def runs_of(mask: np.ndarray) -> list[tuple[int, int]]:
    """``[(start, stop), ...]`` index ranges where ``mask`` is true."""
    runs, start = [], None
    for i, m in enumerate([*mask, False]):
        if m and start is None:
            start = i
        elif not m and start is not None:
            runs.append((start, i))
            start = None
    return runs


def value_text(name: str, value: float) -> str:
    if name == "state" and int(value) in STATE_NAMES:
        return STATE_NAMES[int(value)]
    return f"{value:g}"


def label_value(ax, x: float, y: float, text: str, lane_mid: float) -> None:
    """Print a value beside its line, inside the lane: above a low line, below a high one."""
    above = y <= lane_mid
    ax.annotate(
        text,
        (x, y),
        xytext=(2, 1.5 if above else -1.5),
        textcoords="offset points",
        va="bottom" if above else "top",
        ha="left",
        fontsize=VALUE_FONTSIZE,
        color="tab:blue",
        bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8, "pad": 0.4},
        zorder=3,
    )


def draw_lane(
    ax,
    bottom: float,
    height: float,
    name: str,
    kind: str,
    cycles: np.ndarray,
    values: np.ndarray,
    scale: tuple[float, float],
    mask: np.ndarray | None = None,
) -> None:
    """One waveform in the band ``[bottom, bottom + height]``; ``mask`` limits it to some cycles."""
    lo, hi = scale
    span = height - 2 * PAD
    to_y = (lambda v: bottom + PAD + (v - lo) * span / (hi - lo)) if hi > lo else (lambda v: bottom + PAD + 0 * v)
    mask = np.ones(len(cycles), bool) & ~np.isnan(values) if mask is None else mask & ~np.isnan(values)
    colour = "black" if kind == "logic" else "tab:blue"
    lane_mid = bottom + height / 2
    for start, stop in runs_of(mask):
        x = np.append(cycles[start:stop], cycles[stop - 1] + 1)
        v = np.append(values[start:stop], values[stop - 1])
        ax.plot(x, to_y(v), drawstyle="steps-post", color=colour, linewidth=1.0)
        if kind == "logic":
            continue
        for i in range(start, stop):  # each new value where it starts; every beat of the masked lane
            if i == start or values[i] != values[i - 1] or name == "v_int":
                label_value(ax, cycles[i], float(to_y(values[i])), value_text(name, values[i]), lane_mid)


def draw_threshold(ax, bottom: float, height: float, v_th: float, scale: tuple[float, float], x_end: float) -> None:
    lo, hi = scale
    y = bottom + PAD + (v_th - lo) * (height - 2 * PAD) / (hi - lo)
    ax.axhline(y, color="tab:red", linestyle="--", linewidth=0.8, zorder=1)
    ax.annotate(
        f"V_th = {v_th:g}",
        (x_end, y),
        xytext=(-2, 1.5),
        textcoords="offset points",
        ha="right",
        va="bottom",
        fontsize=VALUE_FONTSIZE,
        color="tab:red",
        zorder=3,
    )


def draw_config(ax, config: str, traces: pd.DataFrame, letter: str) -> None:
    s_bits, steps = parse_config(config)
    start, end_cycle = int(traces["cycle"].min()), int(traces["cycle"].max()) + 1
    cycles = np.arange(start, end_cycle, dtype=float)
    present = set(traces["signal"].unique())
    signals = order_signals(present - {THRESHOLD})
    values = {name: per_cycle(traces, name, cycles) for name in present}
    kinds = {name: lane_kind(name, values[name][~np.isnan(values[name])]) for name in signals}
    valid = values[VALID] == 1 if VALID in values else None
    # Membrane before/after reset and the threshold share one scale, so they compare at a glance.
    potential = [
        values[n][valid] if n == "v_int" and valid is not None else values[n]
        for n in (*POTENTIAL, THRESHOLD)
        if n in values
    ]
    pot = np.concatenate([p[~np.isnan(p)] for p in potential]) if potential else np.array([])
    pot_scale = (min(0.0, float(pot.min())), float(pot.max())) if pot.size else (0.0, 0.0)
    v_th = float(np.nanmax(values[THRESHOLD])) if THRESHOLD in values else None

    ticks, labels, bottom = [], [], 0.0
    for name in reversed(signals):  # bottom lane first
        height = LANE_HEIGHT[kinds[name]]
        v = values[name]
        if name in POTENTIAL:
            scale = pot_scale
        else:
            finite_v = v[~np.isnan(v)]
            scale = (min(0.0, float(finite_v.min())), float(finite_v.max())) if kinds[name] != "logic" else (0.0, 1.0)
        mask = valid if name == "v_int" and valid is not None else None
        draw_lane(ax, bottom, height, name, kinds[name], cycles, v, scale, mask)
        if name == "v_int" and v_th is not None and pot_scale[1] > pot_scale[0]:
            draw_threshold(ax, bottom, height, v_th, pot_scale, end_cycle)
        ticks.append(bottom + height / 2)
        labels.append(LANE_LABELS.get(name, name))
        bottom += height
        if name != signals[0]:
            ax.axhline(bottom, color="0.85", linewidth=0.5)
    ax.set_yticks(ticks, labels)
    ax.set_ylim(0, bottom)
    ax.set_xlim(start, end_cycle)
    if end_cycle - start <= 40:
        ax.set_xticks(range(start, end_cycle + 1))
    ax.set_xlabel("clock cycle")
    stale = "v_int" not in present and "membrane" in present  # a CSV written before v_int was recorded
    ax.set_title(
        f"({letter}) S/T = {s_bits}/{steps}: spike levels 0..{2**s_bits - 1}, {steps} time step(s)"
        f"  [trace config {config}]"
        + ("\nthis trace has no v_int (membrane before reset): rerun `qsnn hw traces`" if stale else "")
    )
    ax.grid(axis="y", visible=False)


def make_figure(args: common.FigureArgs):
    traces = common.read_hardware(args, TRACES, ("config", "cycle", "signal", "value"))
    traces = traces.assign(
        cycle=pd.to_numeric(traces["cycle"], errors="raise"), value=pd.to_numeric(traces["value"], errors="raise")
    )
    if traces.empty:
        raise ValueError(f"{args.hardware / TRACES}: has no rows; rerun the Fig. 2 trace simulation")
    configs = order_configs(traces["config"].unique())
    units = max(
        sum(LANE_HEIGHT["analog" if s in ANALOG_SIGNALS else "logic"] for s in set(g["signal"]) - {THRESHOLD})
        for _, g in traces.groupby("config")
    )
    fig, axes = plt.subplots(len(configs), 1, figsize=(7.0, (0.2 * units + 0.75) * len(configs) + 0.5), squeeze=False)
    for i, (ax, config) in enumerate(zip(axes[:, 0], configs)):
        draw_config(ax, config, traces[traces["config"] == config], "abcdefghijklmnopqrstuvwxyz"[i % 26])
    common.set_title(
        fig,
        "Fig. 2: multi-bit LIF neuron input integration for different S/T allocations\n"
        f"RTL simulation (Verilator) of hardware/rtl/qsnn_neuron.v; {args.profile} profile "
        "(no dataset involved)\n"
        "membrane before reset = leaked membrane + P_sum at each valid beat (dashed red: threshold V_th); "
        "after reset = the register one cycle later (hard reset to 0 when a spike fires)",
    )
    return fig


def main(argv: list[str] | None = None) -> int:
    return common.run(make_figure, "fig2.py", __doc__, argv)


if __name__ == "__main__":
    sys.exit(main())
