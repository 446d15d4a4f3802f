"""Figures figures/fig1.py ... fig6.py, rendered from small FIXTURE results.

Every input here is a hand-made fixture in tmp_path that follows DESIGN.md's formats
(experiments.csv, results/runs/*/metrics.json, results/hardware/*.csv); none of the
numbers is a real result.
"""

from __future__ import annotations

import importlib
import itertools
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
FIGURES = ROOT / "figures"
sys.path.insert(0, str(FIGURES))

import common  # noqa: E402

from qsnn.summary import COLUMNS  # noqa: E402

FIG_NAMES = [f"fig{i}" for i in range(1, 7)]

# --------------------------------------------------------------------------- fixtures

EXPERIMENT_COLUMNS = list(COLUMNS)  # from the contract's owner, qsnn.summary
V_TH = 4  # Fig. 2 fixture threshold: P_sum 3, 5, 2, 6 fires on some beats, integrates on others
STAND_IN = {"cifar10": "digits", "cifar100": "digits", "n-caltech101": "digits-dvs", "dvs-gesture": "digits-dvs"}


def ours(
    table,
    row,
    paper_dataset,
    w,
    s,
    t,
    top1,
    arch="spikformer-4-384",
    figures="",
    source="this paper",
    method="Quantized Spikformer",
):
    """A FIXTURE row of one of our trained runs (quick profile: stand-in dataset, tiny arch)."""
    dataset = STAND_IN[paper_dataset]
    run_id = f"{dataset}__{arch}-tiny__w{w}s{s}t{t}__e1__s0"
    return dict(
        table=table,
        row=row,
        group=method,
        method=method,
        source=source,
        arch_label=arch,
        arch=arch,
        paper_dataset=paper_dataset,
        figures=figures,
        profile="quick",
        dataset=dataset,
        trained_arch="spikformer-tiny",
        w_bits=w,
        s_bits=s,
        T=t,
        bit_budget=w * s * t,
        epochs=1,
        run_id=run_id,
        status="trained",
        top1=top1,
        params_M=0.26 * w,
        s_ace_G=0.77 * w * s * t,
    )


def cited(table, row, paper_dataset, method, arch, w, s, t, paper_acc, params, s_ace):
    return dict(
        table=table,
        row=row,
        group=method,
        method=method,
        source="cited",
        arch_label=arch,
        arch=arch,
        paper_dataset=paper_dataset,
        profile="quick",
        w_bits=w,
        s_bits=s,
        T=t,
        bit_budget=w * s * t,
        status="cited",
        paper_acc=paper_acc,
        params_M=params,
        s_ace_G=s_ace,
    )


def fixture_rows() -> list[dict]:
    rows = []
    for ds, acc in (("cifar10", 94.44), ("cifar100", 74.47)):
        rows.append(cited(5, 3, ds, "TET", "resnet-19", 16, 1, 4, acc, 12.63, 139.0))
        rows.append(cited(5, 8, ds, "Spikformer", "spikformer-4-384", 16, 1, 4, acc + 1, 4.15, 59.1))
        rows.append(cited(2, 0, ds, "", "spikformer-4-384", 16, 1, 4, acc + 1, 4.15, 59.1))  # unnamed in Table 2
    for table, offset in ((5, 11), (2, 1)):
        for i, (w, s, t, acc) in enumerate(((1, 1, 1, 61.0), (1, 4, 1, 70.5), (4, 4, 1, 80.25))):
            for ds, figures in (("cifar10", "fig4"), ("cifar100", "fig4;fig5")):  # as the quick plan tags them
                rows.append(ours(table, offset + i, ds, w, s, t, acc, figures=figures))
    for i, (w, s, t, acc) in enumerate(((1, 1, 16, 55.0), (1, 2, 8, 57.0), (1, 4, 4, 58.5))):
        for ds, figures in (("n-caltech101", "fig5"), ("dvs-gesture", "fig6")):
            rows.append(ours(3, 1 + i, ds, w, s, t, acc, arch="sew-resnet-18", figures=figures))
    for w, acc in ((2, 72.0), (8, 79.0)):  # Fig. 5 weight sweep, figure-only rows
        rows.append(ours(None, None, "cifar100", w, 4, 1, acc, figures="fig5", method=""))
    rows.append(ours(None, None, "cifar100", 3, 3, 3, 77.7, source="extension", method="extension"))
    return rows


def write_experiments(path: Path, rows: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).reindex(columns=EXPERIMENT_COLUMNS).to_csv(path, index=False)
    return path


