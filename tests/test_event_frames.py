"""Event binning (one np.bincount, identical to tonic's ToFrame where tonic keeps every event)
and the frame cache of the tonic datasets (built once, atomic, invalidated by its key)."""

from __future__ import annotations

import multiprocessing
import pickle
import time

import numpy as np
import pytest
import torch
from tonic.io import make_structured_array
from torch.utils.data import DataLoader

import qsnn.data.digits_dvs as dd
import qsnn.data.frames as fr
import qsnn.data.neuromorphic as nm
from qsnn.data import build, registry
from qsnn.data.frames import EventsOutsideSpanError, bin_events, cached_frames, tonic_event_frames

SENSOR = (7, 5, 2)  # W != H catches a swapped axis


def stream(rng, n, size=SENSOR, t_max=1000, sort=True):
    t = rng.integers(0, t_max, n)
    return make_structured_array(
        rng.integers(0, size[0], n),
        rng.integers(0, size[1], n),
        np.sort(t) if sort else t,
        rng.integers(0, 2, n).astype(bool),
    )


def on_boundaries(rng, events, T, span=None):
    """Add events exactly at every window start and at the last timestamp (the edge cases)."""
    t = events["t"].astype(np.int64)
    start, window = fr.frame_windows(t, T, span)
    end = int(t.max()) if span is None else span[1] - 1
    extra_t = np.r_[start + window * np.arange(T), end, end]
    extra_t = extra_t[extra_t <= end]
    n = len(extra_t)
    extra = make_structured_array(
        rng.integers(0, SENSOR[0], n), rng.integers(0, SENSOR[1], n), extra_t, rng.integers(0, 2, n).astype(bool)
    )
    both = np.concatenate([events, extra])
    return both[np.argsort(both["t"], kind="stable")]


# --------------------------------------------------------------------------- binning
@pytest.mark.parametrize("T", [1, 2, 4, 8, 16])
@pytest.mark.parametrize("span", [None, (0, 1000)])
def test_identical_to_tonic_toframe_wherever_tonic_keeps_every_event(T, span):
    compared = 0
    for seed in range(40):
        rng = np.random.default_rng(seed)
        # Few distinct timestamps for some seeds: many duplicates, also across window edges.
        events = on_boundaries(rng, stream(rng, int(rng.integers(1, 600)), t_max=[5, 37, 1000][seed % 3]), T, span)
        theirs = tonic_event_frames(events, SENSOR, T, span)
        ours = bin_events(events, SENSOR, T, span)
        assert ours.shape == (T, 2, SENSOR[1], SENSOR[0]) and ours.dtype == np.float32
        assert ours.sum() == len(events)
        if theirs.sum() == len(events):
            assert np.array_equal(ours, theirs), f"seed {seed}"
            compared += 1
    assert compared == 40  # with sorted, in-span streams tonic keeps everything here too


@pytest.mark.parametrize("T", [1, 4, 16])
def test_resized_transform_matches_tonic_downsample_then_toframe(T):
    import tonic.transforms as tt

    for seed in range(5):
        events = stream(np.random.default_rng(seed), 3000, size=(128, 128, 2), t_max=10**6)
        resized = tt.Downsample(sensor_size=(128, 128, 2), target_size=(48, 48))(events)
        expected = tonic_event_frames(resized, (48, 48, 2), T)
        assert np.array_equal(nm.frame_transform((128, 128, 2), T)(events), expected)


def test_digits_dvs_frames_match_tonic_on_the_fixed_span():
    from sklearn.datasets import load_digits

    events, offsets = dd.generate_events(load_digits().images[:15] / 16.0, seed=0)
    span = (0, dd.SaccadeSensorConfig().total_us())
    for T in (1, 2, 3, 4, 16):
        frames = nm.EventFrames(dd.SENSOR_SIZE, T, span=span)
        for i in range(15):
            sample = events[offsets[i] : offsets[i + 1]]
            assert np.array_equal(frames(sample), tonic_event_frames(sample, dd.SENSOR_SIZE, T, span))


