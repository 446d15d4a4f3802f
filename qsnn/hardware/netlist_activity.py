"""Switching activity of the *synthesized netlist* (Fig. 3 data, netlist level). SIMULATED toggles, not energy.

Flow, per device family and (W, S):
  1. yosys synthesizes ``qsnn_layer_tile`` (as in :mod:`qsnn.hardware.synth`), renames the
     cells ``c_<n>``, renames the top back to ``qsnn_layer_tile`` and writes the netlist
     (``write_verilog -noattr``) plus ``netlist.json`` (cell types and port directions).
     Both use ``-nodsp``: yosys ships no simulation model of DSP48E2 (a blackbox in
     cells_xtra.v) nor of MULT18X18D, so multipliers become LUT/carry logic here and the
     netlist activity has no DSP class (the synthesis sweep does count DSPs).
  2. Verilator compiles the netlist with the family's simulation cell models that yosys
     ships (``share/xilinx/cells_sim.v``, ``share/ecp5/cells_sim.v``) and the RTL
     engineer's C++ testbench ``hardware/sim/tb_tile.cpp`` (same ports, same stimulus
     format as :func:`qsnn.hardware.sim.simulate_tile`), with ``--coverage-toggle`` (on xcup
     limited to the cells' output ports, the pins step 4 counts: ``COVERAGE_SCOPE``).
     Both steps are cached under ``work_dir`` (``netlists/`` for yosys, one folder per
     simulation build), and so is each simulation's result, keyed by a hash of its stimulus.
  3. The tile is driven by real spike tensors: the first spiking layer of a tiny model
     trained for a few seconds on sklearn digits (:func:`qsnn.hardware.reference.quick_train`,
     a STAND-IN for a quick-profile run), one model per (W, S, T). The outputs are checked
     bit-exact against :func:`qsnn.hardware.reference.reference_layer` (a netlist that
     disagrees with the RTL reference is an error, not a data point).
  4. Verilator's toggle coverage is merged per cell *type* (it sums the instances of one
     module); we keep the toggles (0->1 plus 1->0) on each cell's **output pins** and sum
     them per primitive class (LUT, FF, CARRY, DSP, LUTRAM, MUX, ...).

``sops`` = synaptic operations in the unit the Bit Budget costs (paper Eq. 4, Fig. 3):
one synapse evaluated for one sample over all its T time steps, i.e.
samples x fan-in x outputs (dense: the array computes every weight x spike product;
zero spikes save toggles, not cycles). A per-time-step cost therefore shows up as a
term proportional to T in ``toggles_per_sop``, which :mod:`qsnn.hardware.fits` tests.
``toggles_per_sop`` = toggles / sops. The weight-load and reset cycles are included.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from qsnn.hardware import synth
from qsnn.hardware.fits import ACTIVITY_COLUMNS

TB_DIR = synth.REPO_ROOT / "hardware" / "sim"
DEFAULT_WORK_DIR = synth.REPO_ROOT / "results" / "hardware" / "netlist_sim"
CELL_MODELS = {"xcup": "xilinx/cells_sim.v", "ecp5": "ecp5/cells_sim.v"}
TILE_FILES = ("qsnn_neuron.v", "qsnn_pe_array.v", "qsnn_layer_tile.v")
PRIMITIVE_NAMES = {
    "lut": "LUT",
    "ff": "FF",
    "carry": "CARRY",
    "dsp": "DSP",
    "lutram": "LUTRAM",
    "mux": "MUX",
    "bram": "BRAM",
    "other": "OTHER",
}
# One C++ file per model (VM_PARALLEL_BUILDS=0): on the xcup w8s4 netlist 16 s of CPU (0.8 GB)
# against 27 s split into 30 files that each parse the headers. The wheel's verilated.mk leaves
# the precompiled-header include flag of split builds empty; "-include" is what GCC needs.
MAKE_VARS = ("VM_PARALLEL_BUILDS=0", "OPT_FAST=-O0", "OPT_SLOW=-O0", "OPT_GLOBAL=-O0", "CFG_CXXFLAGS_PCH_I=-include")
SOURCE_LABEL = "simulated"


@dataclass(frozen=True)
class NetlistTile:
    """The synthesized tile: family, W, S, array shape (T is sequencing)."""

    family: str
    w_bits: int
    s_bits: int
    rows: int = 4
    cols: int = 8
    chunks: int = 18
    acc_w: int = 20

    def __post_init__(self) -> None:
        synth.validate_config(synth.SynthConfig(self.family, "dsp", self.w_bits, self.s_bits))

    @property
    def params(self) -> dict[str, int]:
        return {
            "W": self.w_bits,
            "S": self.s_bits,
            "ROWS": self.rows,
            "COLS": self.cols,
            "CHUNKS": self.chunks,
            "ACC_W": self.acc_w,
        }

    @property
    def slug(self) -> str:
        return f"{self.family}-w{self.w_bits}s{self.s_bits}-r{self.rows}c{self.cols}k{self.chunks}a{self.acc_w}"


def netlist_script(tile: NetlistTile) -> str:
    reads = "\n".join(f"read_verilog -sv rtl/{name}" for name in TILE_FILES)
    chparam = " ".join(f"-set {k} {v}" for k, v in tile.params.items())
    if tile.family == "xcup":
        # yosys ships DSP48E2 only as a blackbox (cells_xtra.v): no simulation model, so -nodsp.
        synth_cmd = "synth_xilinx -family xcup -top qsnn_layer_tile -flatten -noiopad -noclkbuf -nodsp"
    else:
        # yosys ships no simulation model of MULT18X18D (only a blackbox): ECP5 is
        # simulated with its multipliers in LUTs / CCU2C carry chains.
        synth_cmd = "synth_ecp5 -top qsnn_layer_tile -nodsp"
    return "\n".join(
        [
            reads,
            f"chparam {chparam} qsnn_layer_tile",
            synth_cmd,
            "rename -top qsnn_layer_tile",
            "rename -enumerate -pattern c_% t:*",
            "tee -q -o stat.json stat -json",
            "write_verilog -noattr netlist.v",
            "write_json netlist.json",
            "",
        ]
    )


def _netlist_key(script: str) -> str:
    """Everything the synthesized netlist depends on: script, RTL code, tool versions."""
    h = hashlib.sha256(script.encode())
    h.update(synth.rtl_digest([synth.DEFAULT_RTL_DIR / name for name in TILE_FILES]).encode())
    h.update(synth.tool_versions().encode())
    return h.hexdigest()[:16]


def _sim_key(netlist_key: str, models: dict[str, str], config: str, verilator_root: str) -> str:
    """Everything the simulation build depends on beyond the netlist."""
    h = hashlib.sha256(netlist_key.encode())
    for name in ("tb_tile.cpp", "tb_common.h"):
        h.update((TB_DIR / name).read_bytes())
    for name, text in sorted(models.items()):
        h.update(name.encode() + text.encode())
    h.update(repr((config, VERILATOR_FLAGS, MAKE_VARS, verilator_root)).encode())
    return h.hexdigest()[:16]


def output_pins(netlist_json: Path) -> dict[str, set[str]]:
    """Cell type -> names of its output ports, from yosys's ``write_json``."""
    design = json.loads(Path(netlist_json).read_text())
    pins: dict[str, set[str]] = {}
    for module in design["modules"].values():
        for cell in module.get("cells", {}).values():
            outs = {p for p, d in cell.get("port_directions", {}).items() if d == "output"}
            pins.setdefault(cell["type"], set()).update(outs)
    return pins


