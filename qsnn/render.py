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
  ``accelerator.csv``, they are read from it. Every such number carries its kind
  (modelled or measured).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
import pandas as pd

from qsnn import resources
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
PRINTED_FIELDS = {1: ("params", "sops", "s_ace", "ns_ace"), 2: ("params", "s_ace"), 3: (), 4: ("hw",), 5: ("params", "s_ace")}
LATEX_SPECIALS = {
    "\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
    "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
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
        raise RenderError(f"template folder {template_dir} not found; pass --templates DIR "
                          "(the repository's tables/ folder)")
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(template_dir)),
        block_start_string=r"\BLOCK{", block_end_string="}",
        variable_start_string=r"\VAR{", variable_end_string="}",
        comment_start_string=r"\#{", comment_end_string="}",
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
        autoescape=False, undefined=jinja2.StrictUndefined,
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
    cited: bool = False      # published value of a cited work
    stand_in: bool = False   # quick-profile stand-in accuracy, not comparable
    estimated: bool = False  # estimated (NS-ACE from stand-in firing rates)
    modelled: bool = False   # hardware number from the accelerator model
    delta: str = ""          # Table 3: "(+0.23)" relative to the reference row


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
    if hardware is None:
        return None
    path = Path(hardware) / "accelerator.csv"
    return pd.read_csv(path) if path.is_file() else None


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


def accelerator_match(accel: pd.DataFrame | None, rec: dict) -> dict:
    """The accelerator.csv row of a Table 4 row (by table row, else by dataset and W/S/T)."""
    if accel is None:
        return {}
    match = accel
    if "table_row" in accel.columns and is_number(rec["row"]):
        match = accel[pd.to_numeric(accel["table_row"], errors="coerce") == int(rec["row"])]
    if match.empty or "table_row" not in accel.columns:
        match = accel
        for col, value in (("dataset", rec["paper_dataset"]), ("w_bits", rec["w_bits"]), ("s_bits", rec["s_bits"]),
                           ("T", rec["T"])):
            if col in match.columns:
                match = match[match[col].astype(str) == str(value)]
    if match.empty:
        return {}
    if "kind" in match.columns and (match["kind"] == "measured").any():
        match = match[match["kind"] == "measured"]
    return match.iloc[0].to_dict()


def hardware_cell(rec: dict, accel_rec: dict, uses_latency: bool) -> Cell:
    column = "latency_ms" if uses_latency else "fps"
    value, kind = rec.get(column), text(rec.get("hw_kind"))
    if not is_number(value):
        value, kind = accel_rec.get(column), text(accel_rec.get("kind"))
    if not is_number(value):
        return Cell()
    return Cell(fmt2(value), modelled=kind != "measured")