@pytest.mark.parametrize(
    "dtype",
    [
        [("x", np.int16), ("y", np.int16), ("p", bool), ("t", np.int64)],  # tonic's DVSGesture
        [("t", np.uint64), ("x", np.uint16), ("y", np.uint16), ("p", bool)],  # CIFAR10DVS
        [("x", int), ("y", int), ("t", int), ("p", int)],  # NCALTECH101
    ],
)
def test_the_event_dtypes_of_each_tonic_dataset(dtype):
    plain = stream(np.random.default_rng(3), 500)
    events = np.empty(len(plain), dtype=np.dtype(dtype))
    for field in "xytp":
        events[field] = plain[field]
    assert np.array_equal(bin_events(events, SENSOR, 4), tonic_event_frames(events, SENSOR, 4))


def test_every_event_is_kept_unsorted_dense_and_hot():
    rng = np.random.default_rng(0)
    for T in (1, 3, 7, 16, 1000):  # T=1000 > span: windows of one time unit
        events = stream(rng, 5000, t_max=300, sort=False)
        frames = bin_events(events, SENSOR, T)
        assert frames.sum() == len(events)
        assert np.array_equal(frames.sum(0), bin_events(events, SENSOR, 1)[0])  # count independent of T
    same_time = stream(rng, 50, t_max=1)
    assert np.array_equal(bin_events(same_time, SENSOR, 4)[1:], np.zeros((3, 2, 5, 7)))  # all in frame 0
    hot = make_structured_array(np.zeros(40_000, int), np.zeros(40_000, int), np.arange(40_000), np.ones(40_000, bool))
    assert bin_events(hot, SENSOR, 1)[0, 1, 0, 0] == 40_000  # tonic's int16 frames would wrap here
    assert bin_events(hot[:0], SENSOR, 3).shape == (3, 2, 5, 7)


def test_bad_input_is_rejected_with_the_fix():
    events = stream(np.random.default_rng(1), 100)
    with pytest.raises(EventsOutsideSpanError, match="widen `span`") as err:
        bin_events(events, SENSOR, 4, span=(100, 500))
    assert isinstance(err.value, ValueError)
    with pytest.raises(ValueError, match="clip or resize"):
        bin_events(events, (3, 5, 2), 2)
    with pytest.raises(ValueError, match="T must be"):
        bin_events(events, SENSOR, 0)
    with pytest.raises(ValueError, match="span"):
        bin_events(events, SENSOR, 2, span=(5, 5))
    with pytest.raises(ValueError, match="use P=2"):
        bin_events(events, (7, 5, 1), 2)
    edge = events.copy()
    edge["x"][:3] = 7  # one past the edge, as Downsample's truncation can leave it: clipped, not dropped
    assert nm.EventFrames(SENSOR, 2)(edge).sum() == len(edge)


# --------------------------------------------------------------------------- cache: a tiny DVSGesture
@pytest.fixture
def gesture_root(tmp_path):
    """tonic's DVSGesture layout with 110 short recordings per split, plus our 'prepared' markers."""
    from qsnn.data.download import write_marker

    base = tmp_path / "dvs-gesture" / "DVSGesture"
    rng = np.random.default_rng(0)
    for folder in ("ibmGestureTrain", "ibmGestureTest"):
        for user in range(10):
            _write_user(base / folder / f"user{user + 1:02d}_fluorescent", rng)
    for spec in registry.load_manifest("dvs-gesture").files:
        (base / spec.filename).write_bytes(b"placeholder")  # tonic checks the archive is present
        write_marker(base / spec.marker_name(), "test\n")
    return tmp_path