# ----------------------------------------------------------------- cell models and coverage scope
_PORT_KEYWORD = re.compile(r"\b(input|output|inout)\b")
_INCLUDE = re.compile(r'^\s*`include\s+"([^"]+)"', re.M)


def split_port_declarations(text: str) -> str:
    """Put every port declaration of a line that declares an output on a line of its own.

    yosys's cell models declare ports ANSI-style on one line (``module LUT2(output O, input I0, I1);``).
    Verilator switches coverage on and off per source line, so the output ports need lines of
    their own to be covered without the inputs. Only line breaks are inserted (before the
    ``input`` / ``output`` / ``inout`` keywords of a line's first statement, never in a comment, a
    string or a compiler directive), which changes no Verilog semantics.
    """
    out = []
    for line in text.splitlines():
        code, sep, comment = line.partition("//")
        head, semi, tail = code.partition(";")  # a header's ports end at its first ';'
        keywords = _PORT_KEYWORD.findall(head)
        if line.lstrip().startswith("`") or '"' in head or "output" not in keywords or len(keywords) < 2:
            out.append(line)
            continue
        parts = _PORT_KEYWORD.split(head)  # [before, kw, rest, kw, rest, ...]
        pieces = [parts[0]] + [parts[i] + parts[i + 1] for i in range(1, len(parts), 2)]
        pieces = [piece for piece in pieces if piece.strip()]
        pieces[-1] += semi + tail + sep + comment
        out.extend(pieces)
    return "\n".join(out) + "\n"


