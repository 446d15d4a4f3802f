"""RTL-level switching activity per synaptic operation, across bit budgets (Fig. 3 data).

Method. A ``qsnn_layer_tile`` built with Verilator toggle coverage
(``--coverage-toggle``) runs one real layer: the integer weight codes of a
trained model and the real spike tensors that entered that layer (forward
hook, :func:`qsnn.hardware.reference.real_layer`). Verilator counts every
0->1 and 1->0 transition of every bit of every signal, zero-delay (functional
toggles; no glitches, no wire capacitance). Counting starts after the weight
memory is loaded, so only the streaming datapath is measured. The simulated
spike levels are checked bit-exact against the integer reference first.

Signals are grouped into primitives (``PRIMITIVES``): registers (accumulator,
membrane, spike output, control/FSM) and the combinational values they load
(adder tree result, neuron update logic), plus the weight-memory read bus and
the spike input bus. Verilator 5.048's toggle coverage over-counts signals
wider than 64 bits (checked: a 128-bit weight bus reported 1992 toggles where
its value sequence has 744; narrow signals such as the spike registers and
the chunk counter match their value sequences exactly). The two wide buses
are input-driven, so their toggles are counted exactly from their value
sequence instead (``weight_read``: the bus holds ``wmem[chunk]`` and ``chunk``
advances once per beat; ``spike_input``: the beats as streamed); the column
``method`` says which count a row uses. Every other grouped signal is at most
64 bits wide for ACC_W <= 64. Loop temporaries of the RTL's ``always @*`` blocks (``prod``, ``wv``,
``sv``, ``rem``, ``trial``) are excluded: Verilator only sees their last
iteration. Ports that alias a signal counted elsewhere are excluded too.

A synaptic operation (``sops``) is one synapse's whole contribution to one
sample, all T steps of S-bit spikes with a W-bit weight: ``fan_in x fan_out x
samples``. This is the unit whose cost the Bit Budget T x W x S models (paper
Eq. 4), so ``toggles_per_sop`` is comparable across allocations of the same
budget. The measure is switching activity, not energy: no joules here.

Bit budgets: W in {1, 2, 4, 8} x (S, T) in {(1, 4), (2, 2), (4, 1)} by default
(budgets 4..32, each W with three allocations of the same S x T = 4). Every
configuration evaluates the same trained network, rebuilt at that W/S/T
(weights re-quantized to W bits, spikes produced by S-bit neurons over T
steps), on the same inputs: test samples of the dataset the weights were trained
on, from ``qsnn.data.build`` (its split, normalisation and, for event data, framing
into each configuration's T steps), so a checkpoint sees the data of its training.
"""

from __future__ import annotations

import math
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from qsnn.hardware.fits import ACTIVITY_COLUMNS
from qsnn.hardware.reference import (
    STAND_IN_DATASET,
    RealLayer,
    load_model,
    model_stimuli,
    quick_train,
    real_layer,
    rebuild,
    reference_layer,
)
from qsnn.hardware.sim import check_wst, rtl_weight_field, simulate_tile
from qsnn.wst import WST, parse_wst

# (module, signal) -> primitive; module is the Verilog module name, signal the
# name without bit index (generate prefixes like g_row[3]. stripped).
PRIMITIVES: dict[tuple[str, str], str] = {
    ("qsnn_pe_array", "acc"): "accumulator_reg",
    ("qsnn_pe_array", "row_sum"): "adder_tree",
    ("qsnn_pe_array", "out_valid"): "control",
    ("qsnn_pe_array", "out_step_last"): "control",
    ("qsnn_layer_tile", "chunk"): "control",
    ("qsnn_neuron", "membrane"): "membrane_reg",
    ("qsnn_neuron", "spike"): "spike_output_reg",
    ("qsnn_neuron", "state"): "control",
    ("qsnn_neuron", "out_valid"): "control",
    ("qsnn_neuron", "out_last"): "control",
    ("qsnn_neuron", "v_prev"): "neuron_logic",
    ("qsnn_neuron", "v_int"): "neuron_logic",
    ("qsnn_neuron", "v_soft"): "neuron_logic",
    ("qsnn_neuron", "v_next"): "neuron_logic",
    ("qsnn_neuron", "k"): "neuron_logic",
    ("qsnn_neuron", "fired"): "neuron_logic",
}
DEFAULT_W = (1, 2, 4, 8)
DEFAULT_ST = ((1, 4), (2, 2), (4, 1))
COLUMNS = list(ACTIVITY_COLUMNS)  # activity.csv's contract lives in qsnn.hardware.fits


