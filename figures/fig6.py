"""Fig. 6: per-layer firing rates for different spike/time allocations S/T at W = 1 on
CIFAR100 and DVS-Gesture (paper Fig. 6).

Rows of experiments.csv: our trained rows with ``w_bits == 1`` on ``cifar100`` or
``dvs-gesture``, plus rows whose ``figures`` column names ``fig6``. For each, the
``firing_rates`` list of ``results/runs/{run_id}/metrics.json`` gives per spiking layer
the fraction of non-zero spike outputs (``rate``); one line per allocation, one panel per
dataset. A run listed by several tables is drawn once; rows whose run is ``missing``
are skipped, but a trained row whose metrics.json is absent is an error.

Readable at full scale (37 spiking layers for Spikformer-4-384, 69 for Spikformer-8-512):
the panels are stacked, each the full width of a figure that widens with the number of
layers; layers are grouped by block (``blocks.3``, ``stages.1``, ...), the block named once
above the panel and shaded every other time, each layer labelled below without its block
prefix; the legend sits beside the panel, not over the lines.
"""

from __future__ import annotations

import sys

import common
import matplotlib.pyplot as plt
import pandas as pd

DATASETS = ("cifar100", "dvs-gesture")
TICK_FONTSIZE = 6.5  # layer names; readable at print size
GROUP_FONTSIZE = 7
LAYER_PITCH_IN = 0.14  # horizontal room per layer: a rotated 6.5 pt name needs ~0.11 in
LEGEND_WIDTH_IN = 1.5
PANEL_HEIGHT_IN = 3.4  # plot + rotated layer names + block names


def select_rows(df: pd.DataFrame) -> pd.DataFrame:
    ours = df[(df["source"] != "cited") & df["run_id"].notna() & (df["status"].fillna("trained") != "missing")]
    wanted = ((ours["w_bits"] == 1) & ours["paper_dataset"].isin(DATASETS)) | common.has_figure(ours, "fig6")
    return (
        ours[wanted].drop_duplicates(["paper_dataset", "run_id"]).sort_values(["paper_dataset", "bit_budget", "s_bits"])
    )


def rates_of(args: common.FigureArgs, run_id: str) -> pd.DataFrame:
    metrics = common.read_metrics(args.runs, run_id)
    rates = pd.DataFrame(metrics.get("firing_rates") or [])
    path = args.runs / run_id / "metrics.json"
    if rates.empty or not {"layer", "rate"} <= set(rates.columns):
        raise ValueError(
            f"{path}: 'firing_rates' must be a non-empty list of {{layer, s_bits, rate, hist}}; "
            "retrain the run with the current `qsnn train`"
        )
    return rates


def layer_group(name: str) -> str:
    """The block a layer belongs to: its first name component, plus the next one if it is an index
    (``blocks.3.attn.q.2`` -> ``blocks.3``, ``patch_embed.proj.0.1`` -> ``patch_embed``)."""
    parts = name.split(".")
    return ".".join(parts[:2]) if len(parts) > 2 and parts[1].isdigit() else parts[0]


def layer_order(all_rates: list[pd.DataFrame]) -> list[str]:
    """Every layer of the panel's runs, in network order (the longest run's order first)."""
    order: list[str] = []
    for rates in sorted(all_rates, key=len, reverse=True):
        order += [name for name in rates["layer"].astype(str) if name not in order]
    return order


def tick_labels(layers: list[str]) -> tuple[list[str], list[tuple[str, float, float]]]:
    """Short tick labels and ``(group, first, last)`` spans of the groups that hold several layers:
    a layer of such a group is labelled without its group prefix, the group is named once above."""
    groups = [layer_group(name) for name in layers]
    spans: list[tuple[str, float, float]] = []
    for i, g in enumerate(groups):
        if spans and spans[-1][0] == g and spans[-1][2] == i - 1:
            spans[-1] = (g, spans[-1][1], i)
        else:
            spans.append((g, i, i))
    spans = [s for s in spans if s[2] > s[1]]
    grouped = {i for _, first, last in spans for i in range(int(first), int(last) + 1)}
    labels = [name[len(groups[i]) + 1 :] if i in grouped else name for i, name in enumerate(layers)]
    return labels, spans


def draw_groups(ax, spans: list[tuple[str, float, float]]) -> None:
    """Shade every other block and name the blocks on a secondary axis above the panel."""
    for k, (_, first, last) in enumerate(spans):
        if k % 2 == 0:
            ax.axvspan(first - 0.5, last + 0.5, color="0.93", zorder=0, linewidth=0)
    if spans:
        top = ax.secondary_xaxis("top")
        top.set_xticks(
            [(first + last) / 2 for _, first, last in spans], [g for g, _, _ in spans], fontsize=GROUP_FONTSIZE
        )
        top.tick_params(axis="x", length=0)


def draw_dataset(ax, args: common.FigureArgs, rows: pd.DataFrame, dataset: str) -> None:
    all_rates = [rates_of(args, row.run_id) for row in rows.itertuples(index=False)]
    layers = layer_order(all_rates)
    position = {name: i for i, name in enumerate(layers)}
    for i, (row, rates) in enumerate(zip(rows.itertuples(index=False), all_rates)):
        ax.plot(
            [position[name] for name in rates["layer"].astype(str)],
            rates["rate"].astype(float),
            marker="o",
            markersize=3,
            color=f"C{i % 10}",
            label=f"W/S/T = {common.wst_label(row.w_bits, row.s_bits, row.T)} (BB {int(row.bit_budget)})",
        )
    labels, spans = tick_labels(layers)
    ax.set_xticks(range(len(layers)), labels, rotation=90, fontsize=TICK_FONTSIZE)
    ax.set_xlim(-0.5, max(len(layers), 1) - 0.5)
    draw_groups(ax, spans)
    ax.set_xlabel("spiking layer" + (" (grouped by block, named above)" if spans else ""))
    ax.set_ylabel("firing rate\n(fraction of non-zero spikes)")
    ax.set_ylim(bottom=0)
    ax.set_title(f"{common.dataset_label(dataset)}", fontweight="bold")
    if rows.empty:
        ax.text(0.5, 0.5, "no trained W=1 runs", transform=ax.transAxes, ha="center")
    else:  # beside the panel, never over the data
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)


def make_figure(args: common.FigureArgs):
    df = common.read_experiments(args, ())
    rows = select_rows(df)
    datasets = [*DATASETS, *sorted(set(rows["paper_dataset"].dropna()) - set(DATASETS))]
    n_layers = max([len(rates_of(args, r)) for r in rows["run_id"]] or [1])
    # One full-width panel per dataset; wider with more layers, so every layer name keeps its room.
    width = max(7.5, LEGEND_WIDTH_IN + 1.0 + LAYER_PITCH_IN * n_layers)
    fig, axes = plt.subplots(len(datasets), 1, figsize=(width, PANEL_HEIGHT_IN * len(datasets) + 0.8), squeeze=False)
    for ax, dataset in zip(axes[:, 0], datasets):
        draw_dataset(ax, args, rows[rows["paper_dataset"] == dataset], dataset)
    common.set_title(
        fig,
        "Fig. 6: per-layer firing rates for different S/T allocations (W = 1)\n"
        f"{common.provenance_of(rows, args.profile)}{common.stand_in_note(args.profile)}; "
        "rates from each run's metrics.json",
    )
    return fig


def main(argv: list[str] | None = None) -> int:
    return common.run(make_figure, "fig6.py", __doc__, argv)


if __name__ == "__main__":
    sys.exit(main())
