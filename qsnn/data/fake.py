"""Format-exact fake copies of the paper's six datasets, to rehearse the real data pipeline offline.

``write_fake(name, out)`` writes into ``out`` the files a real download delivers, under the exact
file names of the manifest (``load_manifest(name).files[i].filename``), flat in ``out``. Then
``qsnn data prepare NAME --archive-dir OUT --skip-checksum`` places, extracts and marks them like a
download, and ``qsnn.data.build(name, split, T, root)`` reads them through the *same* readers as
real data: the pickle loader of :mod:`qsnn.data.static`, tonic's dataset classes (and tonic's own
``read_mnist_file`` / ``read_aedat4`` parsers), the ImageFolder reader of :mod:`qsnn.data.static`. No reader has a
shortcut for fakes; the checksums of course differ (hence ``--skip-checksum``).

Everything is deterministic from ``seed`` (same seed, same bytes: archive members carry a fixed
date, gzip headers no time stamp). Files are written atomically (temporary file, then
``os.replace``) with mode 0644. Pixel values and events are synthetic, with a class-dependent
pattern (a colour/brightness code for images; a dot sweeping along a class-specific direction for
events) so that a model could in principle learn something; accuracies on fakes mean nothing.

The layer each fake is written at
--------------------------------
* ``cifar10`` / ``cifar100``: the **download archive** ``cifar-10-python.tar.gz`` /
  ``cifar-100-python.tar.gz``, a gzipped tar holding ``cifar-10-batches-py/{data_batch_1..5,
  test_batch, batches.meta, readme.html}`` / ``cifar-100-python/{train, test, meta}``. Each batch is
  a protocol-2 pickle emitted opcode by opcode as Python 2's cPickle wrote the official files
  (byte-string keys and values, numpy arrays through ``numpy.core.multiarray._reconstruct`` with
  their raw bytes as a byte string; memo opcodes are left out), so Python 3 must load them with
  ``encoding="latin1"`` exactly as the real ones: ``data`` uint8 ``[N, 3072]`` (R, G, B planes of
  32x32), ``labels`` (CIFAR-10) or ``fine_labels`` + ``coarse_labels`` (CIFAR-100, the real
  fine-to-coarse mapping), ``filenames``, ``batch_label``; the meta files hold the real label names.
  ``samples`` images per class **per batch file** (CIFAR-10's train split has 5 batch files).
* ``imagenet``: there is no archive in our pipeline (the user arranges the folders), so the fake is
  the **prepared folder layout** ``out/train/<wnid>/<wnid>_<k>.JPEG`` and
  ``out/val/<wnid>/ILSVRC2012_val_<8 digits>.JPEG`` of real JPEG files; ``out`` is meant to be
  ``ROOT/imagenet``. Only the first 10 real ImageNet-1k WordNet ids (n01440764 tench ...
  n01518878 ostrich) are used: the ImageFolder reader counts classes from the folders, so labels are
  0..9, which is all a 1000-class model needs (labels < 1000). As in the real train set, one train
  image is CMYK and one val image greyscale (the reader converts both to RGB).
  ``samples`` images per class per split.
* ``dvs-gesture``: the **download archives** ``ibmGestureTrain.tar.gz`` / ``ibmGestureTest.tar.gz``
  (tonic's re-packaging): ``ibmGesture{Train,Test}/user<NN>_<lighting>/<label>.npy``, one recording
  per class per user/lighting folder, each an int64 ``[N, 4]`` array with columns ``x, y, p, t``
  and ``t`` in milliseconds (tonic's ``DVSGesture`` multiplies it by 1000; int64 is what tonic's
  own test fixture writes, the real files' dtype was not checked offline). Train users 1-23, test
  users 24-29, lightings as in the real set. ``samples`` recordings per class per split, but at
  least 10 (tonic's ``_check_exists`` wants >= 100 .npy files per split) and at most 30 (6 test
  users x 5 lightings).
* ``n-caltech101``: the **download archive**: the file at tonic's URL (MD5 66201824...) is
  ``Caltech101.zip`` itself, saved under the manifest name ``N-Caltech101-archive.zip``; it holds
  ``Caltech101/<class>/image_<NNNN>.bin`` in the N-MNIST 40-bit event encoding (x 8 bits,
  y 8 bits, polarity 1 bit, time stamp 23 bits in µs) that ``tonic.io.read_mnist_file`` decodes.
  101 real class folders (100 Caltech101 categories without 'Faces', plus BACKGROUND_Google).
  tonic's ``_check_exists`` wants >= 8709 .bin files, so at least 8709 tiny recordings are written
  (``max(8709, 101 * samples)``, spread evenly over the classes; ``samples`` counts recordings
  per class over both splits, which we cut 9:1 ourselves).
* ``cifar10-dvs``: the **download archive** ``CIFAR10DVS.zip`` holding one zip per class
  (``airplane.zip`` ... ``truck.zip``), each holding ``<class>/cifar10_<class>_<i>.aedat4``
  (tonic takes the label from the folder name; the file names follow the original release and
  were not checked against the figshare zip offline).
  The .aedat4 files are genuine AEDAT 4.0 (``#!AER-DAT4.0\\r\\n``, a size-prefixed ``IOHE``
  flatbuffer with compression NONE and a DV XML description naming one ``EVTS`` stream of
  128x128, then packets of size-prefixed ``EVTS`` EventPacket flatbuffers of
  ``struct Event {int64 t; int16 x; int16 y; bool on}``), hand-encoded here and decoded by the
  ``aedat`` package that ``tonic.io.read_aedat4`` uses. Time stamps are µs from a per-file offset.
  ``max(samples, 100)`` recordings per class over both splits (tonic wants >= 1000 .aedat4 files).

All events lie inside the manifest's ``sensor_size``, have both polarities and strictly increasing
time stamps.
"""

