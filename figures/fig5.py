"""Fig. 5: accuracy against the W/S/T bit allocation on CIFAR100 and N-Caltech101,
including the weight bit-width sweep (paper Fig. 5).

Rows of experiments.csv: our trained rows (``source != cited``) whose ``figures`` column
names ``fig5``, plus every config-added allocation (``source == extension``), so an
allocation added with one line of config shows up here. Datasets: those of these rows
(the config's ``figures.fig5.datasets``, CIFAR100 and N-Caltech101 by default, plus any
paper dataset an extension row uses), the paper's two first. A run listed by several tables
is drawn once.

Per dataset, the left panel shows accuracy per allocation, sorted by Bit Budget
(extension rows hatched and starred); the right panel shows the weight sweep: for each S/T
pair trained with two or more weight bit-widths, accuracy against W. No panel is left
empty: a dataset without such a pair gets a full-width allocation panel, and a dataset
whose rows have no accuracy yet gets no panel (the title names it).
"""

from __future__ import annotations

import sys

import common
import matplotlib.pyplot as plt
import pandas as pd

DATASETS = ("cifar100", "n-caltech101")
REQUIRED = ("top1",)


def planned_rows(df: pd.DataFrame) -> pd.DataFrame:
    """Our rows that Fig. 5 plots once they have an accuracy."""
    ours = df[df["source"] != "cited"]
    return ours[common.has_figure(ours, "fig5") | (ours["source"] == "extension")]


def select_rows(df: pd.DataFrame) -> pd.DataFrame:
    rows = planned_rows(df).copy()
    rows["extension"] = rows["source"] == "extension"
    rows = rows[rows["top1"].map(common.finite)]
    key = rows["run_id"].fillna(
        rows["paper_dataset"].astype(str)
        + rows["w_bits"].astype(str)
        + "/"
        + rows["s_bits"].astype(str)
        + "/"
        + rows["T"].astype(str)
    )
    return rows.assign(key=key).drop_duplicates(["paper_dataset", "key"])


def panel_datasets(rows: pd.DataFrame) -> list[str]:
    present = set(rows["paper_dataset"].dropna().astype(str))
    return [d for d in DATASETS if d in present] + sorted(present - set(DATASETS))


def draw_allocations(ax, rows: pd.DataFrame, dataset: str) -> None:
    rows = rows.sort_values(["bit_budget", "w_bits", "s_bits", "T"])
    x = range(len(rows))
    budgets = sorted(rows["bit_budget"].unique())
    colour_of = {b: f"C{i % 10}" for i, b in enumerate(budgets)}
    for xi, row in zip(x, rows.itertuples(index=False)):
        ax.bar(
            xi,
            float(row.top1),
            color=colour_of[row.bit_budget],
            hatch="//" if row.extension else None,
            edgecolor="black" if row.extension else None,
            linewidth=0.6,
        )
    labels = [
        f"{common.wst_label(r.w_bits, r.s_bits, r.T)}{'*' if r.extension else ''}" for r in rows.itertuples(index=False)
    ]
    ax.set_xticks(list(x), labels, rotation=90)
    handles = [plt.Rectangle((0, 0), 1, 1, color=colour_of[b]) for b in budgets]
    names = [f"BB = {int(b)}" for b in budgets]
    if rows["extension"].any():
        handles.append(plt.Rectangle((0, 0), 1, 1, facecolor="white", hatch="//", edgecolor="black"))
        names.append("* config extension (source = extension)")
    ax.set_ylim(0, 1.45 * max(float(rows["top1"].max()), 1.0) if not rows.empty else 100)
    ax.legend(handles, names, loc="upper left", ncols=3)
    ax.set_xlabel("allocation W/S/T (sorted by Bit Budget)")
    ax.set_ylabel("top-1 accuracy (%)")
    ax.set_title(f"{common.dataset_label(dataset)}: accuracy per allocation")


def swept_pairs(rows: pd.DataFrame) -> list:
    """``[((S, T), rows), ...]`` for each S/T pair trained with two or more weight bit-widths."""
    return [(st, g) for st, g in rows.groupby(["s_bits", "T"]) if g["w_bits"].nunique() >= 2]


def draw_weight_sweep(ax, rows: pd.DataFrame, dataset: str) -> None:
    swept = swept_pairs(rows)
    for s_t, group in swept:
        group = group.sort_values("w_bits")
        ax.plot(
            group["w_bits"].astype(int),
            group["top1"].astype(float),
            marker="o",
            label=f"S/T = {int(s_t[0])}/{int(s_t[1])}",
        )
    ax.set_xscale("log", base=2)
    ax.set_xlabel("weight bit-width W (log2)")
    ax.set_ylabel("top-1 accuracy (%)")
    ax.set_title(f"{common.dataset_label(dataset)}: weight bit-width sweep")
    widths = sorted({int(w) for _, g in swept for w in g["w_bits"]})
    ax.set_xticks(widths, [str(w) for w in widths])
    ax.minorticks_off()
    # below the panel, never over the points
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.28), ncols=2 if len(swept) > 2 else 1)


def make_figure(args: common.FigureArgs):
    df = common.read_experiments(args, REQUIRED)
    rows = select_rows(df)
    # Only panels with data: a dataset without trained rows gets none (the title names it), and one
    # without a weight sweep gets a full-width allocation panel instead of an empty sweep panel.
    datasets = panel_datasets(rows)
    absent = [common.dataset_label(d) for d in panel_datasets(planned_rows(df)) if d not in datasets]
    if not datasets:
        raise ValueError(
            f"{args.experiments}: no fig5 row has a top-1 accuracy "
            f"({', '.join(absent) or 'no fig5 rows at all'}); train the runs first"
        )
    fig = plt.figure(figsize=(7.5, 3.3 * len(datasets)))
    grid = fig.add_gridspec(len(datasets), 3)
    for i, dataset in enumerate(datasets):
        on_dataset = rows[rows["paper_dataset"] == dataset]
        if swept_pairs(on_dataset):
            draw_allocations(fig.add_subplot(grid[i, :2]), on_dataset, dataset)
            draw_weight_sweep(fig.add_subplot(grid[i, 2]), on_dataset, dataset)
        else:
            draw_allocations(fig.add_subplot(grid[i, :]), on_dataset, dataset)
    common.set_title(
        fig,
        "Fig. 5: accuracy vs bit allocation W/S/T, with the weight bit-width sweep\n"
        f"{common.provenance_of(rows, args.profile)}{common.stand_in_note(args.profile)}"
        + (f"; no trained rows yet for {', '.join(absent)}" if absent else ""),
    )
    return fig


def main(argv: list[str] | None = None) -> int:
    return common.run(make_figure, "fig5.py", __doc__, argv)


if __name__ == "__main__":
    sys.exit(main())
