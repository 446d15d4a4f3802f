"""LaTeX tables (paper Tables 1-5) and ``results/paper.tex`` from ``experiments.csv``, via Jinja2.

Templates live in ``tables/`` at the repository root (``tables/tableN.tex.j2``,
``tables/paper.tex.j2``, shared macros in ``tables/_macros.tex.j2``). They use
LaTeX-safe delimiters, so braces and ``%`` stay plain LaTeX:

* ``\\VAR{expr}`` prints, ``\\BLOCK{for ...}`` / ``\\BLOCK{endfor}`` controls,
  ``\\#{ comment }`` is a template comment;
* every text that comes from data goes through the ``tex`` filter (escapes
  ``& % $ # _ { } ~ ^ \\``); numbers are formatted here in Python.

Conventions (the paper is silent on them):

* Rows of a table are the rows of ``data/paper/tableN.csv`` (column ``row``); the
  accuracy columns are the experiments.csv rows of that table row, one per paper dataset.
* Cost columns (Params, SOPs, S-ACE) are OUR full-scale costs of the printed architecture
  at the row's W/S/T, for every row, cited ones included. When one printed row covers
  several datasets (Tables 2, 5: CIFAR10 and CIFAR100, whose networks differ only in the
  classifier), the costs of the first dataset column are printed and the caption says so.
* Accuracy: a cited row shows the published accuracy with a dagger; our rows show our
  run's top-1, starred as stand-in data in the quick profile; a run not trained yet is
  ``--``. NS-ACE estimated from stand-in firing rates carries a superscript e.
* Table 3's deltas are relative to the first quantized row (W < 16, i.e. 1/1/16), as the
  paper prints them.
* Table 4's fps / latency come from experiments.csv (joined by the workflow from
  ``results/hardware/accelerator.csv``); when those cells are blank and ``--hardware`` holds
  ``accelerator.csv``, they are read from it through the same join
  (:func:`qsnn.hardware.board.table4_hardware`, measured over modelled), which also gives the
  device. Every such number carries its kind (modelled or measured).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
import pandas as pd

from qsnn import resources
from qsnn.hardware.board import table4_hardware  # the one Table 4 join (measured over modelled)
from qsnn.profiles import PROFILES, profile_notice  # one list of profiles, one wording of their notices

TEMPLATE_DIR = resources.template_dir()  # tables/*.j2, shipped as package data (qsnn/resources.py)
TABLES = (1, 2, 3, 4, 5)
# The summary's columns, types, reader and dataset names have one owner: qsnn.summary.
from qsnn.summary import DATASET_LABELS, NUMBER_COLUMNS, REQUIRED_COLUMNS, TEXT_COLUMNS  # noqa: E402,F401

# The paper's accuracy columns, in its order, per table.
TABLE_DATASETS = {
    1: ("imagenet",),
    2: ("cifar10", "cifar100"),
    3: ("cifar10-dvs", "dvs-gesture", "n-caltech101"),
    4: ("cifar10", "cifar10-dvs"),
    5: ("cifar10", "cifar100"),
}
TABLE_TITLES = {
    1: "Evaluation on ImageNet",
    2: "Evaluation on CIFAR10/100",
    3: "Evaluation of different Bit Budgets on neuromorphic datasets",
    4: "Hardware implementation results on CIFAR10 and DVS-CIFAR10",
    5: "Additional evaluation on CIFAR10/100",
}
# The paper's figure captions, for results/paper.tex.
FIGURE_CAPTIONS = {
    1: "Fig. 1 of the paper: with the same number of feature bits, SNNs and quantized ANNs have the same "
    "complexity of representation (Eq. 3).",
    2: "Fig. 2 of the paper: comparison of different allocations of bit budgets (neuron input integration, "
    "RTL simulation).",
    3: "Fig. 3 of the paper: Bit Budget versus switching activity (not energy) of individual synaptic operations.",
    4: "Fig. 4 of the paper: accuracy, S-ACE (log scale) and model parameters on CIFAR10/100.",
    5: "Fig. 5 of the paper: relationship between bit budget allocations and model performance.",
    6: "Fig. 6 of the paper: firing rates of different layers for different allocations between spike "
    "patterns and time steps.",
}
# Cost / hardware cells each table prints (for the "--" note).
PRINTED_FIELDS = {
    1: ("params", "sops", "s_ace", "ns_ace"),
    2: ("params", "s_ace"),
    3: (),
    4: ("hw",),
    5: ("params", "s_ace"),
}
LATEX_SPECIALS = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}


class RenderError(ValueError):
    """Bad input to a table: the message names the file and the fix."""


# --------------------------------------------------------------------------- Jinja2


def latex_escape(value) -> str:
    """Escape LaTeX's special characters in data text; None/NaN become an empty string."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    return "".join(LATEX_SPECIALS.get(ch, ch) for ch in str(value))


