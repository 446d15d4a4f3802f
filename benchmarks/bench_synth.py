"""Performance targets of issue 5 for synthesis (run by hand, never in CI).

    python benchmarks/bench_synth.py one      # one configuration, fresh cache: target <= 10 s
    python benchmarks/bench_synth.py sweep    # the whole sweep on 2 workers, fresh cache: target <= 5 min
    python benchmarks/bench_synth.py cached   # the sweep again on the default cache: only cache hits

Timings on a shared machine are inflated by contention: report the load average with them.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

from qsnn.hardware import synth


def bench_one(cache: Path) -> None:
    for family in ("xcup", "ecp5"):
        cfg = synth.SynthConfig(family, "dsp", 8, 2)
        start = time.perf_counter()
        result = synth.synthesize(cfg, synth.SynthSetup(cache_dir=cache))
        print(
            f"{cfg.slug}: {time.perf_counter() - start:.1f} s wall (yosys {result.synth_seconds:.1f} s, "
            f"nextpnr {result.pnr_seconds or 0:.1f} s), target <= 10 s for synthesis"
        )


def bench_sweep(cache: Path | None) -> None:
    setup = synth.SynthSetup(cache_dir=cache) if cache else synth.SynthSetup()
    outcome = synth.run_sweep(synth.sweep_configs(), setup, jobs=2)
    fresh = [r for r in outcome.results if not r.cached]
    print(
        f"{len(outcome.results)} configurations ({len(fresh)} synthesized) in {outcome.seconds:.1f} s "
        f"on 2 workers, {len(outcome.failures)} failures; target <= 300 s"
    )
    if fresh:
        per = sorted(r.synth_seconds for r in fresh)
        print(f"yosys seconds per configuration: median {per[len(per) // 2]:.1f}, max {per[-1]:.1f}")


def main(argv: list[str]) -> int:
    what = argv[1] if len(argv) > 1 else "one"
    print(f"load average: {os.getloadavg()}")
    if what == "cached":
        bench_sweep(None)
        return 0
    with tempfile.TemporaryDirectory(prefix="bench-synth-") as tmp:
        (bench_one if what == "one" else bench_sweep)(Path(tmp))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