def spikformer_4_384_layers() -> list[str]:
    """The 37 spiking layers of the full-scale Spikformer-4-384, as `qsnn train` names them."""
    blocks = [
        "attn.q.2",
        "attn.k.2",
        "attn.v.2",
        "attn.attn_map_lif",
        "attn.attn_lif",
        "attn.proj.2",
        "mlp.0.2",
        "mlp.1.2",
    ]
    return (
        [f"patch_embed.proj.{i}.1" for i in (0, 1, 2, 4)]
        + ["patch_embed.rpe.1"]
        + [f"blocks.{b}.{name}" for b in range(4) for name in blocks]
    )


def write_metrics(runs: Path, rows: list[dict], layers: list[str] | None = None) -> None:
    layers = layers or [f"block{k}.lif" for k in range(4)]
    for r in rows:
        if not r.get("run_id"):
            continue
        rates = [
            {"layer": name, "s_bits": r["s_bits"], "rate": round(0.5 / (k + r["s_bits"]), 4), "hist": [10, 5]}
            for k, name in enumerate(layers)
        ]
        metrics = {
            "run": {"dataset": r["dataset"], "wst": f"{r['w_bits']}/{r['s_bits']}/{r['T']}"},
            "top1": r["top1"],
            "firing_rates": rates,
        }
        (runs / r["run_id"]).mkdir(parents=True, exist_ok=True)
        (runs / r["run_id"] / "metrics.json").write_text(json.dumps(metrics))


def write_hardware(hw: Path) -> None:
    from qsnn.functional import lif_integer

    hw.mkdir(parents=True, exist_ok=True)
    traces = []
    for s_bits, steps in ((2, 2), (1, 4), (4, 1)):  # deliberately not in the paper's order
        psum = torch.tensor([[3], [5], [2], [6]][:steps])
        levels, membrane = lif_integer(psum, v_th=V_TH, s_bits=s_bits)
        for t in range(steps):
            cyc = t + 1
            v_int = (int(membrane[t - 1, 0]) >> 1 if t else 0) + int(psum[t, 0])  # before the reset
            sig = dict(
                state=1,
                valid=1,
                last=int(t == steps - 1),
                psum=int(psum[t, 0]),
                v_int=v_int,
                membrane=int(membrane[t, 0]),
                spike=int(levels[t, 0]),
                out_valid=int(t == steps - 1),
            )
            traces += [dict(config=f"{s_bits}/{steps}", cycle=cyc, signal=k, value=v) for k, v in sig.items()]
        traces += [
            dict(config=f"{s_bits}/{steps}", cycle=0, signal=k, value=0)
            for k in ("state", "valid", "last", "psum", "v_int", "membrane", "spike", "out_valid")
        ]
        traces += [dict(config=f"{s_bits}/{steps}", cycle=0, signal="v_th", value=V_TH)]
        traces += [dict(config=f"{s_bits}/{steps}", cycle=steps + 1, signal="valid", value=0)]
    pd.DataFrame(traces).to_csv(hw / "fig2_traces.csv", index=False)
    act, fits = [], []
    for level, slope in (("rtl", 2.0), ("netlist", 3.0)):
        for w, s, t in ((1, 1, 1), (2, 2, 1), (4, 2, 2), (8, 4, 1), (8, 1, 4)):
            bb = w * s * t
            act.append(
                dict(
                    level=level,
                    family="pe",
                    w_bits=w,
                    s_bits=s,
                    T=t,
                    bit_budget=bb,
                    primitive="total",
                    toggles=(slope * bb + 1) * 100,
                    sops=100,
                    toggles_per_sop=slope * bb + 1,
                    source="simulated",
                )
            )
        r2_bb, r2_bbt = (0.987, 0.991) if level == "rtl" else (0.999, 0.9995)
        fits += [
            dict(level=level, family="pe", primitive="total", model="bb", a=1.0, b=slope, c=None, r2=r2_bb),
            dict(level=level, family="pe", primitive="total", model="bb+t", a=1.0, b=slope, c=0.0, r2=r2_bbt),
        ]
    pd.DataFrame(act).to_csv(hw / "activity.csv", index=False)
    pd.DataFrame(fits).to_csv(hw / "activity_fits.csv", index=False)


@pytest.fixture(autouse=True)
def close_figures():
    """Tests build figures with make_figure and never save them: close them all afterwards."""
    yield
    common.plt.close("all")


