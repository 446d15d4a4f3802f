"""Fig. 2 waveforms: VCD traces of the neuron datapath for S/T = 1/4, 4/1, 2/2.

For each allocation (same weight width W), a P_sum stream is formed the way a
PE row forms it: ``psum[t] = sum_i w_i * s_i[t]`` over ``FAN_IN`` inputs with
fixed W-bit weight codes and random S-bit spike levels (seeded, so the traces
are reproducible). Two samples run back to back, so the FSM's membrane reset
at the start of a sample shows, and a few idle cycles show the Valid
handshake. The threshold is 1.3 x the mean |P_sum| / (2**S - 1), so the membrane integrates
for a while before the spikes use the S-bit range.

Outputs: ``traces/w{W}s{S}t{T}.vcd`` (every signal of ``qsnn_neuron``) and one
long-form CSV ``fig2_traces.csv`` with columns ``config, cycle, signal, value``
(``config`` = ``"W/S/T"``), signals ``state, psum, valid, last, v_int, membrane,
spike, out_valid, v_th``, one value per clock cycle as seen before its rising edge
(``v_int``: the integrated membrane before the reset, valid on ``valid`` cycles;
``membrane``: the register after the reset, one cycle later).
The simulation is checked bit-exact against ``lif_integer`` before writing.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from qsnn.functional import lif_integer
from qsnn.hardware.sim import check_wst, simulate_neuron

FIG2_ALLOCATIONS = ((1, 4), (4, 1), (2, 2))  # (S, T), paper Fig. 2 (a)-(c)
FAN_IN = 8
SAMPLES = 2
GAP_PERMILLE = 150
# VCD signal name in qsnn_neuron -> CSV signal name
TRACE_SIGNALS = {
    "state": "state",
    "psum": "psum",
    "in_valid": "valid",
    "in_last": "last",
    "v_int": "v_int",
    "membrane": "membrane",
    "spike": "spike",
    "out_valid": "out_valid",
    "v_th": "v_th",
}
SIGNED = {"psum", "v_int", "membrane"}


@dataclass(frozen=True)
class TraceConfig:
    w_bits: int = 8
    s_bits: int = 2
    T: int = 2
    seed: int = 0

    @property
    def label(self) -> str:
        return f"{self.w_bits}/{self.s_bits}/{self.T}"

    @property
    def slug(self) -> str:
        return f"w{self.w_bits}s{self.s_bits}t{self.T}"


def trace_stimulus(cfg: TraceConfig) -> tuple[np.ndarray, int]:
    """P_sum ``[T, SAMPLES]`` of one PE row and the integer threshold."""
    rng = np.random.default_rng(cfg.seed)
    w_top = 2 ** (cfg.w_bits - 1) - 1 if cfg.w_bits > 1 else 1
    # Mostly excitatory weights, so the membrane visibly climbs to threshold.
    weights = (
        rng.integers(-w_top // 4, w_top + 1, size=FAN_IN) if cfg.w_bits > 1 else rng.choice([-1, 1, 1], size=FAN_IN)
    )
    spikes = rng.integers(0, 2**cfg.s_bits, size=(cfg.T, SAMPLES, FAN_IN))
    psum = spikes @ weights
    scale = max(1, int(np.abs(psum).mean()))
    # ~1.3 steps of input per level: the membrane integrates visibly before it fires.
    v_th = max(1, int(round(1.3 * scale / (2**cfg.s_bits - 1))))
    return psum.astype(np.int64), v_th


def parse_vcd(path: Path, scope: str = "qsnn_neuron") -> tuple[dict[str, list[tuple[int, int]]], dict[str, int]]:
    """Value changes ``{signal: [(time, unsigned value), ...]}`` and widths of ``scope``'s variables."""
    ids: dict[str, str] = {}
    widths: dict[str, int] = {}
    stack: list[str] = []
    changes: dict[str, list[tuple[int, int]]] = {}
    time = 0
    with open(path) as fh:
        in_defs = True
        for line in fh:
            tok = line.split()
            if not tok:
                continue
            if in_defs:
                if tok[0] == "$scope":
                    stack.append(tok[2])
                elif tok[0] == "$upscope":
                    stack.pop()
                elif tok[0] == "$var" and stack and stack[-1] == scope:
                    ids[tok[3]] = tok[4]
                    widths[tok[4]] = int(tok[2])
                elif tok[0] == "$enddefinitions":
                    in_defs = False
                continue
            head = tok[0]
            if head.startswith("#"):
                time = int(head[1:])
            elif head[0] in "bB" and len(tok) == 2 and tok[1] in ids:
                value = int(head[1:].replace("x", "0").replace("z", "0"), 2)
                changes.setdefault(ids[tok[1]], []).append((time, value))
            elif head[0] in "01xz" and head[1:] in ids:
                changes.setdefault(ids[head[1:]], []).append((time, 1 if head[0] == "1" else 0))
    return changes, widths


