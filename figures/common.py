"""Shared plumbing of the figure scripts ``figures/figN.py``.

Every script takes the same flags (``--experiments``, ``--runs``, ``--hardware``,
``--profile``, ``--out``), uses those it needs, reads results only (no training,
no synthesis), and writes ``OUT.pdf`` plus ``OUT.png`` (same stem).

Reproducibility: the style comes from ``figures/matplotlibrc`` loaded
explicitly (a user's own rc file cannot change the output), the PDF carries no
creation date or producer string and the PNG no software tag, so a rerun on the
same inputs writes byte-identical files. Outputs are written to temporary files
and moved into place only when both exist, so a failure never leaves a PDF that
looks complete.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

import matplotlib

matplotlib.use("Agg")  # before pyplot: figures are written to files, never shown

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

FIGURES_DIR = Path(__file__).resolve().parent
RC_FILE = FIGURES_DIR / "matplotlibrc"
from qsnn.profiles import PROFILES, REHEARSAL_NOTICE, notice_suffix  # noqa: E402  (one list, one wording for every output)

# Printed dataset names: one spelling for tables and figures, owned by qsnn.summary.
from qsnn.summary import DATASET_LABELS, NUMBER_COLUMNS, TEXT_COLUMNS  # noqa: E402,F401

# Minimal columns any figure that reads experiments.csv relies on; figures add their own.
BASE_EXPERIMENT_COLUMNS = ("source", "paper_dataset", "w_bits", "s_bits", "T")


class MissingInputError(FileNotFoundError):
    """A required result file is absent; the message names it and how to produce it."""


@dataclass(frozen=True)
class FigureArgs:
    """The common flags of every figure script."""

    experiments: Path
    runs: Path
    hardware: Path
    profile: str
    out: Path


def parse_args(description: str, argv: list[str] | None = None) -> FigureArgs:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--experiments",
        type=Path,
        default=Path("results/summary/experiments.csv"),
        help="results/summary/experiments.csv written by the workflow",
    )
    parser.add_argument(
        "--runs", type=Path, default=Path("results/runs"), help="folder of results/runs/{run_id}/metrics.json"
    )
    parser.add_argument(
        "--hardware",
        type=Path,
        default=Path("results/hardware"),
        help="folder of the hardware CSVs (fig2_traces.csv, activity.csv, ...)",
    )
    parser.add_argument(
        "--profile",
        choices=PROFILES,
        required=True,
        help="workflow profile that produced the results; printed on the figure",
    )
    parser.add_argument("--out", type=Path, required=True, help="output PDF; a PNG is written beside it")
    ns = parser.parse_args(argv)
    if ns.out.suffix.lower() != ".pdf":
        parser.error(f"--out {ns.out}: must end in .pdf (the PNG gets the same stem)")
    return FigureArgs(ns.experiments, ns.runs, ns.hardware, ns.profile, ns.out)


def setup_style() -> None:
    """Reset matplotlib to its defaults plus our fixed rc file (ignores user rc files)."""
    matplotlib.rc_file(RC_FILE, use_default_template=True)


# ---------------------------------------------------------------- loading


def require_file(path: Path, what: str, how: str) -> Path:
    path = Path(path)
    if not path.is_file():
        raise MissingInputError(f"missing required input {path} ({what}); {how}")
    return path


def require_columns(df: pd.DataFrame, columns: Iterable[str], path: Path) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(
            f"{path}: missing required column(s) {', '.join(missing)}; "
            f"found {', '.join(map(str, df.columns))}. Regenerate it with the workflow "
            "(see DESIGN.md for the column contract)"
        )


def read_csv(path: Path, what: str, how: str, required: Iterable[str]) -> pd.DataFrame:
    require_file(path, what, how)
    try:
        present = pd.read_csv(path, nrows=0).columns
    except pd.errors.EmptyDataError as err:
        raise ValueError(f"{path} is empty (not even a header line); {how}") from err
    dtypes = {c: "string" for c in TEXT_COLUMNS if c in present}
    df = pd.read_csv(path, dtype=dtypes, keep_default_na=True)
    require_columns(df, required, path)
    return df


def read_experiments(args: FigureArgs, required: Iterable[str] = ()) -> pd.DataFrame:
    """Load experiments.csv through its owner (qsnn.summary), checking ``--profile`` and ``required``."""
    from qsnn.summary import read_experiments as read

    return read(args.experiments, args.profile, (*BASE_EXPERIMENT_COLUMNS, *required))


def read_hardware(args: FigureArgs, name: str, required: Iterable[str]) -> pd.DataFrame:
    return read_csv(
        args.hardware / name,
        f"hardware result {name}",
        "run the hardware rules of the workflow (`qsnn hw ...` / `qsnn synth ...`) first",
        required,
    )


def read_metrics(runs: Path, run_id: str) -> dict:
    path = require_file(
        Path(runs) / run_id / "metrics.json",
        f"metrics of run {run_id}",
        f"train it first (`snakemake results/runs/{run_id}/metrics.json`)",
    )
    with open(path, encoding="utf-8") as fh:
        try:
            return json.load(fh)
        except json.JSONDecodeError as err:
            raise ValueError(f"{path}: not valid JSON ({err}); rerun that training job") from err


def has_figure(df: pd.DataFrame, name: str) -> pd.Series:
    """Rows whose ``;``-separated ``figures`` column names ``name`` (e.g. 'fig5')."""
    tags = df["figures"].fillna("").astype(str)
    return tags.map(lambda s: name in {t.strip() for t in s.split(";")}).astype(bool)


def finite(x) -> bool:
    try:
        return x is not None and not pd.isna(x) and math.isfinite(float(x))
    except (TypeError, ValueError):
        return False


# ---------------------------------------------------------------- labels


def dataset_label(name) -> str:
    return DATASET_LABELS.get(str(name), str(name))


def wst_label(w, s, t) -> str:
    return f"{int(w)}/{int(s)}/{int(t)}"


def data_provenance(profile: str, pairs: Iterable[tuple[str, str]]) -> str:
    """E.g. ``quick profile: digits stand-in for CIFAR100, digits-dvs stand-in for DVS-Gesture``.

    ``pairs`` are ``(paper_dataset, trained_dataset)``; a missing trained dataset
    means the paper dataset itself.
    """
    parts = []
    for paper, trained in sorted(set(pairs), key=lambda p: (str(p[0]), str(p[1]))):
        if pd.isna(trained) or str(trained) in ("", str(paper)):
            parts.append(dataset_label(paper))
        else:
            parts.append(f"{dataset_label(trained)} stand-in for {dataset_label(paper)}")
    return f"{profile} profile: " + (", ".join(parts) if parts else "no datasets")


def provenance_of(df: pd.DataFrame, profile: str) -> str:
    """Provenance line of the trained (non-cited) rows of ``df``."""
    ours = df[df["source"] != "cited"]
    return data_provenance(profile, zip(ours["paper_dataset"], ours["dataset"]))


def stand_in_note(profile: str) -> str:
    return notice_suffix(profile)


def set_title(fig, *lines: str) -> None:
    """Figure title from ``lines``, each wrapped to the figure's width so nothing is clipped."""
    chars = max(40, int(fig.get_figwidth() * 15))  # ~15 characters per inch at figure.titlesize
    wrapped = [textwrap.fill(part, chars, break_on_hyphens=False) for line in lines for part in line.split("\n")]
    fig.suptitle("\n".join(wrapped))