@pytest.fixture
def results(tmp_path) -> dict:
    rows = fixture_rows()
    exp = write_experiments(tmp_path / "summary" / "experiments.csv", rows)
    write_metrics(tmp_path / "runs", rows)
    write_hardware(tmp_path / "hardware")
    return dict(experiments=exp, runs=tmp_path / "runs", hardware=tmp_path / "hardware", rows=rows, root=tmp_path)


def argv(results, out: Path, profile="quick") -> list[str]:
    return [
        "--experiments",
        str(results["experiments"]),
        "--runs",
        str(results["runs"]),
        "--hardware",
        str(results["hardware"]),
        "--profile",
        profile,
        "--out",
        str(out),
    ]


def figure_of(name: str, results, profile="quick"):
    module = importlib.import_module(name)
    common.setup_style()
    return module.make_figure(common.parse_args("", argv(results, results["root"] / "x.pdf", profile)))


def all_texts(fig) -> str:
    texts = [fig.get_suptitle()]
    for ax in fig.axes:
        texts += [ax.get_title(), ax.get_xlabel(), ax.get_ylabel()]
        texts += [t.get_text() for t in ax.get_xticklabels()]
        if ax.get_legend():
            texts += [t.get_text() for t in ax.get_legend().get_texts()]
    for legend in fig.legends:
        texts += [t.get_text() for t in legend.get_texts()]
    return "\n".join(texts)


# --------------------------------------------------------------------------- every figure


@pytest.mark.parametrize("name", FIG_NAMES)
def test_figure_renders_pdf_and_png_byte_identically(name, results, tmp_path):
    module = importlib.import_module(name)
    outputs = []
    for attempt in ("a", "b"):
        out = tmp_path / attempt / f"{name}.pdf"
        assert module.main(argv(results, out)) == 0
        pdf, png = out.read_bytes(), out.with_suffix(".png").read_bytes()
        assert pdf.startswith(b"%PDF") and png.startswith(b"\x89PNG")
        assert b"CreationDate" not in pdf and b"Matplotlib" not in png
        outputs.append((pdf, png))
        assert not list(out.parent.glob(".*.tmp")), "temporary files left behind"
    assert outputs[0] == outputs[1]


@pytest.mark.parametrize("name", FIG_NAMES)
def test_title_names_profile_and_datasets(name, results):
    fig = figure_of(name, results)
    title = " ".join(fig.get_suptitle().split())  # titles are wrapped to the figure width
    assert "quick profile" in title
    if name in ("fig4", "fig5"):
        assert "digits stand-in for CIFAR100" in title
    if name == "fig6":
        assert "digits-dvs stand-in for DVS-Gesture" in title and "digits stand-in for CIFAR100" in title
    assert "paper profile" in figure_of("fig1", results, profile="paper").get_suptitle()


def test_rerun_in_a_fresh_process_is_byte_identical(results, tmp_path):
    """Byte stability across processes, not just within one interpreter (fig4 as example)."""
    outs = []
    for attempt in ("p1", "p2"):
        out = tmp_path / attempt / "fig4.pdf"
        subprocess.run(
            [sys.executable, str(FIGURES / "fig4.py"), *argv(results, out)],
            check=True,
            capture_output=True,
            cwd=tmp_path,
        )
        outs.append(out.read_bytes() + out.with_suffix(".png").read_bytes())
    assert outs[0] == outs[1]


# --------------------------------------------------------------------------- per figure


def test_fig1_is_a_real_bitplane_computation():
    fig1 = importlib.import_module("fig1")
    eq = fig1.compute_equivalence()
    weights = 2 ** torch.arange(fig1.N_BITS).reshape(-1, 1)
    assert (torch.from_numpy(eq.planes) * weights).sum(0).tolist() == eq.activation.tolist()
    assert eq.max_abs_error < 1e-9
    assert abs(eq.direct).max() > 0.1  # a non-trivial layer output, not zeros on both sides


def test_fig2_panels_follow_the_paper_order(results):
    fig = figure_of("fig2", results)
    titles = [ax.get_title() for ax in fig.axes]
    assert [t[:14] for t in titles] == ["(a) S/T = 1/4:", "(b) S/T = 4/1:", "(c) S/T = 2/2:"]
    assert "RTL simulation (Verilator)" in fig.get_suptitle()
    assert {t.get_text() for t in fig.axes[0].get_yticklabels()} >= {
        "P_sum",
        "valid",
        "last",
        "membrane\nbefore reset",
        "membrane\nafter reset",
        "spike level",
    }


