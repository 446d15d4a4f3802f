"""Fig. 3: Bit Budget (Eq. 4, BB = W x S x T) against switching activity per synaptic
operation, from the hardware simulations (paper Fig. 3 plots energy; we measure toggles).

Inputs (``--hardware``):

* ``activity.csv``: one row per simulated configuration, columns ``level, family, w_bits,
  s_bits, T, bit_budget, primitive, toggles, sops, toggles_per_sop, source``.
* ``activity_fits.csv``: the linear fits ``toggles_per_sop = slope * bit_budget + intercept``.
  Its label column is the first of ``fit, name, level, family, label`` present; it needs
  ``slope`` and ``intercept`` and an R^2 column (``r2``, ``r_squared``, ``R2`` or ``rsquared``).
  A fit whose label matches a ``level`` (or ``family``) of activity.csv is drawn in that
  series' colour.

The y axis is simulated switching activity, a proxy, never labelled as energy.
"""

from __future__ import annotations

import sys

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

import common

ACTIVITY = "activity.csv"
FITS = "activity_fits.csv"
ACTIVITY_COLUMNS = ("level", "family", "w_bits", "s_bits", "T", "bit_budget", "primitive", "toggles",
                    "sops", "toggles_per_sop", "source")
FIT_LABEL_COLUMNS = ("fit", "name", "level", "family", "label")
R2_COLUMNS = ("r2", "r_squared", "R2", "rsquared")
MARKERS = "osD^vP*X"
Y_LABEL = "toggles per synaptic op\n(simulated switching activity, not energy)"


def first_present(df: pd.DataFrame, candidates, path, what: str) -> str:
    for c in candidates:
        if c in df.columns:
            return c
    raise ValueError(f"{path}: no {what} column (expected one of {', '.join(candidates)}); "
                     "regenerate it with `qsnn synth fit` or the workflow")


def read_fits(args: common.FigureArgs) -> tuple[pd.DataFrame, str, str]:
    fits = common.read_hardware(args, FITS, ("slope", "intercept"))
    path = args.hardware / FITS
    return fits, first_present(fits, FIT_LABEL_COLUMNS, path, "fit label"), first_present(fits, R2_COLUMNS, path, "R^2")


def draw_points(ax, activity: pd.DataFrame, series: str) -> dict[str, str]:
    """Scatter one series per value of ``series``; returns the colour of each series."""
    colours = {}
    for i, (name, rows) in enumerate(sorted(activity.groupby(series), key=lambda kv: str(kv[0]))):
        colour = f"C{i % 10}"
        colours[str(name)] = colour
        sources = ", ".join(sorted(rows["source"].dropna().astype(str).unique()))
        for j, (family, fam_rows) in enumerate(sorted(rows.groupby("family"), key=lambda kv: str(kv[0]))):
            ax.scatter(fam_rows["bit_budget"], fam_rows["toggles_per_sop"], color=colour, marker=MARKERS[j % len(MARKERS)],
                       s=18, alpha=0.85, label=f"{name}: {family} ({sources})")
    return colours


def draw_fits(ax, fits: pd.DataFrame, label_col: str, r2_col: str, colours: dict, x_max: float) -> None:
    x = np.linspace(0.0, x_max, 50)
    for i, fit in enumerate(fits.sort_values(label_col, key=lambda c: c.astype(str)).itertuples(index=False)):
        row = fit._asdict()
        name = str(row[label_col])
        ax.plot(x, row["slope"] * x + row["intercept"], linestyle=("--", ":", "-.")[i % 3],
                color=colours.get(name, "black"),
                label=f"fit {name}: {row['slope']:.3g} x BB + {row['intercept']:.3g} ($R^2$ = {row[r2_col]:.3f})")


def make_figure(args: common.FigureArgs):
    activity = common.read_hardware(args, ACTIVITY, ACTIVITY_COLUMNS)
    if activity.empty:
        raise ValueError(f"{args.hardware / ACTIVITY}: has no rows; rerun the switching-activity simulation")
    fits, label_col, r2_col = read_fits(args)
    series = label_col if label_col in activity.columns else "level"
    fig, ax = plt.subplots(figsize=(6.0, 4.2))
    colours = draw_points(ax, activity, series)
    draw_fits(ax, fits, label_col, r2_col, colours, float(activity["bit_budget"].max()) * 1.05)
    ax.set_xlabel("Bit Budget BB = W x S x T (bits per synapse, Eq. 4)")
    ax.set_ylabel(Y_LABEL)
    ax.set_xlim(left=0)
    ax.set_ylim(bottom=0)
    ax.legend(loc="upper left")
    levels = ", ".join(sorted(activity["level"].astype(str).unique()))
    common.set_title(fig, "Fig. 3: Bit Budget vs switching activity per synaptic operation\n"
                 f"hardware simulation ({levels}); {args.profile} profile; no dataset involved; "
                 "toggle counts are a proxy for dynamic power, not measured energy")
    return fig


def main(argv: list[str] | None = None) -> int:
    return common.run(make_figure, "fig3.py", __doc__, argv)


if __name__ == "__main__":
    sys.exit(main())
