"""The contract of ``results/summary/experiments.csv``: its columns, their types, the reader and
the writer, and the printed names of the datasets. One owner (DESIGN.md, "one owner per
contract"): the workflow writes the file through :func:`write_experiments`; figures, tables, the
reproduction report and the tests read it through :func:`read_experiments` and these constants.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Iterable

import pandas as pd

from qsnn.profiles import PROFILES

COLUMNS = (
    "table",
    "row",
    "group",
    "method",
    "source",
    "arch_label",
    "arch",
    "paper_dataset",
    "figures",
    "profile",
    "dataset",
    "trained_arch",
    "w_bits",
    "s_bits",
    "T",
    "bit_budget",
    "epochs",
    "run_id",
    "status",
    "top1",
    "top5",
    "params_M",
    "sops_G",
    "s_ace_G",
    "ns_ace_G",
    "ns_ace_kind",
    "fps",
    "latency_ms",
    "hw_kind",
    "paper_params_M",
    "paper_sops_G",
    "paper_s_ace_G",
    "paper_ns_ace_G",
    "paper_acc",
    "paper_fps",
    "paper_latency",
)
# Read as text whatever they contain (pandas would turn '' into NaN floats otherwise).
TEXT_COLUMNS = (
    "group",
    "method",
    "source",
    "arch_label",
    "arch",
    "paper_dataset",
    "figures",
    "profile",
    "dataset",
    "trained_arch",
    "run_id",
    "status",
    "ns_ace_kind",
    "hw_kind",
)
INTEGER_COLUMNS = ("table", "row", "w_bits", "s_bits", "T")
NUMBER_COLUMNS = (
    "top1",
    "top5",
    "params_M",
    "sops_G",
    "s_ace_G",
    "ns_ace_G",
    "fps",
    "latency_ms",
    "paper_params_M",
    "paper_sops_G",
    "paper_s_ace_G",
    "paper_ns_ace_G",
    "paper_acc",
    "paper_fps",
    "paper_latency",
)
REQUIRED_COLUMNS = ("table", "row", "source", "paper_dataset", "w_bits", "s_bits", "T")

# Printed names of the registry datasets: as the paper's tables print them (Table 3: DVS-CIFAR10).
DATASET_LABELS = {
    "cifar10": "CIFAR10",
    "cifar100": "CIFAR100",
    "imagenet": "ImageNet",
    "cifar10-dvs": "DVS-CIFAR10",
    "dvs-gesture": "DVS-Gesture",
    "n-caltech101": "N-Caltech101",
    "digits": "digits",
    "digits-dvs": "digits-dvs",
    "motion-dvs": "motion-dvs",
}


def as_number(value) -> float | None:
    """A CSV cell as a float, or None for blanks, '-', NaN, NA and text (the one parser of optional numbers)."""
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(out) else out


class ExperimentsFileError(ValueError):
    """experiments.csv is missing, empty, incomplete or of another profile; the message says the fix."""


def dataset_label(name) -> str:
    return DATASET_LABELS.get(str(name), str(name))


def read_experiments(path: Path, profile: str | None = None, required: Iterable[str] = ()) -> pd.DataFrame:
    """The summary with its types: text columns as strings, integers as nullable Int64, numbers as
    floats, every contracted column present (missing optional ones as NA). ``profile`` checks that
    every row comes from that profile; ``required`` adds columns the caller cannot do without."""
    path = Path(path)
    how = "run the workflow (snakemake) or `qsnn report summarize ... --out results/summary/experiments.csv` first"
    if not path.is_file():
        raise FileNotFoundError(f"missing required input {path} (the experiment summary); {how}")
    try:
        present = pd.read_csv(path, nrows=0).columns
    except pd.errors.EmptyDataError:
        raise ExperimentsFileError(f"{path} is empty (not even a header line); {how}") from None
    frame = pd.read_csv(path, dtype={c: "string" for c in TEXT_COLUMNS if c in present})
    missing = [c for c in (*REQUIRED_COLUMNS, *required) if c not in frame.columns]
    if missing:
        raise ExperimentsFileError(
            f"{path}: missing required column(s) {', '.join(missing)}; regenerate it with the "
            "workflow (DESIGN.md lists the columns)"
        )
    if profile is not None:
        _check_profile(frame, profile, path)
    for col in INTEGER_COLUMNS:
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype("Int64")
    for col in NUMBER_COLUMNS:
        frame[col] = pd.to_numeric(frame[col], errors="coerce") if col in frame.columns else float("nan")
    for col in TEXT_COLUMNS:
        if col not in frame.columns:
            frame[col] = pd.NA
    if "bit_budget" not in frame.columns or frame["bit_budget"].isna().any():
        frame["bit_budget"] = frame["w_bits"] * frame["s_bits"] * frame["T"]
    return frame


def _check_profile(frame: pd.DataFrame, profile: str, path: Path) -> None:
    if profile not in PROFILES:
        raise ExperimentsFileError(f"--profile {profile!r}: use one of {', '.join(PROFILES)}")
    if "profile" in frame.columns:
        other = sorted(set(frame["profile"].dropna()) - {profile})
        if other:
            raise ExperimentsFileError(
                f"{path}: rows come from profile(s) {', '.join(other)} but --profile {profile} "
                "was given; pass the profile that produced the file"
            )


def write_experiments(frame: pd.DataFrame, path: Path) -> Path:
    """Write the summary atomically, in the contracted column order (extra columns after)."""
    from qsnn.io import atomic_write_csv

    ordered = [c for c in COLUMNS if c in frame.columns] + [c for c in frame.columns if c not in COLUMNS]
    return atomic_write_csv(frame[ordered], Path(path))