def test_fig2_config_spellings():
    fig2 = importlib.import_module("fig2")
    for text in ("1/4", "8/1/4", "s1t4", "w8s1t4", "S=1, T=4"):
        assert fig2.parse_config(text) == (1, 4)
    with pytest.raises(ValueError, match="cannot read S and T"):
        fig2.parse_config("fast")


def lane_of(ax, label: str, height: float) -> tuple[float, float]:
    """The y band of the Fig. 2 lane whose tick label is ``label`` (ticks sit mid-lane)."""
    centre = {t.get_text(): t.get_position()[1] for t in ax.get_yticklabels()}[label]
    return centre - height / 2, centre + height / 2


def texts_in(ax, band: tuple[float, float]) -> list[str]:
    return [t.get_text() for t in ax.texts if band[0] <= t.xy[1] <= band[1]] if ax.texts else []


def test_fig2_shows_the_membrane_integrating_before_each_reset(results):
    """The register after a hard reset is 0 whenever a spike fired; the figure must show the
    integrated value before the reset (v_int) with its values and the threshold."""
    fig = figure_of("fig2", results)
    traces = pd.read_csv(results["hardware"] / "fig2_traces.csv")
    fig2 = importlib.import_module("fig2")
    for ax in fig.axes:
        config = ax.get_title().split("[trace config ")[1].split("]")[0]
        mine = traces[traces["config"] == config]
        labels = [t.get_text() for t in ax.get_yticklabels()]
        assert fig2.LANE_LABELS["v_int"] in labels and "v_th" not in labels  # the threshold is no lane
        lo, hi = lane_of(ax, fig2.LANE_LABELS["v_int"], fig2.LANE_HEIGHT["analog"])
        beats = mine[(mine["signal"] == "v_int") & (mine["cycle"] > 0)]["value"]
        assert beats.ne(0).any()
        # every integrated value is printed in its lane...
        printed = texts_in(ax, (lo, hi))
        assert all(f"{v:g}" in printed for v in beats), (config, printed)
        # ...and drawn: the lane's line is not flat at one level
        in_lane = [
            np.asarray(line.get_ydata(), float)
            for line in ax.get_lines()
            if line.get_linestyle() == "-"
            and len(line.get_ydata())
            and lo <= np.nanmin(line.get_ydata())
            and np.nanmax(line.get_ydata()) <= hi
        ]
        if beats.nunique() > 1:
            assert any(np.ptp(y[~np.isnan(y)]) > 0 for y in in_lane)
        threshold = [t.get_text() for t in ax.texts if t.get_text().startswith("V_th")]
        assert threshold == [f"V_th = {V_TH}"]


def test_fig2_real_trace_values_are_readable(results):
    fig = figure_of("fig2", results)
    fig2 = importlib.import_module("fig2")
    for ax in fig.axes:
        values = [t for t in ax.texts if t.get_text() and t.get_text()[0] in "-0123456789"]
        assert values and min(t.get_fontsize() for t in values) >= 6
        assert min(t.get_fontsize() for t in ax.get_yticklabels()) >= 6
    assert fig2.VALUE_FONTSIZE >= 6


def test_fig2_old_trace_without_v_int_says_so(results):
    path = results["hardware"] / "fig2_traces.csv"
    df = pd.read_csv(path)
    df[~df["signal"].isin(["v_int", "v_th"])].to_csv(path, index=False)
    fig = figure_of("fig2", results)
    assert all("rerun `qsnn hw traces`" in ax.get_title() for ax in fig.axes)


def test_fig3_says_switching_activity_and_shows_r2(results):
    fig = figure_of("fig3", results)
    texts = all_texts(fig)
    assert "simulated switching activity, not energy" in fig.axes[0].get_ylabel()
    assert "BB fit $R^2$ = 0.987" in texts and "BB fit $R^2$ = 0.999" in texts
    assert "BB+T fit $R^2$ = 0.991" in texts


