"""Fig. 6: per-layer firing rates for different spike/time allocations S/T at W = 1 on
CIFAR100 and DVS-Gesture (paper Fig. 6).

Rows of experiments.csv: our trained rows with ``w_bits == 1`` on ``cifar100`` or
``dvs-gesture``, plus rows whose ``figures`` column names ``fig6``. For each, the
``firing_rates`` list of ``results/runs/{run_id}/metrics.json`` gives per spiking layer
the fraction of non-zero spike outputs (``rate``); one line per allocation, one panel per
dataset. A run listed by several tables is drawn once; rows whose run is ``missing``
are skipped, but a trained row whose metrics.json is absent is an error.
"""

from __future__ import annotations

import sys

import matplotlib.pyplot as plt
import pandas as pd

import common

DATASETS = ("cifar100", "dvs-gesture")


def select_rows(df: pd.DataFrame) -> pd.DataFrame:
    ours = df[(df["source"] != "cited") & df["run_id"].notna() & (df["status"].fillna("trained") != "missing")]
    wanted = ((ours["w_bits"] == 1) & ours["paper_dataset"].isin(DATASETS)) | common.has_figure(ours, "fig6")
    return ours[wanted].drop_duplicates(["paper_dataset", "run_id"]).sort_values(["paper_dataset", "bit_budget", "s_bits"])


def rates_of(args: common.FigureArgs, run_id: str) -> pd.DataFrame:
    metrics = common.read_metrics(args.runs, run_id)
    rates = pd.DataFrame(metrics.get("firing_rates") or [])
    path = args.runs / run_id / "metrics.json"
    if rates.empty or not {"layer", "rate"} <= set(rates.columns):
        raise ValueError(f"{path}: 'firing_rates' must be a non-empty list of {{layer, s_bits, rate, hist}}; "
                         "retrain the run with the current `qsnn train`")
    return rates


def draw_dataset(ax, args: common.FigureArgs, rows: pd.DataFrame, dataset: str) -> None:
    longest: list[str] = []
    for i, row in enumerate(rows.itertuples(index=False)):
        rates = rates_of(args, row.run_id)
        ax.plot(range(len(rates)), rates["rate"].astype(float), marker="o", markersize=3, color=f"C{i % 10}",
                label=f"W/S/T = {common.wst_label(row.w_bits, row.s_bits, row.T)} (BB {int(row.bit_budget)})")
        if len(rates) > len(longest):
            longest = rates["layer"].astype(str).tolist()
    ax.set_xticks(range(len(longest)), longest, rotation=90, fontsize=5)
    ax.set_xlabel("spiking layer")
    ax.set_ylabel("firing rate (fraction of non-zero spikes)")
    ax.set_ylim(bottom=0)
    ax.set_title(f"{common.dataset_label(dataset)}")
    if rows.empty:
        ax.text(0.5, 0.5, "no trained W=1 runs", transform=ax.transAxes, ha="center")
    else:
        ax.legend(loc="upper right")


def make_figure(args: common.FigureArgs):
    df = common.read_experiments(args, ())
    rows = select_rows(df)
    datasets = [*DATASETS, *sorted(set(rows["paper_dataset"].dropna()) - set(DATASETS))]
    fig, axes = plt.subplots(1, len(datasets), figsize=(3.8 * len(datasets), 4.0), squeeze=False)
    for ax, dataset in zip(axes[0], datasets):
        draw_dataset(ax, args, rows[rows["paper_dataset"] == dataset], dataset)
    common.set_title(fig, "Fig. 6: per-layer firing rates for different S/T allocations (W = 1)\n"
                 f"{common.provenance_of(rows, args.profile)}{common.stand_in_note(args.profile)}; "
                 "rates from each run's metrics.json")
    return fig


def main(argv: list[str] | None = None) -> int:
    return common.run(make_figure, "fig6.py", __doc__, argv)


if __name__ == "__main__":
    sys.exit(main())
