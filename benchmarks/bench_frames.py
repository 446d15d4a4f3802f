"""Event binning and cached reads: ours (one np.bincount) vs tonic's ToFrame, as EventFrames used it.

Run by hand: ``python benchmarks/bench_frames.py [--events 300000] [--repeats 7]``.
A synthetic CIFAR10-DVS-like recording (128x128 sensor, 1.3 s, time-sorted, tonic's CIFAR10DVS
dtype), binned into T frames at 48x48 (after tonic's Downsample, which both paths share), timed
as the median of several runs. Target: ours >= 10x faster, frames identical. The last part times
one epoch of reads from a frame cache (what training pays per epoch once the cache exists).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from qsnn.data.frames import bin_events, cached_frames, tonic_event_frames
from qsnn.data.neuromorphic import RESIZED, CachedFrameDataset, frame_transform

SENSOR = (128, 128, 2)
CIFAR10DVS_DTYPE = np.dtype([("t", np.uint64), ("x", np.uint16), ("y", np.uint16), ("p", bool)])


def recording(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    events = np.empty(n, dtype=CIFAR10DVS_DTYPE)
    events["t"] = np.sort(rng.integers(0, 1_300_000, n))
    events["x"], events["y"] = rng.integers(0, 128, n), rng.integers(0, 128, n)
    events["p"] = rng.integers(0, 2, n).astype(bool)
    return events


def median_ms(fn, repeats: int) -> float:
    fn()  # warm-up: imports, page faults
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def bench_binning(events: np.ndarray, T: int, repeats: int) -> None:
    import tonic.transforms as tt

    resized = tt.Downsample(sensor_size=SENSOR, target_size=RESIZED)(events)
    frame_size = (*RESIZED, 2)
    ours, theirs = bin_events(resized, frame_size, T), tonic_event_frames(resized, frame_size, T)
    assert np.array_equal(ours, theirs) and ours.sum() == len(events), "frames differ from tonic's"
    ms_ours = median_ms(lambda: bin_events(resized, frame_size, T), repeats)
    ms_tonic = median_ms(lambda: tonic_event_frames(resized, frame_size, T), repeats)
    downsample = tt.Downsample(sensor_size=SENSOR, target_size=RESIZED)
    full_ours = median_ms(lambda: frame_transform(SENSOR, T)(events), repeats)
    full_tonic = median_ms(lambda: tonic_event_frames(downsample(events), frame_size, T), repeats)
    print(
        f"T={T:2d}  binning: ours {ms_ours:5.2f} ms  tonic ToFrame {ms_tonic:6.2f} ms  "
        f"ratio {ms_tonic / ms_ours:5.1f}x  | with Downsample: ours {full_ours:5.2f} ms  "
        f"tonic {full_tonic:6.2f} ms  ratio {full_tonic / full_ours:4.1f}x  (identical frames: yes)"
    )


def bench_cached_epoch(n: int, T: int, repeats: int) -> None:
    rng = np.random.default_rng(0)
    shape = (n, T, 2, *RESIZED[::-1])
    with tempfile.TemporaryDirectory() as tmp:
        path = cached_frames(Path(tmp), f"bench-T{T}", {"bench": True}, shape, lambda i: rng.poisson(3, shape[1:]))
        ds = CachedFrameDataset(path, [0] * n)
        ms = median_ms(lambda: [ds[i] for i in range(n)], max(1, repeats // 3))
    print(
        f"T={T:2d}  cached read: {1000 * ms / n:6.1f} us/sample, {ms / 1000 * 10_000 / n:5.2f} s per "
        f"10,000-recording epoch (CIFAR10-DVS size; one process, warm page cache)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=300_000)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--cached-samples", type=int, default=2000)
    args = parser.parse_args()
    events = recording(args.events)
    print(f"{args.events} events, 128x128 -> {RESIZED[0]}x{RESIZED[1]}, median of {args.repeats} runs")
    for T in (1, 4, 16):
        bench_binning(events, T, args.repeats)
    for T in (4, 16):
        bench_cached_epoch(args.cached_samples, T, args.repeats)


if __name__ == "__main__":
    main()