def parse_toggle_coverage(path: Path) -> pd.DataFrame:
    """Verilator coverage file -> DataFrame[module, signal, toggles] (both directions, all bits, all instances)."""
    rows: dict[tuple[str, str], int] = {}
    with open(path, encoding="latin-1") as fh:
        for line in fh:
            if not line.startswith("C '"):
                continue
            body, count = line.rstrip("\n").rsplit(" ", 1)
            fields = dict(kv.split("\x02", 1) for kv in body[3:-1].split("\x01") if "\x02" in kv)
            if not fields.get("page", "").startswith("v_toggle/"):
                continue
            module = fields["page"].split("/", 1)[1].split("__", 1)[0]
            signal = fields["o"].rsplit(":", 1)[0]  # drop ":0->1"
            signal = re.sub(r"\[\d+\]$", "", signal)  # drop the bit index
            signal = signal.rsplit(".", 1)[-1]  # drop generate-block prefixes
            rows[(module, signal)] = rows.get((module, signal), 0) + int(count)
    return pd.DataFrame([(m, s, t) for (m, s), t in rows.items()], columns=["module", "signal", "toggles"])


def bus_toggles(
    codes_field: np.ndarray, spikes: np.ndarray, rows: int, cols: int, chunks: int, w_bits: int, s_bits: int
) -> dict[str, int]:
    """Exact toggles of the weight-read and spike-input buses of ``simulate_tile``'s schedule.

    ``codes_field``: ``[out, in]`` W-bit fields (``rtl_weight_field``); ``spikes``: ``[T, N, in]``.
    """
    popcount = np.vectorize(lambda v: bin(int(v)).count("1"), otypes=[np.int64])
    n_out, n_in = codes_field.shape
    T, N, _ = spikes.shape
    width = chunks * cols
    passes = math.ceil(n_out / rows)
    field = np.zeros((passes * rows, width), dtype=np.int64)
    field[:n_out, :n_in] = codes_field
    weight = 0
    for p in range(passes):
        blocks = field[p * rows : (p + 1) * rows].reshape(rows, chunks, cols).transpose(1, 0, 2)  # [chunk, row, col]
        # chunk cycles 0..chunks-1 once per step and returns to 0 after the last beat.
        per_step = (
            sum(int(popcount(blocks[a] ^ blocks[(a + 1) % chunks]).sum()) for a in range(chunks)) if chunks > 1 else 0
        )
        weight += per_step * N * T
    beats = np.zeros((N, T, width), dtype=np.int64)
    beats[:, :, :n_in] = spikes.transpose(1, 0, 2)
    beats = beats.reshape(-1, cols)  # one row per beat, in streaming order
    seq = np.vstack([np.zeros((1, cols), dtype=np.int64), beats])
    spike = int(popcount(seq[1:] ^ seq[:-1]).sum()) * passes
    del w_bits, s_bits  # the fields are already W and S bits wide
    return {"weight_read": weight, "spike_input": spike}


def group_toggles(per_signal: pd.DataFrame) -> dict[str, int]:
    """Toggles per primitive (``PRIMITIVES``) plus their ``total``."""
    groups: dict[str, int] = {}
    for row in per_signal.itertuples():
        primitive = PRIMITIVES.get((row.module, row.signal))
        if primitive:
            groups[primitive] = groups.get(primitive, 0) + int(row.toggles)
    if not groups:
        raise RuntimeError("no known signal in the toggle coverage: did the RTL signal names change? (see PRIMITIVES)")
    groups["total"] = sum(groups.values())
    return groups


