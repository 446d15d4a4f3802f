"""Dataset registry: names, manifests, errors, CIFAR (end to end from a local server), digits,
the tonic frame pipeline and the ``qsnn data`` CLI."""

from __future__ import annotations

import functools
import hashlib
import io
import pickle
import tarfile
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest
import torch
import yaml

import qsnn.data.manifest as manifest
import qsnn.data.registry as registry
from qsnn.cli import main as cli_main
from qsnn.data import (
    DatasetNotFoundError,
    UnknownDatasetError,
    build,
    dataset_info,
    list_datasets,
    prepare,
)
from qsnn.data.neuromorphic import EventFrames, frame_transform, per_class_split
from qsnn.data.static import CIFAR_STATS

NAMES = [
    "cifar10",
    "cifar100",
    "imagenet",
    "cifar10-dvs",
    "dvs-gesture",
    "n-caltech101",
    "digits",
    "digits-dvs",
    "motion-dvs",
]


# --------------------------------------------------------------------------- registry
def test_registry_names_and_infos():
    assert list_datasets() == NAMES
    assert dataset_info("cifar100").input_shape == (3, 32, 32) and dataset_info("cifar100").num_classes == 100
    assert dataset_info("imagenet").input_shape == (3, 224, 224)
    for name in ("cifar10-dvs", "dvs-gesture", "n-caltech101"):
        info = dataset_info(name)
        assert info.kind == "neuromorphic" and info.input_shape == (2, 48, 48) and info.stand_in is None
    assert dataset_info("digits").stand_in and dataset_info("digits-dvs").stand_in


@pytest.mark.parametrize(
    "call", [lambda: dataset_info("mnist"), lambda: build("mnist", "train", 1), lambda: prepare("mnist")]
)
def test_unknown_name_lists_known_ones(call):
    with pytest.raises(UnknownDatasetError) as err:
        call()
    assert isinstance(err.value, ValueError)
    assert all(name in str(err.value) for name in NAMES)


def test_bad_split_and_T_are_rejected():
    with pytest.raises(ValueError, match="split"):
        build("digits", "val", 1)
    with pytest.raises(ValueError, match="T must be"):
        build("digits-dvs", "train", 0)


def test_manifests_name_sources_checksums_and_licences():
    cifar10, cifar100 = registry.load_manifest("cifar10"), registry.load_manifest("cifar100")
    assert cifar10.files[0].md5 == "c58f30108f718f92721af3b95e74349a"
    assert cifar10.files[0].url == "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
    assert cifar100.files[0].md5 == "eb9058c3a382ffc7106e4002c42a8d85"
    for name in NAMES:
        manifest = registry.load_manifest(name)
        assert manifest.license and manifest.homepage
        for spec in manifest.files:
            assert spec.url.startswith("https://") and (spec.md5 or spec.sha256)


def test_missing_cifar_without_download_names_the_url(tmp_path):
    with pytest.raises(DatasetNotFoundError) as err:
        build("cifar10", "train", 1, root=tmp_path)
    assert "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz" in str(err.value)
    assert "qsnn data prepare cifar10" in str(err.value)
    assert not any(tmp_path.iterdir())


def test_missing_imagenet_explains_the_layout(tmp_path):
    with pytest.raises(DatasetNotFoundError) as err:
        build("imagenet", "train", 1, root=tmp_path)
    message = str(err.value)
    assert "imagenet/{train,val}/<wnid>/*.JPEG" in message and str(tmp_path / "imagenet") in message
    with pytest.raises(DatasetNotFoundError):
        prepare("imagenet", tmp_path)


