"""The emulated-saccade neuromorphic stand-in ``digits-dvs``."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits

import qsnn.data.digits_dvs as dd
from qsnn.data import build, dataset_info
from qsnn.data.static import digits_split

CFG = dd.SaccadeSensorConfig()


@pytest.fixture(scope="module")
def images():
    return load_digits().images[:40] / 16.0


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    return tmp_path_factory.mktemp("data")


def test_same_seed_same_events_different_seed_different(images):
    a, off_a = dd.generate_events(images, seed=3)
    b, off_b = dd.generate_events(images, seed=3)
    c, _ = dd.generate_events(images, seed=4)
    assert np.array_equal(a, b) and np.array_equal(off_a, off_b)
    assert len(a) != len(c) or not np.array_equal(a, c)


def test_events_are_tonic_structured_with_both_polarities_inside_the_saccades(images):
    events, offsets = dd.generate_events(images, seed=0)
    assert set(events.dtype.names) == {"x", "y", "t", "p"}
    assert offsets[0] == 0 and offsets[-1] == len(events) and np.all(np.diff(offsets) > 0)
    assert events["x"].min() >= 0 and events["x"].max() <= 7 and events["y"].max() <= 7
    assert events["t"].min() >= 0 and events["t"].max() < CFG.total_us() == 300_000
    for i in range(len(images)):
        sample = events[offsets[i] : offsets[i + 1]]
        assert np.all(np.diff(sample["t"]) >= 0)  # time-sorted, as tonic expects
        assert set(np.unique(sample["p"])) == {False, True}


def test_events_come_from_moving_edges_only(images):
    blank = np.zeros((2, 8, 8))
    events, offsets = dd.generate_events(blank, seed=0)
    assert len(events) == 0 and list(offsets) == [0, 0, 0]
    # Pixels where the digit has no ink in the 3x3 neighbourhood never see a change.
    events, offsets = dd.generate_events(images[:1], seed=0)
    ink = np.pad(images[0] > 0, 1)
    near_ink = np.zeros((8, 8), bool)
    for dy in range(3):
        for dx in range(3):
            near_ink |= ink[dy : dy + 8, dx : dx + 8]
    assert near_ink[events["y"], events["x"]].all()


def test_every_saccade_produces_events(images):
    events, offsets = dd.generate_events(images[:5], seed=0)
    third = CFG.total_us() // 3
    for i in range(5):
        t = events["t"][offsets[i] : offsets[i + 1]]
        assert all(np.any((t >= k * third) & (t < (k + 1) * third)) for k in range(3))


def test_build_shapes_labels_and_event_count_invariance(root):
    assert dataset_info("digits-dvs").input_shape == (2, 8, 8)
    ds1 = build("digits-dvs", "train", T=1, root=root)
    ds4 = build("digits-dvs", "train", T=4, root=root)
    test = build("digits-dvs", "test", T=4, root=root)
    assert (len(ds1), len(test)) == (1437, 360)
    (x1, y1), (x4, y4) = ds1[0], ds4[0]
    assert x1.shape == (1, 2, 8, 8) and x4.shape == (4, 2, 8, 8) and x4.dtype == torch.float32
    assert y1 == y4
    n_events = len(ds4.sample_events(0))
    assert float(x1.sum()) == float(x4.sum()) == n_events > 0
    assert torch.equal(x4.sum(0), x1[0])  # the T=1 frame is the whole stream
    train_idx, test_idx, _, labels = digits_split()
    assert [test[i][1] for i in range(10)] == list(labels[test_idx[:10]])


def test_cache_is_used_and_regenerated_when_missing(root, monkeypatch):
    build("digits-dvs", "test", T=2, root=root)
    cached = dd.cache_path(root, 0, CFG)
    assert cached.exists() and not list(cached.parent.glob("*.tmp"))
    reference = build("digits-dvs", "test", T=2, root=root)[5][0]

    def forbidden(*args, **kwargs):
        raise AssertionError("regenerated although the cache exists")

    with monkeypatch.context() as m:
        m.setattr(dd, "generate_events", forbidden)
        assert torch.equal(build("digits-dvs", "test", T=2, root=root)[5][0], reference)
    cached.unlink()
    assert torch.equal(build("digits-dvs", "test", T=2, root=root)[5][0], reference)  # deterministic
    assert cached.exists()


def test_seed_changes_the_cached_stream(root):
    a = dd.DigitsDVS("test", T=1, root=root, seed=0)
    b = dd.DigitsDVS("test", T=1, root=root, seed=1)
    assert dd.cache_path(root, 1, CFG).exists()
    assert not np.array_equal(a.sample_events(0), b.sample_events(0))
    assert a.labels.tolist() == b.labels.tolist()