def make_environment(template_dir: Path = TEMPLATE_DIR) -> jinja2.Environment:
    template_dir = Path(template_dir)
    if not template_dir.is_dir():
        raise RenderError(
            f"template folder {template_dir} not found; pass --templates DIR (the repository's tables/ folder)"
        )
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(template_dir)),
        block_start_string=r"\BLOCK{",
        block_end_string="}",
        variable_start_string=r"\VAR{",
        variable_end_string="}",
        comment_start_string=r"\#{",
        comment_end_string="}",
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["tex"] = latex_escape
    return env


# --------------------------------------------------------------------------- formatting


def is_number(value) -> bool:
    try:
        return value is not None and value is not pd.NA and math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def fmt_cost(value) -> str:
    """Paper-like precision: 13608, 850.6, 217.72, 0.77."""
    if not is_number(value):
        return "--"
    v = float(value)
    return f"{v:.0f}" if abs(v) >= 1000 else f"{v:.1f}" if abs(v) >= 100 else f"{v:.2f}"


def fmt2(value) -> str:
    return f"{float(value):.2f}" if is_number(value) else "--"


@dataclass(frozen=True)
class Cell:
    """One printed number with its provenance marks (rendered by tables/_macros.tex.j2)."""

    text: str = "--"
    cited: bool = False  # published value of a cited work
    stand_in: bool = False  # quick-profile stand-in accuracy, not comparable
    estimated: bool = False  # estimated (NS-ACE from stand-in firing rates)
    modelled: bool = False  # hardware number from the accelerator model
    delta: str = ""  # Table 3: "(+0.23)" relative to the reference row


@dataclass
class Row:
    method: str
    arch: str
    wst: str
    bit_budget: str
    source: str
    params: str
    sops: str
    s_ace: str
    ns_ace: Cell
    acc: dict[str, Cell]
    hw: Cell = field(default_factory=Cell)
    device: str = ""
    printed_datasets: tuple[str, ...] = ()
    first_in_group: bool = False
    new_budget: bool = False


@dataclass
class Group:
    name: str
    rows: list[Row]
    uses_latency: bool = False


# --------------------------------------------------------------------------- loading


def read_experiments(path: Path, profile: str) -> pd.DataFrame:
    from qsnn.summary import read_experiments as read

    return read(path, profile)


def read_accelerator(hardware: Path | None) -> pd.DataFrame | None:
    from qsnn.hardware.board import read_accelerator as read

    return read(hardware)


# --------------------------------------------------------------------------- context


def text(value) -> str:
    return "" if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)) else str(value)


def accuracy_cell(rec: dict, profile: str) -> Cell:
    if rec["source"] == "cited":
        return Cell(fmt2(rec["paper_acc"]), cited=is_number(rec["paper_acc"]))
    value = rec["top1"]
    return Cell(fmt2(value), stand_in=profile == "quick" and is_number(value))


def ns_ace_cell(rec: dict) -> Cell:
    kind = text(rec.get("ns_ace_kind"))
    return Cell(fmt_cost(rec["ns_ace_G"]), estimated=is_number(rec["ns_ace_G"]) and kind.startswith("estimated"))