from __future__ import annotations

import gzip
import io
import os
import struct
import tarfile
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

FAKE_DATASETS = ("cifar10", "cifar100", "imagenet", "cifar10-dvs", "dvs-gesture", "n-caltech101")
DEFAULT_SAMPLES = 2
EVENTS_PER_RECORDING = 48  # "tiny": a few dozen events keep 10^4 recordings at a few MB
ARCHIVE_DATE = (2024, 6, 17, 0, 0, 0)  # fixed member date: same seed, same bytes (CVPR 2024)
ARCHIVE_MTIME = 1718582400  # the same instant as a Unix time

# --------------------------------------------------------------------------- real class names
CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
# CIFAR-100's 20 superclasses and their 5 classes each (Krizhevsky 2009); fine labels are the
# alphabetical index of the class name, coarse labels that of the superclass.
CIFAR100_SUPERCLASSES = {
    "aquatic_mammals": ("beaver", "dolphin", "otter", "seal", "whale"),
    "fish": ("aquarium_fish", "flatfish", "ray", "shark", "trout"),
    "flowers": ("orchid", "poppy", "rose", "sunflower", "tulip"),
    "food_containers": ("bottle", "bowl", "can", "cup", "plate"),
    "fruit_and_vegetables": ("apple", "mushroom", "orange", "pear", "sweet_pepper"),
    "household_electrical_devices": ("clock", "keyboard", "lamp", "telephone", "television"),
    "household_furniture": ("bed", "chair", "couch", "table", "wardrobe"),
    "insects": ("bee", "beetle", "butterfly", "caterpillar", "cockroach"),
    "large_carnivores": ("bear", "leopard", "lion", "tiger", "wolf"),
    "large_man-made_outdoor_things": ("bridge", "castle", "house", "road", "skyscraper"),
    "large_natural_outdoor_scenes": ("cloud", "forest", "mountain", "plain", "sea"),
    "large_omnivores_and_herbivores": ("camel", "cattle", "chimpanzee", "elephant", "kangaroo"),
    "medium_mammals": ("fox", "porcupine", "possum", "raccoon", "skunk"),
    "non-insect_invertebrates": ("crab", "lobster", "snail", "spider", "worm"),
    "people": ("baby", "boy", "girl", "man", "woman"),
    "reptiles": ("crocodile", "dinosaur", "lizard", "snake", "turtle"),
    "small_mammals": ("hamster", "mouse", "rabbit", "shrew", "squirrel"),
    "trees": ("maple_tree", "oak_tree", "palm_tree", "pine_tree", "willow_tree"),
    "vehicles_1": ("bicycle", "bus", "motorcycle", "pickup_truck", "train"),
    "vehicles_2": ("lawn_mower", "rocket", "streetcar", "tank", "tractor"),
}
# The first 10 ImageNet-1k classes in the usual (sorted wnid) order.
IMAGENET_WNIDS = (
    "n01440764",
    "n01443537",
    "n01484850",
    "n01491361",
    "n01494475",
    "n01496331",
    "n01498041",
    "n01514668",
    "n01514859",
    "n01518878",
)
DVS_GESTURE_LIGHTINGS = ("fluorescent", "fluorescent_led", "lab", "led", "natural")
DVS_GESTURE_USERS = {"train": tuple(range(1, 24)), "test": tuple(range(24, 30))}
DVS_GESTURE_CLASSES = 11
DVS_GESTURE_MIN_PER_CLASS = 10  # 10 folders x 11 classes = 110 >= tonic's 100 .npy per split
# The 101 N-Caltech101 folders: Caltech101's categories without 'Faces' (removed by Orchard et
# al.), plus BACKGROUND_Google.
NCALTECH101_CLASSES = (
    "BACKGROUND_Google",
    "Faces_easy",
    "Leopards",
    "Motorbikes",
    "accordion",
    "airplanes",
    "anchor",
    "ant",
    "barrel",
    "bass",
    "beaver",
    "binocular",
    "bonsai",
    "brain",
    "brontosaurus",
    "buddha",
    "butterfly",
    "camera",
    "cannon",
    "car_side",
    "ceiling_fan",
    "cellphone",
    "chair",
    "chandelier",
    "cougar_body",
    "cougar_face",
    "crab",
    "crayfish",
    "crocodile",
    "crocodile_head",
    "cup",
    "dalmatian",
    "dollar_bill",
    "dolphin",
    "dragonfly",
    "electric_guitar",
    "elephant",
    "emu",
    "euphonium",
    "ewer",
    "ferry",
    "flamingo",
    "flamingo_head",
    "garfield",
    "gerenuk",
    "gramophone",
    "grand_piano",
    "hawksbill",
    "headphone",
    "hedgehog",
    "helicopter",
    "ibis",
    "inline_skate",
    "joshua_tree",
    "kangaroo",
    "ketch",
    "lamp",
    "laptop",
    "llama",
    "lobster",
    "lotus",
    "mandolin",
    "mayfly",
    "menorah",
    "metronome",
    "minaret",
    "nautilus",
    "octopus",
    "okapi",
    "pagoda",
    "panda",
    "pigeon",
    "pizza",
    "platypus",
    "pyramid",
    "revolver",
    "rhino",
    "rooster",
    "saxophone",
    "schooner",
    "scissors",
    "scorpion",
    "sea_horse",
    "snoopy",
    "soccer_ball",
    "stapler",
    "starfish",
    "stegosaurus",
    "stop_sign",
    "strawberry",
    "sunflower",
    "tick",
    "trilobite",
    "umbrella",
    "watch",
    "water_lilly",
    "wheelchair",
    "wild_cat",
    "windsor_chair",
    "wrench",
    "yin_yang",
)
NCALTECH101_MIN_FILES = 8709  # tonic's NCALTECH101._check_exists
CIFAR10DVS_MIN_PER_CLASS = 100  # tonic's CIFAR10DVS._check_exists wants >= 1000 .aedat4


