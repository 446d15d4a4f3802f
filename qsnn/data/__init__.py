"""Datasets of the paper (Sec. 6.1-6.3) and two offline stand-ins, behind one registry.

``build(name, split, T, root, download)`` returns a torch Dataset of ``(x, y)``;
``prepare(name, root)`` downloads, verifies and extracts; see :mod:`qsnn.data.registry`. Names,
manifests and ``dataset_info``: :mod:`qsnn.data.manifest`.
"""

from qsnn.data.registry import (
    DATASET_NAMES,
    DatasetInfo,
    DatasetNotFoundError,
    UnknownDatasetError,
    build,
    dataset_info,
    list_datasets,
    load_manifest,
    prepare,
)

__all__ = [
    "DATASET_NAMES",
    "DatasetInfo",
    "DatasetNotFoundError",
    "UnknownDatasetError",
    "build",
    "dataset_info",
    "list_datasets",
    "load_manifest",
    "prepare",
]
