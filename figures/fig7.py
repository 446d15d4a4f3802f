"""Fig. 7 (an extension, not in the paper): an allocation search, top-1 accuracy against S-ACE
(log axis) of every W/S/T split of its bit budgets, one panel per dataset.

Input: ``--experiments results/search/NAME.csv`` (written by ``qsnn search summarize``, read
through its owner :func:`qsnn.search.read_search`); nothing is recomputed here but the drawing.
Allocations that reached the last round are filled: on the Pareto front of accuracy against
S-ACE (the CSV's ``pareto_s_ace``) in their budget's colour, joined by the front's step line;
dominated ones grey. Allocations a halving search eliminated early are hollow grey (their
accuracy is of fewer epochs). A black ring marks an allocation whose W/S/T is one of the paper's
own rows (``paper_rows``); in the paper profile a star shows that row's published accuracy at the
same S-ACE. The title states, per dataset and budget, whether spike bits beat time steps
(:func:`qsnn.search.verdict_lines`, from the CSV).
"""

from __future__ import annotations

import sys

import common
import matplotlib.pyplot as plt
import matplotlib.ticker
import pandas as pd

from qsnn.search import STATUS_FINAL, cost_unit, provenance, read_search, verdict_lines

GREY = "0.6"


def budget_colours(frame: pd.DataFrame) -> dict[int, str]:
    budgets = sorted({int(b) for value in frame["budgets"] for b in str(value).split(";") if b})
    return {b: f"C{i % 10}" for i, b in enumerate(budgets)}


def first_budget(value) -> int:
    return int(str(value).split(";")[0])


def draw_points(ax, rows: pd.DataFrame, factor: float, colours: dict[int, str]) -> None:
    final = rows[rows["status"] == STATUS_FINAL]
    early = rows[rows["status"] != STATUS_FINAL]
    front = final[final["pareto_s_ace"]]
    dominated = final[~final["pareto_s_ace"]]
    ax.scatter(dominated["s_ace_G"] * factor, dominated["top1"], s=22, color=GREY, label="dominated", zorder=2)
    if not early.empty:
        rounds = ", ".join(str(r) for r in sorted(early["round"].unique()))
        ax.scatter(
            early["s_ace_G"] * factor,
            early["top1"],
            s=22,
            facecolors="none",
            edgecolors=GREY,
            label=f"eliminated after round {rounds} (fewer epochs)",
            zorder=2,
        )
    for budget, group in front.groupby(front["budgets"].map(first_budget), sort=True):
        ax.scatter(
            group["s_ace_G"] * factor,
            group["top1"],
            s=30,
            color=colours[budget],
            edgecolors="black",
            linewidths=0.5,
            label=f"Pareto front, budget {budget}",
            zorder=3,
        )
    line = front.sort_values("s_ace_G")
    ax.step(line["s_ace_G"] * factor, line["top1"], where="post", color="black", linewidth=0.8, zorder=1)
    for rec in rows.to_dict(orient="records"):
        ax.annotate(
            f"{rec['w_bits']}/{rec['s_bits']}/{rec['T']}",
            (rec["s_ace_G"] * factor, rec["top1"]),
            xytext=(4, 0),
            textcoords="offset points",
            fontsize=5.5,
            va="center",
        )


def draw_paper_rows(ax, rows: pd.DataFrame, factor: float, profile: str) -> None:
    marked = rows[rows["paper_rows"] != ""]
    suffix = "ours, stand-in run" if profile == "quick" else "our run"
    ax.scatter(
        marked["s_ace_G"] * factor,
        marked["top1"],
        s=95,
        facecolors="none",
        edgecolors="black",
        linewidths=0.9,
        label=f"W/S/T of a paper row ({suffix})",
        zorder=4,
    )
    published = marked[marked["paper_acc"].notna()]
    if not published.empty:
        ax.scatter(
            published["s_ace_G"] * factor,
            published["paper_acc"],
            marker="*",
            s=60,
            color="black",
            label="paper row, published accuracy",
            zorder=4,
        )


def set_cost_ticks(ax, costs: list[float]) -> None:
    """Ticks at the budgets' costs, printed plainly: a log axis spanning under a decade would print 2x10^0."""
    if 0 < len(costs) <= 6:
        ax.set_xticks(costs, [f"{c:.3g}" for c in costs])
        ax.xaxis.set_minor_locator(matplotlib.ticker.NullLocator())
    else:
        ax.xaxis.set_major_formatter(matplotlib.ticker.FormatStrFormatter("%.3g"))


def draw_panel(ax, rows: pd.DataFrame, unit: str, factor: float, colours: dict, profile: str) -> None:
    plotted = rows[rows["top1"].notna() & rows["s_ace_G"].notna()]
    draw_points(ax, plotted, factor, colours)
    draw_paper_rows(ax, plotted, factor, profile)
    ax.set_xscale("log")
    set_cost_ticks(ax, sorted(set(plotted["s_ace_G"] * factor)))
    scale = rows["cost_scale"].iloc[0]
    ax.set_xlabel(f"S-ACE ({unit}), log scale ({scale})")
    ax.set_ylabel("top-1 accuracy (%)" + (", stand-in" if profile == "quick" else ""))
    ax.set_title(provenance(rows))
    missing = len(rows) - len(plotted)
    if missing:
        ax.text(0.02, 0.02, f"{missing} allocation(s) without results", transform=ax.transAxes, fontsize=6)


def add_legend(fig, axes) -> None:
    entries = {}
    for ax in axes:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            entries.setdefault(label, handle)
    if entries:
        fig.legend(list(entries.values()), list(entries), loc="outside lower center", ncols=3)


def make_figure(args: common.FigureArgs):
    frame = read_search(args.experiments, args.profile)
    if frame.empty:
        raise ValueError(f"{args.experiments}: no allocations; rebuild it with `snakemake {args.experiments}`")
    unit, factor = cost_unit(frame["s_ace_G"])
    datasets = list(dict.fromkeys(frame["dataset"]))
    fig, axes = plt.subplots(1, len(datasets), figsize=(3.6 * len(datasets) + 0.6, 4.8), squeeze=False)
    colours = budget_colours(frame)
    for ax, dataset in zip(axes[0], datasets):
        draw_panel(ax, frame[frame["dataset"] == dataset], unit, factor, colours, args.profile)
    add_legend(fig, axes[0])
    first = frame.iloc[0]
    common.set_title(
        fig,
        f"Fig. 7: allocation search '{first['search']}' ({first['arch']}, {first['strategy']}): top-1 vs S-ACE, "
        f"every W/S/T with W*S*T {'=' if first['mode'] == 'exact' else '<='} B",
        f"profile {args.profile}{common.stand_in_note(args.profile)}",
        "spike bits vs time steps (best S > T against best T > S):",
        *verdict_lines(frame, args.profile),
    )
    return fig


def main(argv: list[str] | None = None) -> int:
    return common.run(make_figure, "fig7.py", __doc__, argv)


if __name__ == "__main__":
    sys.exit(main())
