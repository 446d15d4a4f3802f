"""LaTeX tables (qsnn.report.tables, tables/*.tex.j2, `qsnn render`) from a small FIXTURE experiments.csv.

The rows below are hand-made fixtures following DESIGN.md's experiments.csv columns; their
numbers are not results.
"""

from __future__ import annotations

import re
import shutil
import subprocess

import pandas as pd
import pytest

from qsnn.cli import main as qsnn_main
from qsnn.report import tables as render
from qsnn.summary import COLUMNS  # the contract's owner, not a copy of its column list

STAND_IN = {
    "imagenet": "digits",
    "cifar10": "digits",
    "cifar100": "digits",
    "cifar10-dvs": "digits-dvs",
    "dvs-gesture": "digits-dvs",
    "n-caltech101": "digits-dvs",
}


def row(
    table,
    r,
    ds,
    w,
    s,
    t,
    *,
    source="this paper",
    group="ours",
    method="Quantized SEW ResNet",
    arch="SEW-ResNet-34",
    top1=None,
    paper_acc=None,
    profile="quick",
    **extra,
):
    rec = dict(
        table=table,
        row=r,
        group=group,
        method=method,
        source=source,
        arch_label=arch,
        arch=arch.lower(),
        paper_dataset=ds,
        profile=profile,
        w_bits=w,
        s_bits=s,
        T=t,
        bit_budget=w * s * t,
        params_M=1.36 * w,
        sops_G=3.4,
        s_ace_G=3.4 * w * s * t,
        top1=top1,
        paper_acc=paper_acc,
    )
    if source != "cited":
        dataset = STAND_IN[ds] if profile == "quick" else ds
        rec.update(
            dataset=dataset,
            trained_arch="sew-resnet-tiny",
            run_id=f"{dataset}__x__w{w}s{s}t{t}__e1__s0",
            status="trained",
        )
    else:
        rec.update(status="cited")
    rec.update(extra)
    return rec


def fixture_rows(profile="quick") -> list[dict]:
    p = dict(profile=profile)
    rows = [
        row(
            1,
            0,
            "imagenet",
            16,
            1,
            250,
            source="cited",
            group="hybrid",
            method="Hybrid training [28]",
            arch="ResNet-34",
            paper_acc=61.48,
            **p,
        ),
        row(
            1,
            1,
            "imagenet",
            16,
            1,
            4,
            source="cited",
            group="sew",
            method="SEW ResNet [7]",
            paper_acc=67.04,
            ns_ace_G=63.14,
            **p,
        ),
        row(
            1,
            2,
            "imagenet",
            16,
            1,
            4,
            source="cited",
            group="sew",
            method="SEW ResNet [7]",
            arch="SEW-ResNet-50",
            paper_acc=67.78,
            **p,
        ),
        row(
            1,
            3,
            "imagenet",
            1,
            1,
            1,
            top1=52.5,
            ns_ace_G=1.01,
            ns_ace_kind="estimated from stand-in firing rates" if profile == "quick" else "measured",
            **p,
        ),
        row(1, 4, "imagenet", 2, 2, 1, top1=60.25, group="qa", method="Q&A_SNN [99]", arch="ResNet_34%", **p),
    ]
    for ds, acc in (("cifar10", 95.51), ("cifar100", 78.21)):
        rows.append(row(2, 0, ds, 16, 1, 4, source="cited", group="spikformer", method="", arch="", paper_acc=acc, **p))
        rows.append(row(2, 1, ds, 1, 1, 1, group="qs", method="", arch="", top1=70.5 if ds == "cifar10" else 40.0, **p))
        rows.append(
            row(
                5,
                3,
                ds,
                16,
                1,
                4,
                source="cited",
                group="tet",
                method="TET [6]",
                arch="ResNet-19",
                paper_acc=acc - 1,
                **p,
            )
        )
        rows.append(
            row(5, 11, ds, 1, 1, 1, group="qs", method="Quantized Spikformer", arch="Spikformer-4-384", top1=70.5, **p)
        )
    for r, (s, t, base) in enumerate(((1, 16, 80.0), (1, 16, 79.0), (2, 8, 81.0))):
        w = 16 if r == 0 else 1
        for k, ds in enumerate(("cifar10-dvs", "dvs-gesture", "n-caltech101")):
            rows.append(row(3, r, ds, w, s, t, group="", method="", arch="", top1=base + k, **p))
    rows += [
        row(
            4, 0, "cifar10", 8, 1, 4, group="CIFAR10", method="", arch="", top1=90.0, fps=342.1, hw_kind="modelled", **p
        ),
        row(4, 1, "cifar10", 8, 2, 2, group="CIFAR10", method="", arch="", top1=91.0, **p),  # fps via accelerator.csv
        row(
            4,
            2,
            "cifar10-dvs",
            8,
            1,
            16,
            group="DVS-CIFAR10",
            method="",
            arch="",
            top1=60.0,
            latency_ms=49.5,
            hw_kind="modelled",
            **p,
        ),
    ]
    return rows


