"""``digits-dvs``: an offline neuromorphic stand-in made by an emulated DVS watching the digits.

The generator follows the saccade method of Orchard et al. 2015 (paper ref. [26], the method
behind N-MNIST and N-Caltech101), reduced to an 8x8 sensor:

1. **Saccades.** The static image (sklearn digit, grey levels scaled to [0, 1]) is moved along
   three straight saccades that form a triangle, ``(0,0) -> (A/2, A) -> (A, 0) -> (0,0)`` pixels
   (A = ``amplitude_px``, the path centred on its centroid so the digit stays in view), each
   lasting ``saccade_ms`` (Orchard: three ~100 ms saccades).
2. **Rendering.** Each saccade is sampled ``steps_per_saccade`` times (finer than any frame
   binning), and the moving image is rendered with sub-pixel bilinear shifts; outside the image is
   black (zero intensity), like the dark screen border in Orchard's set-up.
3. **Pixel model.** Log intensity ``log(I + log_eps)`` per pixel. Each pixel keeps a reference
   level, initialised to the static image before the motion starts (the sensor has adapted). When
   the log intensity has risen (fallen) by ``n`` whole ON (OFF) thresholds since the reference,
   the pixel emits ``n`` ON (OFF) events and its reference moves by ``n`` thresholds. Thresholds
   are ``threshold * (1 + mismatch * N(0,1))`` per pixel and polarity, drawn once from the seed
   (one emulated sensor records every digit: fixed-pattern mismatch, as in a real DVS).
4. **Timestamps.** An event found at render step ``k`` gets a time drawn uniformly inside that
   step's interval (microseconds, from the seed), so all times lie in ``[0, 3 * saccade_ms)``.

Events are stored in tonic's structured event dtype (``tonic.io.make_structured_array``: fields
x, y, t, p), sensor size ``(8, 8, 2)``, and pass through the same
:class:`qsnn.data.neuromorphic.EventFrames` (one ``np.bincount``, :mod:`qsnn.data.frames`) as the
real sets, giving ``[T, 2, 8, 8]`` float32 event counts. Two choices differ from the real sets,
on purpose: no 48x48 resize (upsampling an 8x8 sensor would only add empty pixels; the tiny
models take 8x8), and the frame time axis is the fixed saccade span ``[0, 3 * saccade_ms)``
rather than each stream's first-to-last event, so at T=3 each frame is one saccade.

Generation is deterministic from the seed and vectorised with numpy (all 1797 digits in a few
seconds); the result is cached atomically in ``ROOT/cache/digits-dvs/`` as an ``.npz`` whose name
carries the seed and a hash of the configuration, and regenerated if missing. The split is the
one of ``digits`` (stratified, seed 0, 1437 train / 360 test). Accuracies on this set are
stand-in numbers, never paper numbers.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from qsnn.data.neuromorphic import EventFrames
from qsnn.io import atomic_write_npz

SENSOR_SIZE = (8, 8, 2)
PAD = 2  # pixels of black border for sub-pixel shifts (|shift| < 1 px)


@dataclass(frozen=True)
class SaccadeSensorConfig:
    saccade_ms: float = 100.0
    amplitude_px: float = 1.0
    steps_per_saccade: int = 50
    threshold: float = 0.15  # log-intensity contrast threshold (~15 %, typical for a DVS)
    mismatch: float = 0.05  # relative std of the per-pixel thresholds
    log_eps: float = 0.1  # keeps log() finite on black pixels

    def total_us(self) -> int:
        return int(round(3 * self.saccade_ms * 1000))

    def key(self) -> str:
        return hashlib.sha256(json.dumps(asdict(self), sort_keys=True).encode()).hexdigest()[:10]


def saccade_path(cfg: SaccadeSensorConfig) -> np.ndarray:
    """Image offsets ``[3*steps + 1, 2]`` (dx, dy) in pixels along the triangle."""
    a = cfg.amplitude_px
    vertices = np.array([[0.0, 0.0], [a / 2, a], [a, 0.0], [0.0, 0.0]])
    vertices -= vertices[:3].mean(axis=0)
    s = cfg.steps_per_saccade
    frac = np.arange(s) / s
    legs = [vertices[i] + frac[:, None] * (vertices[i + 1] - vertices[i]) for i in range(3)]
    return np.concatenate(legs + [vertices[3:4]])


def render_shifted(padded: np.ndarray, dx: float, dy: float, size: int = 8) -> np.ndarray:
    """Bilinear sub-pixel shift of padded images ``[N, size+2P, size+2P]`` -> ``[N, size, size]``."""
    sx, sy = -dx, -dy  # output pixel (y, x) shows source point (y + sy, x + sx)
    fx, fy = int(np.floor(sx)), int(np.floor(sy))
    ax, ay = sx - fx, sy - fy

    def window(oy: int, ox: int) -> np.ndarray:
        y0, x0 = PAD + fy + oy, PAD + fx + ox
        return padded[:, y0 : y0 + size, x0 : x0 + size]

    return (
        (1 - ay) * (1 - ax) * window(0, 0)
        + (1 - ay) * ax * window(0, 1)
        + ay * (1 - ax) * window(1, 0)
        + ay * ax * window(1, 1)
    )


def generate_events(images: np.ndarray, seed: int, cfg: SaccadeSensorConfig = SaccadeSensorConfig()):
    """Emulate the DVS for ``images`` ``[N, 8, 8]`` in [0, 1].

    Returns ``(events, offsets)``: one structured array (tonic dtype) sorted by sample then time,
    and ``offsets [N+1]`` so that sample i is ``events[offsets[i]:offsets[i+1]]``.
    """
    from tonic.io import make_structured_array

    rng = np.random.default_rng(seed)
    n, size, _ = images.shape
    padded = np.pad(images.astype(np.float64), ((0, 0), (PAD, PAD), (PAD, PAD)))
    thresholds = cfg.threshold * (1 + cfg.mismatch * rng.standard_normal((2, size * size)))
    thresholds = np.maximum(thresholds, 0.2 * cfg.threshold)  # a pixel never fires on noise alone
    path = saccade_path(cfg)
    reference = np.log(render_shifted(padded, *path[0], size).reshape(n, -1) + cfg.log_eps)
    found = []  # (step, sample, pixel, polarity, count)
    for step in range(1, len(path)):
        level = np.log(render_shifted(padded, *path[step], size).reshape(n, -1) + cfg.log_eps)
        delta = level - reference
        n_on = np.floor(np.maximum(delta, 0) / thresholds[1]).astype(np.int64)
        n_off = np.floor(np.maximum(-delta, 0) / thresholds[0]).astype(np.int64)
        reference += n_on * thresholds[1] - n_off * thresholds[0]
        for polarity, counts in ((1, n_on), (0, n_off)):
            sample, pixel = np.nonzero(counts)
            found.append(
                (np.full(len(sample), step), sample, pixel, np.full(len(sample), polarity), counts[sample, pixel])
            )
    step, sample, pixel, polarity, count = (np.concatenate(col) for col in zip(*found))
    step, sample, pixel, polarity = (np.repeat(a, count) for a in (step, sample, pixel, polarity))
    dt_us = cfg.total_us() / (len(path) - 1)
    t = np.floor((step - 1 + rng.random(len(step))) * dt_us).astype(np.int64)
    order = np.lexsort((t, sample))
    events = make_structured_array(pixel[order] % size, pixel[order] // size, t[order], polarity[order].astype(bool))
    offsets = np.searchsorted(sample[order], np.arange(n + 1))
    return events, offsets


def cache_path(root: Path, seed: int, cfg: SaccadeSensorConfig) -> Path:
    return Path(root) / "cache" / "digits-dvs" / f"events-seed{seed}-{cfg.key()}.npz"


def load_or_generate(root: Path, seed: int = 0, cfg: SaccadeSensorConfig = SaccadeSensorConfig()):
    """Events, offsets and labels of all 1797 digits, from the cache or freshly generated."""
    path = cache_path(root, seed, cfg)
    if path.exists():
        with np.load(path) as z:
            return z["events"], z["offsets"], z["labels"]
    from sklearn.datasets import load_digits  # only when generating: the import alone takes ~1.5 s

    bunch = load_digits()
    events, offsets = generate_events(bunch.images / 16.0, seed, cfg)
    labels = bunch.target.astype(np.int64)
    config = json.dumps({"seed": seed, **asdict(cfg)})
    # One atomic writer for every cache (qsnn.io): a kill never leaves a half file under the name.
    atomic_write_npz(path, events=events, offsets=offsets, labels=labels, config=config)
    return events, offsets, labels


class DigitsDVS(Dataset):
    """``(frames [T, 2, 8, 8] float32, label)`` for the digits split ``split``."""

    def __init__(
        self,
        split: str,
        T: int,
        root: Path = Path("data"),
        seed: int = 0,
        cfg: SaccadeSensorConfig = SaccadeSensorConfig(),
    ):
        from qsnn.data.static import digits_split

        self.events, self.offsets, labels = load_or_generate(root, seed, cfg)
        train_idx, test_idx, _, _ = digits_split(root)
        self.indices = train_idx if split == "train" else test_idx
        self.labels = labels[self.indices]
        self.transform = EventFrames(SENSOR_SIZE, int(T), span=(0, cfg.total_us()))

    def __len__(self) -> int:
        return len(self.indices)

    def sample_events(self, i: int) -> np.ndarray:
        k = self.indices[i]
        return self.events[self.offsets[k] : self.offsets[k + 1]]

    def __getitem__(self, i: int):
        return torch.from_numpy(self.transform(self.sample_events(i))), int(self.labels[i])
