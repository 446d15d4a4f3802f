"""Measurements taken on a real FPGA board: schema, loading, and replacing modelled rows.

Schema: ``hardware/board/README.md``. Files ``hardware/board/*.csv`` (or ``--board-dir``)
are loaded, except ``example_*.csv`` and rows with ``example`` true, unless
``include_examples=True`` (the tests do this with the shipped example file).
A measured row replaces the modelled row of the same (network, dataset, W, S, T) in
``accelerator.csv`` and is labelled ``kind = "measured"``; modelled rows with no
measurement stay ``modelled``. A measured row with no modelled counterpart is appended.

:func:`table4_hardware` is the one join of ``accelerator.csv`` to a Table 4 row, with the
one precedence (``measured`` over ``modelled``): the summary (``experiments.csv``) and the
rendered Table 4 both call it.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from qsnn.summary import as_number  # the one parser of optional numbers in CSV cells

REQUIRED = ("device", "bitstream", "network", "dataset", "w_bits", "s_bits", "T", "measured_by", "date")
OPTIONAL = ("fps", "latency_ms", "power_w", "notes", "example")
MATCH_KEYS = ("network", "dataset", "w_bits", "s_bits", "T")
MEASURED, MODELLED = "measured", "modelled"
ACCELERATOR_CSV = "accelerator.csv"
DEFAULT_BOARD_DIR = Path(__file__).resolve().parents[2] / "hardware" / "board"


def read_board_csv(path: Path) -> pd.DataFrame:
    """One board CSV, validated (``#`` lines are comments)."""
    frame = pd.read_csv(path, comment="#", dtype={"bitstream": str, "date": str})
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise ValueError(f"{path}: missing columns {missing}; see hardware/board/README.md for the schema")
    for col in OPTIONAL:
        if col not in frame.columns:
            frame[col] = None
    if frame[["fps", "latency_ms"]].isna().all(axis=1).any():
        bad = frame.index[frame[["fps", "latency_ms"]].isna().all(axis=1)].tolist()
        raise ValueError(f"{path}: rows {bad} have neither fps nor latency_ms; a measurement needs at least one")
    for col in ("w_bits", "s_bits", "T"):
        if not pd.api.types.is_integer_dtype(frame[col]):
            raise ValueError(f"{path}: column {col} must hold integers")
    frame["example"] = frame["example"].fillna(False).astype(str).str.lower().isin(("true", "1", "yes"))
    frame["board_file"] = str(path)
    return frame


def load_measurements(
    board_dir: Path = DEFAULT_BOARD_DIR, include_examples: bool = False, files: list[Path] | None = None
) -> pd.DataFrame:
    """All board measurements under ``board_dir`` (examples excluded unless asked for)."""
    paths = [Path(p) for p in files] if files else sorted(Path(board_dir).glob("*.csv"))
    if not include_examples:
        paths = [p for p in paths if not p.name.startswith("example_")]
    frames = [read_board_csv(p) for p in paths]
    if not frames:
        return pd.DataFrame(columns=[*REQUIRED, *OPTIONAL, "board_file"])
    frame = pd.concat(frames, ignore_index=True)
    return frame if include_examples else frame[~frame["example"]].reset_index(drop=True)


def apply_measurements(modelled: pd.DataFrame, measured: pd.DataFrame) -> pd.DataFrame:
    """Replace modelled rows by measured ones (``kind = "measured"``)."""
    if measured.empty:
        return modelled.copy()
    out = modelled.copy()
    extra = []
    for rec in measured.to_dict("records"):
        hit = (out[list(MATCH_KEYS)] == pd.Series({k: rec[k] for k in MATCH_KEYS})).all(axis=1)
        values = {
            "device": rec["device"],
            "fps": rec["fps"],
            "latency_ms": rec["latency_ms"],
            "power_w": rec.get("power_w"),
            "kind": "measured",
            "assumptions": f"measured by {rec['measured_by']} on {rec['date']} (bitstream {rec['bitstream']})"
            + (" [EXAMPLE, not data]" if rec.get("example") else ""),
            "note": rec.get("notes") or "",
            "cycles_per_frame": None,
        }
        if hit.any():
            for key, value in values.items():
                out.loc[hit, key] = value
        else:
            extra.append({**{k: rec[k] for k in MATCH_KEYS}, **values})
    if extra:
        out = pd.concat([out, pd.DataFrame(extra)], ignore_index=True)
    if {"fps", "paper_fps"} <= set(out.columns):
        out["fps_rel_dev"] = (out["fps"] - out["paper_fps"]) / out["paper_fps"]
    if {"latency_ms", "paper_latency"} <= set(out.columns):
        out["latency_rel_dev"] = (out["latency_ms"] - out["paper_latency"]) / out["paper_latency"]
    return out


# ----------------------------------------------------------------- the Table 4 join


def read_accelerator(hardware_dir: Path | None) -> pd.DataFrame | None:
    """``accelerator.csv`` of ``hardware_dir`` (``qsnn synth accel``), or None when there is none."""
    if hardware_dir is None:
        return None
    path = Path(hardware_dir) / ACCELERATOR_CSV
    return pd.read_csv(path) if path.is_file() else None


def _text(value) -> str:
    return "" if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)) else str(value)


def table4_hardware(accel: pd.DataFrame | None, rec: dict) -> dict:
    """fps, latency (ms), kind and device of one Table 4 row (``rec``: ``row, paper_dataset, w_bits,
    s_bits, T``) from ``accelerator.csv``; blanks when it has no such row.

    The candidates are the rows of the same dataset and W/S/T; when there are several, those of
    this table row (``table_row``; Table 4 prints some allocations once per block) and any without
    one (an appended board measurement). A ``measured`` row beats a ``modelled`` one.
    """
    blank = {"fps": None, "latency_ms": None, "hw_kind": "", "device": ""}
    if accel is None or accel.empty:
        return blank
    match = accel
    if "dataset" in match.columns:
        match = match[match["dataset"].astype(str) == str(rec["paper_dataset"])]
    for col in ("w_bits", "s_bits", "T"):
        if col in match.columns:
            match = match[pd.to_numeric(match[col], errors="coerce") == as_number(rec[col])]
    row_col = next((c for c in ("table_row", "row") if c in match.columns), None)
    if row_col and len(match) > 1 and as_number(rec.get("row")) is not None:
        rows = pd.to_numeric(match[row_col], errors="coerce")
        match = match[(rows == as_number(rec["row"])) | rows.isna()]
    if match.empty:
        return blank
    if "kind" in match.columns and (match["kind"] == MEASURED).any():
        match = match[match["kind"] == MEASURED]  # a board measurement replaces the model
    hit = match.iloc[0]
    latency = next((as_number(hit[c]) for c in ("latency_ms", "latency") if c in hit.index), None)
    return {
        "fps": as_number(hit.get("fps")),
        "latency_ms": latency,
        "hw_kind": _text(hit.get("kind")) or MODELLED,
        "device": _text(hit.get("device")),
    }
