"""Fig. 3: Bit Budget (Eq. 4, BB = W x S x T) against switching activity per synaptic
operation, from the hardware simulations (paper Fig. 3 plots energy; we measure toggles).

Inputs (``--hardware``):

* ``activity.csv``: one row per simulated configuration, columns ``level, family, w_bits,
  s_bits, T, bit_budget, primitive, toggles, sops, toggles_per_sop, source``.
* ``activity_fits.csv`` (written by ``qsnn synth activity``): per ``level, family, primitive``
  two least-squares fits of ``toggles_per_sop``: ``model = bb`` (``a + b*BB``, bit budget
  alone) and ``model = bb+t`` (``a + b*BB + c*T``, plus a fixed cost per time step), each with
  its ``r2``.

Only the ``total`` primitive is plotted: one series per (level, family). The bit-budget-alone
fit is drawn as a line; the legend gives R^2 of both fits, so the per-time-step term's effect
is visible without a second axis.

The y axis is simulated switching activity, a proxy, never labelled as energy.
"""

from __future__ import annotations

import sys

import common
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from qsnn.hardware.fits import ACTIVITY_COLUMNS, FIT_COLUMNS  # activity.csv's one definition

ACTIVITY = "activity.csv"
FITS = "activity_fits.csv"
PLOTTED_PRIMITIVE = "total"
MARKERS = "osD^vP*X"
Y_LABEL = "toggles per synaptic op\n(simulated switching activity, not energy)"


def total_rows(df: pd.DataFrame, path) -> pd.DataFrame:
    rows = df[df["primitive"].astype(str) == PLOTTED_PRIMITIVE]
    if rows.empty:
        raise ValueError(f"{path}: has no '{PLOTTED_PRIMITIVE}' primitive rows; rerun `qsnn synth activity`")
    return rows


def fit_of(fits: pd.DataFrame, level: str, family: str, model: str) -> dict | None:
    match = fits[
        (fits["level"].astype(str) == level)
        & (fits["family"].astype(str) == family)
        & (fits["model"].astype(str) == model)
    ]
    return None if match.empty else match.iloc[0].to_dict()


def draw_series(ax, activity: pd.DataFrame, fits: pd.DataFrame, x_max: float) -> None:
    """One colour per (level, family): the points, the BB-only fit line, both R^2 in the label."""
    x = np.linspace(0.0, x_max, 50)
    groups = sorted(activity.groupby(["level", "family"]), key=lambda kv: tuple(map(str, kv[0])))
    for i, ((level, family), rows) in enumerate(groups):
        colour = f"C{i % 10}"
        bb_fit, bbt_fit = fit_of(fits, str(level), str(family), "bb"), fit_of(fits, str(level), str(family), "bb+t")
        label = f"{level} ({family})"
        if bb_fit is not None:
            label += f": BB fit $R^2$ = {bb_fit['r2']:.3f}"
            ax.plot(x, bb_fit["a"] + bb_fit["b"] * x, linestyle="--", color=colour, linewidth=0.9)
        if bbt_fit is not None:
            label += f", BB+T fit $R^2$ = {bbt_fit['r2']:.3f} ({bbt_fit['c']:.3g} per step)"
        for j, (T, t_rows) in enumerate(sorted(rows.groupby("T"))):
            ax.scatter(
                t_rows["bit_budget"],
                t_rows["toggles_per_sop"],
                color=colour,
                marker=MARKERS[j % len(MARKERS)],
                s=18,
                alpha=0.85,
                label=label if j == 0 else None,
            )


def make_figure(args: common.FigureArgs):
    activity = total_rows(common.read_hardware(args, ACTIVITY, ACTIVITY_COLUMNS), args.hardware / ACTIVITY)
    fits = total_rows(common.read_hardware(args, FITS, FIT_COLUMNS), args.hardware / FITS)
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    draw_series(ax, activity, fits, float(activity["bit_budget"].max()) * 1.05)
    ax.set_xlabel("Bit Budget BB = W x S x T (bits per synapse, Eq. 4)")
    ax.set_ylabel(Y_LABEL)
    ax.set_xlim(left=0)
    ax.set_ylim(bottom=0)
    ax.legend(
        loc="upper left",
        fontsize="x-small",
        title="markers: T = " + ", ".join(str(t) for t in sorted(activity["T"].unique())),
        title_fontsize="x-small",
    )
    levels = ", ".join(sorted(activity["level"].astype(str).unique()))
    common.set_title(
        fig,
        "Fig. 3: Bit Budget vs switching activity per synaptic operation\n"
        f"hardware simulation ({levels}); {args.profile} profile; no dataset involved; "
        "toggle counts are a proxy for dynamic power, not measured energy",
    )
    return fig


def main(argv: list[str] | None = None) -> int:
    return common.run(make_figure, "fig3.py", __doc__, argv)


if __name__ == "__main__":
    sys.exit(main())