def _write_user(folder, rng, labels=range(11)):
    folder.mkdir(parents=True)
    for label in labels:  # tonic's layout: one .npy of [x, y, p, t(ms)] rows per gesture
        n = int(rng.integers(20, 300))
        rows = np.stack(
            [rng.integers(0, 128, n), rng.integers(0, 128, n), rng.integers(0, 2, n), np.sort(rng.integers(0, 50, n))],
            1,
        )  # ms: many duplicate timestamps
        np.save(folder / f"{label}.npy", rows)


class BinningCounter:
    """Wraps the binning that EventFrames uses; ``fail_after`` simulates a crash mid-build."""

    def __init__(self, fail_after=None, delay_s=0.0):
        self.calls, self.fail_after, self.delay_s = 0, fail_after, delay_s
        self.real = fr.count_columns  # the real one, even when a counter is already patched in

    def __call__(self, *args, **kwargs):
        self.calls += 1
        time.sleep(self.delay_s)
        if self.fail_after is not None and self.calls > self.fail_after:
            raise RuntimeError("killed mid-build")
        return self.real(*args, **kwargs)


def cache_files(root, pattern="*"):
    return sorted((root / "cache" / "frames" / "dvs-gesture").glob(pattern))


def reference_item(root, split, T, i):
    """What the uncached pipeline gives for item i: tonic's events through EventFrames."""
    import tonic.datasets as td

    ds = td.DVSGesture(save_to=str(root / "dvs-gesture"), train=split == "train")
    order = sorted(range(len(ds.data)), key=lambda k: str(ds.data[k]))  # build() sorts recordings by path
    events, label = ds[order[i]]
    return torch.from_numpy(nm.frame_transform((128, 128, 2), T)(events)), label


def test_cache_is_written_once_then_reused(gesture_root, monkeypatch):
    counter = BinningCounter()
    monkeypatch.setattr(nm, "count_columns", counter)
    ds = build("dvs-gesture", "train", 4, root=gesture_root)
    assert counter.calls == len(ds) == 110
    [npy], [sidecar] = cache_files(gesture_root, "train-T4-*.npy"), cache_files(gesture_root, "train-T4-*.json")
    assert np.load(npy, mmap_mode="r").dtype == np.uint16 and not cache_files(gesture_root, "*.tmp")
    assert '"T": 4' in sidecar.read_text() and '"files_sha256"' in sidecar.read_text()
    for i in (0, 57, 109):
        x, y = ds[i]
        ref_x, ref_y = reference_item(gesture_root, "train", 4, i)
        assert x.dtype == torch.float32 and x.shape == (4, 2, 48, 48) and torch.equal(x, ref_x) and y == ref_y
    stamp = npy.stat().st_mtime_ns
    monkeypatch.setattr(nm, "count_columns", BinningCounter(fail_after=0))  # binning now raises
    again = build("dvs-gesture", "train", 4, root=gesture_root)
    assert torch.equal(again[57][0], ds[57][0]) and again.labels == ds.labels
    assert npy.stat().st_mtime_ns == stamp


def test_cache_key_changes_with_T_and_the_file_list(gesture_root, monkeypatch):
    counter = BinningCounter()
    monkeypatch.setattr(nm, "count_columns", counter)
    build("dvs-gesture", "test", 2, root=gesture_root)
    build("dvs-gesture", "test", 3, root=gesture_root)
    assert counter.calls == 220 and len(cache_files(gesture_root, "test-T*.npy")) == 2
    _write_user(
        gesture_root / "dvs-gesture" / "DVSGesture" / "ibmGestureTest" / "user11_led",
        np.random.default_rng(5),
        labels=[0],
    )
    grown = build("dvs-gesture", "test", 2, root=gesture_root)
    assert len(grown) == 111 and counter.calls == 220 + 111
    assert len(cache_files(gesture_root, "test-T2-*.npy")) == 2  # a new key, the old file untouched


