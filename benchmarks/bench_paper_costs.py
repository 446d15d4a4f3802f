"""Benchmark: `qsnn paper-costs` for every row of Tables 1, 2 and 5 (target: < 60 s on 2 cores).

Run by hand: ``python benchmarks/bench_paper_costs.py [--repeat 3]``. Reports the
median wall time of the whole computation (fresh trace cache each run, as the CLI
does) and the time of the cold first run, which includes torch's import-time warm-up.
Timings on a shared machine are inflated by the other processes running there.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

TARGET_S = 60.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    from qsnn.metrics.paper import paper_costs

    times = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        table = paper_costs()
        times.append(time.perf_counter() - start)
    median = statistics.median(times)
    print(f"paper-costs: {len(table)} rows, cold {times[0]:.2f} s, median of {args.repeat} {median:.2f} s "
          f"({args.threads} threads); target < {TARGET_S:.0f} s: {'met' if times[0] < TARGET_S else 'MISSED'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
