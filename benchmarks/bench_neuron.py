"""Benchmark: forward + backward of the multi-bit LIF neuron against SpikingJelly (issue 12, item 2).

    python benchmarks/bench_neuron.py [--threads 2] [--rounds 20] [--warmup 3]

Shape [T=4, B=32, C=128, H=16, W=16], float32, tau=2, hard reset to 0, ATan surrogate (alpha=2).
Every implementation runs once per round, in turn (the order rotates from round to round), in
this one process, so a busy machine slows them alike; the medians over the rounds are reported
with the load average. On a loaded machine, multi-threaded torch ops (OpenMP) slow down far more
than single-threaded ones, so compare with ``--threads 1`` too. Timed:

* ``ours S=1`` / ``ours S=4``: ``MultiBitLIF`` as the models use it (``kernel="auto"``: the
  fused numba loop on CPU when numba is importable);
* ``torch ops S=1`` / ``S=4``: the same neuron forced onto plain torch ops (``kernel="torch"``,
  what runs on a GPU or without numba);
* ``spikingjelly S=1``: SpikingJelly 2.0's multi-step ``LIFNode`` (torch backend,
  ``decay_input=False``, ``detach_reset=True``, ``surrogate.ATan(alpha=2)``), which is our S=1
  neuron; the script first checks that spikes and input gradients agree bit for bit.

Targets: ours >= 2x SpikingJelly at S=1; S=4 <= 1.1x S=1. The script installs nothing. To make
SpikingJelly importable without its heavy dependencies (one line, then point PYTHONPATH at it)::

    pip install --no-deps --target /tmp/sj spikingjelly==2.0.0 loguru
    PYTHONPATH=/tmp/sj python benchmarks/bench_neuron.py

Without it the SpikingJelly rows are skipped (and said so).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from typing import Callable

import torch

from qsnn.functional import choose_kernel
from qsnn.neurons import MultiBitLIF

SHAPE = (4, 32, 128, 16, 16)


def spikingjelly_lif():
    """SpikingJelly's LIFNode configured as our S=1 neuron, or None when it is not importable."""
    try:
        from spikingjelly.activation_based import neuron, surrogate
    except ImportError:
        return None
    return neuron.LIFNode(
        tau=2.0,
        decay_input=False,
        v_threshold=1.0,
        v_reset=0.0,
        surrogate_function=surrogate.ATan(alpha=2.0),
        detach_reset=True,
        step_mode="m",
    )


def fwd_bwd(
    run: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, grad: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    x.grad = None
    out = run(x)
    out.backward(grad)
    return out, x.grad


def check_against_spikingjelly(sj, x: torch.Tensor, grad: torch.Tensor) -> str:
    sj.reset()
    theirs, their_grad = fwd_bwd(sj, x, grad)
    ours, our_grad = fwd_bwd(MultiBitLIF(s_bits=1), x, grad)
    spikes_equal, grads_equal = torch.equal(ours, theirs), torch.equal(our_grad, their_grad)
    return (
        f"bit-exact vs SpikingJelly on {x.numel():,} elements: spikes {spikes_equal}, input gradients {grads_equal}"
        + ("" if grads_equal else f" (max |diff| {float((our_grad - their_grad).abs().max()):.3g})")
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=20, help="timed rounds; each runs every implementation once")
    parser.add_argument("--warmup", type=int, default=3)
    args = parser.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(args.threads)
    x = (torch.randn(SHAPE) * 1.5).requires_grad_(True)
    grad = torch.rand(SHAPE)

    runs: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {}
    for s_bits in (1, 4):
        runs[f"ours S={s_bits}"] = MultiBitLIF(s_bits=s_bits)
    for s_bits in (1, 4):
        neuron = MultiBitLIF(s_bits=s_bits)
        runs[f"torch ops S={s_bits}"] = lambda t, n=neuron: _torch_kernel(n, t)
    sj = spikingjelly_lif()
    if sj is not None:
        print(check_against_spikingjelly(sj, x, grad))
        runs["spikingjelly S=1"] = lambda t: (sj.reset(), sj(t))[1]
    else:
        print("spikingjelly is not importable: skipping the comparison (see this script's docstring)")

    load_before = os.getloadavg()
    samples: dict[str, list[float]] = {name: [] for name in runs}
    names = list(runs)
    for i in range(args.warmup + args.rounds):
        # rotate the order each round: a run right after an OpenMP op competes with its spinning threads
        for name in names[i % len(names) :] + names[: i % len(names)]:
            run = runs[name]
            start = time.perf_counter()
            fwd_bwd(run, x, grad)
            if i >= args.warmup:
                samples[name].append(time.perf_counter() - start)
    load_after = os.getloadavg()

    ms = {name: 1e3 * statistics.median(v) for name, v in samples.items()}
    print(
        f"forward+backward, shape {SHAPE}, float32, {args.threads} threads, median of {args.rounds} alternating "
        f"rounds; ours runs kernel '{choose_kernel(x.detach())}'; 1-min load average {load_before[0]:.1f} before, "
        f"{load_after[0]:.1f} after, on {os.cpu_count()} cores"
    )
    reference = ms.get("spikingjelly S=1")
    for name, value in ms.items():
        ratio = f"  SpikingJelly / this = {reference / value:.2f}x" if reference else ""
        print(f"  {name:18s} {value:8.2f} ms{ratio}")
    print(
        f"S=4 / S=1: ours {ms['ours S=4'] / ms['ours S=1']:.2f}, torch ops {ms['torch ops S=4'] / ms['torch ops S=1']:.2f}"
    )


def _torch_kernel(neuron: MultiBitLIF, x: torch.Tensor) -> torch.Tensor:
    from qsnn.functional import multistep_lif

    return multistep_lif(
        x,
        neuron.tau,
        neuron.v_th,
        neuron.v_reset,
        neuron.levels,
        neuron.surrogate_alpha,
        neuron.reset == "hard",
        kernel="torch",
    )


if __name__ == "__main__":
    main()