def hardware_cell(rec: dict, accel_rec: dict, uses_latency: bool) -> Cell:
    """The row's fps (or latency) from experiments.csv, else from the Table 4 join of accelerator.csv."""
    column = "latency_ms" if uses_latency else "fps"
    value, kind = rec.get(column), text(rec.get("hw_kind"))
    if not is_number(value):
        value, kind = accel_rec.get(column), text(accel_rec.get("hw_kind"))
    if not is_number(value):
        return Cell()
    return Cell(fmt2(value), modelled=kind != "measured")


def build_row(recs: list[dict], table: int, profile: str, accel, uses_latency: bool) -> Row:
    datasets = TABLE_DATASETS[table]
    by_dataset = {r["paper_dataset"]: r for r in recs}
    first = next((by_dataset[d] for d in datasets if d in by_dataset), recs[0])
    accel_rec = table4_hardware(accel, first) if table == 4 else {}
    return Row(
        method=text(first.get("method")),
        arch=text(first.get("arch_label")) or text(first.get("arch")),
        wst=f"{first['w_bits']} / {first['s_bits']} / {first['T']}",
        bit_budget=str(int(first["w_bits"]) * int(first["s_bits"]) * int(first["T"])),
        source=text(first["source"]),
        params=fmt_cost(first.get("params_M")),
        sops=fmt_cost(first.get("sops_G")),
        s_ace=fmt_cost(first.get("s_ace_G")),
        ns_ace=ns_ace_cell(first),
        acc={d: accuracy_cell(by_dataset[d], profile) if d in by_dataset else Cell() for d in datasets},
        hw=hardware_cell(first, accel_rec, uses_latency),
        device=text(accel_rec.get("device")),
        # Table 4 prints one accuracy column per block (its own dataset); the others print all.
        printed_datasets=(first["paper_dataset"],) if table == 4 else datasets,
    )


def add_deltas(rows: list[Row], datasets: tuple[str, ...], table_recs: list[list[dict]]) -> None:
    """Table 3: accuracy change against the first quantized row (W < 16), as printed in the paper."""
    ref = next((i for i, recs in enumerate(table_recs) if int(recs[0]["w_bits"]) < 16), None)
    if ref is None:
        return
    for row in rows[ref:]:
        for d in datasets:
            cell, base = row.acc[d], rows[ref].acc[d]
            if is_number(cell.text) and is_number(base.text):
                row.acc[d] = Cell(**{**cell.__dict__, "delta": f"({float(cell.text) - float(base.text):+.2f})"})


def group_rows(df: pd.DataFrame, table: int, profile: str, accel) -> list[Group]:
    datasets = TABLE_DATASETS[table]
    sub = df[df["table"] == table].sort_values(["row", "paper_dataset"])
    groups: list[Group] = []
    all_rows, all_recs = [], []
    for _, recs in sub.groupby("row", sort=True):
        recs = recs.to_dict(orient="records")
        name = text(recs[0].get("group")) or text(recs[0].get("method"))
        uses_latency = table == 4 and recs[0]["paper_dataset"] in ("cifar10-dvs", "dvs-gesture", "n-caltech101")
        row = build_row(recs, table, profile, accel, uses_latency)
        if not groups or groups[-1].name != name:
            groups.append(Group(name, [], uses_latency))
            row.first_in_group = True
        previous = groups[-1].rows[-1] if groups[-1].rows else None
        row.new_budget = previous is None or previous.bit_budget != row.bit_budget
        groups[-1].rows.append(row)
        all_rows.append(row)
        all_recs.append(recs)
    if table == 3:
        add_deltas(all_rows, datasets, all_recs)
    return groups


def printed_text(row: Row, table: int) -> list[str]:
    values = [getattr(row, f) for f in PRINTED_FIELDS[table]]
    values += [row.acc[d] for d in row.printed_datasets]
    return [v.text if isinstance(v, Cell) else v for v in values]


def provenance(df: pd.DataFrame, profile: str) -> str:
    ours = df[(df["source"] != "cited") & df["dataset"].notna()]
    pairs = sorted({(text(p), text(d)) for p, d in zip(ours["paper_dataset"], ours["dataset"])})
    parts = [
        DATASET_LABELS.get(p, p)
        if d in ("", p)
        else f"{DATASET_LABELS.get(d, d)} stand-in for {DATASET_LABELS.get(p, p)}"
        for p, d in pairs
    ]
    return ", ".join(parts) if parts else "no trained rows"


