"""Dataset manifests: names, ``data/manifests/<name>.yaml`` and what they say (``dataset_info``).

One manifest per dataset, shipped as package data (:mod:`qsnn.resources`): source URLs, checksums,
licence note, expected sizes, input shape and class count. This module knows nothing of the
builders; :mod:`qsnn.data.registry` (``prepare``, ``build``) and the builders
(:mod:`qsnn.data.static`, :mod:`qsnn.data.neuromorphic`, :mod:`qsnn.data.fake`) all import it, and
it imports none of them, so the package has no import cycle.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from qsnn import resources
from qsnn.data.download import ArchiveSpec

DATASET_NAMES = (
    "cifar10",
    "cifar100",
    "imagenet",
    "cifar10-dvs",
    "dvs-gesture",
    "n-caltech101",
    "digits",
    "digits-dvs",
    "motion-dvs",
)
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


def check_name(name: str) -> str:
    if name not in DATASET_NAMES:
        raise UnknownDatasetError(f"unknown dataset {name!r}; known datasets: {', '.join(DATASET_NAMES)}")
    return name


@lru_cache(maxsize=None)
def load_manifest(name: str) -> Manifest:
    check_name(name)
    path = MANIFEST_DIR / f"{name}.yaml"
    if not path.exists():
        raise FileNotFoundError(f"manifest {path} is missing; the repository checkout is incomplete")
    raw = yaml.safe_load(path.read_text())
    files = tuple(
        ArchiveSpec(
            url=f["url"],
            filename=f["filename"],
            md5=f.get("md5"),
            sha256=f.get("sha256"),
            size_bytes=f.get("size_bytes"),
            dest=f.get("dest", "."),
            nested=tuple(f.get("nested", ())),
        )
        for f in raw.get("files", [])
    )
    info = DatasetInfo(
        name=raw["name"],
        kind=raw["kind"],
        input_shape=tuple(raw["input_shape"]),
        num_classes=int(raw["num_classes"]),
        stand_in=raw.get("stand_in"),
    )
    return Manifest(info=info, files=files, license=raw.get("license", ""), homepage=raw.get("homepage", ""), raw=raw)


def list_datasets() -> list[str]:
    return list(DATASET_NAMES)


def dataset_info(name: str) -> DatasetInfo:
    return load_manifest(name).info


def missing_message(name: str, root: Path) -> str:
    """One line: where the data should be, the command that prepares it, and the offline route."""
    manifest = load_manifest(name)
    urls = ", ".join(spec.url for spec in manifest.files)
    return (
        f"dataset {name!r} is not prepared under {Path(root) / name}: run `qsnn data prepare {name} --root {root}` "
        f"(it downloads {urls}); without internet, fetch that by hand and add --archive-dir FOLDER"
    )
