"""Verilator simulation of the RTL in ``hardware/rtl``, driven from Python.

Each RTL top has a C++ testbench in ``hardware/sim`` (``tb_neuron.cpp``,
``tb_tile.cpp``, ``tb_pipeline.cpp``). Python writes the stimuli as a flat
little-endian int64 file, runs the compiled testbench, and reads back the
spike levels (int64) and a ``key value`` stats file (cycle counts, wall time
of the simulation loop). A C++ loop, not cocotb, drives the clock: it runs at
millions of cycles per second, cocotb at tens of thousands.

Builds are cached: one directory per (top, variant, parameters, RTL and
testbench sources, Verilator version) under ``build_dir`` (default
``results/hardware/build``), named ``{top}-{variant}-{hash}``. A build is made
in a temporary directory and renamed into place, so concurrent users of the
same cache never see half a build. Variants: ``fast`` (throughput, no
instrumentation, C++ -O2), ``check`` (the same model at C++ -O0: builds 2-3x faster,
for short runs such as the cycle-count validation), ``trace`` (VCD support, off unless
a VCD path is given; -O2), ``coverage`` (Verilator toggle coverage, for
:mod:`qsnn.hardware.rtl_activity`; -O0). The C++ optimisation level changes how fast a
model runs, never what it computes.

Public API (the accelerator model's validation calls the last two):

* :func:`simulate_neuron(psum, v_th, s_bits, ...)` -> :class:`NeuronSimResult`:
  one ``qsnn_neuron`` fed ``psum[T, N]`` (N samples back to back).
* :func:`simulate_tile(codes, spikes, w_bits, s_bits, v_th, rows=, cols=, ...)`
  -> :class:`SimResult`: one layer (``codes[out, in]`` integer weight codes,
  ``spikes[T, N, in]`` integer spike levels) on a ``qsnn_layer_tile`` of
  ``rows`` x ``cols`` PEs. Schedule: the ``out`` neurons are split into
  ``ceil(out / rows)`` passes; each pass loads the weight memory
  (``chunks = ceil(in / cols)`` cycles), then streams all N samples, each T
  steps of ``chunks`` beats, back to back. ``SimResult.cycles`` =
  ``load_cycles + stream_cycles``; ``stream_cycles`` of a pass is
  ``N * T * chunks + 1`` when there are no idle cycles: the accumulator
  register takes each beat in its cycle, the neuron register takes the final
  P_sum of the last step one cycle later.
* :func:`simulate_pipeline(codes_list, spikes, w_bits, s_bits, v_th, cols=(c1, c2, c3), ...)`
  -> :class:`SimResult`: three fully connected layers chained in
  ``qsnn_pipeline`` (each layer one tile, all its neurons in parallel, fan-in
  of layer l+1 = neurons of layer l, split into beats of ``cols[l+1]``).
  ``stream_cycles`` is first input beat to last output beat.

All functions check W, S, T and the other parameters before any tool runs
(:class:`ValueError` naming the fix), and pick the accumulator width from the
stimuli when ``acc_w`` is None (or check that a given one cannot overflow).
A tool failure raises :class:`qsnn.hardware.verilator.ToolError` with the
path of its log.
"""

from __future__ import annotations

import hashlib
import math
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from qsnn.hardware.verilator import ToolError, check_build_tools, find_verilator, run_logged

REPO_ROOT = Path(__file__).resolve().parents[2]
RTL_DIR = REPO_ROOT / "hardware" / "rtl"
TB_DIR = REPO_ROOT / "hardware" / "sim"
DEFAULT_BUILD_DIR = Path("results/hardware/build")

W_SUPPORTED = (1, 16)
S_SUPPORTED = (1, 8)
T_SUPPORTED = (1, 4096)
ACC_W_MAX = 64
VARIANTS = ("fast", "check", "trace", "coverage")
RTL_FILES = ("qsnn_neuron.v", "qsnn_pe_array.v", "qsnn_layer_tile.v", "qsnn_link.v", "qsnn_pipeline.v")
TESTBENCH = {"qsnn_neuron": "tb_neuron.cpp", "qsnn_layer_tile": "tb_tile.cpp", "qsnn_pipeline": "tb_pipeline.cpp"}