@dataclass(frozen=True)
class ActivityConfig:
    arch: str = "cifarnet-tiny"
    layer: str | None = None  # default: the first spiking conv/linear layer
    samples: int = 4  # input samples (test split of the weights' own dataset)
    max_rows: int = 128  # (image, position) rows simulated per configuration
    rows: int = 16  # tile: output neurons in parallel
    cols: int = 16  # tile: inputs per beat
    train_steps: int = 60  # quick training when no checkpoint is given ...
    train_wst: str = "4/2/2"  # ... at this W/S/T, then rebuilt at every measured W/S/T
    seed: int = 0
    data_root: Path = Path("data")  # where `qsnn train` found the checkpoint's dataset


def layer_for(wst: WST, cfg: ActivityConfig, checkpoint: Path | None, cache: dict) -> tuple[RealLayer, str]:
    """The real layer at ``wst`` and the provenance label of its weights.

    Its input spikes come from the test split of the dataset the weights were trained
    on (the checkpoint's own, or the ``digits`` stand-in), as ``qsnn train`` fed it.
    """
    model, dataset, source = model_for(wst, cfg, checkpoint, cache)
    x = stimuli(model, dataset, cfg, cache)
    return real_layer(model, x, cfg.layer, max_rows=cfg.max_rows, seed=cfg.seed), source


def model_for(wst: WST, cfg: ActivityConfig, checkpoint: Path | None, cache: dict) -> tuple[torch.nn.Module, str, str]:
    """The trained network rebuilt at ``wst``, the dataset it was trained on, and its provenance label."""
    if checkpoint is not None:
        model, config = load_model(checkpoint, wst)
        return model, config["dataset"], f"checkpoint {checkpoint}"
    # One quick stand-in training, rebuilt at every measured W/S/T like a checkpoint.
    if "state" not in cache:
        train_wst = parse_wst(cfg.train_wst)
        trained = quick_train(cfg.arch, train_wst, steps=cfg.train_steps, seed=cfg.seed)
        cache["state"], cache["wst"] = trained.state_dict(), train_wst
    model = rebuild(cfg.arch, cache["state"], cache["wst"], wst, STAND_IN_DATASET)
    return (
        model,
        STAND_IN_DATASET,
        f"stand-in: {cfg.arch} trained {cfg.train_steps} steps at {cfg.train_wst} on {STAND_IN_DATASET}",
    )


def stimuli(model: torch.nn.Module, dataset: str, cfg: ActivityConfig, cache: dict) -> torch.Tensor:
    """The same test samples for every configuration (framed into ``model.T`` steps for event data)."""
    from qsnn.data import dataset_info

    framed = dataset_info(dataset).kind == "neuromorphic"  # static images do not depend on T
    key = ("stimuli", dataset, model.T if framed else None)
    if key not in cache:
        cache[key] = model_stimuli(model, dataset, cfg.samples, root=cfg.data_root, seed=cfg.seed)
    return cache[key]


def measure_one(
    wst: WST, cfg: ActivityConfig, checkpoint: Path | None, cache: dict, build_dir: Path | None
) -> pd.DataFrame:
    """Toggle counts per primitive of one W/S/T on the real layer."""
    check_wst(wst.w_bits, wst.s_bits, wst.T)
    layer, provenance = layer_for(wst, cfg, checkpoint, cache)
    return measure_layer(wst, layer, provenance, cfg, build_dir)