# Which signals get Verilator toggle coverage, per family. "outputs": only the output ports of
# the cell models (what parse_toggle_coverage counts): half the generated C++ of "all" (every
# net and every signal inside the cell models), 4-7x faster to simulate, and the same counts on
# the xcup netlists (checked on every configuration of `qsnn synth activity`; within 0.6 % of
# the settled values of a VCD trace, FF and LUTRAM exact).
# ECP5 stays "all": there the LUT and CARRY counts depend on the coverage scope, because
# Verilator's toggle coverage also counts transient values of the carry logic (CCU2C) while
# it settles, and how many it sees depends on how the model is scheduled: on ecp5 w2s1 T=1,
# "all" counts CARRY 533086 / LUT 757261, "outputs" 241858 / 689995, the settled values
# of a VCD trace 101160 / 424924 (FF, MUX and LUTRAM agree in all three). "all" keeps the
# published numbers; see hardware/synth/README.md.
COVERAGE_SCOPE = {"xcup": "outputs", "ecp5": "all"}


def cell_models(family: str, split_ports: bool = True) -> dict[str, str]:
    """yosys's simulation models of ``family`` (cells_sim.v and the files it includes).

    ``split_ports``: output port declarations on lines of their own (:func:`split_port_declarations`).
    """
    share = synth.yosys_share_dir() / CELL_MODELS[family]
    todo, models = [share.name], {}
    while todo:
        name = todo.pop()
        if name in models:
            continue
        text = (share.parent / name).read_text()
        models[name] = split_port_declarations(text) if split_ports else text
        todo += _INCLUDE.findall(text)
    return models


def coverage_config(models: dict[str, str]) -> str:
    """A Verilator configuration file: toggle coverage on the cell models' output ports only.

    The activity counts toggles on cell *output pins* (:func:`parse_toggle_coverage`); covering
    every net of the netlist and every internal signal of the cell models as well made half
    of the generated C++ and 80 % of the simulation time (used where ``COVERAGE_SCOPE`` says
    "outputs"). Every file the models include gets its own rules: a file without any
    follows its includer's state.
    """
    lines = ["`verilator_config", 'coverage_off -file "*netlist.v"']
    for name, text in sorted(models.items()):
        lines.append(f'coverage_off -file "*cells/{name}"')
        for number, line in enumerate(text.splitlines(), start=1):
            if re.search(r"\boutput\b", line.partition("//")[0]) and not line.lstrip().startswith("`"):
                lines.append(f'coverage_on -file "*cells/{name}" -lines {number}')
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------- synthesis + simulation build
VERILATOR_FLAGS = (
    "-Wno-fatal",
    "-Wno-lint",
    "-Wno-style",
    "--no-timing",
    "--x-assign",
    "fast",
    "--x-initial",
    "fast",
    "--coverage-toggle",
    "--coverage-max-width",
    "4096",
)