# ---------------------------------------------------------------- saving

PDF_METADATA = {"Creator": None, "Producer": None, "CreationDate": None, "ModDate": None}
PNG_METADATA = {"Software": None}


def freeze_layout(fig) -> None:
    """Run the (slow) constrained layout once and keep its result for both formats."""
    if fig.get_layout_engine() is not None:
        fig.draw_without_rendering()
        fig.set_layout_engine("none")


def save_figure(fig, out: Path) -> tuple[Path, Path]:
    """Write ``out`` (PDF) and its PNG sibling atomically and byte-stably."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    png = out.with_suffix(".png")
    tmp_pdf = out.with_name(f".{out.name}.tmp")
    tmp_png = png.with_name(f".{png.name}.tmp")
    try:
        freeze_layout(fig)
        fig.savefig(tmp_pdf, format="pdf", metadata=PDF_METADATA)
        fig.savefig(tmp_png, format="png", metadata=PNG_METADATA)
        os.replace(tmp_png, png)
        os.replace(tmp_pdf, out)
    finally:
        for tmp in (tmp_pdf, tmp_png):
            tmp.unlink(missing_ok=True)
        plt.close(fig)
    return out, png


def stamp_rehearsal(fig, profile: str) -> None:
    """A rehearsal's figure plots fake data: say so across its face, where no crop can remove it."""
    if profile != "rehearsal":
        return
    fig.text(
        0.5,
        0.5,
        REHEARSAL_NOTICE,
        ha="center",
        va="center",
        rotation=20,
        fontsize=22,
        color="tab:red",
        alpha=0.35,
        weight="bold",
        zorder=1000,
    )


def run(
    make_figure: Callable[[FigureArgs], "matplotlib.figure.Figure"],
    prog: str,
    description: str,
    argv: list[str] | None = None,
) -> int:
    """The body of every script's ``main``: parse, style, plot, save; errors -> exit 2."""
    args = parse_args(description, argv)
    try:
        setup_style()
        fig = make_figure(args)
        stamp_rehearsal(fig, args.profile)
        save_figure(fig, args.out)
    except (ValueError, FileNotFoundError) as err:
        print(f"{prog}: error: {err}", file=sys.stderr)
        return 2
    print(f"wrote {args.out} and {args.out.with_suffix('.png')}")
    return 0
