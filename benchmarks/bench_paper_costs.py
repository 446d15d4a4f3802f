"""Benchmark: `qsnn paper-costs` for every published cost cell of Tables 1, 2 and 5 (target: < 60 s on 2 cores).

Run by hand: ``python benchmarks/bench_paper_costs.py [--repeat 3] [--audit]``. Reports the
median wall time of the whole computation (fresh trace cache each run, as the CLI
does: primary, paper-counter and real-synapse totals per row, then the per-cell
classification) and the time of the cold first run, which includes torch's import-time
warm-up. ``--audit`` also prints the ResNet MAC-base audit over every input side 200-224 px
(closed form, :mod:`qsnn.metrics.audit`). Timings on a shared machine are inflated by the
other processes running there.
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
    parser.add_argument("--audit", action="store_true", help="print the ResNet resolution scan too")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    from qsnn.metrics.paper import paper_costs

    times = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        table = paper_costs()
        times.append(time.perf_counter() - start)
    median = statistics.median(times)
    print(
        f"paper-costs: {len(table)} published cells, cold {times[0]:.2f} s, median of {args.repeat} {median:.2f} s "
        f"({args.threads} threads); target < {TARGET_S:.0f} s: {'met' if times[0] < TARGET_S else 'MISSED'}"
    )
    if args.audit:
        print_audit()
    return 0


def print_audit() -> None:
    from qsnn.metrics.audit import SCAN_SIZES, imagenet_resnet_macs

    for depth, published in ((34, 3.40e9), (50, 3.37e9)):
        print(f"ResNet-{depth}: MACs per image vs the paper's {published / 1e9:.2f} G")
        for size in SCAN_SIZES:
            macs = imagenet_resnet_macs(depth, size)
            print(f"  {size} px: {macs / 1e9:.4f} G ({100 * (macs / published - 1):+.2f} %)")


if __name__ == "__main__":
    raise SystemExit(main())