def synthesize_netlist(tile: NetlistTile, work_dir: Path = DEFAULT_WORK_DIR) -> Path:
    """yosys: the tile's netlist (``netlist.v``, ``netlist.json``, ``stat.json``), cached.

    Kept apart from the simulation build (``work_dir/netlists/<slug>-<key>``): a change of the
    testbench, of Verilator or of the coverage scope rebuilds the simulation, not the netlist.
    """
    script = netlist_script(tile)
    target = Path(work_dir) / "netlists" / f"{tile.slug}-{_netlist_key(script)}"
    if (target / "netlist.json").exists():
        return target
    work = Path(tempfile.mkdtemp(prefix=f".{tile.slug}-", dir=_mkdir(target.parent)))
    synth.stage_sources([synth.DEFAULT_RTL_DIR / n for n in TILE_FILES], work)
    (work / "netlist.ys").write_text(script)
    try:
        synth.run_tool([*synth.yosys_cmd(), "-q", "-l", "yosys.log", "-s", "netlist.ys"], work, "yosys.stdout.log")
        if not (work / "netlist.json").exists():
            raise synth.SynthesisError("yosys wrote no netlist.json", work / "yosys.log")
    except synth.SynthesisError as err:
        failed = target.parent / f"{target.name}.failed"
        shutil.rmtree(failed, ignore_errors=True)
        os.replace(work, failed)  # keep the logs, never under the cache name
        raise synth.SynthesisError(f"netlist synthesis for {tile.slug} failed", failed / err.log_path.name) from None
    _publish(work, target)
    return target


def build_netlist_sim(tile: NetlistTile, work_dir: Path = DEFAULT_WORK_DIR) -> Path:
    """Synthesize + Verilate the netlist (each stage cached by a hash of everything it depends on)."""
    from qsnn.hardware.sim import _reuse_runtime, _save_runtime
    from qsnn.hardware.verilator import check_build_tools, find_verilator, run_logged

    netlist = synthesize_netlist(tile, work_dir)
    scope = COVERAGE_SCOPE[tile.family]
    models = cell_models(tile.family, split_ports=scope == "outputs")
    config = coverage_config(models) if scope == "outputs" else ""
    verilator = find_verilator()
    target = Path(work_dir) / f"{tile.slug}-{_sim_key(netlist.name, models, config, str(verilator.root))}"
    if (target / "tb").exists():
        return target
    check_build_tools()
    work = Path(tempfile.mkdtemp(prefix=f".{tile.slug}-", dir=_mkdir(work_dir)))
    for name in ("netlist.v", "netlist.json", "stat.json"):
        shutil.copyfile(netlist / name, work / name)
    _mkdir(work / "cells")
    for name, text in models.items():
        (work / "cells" / name).write_text(text)
    if config:
        (work / "coverage.vlt").write_text(config)
    defines = " ".join(f"-D{k}={v}" for k, v in tile.params.items())
    cmd = [
        str(verilator.executable),
        "--cc",
        "--exe",
        "--top-module",
        "qsnn_layer_tile",
        "--prefix",
        "Vtop",
        "--Mdir",
        "obj",
        "-o",
        "../tb",
        *VERILATOR_FLAGS,
        "-CFLAGS",
        f"-O0 -I{TB_DIR} {defines}",
        "-Icells",
        *(["coverage.vlt"] if config else []),
        "netlist.v",
        f"cells/{CELL_MODELS[tile.family].split('/')[-1]}",
        str(TB_DIR / "tb_tile.cpp"),
    ]
    # Verilator's runtime objects depend on neither the netlist nor the family: compiled once.
    runtime = (
        Path(work_dir) / f"runtime-{hashlib.sha256(repr((str(verilator.root), MAKE_VARS)).encode()).hexdigest()[:8]}"
    )
    try:
        run_logged(cmd, work / "verilate.log", cwd=work, env=verilator.env(), what="Verilator of the netlist")
        _reuse_runtime(runtime, work / "obj")
        run_logged(
            ["make", "-C", "obj", "-f", "Vtop.mk", "-j", "2", *MAKE_VARS],
            work / "make.log",
            cwd=work,
            env=verilator.env(),
            what="C++ build of the netlist",
        )
    except Exception as err:
        log = getattr(err, "log", None) or getattr(err, "log_path", None)
        raise synth.SynthesisError(f"netlist simulation build for {tile.slug} failed", log or work) from None
    _save_runtime(runtime, work / "obj")
    shutil.rmtree(work / "obj", ignore_errors=True)
    _publish(work, target)
    return target


