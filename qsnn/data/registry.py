"""The dataset registry: ``build`` and ``prepare`` (names, manifests and ``dataset_info`` live in
:mod:`qsnn.data.manifest` and are re-exported here). ``build`` dispatches to the loader modules:
:mod:`qsnn.data.static` (cifar10, cifar100, imagenet, digits), :mod:`qsnn.data.neuromorphic`
(cifar10-dvs, dvs-gesture, n-caltech101 via tonic), :mod:`qsnn.data.digits_dvs` and
:mod:`qsnn.data.motion_dvs`.
"""

from __future__ import annotations

from pathlib import Path

from qsnn.data.download import UNVERIFIED, VERIFIED, fetch_and_extract, is_complete, marker_state
from qsnn.data.manifest import (  # noqa: F401  (re-exported: the registry's public names)
    DATASET_NAMES,
    DatasetInfo,
    DatasetNotFoundError,
    Manifest,
    UnknownDatasetError,
    check_name,
    dataset_info,
    list_datasets,
    load_manifest,
    missing_message,
)

SPLITS = ("train", "test")


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


def prepare(
    name: str,
    root: Path = Path("data"),
    download: bool = True,
    progress: bool = True,
    archive_dir: Path | None = None,
    verify: bool = True,
) -> Path:
    """Download, verify and extract ``name`` under ``root/name`` (idempotent); return that folder.

    ``digits`` needs nothing (scikit-learn bundles it); ``digits-dvs`` and ``motion-dvs`` generate
    and cache their events (returning ``root/cache/<name>``); ``imagenet`` only checks the
    user-supplied folders.
    ``archive_dir`` takes the manifest's files from a local folder instead of downloading them;
    ``verify=False`` skips their checksums and records the data as ``unverified``.
    """
    check_name(name)
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
            fetch_and_extract(
                spec, root / name, download=False, progress=progress, archive_dir=archive_dir, verify=verify
            )
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
    check_name(name)
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