def table_context(df: pd.DataFrame, table: int, profile: str, accel: pd.DataFrame | None = None) -> dict:
    if table not in TABLES:
        raise RenderError(f"table {table}: the paper has Tables 1-5")
    sub = df[df["table"] == table]
    if sub.empty:
        raise RenderError(
            f"experiments.csv has no rows of Table {table}; check that the workflow's config "
            f"lists Table {table} (or render only the tables it has)"
        )
    groups = group_rows(df, table, profile, accel)
    rows = [r for g in groups for r in g.rows]
    cells = [c for r in rows for c in (*r.acc.values(), r.ns_ace, r.hw)]
    datasets = TABLE_DATASETS[table]
    return {
        "table": table,
        "title": TABLE_TITLES[table],
        "profile": profile,
        "quick": profile == "quick",
        "notice": profile_notice(profile),
        "provenance": provenance(sub, profile),
        "datasets": [{"key": d, "label": DATASET_LABELS[d]} for d in datasets],
        "groups": groups,
        "has_cited": any(c.cited for c in cells),
        "has_stand_in": any(c.stand_in for c in cells),
        "has_estimated": any(c.estimated for c in cells),
        "has_modelled": any(c.modelled for c in cells),
        "has_measured": any(c.text != "--" and not c.modelled for c in (r.hw for r in rows)),
        "has_missing": any(t == "--" for r in rows for t in printed_text(r, table)),
        "costs_from": DATASET_LABELS[datasets[0]] if table in (2, 5) else "",
    }


# --------------------------------------------------------------------------- rendering


def write_atomic(text_out: str, out: Path) -> Path:
    from qsnn.io import atomic_write_text

    return atomic_write_text(Path(out), text_out)


def render_table(
    table: int, experiments: Path, profile: str, hardware: Path | None = None, template_dir: Path = TEMPLATE_DIR
) -> str:
    env = make_environment(template_dir)
    df = read_experiments(experiments, profile)
    context = table_context(df, table, profile, read_accelerator(hardware))
    return env.get_template(f"table{table}.tex.j2").render(**context)


FIELD_LABELS = {
    "params": "Params (M)",
    "sops": "SOPs (G)",
    "s_ace": "S-ACE (G)",
    "ns_ace": "NS-ACE (G)",
    "hw": "fps / latency (ms)",
}
MARKS = {"cited": "\u2020", "stand_in": "*", "estimated": "e", "modelled": "m"}  # the LaTeX tables' marks


def _cell_text(value) -> str:
    if not isinstance(value, Cell):
        return str(value)
    marks = "".join(mark for name, mark in MARKS.items() if getattr(value, name))
    return value.text + (f"<sup>{marks}</sup>" if marks else "") + (f" {value.delta}" if value.delta else "")


def _html_columns(context: dict) -> list[tuple[str, object, bool]]:
    """(header, cell of a row given whether it opens its group, numeric?) per printed column, as the LaTeX prints them."""
    from html import escape

    table = context["table"]
    columns = []
    if table == 4:  # the FPGA table: device and bit budget per block, one accuracy column (the block's dataset)
        columns = [("Device", lambda r, first: escape(r.device or "--") if first else "", False)]
    elif table in (1, 5):  # the tables that print methods and architectures
        columns = [
            ("Method", lambda r, first: escape(r.method) if first else "", False),
            ("Architecture", lambda r, first: escape(r.arch), False),
        ]
    columns += [
        ("W / S / T", lambda r, first: escape(r.wst), False),
        ("Bit budget", lambda r, first: escape(r.bit_budget), True),
    ]
    columns += [(FIELD_LABELS[f], lambda r, first, f=f: _cell_text(getattr(r, f)), True) for f in PRINTED_FIELDS[table]]
    if table == 4:
        columns.append(("Top-1 (%)", lambda r, first: _cell_text(r.acc[r.printed_datasets[0]]), True))
    else:
        columns += [
            (f"Top-1 (%) {d['label']}", lambda r, first, k=d["key"]: _cell_text(r.acc[k]), True)
            for d in context["datasets"]
        ]
    rows = [r for g in context["groups"] for r in g.rows]
    # A column no row fills is one the table does not print (Table 3 has no method or architecture).
    return [c for c in columns if any(str(c[1](r, True)).strip() for r in rows)]


