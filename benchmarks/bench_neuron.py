"""Benchmark: forward + backward of the multi-bit LIF neuron (issue 2).

Shape [T=4, B=32, C=128, H=16, W=16], 2 threads, median of 10 runs after 3 warm-ups,
at S=1 and S=4. Run by hand: ``python benchmarks/bench_neuron.py``.
Reference on this machine (from the issue): SpikingJelly 2.0's multi-step LIFNode 25 ms
for S=1, a plain PyTorch loop 26 ms.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from qsnn.neurons import MultiBitLIF


def time_fwd_bwd(s_bits: int, shape: tuple[int, ...], warmup: int, repeats: int) -> float:
    neuron = MultiBitLIF(s_bits=s_bits)
    x = (torch.randn(shape) * 1.5).requires_grad_(True)
    grad = torch.ones(shape)
    samples = []
    for i in range(warmup + repeats):
        start = time.perf_counter()
        neuron(x).backward(grad)
        elapsed = time.perf_counter() - start
        x.grad = None
        if i >= warmup:
            samples.append(elapsed)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=3)
    args = parser.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(args.threads)
    shape = (4, 32, 128, 16, 16)
    for s_bits in (1, 4):
        ms = 1e3 * time_fwd_bwd(s_bits, shape, args.warmup, args.repeats)
        print(f"S={s_bits}: forward+backward median {ms:.1f} ms over {args.repeats} runs, {args.threads} threads, shape {shape}")


if __name__ == "__main__":
    main()
