"""Figures figures/fig1.py ... fig6.py, rendered from small FIXTURE results.

Every input here is a hand-made fixture in tmp_path that follows DESIGN.md's formats
(experiments.csv, results/runs/*/metrics.json, results/hardware/*.csv); none of the
numbers is a real result.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
FIGURES = ROOT / "figures"
sys.path.insert(0, str(FIGURES))

import common  # noqa: E402

FIG_NAMES = [f"fig{i}" for i in range(1, 7)]

# --------------------------------------------------------------------------- fixtures

EXPERIMENT_COLUMNS = [
    "table", "row", "group", "method", "source", "arch_label", "arch", "paper_dataset", "figures",
    "profile", "dataset", "trained_arch", "w_bits", "s_bits", "T", "bit_budget", "epochs", "run_id",
    "status", "top1", "top5", "params_M", "sops_G", "s_ace_G", "ns_ace_G", "ns_ace_kind",
    "fps", "latency_ms", "hw_kind", "paper_params_M", "paper_sops_G", "paper_s_ace_G",
    "paper_ns_ace_G", "paper_acc", "paper_fps", "paper_latency",
]
STAND_IN = {"cifar10": "digits", "cifar100": "digits", "n-caltech101": "digits-dvs", "dvs-gesture": "digits-dvs"}


def ours(table, row, paper_dataset, w, s, t, top1, arch="spikformer-4-384", figures="", source="this paper",
         method="Quantized Spikformer"):
    """A FIXTURE row of one of our trained runs (quick profile: stand-in dataset, tiny arch)."""
    dataset = STAND_IN[paper_dataset]
    run_id = f"{dataset}__{arch}-tiny__w{w}s{s}t{t}__e1__s0"
    return dict(table=table, row=row, group=method, method=method, source=source, arch_label=arch, arch=arch,
                paper_dataset=paper_dataset, figures=figures, profile="quick", dataset=dataset,
                trained_arch="spikformer-tiny", w_bits=w, s_bits=s, T=t, bit_budget=w * s * t, epochs=1,
                run_id=run_id, status="trained", top1=top1, params_M=0.26 * w, s_ace_G=0.77 * w * s * t)


def cited(table, row, paper_dataset, method, arch, w, s, t, paper_acc, params, s_ace):
    return dict(table=table, row=row, group=method, method=method, source="cited", arch_label=arch, arch=arch,
                paper_dataset=paper_dataset, profile="quick", w_bits=w, s_bits=s, T=t, bit_budget=w * s * t,
                status="cited", paper_acc=paper_acc, params_M=params, s_ace_G=s_ace)


def fixture_rows() -> list[dict]:
    rows = []
    for ds, acc in (("cifar10", 94.44), ("cifar100", 74.47)):
        rows.append(cited(5, 3, ds, "TET", "resnet-19", 16, 1, 4, acc, 12.63, 139.0))
        rows.append(cited(5, 8, ds, "Spikformer", "spikformer-4-384", 16, 1, 4, acc + 1, 4.15, 59.1))
        rows.append(cited(2, 0, ds, "", "spikformer-4-384", 16, 1, 4, acc + 1, 4.15, 59.1))  # unnamed in Table 2
    for table, offset in ((5, 11), (2, 1)):
        for i, (w, s, t, acc) in enumerate(((1, 1, 1, 61.0), (1, 4, 1, 70.5), (4, 4, 1, 80.25))):
            for ds in ("cifar10", "cifar100"):
                rows.append(ours(table, offset + i, ds, w, s, t, acc, figures="fig4;fig5"))
    for i, (w, s, t, acc) in enumerate(((1, 1, 16, 55.0), (1, 2, 8, 57.0), (1, 4, 4, 58.5))):
        for ds in ("n-caltech101", "dvs-gesture"):
            rows.append(ours(3, 1 + i, ds, w, s, t, acc, arch="sew-resnet-18", figures="fig5"))
    for w, acc in ((2, 72.0), (8, 79.0)):  # Fig. 5 weight sweep, figure-only rows
        rows.append(ours(None, None, "cifar100", w, 4, 1, acc, figures="fig5", method=""))
    rows.append(ours(None, None, "cifar100", 3, 3, 3, 77.7, source="extension", method="extension"))
    return rows


def write_experiments(path: Path, rows: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).reindex(columns=EXPERIMENT_COLUMNS).to_csv(path, index=False)
    return path


def write_metrics(runs: Path, rows: list[dict]) -> None:
    for r in rows:
        if not r.get("run_id"):
            continue
        rates = [{"layer": f"block{k}.lif", "s_bits": r["s_bits"], "rate": round(0.5 / (k + r["s_bits"]), 4),
                  "hist": [10, 5]} for k in range(4)]
        metrics = {"run": {"dataset": r["dataset"], "wst": f"{r['w_bits']}/{r['s_bits']}/{r['T']}"},
                   "top1": r["top1"], "firing_rates": rates}
        (runs / r["run_id"]).mkdir(parents=True, exist_ok=True)
        (runs / r["run_id"] / "metrics.json").write_text(json.dumps(metrics))


def write_hardware(hw: Path) -> None:
    from qsnn.functional import lif_integer

    hw.mkdir(parents=True, exist_ok=True)
    traces = []
    for s_bits, steps in ((2, 2), (1, 4), (4, 1)):  # deliberately not in the paper's order
        psum = torch.tensor([[3], [5], [2], [6]][:steps])
        levels, membrane = lif_integer(psum, v_th=2, s_bits=s_bits)
        for t in range(steps):
            cyc = t + 1
            sig = dict(state=1, valid=1, last=int(t == steps - 1), psum=int(psum[t, 0]),
                       membrane=int(membrane[t, 0]), spike=int(levels[t, 0]), out_valid=int(t == steps - 1))
            traces += [dict(config=f"{s_bits}/{steps}", cycle=cyc, signal=k, value=v) for k, v in sig.items()]
        traces += [dict(config=f"{s_bits}/{steps}", cycle=0, signal=k, value=0)
                   for k in ("state", "valid", "last", "psum", "membrane", "spike", "out_valid")]
    pd.DataFrame(traces).to_csv(hw / "fig2_traces.csv", index=False)
    act, fits = [], []
    for level, slope in (("rtl", 2.0), ("netlist", 3.0)):
        for w, s, t in ((1, 1, 1), (2, 2, 1), (4, 2, 2), (8, 4, 1), (8, 1, 4)):
            bb = w * s * t
            act.append(dict(level=level, family="pe", w_bits=w, s_bits=s, T=t, bit_budget=bb, primitive="total",
                            toggles=(slope * bb + 1) * 100, sops=100, toggles_per_sop=slope * bb + 1,
                            source="simulated"))
        r2_bb, r2_bbt = (0.987, 0.991) if level == "rtl" else (0.999, 0.9995)
        fits += [dict(level=level, family="pe", primitive="total", model="bb", a=1.0, b=slope, c=None, r2=r2_bb),
                 dict(level=level, family="pe", primitive="total", model="bb+t", a=1.0, b=slope, c=0.0, r2=r2_bbt)]
    pd.DataFrame(act).to_csv(hw / "activity.csv", index=False)
    pd.DataFrame(fits).to_csv(hw / "activity_fits.csv", index=False)


@pytest.fixture
def results(tmp_path) -> dict:
    rows = fixture_rows()
    exp = write_experiments(tmp_path / "summary" / "experiments.csv", rows)
    write_metrics(tmp_path / "runs", rows)
    write_hardware(tmp_path / "hardware")
    return dict(experiments=exp, runs=tmp_path / "runs", hardware=tmp_path / "hardware", rows=rows, root=tmp_path)


def argv(results, out: Path, profile="quick") -> list[str]:
    return ["--experiments", str(results["experiments"]), "--runs", str(results["runs"]),
            "--hardware", str(results["hardware"]), "--profile", profile, "--out", str(out)]


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
        subprocess.run([sys.executable, str(FIGURES / "fig4.py"), *argv(results, out)], check=True,
                       capture_output=True, cwd=tmp_path)
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
    assert {t.get_text() for t in fig.axes[0].get_yticklabels()} >= {"psum", "valid", "last", "membrane", "spike"}


def test_fig2_config_spellings():
    fig2 = importlib.import_module("fig2")
    for text in ("1/4", "8/1/4", "s1t4", "w8s1t4", "S=1, T=4"):
        assert fig2.parse_config(text) == (1, 4)
    with pytest.raises(ValueError, match="cannot read S and T"):
        fig2.parse_config("fast")


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
