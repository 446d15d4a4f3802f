"""``motion-dvs``: an offline stand-in for DVS128 Gesture whose classes *are* motions.

Why it exists. The saccade stand-in ``digits-dvs`` is faithful to CIFAR10-DVS and N-Caltech101
(static images moved in front of a sensor): there the class lives in the shape, and one frame
holding the whole recording (T=1) keeps most of it. In DVS128 Gesture the class is the movement
itself (which way a hand waves, which way an arm turns). This set keeps that property, so Table 3's
1/16/1 row (one frame, many spike bits) can lose exactly what defines some classes.

Classes (12; label = index), each one bright bar on a dark field, one sample = 240 ms:

====  ====================  =============================================================
 0    ``right``             a short bar translates left -> right (6-9 px)
 1    ``left``              ... right -> left
 2    ``down``              ... top -> bottom (image rows grow downwards)
 3    ``up``                ... bottom -> top
 4    ``cw``                a long bar turns clockwise by 70-120 degrees about the centre
 5    ``ccw``               ... counter-clockwise ("clockwise" as seen with row 0 at the top)
 6    ``sweep-right-left``  the short bar goes right, then back left to where it started
 7    ``sweep-left-right``  the short bar goes left, then back right to where it started
 8    ``wave-cw-ccw``       the long bar turns clockwise, then back counter-clockwise
 9    ``wave-ccw-cw``       ... counter-clockwise, then back clockwise
10    ``appear-disappear``  a still bar fades in from black, then fades out
11    ``disappear-appear``  a still, visible bar fades out, then fades back in
====  ====================  =============================================================

Classes 0-5 are separable in a single summed frame: the polarities are laid out in the
direction of motion (OFF where the bar was when the recording began, ON where it ends up, and
the side on which each lies gives the direction or the sense of rotation), as in a real DVS.

**Pairs with the same time-integrated event image** (:data:`SAME_SUM_PAIRS`):
``sweep-right-left``/``sweep-left-right``, ``wave-cw-ccw``/``wave-ccw-cw`` and
``appear-disappear``/``disappear-appear``. Each of these motions has two halves (120 ms each):
A -> B, then B -> A (A, B: two positions, two angles, or black and the visible bar). The second
class of a pair is the first with its two halves exchanged in time: B -> A, then A -> B. The two
halves are the same two event streams in both classes, only their order differs, so every event
keeps its pixel and polarity and the sum over time is identical, event for event. Why that is also
what a sensor records: each half starts from a sensor adapted to its first image. At the turning
point the model sets every pixel's reference level to the image there, as if the bar paused long
enough for the pixels to settle; without that, the first half's sub-threshold residue (less than
one threshold) would change the second half by at most one event per pixel and polarity. Because
the scene parameters (bar size, brightness, position, amplitude) and the noise events are drawn
from the same distribution for both classes of a pair, the *distribution* of summed frames is the
same for both: no model of one frame (T=1) can beat chance (50 %) within a pair, so a T=1 model
tops out at about (6 + 3) / 12 = 75 % overall, while two frames in time order (T >= 2,
frames aligned with the halves) separate them. Telling them apart needs memory across time steps
(a multiset of per-frame features is the same for both orders): in a spiking network, the
membrane carried from one step to the next.

Sensor model (the one of :mod:`qsnn.data.digits_dvs`; see there):

1. **Rendering.** A 16x16 sensor (pixel centres at integer coordinates) sees an anti-aliased bar
   (intensity ``a * coverage`` in [0, 1] on black), sampled at ``steps`` render steps over the
   recording, finer than any frame binning. Position, angle and brightness ``a`` move linearly
   within each half.
2. **Pixel model.** Log intensity ``log(I + log_eps)``; a pixel's reference level starts at the
   first image (adapted sensor). Rising (falling) by ``n`` whole ON (OFF) thresholds emits ``n``
   ON (OFF) events and moves the reference by ``n`` thresholds. Thresholds ``threshold * (1 +
   mismatch * N(0,1))`` per pixel and polarity, drawn once from the seed (one emulated sensor).
3. **Timestamps.** An event found at render step ``k`` gets a time drawn uniformly in that step
   (microseconds), so all times lie in ``[0, duration)`` and the halves are ``[0, duration/2)``
   and ``[duration/2, duration)``.
4. **Noise.** Background-activity events, as a real DVS fires without any change: Poisson with
   ``noise_hz`` per pixel and polarity, uniform in position and time (about 8 % of all events).

Events are stored in tonic's structured event dtype (``tonic.io.make_structured_array``: fields
x, y, t, p), sensor size ``(16, 16, 2)``. They are read through the frame pipeline of the real
sets, :class:`qsnn.data.neuromorphic.EventFrames`: tonic's ``Downsample`` to the model's 8x8
(the real sets: 128x128 -> 48x48; here 16x16 -> 8x8, keeping the tiny models' input and cost the
same as on ``digits-dvs``), then the binning into exactly T frames of event counts, giving
``[T, 2, 8, 8]`` float32. As for ``digits-dvs``, the frame time axis is the fixed span
``[0, duration)``, so at T=2 each frame is one half and at any even T no frame straddles the turn.

The set: 125 samples per class (1500), generated deterministically from the seed and vectorised
with numpy (1.1-1.5 s on one core), cached atomically in ``ROOT/cache/motion-dvs/`` as an
``.npz`` whose name carries the seed and a hash of the configuration, and regenerated if missing.
Split: the fixed per-class 80/20 split of :func:`qsnn.data.neuromorphic.per_class_split` (seed 0;
1200 train / 300 test). Accuracies on this set are stand-in numbers, never paper numbers.

What it cannot show: anything about real hands, lighting, 128x128 detail or recording lengths of
seconds; it isolates one property of DVS128 Gesture (the class is the motion, for some classes
only its temporal order), nothing else.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from qsnn.data.neuromorphic import EventFrames, per_class_split
from qsnn.io import atomic_write_npz

SENSOR_SIZE = (16, 16, 2)  # tonic's (W, H, P) of the emulated sensor
FRAME_SIZE = (8, 8)  # what the models see: (W, H) after tonic's Downsample
TRAIN_FRACTION = 0.8

CLASSES = (
    "right",
    "left",
    "down",
    "up",
    "cw",
    "ccw",
    "sweep-right-left",
    "sweep-left-right",
    "wave-cw-ccw",
    "wave-ccw-cw",
    "appear-disappear",
    "disappear-appear",
)
# (first, second): the second is the first with its two halves exchanged in time.
SAME_SUM_PAIRS = (
    ("sweep-right-left", "sweep-left-right"),
    ("wave-cw-ccw", "wave-ccw-cw"),
    ("appear-disappear", "disappear-appear"),
)
_SWAPPED = {second: first for first, second in SAME_SUM_PAIRS}  # class -> the class it is rendered as
_TRANSLATION = {"right": (1.0, 0.0), "left": (-1.0, 0.0), "down": (0.0, 1.0), "up": (0.0, -1.0)}


@dataclass(frozen=True)
class MotionSensorConfig:
    duration_ms: float = 240.0  # 240 ms: every T in {1, 2, 3, 4, 5, 6, 8, 16} gets whole-µs frames
    steps: int = 96  # render steps over the recording (even: the turn falls on a step)
    per_class: int = 125
    threshold: float = 0.15  # log-intensity contrast threshold (as digits-dvs)
    mismatch: float = 0.05  # relative std of the per-pixel thresholds
    log_eps: float = 0.1  # keeps log() finite on black pixels
    noise_hz: float = 1.0  # background activity per pixel and polarity

    def total_us(self) -> int:
        return int(round(self.duration_ms * 1000))

    def key(self) -> str:
        return hashlib.sha256(json.dumps(asdict(self), sort_keys=True).encode()).hexdigest()[:10]


def class_index(name: str) -> int:
    if name not in CLASSES:
        raise ValueError(f"unknown motion-dvs class {name!r}; classes: {', '.join(CLASSES)}")
    return CLASSES.index(name)


def labels_of(cfg: MotionSensorConfig = MotionSensorConfig()) -> np.ndarray:
    """Labels of the whole set, in generation order: ``per_class`` of class 0, then class 1, ..."""
    return np.repeat(np.arange(len(CLASSES), dtype=np.int64), cfg.per_class)


# --------------------------------------------------------------------------- scenes
def keyframes(labels: np.ndarray, u: np.ndarray, size: int = SENSOR_SIZE[0]):
    """Per-sample bar geometry and its pose at the start, the turn and the end.

    ``u`` ``[7, N]`` uniform draws (class-independent, so both classes of a pair see the same
    scene distribution). Returns ``(length, width, pose)`` with ``pose [3, 4, N]``: for the
    keyframes 0, middle, end, the rows ``cx, cy, angle, brightness``. The second class of a
    same-sum pair gets the pose of the first; :func:`generate_events` swaps its halves afterwards.
    """
    n = len(labels)
    names = [_SWAPPED.get(CLASSES[int(k)], CLASSES[int(k)]) for k in labels]
    centre = (size - 1) / 2
    long_bar = np.array([name in ("cw", "ccw") or name.startswith("wave") for name in names])
    length = np.where(long_bar, 9 + 4 * u[0], 3 + 4 * u[0])
    width = np.where(long_bar, 1.5 + u[1], 2 + 1.5 * u[1])
    bright = 0.5 + 0.5 * u[2]
    angle0 = np.pi * u[3]
    jitter = np.stack([u[4], u[5]]) * 2 - 1  # [-1, 1] px
    amount = u[6]
    pose = np.empty((3, 4, n))
    pose[:, 0] = centre + jitter[0]
    pose[:, 1] = centre + jitter[1]
    pose[:, 2] = angle0
    pose[:, 3] = bright
    for i, name in enumerate(names):
        if name in _TRANSLATION or name == "sweep-right-left":
            direction = np.array(_TRANSLATION.get(name, (1.0, 0.0)))
            shift = (6 + 3 * amount[i]) / 2 * direction
            start, far = pose[0, :2, i] - shift, pose[0, :2, i] + shift
            if name in _TRANSLATION:  # one uniform motion: the middle keyframe halfway
                pose[:, :2, i] = [start, (start + far) / 2, far]
            else:  # there and back
                pose[:, :2, i] = [start, far, start]
        elif name in ("cw", "ccw", "wave-cw-ccw"):
            turn = np.deg2rad(70 + 50 * amount[i]) * (-1 if name == "ccw" else 1)
            pose[:, :2, i] = centre + jitter[:, i] / 2  # the pivot stays near the centre
            a0 = angle0[i]
            pose[:, 2, i] = [a0, a0 + turn / 2, a0 + turn] if name != "wave-cw-ccw" else [a0, a0 + turn, a0]
        elif name == "appear-disappear":
            pose[:, 3, i] = [0.0, bright[i], 0.0]
        else:
            raise AssertionError(name)
    return length, width, pose


def render_bars(cx, cy, angle, bright, length, width, size: int = SENSOR_SIZE[0]) -> np.ndarray:
    """Anti-aliased bars ``[N, size, size]`` float32: ``bright * coverage`` (a linear ramp per axis)."""
    f32 = np.float32
    grid = np.arange(size, dtype=f32)
    dx = grid[None, None, :] - cx.astype(f32)[:, None, None]
    dy = grid[None, :, None] - cy.astype(f32)[:, None, None]
    cos, sin = np.cos(angle).astype(f32)[:, None, None], np.sin(angle).astype(f32)[:, None, None]
    along = (length.astype(f32) / 2 + f32(0.5))[:, None, None] - np.abs(dx * cos + dy * sin)
    across = (width.astype(f32) / 2 + f32(0.5))[:, None, None] - np.abs(dy * cos - dx * sin)
    np.clip(along, 0, 1, out=along)
    np.clip(across, 0, 1, out=across)
    along *= across
    along *= bright.astype(f32)[:, None, None]
    return along


def pose_at(pose: np.ndarray, step: int, steps: int) -> np.ndarray:
    """Linear interpolation inside the half that holds ``step``: ``[4, N]``."""
    half = steps // 2
    first = step <= half
    frac = (step if first else step - half) / half
    a, b = (pose[0], pose[1]) if first else (pose[1], pose[2])
    return a + frac * (b - a)


# --------------------------------------------------------------------------- sensor
def generate_events(labels, seed: int, cfg: MotionSensorConfig = MotionSensorConfig()):
    """Emulate the DVS for one sample per entry of ``labels`` (class indices or names).

    Returns ``(events, offsets)``: one structured array (tonic dtype) sorted by sample then time,
    and ``offsets [N+1]`` so that sample i is ``events[offsets[i]:offsets[i+1]]``. Sample i's scene
    and noise depend on ``(seed, i, N)`` and its class only, so ``generate_events([a], s)`` and
    ``generate_events([b], s)`` for a same-sum pair ``(a, b)`` hold the same events in another order.
    """
    from tonic.io import make_structured_array

    labels = np.array([class_index(k) if isinstance(k, str) else int(k) for k in labels], dtype=np.int64)
    if cfg.steps % 2:
        raise ValueError(f"steps must be even (the turn falls on a step), got {cfg.steps}")
    rng = np.random.default_rng(seed)
    n, (size, _, _) = len(labels), SENSOR_SIZE
    pixels = size * size
    thresholds = cfg.threshold * (1 + cfg.mismatch * rng.standard_normal((2, pixels)))
    thresholds = np.maximum(thresholds, 0.2 * cfg.threshold)  # a pixel never fires on noise alone
    length, width, pose = keyframes(labels, rng.random((7, n)), size)
    readapt = np.array([CLASSES[k] in _SWAPPED or CLASSES[k] in dict(SAME_SUM_PAIRS) for k in labels])
    swapped = np.array([CLASSES[k] in _SWAPPED for k in labels])

    def level(step: int) -> np.ndarray:
        image = render_bars(*pose_at(pose, step, cfg.steps), length, width, size).reshape(n, -1)
        image += np.float32(cfg.log_eps)
        return np.log(image, out=image)

    # Float32 throughout: the model is a threshold on ~0.15 log units, far above its precision.
    inv_on, inv_off = (1 / thresholds).astype(np.float32)[::-1]  # rows: OFF, ON
    thr_on, thr_off = thresholds.astype(np.float32)[::-1]
    reference = level(0)
    found = []  # (step, flat index (sample, pixel, polarity), count)
    for step in range(1, cfg.steps + 1):
        now = level(step)
        delta = now - reference
        # One of the two is zero at each pixel (delta has one sign); truncation = floor for >= 0.
        n_on = np.maximum(delta * inv_on, 0).astype(np.int32)
        n_off = np.maximum(delta * -inv_off, 0).astype(np.int32)
        reference += n_on.astype(np.float32) * thr_on - n_off.astype(np.float32) * thr_off
        if step == cfg.steps // 2:  # the turn: each half starts from an adapted sensor
            reference[readapt] = now[readapt]
        net = (n_on - n_off).ravel()
        where = np.flatnonzero(net)
        found.append((np.full(len(where), step, dtype=np.int32), where * 2 + (net[where] > 0), np.abs(net[where])))
    step, flat, count = (np.concatenate(col) for col in zip(*found))
    step, flat = np.repeat(step, count), np.repeat(flat, count)
    sample, pixel, polarity = flat // (2 * pixels), (flat // 2) % pixels, flat % 2
    total = cfg.total_us()
    dt_us = total / cfg.steps
    t = np.floor((step - 1 + rng.random(len(step))) * dt_us).astype(np.int64)
    # The second class of a pair: exchange the halves (the first half's events move back by half
    # the recording, the second half's forward); pixels and polarities stay as they are.
    half = total // 2
    flip = swapped[sample]
    t[flip] += np.where(step[flip] <= cfg.steps // 2, half, -half)
    # Background activity, class-independent: uniform in pixel, polarity and time.
    n_noise = rng.poisson(cfg.noise_hz * 2 * pixels * total / 1e6, size=n)
    noise_sample = np.repeat(np.arange(n), n_noise)
    m = len(noise_sample)
    noise_pixel, noise_pol, noise_t = rng.integers(0, pixels, m), rng.integers(0, 2, m), rng.integers(0, total, m)
    sample = np.concatenate([sample, noise_sample])
    pixel = np.concatenate([pixel, noise_pixel])
    polarity = np.concatenate([polarity, noise_pol])
    t = np.concatenate([t, noise_t])
    order = np.argsort(sample * total + t, kind="stable")
    events = make_structured_array(pixel[order] % size, pixel[order] // size, t[order], polarity[order].astype(bool))
    offsets = np.searchsorted(sample[order], np.arange(n + 1))
    return events, offsets


# --------------------------------------------------------------------------- cache + dataset
def cache_path(root: Path, seed: int, cfg: MotionSensorConfig) -> Path:
    return Path(root) / "cache" / "motion-dvs" / f"events-seed{seed}-{cfg.key()}.npz"


def load_or_generate(root: Path, seed: int = 0, cfg: MotionSensorConfig = MotionSensorConfig()):
    """Events, offsets and labels of the whole set, from the cache or freshly generated."""
    path = cache_path(root, seed, cfg)
    if path.exists():
        with np.load(path) as z:
            return z["events"], z["offsets"], z["labels"]
    labels = labels_of(cfg)
    events, offsets = generate_events(labels, seed, cfg)
    config = json.dumps({"seed": seed, **asdict(cfg), "classes": list(CLASSES)})
    # One atomic writer for every cache (qsnn.io): a kill never leaves a half file under the name.
    atomic_write_npz(path, events=events, offsets=offsets, labels=labels, config=config)
    return events, offsets, labels


def frame_transform(T: int, cfg: MotionSensorConfig = MotionSensorConfig()) -> EventFrames:
    """The real sets' pipeline: tonic Downsample 16x16 -> 8x8, then T frames over the fixed span."""
    return EventFrames(SENSOR_SIZE, int(T), span=(0, cfg.total_us()), resize=FRAME_SIZE)


class MotionDVS(Dataset):
    """``(frames [T, 2, 8, 8] float32, label)`` of the fixed ``split``.

    The frames of the split are binned once here (about 0.1 s), not per item: the tiny models
    read every sample every epoch.
    """

    def __init__(
        self,
        split: str,
        T: int,
        root: Path = Path("data"),
        seed: int = 0,
        cfg: MotionSensorConfig = MotionSensorConfig(),
    ):
        self.events, self.offsets, labels = load_or_generate(root, seed, cfg)
        self.indices = per_class_split(labels, split, train_fraction=TRAIN_FRACTION)
        self.labels = labels[self.indices]
        self.transform = frame_transform(T, cfg)
        self.frames = torch.from_numpy(np.stack([self.transform(self.sample_events(i)) for i in range(len(self))]))

    def __len__(self) -> int:
        return len(self.indices)

    def sample_events(self, i: int) -> np.ndarray:
        k = self.indices[i]
        return self.events[self.offsets[k] : self.offsets[k + 1]]

    def __getitem__(self, i: int):
        return self.frames[i], int(self.labels[i])
