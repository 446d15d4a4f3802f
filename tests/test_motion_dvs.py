"""The motion-defined neuromorphic stand-in ``motion-dvs``, its quick-profile mapping, and the
Table 3 trend statements of :mod:`qsnn.report.trends`."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import yaml
from tonic.io import make_structured_array

import qsnn.data.motion_dvs as md
from qsnn.data import build, dataset_info
from qsnn.experiments import ConfigError, load_config, plan_from_config, trained_dataset
from qsnn.report.trends import table3_trend_lines, table3_trends

CFG = md.MotionSensorConfig()
CONFIG = Path(__file__).resolve().parents[1] / "config" / "config.yaml"
SMALL = md.MotionSensorConfig(per_class=3)


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    return tmp_path_factory.mktemp("data")


def frames(events, offsets, i, T):
    return md.frame_transform(T)(events[offsets[i] : offsets[i + 1]])


# --------------------------------------------------------------------------- generation
def test_same_seed_same_events_different_seed_different():
    labels = md.labels_of(SMALL)
    a, off_a = md.generate_events(labels, seed=3)
    b, off_b = md.generate_events(labels, seed=3)
    c, _ = md.generate_events(labels, seed=4)
    assert np.array_equal(a, b) and np.array_equal(off_a, off_b)
    assert len(a) != len(c) or not np.array_equal(a, c)


def test_events_use_tonics_dtype_sorted_inside_the_sensor_and_span():
    labels = md.labels_of(SMALL)
    events, offsets = md.generate_events(labels, seed=0)
    tonic_dtype = make_structured_array(np.zeros(1), np.zeros(1), np.zeros(1), np.zeros(1, bool)).dtype
    assert events.dtype == tonic_dtype
    assert offsets[0] == 0 and offsets[-1] == len(events) and np.all(np.diff(offsets) > 0)
    assert events["x"].min() >= 0 and events["x"].max() < 16 and events["y"].min() >= 0 and events["y"].max() < 16
    assert events["t"].min() >= 0 and events["t"].max() < CFG.total_us()
    for i in range(len(labels)):
        sample = events[offsets[i] : offsets[i + 1]]
        assert np.all(np.diff(sample["t"]) >= 0)  # time-sorted, as tonic expects
        assert set(np.unique(sample["p"])) == {False, True}


def test_translation_lays_out_the_polarities_along_the_motion():
    quiet = md.MotionSensorConfig(noise_hz=0.0)
    events, offsets = md.generate_events(["right"], seed=0, cfg=quiet)
    assert len(events) > 100
    # Translation to the right: ON events (bar arriving) lie right of the OFF events (bar leaving).
    on, off = events[events["p"]], events[~events["p"]]
    assert on["x"].mean() > off["x"].mean() + 1


@pytest.mark.parametrize("first, second", md.SAME_SUM_PAIRS)
def test_same_sum_pairs_have_identical_one_frame_and_different_ordered_frames(first, second):
    a, off_a = md.generate_events([first] * 4, seed=7)
    b, off_b = md.generate_events([second] * 4, seed=7)
    for i in range(4):
        assert np.array_equal(frames(a, off_a, i, 1), frames(b, off_b, i, 1))  # T=1: indistinguishable
        for T in (2, 4, 16):
            fa, fb = frames(a, off_a, i, T), frames(b, off_b, i, T)
            assert not np.array_equal(fa, fb)
            assert np.array_equal(fa.sum(0), fb.sum(0))
    # Without the (unordered) noise, the T=2 frames are the two halves, exchanged.
    signal = md.MotionSensorConfig(noise_hz=0.0)
    a, off_a = md.generate_events([first] * 2, seed=8, cfg=signal)
    b, off_b = md.generate_events([second] * 2, seed=8, cfg=signal)
    for i in range(2):
        fa, fb = frames(a, off_a, i, 2), frames(b, off_b, i, 2)
        assert np.array_equal(fa[0], fb[1]) and np.array_equal(fa[1], fb[0])


def test_direction_classes_differ_in_one_frame():
    # Not every class needs time: opposite translations and rotations differ in the summed frame.
    for first, second in (("right", "left"), ("up", "down"), ("cw", "ccw")):
        a, off_a = md.generate_events([first], seed=1)
        b, off_b = md.generate_events([second], seed=1)
        assert not np.array_equal(frames(a, off_a, 0, 1), frames(b, off_b, 0, 1))


def test_class_names_and_pairs_are_consistent_with_the_manifest():
    from qsnn.data.registry import load_manifest

    raw = load_manifest("motion-dvs").raw
    assert tuple(raw["classes"]) == md.CLASSES and len(md.CLASSES) == dataset_info("motion-dvs").num_classes
    assert [tuple(p) for p in raw["same_sum_pairs"]] == list(md.SAME_SUM_PAIRS)
    with pytest.raises(ValueError, match="unknown motion-dvs class"):
        md.generate_events(["sideways"], seed=0)


# --------------------------------------------------------------------------- dataset
def test_build_shapes_labels_split_and_event_count_invariance(root):
    info = dataset_info("motion-dvs")
    assert info.kind == "neuromorphic" and info.input_shape == (2, 8, 8) and info.num_classes == 12
    assert "dvs-gesture" in info.stand_in
    train1 = build("motion-dvs", "train", T=1, root=root)
    train4 = build("motion-dvs", "train", T=4, root=root)
    test = build("motion-dvs", "test", T=16, root=root)
    assert (len(train1), len(test)) == (1200, 300)
    assert np.bincount(train1.labels).tolist() == [100] * 12 and np.bincount(test.labels).tolist() == [25] * 12
    assert not set(train1.indices) & set(test.indices)
    (x1, y1), (x4, y4), (x16, _) = train1[0], train4[0], test[0]
    assert x1.shape == (1, 2, 8, 8) and x4.shape == (4, 2, 8, 8) and x16.shape == (16, 2, 8, 8)
    assert x4.dtype == torch.float32 and y1 == y4 and isinstance(y1, int)
    assert float(x1.sum()) == float(x4.sum()) == len(train4.sample_events(0)) > 0  # every event kept
    assert torch.equal(x4.sum(0), x1[0])
    cached = md.cache_path(root, 0, CFG)
    assert cached.exists() and not list(cached.parent.glob("*.tmp"))


def test_cache_is_used(root, monkeypatch):
    reference = build("motion-dvs", "test", T=2, root=root)[7][0]

    def forbidden(*args, **kwargs):
        raise AssertionError("regenerated although the cache exists")

    monkeypatch.setattr(md, "generate_events", forbidden)
    assert torch.equal(build("motion-dvs", "test", T=2, root=root)[7][0], reference)


# --------------------------------------------------------------------------- config
def test_quick_profile_maps_gesture_to_motion_dvs_and_the_saccade_sets_to_digits_dvs():
    cfg = load_config(CONFIG, base_dir=CONFIG.parents[1])
    assert trained_dataset(cfg, "dvs-gesture") == "motion-dvs"
    assert trained_dataset(cfg, "cifar10-dvs") == trained_dataset(cfg, "n-caltech101") == "digits-dvs"
    assert trained_dataset(cfg, "cifar100") == "digits"
    plan = plan_from_config(CONFIG, base_dir=CONFIG.parents[1])
    table3 = {(e.paper_dataset, e.run.dataset) for e in plan.entries if e.table == 3 and e.run}
    assert table3 == {("cifar10-dvs", "digits-dvs"), ("dvs-gesture", "motion-dvs"), ("n-caltech101", "digits-dvs")}
    assert len({r.run_id for r in plan.runs if r.dataset == "motion-dvs"}) == 6  # Table 3's six rows


def _raw_quick(datasets: dict) -> dict:
    raw = yaml.safe_load(CONFIG.read_text())
    raw["quick"]["datasets"] = datasets
    return raw


def test_kind_mapping_still_works_without_a_dataset_key():
    cfg = load_config(_raw_quick({"static": "digits", "neuromorphic": "digits-dvs"}), base_dir=CONFIG.parents[1])
    assert trained_dataset(cfg, "dvs-gesture") == "digits-dvs"


@pytest.mark.parametrize(
    "datasets, match",
    [
        ({"static": "digits", "neuromorphic": "digits-dvs", "mnist": "digits"}, "quick.datasets"),
        ({"static": "digits", "neuromorphic": "digits-dvs", "dvs-gesture": "digits"}, "neuromorphic stand-in"),
        ({"static": "digits", "neuromorphic": "digits-dvs", "dvs-gesture": "gesture-dvs"}, "unknown dataset"),
    ],
)
def test_bad_dataset_overrides_are_rejected(datasets, match):
    with pytest.raises(ConfigError, match=match):
        load_config(_raw_quick(datasets), base_dir=CONFIG.parents[1])


# --------------------------------------------------------------------------- trends
SWEEP = [(16, 1, 16), (1, 1, 16), (1, 2, 8), (1, 4, 4), (1, 8, 2), (1, 16, 1)]
PAPER = {
    "cifar10-dvs": [80.7, 79.8, 79.3, 63.1, 43.0, 35.8],
    "dvs-gesture": [98.3, 96.67, 98.48, 97.35, 96.59, 95.45],
    "n-caltech101": [80.23, 79.77, 80.00, 82.64, 80.46, 77.47],
}


def experiments(ours: dict[str, list[float]], datasets: dict[str, str]) -> pd.DataFrame:
    rows = []
    for name, accs in ours.items():
        for row, ((w, s, t), acc, paper) in enumerate(zip(SWEEP, accs, PAPER[name])):
            rows.append(
                {
                    "table": 3,
                    "row": row,
                    "paper_dataset": name,
                    "dataset": datasets[name],
                    "w_bits": w,
                    "s_bits": s,
                    "T": t,
                    "top1": acc,
                    "paper_acc": paper,
                    "profile": "quick",
                    "status": "trained",
                    "run_id": f"{datasets[name]}__w{w}s{s}t{t}",
                }
            )
    return pd.DataFrame(rows)


def test_trend_that_agrees_with_the_paper():
    df = experiments({"dvs-gesture": [90, 70, 85, 88, 80, 65]}, {"dvs-gesture": "motion-dvs"})
    [trend] = table3_trends(df)
    assert trend.ours.peak_wst == "1/4/4" and trend.paper.peak_wst == "1/2/8"
    assert trend.peak_agrees and trend.drop_agrees and trend.ours.direction == "drop"
    text = "\n".join(table3_trend_lines(df))
    assert "DVS-Gesture" in text and "`motion-dvs`" in text
    assert "**agrees**" in text and "**same direction**" in text and "drops by 5.00 points" in text
    assert "drops by 1.22 points" in text  # the paper's 95.45 - 96.67


def test_trend_that_disagrees_with_the_paper():
    df = experiments({"dvs-gesture": [60, 50, 55, 60, 65, 70]}, {"dvs-gesture": "motion-dvs"})
    [trend] = table3_trends(df)
    assert trend.ours.peak_where == "one frame, T=1" and trend.paper.peak_where == "balanced S/T"
    assert trend.peak_agrees is False and trend.drop_agrees is False
    text = "\n".join(table3_trend_lines(df))
    assert "**disagrees**" in text and "**opposite direction**" in text and "rises by 20.00 points" in text


def test_flat_shared_and_missing_columns_are_said_so():
    same = [80, 79.8, 79.9, 79.7, 79.9, 79.6]  # -0.2 points: flat
    df = experiments(
        {"cifar10-dvs": same, "n-caltech101": same}, {"cifar10-dvs": "digits-dvs", "n-caltech101": "digits-dvs"}
    )
    by_name = {t.paper_dataset: t for t in table3_trends(df)}
    assert by_name["cifar10-dvs"].ours.direction == "flat" and by_name["cifar10-dvs"].shares_runs_with == (
        "n-caltech101",
    )
    text = "\n".join(table3_trend_lines(df))
    assert "stays flat" in text and "not an independent check" in text
    df.loc[df["paper_dataset"] == "cifar10-dvs", "top1"] = np.nan
    assert "no comparison" in "\n".join(table3_trend_lines(df))