def write_csv(path, rows):
    pd.DataFrame(rows).reindex(columns=COLUMNS).to_csv(path, index=False)
    return path


@pytest.fixture
def experiments(tmp_path):
    return write_csv(tmp_path / "experiments.csv", fixture_rows())


@pytest.fixture
def hardware(tmp_path):
    hw = tmp_path / "hardware"
    hw.mkdir()
    pd.DataFrame(
        [
            dict(
                table_row=1,
                device="xck26",
                dataset="cifar10",
                w_bits=8,
                s_bits=2,
                T=2,
                fps=343.9,
                latency_ms=2.9,
                kind="modelled",
            ),
            dict(
                table_row=0,
                device="xck26",
                dataset="cifar10",
                w_bits=8,
                s_bits=1,
                T=4,
                fps=342.1,
                latency_ms=2.9,
                kind="modelled",
            ),
        ]
    ).to_csv(hw / "accelerator.csv", index=False)
    return hw


def tabular_rows(tex: str) -> tuple[int, list[str]]:
    """Number of columns of the tabular and its data/header lines (those ending in \\\\)."""
    spec = re.search(r"\\begin\{tabular\}\{([^}]*)\}", tex).group(1)
    body = tex.split(r"\begin{tabular}", 1)[1].split(r"\end{tabular}", 1)[0]
    lines = [ln for ln in body.splitlines() if ln.rstrip().endswith("\\\\") and r"\multicolumn" not in ln]
    return len(re.findall(r"[lcr]", spec)), lines


def assert_valid_booktabs(tex: str) -> None:
    for env in ("table", "tabular"):
        assert tex.count(rf"\begin{{{env}}}") == tex.count(rf"\end{{{env}}}") == 1
    assert tex.index(r"\toprule") < tex.index(r"\midrule") < tex.index(r"\bottomrule")
    ncols, lines = tabular_rows(tex)
    assert lines
    for line in lines:
        assert len(re.findall(r"(?<!\\)&", line)) == ncols - 1, line
    assert tex.count("{") - tex.count(r"\{") == tex.count("}") - tex.count(r"\}")
    assert r"\VAR{" not in tex and r"\BLOCK{" not in tex


# --------------------------------------------------------------------------- every table


@pytest.mark.parametrize("number", render.TABLES)
def test_table_is_booktabs_with_profile_in_caption(number, experiments, hardware):
    tex = render.render_table(number, experiments, "quick", hardware)
    assert_valid_booktabs(tex)
    caption = re.search(r"\\caption\{(.*)\}\n\\label", tex).group(1)
    assert "Profile: quick (stand-in data, not comparable to the paper)" in caption
    assert "stand-in for" in caption


@pytest.mark.parametrize("number", render.TABLES)
def test_paper_profile_has_no_stand_in_marks(number, tmp_path):
    path = write_csv(tmp_path / "paper.csv", fixture_rows(profile="paper"))
    tex = render.render_table(number, path, "paper")
    assert "Profile: paper" in tex
    assert r"\textsuperscript{*}" not in tex and "stand-in" not in tex


# --------------------------------------------------------------------------- content


def test_text_is_latex_escaped(experiments):
    tex = render.render_table(1, experiments, "quick")
    assert r"Q\&A\_SNN [99] & ResNet\_34\% &" in tex
    assert "Q&A_SNN" not in tex


def test_cited_rows_show_published_accuracy_marked_and_our_costs(experiments):
    tex = render.render_table(1, experiments, "quick")
    hybrid = next(ln for ln in tex.splitlines() if ln.startswith("Hybrid training"))
    cells = [c.strip() for c in hybrid.rstrip("\\ ").split("&")]
    assert cells[-1] == r"61.48\textsuperscript{\dag}"
    assert cells[4] == "21.76" and cells[6] == "13600"  # our params_M (1.36 * 16) and S-ACE, not the paper's
    assert r"\textsuperscript{\dag}\,Cited" in tex


def test_our_rows_show_our_accuracy_with_stand_in_and_estimate_marks(experiments):
    tex = render.render_table(1, experiments, "quick")
    ours = next(ln for ln in tex.splitlines() if "1 / 1 / 1" in ln)
    assert r"52.50\textsuperscript{*}" in ours and r"1.01\textsuperscript{e}" in ours
    assert "NS-ACE estimated from stand-in firing rates" in tex


