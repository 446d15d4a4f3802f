"""Benchmark of the Verilator C++ testbenches (run by hand; never a timed test).

Targets (issue 5): throughput runs >= 1 M cycles/s; simulating a layer tile <= 30 s.

    python benchmarks/bench_sim.py [--build-dir results/hardware/build] [--cycles 2000000]

Reports, as JSON:
* ``tile_cycles_per_s``: streaming cycles per second of the C++ loop of a
  16x16 W=8/S=2 ``qsnn_layer_tile`` (fast build), on random stimuli;
* ``neuron_cycles_per_s``: the same for ``qsnn_neuron`` alone (trace build, tracing off);
* ``layer_tile_first_s`` / ``layer_tile_cached_s``: wall time of ``simulate_tile`` on a
  cifarnet-tiny-sized conv layer (16 x 144, 256 rows, T=2), with the build and cached;
* ``build_s``: the Verilator + C++ build of that tile.
Numbers measured on a shared machine are inflated by the load: say so when quoting them.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from qsnn.hardware.sim import simulate_neuron, simulate_tile


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--build-dir", type=Path, help="build cache (default: a fresh temporary folder, so the build is timed)"
    )
    parser.add_argument("--cycles", type=int, default=2_000_000, help="streaming cycles of the throughput runs")
    args = parser.parse_args()
    tmp = None
    if args.build_dir is None:
        tmp = Path(tempfile.mkdtemp(prefix="qsnn-bench-"))
    build_dir = args.build_dir or tmp
    rng = np.random.default_rng(0)
    report = {}

    # A cifarnet-tiny-sized conv layer: 16 outputs, fan-in 144, 256 (image, position) rows, T=2.
    codes = rng.integers(-127, 128, size=(16, 144))
    spikes = rng.integers(0, 4, size=(2, 256, 144))
    t0 = time.perf_counter()
    simulate_tile(codes, spikes, 8, 2, v_th=300, rows=16, cols=16, build_dir=build_dir)
    report["layer_tile_first_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    simulate_tile(codes, spikes, 8, 2, v_th=300, rows=16, cols=16, build_dir=build_dir)
    report["layer_tile_cached_s"] = time.perf_counter() - t0
    report["build_s"] = report["layer_tile_first_s"] - report["layer_tile_cached_s"]

    # Throughput: enough samples for --cycles streaming cycles (9 beats per step).
    n = max(1, args.cycles // (2 * 9))
    big = rng.integers(0, 4, size=(2, n, 144))
    result = simulate_tile(codes, big, 8, 2, v_th=300, rows=16, cols=16, build_dir=build_dir)
    report["tile_stream_cycles"] = result.stream_cycles
    report["tile_cycles_per_s"] = result.cycles_per_second

    psum = rng.integers(-100, 300, size=(4, max(1, args.cycles // 4)))
    neuron = simulate_neuron(psum, v_th=50, s_bits=2, acc_w=24, build_dir=build_dir)
    report["neuron_cycles_per_s"] = neuron.cycles / neuron.sim_seconds
    report["targets"] = {"cycles_per_s": ">= 1e6", "layer_tile_s": "<= 30"}
    print(json.dumps(report, indent=2))
    if tmp is not None:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