def _publish(work: Path, target: Path) -> None:
    """Move a finished build into place (another process may have finished the same one first)."""
    try:
        os.replace(work, target)
    except OSError:
        shutil.rmtree(work, ignore_errors=True)


def _mkdir(path: Path) -> Path:
    Path(path).mkdir(parents=True, exist_ok=True)
    return Path(path)


def tile_stimulus(codes: np.ndarray, spikes: np.ndarray, tile: NetlistTile, v_th: int) -> np.ndarray:
    """The int64 stimulus of ``tb_tile.cpp`` (the layout :func:`qsnn.hardware.sim.simulate_tile` writes)."""
    from qsnn.hardware.sim import rtl_weight_field

    n_out, n_in = codes.shape
    T, N, _ = spikes.shape
    width = tile.chunks * tile.cols
    if n_in > width:
        raise ValueError(f"fan-in {n_in} exceeds the tile's chunks*cols = {width}; synthesize a larger tile")
    field = np.zeros((math.ceil(n_out / tile.rows) * tile.rows, width), dtype=np.int64)
    field[:n_out, :n_in] = rtl_weight_field(codes, tile.w_bits)
    padded = np.zeros((N, T, width), dtype=np.int64)
    padded[:, :, :n_in] = spikes.transpose(1, 0, 2)
    passes = field.shape[0] // tile.rows
    parts = [np.array([passes, v_th, 0, 0])]
    for p in range(passes):
        block = field[p * tile.rows : (p + 1) * tile.rows].reshape(tile.rows, tile.chunks, tile.cols).transpose(1, 0, 2)
        parts += [block.reshape(-1), np.array([N, T]), padded.reshape(-1)]
    return np.concatenate(parts)


_COV_LINE = re.compile(r"^C '(.*)' (\d+)$")


def parse_toggle_coverage(path: Path, pins: dict[str, set[str]], family: str) -> dict[str, int]:
    """Toggles on cell output pins, summed per primitive class, from a Verilator coverage file."""
    classes = synth.CELL_CLASSES[family]
    totals: dict[str, int] = {}
    for line in Path(path).read_text().splitlines():
        m = _COV_LINE.match(line)
        if not m:
            continue
        fields = dict(kv.split("\x02", 1) for kv in m.group(1).split("\x01") if "\x02" in kv)
        page = fields.get("page", "")
        if not page.startswith("v_toggle/") or not fields.get("h", "").startswith("TOP.qsnn_layer_tile."):
            continue
        # Verilator names parameterized variants TYPE__pi3, TYPE__Iz4, TYPE__Iz5_IBz5_...;
        # no Xilinx / ECP5 primitive name contains "__".
        cell_type = page.split("/", 1)[1].split("__")[0]
        signal = re.sub(r"\[.*$", "", fields.get("o", "").split(":")[0])
        if cell_type in pins and signal in pins[cell_type]:
            cls = PRIMITIVE_NAMES[classes.get(cell_type, "other")]
            totals[cls] = totals.get(cls, 0) + int(m.group(2))
    if not totals:
        raise ValueError(f"no cell output toggles found in {path}: was the netlist built with --coverage-toggle?")
    return totals


@dataclass(frozen=True)
class Stimulus:
    codes: np.ndarray
    spikes: np.ndarray  # [T, N, in]
    v_th: int
    layer: str


