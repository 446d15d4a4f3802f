"""Neuromorphic datasets through tonic: CIFAR10-DVS, DVS128 Gesture, N-Caltech101.

Pipeline (the same for the offline stand-in ``digits-dvs``, minus the resize):

1. tonic reads a recording as a structured event array (fields x, y, t, p).
2. ``tonic.transforms.Downsample(sensor_size=..., target_size=(48, 48))`` resizes the event
   coordinates to 48x48 (paper Sec. 6.3); x and y are scaled separately, so N-Caltech101's
   240x180 field is squashed to a square, as in the common SNN pipelines.
3. :class:`EventFrames` bins the stream into exactly ``T`` frames with
   ``tonic.transforms.ToFrame``, giving ``[T, 2, H, W]`` float32 **event counts** per polarity.

How frames are formed, and what S and T mean for them
-----------------------------------------------------
The stream's span ``[t_first, t_last]`` is cut into ``T`` equal time windows and each frame
counts the events of its window per pixel and polarity. Every event lands in exactly one frame,
so the total count does not depend on T. We pass tonic an explicit ``time_window``,
``start_time`` and ``end_time`` instead of ``n_time_bins`` because tonic's ``n_time_bins``
floor-divides the span and uses half-open windows, which silently drops the events at the last
timestamp (and at T=1 possibly many).

The frames are the real-valued input of the *encoding layer* (the first synaptic layer has
``in_bits=None``): the spike bit-width S applies to the spikes that the multi-bit LIF neurons emit
from there on, not to the frames. So a row with small T and large S, e.g. Table 3's 1/16/1,
sees **one frame holding the whole stream** (all event counts summed over the recording), and its
16-bit spikes carry the intensity that a T=16 run would spread over time. Counts are neither
clipped nor binarised (a pixel may fire many events in one window), matching the spikingjelly /
Spikformer frame integration the paper's baselines use.

Splits
------
DVS128 Gesture has official train/test recordings (tonic's ``train=True/False``). CIFAR10-DVS and
N-Caltech101 have none: we sort the recordings by path, then take a fixed per-class 9:1 split
with ``numpy.random.default_rng(0)`` (the first ``round(0.9 * n)`` of each class's permutation
train, the rest test), so every run and every machine sees the same split.

Downloads: our downloader fetches the manifest's URL (the same URL and MD5 tonic 1.7 uses),
verifies it, and unpacks it into tonic's own folder (``ROOT/<name>/<TonicClass>/``), nested zips
included; tonic then finds its files present and never downloads by itself. This gives resume,
checksum-before-use and safe, atomic extraction, which tonic's downloader does not.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

RESIZED = (48, 48)  # paper Sec. 6.3
SPLIT_SEED = 0
TRAIN_FRACTION = 0.9


@dataclass(frozen=True)
class EventFrames:
    """Bin a structured event array into exactly ``T`` frames ``[T, 2, H, W]`` (float32 counts).

    ``span`` fixes the time axis ``(start, end)`` for all samples (the emulated saccades all last
    the same); None uses each recording's own first and last timestamp.
    """

    sensor_size: tuple[int, int, int]
    T: int
    span: tuple[int, int] | None = None

    def __call__(self, events: np.ndarray) -> np.ndarray:
        import tonic.transforms as tt

        width, height, polarities = self.sensor_size
        if len(events) == 0:
            return np.zeros((self.T, polarities, height, width), dtype=np.float32)
        events = events.copy()
        # Downsample truncates coordinates; clip the rare edge pixel instead of dropping it.
        events["x"] = np.clip(events["x"], 0, width - 1)
        events["y"] = np.clip(events["y"], 0, height - 1)
        t = events["t"].astype(np.int64)
        start, end = self.span if self.span is not None else (int(t.min()), int(t.max()) + 1)
        window = -(-(end - start) // self.T)  # ceil: T windows cover [start, end)
        frames = tt.ToFrame(sensor_size=self.sensor_size, time_window=window, start_time=start,
                            end_time=start + window * self.T)(events)
        return frames[: self.T].astype(np.float32)


def frame_transform(sensor_size: tuple[int, int, int], T: int, resize: tuple[int, int] | None = RESIZED):
    """tonic Downsample (to ``resize``) followed by :class:`EventFrames`."""
    import tonic.transforms as tt

    if resize is None:
        return EventFrames(tuple(sensor_size), T)
    steps = [tt.Downsample(sensor_size=tuple(sensor_size), target_size=tuple(resize)),
             EventFrames((*resize, sensor_size[2]), T)]
    return tt.Compose(steps)


class EventFrameDataset(Dataset):
    """``(frames [T,2,H,W] float32, label)`` over selected recordings of a tonic dataset."""

    def __init__(self, events_dataset, indices, labels, transform):
        self.events_dataset = events_dataset
        self.indices = list(indices)
        self.labels = list(labels)
        self.transform = transform

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, i: int):
        events, _ = self.events_dataset[self.indices[i]]
        return torch.from_numpy(self.transform(events)), int(self.labels[i])


def per_class_split(labels, split: str, seed: int = SPLIT_SEED, train_fraction: float = TRAIN_FRACTION):
    """Indices of a fixed, seeded per-class ``train_fraction`` split."""
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    chosen = []
    for cls in np.unique(labels):
        members = np.flatnonzero(labels == cls)
        members = members[rng.permutation(len(members))]
        n_train = int(round(train_fraction * len(members)))
        chosen.append(members[:n_train] if split == "train" else members[n_train:])
    return np.sort(np.concatenate(chosen))


def _sort_recordings(ds) -> None:
    # tonic lists files in os.walk order, which differs between file systems.
    order = sorted(range(len(ds.data)), key=lambda i: str(ds.data[i]))
    ds.data = [ds.data[i] for i in order]
    ds.targets = [ds.targets[i] for i in order]


# What tonic's own ``_check_exists`` looks for: (class folder, sub-folder, file suffix, minimum count).
# CIFAR10-DVS and N-Caltech101 keep both our splits in one folder, hence only a "train" key.
TONIC_LAYOUT = {
    ("cifar10-dvs", "train"): ("CIFAR10DVS", "", ".aedat4", 1000),
    ("dvs-gesture", "train"): ("DVSGesture", "ibmGestureTrain", ".npy", 100),
    ("dvs-gesture", "test"): ("DVSGesture", "ibmGestureTest", ".npy", 100),
    ("n-caltech101", "train"): ("NCALTECH101", "Caltech101", ".bin", 8709),
}


def check_tonic_layout(name: str, split: str, root: Path) -> None:
    """Fail clearly, before tonic would quietly start its own download, if files are missing."""
    from qsnn.data.registry import DatasetNotFoundError

    key = (name, split) if (name, split) in TONIC_LAYOUT else (name, "train")
    cls_folder, sub, suffix, minimum = TONIC_LAYOUT[key]
    folder = Path(root) / name / cls_folder / sub
    found = sum(1 for _ in folder.rglob(f"*{suffix}")) if folder.is_dir() else 0
    if found < minimum:
        raise DatasetNotFoundError(
            f"{name}: expected at least {minimum} {suffix} files under {folder}, found {found}. "
            f"The archive may have a different layout than the manifest assumes; delete {Path(root) / name} "
            f"and run `qsnn data prepare {name} --root {root}` again.")


def build_tonic(name: str, split: str, T: int, root: Path) -> EventFrameDataset:
    import tonic.datasets as td

    from qsnn.data.registry import load_manifest

    manifest = load_manifest(name)
    sensor = tuple(manifest.raw["sensor_size"])
    save_to = str(Path(root) / name)
    check_tonic_layout(name, split, root)
    transform = frame_transform(sensor, T)
    if name == "dvs-gesture":
        ds = td.DVSGesture(save_to=save_to, train=(split == "train"))
        return EventFrameDataset(ds, range(len(ds)), ds.targets, transform)
    if name == "cifar10-dvs":
        if importlib.util.find_spec("aedat") is None:
            raise ImportError("CIFAR10-DVS files are aedat4; tonic reads them with the `aedat` package: pip install aedat")
        ds = td.CIFAR10DVS(save_to=save_to)
    elif name == "n-caltech101":
        ds = td.NCALTECH101(save_to=save_to)
    else:
        raise ValueError(f"{name!r} is not a tonic dataset")
    _sort_recordings(ds)
    class_names = sorted({str(t) for t in ds.targets})
    to_int = {c: i for i, c in enumerate(class_names)}
    labels = [to_int[str(t)] if not isinstance(t, (int, np.integer)) else int(t) for t in ds.targets]
    if len(set(labels)) != manifest.info.num_classes:
        raise ValueError(f"{name}: found {len(set(labels))} classes in {save_to}, expected "
                         f"{manifest.info.num_classes}; the extracted data is incomplete or a different version")
    idx = per_class_split(labels, split)
    return EventFrameDataset(ds, idx, [labels[i] for i in idx], transform)