def test_method_printed_once_per_group_with_midrules(experiments):
    tex = render.render_table(1, experiments, "quick")
    assert tex.count("SEW ResNet [7]") == 1
    body = tex.split(r"\begin{tabular}", 1)[1]
    assert body.count(r"\midrule") == 1 + 3  # after the header, then between the 4 groups


def test_table2_pivots_datasets_into_columns(experiments):
    tex = render.render_table(2, experiments, "quick")
    assert r"16 / 1 / 4 & 21.76 & 217.6 & 95.51\textsuperscript{\dag} & 78.21\textsuperscript{\dag} \\" in tex
    assert r"70.50\textsuperscript{*} & 40.00\textsuperscript{*}" in tex
    assert "for the CIFAR10 network" in tex


def test_table3_deltas_are_against_the_first_quantized_row(experiments):
    tex = render.render_table(3, experiments, "quick")
    lines = [ln for ln in tex.splitlines() if ln.startswith(("16 / 1 / 16", "1 / 1 / 16", "1 / 2 / 8"))]
    assert "(" not in lines[0]  # the W=16 row has no delta, as in the paper
    assert r"79.00\textsuperscript{*} (+0.00)" in lines[1]
    assert r"81.00\textsuperscript{*} (+2.00)" in lines[2]


def test_table4_hardware_numbers_are_labelled_modelled(experiments, hardware):
    tex = render.render_table(4, experiments, "quick", hardware)
    assert r"342.10\textsuperscript{m}" in tex
    assert r"343.90\textsuperscript{m}" in tex  # blank in experiments.csv, read from accelerator.csv
    assert r"49.50\textsuperscript{m}" in tex and "Latency (ms)" in tex
    assert "modelled (accelerator cycle model)" in tex and "xck26" in tex
    assert "not available" not in tex  # every printed cell has a value
    without_hw = render.render_table(4, experiments, "quick", None)
    assert "343.90" not in without_hw and "--" in without_hw


def test_one_table4_join_with_measured_over_modelled():
    from qsnn.hardware.board import table4_hardware

    accel = pd.DataFrame(
        [
            dict(
                table_row=0,
                device="xck26",
                dataset="cifar10",
                w_bits=8,
                s_bits=1,
                T=4,
                fps=300.0,
                latency_ms=3.3,
                kind="modelled",
            ),
            dict(
                table_row=None,
                device="kv260",
                dataset="cifar10",
                w_bits=8,
                s_bits=1,
                T=4,
                fps=340.0,
                latency_ms=None,
                kind="measured",
            ),  # a board file with no modelled counterpart, appended
            dict(
                table_row=5,
                device="xck26",
                dataset="cifar10",
                w_bits=8,
                s_bits=1,
                T=4,
                fps=299.0,
                latency_ms=3.4,
                kind="modelled",
            ),
        ]
    )
    rec = {"row": 0, "paper_dataset": "cifar10", "w_bits": 8, "s_bits": 1, "T": 4}
    assert table4_hardware(accel, rec) == {"fps": 340.0, "latency_ms": None, "hw_kind": "measured", "device": "kv260"}
    assert table4_hardware(accel.iloc[[0, 2]], rec)["fps"] == 300.0  # the table row decides between two models
    assert table4_hardware(accel, {**rec, "paper_dataset": "cifar10-dvs"})["hw_kind"] == ""


def test_tables_without_hardware_columns_carry_no_hardware_mark(experiments, hardware):
    for number in (1, 2, 3, 5):  # accelerator.csv's table_row 0 and 1 are Table 4's rows, not theirs
        tex = render.render_table(number, experiments, "quick", hardware)
        assert "Modelled by the cycle model" not in tex, number


def test_measured_hardware_is_not_marked_modelled(tmp_path):
    rows = [r | {"hw_kind": "measured"} if r["table"] == 4 else r for r in fixture_rows()]
    tex = render.render_table(4, write_csv(tmp_path / "e.csv", rows), "quick")
    assert "342.10 &" in tex and "Hardware numbers without a mark are measured" in tex


def test_missing_run_prints_dashes_not_zero(tmp_path):
    rows = [
        r | {"top1": None, "status": "missing"} if r["table"] == 2 and r["source"] != "cited" else r
        for r in fixture_rows()
    ]
    tex = render.render_table(2, write_csv(tmp_path / "e.csv", rows), "quick")
    assert "1 / 1 / 1 & 1.36 & 3.40 & -- & -- \\\\" in tex


def test_latex_safe_delimiters_leave_braces_alone():
    env = render.make_environment()
    out = env.from_string(r"\textbf{\VAR{x|tex}}\BLOCK{if y} {y}\BLOCK{endif}\#{ note }").render(x="a_b & c", y=True)
    assert out == r"\textbf{a\_b \& c} {y}"
    assert render.latex_escape("50% of $5 ~ #1 {x} ^ \\") == (
        r"50\% of \$5 \textasciitilde{} \#1 \{x\} \textasciicircum{} \textbackslash{}"
    )


