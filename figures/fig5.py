"""Fig. 5: accuracy against the W/S/T bit allocation on CIFAR100 and N-Caltech101,
including the weight bit-width sweep (paper Fig. 5).

Rows of experiments.csv: our trained rows (``source != cited``) whose ``figures`` column
names ``fig5``, plus every config-added allocation (``source == extension``), so an
allocation added with one line of config shows up here. Datasets: CIFAR100, N-Caltech101
and any paper dataset an extension row uses. A run listed by several tables is drawn once.

Per dataset, the left panel shows accuracy per allocation, sorted by Bit Budget
(extension rows hatched and starred); the right panel shows the weight sweep: for each S/T
pair trained with two or more weight bit-widths, accuracy against W.
"""

from __future__ import annotations

import sys

import matplotlib.pyplot as plt
import pandas as pd

import common

DATASETS = ("cifar100", "n-caltech101")
REQUIRED = ("top1",)


def select_rows(df: pd.DataFrame) -> pd.DataFrame:
    ours = df[df["source"] != "cited"]
    rows = ours[common.has_figure(ours, "fig5") | (ours["source"] == "extension")].copy()
    rows["extension"] = rows["source"] == "extension"
    rows = rows[rows["top1"].map(common.finite)]
    key = rows["run_id"].fillna(rows["paper_dataset"].astype(str) + rows["w_bits"].astype(str)
                                + "/" + rows["s_bits"].astype(str) + "/" + rows["T"].astype(str))
    return rows.assign(key=key).drop_duplicates(["paper_dataset", "key"])


def panel_datasets(rows: pd.DataFrame) -> list[str]:
    extra = sorted(set(rows.loc[rows["extension"], "paper_dataset"].dropna()) - set(DATASETS))
    return [*DATASETS, *extra]


def draw_allocations(ax, rows: pd.DataFrame, dataset: str) -> None:
    rows = rows.sort_values(["bit_budget", "w_bits", "s_bits", "T"])
    x = range(len(rows))
    budgets = sorted(rows["bit_budget"].unique())
    colour_of = {b: f"C{i % 10}" for i, b in enumerate(budgets)}
    for xi, row in zip(x, rows.itertuples(index=False)):
        ax.bar(xi, float(row.top1), color=colour_of[row.bit_budget], hatch="//" if row.extension else None,
               edgecolor="black" if row.extension else None, linewidth=0.6)
    labels = [f"{common.wst_label(r.w_bits, r.s_bits, r.T)}{'*' if r.extension else ''}"
              for r in rows.itertuples(index=False)]
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
    if rows.empty:
        ax.text(0.5, 0.5, "no trained rows", transform=ax.transAxes, ha="center")


def draw_weight_sweep(ax, rows: pd.DataFrame, dataset: str) -> None:
    swept = [(st, g) for st, g in rows.groupby(["s_bits", "T"]) if g["w_bits"].nunique() >= 2]
    for s_t, group in swept:
        group = group.sort_values("w_bits")
        ax.plot(group["w_bits"].astype(int), group["top1"].astype(float), marker="o",
                label=f"S/T = {int(s_t[0])}/{int(s_t[1])}")
    ax.set_xscale("log", base=2)
    ax.set_xlabel("weight bit-width W (log2)")
    ax.set_ylabel("top-1 accuracy (%)")
    ax.set_title(f"{common.dataset_label(dataset)}: weight bit-width sweep")
    if swept:
        widths = sorted({int(w) for _, g in swept for w in g["w_bits"]})
        ax.set_xticks(widths, [str(w) for w in widths])
        ax.legend(loc="lower right")
    else:
        ax.set_axis_off()
        ax.text(0.5, 0.5, "no S/T pair trained\nat two or more W", transform=ax.transAxes, ha="center")


def make_figure(args: common.FigureArgs):
    df = common.read_experiments(args, REQUIRED)
    rows = select_rows(df)
    datasets = panel_datasets(rows)
    rows = rows[rows["paper_dataset"].isin(datasets)]
    fig, axes = plt.subplots(len(datasets), 2, figsize=(7.5, 3.0 * len(datasets)), squeeze=False,
                             width_ratios=(2, 1))
    for (ax_alloc, ax_sweep), dataset in zip(axes, datasets):
        on_dataset = rows[rows["paper_dataset"] == dataset]
        draw_allocations(ax_alloc, on_dataset, dataset)
        draw_weight_sweep(ax_sweep, on_dataset, dataset)
    common.set_title(fig, "Fig. 5: accuracy vs bit allocation W/S/T, with the weight bit-width sweep\n"
                 f"{common.provenance_of(rows, args.profile)}{common.stand_in_note(args.profile)}")
    return fig


def main(argv: list[str] | None = None) -> int:
    return common.run(make_figure, "fig5.py", __doc__, argv)


if __name__ == "__main__":
    sys.exit(main())