def test_fig4_marks_cited_rows_apart_from_ours(results):
    fig = figure_of("fig4", results)
    ax10 = fig.axes[0]
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "TET (cited)" in labels and "Spikformer (cited)" in labels
    assert "baseline (cited)" not in labels  # Table 2's unnamed row takes Table 5's name, drawn once
    assert len(next(c for c in ax10.collections if c.get_label() == "Spikformer (cited)").get_offsets()) == 1
    assert any(lbl.startswith("ours:") and "(cited)" not in lbl for lbl in labels)
    by_label = {c.get_label(): c for c in ax10.collections}
    cited_tet = by_label["TET (cited)"]
    ours_coll = next(c for lbl, c in by_label.items() if lbl.startswith("ours:"))
    assert cited_tet.get_offsets().tolist() == [[139.0, 94.44]]  # our S-ACE, published accuracy
    assert len(ours_coll.get_offsets()) == 3  # Table 2 duplicates of Table 5 rows drawn once
    assert ax10.get_xscale() == "log"
    assert len(cited_tet.get_facecolors()) == 0 or cited_tet.get_facecolors()[0][3] == 0  # hollow


def test_fig5_shows_extension_rows_and_weight_sweep(results):
    fig = figure_of("fig5", results)
    texts = all_texts(fig)
    assert "3/3/3*" in texts and "config extension" in texts
    sweep = fig.axes[1]
    assert [list(line.get_xdata()) for line in sweep.get_lines()] == [[1, 2, 4, 8]]


def axis_has_data(ax) -> bool:
    bars = [p for p in ax.patches if p.get_height() > 0]
    lines = [line for line in ax.get_lines() if len(line.get_xdata())]
    return ax.axison and bool(bars or lines)


def test_fig5_has_no_empty_panel(results):
    """N-Caltech101 has one weight width only: no empty sweep panel, a full-width allocation one."""
    fig = figure_of("fig5", results)
    assert all(axis_has_data(ax) for ax in fig.axes), [ax.get_title() for ax in fig.axes if not axis_has_data(ax)]
    titles = [ax.get_title() for ax in fig.axes]
    assert titles == [
        "CIFAR100: accuracy per allocation",
        "CIFAR100: weight bit-width sweep",
        "N-Caltech101: accuracy per allocation",
    ]
    cifar, sweep, caltech = fig.axes
    assert caltech.get_position().width > cifar.get_position().width + sweep.get_position().width * 0.9


def test_fig5_dataset_without_accuracies_gets_no_panel_but_a_mention(results):
    rows = [dict(r, top1=None) if r["paper_dataset"] == "n-caltech101" else r for r in results["rows"]]
    write_experiments(results["experiments"], rows)
    fig = figure_of("fig5", results)
    assert not any(ax.get_title().startswith("N-Caltech101") for ax in fig.axes)
    assert all(axis_has_data(ax) for ax in fig.axes)
    assert "no trained rows yet for N-Caltech101" in " ".join(fig.get_suptitle().split())


def test_fig5_without_any_accuracy_is_an_error(results, tmp_path, capsys):
    write_experiments(results["experiments"], [dict(r, top1=None) for r in results["rows"]])
    assert importlib.import_module("fig5").main(argv(results, tmp_path / "fig5.pdf")) == 2
    assert "no fig5 row has a top-1 accuracy" in capsys.readouterr().err


def test_fig5_without_extension_row_has_no_extension(results):
    rows = [r for r in results["rows"] if r["source"] != "extension"]
    write_experiments(results["experiments"], rows)
    assert "3/3/3" not in all_texts(figure_of("fig5", results))


def test_fig5_extension_on_another_dataset_gets_its_own_panel(results):
    rows = results["rows"] + [ours(None, None, "cifar10", 3, 3, 3, 70.0, source="extension", method="ext")]
    write_experiments(results["experiments"], rows)
    fig = figure_of("fig5", results)
    assert any(ax.get_title().startswith("CIFAR10:") for ax in fig.axes)


def test_fig6_plots_the_recorded_firing_rates(results):
    fig = figure_of("fig6", results)
    dvs = next(ax for ax in fig.axes if ax.get_title() == "DVS-Gesture")
    lines = {line.get_label(): list(line.get_ydata()) for line in dvs.get_lines()}
    assert set(lines) == {"W/S/T = 1/1/16 (BB 16)", "W/S/T = 1/2/8 (BB 16)", "W/S/T = 1/4/4 (BB 16)"}
    assert lines["W/S/T = 1/4/4 (BB 16)"] == [round(0.5 / (k + 4), 4) for k in range(4)]
    cifar = next(ax for ax in fig.axes if ax.get_title() == "CIFAR100")
    assert len(cifar.get_lines()) == 2  # W=1 runs only: 1/1/1 and 1/4/1


def drawn(fig):
    common.freeze_layout(fig)
    fig.canvas.draw()
    return fig.canvas.get_renderer()