def measure_layer(
    wst: WST, layer: RealLayer, provenance: str, cfg: ActivityConfig, build_dir: Path | None
) -> pd.DataFrame:
    """Toggle counts per primitive of ``layer`` (the real layer at ``wst``) on the RTL tile."""
    fan_out, fan_in = layer.codes.shape
    # The accumulator is sized for the worst case of the layer (data-independent), like a real design.
    acc_w = max(
        layer.w_bits + layer.s_bits + 3,
        (fan_in * 2 ** max(layer.w_bits - 1, 0) * (2**layer.s_bits - 1) * 2 + 1).bit_length() + 1,
        (layer.v_th * 2).bit_length() + 1,
    )
    with tempfile.TemporaryDirectory(prefix="qsnn-act-") as tmp:
        cov = Path(tmp) / "coverage.dat"
        result = simulate_tile(
            layer.codes,
            layer.spikes,
            layer.w_bits,
            layer.s_bits,
            layer.v_th,
            rows=cfg.rows,
            cols=cfg.cols,
            acc_w=acc_w,
            variant="coverage",
            coverage=cov,
            build_dir=build_dir,
        )
        expected, _, _ = reference_layer(layer.codes, layer.spikes, layer.v_th, layer.s_bits)
        if not np.array_equal(result.outputs, expected):
            raise RuntimeError(f"RTL tile disagrees with the integer reference at {wst}: activity not recorded")
        groups = group_toggles(parse_toggle_coverage(cov))
    buses = bus_toggles(
        rtl_weight_field(layer.codes, layer.w_bits),
        layer.spikes,
        cfg.rows,
        cfg.cols,
        result.params["CHUNKS"],
        layer.w_bits,
        layer.s_bits,
    )
    groups = {k: v for k, v in groups.items() if k != "total"} | buses
    groups["total"] = sum(groups.values())
    sops = fan_in * fan_out * layer.spikes.shape[1]
    rows = [
        ("rtl", "rtl", wst.w_bits, wst.s_bits, wst.T, wst.bit_budget, p, t, sops, t / sops, "simulated")
        for p, t in sorted(groups.items())
    ]
    frame = pd.DataFrame(rows, columns=COLUMNS)
    frame["method"] = [
        "bus value sequence"
        if p in buses
        else ("coverage + bus value sequence" if p == "total" else "verilator toggle coverage")
        for p in frame.primitive
    ]
    frame["layer"] = layer.name
    frame["weights"] = provenance
    frame["input_rate"] = float((layer.spikes > 0).mean())
    frame["stream_cycles"] = result.stream_cycles
    return frame


def measure_activity(
    out: Path,
    checkpoint: Path | None = None,
    w_bits: tuple[int, ...] = DEFAULT_W,
    s_t: tuple[tuple[int, int], ...] = DEFAULT_ST,
    cfg: ActivityConfig = ActivityConfig(),
    build_dir: Path | None = None,
    progress=None,
    jobs: int = 1,
) -> pd.DataFrame:
    """Measure every W x (S, T) and write ``out`` (CSV, atomically, only when all succeeded).

    ``jobs`` > 1 builds and simulates that many configurations at a time (same table).
    """
    configs = [WST(w, s, t) for w in w_bits for s, t in s_t]
    for wst in configs:  # every bad value is rejected before any tool runs
        check_wst(wst.w_bits, wst.s_bits, wst.T)
    cache: dict = {}
    frames = []
    if jobs <= 1:
        for wst in configs:
            frames.append(measure_one(wst, cfg, checkpoint, cache, build_dir))
            if progress:
                progress(wst)
    else:
        # The layers are prepared here (torch, one thread) while the pool's threads wait on
        # Verilator builds and simulations; the frames keep the order of ``configs``.
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=jobs) as pool:
            futures = []
            for wst in configs:
                layer, provenance = layer_for(wst, cfg, checkpoint, cache)
                futures.append(pool.submit(measure_layer, wst, layer, provenance, cfg, build_dir))
            for wst, future in zip(configs, futures):
                frames.append(future.result())
                if progress:
                    progress(wst)
    table = pd.concat(frames, ignore_index=True)
    from qsnn.io import atomic_write_csv  # the one atomic writer (mode 0644)

    atomic_write_csv(table, Path(out))
    return table


def budget_summary(table: pd.DataFrame) -> pd.DataFrame:
    """Total toggles per SOP per configuration (for a quick look / the report)."""
    total = table[table.primitive == "total"]
    return (
        total[["w_bits", "s_bits", "T", "bit_budget", "toggles_per_sop"]]
        .sort_values(["w_bits", "bit_budget", "T"])
        .reset_index(drop=True)
    )


__all__ = [
    "ActivityConfig",
    "measure_activity",
    "measure_one",
    "measure_layer",
    "parse_toggle_coverage",
    "group_toggles",
    "budget_summary",
]
