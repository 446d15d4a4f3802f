"""Format-exact fakes (``qsnn data fake``): each one is read back by the same reader as real data
(the CIFAR pickle loader, tonic's dataset classes, PIL), after the same extraction a download gets."""

from __future__ import annotations

import hashlib
import pickle
import shutil
import stat
from pathlib import Path

import numpy as np
import pytest

from qsnn.cli import main as cli_main
from qsnn.data import UnknownDatasetError, build, prepare
from qsnn.data.download import extract_atomically, safe_extract
from qsnn.data.fake import FAKE_DATASETS, IMAGENET_WNIDS, aedat4_bytes, write_fake
from qsnn.data.registry import is_prepared, load_manifest
from qsnn.data.static import check_imagenet_layout, load_cifar_arrays

T = 4
FRAME_SHAPE = (T, 2, 48, 48)


def _extract_like_a_download(name: str, out: Path, root: Path) -> Path:
    """Place each manifest file where a download lands (ROOT/NAME/DEST/FILENAME) and extract it."""
    for spec in load_manifest(name).files:
        dest = root / name / spec.dest
        dest.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(out / spec.filename, dest / spec.filename)
        extract_atomically(dest / spec.filename, spec, root / name)
    assert is_prepared(name, root)
    return root / name


def _check_events(events, sensor_size) -> None:
    """Inside the sensor, both polarities, strictly increasing time stamps."""
    width, height, _ = sensor_size
    assert len(events) > 0
    assert 0 <= events["x"].min() and events["x"].max() < width
    assert 0 <= events["y"].min() and events["y"].max() < height
    assert set(np.unique(events["p"].astype(int))) == {0, 1}
    assert np.all(np.diff(events["t"].astype(np.int64)) > 0)


def _check_frames(name: str, root: Path) -> None:
    for split in ("train", "test"):
        ds = build(name, split, T, root)
        x, y = ds[0]
        assert tuple(x.shape) == FRAME_SHAPE and float(x.sum()) > 0
        assert 0 <= y < load_manifest(name).info.num_classes


# --------------------------------------------------------------------------- static sets
@pytest.mark.parametrize("name,classes,train_per_class", [("cifar10", 10, 5 * 2), ("cifar100", 100, 2)])
def test_cifar_fake_reads_like_the_official_pickles(tmp_path, name, classes, train_per_class):
    out, root = tmp_path / "out", tmp_path / "data"
    (archive,) = write_fake(name, out)
    assert archive.name == load_manifest(name).files[0].filename
    safe_extract(archive, root / name)
    for split, per_class in (("train", train_per_class), ("test", 2)):
        images, labels = load_cifar_arrays(name, split, root)
        assert images.dtype == np.uint8 and images.shape == (classes * per_class, 3, 32, 32)
        assert np.array_equal(np.bincount(labels, minlength=classes), np.full(classes, per_class))
    # Python 2 byte strings, as in the official files: a plain load fails, encoding="bytes" gives bytes keys.
    folder = root / name / ("cifar-10-batches-py" if name == "cifar10" else "cifar-100-python")
    raw = (folder / ("data_batch_1" if name == "cifar10" else "train")).read_bytes()
    with pytest.raises(UnicodeDecodeError):
        pickle.loads(raw)
    assert b"data" in pickle.loads(raw, encoding="bytes")
    batch = pickle.loads(raw, encoding="latin1")
    assert isinstance(batch["batch_label"], str) and len(batch["filenames"]) == len(batch["data"])
    if name == "cifar10":
        meta = pickle.loads((folder / "batches.meta").read_bytes(), encoding="latin1")
        assert meta["label_names"][0] == "airplane" and meta["num_vis"] == 3072
        assert (folder / "readme.html").exists()
    else:
        meta = pickle.loads((folder / "meta").read_bytes(), encoding="latin1")
        assert len(meta["fine_label_names"]) == 100 and len(meta["coarse_label_names"]) == 20
        fine, coarse = np.array(batch["fine_labels"]), np.array(batch["coarse_labels"])
        beaver = meta["fine_label_names"].index("beaver")
        assert set(coarse[fine == beaver]) == {meta["coarse_label_names"].index("aquatic_mammals")}


def test_cifar10_fake_prepares_through_archive_dir(tmp_path):
    out, root = tmp_path / "out", tmp_path / "data"
    write_fake("cifar10", out, samples=1)
    prepare("cifar10", root, archive_dir=out, verify=False, progress=False)
    ds = build("cifar10", "test", T, root)
    assert len(ds) == 10 and tuple(ds[0][0].shape) == (3, 32, 32)


def test_imagenet_fake_is_the_user_folder_layout(tmp_path):
    from PIL import Image

    root = tmp_path / "data"
    files = write_fake("imagenet", root / "imagenet", samples=2)
    check_imagenet_layout(root)
    for split in ("train", "val"):
        assert sorted(p.name for p in (root / "imagenet" / split).iterdir()) == list(IMAGENET_WNIDS)
        assert len(list((root / "imagenet" / split).rglob("*.JPEG"))) == 2 * len(IMAGENET_WNIDS)
    assert all(p.name.startswith("ILSVRC2012_val_") for p in (root / "imagenet" / "val").rglob("*.JPEG"))
    modes = set()
    for path in files:
        with Image.open(path) as image:
            assert image.format == "JPEG"
            modes.add(image.mode)
            image.convert("RGB").load()
    assert modes == {"RGB", "CMYK", "L"}