# --------------------------------------------------------------------------- entry point
def write_fake(name: str, out: Path, samples: int | None = None, seed: int = 0) -> list[Path]:
    """Write the fake of paper dataset ``name`` into ``out``; return the files written.

    ``samples``: images/recordings per class per split (default 2), raised where tonic's
    presence checks need more files; see the module docstring for each dataset's exact meaning.
    """
    from qsnn.data.manifest import DATASET_NAMES, UnknownDatasetError, load_manifest

    if name not in DATASET_NAMES:
        raise UnknownDatasetError(f"unknown dataset {name!r}; fakes exist for: {', '.join(FAKE_DATASETS)}")
    if name not in FAKE_DATASETS:
        raise ValueError(
            f"{name!r} is an offline stand-in (bundled with scikit-learn or generated locally); "
            f"it needs no fake (fakes exist for: {', '.join(FAKE_DATASETS)})"
        )
    if samples is None:
        samples = DEFAULT_SAMPLES
    if isinstance(samples, bool) or not isinstance(samples, (int, np.integer)) or samples < 1:
        raise ValueError(f"samples must be a positive integer, got {samples!r}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    manifest = load_manifest(name)
    return _WRITERS[name](out, int(samples), np.random.default_rng(seed), manifest)


# --------------------------------------------------------------------------- file helpers
def _write_atomic(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` via a temporary sibling and ``os.replace``; mode 0644."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _parents(names) -> list[str]:
    """Every folder above the given member names, parents first (archives list their folders)."""
    folders: list[str] = []
    for name in names:
        parts = name.split("/")[:-1]
        for depth in range(1, len(parts) + 1):
            folder = "/".join(parts[:depth]) + "/"
            if folder not in folders:
                folders.append(folder)
    return folders


def _tar_gz(members: list[tuple[str, bytes]]) -> bytes:
    """A deterministic .tar.gz of ``(name, data)`` members, with their folders."""
    raw = io.BytesIO()
    with (
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=6) as gz,
        tarfile.open(fileobj=gz, mode="w", format=tarfile.GNU_FORMAT) as tar,
    ):
        for folder in _parents(name for name, _ in members):
            info = tarfile.TarInfo(folder.rstrip("/"))
            info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, ARCHIVE_MTIME
            tar.addfile(info)
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), 0o644, ARCHIVE_MTIME
            tar.addfile(info, io.BytesIO(data))
    return raw.getvalue()


def _zip(members: list[tuple[str, bytes]], compress: bool = True) -> bytes:
    """A deterministic .zip of ``(name, data)`` members, with their folders."""
    raw = io.BytesIO()
    method = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    with zipfile.ZipFile(raw, "w") as zf:
        for folder in _parents(name for name, _ in members):
            info = zipfile.ZipInfo(folder, date_time=ARCHIVE_DATE)
            info.create_system, info.external_attr = 3, (0o40755 << 16) | 0x10
            zf.writestr(info, b"")
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=ARCHIVE_DATE)
            info.create_system, info.external_attr, info.compress_type = 3, 0o100644 << 16, method
            zf.writestr(info, data)
    return raw.getvalue()


# --------------------------------------------------------------------------- events
def _sweeps(
    rng: np.random.Generator,
    label: int,
    n_classes: int,
    count: int,
    width: int,
    height: int,
    duration: int,
    n: int = EVENTS_PER_RECORDING,
):
    """``count`` recordings of ``n`` events each: ``x, y, p, t`` arrays of shape ``[count, n]``.

    A dot sweeps through the centre along the direction ``pi * label / n_classes`` (the
    class-dependent pattern), with pixel jitter; ON events lead, OFF events trail, mixed at random
    with at least one of each. Time stamps strictly increase and span about ``duration``.
    """
    angle = np.pi * label / n_classes
    reach = 0.4 * (min(width, height) - 1)
    along = np.linspace(-1.0, 1.0, n)[None, :] * reach
    x = (width - 1) / 2 + along * np.cos(angle) + rng.normal(0.0, 1.5, (count, n))
    y = (height - 1) / 2 + along * np.sin(angle) + rng.normal(0.0, 1.5, (count, n))
    x = np.clip(np.rint(x), 0, width - 1).astype(np.int64)
    y = np.clip(np.rint(y), 0, height - 1).astype(np.int64)
    p = (rng.random((count, n)) < 0.6).astype(np.int64)
    p[:, 0], p[:, -1] = 1, 0  # both polarities in every recording
    mean_gap = max(1, duration // n)
    t = np.cumsum(rng.integers(1, 2 * mean_gap, (count, n)), axis=1)  # gaps >= 1: strictly increasing
    return x, y, p, t


# --------------------------------------------------------------------------- CIFAR: py2 pickles
def _py2_pickle(obj) -> bytes:
    """``obj`` as a protocol-2 pickle with Python 2 semantics (see module docstring)."""
    out = bytearray(b"\x80\x02")
    _py2_emit(obj, out)
    out += b"."
    return bytes(out)


def _py2_str(text: str | bytes, out: bytearray) -> None:
    data = text.encode("latin1") if isinstance(text, str) else text
    if len(data) < 256:
        out += b"U" + bytes([len(data)]) + data  # SHORT_BINSTRING
    else:
        out += b"T" + struct.pack("<i", len(data)) + data  # BINSTRING


def _py2_emit(obj, out: bytearray) -> None:
    if obj is None:
        out += b"N"
    elif obj is False or obj is True:
        out += b"\x88" if obj else b"\x89"
    elif isinstance(obj, (int, np.integer)):
        value = int(obj)
        if 0 <= value < 256:
            out += b"K" + bytes([value])
        elif 0 <= value < 65536:
            out += b"M" + struct.pack("<H", value)
        else:
            out += b"J" + struct.pack("<i", value)
    elif isinstance(obj, (str, bytes)):
        _py2_str(obj, out)
    elif isinstance(obj, tuple):
        if 1 <= len(obj) <= 3:
            for item in obj:
                _py2_emit(item, out)
            out += {1: b"\x85", 2: b"\x86", 3: b"\x87"}[len(obj)]
        else:
            out += b"("
            for item in obj:
                _py2_emit(item, out)
            out += b"t"
    elif isinstance(obj, list):
        out += b"]"
        for start in range(0, len(obj), 1000):  # cPickle appends in batches of 1000
            batch = obj[start : start + 1000]
            if len(batch) == 1:
                _py2_emit(batch[0], out)
                out += b"a"
            else:
                out += b"("
                for item in batch:
                    _py2_emit(item, out)
                out += b"e"
    elif isinstance(obj, dict):
        out += b"}"
        if obj:
            out += b"("
            for key, value in obj.items():
                _py2_emit(key, out)
                _py2_emit(value, out)
            out += b"u"
    elif isinstance(obj, np.ndarray):
        if obj.dtype != np.uint8:
            raise TypeError("only uint8 arrays are needed for the CIFAR fakes")
        # numpy 1.x's ndarray.__reduce__: _reconstruct(ndarray, (0,), 'b') then __setstate__.
        out += b"cnumpy.core.multiarray\n_reconstruct\ncnumpy\nndarray\n"
        _py2_emit((0,), out)
        _py2_str("b", out)
        out += b"\x87R("
        _py2_emit(1, out)
        _py2_emit(tuple(int(s) for s in obj.shape), out)
        out += b"cnumpy\ndtype\n"
        _py2_emit(("u1", 0, 1), out)
        out += b"R"
        _py2_emit((3, "|", None, None, None, -1, -1, 0), out)
        out += b"b"
        _py2_emit(False, out)
        _py2_str(np.ascontiguousarray(obj).tobytes(), out)
        out += b"tb"
    else:
        raise TypeError(f"cannot pickle {type(obj).__name__} for the CIFAR fakes")


def _cifar_images(rng: np.random.Generator, labels: np.ndarray, n_classes: int) -> np.ndarray:
    """uint8 ``[N, 3072]``: a class-coded colour and a brightness ramp, plus noise."""
    n = len(labels)
    colour = 40.0 + (labels[:, None] * np.array([37, 91, 173])) % 176  # [N, 3]
    ramp = np.linspace(-30.0, 30.0, 32)[None, None, :, None] * np.cos(np.pi * labels / n_classes)[:, None, None, None]
    images = colour[:, :, None, None] + ramp + rng.normal(0.0, 12.0, (n, 3, 32, 32))
    return np.clip(np.rint(images), 0, 255).astype(np.uint8).reshape(n, 3072)


def _cifar_batch(rng, per_class: int, n_classes: int, names, batch_label: str, fine_to_coarse=None) -> dict:
    labels = rng.permutation(np.repeat(np.arange(n_classes), per_class))  # real batches are shuffled
    serial = rng.choice(100000, size=len(labels), replace=False)
    filenames = [f"{names[c]}_s_{s:06d}.png" for c, s in zip(labels, serial, strict=True)]
    data = _cifar_images(rng, labels, n_classes)
    if fine_to_coarse is None:
        return {"batch_label": batch_label, "labels": [int(c) for c in labels], "data": data, "filenames": filenames}
    return {
        "filenames": filenames,
        "batch_label": batch_label,
        "fine_labels": [int(c) for c in labels],
        "coarse_labels": [int(fine_to_coarse[c]) for c in labels],
        "data": data,
    }


CIFAR10_README = (
    b"<html><head><title>CIFAR-10 (fake)</title></head><body>\n"
    b"<p>Format-exact FAKE of the CIFAR-10 python version, written by qsnn.data.fake for offline "
    b"pipeline rehearsal. Not images of the real dataset; see "
    b"https://www.cs.toronto.edu/~kriz/cifar.html</p>\n</body></html>\n"
)


def _write_cifar10(out: Path, samples: int, rng, manifest) -> list[Path]:
    folder = "cifar-10-batches-py"
    members = []
    for i in range(1, 6):
        batch = _cifar_batch(rng, samples, 10, CIFAR10_CLASSES, f"training batch {i} of 5")
        members.append((f"{folder}/data_batch_{i}", _py2_pickle(batch)))
    test = _cifar_batch(rng, samples, 10, CIFAR10_CLASSES, "testing batch 1 of 1")
    members.append((f"{folder}/test_batch", _py2_pickle(test)))
    meta = {"num_cases_per_batch": 10 * samples, "label_names": list(CIFAR10_CLASSES), "num_vis": 3072}
    members.append((f"{folder}/batches.meta", _py2_pickle(meta)))
    members.append((f"{folder}/readme.html", CIFAR10_README))
    return [_write_atomic(out / manifest.files[0].filename, _tar_gz(members))]


def _write_cifar100(out: Path, samples: int, rng, manifest) -> list[Path]:
    fine = sorted(c for classes in CIFAR100_SUPERCLASSES.values() for c in classes)
    coarse = sorted(CIFAR100_SUPERCLASSES)
    fine_to_coarse = [coarse.index(next(s for s, cs in CIFAR100_SUPERCLASSES.items() if c in cs)) for c in fine]
    folder = "cifar-100-python"
    members = [
        (
            f"{folder}/{split}",
            _py2_pickle(_cifar_batch(rng, samples, 100, fine, f"{kind} batch 1 of 1", fine_to_coarse)),
        )
        for split, kind in (("train", "training"), ("test", "testing"))
    ]
    members.append((f"{folder}/meta", _py2_pickle({"fine_label_names": fine, "coarse_label_names": coarse})))
    return [_write_atomic(out / manifest.files[0].filename, _tar_gz(members))]


# --------------------------------------------------------------------------- ImageNet
def _jpeg(rng, label: int, mode: str) -> bytes:
    from PIL import Image

    width, height = (int(v) for v in rng.integers(64, 129, 2))
    hue = np.array([(label * 37) % 256, (label * 91) % 256, (label * 173) % 256], dtype=np.float64)
    pixels = hue[None, None, :] + rng.normal(0.0, 20.0, (height, width, 3))
    pixels[:, : width // 2] *= 0.6  # a class-independent edge, so the crops differ
    image = Image.fromarray(np.clip(np.rint(pixels), 0, 255).astype(np.uint8), "RGB").convert(mode)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def _write_imagenet(out: Path, samples: int, rng, manifest) -> list[Path]:
    written = []
    n_val = len(IMAGENET_WNIDS) * samples
    val_numbers = iter(np.sort(rng.choice(50000, size=n_val, replace=False) + 1)[rng.permutation(n_val)])
    for label, wnid in enumerate(IMAGENET_WNIDS):
        for split in ("train", "val"):
            folder = out / split / wnid
            folder.mkdir(parents=True, exist_ok=True)
            serials = np.sort(rng.choice(13000, size=samples, replace=False) + 1)
            for k in range(samples):
                # As in the real set: a few CMYK train JPEGs, some greyscale val JPEGs.
                mode = (
                    "CMYK"
                    if (split, label, k) == ("train", 1, 0)
                    else "L"
                    if (split, label, k) == ("val", 2, 0)
                    else "RGB"
                )
                filename = (
                    f"{wnid}_{serials[k]}.JPEG" if split == "train" else f"ILSVRC2012_val_{next(val_numbers):08d}.JPEG"
                )
                written.append(_write_atomic(folder / filename, _jpeg(rng, label, mode)))
    return written


# --------------------------------------------------------------------------- DVS128 Gesture
def _write_dvs_gesture(out: Path, samples: int, rng, manifest) -> list[Path]:
    per_class = max(samples, DVS_GESTURE_MIN_PER_CLASS)
    limit = len(DVS_GESTURE_USERS["test"]) * len(DVS_GESTURE_LIGHTINGS)
    if per_class > limit:
        raise ValueError(
            f"dvs-gesture holds one recording per class per user/lighting folder, so at most "
            f"{limit} per class (6 test users x 5 lightings); got samples={samples}"
        )
    width, height, _ = manifest.raw["sensor_size"]
    by_name = {spec.filename: spec for spec in manifest.files}
    written = []
    for split, filename in (("train", "ibmGestureTrain.tar.gz"), ("test", "ibmGestureTest.tar.gz")):
        if filename not in by_name:
            raise ValueError(f"the dvs-gesture manifest no longer lists {filename}; update qsnn/data/fake.py")
        top = filename.removesuffix(".tar.gz")
        users = DVS_GESTURE_USERS[split]
        folders = [
            f"user{users[k % len(users)]:02d}_{DVS_GESTURE_LIGHTINGS[k // len(users)]}" for k in range(per_class)
        ]
        sweeps = [
            _sweeps(rng, c, DVS_GESTURE_CLASSES, per_class, width, height, duration=6000)
            for c in range(DVS_GESTURE_CLASSES)
        ]  # t in ms, like tonic's re-packaging
        members = []
        for k, folder in enumerate(sorted(folders)):
            for c in range(DVS_GESTURE_CLASSES):
                x, y, p, t = (a[k] for a in sweeps[c])
                buffer = io.BytesIO()
                np.save(buffer, np.stack([x, y, p, t], axis=1).astype(np.int64))
                members.append((f"{top}/{folder}/{c}.npy", buffer.getvalue()))
        written.append(_write_atomic(out / filename, _tar_gz(members)))
    return written


# --------------------------------------------------------------------------- N-Caltech101
def _nmnist_bytes(x, y, p, t) -> bytes:
    """The N-MNIST/N-Caltech101 40-bit encoding: x, y, then polarity bit + 23-bit time stamp."""
    if t.max() >= 1 << 23 or y.max() >= 240:  # y == 240 marks a time-stamp overflow event
        raise ValueError("N-MNIST encoding needs t < 2**23 us and y < 240")
    raw = np.empty((len(t), 5), dtype=np.uint8)
    raw[:, 0], raw[:, 1] = x, y
    raw[:, 2] = (p << 7) | ((t >> 16) & 0x7F)
    raw[:, 3], raw[:, 4] = (t >> 8) & 0xFF, t & 0xFF
    return raw.tobytes()


def _write_ncaltech101(out: Path, samples: int, rng, manifest) -> list[Path]:
    n_classes = len(NCALTECH101_CLASSES)
    if n_classes != manifest.info.num_classes:
        raise ValueError(f"fake has {n_classes} N-Caltech101 classes, the manifest {manifest.info.num_classes}")
    width, height, _ = manifest.raw["sensor_size"]
    total = max(NCALTECH101_MIN_FILES, n_classes * samples)
    counts = [total // n_classes + (1 if c < total % n_classes else 0) for c in range(n_classes)]
    members = []
    for c, (name, count) in enumerate(zip(NCALTECH101_CLASSES, counts, strict=True)):
        x, y, p, t = _sweeps(rng, c, n_classes, count, width, height, duration=300_000)  # 3 saccades, ~300 ms
        for k in range(count):
            members.append((f"Caltech101/{name}/image_{k + 1:04d}.bin", _nmnist_bytes(x[k], y[k], p[k], t[k])))
    return [_write_atomic(out / manifest.files[0].filename, _zip(members))]


# --------------------------------------------------------------------------- CIFAR10-DVS (AEDAT 4.0)
AEDAT4_MAGIC = b"#!AER-DAT4.0\r\n"
# One flatbuffer struct Event {int64 t; int16 x; int16 y; bool on;}: 13 bytes padded to 16.
AEDAT4_EVENT = np.dtype(
    {"names": ["t", "x", "y", "on"], "formats": ["<i8", "<i2", "<i2", "u1"], "offsets": [0, 8, 10, 12], "itemsize": 16}
)


def _aedat4_description(width: int, height: int, ts_offset: int) -> str:
    """The DV XML stream description, as DV's recorder writes it (one event stream, id 0)."""
    base = "/mainloop/Recorder/outInfo/"
    return (
        f'<dv version="2.0">\n'
        f'    <node name="outInfo" path="{base}">\n'
        f'        <node name="0" path="{base}0/">\n'
        f'            <attr key="compression" type="string">NONE</attr>\n'
        f'            <attr key="originalModuleName" type="string">converter</attr>\n'
        f'            <attr key="originalOutputName" type="string">events</attr>\n'
        f'            <attr key="typeDescription" type="string">Array of events (polarity ON/OFF).</attr>\n'
        f'            <attr key="typeIdentifier" type="string">EVTS</attr>\n'
        f'            <node name="info" path="{base}0/info/">\n'
        f'                <attr key="sizeX" type="int">{width}</attr>\n'
        f'                <attr key="sizeY" type="int">{height}</attr>\n'
        f'                <attr key="source" type="string">DVS128 (qsnn fake)</attr>\n'
        f'                <attr key="tsOffset" type="long">{ts_offset}</attr>\n'
        f"            </node>\n"
        f"        </node>\n"
        f"    </node>\n"
        f"</dv>\n"
    )


def _pad8(buffer: bytearray) -> None:
    buffer += b"\0" * (-len(buffer) % 8)


def _aedat4_ioheader(description: str) -> bytes:
    """Size-prefixed ``IOHE`` flatbuffer: table Ioheader {compression = None (default);
    file_data_position = -1 (default: no file data table, read to the end); description}."""
    text = description.encode("utf-8")
    body = bytearray(struct.pack("<I", 20) + b"IOHE")  # root table at 20; file identifier
    body += struct.pack("<HHHHH", 10, 8, 0, 0, 4) + b"\0\0"  # vtable at 8: 3 fields, only description set
    body += struct.pack("<iI", 20 - 8, 28 - 24)  # table at 20: vtable offset; description string at 28
    body += struct.pack("<I", len(text)) + text + b"\0"
    _pad8(body)
    return struct.pack("<I", len(body)) + bytes(body)


def _aedat4_event_packet(stream_id: int, t, x, y, on) -> bytes:
    """stream id, length, then a size-prefixed ``EVTS`` EventPacket flatbuffer {elements: [Event]}.

    Positions count from the size prefix so the 8-byte Event structs sit 8-byte aligned in the
    buffer the decoder verifies.
    """
    events = np.zeros(len(t), dtype=AEDAT4_EVENT)
    events["t"], events["x"], events["y"], events["on"] = t, x, y, on
    body = bytearray(struct.pack("<I", 20 - 4) + b"EVTS")  # root table at 20 (16 after the prefix)
    body += struct.pack("<HHH", 6, 8, 4) + b"\0\0"  # vtable at 12: 1 field at table offset 4
    body += struct.pack("<iI", 20 - 12, 28 - 24)  # table at 20; vector at 28
    body += struct.pack("<I", len(events)) + events.tobytes()  # elements start at 32: 8-aligned
    buffer = struct.pack("<I", len(body)) + bytes(body)
    return struct.pack("<II", stream_id, len(buffer)) + buffer


def aedat4_bytes(t, x, y, on, width: int, height: int, packet_size: int = 32) -> bytes:
    """A genuine, uncompressed AEDAT 4.0 file holding one event stream (id 0)."""
    t = np.asarray(t, dtype=np.int64)
    parts = [AEDAT4_MAGIC, _aedat4_ioheader(_aedat4_description(width, height, int(t[0]) if len(t) else 0))]
    for start in range(0, len(t), packet_size):
        stop = start + packet_size
        parts.append(_aedat4_event_packet(0, t[start:stop], x[start:stop], y[start:stop], on[start:stop]))
    return b"".join(parts)


def _write_cifar10_dvs(out: Path, samples: int, rng, manifest) -> list[Path]:
    spec = manifest.files[0]
    if tuple(spec.nested) != tuple(f"{c}.zip" for c in CIFAR10_CLASSES):
        raise ValueError(f"the cifar10-dvs manifest's nested archives {spec.nested} differ from the fake's classes")
    width, height, _ = manifest.raw["sensor_size"]
    per_class = max(samples, CIFAR10DVS_MIN_PER_CLASS)
    inner = []
    for c, name in enumerate(CIFAR10_CLASSES):
        x, y, p, t = _sweeps(rng, c, len(CIFAR10_CLASSES), per_class, width, height, duration=1_300_000)
        offsets = rng.integers(0, 1 << 31, per_class)  # a 32-bit device clock's start, in us
        members = [
            (
                f"{name}/cifar10_{name}_{k}.aedat4",
                aedat4_bytes(t[k] + offsets[k], x[k], y[k], p[k].astype(bool), width, height),
            )
            for k in range(per_class)
        ]
        inner.append((f"{name}.zip", _zip(members)))
    return [_write_atomic(out / spec.filename, _zip(inner, compress=False))]


_WRITERS: dict[str, Callable[..., list[Path]]] = {
    "cifar10": _write_cifar10,
    "cifar100": _write_cifar100,
    "imagenet": _write_imagenet,
    "cifar10-dvs": _write_cifar10_dvs,
    "dvs-gesture": _write_dvs_gesture,
    "n-caltech101": _write_ncaltech101,
}