def test_imagenet_folders_read_like_imagefolder(tmp_path):
    """Classes are the sorted wnid folders, files sorted; eval = Resize(256) + CenterCrop(224)."""
    from PIL import Image

    from qsnn.data.static import IMAGENET_STATS

    for split in ("train", "val"):
        for wnid, shade in (("n01443537", 200), ("n01440764", 40)):
            folder = tmp_path / "imagenet" / split / wnid
            folder.mkdir(parents=True)
            Image.new("RGB", (300, 260), (shade, shade, shade)).save(folder / "b.JPEG")
            Image.new("L", (180, 400), shade).save(folder / "a.JPEG")  # greyscale, portrait
    val = build("imagenet", "test", 1, root=tmp_path)
    assert len(val) == 4
    labels = [val[i][1] for i in range(4)]
    assert labels == [0, 0, 1, 1]  # n01440764 sorts first
    x, _ = val[0]
    assert tuple(x.shape) == (3, 224, 224)
    expected = (40 / 255 - IMAGENET_STATS[0][0]) / IMAGENET_STATS[1][0]
    assert abs(float(x[0, 112, 112]) - expected) < 0.05
    torch.manual_seed(0)
    x, y = build("imagenet", "train", 1, root=tmp_path)[3]
    assert tuple(x.shape) == (3, 224, 224) and y == 1


def test_imagenet_random_crop_stays_inside_the_image():
    from qsnn.data.static import ResizedCrop

    crop = ResizedCrop(train=True)
    torch.manual_seed(1)
    for width, height in ((500, 375), (64, 900), (224, 224)):
        for _ in range(50):
            left, top, right, bottom = crop._random_box(width, height)
            assert 0 <= left < right <= width and 0 <= top < bottom <= height
            assert 3 / 4 - 0.05 <= (right - left) / (bottom - top) <= 4 / 3 + 0.05 or (right - left, bottom - top) in (
                (width, height),
                (width, round(width / (3 / 4))),
                (round(height * 4 / 3), height),
            )