def test_a_killed_build_leaves_nothing_that_is_read(gesture_root, monkeypatch):
    monkeypatch.setattr(nm, "count_columns", BinningCounter(fail_after=30))
    with pytest.raises(RuntimeError, match="killed"):
        build("dvs-gesture", "test", 4, root=gesture_root)
    assert not cache_files(gesture_root, "*.npy") and not cache_files(gesture_root, "*.tmp")
    # A hard kill (SIGKILL) would leave a temp file: fake one that even holds a plausible array.
    counter = BinningCounter()
    monkeypatch.setattr(nm, "count_columns", counter)
    expected = build("dvs-gesture", "test", 4, root=gesture_root)[3][0]
    [npy] = cache_files(gesture_root, "*.npy")
    npy.unlink()
    leftover = npy.with_name(npy.name + ".x1y2z3.tmp")
    with open(leftover, "wb") as fh:
        np.save(fh, np.zeros((110, 4, 2, 48, 48), np.uint16))
    counter.calls = 0
    rebuilt = build("dvs-gesture", "test", 4, root=gesture_root)
    assert counter.calls == 110 and not leftover.exists() and torch.equal(rebuilt[3][0], expected)
    # A damaged cache file (a new file: truncating a mapped one in place would crash its readers,
    # which is why the cache is only ever replaced, never rewritten) is rebuilt, never half-read.
    damaged = npy.with_name("damaged")
    damaged.write_bytes(npy.read_bytes()[:1000])
    damaged.replace(npy)
    assert torch.equal(build("dvs-gesture", "test", 4, root=gesture_root)[3][0], expected)
    assert counter.calls == 220


def _build_in_child(root, calls):
    counter = BinningCounter(delay_s=0.005)  # a build of ~0.6 s: the two builders overlap
    nm.count_columns = counter
    build("dvs-gesture", "train", 2, root=root)
    with calls.get_lock():
        calls.value += counter.calls


def test_concurrent_builders_compute_once(gesture_root):
    ctx = multiprocessing.get_context("fork")
    calls = ctx.Value("i", 0)
    children = [ctx.Process(target=_build_in_child, args=(gesture_root, calls)) for _ in range(2)]
    for child in children:
        child.start()
    for child in children:
        child.join(timeout=60)
    assert [c.exitcode for c in children] == [0, 0]
    assert calls.value == 110  # one built it under the lock, the other waited and read it
    assert len(cache_files(gesture_root, "train-T2-*.npy")) == 1 and not cache_files(gesture_root, "*.tmp")


def test_dataloader_workers_give_the_same_batches(gesture_root):
    ds = build("dvs-gesture", "train", 4, root=gesture_root)
    ds[0]  # the parent's memmap is open when the workers fork
    assert len(pickle.dumps(ds)) < 50_000  # spawn sends the path, not the frames
    assert torch.equal(pickle.loads(pickle.dumps(ds))[9][0], ds[9][0])
    serial = list(DataLoader(ds, batch_size=16, num_workers=0))
    parallel = list(DataLoader(ds, batch_size=16, num_workers=2))
    assert len(serial) == len(parallel) == 7
    for (xa, ya), (xb, yb) in zip(serial, parallel, strict=True):
        assert torch.equal(xa, xb) and torch.equal(ya, yb)


# --------------------------------------------------------------------------- cache: storage type
def test_counts_widen_to_int32_for_a_hot_pixel_and_never_wrap(tmp_path):
    rows = [np.full((1, 2, 2, 2), v, np.int64) for v in (1, 70_000, 3)]
    path = cached_frames(tmp_path, "hot", {}, (3, 1, 2, 2, 2), lambda i: rows[i])
    frames = np.load(path)
    assert frames.dtype == np.int32 and frames[:, 0, 0, 0, 0].tolist() == [1, 70_000, 3]
    with pytest.raises(fr.FrameCountOverflowError, match="exceeds int32"):
        cached_frames(tmp_path, "hotter", {}, (1, 1, 1, 1, 1), lambda i: np.full((1, 1, 1, 1), 2**31))
    assert not list(tmp_path.glob("hotter*.npy")) and not list(tmp_path.glob("*.tmp"))