# --------------------------------------------------------------------------- event sets
def test_dvs_gesture_fake_reads_through_tonic(tmp_path):
    import tonic.datasets as td

    out, root = tmp_path / "out", tmp_path / "data"
    write_fake("dvs-gesture", out)
    _extract_like_a_download("dvs-gesture", out, root)
    sensor = load_manifest("dvs-gesture").raw["sensor_size"]
    for train in (True, False):
        ds = td.DVSGesture(save_to=str(root / "dvs-gesture"), train=train)
        assert len(ds) == 110 and sorted(set(ds.targets)) == list(range(11))
        events, _ = ds[0]
        _check_events(events, sensor)
    _check_frames("dvs-gesture", root)


def test_dvs_gesture_fake_prepares_through_archive_dir(tmp_path):
    out, root = tmp_path / "out", tmp_path / "data"
    write_fake("dvs-gesture", out, seed=3)
    prepare("dvs-gesture", root, archive_dir=out, verify=False, progress=False)
    _check_frames("dvs-gesture", root)


def test_cifar10_dvs_fake_is_genuine_aedat4(tmp_path):
    import tonic.datasets as td

    out, root = tmp_path / "out", tmp_path / "data"
    write_fake("cifar10-dvs", out)
    _extract_like_a_download("cifar10-dvs", out, root)
    ds = td.CIFAR10DVS(save_to=str(root / "cifar10-dvs"))
    assert len(ds) == 1000 and sorted(set(ds.targets)) == list(range(10))
    sensor = load_manifest("cifar10-dvs").raw["sensor_size"]
    for index in (0, 999):
        events, _ = ds[index]
        _check_events(events, sensor)
    _check_frames("cifar10-dvs", root)


def test_aedat4_writer_decodes_with_the_aedat_package(tmp_path):
    import aedat

    t = np.arange(70, dtype=np.int64) * 7 + 10**12
    x, y, on = t % 128, (t // 3) % 100, (t % 2).astype(bool)
    path = tmp_path / "x.aedat4"
    path.write_bytes(aedat4_bytes(t, x, y, on, 128, 100, packet_size=32))  # 3 packets
    decoder = aedat.Decoder(path)
    assert decoder.id_to_stream() == {0: {"type": "events", "width": 128, "height": 100}}
    events = np.concatenate([packet["events"] for packet in decoder])
    assert np.array_equal(events["t"], t) and np.array_equal(events["x"], x)
    assert np.array_equal(events["y"], y) and np.array_equal(events["on"], on)


def test_ncaltech101_fake_reads_through_tonic(tmp_path):
    import tonic.datasets as td

    out, root = tmp_path / "out", tmp_path / "data"
    write_fake("n-caltech101", out)
    assert not load_manifest("n-caltech101").files[0].nested  # the download is the events zip itself
    _extract_like_a_download("n-caltech101", out, root)
    ds = td.NCALTECH101(save_to=str(root / "n-caltech101"))
    assert len(ds) == 8709 and len(set(ds.targets)) == 101 and "Faces" not in ds.targets
    events, _ = ds[0]
    _check_events(events, load_manifest("n-caltech101").raw["sensor_size"])
    _check_frames("n-caltech101", root)


# --------------------------------------------------------------------------- determinism, errors, CLI
def _digests(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.mark.parametrize("name", FAKE_DATASETS)
def test_same_seed_same_bytes_mode_0644(tmp_path, name):
    first = write_fake(name, tmp_path / "a", seed=5)
    write_fake(name, tmp_path / "b", seed=5)
    assert _digests(tmp_path / "a") == _digests(tmp_path / "b")
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o644 for p in first)
    assert not [p for p in (tmp_path / "a").rglob("*") if p.name.endswith(".tmp")]
    if name in ("cifar10", "dvs-gesture"):
        write_fake(name, tmp_path / "c", seed=6)
        assert _digests(tmp_path / "a") != _digests(tmp_path / "c")


def test_bad_names_and_sizes(tmp_path):
    with pytest.raises(UnknownDatasetError, match="cifar10-dvs"):
        write_fake("mnist", tmp_path)
    for stand_in in ("digits", "digits-dvs"):
        with pytest.raises(ValueError, match="stand-in"):
            write_fake(stand_in, tmp_path)
    with pytest.raises(ValueError, match="samples"):
        write_fake("cifar10", tmp_path, samples=0)
    with pytest.raises(ValueError, match="at most 30"):
        write_fake("dvs-gesture", tmp_path, samples=31)
    assert not list(tmp_path.iterdir())


def test_cli_writes_and_lists_files(tmp_path, capsys):
    assert cli_main(["data", "fake", "dvs-gesture", "--out", str(tmp_path), "--seed", "1"]) == 0
    printed = capsys.readouterr().out.split()
    assert [Path(p).name for p in printed] == ["ibmGestureTrain.tar.gz", "ibmGestureTest.tar.gz"]
    assert all(Path(p).is_file() for p in printed)
    assert cli_main(["data", "fake", "digits", "--out", str(tmp_path)]) == 2