def _html_notes(context: dict) -> list[str]:
    """The marks the table uses, worded as the LaTeX notes (tables/_macros.tex.j2)."""
    notes = []
    if context["has_cited"]:
        notes.append(
            "\u2020 cited: the published accuracy of that work, not re-trained here; the cost columns of every "
            "row are ours, computed at full scale."
        )
    if context["has_stand_in"]:
        notes.append(
            f"* stand-in data, not comparable to the paper: accuracy of the {context['profile']} profile's small "
            f"model on its stand-in dataset ({context['provenance']})."
        )
    if context["has_estimated"]:
        notes.append(
            "e NS-ACE estimated from stand-in firing rates (the small model's firing rates applied to the "
            "full-scale network)."
        )
    if context["has_modelled"]:
        notes.append("m modelled by the cycle model of qsnn.hardware.accel, not measured on a board.")
    if context["has_measured"]:
        notes.append("Hardware numbers without a mark are measured.")
    if context["has_missing"]:
        notes.append("-- not available (run not trained yet, or not printed).")
    return notes


def render_table_html(table: int, experiments: Path, profile: str, hardware: Path | None = None) -> str:
    """One table as an HTML page (caption, table, the marks it uses) for Snakemake's HTML report:
    the cells and marks of the LaTeX table, its groups separated by a rule."""
    import html

    from qsnn.report.html import page

    context = table_context(read_experiments(experiments, profile), table, profile, read_accelerator(hardware))
    notice = f" ({context['notice']})" if context["notice"] else ""
    caption = f"Table {table}. {context['title']}. Profile: {profile}{notice}; data: {context['provenance']}."
    if context["costs_from"]:
        caption += f" Params and S-ACE are ours at full scale, for the {context['costs_from']} network."
    if table == 3:
        caption += " Differences in parentheses are against the first quantized row (W < 16)."
    columns = _html_columns(context)
    num_class = ' class="num"'
    head = "".join(f"<th{num_class if num else ''}>{html.escape(name)}</th>" for name, _, num in columns)
    bodies = []
    for group in context["groups"]:
        rows = []
        if table == 4:  # Table 4 heads each block with its dataset and what it measures
            what = "latency (ms)" if group.uses_latency else "fps"
            rows.append(f'<tr class="group"><td colspan="{len(columns)}">{html.escape(group.name)}: {what}</td></tr>')
        for i, row in enumerate(group.rows):
            cells = "".join(f"<td{num_class if num else ''}>{cell(row, i == 0)}</td>" for _, cell, num in columns)
            rows.append(f"<tr>{cells}</tr>")
        bodies.append("<tbody>\n" + "\n".join(rows) + "\n</tbody>")
    body = (
        f'<p class="caption">{html.escape(caption)}</p>\n<table class="qsnn-table"><thead><tr>{head}</tr></thead>\n'
        + "\n".join(bodies)
        + "\n</table>\n"
        + "".join(f'<p class="notes">{html.escape(n)}</p>\n' for n in _html_notes(context))
    )
    return page(f"Table {table}", body)


def render_paper(
    profile: str | None = None,
    tables: tuple[int, ...] = TABLES,
    figures: tuple[int, ...] = (1, 2, 3, 4, 5, 6),
    template_dir: Path = TEMPLATE_DIR,
) -> str:
    """``results/paper.tex``: inputs ``tables/tableN.tex`` and ``figures/figN.pdf`` (paths relative to it)."""
    env = make_environment(template_dir)
    if profile is not None and profile not in PROFILES:
        raise RenderError(f"--profile {profile!r}: use one of {', '.join(PROFILES)}")
    return env.get_template("paper.tex.j2").render(
        profile=profile,
        notice=profile_notice(profile or ""),
        tables=list(tables),
        figures=list(figures),
        figure_captions=FIGURE_CAPTIONS,
    )