# --------------------------------------------------------------------------- bad input


def test_missing_experiments_names_the_file(tmp_path, capsys):
    out = tmp_path / "t1.tex"
    code = qsnn_main(
        ["render", "table", "1", "--experiments", str(tmp_path / "nope.csv"), "--profile", "quick", "--out", str(out)]
    )
    assert code == 2 and not out.exists()
    err = capsys.readouterr().err
    assert str(tmp_path / "nope.csv") in err and "missing required input" in err


def test_missing_column_and_missing_table_rows_are_named(tmp_path, experiments):
    pd.read_csv(experiments).drop(columns=["paper_dataset"]).to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(ValueError, match="missing required column.*paper_dataset"):
        render.render_table(1, tmp_path / "bad.csv", "quick")
    only2 = write_csv(tmp_path / "only2.csv", [r for r in fixture_rows() if r["table"] == 2])
    with pytest.raises(ValueError, match="no rows of Table 1"):
        render.render_table(1, only2, "quick")
    with pytest.raises(ValueError, match="--profile paper"):
        render.render_table(2, only2, "paper")


# --------------------------------------------------------------------------- CLI and paper.tex


def test_cli_renders_table_atomically(tmp_path, experiments, hardware):
    out = tmp_path / "tables" / "table5.tex"
    assert (
        qsnn_main(
            [
                "render",
                "table",
                "5",
                "--experiments",
                str(experiments),
                "--hardware",
                str(hardware),
                "--profile",
                "quick",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    tex = out.read_text()
    assert r"\label{tab:table5}" in tex and r"TET [6] & ResNet-19 & 16 / 1 / 4" in tex
    assert not list(out.parent.glob(".*.tmp"))


def test_paper_tex_inputs_all_tables_and_figures(tmp_path):
    out = tmp_path / "paper.tex"
    assert qsnn_main(["render", "paper", "--out", str(out), "--profile", "quick"]) == 0
    tex = out.read_text()
    assert r"\usepackage{booktabs}" in tex and r"\usepackage{graphicx}" in tex
    for n in range(1, 6):
        assert rf"\input{{tables/table{n}.tex}}" in tex
    for n in range(1, 7):
        assert rf"figures/fig{n}.pdf}}" in tex
    assert tex.count(r"\begin{figure}") == tex.count(r"\end{figure}") == 6
    assert "quick" in tex and "not comparable to the paper" in tex
    assert r"\begin{document}" in tex and tex.rstrip().endswith(r"\end{document}")


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="no TeX installation here (not required)")
def test_paper_compiles_where_tex_exists(tmp_path, experiments, hardware):  # pragma: no cover - needs TeX
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "figures"))
    (tmp_path / "tables").mkdir()
    (tmp_path / "figures").mkdir()
    for n in render.TABLES:
        (tmp_path / "tables" / f"table{n}.tex").write_text(render.render_table(n, experiments, "quick", hardware))
    import fig1

    for n in range(1, 7):
        fig1.main(["--profile", "quick", "--out", str(tmp_path / "figures" / f"fig{n}.pdf")])
    (tmp_path / "paper.tex").write_text(render.render_paper("quick"))
    subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "paper.tex"],
        cwd=tmp_path,
        check=True,
        capture_output=True,
        timeout=120,
    )


@pytest.mark.parametrize("profile", ["quick", "rehearsal"])
def test_html_table_has_the_latex_cells_marks_and_notice(tmp_path, profile):
    """`qsnn render table N --html`: the same cells as the LaTeX table, for Snakemake's report."""
    csv = write_csv(tmp_path / "experiments.csv", fixture_rows(profile))
    for n in (1, 2, 3):
        out, page = tmp_path / f"table{n}.tex", tmp_path / f"table{n}.html"
        assert (
            qsnn_main(
                [
                    "render",
                    "table",
                    str(n),
                    "--experiments",
                    str(csv),
                    "--profile",
                    profile,
                    "--out",
                    str(out),
                    "--html",
                    str(page),
                ]
            )
            == 0
        )
        html = page.read_text()
        assert "<table" in html and f"Table {n}." in html
        if profile == "rehearsal":
            assert "rehearsal: fake data, not results" in html
    html = (tmp_path / "table1.html").read_text()
    assert "52.50" in html and "61.48<sup>\u2020</sup>" in html and "S-ACE (G)" in html
    if profile == "quick":
        assert "52.50<sup>*</sup>" in html
    table3 = (tmp_path / "table3.html").read_text()
    assert re.search(r"\([+-]\d+\.\d\d\)", table3)  # Table 3's deltas against the first quantized row
    assert "<th>method</th>" not in table3  # columns the table does not print are left out