def overlapping(texts, renderer) -> list[tuple[str, str]]:
    boxes = [(t.get_text(), t.get_window_extent(renderer)) for t in texts if t.get_text()]
    boxes.sort(key=lambda b: b[1].x0)
    return [(a, b) for (a, box_a), (b, box_b) in itertools.pairwise(boxes) if box_a.x1 > box_b.x0 + 0.5]


def test_fig6_stays_readable_with_37_layers(results):
    """Full-scale Spikformer-4-384: 37 spiking layers per run (the paper profile, the rehearsal)."""
    write_metrics(results["runs"], results["rows"], layers=spikformer_4_384_layers())
    fig = figure_of("fig6", results)
    renderer = drawn(fig)
    panels = [ax for ax in fig.axes if ax.get_title() in ("CIFAR100", "DVS-Gesture")]
    assert len(panels) == 2
    for ax in panels:
        labels = ax.get_xticklabels()
        assert len(labels) == 37
        assert min(t.get_fontsize() for t in labels) >= 6
        assert overlapping(labels, renderer) == []
        # blocks named once above the panel, each layer below without its block prefix
        groups = [t.get_text() for child in ax.child_axes for t in child.get_xticklabels()]
        assert groups == ["patch_embed", "blocks.0", "blocks.1", "blocks.2", "blocks.3"]
        assert "attn.attn_map_lif" in [t.get_text() for t in labels]
        # the legend sits beside the data, not over it
        legend = ax.get_legend().get_window_extent(renderer)
        assert legend.x0 >= ax.get_window_extent(renderer).x1
        # the lines still carry each layer's recorded rate
        assert len(ax.get_lines()[0].get_xdata()) == 37
    bottom, top = panels  # stacked, not side by side: each panel gets the full width
    assert bottom.get_position().x0 == pytest.approx(top.get_position().x0)


def test_fig6_width_grows_with_the_number_of_layers(results):
    small = figure_of("fig6", results).get_figwidth()
    many = [f"blocks.{b}.l{k}" for b in range(8) for k in range(9)]  # 72 layers
    write_metrics(results["runs"], results["rows"], layers=many)
    fig = figure_of("fig6", results)
    assert fig.get_figwidth() > small
    renderer = drawn(fig)
    for ax in (ax for ax in fig.axes if ax.get_title()):
        assert overlapping(ax.get_xticklabels(), renderer) == []


# --------------------------------------------------------------------------- bad input


def test_missing_experiments_names_the_file_and_writes_nothing(results, tmp_path, capsys):
    results["experiments"].unlink()
    out = tmp_path / "o" / "fig4.pdf"
    assert importlib.import_module("fig4").main(argv(results, out)) == 2
    err = capsys.readouterr().err
    assert str(results["experiments"]) in err and "missing required input" in err
    assert not out.exists() and not out.with_suffix(".png").exists()


@pytest.mark.parametrize("name, missing", [("fig2", "fig2_traces.csv"), ("fig3", "activity_fits.csv")])
def test_missing_hardware_csv_names_the_file(name, missing, results, tmp_path, capsys):
    (results["hardware"] / missing).unlink()
    assert importlib.import_module(name).main(argv(results, tmp_path / f"{name}.pdf")) == 2
    assert missing in capsys.readouterr().err


def test_missing_metrics_json_names_the_run(results, tmp_path, capsys):
    run_dir = results["runs"] / "digits-dvs__sew-resnet-18-tiny__w1s2t8__e1__s0"
    (run_dir / "metrics.json").unlink()
    assert importlib.import_module("fig6").main(argv(results, tmp_path / "fig6.pdf")) == 2
    assert str(run_dir / "metrics.json") in capsys.readouterr().err


def test_missing_required_column_is_named(results, tmp_path, capsys):
    df = pd.read_csv(results["experiments"]).drop(columns=["s_ace_G"])
    df.to_csv(results["experiments"], index=False)
    assert importlib.import_module("fig4").main(argv(results, tmp_path / "fig4.pdf")) == 2
    assert "s_ace_G" in capsys.readouterr().err


def test_empty_experiments_file_is_named(results, tmp_path, capsys):
    results["experiments"].write_text("")
    assert importlib.import_module("fig5").main(argv(results, tmp_path / "fig5.pdf")) == 2
    assert f"{results['experiments']} is empty" in capsys.readouterr().err


def test_profile_mismatch_is_an_error(results, tmp_path, capsys):
    assert importlib.import_module("fig5").main(argv(results, tmp_path / "fig5.pdf", profile="paper")) == 2
    assert "--profile paper" in capsys.readouterr().err