# --------------------------------------------------------------------------- CIFAR end to end
def fake_cifar_archive(name: str, n: int = 6) -> tuple[bytes, np.ndarray]:
    """A tiny archive with the official layout and pickle format; returns it and the test images."""
    rng = np.random.default_rng(1)
    folder, batches, key = (
        ("cifar-10-batches-py", [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"], "labels")
        if name == "cifar10"
        else ("cifar-100-python", ["train", "test"], "fine_labels")
    )
    buf, test_images = io.BytesIO(), None
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for batch in batches:
            data = rng.integers(0, 256, (n, 3072), dtype=np.uint8)
            if batch in ("test_batch", "test"):
                test_images = data.reshape(n, 3, 32, 32)
            blob = pickle.dumps({"data": data, key: list(range(n))})
            info = tarfile.TarInfo(f"{folder}/{batch}")
            info.size = len(blob)
            tar.addfile(info, io.BytesIO(blob))
    return buf.getvalue(), test_images


@pytest.fixture
def local_manifests(tmp_path, monkeypatch):
    """Serve fake CIFAR archives on 127.0.0.1 and point copies of the real manifests at them."""
    served = tmp_path / "served"
    served.mkdir()
    manifests = tmp_path / "manifests"
    manifests.mkdir()
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(served))
    handler.log_message = lambda *a: None
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    watchdog = threading.Timer(60, httpd.shutdown)  # the server stops itself even if a test hangs
    watchdog.daemon = True
    watchdog.start()
    test_images = {}
    for name in ("cifar10", "cifar100"):
        archive, test_images[name] = fake_cifar_archive(name)
        raw = yaml.safe_load((manifest.MANIFEST_DIR / f"{name}.yaml").read_text())
        entry = raw["files"][0]
        (served / entry["filename"]).write_bytes(archive)
        entry.update(
            url=f"http://127.0.0.1:{httpd.server_address[1]}/{entry['filename']}",
            md5=hashlib.md5(archive).hexdigest(),
            size_bytes=len(archive),
        )
        (manifests / f"{name}.yaml").write_text(yaml.safe_dump(raw))
    for other in set(NAMES) - {"cifar10", "cifar100"}:
        (manifests / f"{other}.yaml").write_text((manifest.MANIFEST_DIR / f"{other}.yaml").read_text())
    monkeypatch.setattr(manifest, "MANIFEST_DIR", manifests)
    registry.load_manifest.cache_clear()
    try:
        yield test_images
    finally:
        registry.load_manifest.cache_clear()
        watchdog.cancel()
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


@pytest.mark.parametrize("name", ["cifar10", "cifar100"])
def test_cifar_downloads_and_loads_with_standard_preprocessing(local_manifests, tmp_path, name):
    root = tmp_path / "data"
    torch.manual_seed(0)
    train = build(name, "train", 4, root=root, download=True)
    test = build(name, "test", 4, root=root)  # already prepared: no download needed
    assert len(train) == (30 if name == "cifar10" else 6) and len(test) == 6
    mean, std = (torch.tensor(v).view(3, 1, 1) for v in CIFAR_STATS[name])
    expected = (torch.from_numpy(local_manifests[name][2]).float() / 255 - mean) / std
    x, y = test[2]
    assert x.shape == (3, 32, 32) and y == 2 and torch.allclose(x, expected)  # normalisation only
    assert torch.equal(test[2][0], x)
    draws = torch.stack([train[0][0] for _ in range(12)])
    assert draws.shape == (12, 3, 32, 32) and not all(torch.equal(d, draws[0]) for d in draws)  # crop/flip
    assert registry.is_prepared(name, root)


# --------------------------------------------------------------------------- digits
def test_digits_split_shapes_and_normalisation():
    train, test = build("digits", "train", 1), build("digits", "test", 1)
    assert (len(train), len(test)) == (1437, 360)
    x, y = train[0]
    assert x.shape == (1, 8, 8) and x.dtype == torch.float32 and 0 <= y <= 9
    stacked = train.images
    assert abs(float(stacked.mean())) < 1e-4 and abs(float(stacked.std()) - 1) < 1e-2
    counts = np.bincount(test.labels.numpy(), minlength=10)
    assert counts.min() >= 35 and counts.max() <= 37  # stratified
    assert torch.equal(build("digits", "test", 1)[7][0], test[7][0])  # fixed split


def test_digits_split_cache_is_the_same_split_and_skips_sklearn(tmp_path):
    """Under a data root the split is cached: identical arrays, and a later process loads it
    without importing scikit-learn (the ~1.5 s every quick-profile run used to pay)."""
    import subprocess
    import sys

    from qsnn.data.static import digits_split

    fresh = digits_split()
    cached_first = digits_split(tmp_path)
    assert list(tmp_path.glob("cache/digits/split-sklearn*.npz"))
    for a, b in zip(fresh, cached_first):
        np.testing.assert_array_equal(a, b)
    probe = (
        "import sys; from pathlib import Path; from qsnn.data.static import digits_split; "
        f"parts = digits_split(Path({str(tmp_path)!r})); "
        "print(len(parts[0]), len(parts[1]), 'sklearn' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.split()
    assert out == [str(len(fresh[0])), str(len(fresh[1])), "False"]


# --------------------------------------------------------------------------- tonic frames
def synthetic_stream(n=2000, size=128, seed=0):
    from tonic.io import make_structured_array

    rng = np.random.default_rng(seed)
    t = np.sort(rng.integers(0, 1_000_000, n))
    return make_structured_array(
        rng.integers(0, size, n), rng.integers(0, size, n), t, rng.integers(0, 2, n).astype(bool)
    )


@pytest.mark.parametrize("T", [1, 3, 16])
def test_frames_resize_to_48_and_keep_every_event(T):
    events = synthetic_stream()
    frames = frame_transform((128, 128, 2), T)(events)
    assert frames.shape == (T, 2, 48, 48) and frames.dtype == np.float32
    assert frames.sum() == len(events)  # tonic's n_time_bins would drop the last events
    single = frame_transform((128, 128, 2), 1)(events)
    assert np.array_equal(frames.sum(0), single[0])


def test_event_frames_bin_by_time():
    from tonic.io import make_structured_array

    events = make_structured_array(
        np.array([0, 1, 2, 3]), np.array([0, 0, 0, 0]), np.array([0, 10, 50, 99]), np.array([1, 1, 0, 1], dtype=bool)
    )
    frames = EventFrames((4, 1, 2), T=2)(events)
    assert frames[0, 1, 0].tolist() == [1, 1, 0, 0] and frames[1, 0, 0].tolist() == [0, 0, 1, 0]
    assert frames[1, 1, 0].tolist() == [0, 0, 0, 1]
    assert EventFrames((4, 1, 2), T=3)(events[:0]).shape == (3, 2, 1, 4)


def test_per_class_split_is_fixed_9_to_1_and_disjoint():
    labels = np.repeat(np.arange(3), [10, 20, 31])
    train, test = per_class_split(labels, "train"), per_class_split(labels, "test")
    assert len(set(train) & set(test)) == 0 and len(train) + len(test) == len(labels)
    assert np.bincount(labels[test]).tolist() == [1, 2, 3]
    assert np.array_equal(per_class_split(labels, "train"), train)


def test_dvs_gesture_through_tonic_from_a_prepared_folder(tmp_path):
    """A miniature DVSGesture folder in tonic's layout (the real one is 2.4 GB)."""
    from qsnn.data.download import write_marker

    base = tmp_path / "dvs-gesture" / "DVSGesture"
    rng = np.random.default_rng(0)
    for split, folder in (("train", "ibmGestureTrain"), ("test", "ibmGestureTest")):
        for user in range(10):
            d = base / folder / f"user{user + 1:02d}_fluorescent"
            d.mkdir(parents=True)
            for label in range(11):  # tonic's layout: one .npy of [x, y, p, t(ms)] rows per gesture
                n = 50
                rows = np.stack(
                    [
                        rng.integers(0, 128, n),
                        rng.integers(0, 128, n),
                        rng.integers(0, 2, n),
                        np.sort(rng.integers(0, 6000, n)),
                    ],
                    1,
                )
                np.save(d / f"{label}.npy", rows)
    for spec in registry.load_manifest("dvs-gesture").files:
        (base / spec.filename).write_bytes(b"placeholder")  # tonic checks the archive is present
        write_marker(base / spec.marker_name(), "test\n")
    ds = build("dvs-gesture", "train", 4, root=tmp_path)
    assert len(ds) == 110 and len(build("dvs-gesture", "test", 4, root=tmp_path)) == 110
    x, y = ds[0]
    assert x.shape == (4, 2, 48, 48) and x.dtype == torch.float32 and float(x.sum()) == 50 and 0 <= y <= 10


# --------------------------------------------------------------------------- CLI
def test_cli_list_and_prepare(tmp_path, capsys):
    assert cli_main(["data", "list", "--root", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in NAMES) and "not prepared" in out
    assert cli_main(["data", "prepare", "cifar10", "--root", str(tmp_path), "--no-download"]) == 2
    assert "cifar-10-python.tar.gz" in capsys.readouterr().err
    assert cli_main(["data", "prepare", "nope"]) == 2
    assert "known datasets" in capsys.readouterr().err


def test_prepared_marker_but_missing_files_fails_before_tonic_downloads(tmp_path, monkeypatch):
    from qsnn.data.download import write_marker

    base = tmp_path / "dvs-gesture" / "DVSGesture"
    base.mkdir(parents=True)
    for spec in registry.load_manifest("dvs-gesture").files:
        write_marker(base / spec.marker_name(), "test\n")
    import tonic.dataset

    monkeypatch.setattr(tonic.dataset.Dataset, "download", lambda self: pytest.fail("tonic tried to download"))
    with pytest.raises(DatasetNotFoundError, match="expected at least 100 .npy"):
        build("dvs-gesture", "test", 2, root=tmp_path)


def test_builders_import_the_manifests_not_the_registry():
    """qsnn.data.registry imports the builders; they import qsnn.data.manifest, never the registry (no cycle)."""
    import ast
    from pathlib import Path

    folder = Path(registry.__file__).parent
    for path in sorted(folder.glob("*.py")):
        if path.name in ("registry.py", "__init__.py"):
            continue
        imported = {
            n.module for n in ast.walk(ast.parse(path.read_text())) if isinstance(n, ast.ImportFrom) and n.module
        }
        assert not imported & {"qsnn.data.registry", "qsnn.data"}, path.name