# ----------------------------------------------------------------------------- validation
def _check_range(name: str, value, lo: int, hi: int, fix: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not lo <= int(value) <= hi:
        raise ValueError(f"{name}={value!r} is not supported by the RTL: use an integer in [{lo}, {hi}] ({fix})")
    return int(value)


def check_wst(w_bits: int | None = None, s_bits: int | None = None, T: int | None = None) -> None:
    """Reject W, S, T outside what the RTL supports (before any tool runs)."""
    if w_bits is not None:
        _check_range("W", w_bits, *W_SUPPORTED, "weight bit-width; W=1 is a +-1 weight")
    if s_bits is not None:
        _check_range("S", s_bits, *S_SUPPORTED, "spike bit-width of the neuron datapath")
    if T is not None:
        _check_range("T", T, *T_SUPPORTED, "time steps per sample")


def check_reset(reset: str) -> int:
    if reset not in ("hard", "soft"):
        raise ValueError(f"reset={reset!r}: use 'hard' or 'soft'")
    return 1 if reset == "hard" else 0


def check_v_th(v_th: int) -> int:
    v_th = int(v_th)
    if v_th < 1:
        raise ValueError(f"v_th={v_th}: the integer threshold must be >= 1")
    return v_th


def bits_for(magnitude: int) -> int:
    """Signed two's complement width that holds every value in [-magnitude, magnitude]."""
    return int(magnitude).bit_length() + 1


def choose_acc_w(needed: int, acc_w: int | None, minimum: int) -> int:
    """``acc_w`` if it is wide enough, else an error; None: 24 or the next multiple of 8 that fits."""
    needed = max(needed, minimum)
    if acc_w is None:
        acc_w = max(24, 8 * math.ceil(needed / 8))
    acc_w = _check_range("acc_w", acc_w, 2, ACC_W_MAX, "accumulator/membrane width")
    if acc_w < needed:
        raise ValueError(
            f"acc_w={acc_w} overflows on these stimuli: they need >= {needed} bits; pass acc_w=None to choose it"
        )
    if needed > ACC_W_MAX:
        raise ValueError(f"these stimuli need a {needed}-bit accumulator, more than the supported {ACC_W_MAX}")
    return acc_w


def rtl_weight_field(codes: np.ndarray, w_bits: int) -> np.ndarray:
    """Integer weight codes -> the W-bit field the RTL reads (W=1: +1 -> 1, -1 -> 0)."""
    codes = np.asarray(codes, dtype=np.int64)
    if w_bits == 1:
        if not np.isin(codes, (-1, 1)).all():
            raise ValueError("W=1 weight codes must be -1 or +1 (qsnn.quant.weight_codes)")
        return (codes > 0).astype(np.int64)
    lo, hi = -(2 ** (w_bits - 1)), 2 ** (w_bits - 1) - 1
    if codes.min(initial=0) < lo or codes.max(initial=0) > hi:
        raise ValueError(f"weight codes outside the {w_bits}-bit range [{lo}, {hi}]")
    return codes & (2**w_bits - 1)


def effective_weights(codes: np.ndarray, w_bits: int) -> np.ndarray:
    """The integer weight the PE multiplies by (identical to the codes; W=1 checked as +-1)."""
    rtl_weight_field(codes, w_bits)
    return np.asarray(codes, dtype=np.int64)


def check_spikes(spikes: np.ndarray, s_bits: int) -> np.ndarray:
    spikes = np.asarray(spikes)
    if not np.issubdtype(spikes.dtype, np.integer):
        if not np.all(np.equal(np.mod(spikes, 1), 0)):
            raise ValueError("spikes must be integer spike levels k (divide a spike tensor by v_th first)")
        spikes = spikes.astype(np.int64)
    spikes = spikes.astype(np.int64)
    if spikes.min(initial=0) < 0 or spikes.max(initial=0) > 2**s_bits - 1:
        raise ValueError(f"spike levels must lie in [0, {2**s_bits - 1}] for S={s_bits}")
    return spikes


# ----------------------------------------------------------------------------- build cache
@dataclass(frozen=True)
class Build:
    top: str
    variant: str
    params: tuple[tuple[str, int], ...]
    directory: Path

    @property
    def executable(self) -> Path:
        return self.directory / "tb"


def _source_digest(top: str, variant: str, params: dict[str, int], version: str) -> str:
    h = hashlib.sha256()
    for name in RTL_FILES:
        h.update(name.encode() + (RTL_DIR / name).read_bytes())
    for name in (TESTBENCH[top], "tb_common.h"):
        h.update(name.encode() + (TB_DIR / name).read_bytes())
    h.update(repr((top, variant, sorted(params.items()), version, _BUILD_FLAGS, _OPT[variant], _MAKE_VARS)).encode())
    return h.hexdigest()[:12]


_BUILD_FLAGS = ("--x-assign", "fast", "--x-initial", "fast", "-O3", "-Wno-fatal")
# C++ optimisation per variant. "fast" and "trace" (the neuron of benchmarks/bench_sim.py)
# keep -O2 for throughput; "check" and "coverage" simulate a few thousand cycles, so their build
# dominates and -O0 compiles 2.5x faster than -O2 (outputs and toggle counts do not depend on it).
_OPT = {"fast": "-O2", "check": "-O0", "trace": "-O2", "coverage": "-O0"}
# VM_PARALLEL_BUILDS=0: the model is compiled as one file (Vtop__ALL.cpp), without the two
# precompiled headers a split build makes first (most of a small model's build). The wheel's
# verilated.mk leaves CFG_CXXFLAGS_PCH_I empty, which breaks split builds if one is ever made:
# name gcc's flag.
_MAKE_VARS = ("VM_PARALLEL_BUILDS=0", "OPT_FAST=-O2", "OPT_SLOW=-O1", "OPT_GLOBAL=-O1", "CFG_CXXFLAGS_PCH_I=-include")
# Verilator's runtime (verilated*.cpp) does not depend on the design: compile it
# once per variant and copy the objects into later builds (saves most of a build).
_RUNTIME_GLOB = "verilated*.[od]"


def _reuse_runtime(runtime: Path, obj: Path) -> None:
    """Copy the runtime objects into ``obj``, newer than the Vtop.mk that Verilator just wrote.

    verilated.mk makes the runtime objects depend on ``Vtop.mk`` (compiler options may have
    changed); ours are keyed by everything that sets those options, so they are touched to
    count as up to date (a copy with its old time stamp would be rebuilt every time).
    """
    if runtime.is_dir():
        for f in runtime.glob(_RUNTIME_GLOB):
            shutil.copyfile(f, obj / f.name)
            os.utime(obj / f.name)


def _save_runtime(runtime: Path, obj: Path) -> None:
    if runtime.is_dir():
        return
    tmp = Path(tempfile.mkdtemp(prefix=".runtime-", dir=runtime.parent))
    for f in obj.glob(_RUNTIME_GLOB):
        shutil.copy2(f, tmp / f.name)
    try:
        os.replace(tmp, runtime)
    except OSError:  # saved concurrently by another build
        shutil.rmtree(tmp, ignore_errors=True)


def build(
    top: str,
    params: dict[str, int],
    variant: str = "fast",
    build_dir: Path | None = None,
    defines: dict[str, int] | None = None,
) -> Build:
    """Verilate and compile ``top`` with ``params`` (cached; see the module docstring)."""
    if top not in TESTBENCH:
        raise ValueError(f"unknown RTL top {top!r}: use one of {sorted(TESTBENCH)}")
    if variant not in VARIANTS:
        raise ValueError(f"unknown build variant {variant!r}: use one of {VARIANTS}")
    check_build_tools()
    verilator = find_verilator()
    build_dir = Path(build_dir or DEFAULT_BUILD_DIR).resolve()
    defines = dict(defines or params)
    key = _source_digest(top, variant, {**params, **{f"D_{k}": v for k, v in defines.items()}}, str(verilator.root))
    target = build_dir / f"{top}-{variant}-{key}"
    result = Build(top, variant, tuple(sorted(params.items())), target.resolve())
    if result.executable.exists():
        return result
    build_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{top}-{variant}-", dir=build_dir))
    cflags = " ".join([_OPT[variant], f"-I{TB_DIR}"] + [f"-D{k}={v}" for k, v in defines.items()])
    cmd = [
        str(verilator.executable),
        "--cc",
        "--exe",
        "--top-module",
        top,
        "--prefix",
        "Vtop",
        "--Mdir",
        str(work / "obj"),
        "-o",
        str(work / "tb"),
        *_BUILD_FLAGS,
        "-CFLAGS",
        cflags,
        *[f"-G{k}={v}" for k, v in params.items()],
    ]
    if variant == "trace":
        cmd.append("--trace")
    elif variant == "coverage":
        cmd += ["--coverage-toggle", "--coverage-max-width", "4096"]
    cmd += [str(RTL_DIR / f) for f in RTL_FILES] + [str(TB_DIR / TESTBENCH[top])]
    make = ["make", "-C", str(work / "obj"), "-f", "Vtop.mk", "-j", "2", *_MAKE_VARS]
    runtime = (
        build_dir
        / f"runtime-{variant}-{hashlib.sha256(repr((str(verilator.root), _MAKE_VARS, variant, _OPT[variant])).encode()).hexdigest()[:8]}"
    )
    log = work / "build.log"
    try:
        run_logged(cmd, work / "verilate.log", cwd=work, env=verilator.env(), what=f"Verilator of {top}")
        _reuse_runtime(runtime, work / "obj")
        run_logged(make, log, cwd=work, env=verilator.env(), what=f"C++ build of {top}")
    except ToolError as err:
        failed = build_dir / f"{target.name}.failed"
        shutil.rmtree(failed, ignore_errors=True)
        os.replace(work, failed)  # keep the logs for the user, never under the cache name
        raise ToolError(f"build of {top} failed", failed / err.log.name) from None
    _save_runtime(runtime, work / "obj")
    shutil.rmtree(work / "obj", ignore_errors=True)  # the executable is all a cached build needs
    try:
        os.replace(work, target)
    except OSError:  # another process finished the same build first
        shutil.rmtree(work, ignore_errors=True)
    return result


def run_testbench(
    b: Build, stimulus: np.ndarray, vcd: Path | None = None, coverage: Path | None = None
) -> tuple[np.ndarray, dict[str, float]]:
    """Run a built testbench on an int64 stimulus; returns (int64 outputs, stats)."""
    with tempfile.TemporaryDirectory(prefix="qsnn-sim-") as tmp:
        tmp = Path(tmp)
        np.asarray(stimulus, dtype="<i8").tofile(tmp / "stim.bin")
        cmd = [
            str(b.executable),
            str(tmp / "stim.bin"),
            str(tmp / "out.bin"),
            str(tmp / "stats.txt"),
            str(vcd) if vcd else "-",
            str(coverage) if coverage else "-",
        ]
        log = tmp / "run.log"
        try:
            run_logged(cmd, log, what=f"testbench {b.top}")
        except ToolError:
            kept = b.directory.parent / f"{b.directory.name}.run.log"
            shutil.copy(log, kept)
            raise ToolError(f"testbench {b.top} failed", kept) from None
        out = np.fromfile(tmp / "out.bin", dtype="<i8")
        stats = {}
        for line in (tmp / "stats.txt").read_text().splitlines():
            key, value = line.split()
            stats[key] = float(value)
    return out, stats


# ----------------------------------------------------------------------------- results
@dataclass
class NeuronSimResult:
    levels: np.ndarray  # [T, N]
    membrane: np.ndarray  # [T, N], after reset
    cycles: int
    sim_seconds: float
    acc_w: int


@dataclass
class SimResult:
    """Outputs and cycle counts of a tile or pipeline simulation."""

    outputs: np.ndarray  # spike levels [T, N, out]
    cycles: int  # load_cycles + stream_cycles
    load_cycles: int  # weight memory writes
    stream_cycles: int  # first input beat to last output beat (all passes)
    sim_seconds: float  # wall time of the C++ simulation loop
    acc_w: int
    params: dict[str, int] = field(default_factory=dict)
    passes: int = 1
    stall_cycles: int = 0

    @property
    def cycles_per_second(self) -> float:
        return self.stream_cycles / self.sim_seconds if self.sim_seconds > 0 else float("inf")


# ----------------------------------------------------------------------------- neuron
def simulate_neuron(
    psum: np.ndarray,
    v_th: int,
    s_bits: int,
    leak_shift: int = 1,
    reset: str = "hard",
    v_reset: int = 0,
    acc_w: int | None = None,
    gap_permille: int = 0,
    seed: int = 0,
    vcd: Path | None = None,
    build_dir: Path | None = None,
) -> NeuronSimResult:
    """Simulate ``qsnn_neuron`` on ``psum[T, N]`` (N samples of T steps each)."""
    check_wst(s_bits=s_bits)
    psum = np.asarray(psum, dtype=np.int64)
    if psum.ndim == 1:
        psum = psum[:, None]
    if psum.ndim != 2:
        raise ValueError(f"psum must be [T, N], got shape {psum.shape}")
    T, N = psum.shape
    check_wst(T=T)
    reset_hard, v_th = check_reset(reset), check_v_th(v_th)
    # |v| <= 2*max|psum| + |v_reset| bounds the membrane (the leak halves it each step).
    peak = 2 * int(np.abs(psum).max(initial=0)) + abs(v_reset) + 1
    acc_w = choose_acc_w(bits_for(max(peak, v_th)), acc_w, minimum=s_bits + 2)
    _check_range("leak_shift", leak_shift, 0, acc_w - 1, "the leak is v >>> leak_shift")
    params = {"S": s_bits, "ACC_W": acc_w, "LEAK_SHIFT": leak_shift, "RESET_HARD": reset_hard, "V_RESET": v_reset}
    b = build("qsnn_neuron", params, variant="trace", build_dir=build_dir, defines={"ACC_W": acc_w})
    stim = np.concatenate([[N, T, v_th, gap_permille, seed], psum.T.reshape(-1)])
    out, stats = run_testbench(b, stim, vcd=vcd)
    pairs = out.reshape(N, T, 2)
    return NeuronSimResult(
        pairs[..., 0].T.copy(), pairs[..., 1].T.copy(), int(stats["cycles"]), stats["sim_seconds"], acc_w
    )


# ----------------------------------------------------------------------------- tile
@dataclass(frozen=True)
class TileConfig:
    w_bits: int
    s_bits: int
    rows: int
    cols: int
    chunks: int
    acc_w: int
    leak_shift: int = 1
    reset: str = "hard"
    v_reset: int = 0

    def params(self) -> dict[str, int]:
        return {
            "W": self.w_bits,
            "S": self.s_bits,
            "ROWS": self.rows,
            "COLS": self.cols,
            "CHUNKS": self.chunks,
            "ACC_W": self.acc_w,
            "LEAK_SHIFT": self.leak_shift,
            "RESET_HARD": check_reset(self.reset),
            "V_RESET": self.v_reset,
        }

    def defines(self) -> dict[str, int]:
        """The parameters the C++ testbench needs at compile time (its stimulus layout)."""
        return {k: v for k, v in self.params().items() if k in ("W", "S", "ROWS", "COLS", "CHUNKS", "ACC_W")}


def _layer_acc_bits(codes: np.ndarray, spikes: np.ndarray, v_th: int, v_reset: int) -> int:
    """Accumulator bits that no partial sum, P_sum or membrane of this layer can overflow."""
    flat = spikes.reshape(-1, spikes.shape[-1])
    partial = int((np.abs(flat) @ np.abs(codes).T).max(initial=0))  # any prefix of a row sum
    return bits_for(max(2 * partial + abs(v_reset) + 1, v_th))


def _check_layer(codes: np.ndarray, spikes: np.ndarray, w_bits: int, s_bits: int) -> tuple[np.ndarray, np.ndarray]:
    check_wst(w_bits, s_bits)
    codes = np.asarray(codes, dtype=np.int64)
    spikes = np.asarray(spikes)
    if codes.ndim != 2:
        raise ValueError(f"weight codes must be [out, in], got shape {codes.shape}")
    if spikes.ndim != 3 or spikes.shape[-1] != codes.shape[1]:
        raise ValueError(f"spikes must be [T, N, in={codes.shape[1]}], got shape {spikes.shape}")
    check_wst(T=spikes.shape[0])
    rtl_weight_field(codes, w_bits)
    return codes, check_spikes(spikes, s_bits)


def simulate_tile(
    codes: np.ndarray,
    spikes: np.ndarray,
    w_bits: int,
    s_bits: int,
    v_th: int,
    rows: int = 8,
    cols: int = 8,
    chunks: int | None = None,
    leak_shift: int = 1,
    reset: str = "hard",
    v_reset: int = 0,
    acc_w: int | None = None,
    gap_permille: int = 0,
    seed: int = 0,
    variant: str = "fast",
    vcd: Path | None = None,
    coverage: Path | None = None,
    build_dir: Path | None = None,
) -> SimResult:
    """Simulate one layer on ``qsnn_layer_tile`` (schedule in the module docstring).

    ``chunks`` (beats per step) defaults to ``ceil(in / cols)``; a larger value
    pads the fan-in with zero spikes, so one build serves several layers.
    """
    codes, spikes = _check_layer(codes, spikes, w_bits, s_bits)
    n_out, n_in = codes.shape
    T, N, _ = spikes.shape
    rows = _check_range("rows", rows, 1, 4096, "neurons per tile")
    cols = _check_range("cols", cols, 1, 4096, "inputs per beat")
    need = math.ceil(n_in / cols)
    chunks = (
        need if chunks is None else _check_range("chunks", chunks, need, 1 << 20, f"at least ceil(in/cols) = {need}")
    )
    check_reset(reset)
    v_th = check_v_th(v_th)
    acc_w = choose_acc_w(_layer_acc_bits(codes, spikes, v_th, v_reset), acc_w, minimum=w_bits + s_bits + 3)
    _check_range("leak_shift", leak_shift, 0, acc_w - 1, "the leak is v >>> leak_shift")
    cfg = TileConfig(w_bits, s_bits, rows, cols, chunks, acc_w, leak_shift, reset, v_reset)
    b = build("qsnn_layer_tile", cfg.params(), variant=variant, build_dir=build_dir, defines=cfg.defines())

    width = chunks * cols
    field_codes = np.zeros((math.ceil(n_out / rows) * rows, width), dtype=np.int64)
    field_codes[:n_out, :n_in] = rtl_weight_field(codes, w_bits)
    # Padding inputs carry zero spikes, so their weight never matters (W=1's code 0 = -1 included);
    # padding rows are discarded.
    padded = np.zeros((N, T, width), dtype=np.int64)
    padded[:, :, :n_in] = spikes.transpose(1, 0, 2)
    passes = field_codes.shape[0] // rows
    parts: list[np.ndarray] = [np.array([passes, v_th, gap_permille, seed])]
    for p in range(passes):
        block = field_codes[p * rows : (p + 1) * rows].reshape(rows, chunks, cols).transpose(1, 0, 2)
        parts += [block.reshape(-1), np.array([N, T]), padded.reshape(-1)]
    out, stats = run_testbench(b, np.concatenate(parts), vcd=vcd, coverage=coverage)
    levels = out.reshape(passes, N, T, rows).transpose(2, 1, 0, 3).reshape(T, N, passes * rows)[:, :, :n_out]
    return SimResult(
        levels.copy(),
        int(stats["cycles"]),
        int(stats["load_cycles"]),
        int(stats["stream_cycles"]),
        stats["sim_seconds"],
        acc_w,
        cfg.params(),
        passes,
    )


# ----------------------------------------------------------------------------- pipeline
def simulate_pipeline(
    codes_list: list[np.ndarray],
    spikes: np.ndarray,
    w_bits: int,
    s_bits: int,
    v_th: int,
    cols: tuple[int, int, int] = (8, 4, 4),
    leak_shift: int = 1,
    reset: str = "hard",
    acc_w: int | None = None,
    gap_permille: int = 0,
    seed: int = 0,
    variant: str = "fast",
    vcd: Path | None = None,
    build_dir: Path | None = None,
) -> SimResult:
    """Simulate three chained fully connected layers on ``qsnn_pipeline``.

    ``codes_list`` = [codes1 [n1, in], codes2 [n2, n1], codes3 [n3, n2]];
    ``cols[l]`` inputs per beat of layer l; ``cols[1]`` must divide n1 and
    ``cols[2]`` must divide n2 (whole beats). Layer 1's fan-in is zero-padded
    to a multiple of ``cols[0]``.
    """
    if len(codes_list) != 3:
        raise ValueError(f"qsnn_pipeline has exactly 3 layers; got {len(codes_list)} weight matrices")
    check_wst(w_bits, s_bits)
    codes = [np.asarray(c, dtype=np.int64) for c in codes_list]
    codes[0], spikes = _check_layer(codes[0], spikes, w_bits, s_bits)
    for l in (1, 2):
        if codes[l].ndim != 2 or codes[l].shape[1] != codes[l - 1].shape[0]:
            raise ValueError(f"layer {l + 1} weights must be [out, {codes[l - 1].shape[0]}], got {codes[l].shape}")
        rtl_weight_field(codes[l], w_bits)
    c1, c2, c3 = (_check_range(f"cols[{i}]", c, 1, 4096, "inputs per beat") for i, c in enumerate(cols))
    n1, n2, n3 = (c.shape[0] for c in codes)
    if n1 % c2 or n2 % c3:
        raise ValueError(f"cols[1]={c2} must divide {n1} and cols[2]={c3} must divide {n2} (whole beats per step)")
    reset_hard, v_th = check_reset(reset), check_v_th(v_th)
    # Worst case over layers: hidden spikes are at most 2**S - 1.
    top = 2**s_bits - 1
    hidden = [int(np.abs(c).sum(1).max(initial=0)) * top for c in codes[1:]]
    need = max(_layer_acc_bits(codes[0], spikes, v_th, 0), *(bits_for(2 * h + 1) for h in hidden))
    acc_w = choose_acc_w(need, acc_w, minimum=w_bits + s_bits + 3)
    T, N, n_in = spikes.shape
    chunks1 = math.ceil(n_in / c1)
    wd = max(n1 * c1, n2 * c2, n3 * c3) * w_bits
    params = {
        "W": w_bits,
        "S": s_bits,
        "ACC_W": acc_w,
        "LEAK_SHIFT": leak_shift,
        "RESET_HARD": reset_hard,
        "COLS1": c1,
        "CHUNKS1": chunks1,
        "ROWS1": n1,
        "COLS2": c2,
        "ROWS2": n2,
        "COLS3": c3,
        "ROWS3": n3,
        "WD": wd,
        "AWMAX": max(1, math.ceil(math.log2(max(chunks1, n1 // c2, n2 // c3, 2)))),
    }
    defines = {
        k: params[k] for k in ("W", "S", "ACC_W", "COLS1", "CHUNKS1", "ROWS1", "COLS2", "ROWS2", "COLS3", "ROWS3")
    }
    b = build("qsnn_pipeline", params, variant=variant, build_dir=build_dir, defines=defines)

    def blocks(c: np.ndarray, cols_l: int) -> np.ndarray:
        rows_l, fan_in = c.shape
        ch = math.ceil(fan_in / cols_l)
        padded = np.zeros((rows_l, ch * cols_l), dtype=np.int64)
        padded[:, :fan_in] = rtl_weight_field(c, w_bits)
        return padded.reshape(rows_l, ch, cols_l).transpose(1, 0, 2).reshape(-1)

    padded = np.zeros((N, T, chunks1 * c1), dtype=np.int64)
    padded[:, :, :n_in] = spikes.transpose(1, 0, 2)
    stim = np.concatenate(
        [
            [v_th, gap_permille, seed, N, T],
            blocks(codes[0], c1),
            blocks(codes[1], c2),
            blocks(codes[2], c3),
            padded.reshape(-1),
        ]
    )
    out, stats = run_testbench(b, stim, vcd=vcd)
    levels = out.reshape(N, T, n3).transpose(1, 0, 2)
    return SimResult(
        levels.copy(),
        int(stats["cycles"]),
        int(stats["load_cycles"]),
        int(stats["stream_cycles"]),
        stats["sim_seconds"],
        acc_w,
        params,
        1,
        int(stats["stall_cycles"]),
    )
