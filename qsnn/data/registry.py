"""The dataset registry: names, manifests, ``dataset_info``, ``build`` and ``prepare``.

Manifests live in ``data/manifests/<name>.yaml``, shipped as package data (:mod:`qsnn.resources`);
one per dataset: source URLs, checksums, licence note, expected sizes. ``build`` dispatches to the loader modules:
:mod:`qsnn.data.static` (cifar10, cifar100, imagenet, digits), :mod:`qsnn.data.neuromorphic`
(cifar10-dvs, dvs-gesture, n-caltech101 via tonic), :mod:`qsnn.data.digits_dvs` and
:mod:`qsnn.data.motion_dvs`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from qsnn import resources
from qsnn.data.download import UNVERIFIED, VERIFIED, ArchiveSpec, fetch_and_extract, is_complete, marker_state

DATASET_NAMES = ("cifar10", "cifar100", "imagenet", "cifar10-dvs", "dvs-gesture", "n-caltech101",
                 "digits", "digits-dvs", "motion-dvs")
SPLITS = ("train", "test")
MANIFEST_DIR = resources.manifest_dir()  # package data (qsnn/resources.py); tests may point it elsewhere


class UnknownDatasetError(ValueError):
    """A dataset name that is not registered."""


class DatasetNotFoundError(FileNotFoundError, ValueError):
    """The dataset's files are not on disk; the message says how to get them (URL or layout).

    Both a FileNotFoundError (what it is) and a ValueError (the project's bad-input convention).
    """


@dataclass(frozen=True)
class DatasetInfo:
    name: str
    kind: str  # "static" | "neuromorphic"
    input_shape: tuple[int, int, int]  # per time step for neuromorphic sets: (2, H, W)
    num_classes: int
    stand_in: str | None = None  # what this offline stand-in replaces; None for paper datasets


@dataclass(frozen=True)
class Manifest:
    info: DatasetInfo
    files: tuple[ArchiveSpec, ...]
    license: str
    homepage: str
    raw: dict = field(default_factory=dict, compare=False)


def _check_name(name: str) -> str:
    if name not in DATASET_NAMES:
        raise UnknownDatasetError(
            f"unknown dataset {name!r}; known datasets: {', '.join(DATASET_NAMES)}")
    return name


@lru_cache(maxsize=None)
def load_manifest(name: str) -> Manifest:
    _check_name(name)
    path = MANIFEST_DIR / f"{name}.yaml"
    if not path.exists():
        raise FileNotFoundError(f"manifest {path} is missing; the repository checkout is incomplete")
    raw = yaml.safe_load(path.read_text())
    files = tuple(
        ArchiveSpec(url=f["url"], filename=f["filename"], md5=f.get("md5"), sha256=f.get("sha256"),
                    size_bytes=f.get("size_bytes"), dest=f.get("dest", "."),
                    nested=tuple(f.get("nested", ())))
        for f in raw.get("files", []))
    info = DatasetInfo(name=raw["name"], kind=raw["kind"], input_shape=tuple(raw["input_shape"]),
                       num_classes=int(raw["num_classes"]), stand_in=raw.get("stand_in"))
    return Manifest(info=info, files=files, license=raw.get("license", ""),
                    homepage=raw.get("homepage", ""), raw=raw)


def list_datasets() -> list[str]:
    return list(DATASET_NAMES)


def dataset_info(name: str) -> DatasetInfo:
    return load_manifest(name).info


def missing_message(name: str, root: Path) -> str:
    """One line: where the data should be, the command that prepares it, and the offline route."""
    manifest = load_manifest(name)
    urls = ", ".join(spec.url for spec in manifest.files)
    return (f"dataset {name!r} is not prepared under {Path(root) / name}: run `qsnn data prepare {name} --root {root}` "
            f"(it downloads {urls}); without internet, fetch that by hand and add --archive-dir FOLDER")


def is_prepared(name: str, root: Path) -> bool:
    manifest = load_manifest(name)
    return all(is_complete(spec, Path(root) / name) for spec in manifest.files)


def verification_state(name: str, root: Path) -> str:
    """How the prepared files of ``name`` were checked: ``verified`` (checksums matched),
    ``unverified`` (prepared with --skip-checksum), ``offline`` (generated or bundled: digits,
    digits-dvs) or ``user-supplied`` (ImageNet folders, which have no published checksum)."""
    manifest = load_manifest(name)
    if not manifest.files:
        return "user-supplied" if name == "imagenet" else "offline"
    states = {marker_state(spec, Path(root) / name) for spec in manifest.files}
    if None in states:
        return "not prepared"
    return UNVERIFIED if UNVERIFIED in states else VERIFIED


def prepare(name: str, root: Path = Path("data"), download: bool = True, progress: bool = True,
            archive_dir: Path | None = None, verify: bool = True) -> Path:
    """Download, verify and extract ``name`` under ``root/name`` (idempotent); return that folder.

    ``digits`` needs nothing (scikit-learn bundles it); ``digits-dvs`` and ``motion-dvs`` generate
    and cache their events (returning ``root/cache/<name>``); ``imagenet`` only checks the
    user-supplied folders.
    ``archive_dir`` takes the manifest's files from a local folder instead of downloading them;
    ``verify=False`` skips their checksums and records the data as ``unverified``.
    """
    _check_name(name)
    root = Path(root)
    if name == "imagenet":
        from qsnn.data.static import check_imagenet_layout

        check_imagenet_layout(root)
    elif name == "digits-dvs":
        from qsnn.data.digits_dvs import SaccadeSensorConfig, cache_path, load_or_generate

        load_or_generate(root)
        return cache_path(root, 0, SaccadeSensorConfig()).parent
    elif name == "motion-dvs":
        from qsnn.data.motion_dvs import MotionSensorConfig, cache_path, load_or_generate

        load_or_generate(root)
        return cache_path(root, 0, MotionSensorConfig()).parent
    for spec in load_manifest(name).files:
        if archive_dir is not None:  # its own one-line errors name the missing file and its URL
            fetch_and_extract(spec, root / name, download=False, progress=progress,
                              archive_dir=archive_dir, verify=verify)
            continue
        try:
            fetch_and_extract(spec, root / name, download=download, progress=progress, verify=verify)
        except FileNotFoundError as err:
            raise DatasetNotFoundError(missing_message(name, root)) from err
    return root / name


def build(name: str, split: str, T: int, root: Path = Path("data"), download: bool = False):
    """A torch Dataset of ``(x, y)``: static ``x`` is ``[C,H,W]``, neuromorphic ``x`` ``[T,C,H,W]``.

    ``T`` is the run's number of time steps: neuromorphic sets bin their events into T frames;
    static sets ignore it (the model repeats the image over T).
    """
    _check_name(name)
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; use one of {SPLITS}")
    if int(T) < 1:
        raise ValueError(f"T must be >= 1, got {T}")
    root = Path(root)
    if load_manifest(name).files and not is_prepared(name, root):
        if not download:
            raise DatasetNotFoundError(missing_message(name, root))
        prepare(name, root)
    if name in ("cifar10", "cifar100", "imagenet", "digits"):
        from qsnn.data import static

        return static.build_static(name, split, root)
    if name == "digits-dvs":
        from qsnn.data.digits_dvs import DigitsDVS

        return DigitsDVS(split=split, T=int(T), root=root)
    if name == "motion-dvs":
        from qsnn.data.motion_dvs import MotionDVS

        return MotionDVS(split=split, T=int(T), root=root)
    from qsnn.data.neuromorphic import build_tonic

    return build_tonic(name, split, int(T), root)