def build_row(recs: list[dict], table: int, profile: str, accel, uses_latency: bool) -> Row:
    datasets = TABLE_DATASETS[table]
    by_dataset = {r["paper_dataset"]: r for r in recs}
    first = next((by_dataset[d] for d in datasets if d in by_dataset), recs[0])
    accel_rec = accelerator_match(accel, first)
    return Row(
        method=text(first.get("method")), arch=text(first.get("arch_label")) or text(first.get("arch")),
        wst=f"{first['w_bits']} / {first['s_bits']} / {first['T']}",
        bit_budget=str(int(first["w_bits"]) * int(first["s_bits"]) * int(first["T"])), source=text(first["source"]),
        params=fmt_cost(first.get("params_M")), sops=fmt_cost(first.get("sops_G")), s_ace=fmt_cost(first.get("s_ace_G")),
        ns_ace=ns_ace_cell(first),
        acc={d: accuracy_cell(by_dataset[d], profile) if d in by_dataset else Cell() for d in datasets},
        hw=hardware_cell(first, accel_rec, uses_latency), device=text(accel_rec.get("device")),
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
    parts = [DATASET_LABELS.get(p, p) if d in ("", p) else f"{DATASET_LABELS.get(d, d)} stand-in for {DATASET_LABELS.get(p, p)}"
             for p, d in pairs]
    return ", ".join(parts) if parts else "no trained rows"


def table_context(df: pd.DataFrame, table: int, profile: str, accel: pd.DataFrame | None = None) -> dict:
    if table not in TABLES:
        raise RenderError(f"table {table}: the paper has Tables 1-5")
    sub = df[df["table"] == table]
    if sub.empty:
        raise RenderError(f"experiments.csv has no rows of Table {table}; check that the workflow's config "
                          f"lists Table {table} (or render only the tables it has)")
    groups = group_rows(df, table, profile, accel)
    rows = [r for g in groups for r in g.rows]
    cells = [c for r in rows for c in (*r.acc.values(), r.ns_ace, r.hw)]
    datasets = TABLE_DATASETS[table]
    return {
        "table": table, "title": TABLE_TITLES[table], "profile": profile, "quick": profile == "quick",
        "notice": profile_notice(profile),
        "provenance": provenance(sub, profile),
        "datasets": [{"key": d, "label": DATASET_LABELS[d]} for d in datasets],
        "groups": groups,
        "has_cited": any(c.cited for c in cells), "has_stand_in": any(c.stand_in for c in cells),
        "has_estimated": any(c.estimated for c in cells), "has_modelled": any(c.modelled for c in cells),
        "has_measured": any(c.text != "--" and not c.modelled for c in (r.hw for r in rows)),
        "has_missing": any(t == "--" for r in rows for t in printed_text(r, table)),
        "costs_from": DATASET_LABELS[datasets[0]] if table in (2, 5) else "",
    }


# --------------------------------------------------------------------------- rendering


def write_atomic(text_out: str, out: Path) -> Path:
    from qsnn.io import atomic_write_text

    return atomic_write_text(Path(out), text_out)


def render_table(table: int, experiments: Path, profile: str, hardware: Path | None = None,
                 template_dir: Path = TEMPLATE_DIR) -> str:
    env = make_environment(template_dir)
    df = read_experiments(experiments, profile)
    context = table_context(df, table, profile, read_accelerator(hardware))
    return env.get_template(f"table{table}.tex.j2").render(**context)


FIELD_LABELS = {"params": "Params (M)", "sops": "SOPs (G)", "s_ace": "S-ACE (G)", "ns_ace": "NS-ACE (G)", "hw": "fps / latency (ms)"}
MARKS = {"cited": "\u2020", "stand_in": "*", "estimated": "e", "modelled": "m"}  # the LaTeX tables' marks


def _cell_text(value) -> str:
    if not isinstance(value, Cell):
        return str(value)
    marks = "".join(mark for name, mark in MARKS.items() if getattr(value, name))
    return value.text + (f"<sup>{marks}</sup>" if marks else "") + (f" {value.delta}" if value.delta else "")


def table_frame(context: dict) -> pd.DataFrame:
    """The rows of one rendered table as a DataFrame: the same cells and marks as the LaTeX."""
    table = context["table"]
    records = []
    for group in context["groups"]:
        for row in group.rows:
            rec = {"group": group.name, "method": row.method, "arch": row.arch, "W / S / T": row.wst,
                   "bit budget": row.bit_budget}
            rec.update({FIELD_LABELS[f]: _cell_text(getattr(row, f)) for f in PRINTED_FIELDS[table]})
            rec.update({d["label"]: _cell_text(row.acc[d["key"]]) for d in context["datasets"]})
            records.append(rec)
    frame = pd.DataFrame.from_records(records)
    empty = [c for c in frame.columns if (frame[c].astype(str).str.strip() == "").all()]
    return frame.drop(columns=empty)  # e.g. Table 3 prints no method or architecture


def render_table_html(table: int, experiments: Path, profile: str, hardware: Path | None = None) -> str:
    """One table as an HTML fragment (caption, table, marks) for Snakemake's HTML report."""
    import html

    context = table_context(read_experiments(experiments, profile), table, profile, read_accelerator(hardware))
    notice = f" ({context['notice']})" if context["notice"] else ""
    caption = f"Table {table}. {context['title']}. Profile: {profile}{notice}; data: {context['provenance']}."
    marks = ["\u2020 cited: published accuracy, not re-trained; costs are ours at full scale",
             "* stand-in data, not comparable to the paper", "e NS-ACE estimated from stand-in firing rates",
             "m modelled by the accelerator cycle model, not measured", "-- not available"]
    body = table_frame(context).to_html(index=False, escape=False, border=0, classes="qsnn-table", na_rep="--")
    return (f"<div class=\"qsnn\"><p><b>{html.escape(caption)}</b></p>\n{body}\n"
            f"<p><small>{html.escape('; '.join(marks))}</small></p></div>\n")


def render_paper(profile: str | None = None, tables: tuple[int, ...] = TABLES, figures: tuple[int, ...] = (1, 2, 3, 4, 5, 6),
                 template_dir: Path = TEMPLATE_DIR) -> str:
    """``results/paper.tex``: inputs ``tables/tableN.tex`` and ``figures/figN.pdf`` (paths relative to it)."""
    env = make_environment(template_dir)
    if profile is not None and profile not in PROFILES:
        raise RenderError(f"--profile {profile!r}: use one of {', '.join(PROFILES)}")
    return env.get_template("paper.tex.j2").render(profile=profile, notice=profile_notice(profile or ""),
                                                   tables=list(tables), figures=list(figures),
                                                   figure_captions=FIGURE_CAPTIONS)