def sample_per_cycle(changes: list[tuple[int, int]], cycles: int, period: int = 10) -> list[int]:
    """Value during each cycle, as seen just before its rising edge (VCD time ``period * c``)."""
    values, i, current = [], 0, 0
    for c in range(cycles):
        t = period * c
        while i < len(changes) and changes[i][0] <= t:
            current = changes[i][1]
            i += 1
        values.append(current)
    return values


def to_signed(value: int, width: int) -> int:
    return value - (1 << width) if value >> (width - 1) & 1 else value


def trace_one(cfg: TraceConfig, vcd: Path, build_dir: Path | None = None) -> pd.DataFrame:
    """Simulate one allocation with a VCD, check it bit-exact, return its long-form rows."""
    check_wst(cfg.w_bits, cfg.s_bits, cfg.T)
    psum, v_th = trace_stimulus(cfg)
    result = simulate_neuron(
        psum, v_th, cfg.s_bits, gap_permille=GAP_PERMILLE, seed=cfg.seed, vcd=vcd, build_dir=build_dir
    )
    levels, membrane = lif_integer(torch.from_numpy(psum), v_th, cfg.s_bits)
    if not (np.array_equal(result.levels, levels.numpy()) and np.array_equal(result.membrane, membrane.numpy())):
        raise RuntimeError(f"RTL neuron disagrees with lif_integer for {cfg.label}; VCD: {vcd}")
    changes, widths = parse_vcd(vcd)
    missing = sorted(set(TRACE_SIGNALS) - set(changes))
    if missing:
        raise RuntimeError(f"VCD {vcd} lacks signals {missing}")
    cycles = 2 + result.cycles + 2  # reset cycles + streamed cycles + drain
    rows = []
    for vcd_name, name in TRACE_SIGNALS.items():
        for c, v in enumerate(sample_per_cycle(changes[vcd_name], cycles)):
            rows.append((cfg.label, c, name, to_signed(v, widths[vcd_name]) if vcd_name in SIGNED else v))
    frame = pd.DataFrame(rows, columns=["config", "cycle", "signal", "value"])
    frame.attrs["v_th"] = v_th
    return frame


def write_fig2_traces(out_dir: Path, w_bits: int = 8, seed: int = 0, build_dir: Path | None = None) -> Path:
    """VCDs under ``out_dir/traces`` and ``out_dir/fig2_traces.csv`` for S/T = 1/4, 4/1, 2/2."""
    check_wst(w_bits=w_bits)
    out_dir = Path(out_dir)
    (out_dir / "traces").mkdir(parents=True, exist_ok=True)
    frames = []
    for s_bits, T in FIG2_ALLOCATIONS:
        cfg = TraceConfig(w_bits, s_bits, T, seed)
        vcd = out_dir / "traces" / f"{cfg.slug}.vcd"
        tmp_vcd = vcd.with_suffix(".vcd.tmp")
        frame = trace_one(cfg, tmp_vcd, build_dir)
        os.replace(tmp_vcd, vcd)
        frames.append(frame)
    from qsnn.io import atomic_write_csv  # the one atomic writer (mode 0644)

    return atomic_write_csv(pd.concat(frames, ignore_index=True), out_dir / "fig2_traces.csv")