def trained_stimulus(
    w_bits: int, s_bits: int, T: int, rows: int = 32, steps: int = 20, seed: int = 0, arch: str = "cifarnet-tiny"
) -> Stimulus:
    """Real spike tensors of a tiny model trained on sklearn digits (a STAND-IN quick run)."""
    import torch

    from qsnn.hardware.reference import digits_batch, quick_train, real_layer, spiking_layers
    from qsnn.wst import WST

    torch.set_num_threads(1)
    model = quick_train(arch, WST(w_bits, s_bits, T), steps=steps, seed=seed)
    x, _ = digits_batch(max(4, rows // 16), seed=seed, train=False)
    layer = real_layer(model, x, spiking_layers(model)[0], max_rows=rows, seed=seed)
    return Stimulus(layer.codes, layer.spikes, max(1, layer.v_th), layer.name)


def simulate_netlist_activity(tile: NetlistTile, stim: Stimulus, work_dir: Path = DEFAULT_WORK_DIR) -> dict:
    """Run the netlist on ``stim``; check it bit-exact; return toggles per primitive class.

    The result is kept beside the coverage file with a hash of the stimulus: the same
    stimulus on the same build (a rerun) returns it without simulating again.
    """
    from qsnn.hardware.reference import reference_layer
    from qsnn.hardware.sim import Build, run_testbench

    directory = build_netlist_sim(tile, work_dir)
    T, N, n_in = stim.spikes.shape
    n_out = stim.codes.shape[0]
    stimulus = tile_stimulus(stim.codes, stim.spikes, tile, stim.v_th)
    digest = hashlib.sha256(np.ascontiguousarray(stimulus, dtype="<i8").tobytes()).hexdigest()[:16]
    cov = _mkdir(directory / "coverage") / f"T{T}-N{N}-{stim.layer}.dat"  # kept: re-parse without re-simulating
    meta_path = cov.with_suffix(".json")
    if meta_path.exists():
        meta = json.loads(meta_path.read_text())
        if meta.get("stimulus_sha256") == digest and "toggles" in meta:
            return {"toggles": meta["toggles"], "sops": meta["sops"], "cycles": meta["cycles"]}
    out, stats = run_testbench(Build("qsnn_layer_tile", "coverage", (), directory), stimulus, coverage=cov)
    toggles = parse_toggle_coverage(cov, output_pins(directory / "netlist.json"), tile.family)
    passes = math.ceil(n_out / tile.rows)
    levels = out.reshape(passes, N, T, tile.rows).transpose(2, 1, 0, 3).reshape(T, N, -1)[:, :, :n_out]
    expected, _, _ = reference_layer(stim.codes, stim.spikes, stim.v_th, tile.s_bits)
    if not np.array_equal(levels, expected):
        raise ValueError(
            f"netlist of {tile.slug} is not bit-exact with reference_layer "
            f"({int((levels != expected).sum())} mismatches); see {directory}"
        )
    meta = {
        "T": T,
        "samples": N,
        "fan_in": n_in,
        "outputs": n_out,
        "sops": int(N * n_in * n_out),
        "cycles": int(stats["cycles"]),
        "layer": stim.layer,
        "stimulus_sha256": digest,
        "toggles": toggles,
    }
    synth.write_json_atomic(meta_path, meta)  # written once the outputs are checked
    return {"toggles": toggles, "sops": meta["sops"], "cycles": meta["cycles"]}


def measure_netlist_activity(
    ws: list[tuple[int, int]], families: list[str], Ts: list[int], work_dir: Path = DEFAULT_WORK_DIR, jobs: int = 1
) -> list[dict]:
    """Activity rows of every (W, S) x T x family (the rows of ``activity_netlist.csv``).

    ``jobs`` > 1: the netlists are synthesized and compiled in that many threads (each waits
    on a tool) while the stimuli are trained, and the simulations run there too; the rows
    come out in the same order and with the same values as with one job.
    """
    tiles = {(f, w, s): NetlistTile(f, w, s) for w, s in ws for f in families}
    if jobs <= 1:
        rows = []
        for w, s in ws:
            for T in Ts:
                stim = trained_stimulus(w, s, T)
                for f in families:
                    tile = tiles[(f, w, s)]
                    rows += activity_rows(tile, T, simulate_netlist_activity(tile, stim, work_dir), stim.layer)
        return rows
    from concurrent.futures import ThreadPoolExecutor

    synth.warm_up_tools()
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        # Every build is queued before any simulation, so a simulation that waits for its build
        # never holds a worker that a queued build needs. Largest netlists first.
        order = sorted(tiles.values(), key=lambda t: (t.w_bits * t.s_bits, t.family == "xcup"), reverse=True)
        builds = {t: pool.submit(build_netlist_sim, t, work_dir) for t in order}
        runs = []
        for w, s in ws:
            for T in Ts:
                stim = trained_stimulus(w, s, T)
                for f in families:
                    tile = tiles[(f, w, s)]
                    runs.append((tile, T, stim.layer, pool.submit(_simulate_after, builds[tile], tile, stim, work_dir)))
        rows = []
        for tile, T, layer, run in runs:
            rows += activity_rows(tile, T, run.result(), layer)
    return rows


def _simulate_after(build, tile: NetlistTile, stim: Stimulus, work_dir: Path) -> dict:
    build.result()  # raises the build's error, if any
    return simulate_netlist_activity(tile, stim, work_dir)


def rows_from_saved_coverage(tile: NetlistTile, directory: Path) -> list[dict]:
    """Re-parse the coverage files kept by :func:`simulate_netlist_activity` (no simulation)."""
    pins = output_pins(Path(directory) / "netlist.json")
    rows = []
    for cov in sorted((Path(directory) / "coverage").glob("*.dat")):
        meta = json.loads(cov.with_suffix(".json").read_text())
        result = {
            "toggles": parse_toggle_coverage(cov, pins, tile.family),
            "sops": meta["sops"],
            "cycles": meta["cycles"],
        }
        rows += activity_rows(tile, int(meta["T"]), result, meta["layer"])
    return rows


def activity_rows(tile: NetlistTile, T: int, result: dict, layer: str) -> list[dict]:
    bb = tile.w_bits * tile.s_bits * T
    return [
        {
            "level": "netlist",
            "family": tile.family,
            "w_bits": tile.w_bits,
            "s_bits": tile.s_bits,
            "T": T,
            "bit_budget": bb,
            "primitive": prim,
            "toggles": tog,
            "sops": result["sops"],
            "toggles_per_sop": tog / result["sops"],
            "source": SOURCE_LABEL,
            "stimulus": f"stand-in: {layer} of cifarnet-tiny trained briefly on sklearn digits",
        }
        for prim, tog in sorted(result["toggles"].items())
    ]


def total_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """Add one ``primitive = "total"`` row per configuration (sum over primitive classes)."""
    keys = ["level", "family", "w_bits", "s_bits", "T", "bit_budget"]
    parts = frame[frame["primitive"] != "total"]
    total = parts.groupby(keys, as_index=False).agg(
        toggles=("toggles", "sum"), sops=("sops", "first"), source=("source", "first")
    )
    total["primitive"] = "total"
    total["toggles_per_sop"] = total["toggles"] / total["sops"]
    return pd.concat([parts, total], ignore_index=True)


def merge_activity(netlist: pd.DataFrame, rtl_csv: Path | None) -> pd.DataFrame:
    """Netlist rows + the RTL engineer's ``activity_rtl.csv`` (level = rtl) in one table."""
    cols = list(ACTIVITY_COLUMNS)
    frames = [total_rows(netlist)]
    if rtl_csv is not None and Path(rtl_csv).exists():
        rtl = pd.read_csv(rtl_csv)
        missing = [c for c in cols if c not in rtl.columns and c not in ("level", "source", "family")]
        if missing:
            raise ValueError(f"{rtl_csv} lacks columns {missing}; regenerate it with `qsnn hw activity`")
        rtl = rtl.assign(level="rtl", source=SOURCE_LABEL)
        if "family" not in rtl.columns:
            rtl["family"] = "rtl"
        frames.append(rtl)
    return pd.concat(frames, ignore_index=True)[cols + [c for c in ("stimulus",) if c in frames[0]]]
