"""Does a profile's Table 3 trend point the same way as the paper's? Stated per column, in words.

Table 3 spends one bit budget (S x T = 16, 1-bit weights) five ways, from 1/1/16 (many time
steps) to 1/16/1 (one frame, 16-bit spikes). The paper's reading (Sec. 4.2, 4.3): the split between
S and T matters; on DVS-Gesture and N-Caltech101 accuracy peaks at a balanced split (1/2/8 and
1/4/4), and every column loses accuracy at 1/16/1 relative to 1/1/16 (-44.0, -1.22, -2.30 points;
the paper prints its deltas against 1/1/16). This module computes, from the numbers of
``results/summary/experiments.csv`` (columns: :data:`qsnn.report.summarize.COLUMNS`), the same two
facts for a profile's accuracies (``top1``) and for the paper's (``paper_acc``), and says whether
they agree, whichever way each goes:

- **peak**: which 1-bit-weight allocation has the highest accuracy, and where it lies: at the
  many-time-steps end (S=1), at the one-frame end (T=1) or in between (balanced);
- **1/16/1**: the change from the S=1 row (1/1/16) to the T=1 row (1/16/1): a drop, a rise, or flat
  (within ``flat_tol`` percentage points; one test sample of a 300-sample stand-in is 0.33 points);
- the Spearman rank correlation over the sweep's rows, as a number (5 points: a hint, not a test).

Columns trained on the same dataset share their runs; the text says so (in the quick profile before
``motion-dvs``, all three columns were one stand-in and could not differ). Accuracies of the quick
profile are stand-in numbers: the statement is about the direction of a trend, never its size.
Call :func:`table3_trend_lines` from the reproduction report.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

TABLE = 3
COLUMNS = ("cifar10-dvs", "dvs-gesture", "n-caltech101")  # Table 3's columns, in its order
LABELS = {"cifar10-dvs": "DVS-CIFAR10", "dvs-gesture": "DVS-Gesture", "n-caltech101": "N-Caltech101"}
FLAT_TOL = 0.5  # percentage points


@dataclass(frozen=True)
class Trend:
    """One series (a profile's or the paper's) over the sweep rows of one column."""

    peak_wst: str  # e.g. "1/4/4"
    peak_acc: float
    peak_where: str  # "many time steps, S=1" | "balanced S/T" | "one frame, T=1"
    change: float  # accuracy at the fewest-steps row (1/16/1) minus at the most-steps row (1/1/16), points
    direction: str  # "drop" | "rise" | "flat"
    from_wst: str = "1/1/16"
    to_wst: str = "1/16/1"

    @property
    def change_words(self) -> str:
        if self.direction == "flat":
            return f"stays flat ({self.change:+.2f} points)"
        return f"{'drops' if self.direction == 'drop' else 'rises'} by {abs(self.change):.2f} points"


@dataclass(frozen=True)
class ColumnTrend:
    paper_dataset: str
    dataset: str  # what the profile trained on
    ours: Trend | None  # None when the sweep is not (fully) trained
    paper: Trend | None  # None when the paper prints no accuracies for the sweep
    rank_corr: float | None
    shares_runs_with: tuple[str, ...] = ()
    missing: str = ""  # why no comparison is possible

    @property
    def peak_agrees(self) -> bool | None:
        return None if self.ours is None or self.paper is None else self.ours.peak_where == self.paper.peak_where

    @property
    def drop_agrees(self) -> bool | None:
        return None if self.ours is None or self.paper is None else self.ours.direction == self.paper.direction


def _wst(row) -> str:
    return f"{int(row['w_bits'])}/{int(row['s_bits'])}/{int(row['T'])}"


def sweep_rows(df: pd.DataFrame, paper_dataset: str) -> pd.DataFrame:
    """The 1-bit-weight rows of Table 3 for one column, from many time steps to one (T descending)."""
    table = pd.to_numeric(df["table"], errors="coerce")
    sub = df[(table == TABLE) & (df["paper_dataset"].astype(str) == paper_dataset)].copy()
    for col in ("w_bits", "s_bits", "T", "top1", "paper_acc"):
        sub[col] = pd.to_numeric(sub[col], errors="coerce")
    sub = sub[sub["w_bits"] == 1]
    return sub.sort_values("T", ascending=False).reset_index(drop=True)


def series_trend(sweep: pd.DataFrame, column: str, flat_tol: float = FLAT_TOL) -> Trend | None:
    """Peak and 1/16/1 change of ``sweep[column]``; None when any row lacks a number."""
    values = sweep[column]
    if len(sweep) < 2 or values.isna().any():
        return None
    best = int(values.to_numpy().argmax())  # first maximum: the larger T on a tie
    row = sweep.iloc[best]
    if int(row["s_bits"]) == 1:
        where = "many time steps, S=1"
    elif int(row["T"]) == 1:
        where = "one frame, T=1"
    else:
        where = "balanced S/T"
    change = float(values.iloc[-1] - values.iloc[0])  # T=1 row minus S=1 row (sorted by T descending)
    direction = "flat" if abs(change) <= flat_tol else ("drop" if change < 0 else "rise")
    return Trend(_wst(row), float(row[column]), where, change, direction, _wst(sweep.iloc[0]), _wst(sweep.iloc[-1]))


def _rank_corr(sweep: pd.DataFrame) -> float | None:
    if len(sweep) < 3 or sweep[["top1", "paper_acc"]].isna().any().any():
        return None
    rho = sweep["top1"].corr(sweep["paper_acc"], method="spearman")
    return None if rho is None or math.isnan(rho) else float(rho)


def _datasets(sweep: pd.DataFrame) -> str:
    names = sorted({str(d) for d in sweep.get("dataset", pd.Series(dtype=str)).dropna() if str(d)})
    return ", ".join(names)


def table3_trends(df: pd.DataFrame, flat_tol: float = FLAT_TOL) -> list[ColumnTrend]:
    """The trend facts of every Table 3 column present in ``df``."""
    sweeps = {name: sweep_rows(df, name) for name in COLUMNS}
    sweeps = {name: s for name, s in sweeps.items() if len(s)}
    run_sets = {
        name: frozenset(str(r) for r in s.get("run_id", pd.Series(dtype=str)).dropna() if str(r))
        for name, s in sweeps.items()
    }
    out = []
    for name, sweep in sweeps.items():
        ours, paper = series_trend(sweep, "top1", flat_tol), series_trend(sweep, "paper_acc", flat_tol)
        missing = ""
        if ours is None:
            missing = f"{int(sweep['top1'].isna().sum())} of {len(sweep)} sweep rows have no accuracy yet"
        elif paper is None:
            missing = "the paper prints no accuracy for some sweep rows"
        shares = tuple(
            other for other in sweeps if other != name and run_sets[name] and run_sets[other] == run_sets[name]
        )
        out.append(ColumnTrend(name, _datasets(sweep), ours, paper, _rank_corr(sweep), shares, missing))
    return out


def _agree(flag: bool) -> str:
    return "**same direction**" if flag else "**opposite direction**"


def column_lines(c: ColumnTrend, profile: str) -> list[str]:
    label = LABELS.get(c.paper_dataset, c.paper_dataset)
    trained = f" (trained on `{c.dataset}`)" if c.dataset and c.dataset != c.paper_dataset else ""
    head = f"- **{label}**{trained}: "
    if c.ours is None or c.paper is None:
        return [head + f"no comparison: {c.missing}."]
    o, p = c.ours, c.paper
    peak = (
        f"peak: the paper's accuracy peaks at {p.peak_wst} ({p.peak_acc:.2f} %; {p.peak_where}), the {profile} "
        f"profile's at {o.peak_wst} ({o.peak_acc:.2f} %; {o.peak_where}): "
        + ("**agrees**" if c.peak_agrees else "**disagrees**")
        + "."
    )
    drop = (
        f"{o.to_wst} against {o.from_wst}: the paper {p.change_words}, the {profile} profile "
        f"{o.change_words}: " + _agree(bool(c.drop_agrees)) + "."
    )
    lines = [head + peak, f"  {drop}"]
    if c.rank_corr is not None:
        lines.append(
            f"  Spearman rank correlation of the {profile} profile's accuracies with the paper's over "
            f"these rows: {c.rank_corr:+.2f}."
        )
    if c.shares_runs_with:
        others = ", ".join(LABELS.get(s, s) for s in c.shares_runs_with)
        lines.append(f"  Same runs as {others}: this column is not an independent check.")
    return lines


def table3_trend_lines(df: pd.DataFrame, flat_tol: float = FLAT_TOL) -> list[str]:
    """Markdown lines: per Table 3 column, whether the profile's S/T trend points the paper's way."""
    profile = str(df["profile"].dropna().iloc[0]) if "profile" in df and df["profile"].notna().any() else "this"
    trends = table3_trends(df, flat_tol)
    if not trends:
        return ["Table 3 has no 1-bit-weight rows in this run: no trend to compare."]
    lines = [
        f"Table 3 spends S x T = 16 five ways (1-bit weights). Per column: where accuracy peaks, and how it "
        f"moves from 1/1/16 to 1/16/1 (flat = within {flat_tol:g} points), for the paper and for the "
        f"{profile} profile, computed from the numbers below."
        + (
            " Quick-profile accuracies are stand-in numbers: only the direction is compared."
            if profile == "quick"
            else ""
        ),
        "",
    ]
    for c in trends:
        lines += column_lines(c, profile)
    return lines
