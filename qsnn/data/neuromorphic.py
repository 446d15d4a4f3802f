"""Neuromorphic datasets through tonic: CIFAR10-DVS, DVS128 Gesture, N-Caltech101.

Pipeline (the same for the offline stand-in ``digits-dvs``, minus the resize and the cache):

1. tonic reads a recording as a structured event array (fields x, y, t, p).
2. ``tonic.transforms.Downsample(sensor_size=..., target_size=(48, 48))`` resizes the event
   coordinates to 48x48 (paper Sec. 6.3); x and y are scaled separately, so N-Caltech101's
   240x180 field is squashed to a square, as in the common SNN pipelines.
3. :class:`EventFrames` bins the stream into exactly ``T`` frames with one ``np.bincount``
   (:func:`qsnn.data.frames.bin_events`), giving ``[T, 2, H, W]`` float32 **event counts** per
   polarity.
4. The frames of every recording of a split are computed once and cached on disk (below); the
   dataset then reads them memory-mapped.

How frames are formed, and what S and T mean for them
-----------------------------------------------------
The stream's span ``[t_first, t_last]`` is cut into ``T`` equal time windows of
``ceil((t_last + 1 - t_first) / T)`` time units and each frame counts the events of its window
(``start + k*window <= t < start + (k+1)*window``) per pixel and polarity. Every event lands in
exactly one frame, events at the last timestamp in the last one, so the total count does not
depend on T. (tonic's ``ToFrame(n_time_bins=T)`` floor-divides the span and uses half-open
windows, which silently drops the events at the last timestamp, at T=1 possibly many.) These are
the frames the previous implementation got from ``tonic.transforms.ToFrame`` with an explicit
``time_window``/``start_time``/``end_time``, bit for bit (tested on random streams against it,
:func:`qsnn.data.frames.tonic_event_frames`); the bincount is ~10x faster, counts exactly where
tonic's int16 frames would wrap, and rejects rather than drops events outside a fixed ``span``.

The frames are the real-valued input of the *encoding layer* (the first synaptic layer has
``in_bits=None``): the spike bit-width S applies to the spikes that the multi-bit LIF neurons emit
from there on, not to the frames. So a row with small T and large S, e.g. Table 3's 1/16/1,
sees **one frame holding the whole stream** (all event counts summed over the recording), and its
16-bit spikes carry the intensity that a T=16 run would spread over time. Counts are neither
clipped nor binarised (a pixel may fire many events in one window), matching the spikingjelly /
Spikformer frame integration the paper's baselines use.

Frame cache
-----------
Why: frames do not change between epochs (no event augmentation), yet rebuilding them each epoch
through tonic cost tens of ms per 300k-event recording, ~80 h for one 400-epoch CIFAR10-DVS run
(10,000 recordings), past a 48 h job limit. Now each (dataset, split, T) is binned once (a tqdm bar
on a terminal) and an epoch only copies frames out of a memory-mapped array.

Where: ``ROOT/cache/frames/<name>/<split>-T<T>-<key>.npy``, one ``[n, T, 2, 48, 48]`` array of
integer counts (uint16 when every count fits, else int32; a count beyond int32 is an error, never
a wrap), with ``<split>-T<T>-<key>.json`` beside it listing what ``key`` hashes: dataset, split,
T, sensor size, resize, split seed and fraction, number of recordings, a fingerprint of the split's
recordings (relative paths, sizes, labels, in order), the binning version and the array shape.
Invalidation: any change to those gives a new key, hence a new file that is built on first use;
old files are left alone (delete ``ROOT/cache/frames`` to reclaim the space). Editing a recording
in place without changing its size is not detected: delete the cache after doing that.

Atomicity and concurrency: the array is written to a ``*.tmp`` file in the same folder and moved
into place with ``os.replace``, so the final name only ever holds a complete array; a killed build
leaves a ``*.tmp`` that is never read and is deleted by the next build of that key. Builders of
one key serialise on ``<split>-T<T>-<key>.lock`` (``fcntl.flock``): when two runs (say two W on the
same dataset and T) start together, one computes and the other waits, then reads. A cache that
exists is never rewritten in place (readers have it mapped; truncating a mapped file would crash
them), only replaced. The dataset object holds just the path and labels and maps the file on first
access in each process, so DataLoader workers (fork or spawn) share the page cache.

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

from qsnn.data.frames import cached_frames, count_columns, files_fingerprint

RESIZED = (48, 48)  # paper Sec. 6.3
SPLIT_SEED = 0
TRAIN_FRACTION = 0.9


def _clip(values: np.ndarray, size: int) -> np.ndarray:
    # Downsample truncates coordinates; clip the rare edge pixel instead of dropping it
    # (only when there is one: clipping every recording would cost another pass and copy).
    if len(values) and (values.min() < 0 or values.max() >= size):
        return np.clip(values, 0, size - 1)
    return values


@dataclass(frozen=True)
class EventFrames:
    """Bin a structured event array into exactly ``T`` frames ``[T, 2, H, W]`` (float32 counts).

    ``sensor_size`` is the recording's ``(W, H, P)``. ``resize`` ``(W, H)``, if given, first maps
    the coordinates with tonic's ``Downsample``. ``span`` fixes the time axis ``(start, end)`` for
    all samples (the emulated saccades all last the same); None uses each recording's own first
    and last timestamp.
    """

    sensor_size: tuple[int, int, int]
    T: int
    span: tuple[int, int] | None = None
    resize: tuple[int, int] | None = None

    @property
    def frame_size(self) -> tuple[int, int, int]:
        """``(W, H, P)`` of the frames: the resized field, or the sensor itself."""
        return self.sensor_size if self.resize is None else (*self.resize, self.sensor_size[2])

    def counts(self, events: np.ndarray) -> np.ndarray:
        """Integer frames ``[T, P, H, W]`` (int64)."""
        if self.resize is not None:
            import tonic.transforms as tt

            events = tt.Downsample(sensor_size=tuple(self.sensor_size), target_size=tuple(self.resize))(events)
        width, height, _ = self.frame_size
        x = _clip(np.ascontiguousarray(events["x"]), width)
        y = _clip(np.ascontiguousarray(events["y"]), height)
        return count_columns(events["t"], x, y, events["p"], self.frame_size, self.T, self.span)

    def __call__(self, events: np.ndarray) -> np.ndarray:
        return self.counts(events).astype(np.float32)


def frame_transform(sensor_size: tuple[int, int, int], T: int, resize: tuple[int, int] | None = RESIZED):
    """tonic Downsample (to ``resize``) followed by the binning of :class:`EventFrames`."""
    return EventFrames(tuple(sensor_size), int(T), resize=None if resize is None else tuple(resize))


class CachedFrameDataset(Dataset):
    """``(frames [T,2,H,W] float32, label)`` read from a frame cache written by :func:`cached_frames`.

    The array is memory-mapped read-only on first access in each process, so DataLoader workers
    share the page cache and pickling (spawn) sends only the path.
    """

    def __init__(self, path: Path, labels, files=()):
        self.path = Path(path)
        self.labels = [int(v) for v in labels]
        self.files = list(files)  # the recording behind each index, for inspection
        self._frames = None

    def _array(self) -> np.ndarray:
        if self._frames is None:
            frames = np.load(self.path, mmap_mode="r")
            if len(frames) != len(self.labels):
                raise ValueError(
                    f"frame cache {self.path} holds {len(frames)} recordings, not "
                    f"{len(self.labels)}; delete it and build the dataset again"
                )
            self._frames = frames
        return self._frames

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_frames": None}  # a memmap would pickle as a full copy

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int):
        return torch.from_numpy(self._array()[i].astype(np.float32)), self.labels[i]


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
    from qsnn.data.manifest import DatasetNotFoundError

    key = (name, split) if (name, split) in TONIC_LAYOUT else (name, "train")
    cls_folder, sub, suffix, minimum = TONIC_LAYOUT[key]
    folder = Path(root) / name / cls_folder / sub
    found = sum(1 for _ in folder.rglob(f"*{suffix}")) if folder.is_dir() else 0
    if found < minimum:
        raise DatasetNotFoundError(
            f"{name}: expected at least {minimum} {suffix} files under {folder}, found {found}. "
            f"The archive may have a different layout than the manifest assumes; delete {Path(root) / name} "
            f"and run `qsnn data prepare {name} --root {root}` again."
        )
    # tonic's own check also wants the downloaded archive beside the extracted files; without it
    # tonic silently starts a multi-gigabyte download of its own.
    from qsnn.data.manifest import load_manifest

    for spec in load_manifest(name).files:
        archive = Path(root) / name / spec.dest / spec.filename
        if not archive.exists():
            raise DatasetNotFoundError(
                f"{name}: {archive} is missing; tonic needs the archive kept beside its extracted files "
                f"(it would download it again). Put it back, or run `qsnn data prepare {name} --root {root}`."
            )


def _recordings(name: str, split: str, root: Path):
    """The tonic dataset of ``name``, and the indices and integer labels of ``split``, in order."""
    import tonic.datasets as td

    from qsnn.data.manifest import load_manifest

    manifest = load_manifest(name)
    save_to = str(Path(root) / name)
    check_tonic_layout(name, split, root)
    if name == "dvs-gesture":
        ds = td.DVSGesture(save_to=save_to, train=(split == "train"))
        # tonic sorts the user folders but not the files within them (os.walk order differs
        # between file systems): sort by path so every machine sees the same order.
        order = sorted(range(len(ds.data)), key=lambda i: str(ds.data[i]))
        return ds, order, [int(ds.targets[i]) for i in order]
    if name == "cifar10-dvs":
        if importlib.util.find_spec("aedat") is None:
            raise ImportError(
                "CIFAR10-DVS files are aedat4; tonic reads them with the `aedat` package: pip install aedat"
            )
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
        raise ValueError(
            f"{name}: found {len(set(labels))} classes in {save_to}, expected "
            f"{manifest.info.num_classes}; the extracted data is incomplete or a different version"
        )
    idx = [int(i) for i in per_class_split(labels, split)]
    return ds, idx, [labels[i] for i in idx]


def frame_cache_params(name: str, split: str, transform: EventFrames, files, labels, root: Path) -> dict:
    """Everything the cached frames depend on; its hash names the cache file."""
    return {
        "dataset": name,
        "split": split,
        "T": transform.T,
        "sensor_size": list(transform.sensor_size),
        "resize": None if transform.resize is None else list(transform.resize),
        "span": transform.span,
        "split_seed": SPLIT_SEED,
        "train_fraction": TRAIN_FRACTION,
        "n_recordings": len(files),
        "files_sha256": files_fingerprint(files, Path(root) / name, labels),
    }


def build_tonic(name: str, split: str, T: int, root: Path) -> CachedFrameDataset:
    """Frames of ``split``, computed once into ``ROOT/cache/frames/<name>/`` and memory-mapped after."""
    from qsnn.data.manifest import load_manifest

    ds, idx, labels = _recordings(name, split, root)
    transform = frame_transform(tuple(load_manifest(name).raw["sensor_size"]), T)
    files = [ds.data[i] for i in idx]
    width, height, polarities = transform.frame_size
    path = cached_frames(
        Path(root) / "cache" / "frames" / name,
        f"{split}-T{T}",
        frame_cache_params(name, split, transform, files, labels, root),
        (len(idx), T, polarities, height, width),
        lambda k: transform.counts(ds[idx[k]][0]),
        progress=f"{name} {split} frames, T={T} (once)",
    )
    return CachedFrameDataset(path, labels, files)
