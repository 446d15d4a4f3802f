"""The paper's internal inconsistencies, found from the data rather than listed by hand.

Checks:
- a printed Bit Budget that is not W*S*T (e.g. Table 4's 8/2/3 under budget 64: it is 48);
- the internal-consistency checks of :mod:`qsnn.metrics.consistency` over Tables 1, 2, 5:
  Eq. 8 within a row (S-ACE = W x SOPs), equal bit budget => equal S-ACE within one
  architecture (the T <= 2 vs T = 4 split of Tables 2 and 5 is an *inconsistency* of the
  paper, not a deviation of ours), Params proportional to W;
- the same experiment (architecture, W/S/T, dataset) printed with different values in two tables;
- :func:`cost_errata`: cost cells of ``experiments.csv`` more than 2 % from our count, with the
  likeliest internal explanation (kept for callers that work on experiments rows; the
  reproduction report classifies every published cell with :func:`qsnn.metrics.paper.paper_cells`).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from qsnn.metrics.consistency import Finding, consistency_findings, equal_budget_findings
from qsnn.paper_tables import TOLERANCE  # the one comparison tolerance (2 %)
from qsnn.report.summarize import as_number

POWERS_OF_TWO_W = (1, 2, 4, 8, 16)
COST_CELLS = {"params_M": "Params (M)", "sops_G": "SOPs (G)", "s_ace_G": "S-ACE (G)"}


@dataclass(frozen=True)
class Erratum:
    table: int
    row: int
    column: str
    published: str
    ours: str
    explanation: str
    kind: str = "inconsistency"  # "inconsistency" (the paper contradicts itself) | "deviation" (only ours differs)


def _close(a: float, b: float, tol: float = TOLERANCE) -> bool:
    return b != 0 and abs(a / b - 1.0) <= tol


def bit_budget_errata(paper_tables: dict[int, pd.DataFrame]) -> list[Erratum]:
    """Printed bit budgets that are not W*S*T (``paper_tables`` as :func:`qsnn.paper_tables.read_table` gives them)."""
    found = []
    for n, frame in sorted(paper_tables.items()):
        if "bit_budget" not in frame.columns:
            continue
        for rec in frame.to_dict(orient="records"):
            row = rec["row"]
            printed = as_number(rec["bit_budget"])
            product = int(rec["w_bits"]) * int(rec["s_bits"]) * int(rec["T"])
            if printed is not None and int(printed) != product:
                found.append(
                    Erratum(
                        n,
                        int(row),
                        "Bit Budget",
                        f"{printed:g}",
                        str(product),
                        f"W/S/T = {rec['w_bits']}/{rec['s_bits']}/{rec['T']} gives W*S*T = {product}, "
                        f"but the row is printed under bit budget {printed:g}",
                    )
                )
    return found


def _family(arch: str) -> str:
    return str(arch).split("-")[0]


def _explain_params(rec: dict, peers: pd.DataFrame) -> str | None:
    """Which (architecture, W) has the printed Params? Params scale with W (paper units: 16-bit words)."""
    ours, printed, w = rec["params_M"], rec["paper_params_M"], int(rec["w_bits"])
    per_bit = {rec["arch"]: ours / w}
    family = _family(rec["arch"])  # a coincidence across families (CIFARNet vs Spikformer) explains nothing
    for other in peers[peers["params_M"].notna()].to_dict(orient="records"):
        if _family(other["arch"]) == family:
            per_bit.setdefault(other["arch"], float(other["params_M"]) / int(other["w_bits"]))
    candidates = [(rec["arch"], w_alt) for w_alt in POWERS_OF_TWO_W if w_alt != w]
    candidates += [(arch, w) for arch in per_bit if arch != rec["arch"]]
    candidates += [(arch, w_alt) for arch in per_bit if arch != rec["arch"] for w_alt in POWERS_OF_TWO_W if w_alt != w]
    for arch, w_alt in candidates:
        value = per_bit[arch] * w_alt
        if _close(printed, value):
            who = "this model's" if arch == rec["arch"] else f"{arch}'s"
            return f"the printed value is {who} Params at W={w_alt} ({value:.4g} M), not {rec['arch']} at the printed W={w} ({ours:.4g} M)"
    return None


def _explain_ops(rec: dict, column: str) -> str | None:
    ours, printed = rec[column], rec["paper_" + column]
    ratio = printed / ours
    w, s, t = int(rec["w_bits"]), int(rec["s_bits"]), int(rec["T"])
    if column == "s_ace_G":
        for w_alt in POWERS_OF_TWO_W:
            if w_alt != w and _close(ratio * w, w_alt):
                return f"printed/ours = {ratio:.3f}: the printed S-ACE is this model's at W={w_alt}"
    for st_alt in (1, 2, 3, 4, 8, 16, 32, 64):
        if st_alt != s * t and _close(ratio * s * t, st_alt):
            return f"printed/ours = {ratio:.3f}: the printed value fits S*T = {st_alt}, not {s}*{t} = {s * t}"
    return None


def _printed_frames(rows: pd.DataFrame) -> dict[int, pd.DataFrame]:
    """The printed cost columns of experiments rows, in the layout of the transcribed tables."""
    frames = {}
    for table, group in rows.groupby(rows["table"].astype(float).astype(int)):
        frame = pd.DataFrame(
            {
                "row": group["row"].astype(float).astype(int),
                "arch_id": group["arch"].astype(str),
                "w_bits": group["w_bits"],
                "s_bits": group["s_bits"],
                "T": group["T"],
                **{
                    c: pd.to_numeric(group["paper_" + c], errors="coerce") if "paper_" + c in group else float("nan")
                    for c in COST_CELLS
                },
            }
        )
        frames[int(table)] = frame
    return frames


def _budget_explanation(rec: dict, findings: list[Finding]) -> str | None:
    """The equal-budget inconsistency this S-ACE cell belongs to (flagged or as a peer), if any."""
    table, row = int(float(rec["table"])), int(float(rec["row"]))
    for f in findings:
        if f.table == table and (row in f.rows or row in f.peers):
            role = "is the odd one out" if row in f.rows else "is one of the rows it disagrees with"
            return f"equal-budget inconsistency of the paper (this row {role}): {f.message}"
    return None


def cost_errata(experiments: pd.DataFrame) -> list[Erratum]:
    """Cost cells off by more than 2 %, one per printed cell (first paper dataset of the row)."""
    rows = experiments[experiments["table"].notna() & (experiments["table"].astype(str) != "")]
    rows = rows.drop_duplicates(["table", "row"])
    budget = [f for n, frame in _printed_frames(rows).items() for f in equal_budget_findings(frame, n)]
    found = []
    for rec in rows.to_dict(orient="records"):
        for column, label in COST_CELLS.items():
            ours, printed = as_number(rec.get(column)), as_number(rec.get("paper_" + column))
            if ours is None or printed is None or _close(ours, printed):
                continue
            rec = {**rec, column: ours, "paper_" + column: printed}
            why = _explain_params(rec, rows) if column == "params_M" else _explain_ops(rec, column)
            if why is None and column == "s_ace_G":
                why = _budget_explanation(rec, budget)
            kind = "inconsistency" if why else "deviation"
            why = why or (
                f"printed/ours = {printed / ours:.3f}; no other W, S*T or same-family architecture explains it: "
                "either an unstated counting convention of the paper or a difference in our architecture "
                "definition (see `qsnn paper-costs` and qsnn.metrics.cost)"
            )
            found.append(
                Erratum(
                    int(float(rec["table"])),
                    int(float(rec["row"])),
                    label,
                    f"{printed:g}",
                    f"{ours:.4g}",
                    f"{rec['arch']} {rec['w_bits']}/{rec['s_bits']}/{rec['T']}: off by "
                    f"{100 * (ours / printed - 1):+.1f} %; {why}",
                    kind,
                )
            )
    return found


def cross_table_errata(experiments: pd.DataFrame) -> list[Erratum]:
    """The same experiment printed with different values in two tables (e.g. Tables 2 and 5)."""
    rows = experiments[experiments["table"].notna() & (experiments["table"].astype(str) != "")]
    found = []
    key = ["arch", "paper_dataset", "w_bits", "s_bits", "T"]
    for _, group in rows.groupby(key):
        if group["table"].nunique() < 2:
            continue
        for column in ("paper_params_M", "paper_sops_G", "paper_s_ace_G", "paper_acc"):
            values = group[["table", "row", column]].dropna()
            if values[column].nunique() > 1:
                first = values.iloc[0]
                for other in values.iloc[1:].itertuples():
                    if getattr(other, column) != first[column]:
                        found.append(
                            Erratum(
                                int(float(other.table)),
                                int(float(other.row)),
                                column.removeprefix("paper_"),
                                f"{getattr(other, column):g}",
                                f"Table {int(float(first['table']))}: {first[column]:g}",
                                "the same experiment is printed with a different value in another table",
                            )
                        )
    return found


CHECK_LABELS = {
    "eq8": "Eq. 8 (S-ACE = W x SOPs)",
    "equal-budget": "equal budget, equal S-ACE",
    "params-w": "Params ∝ W",
}


def consistency_errata(tables: dict[int, pd.DataFrame]) -> list[Erratum]:
    """The findings of :func:`qsnn.metrics.consistency.consistency_findings` as errata (tables as :func:`qsnn.paper_tables.read_table` gives them)."""
    found = []
    for f in consistency_findings(tables):
        frame = tables[f.table].set_index("row")
        for row in f.rows:
            column = f.cells[-1]
            printed = as_number(frame.loc[row, column])
            expected = {
                "eq8": lambda: f"{int(frame.loc[row, 'w_bits']) * float(frame.loc[row, 'sops_G']):.4g} (W x SOPs)",
                "equal-budget": lambda: f"{printed / f.value:.4g} (equal budget)",
                "params-w": lambda: (
                    f"{printed / f.value * int(frame.loc[row, 'w_bits']):.4g} (at the printed W)"
                    if f.value == f.value
                    else "-"
                ),
            }[f.check]()
            found.append(
                Erratum(
                    f.table,
                    int(row),
                    f"{COST_CELLS.get(column, column)}: {CHECK_LABELS[f.check]}",
                    f"{printed:g}",
                    expected,
                    f.message,
                )
            )
    return found


def find_errata(
    experiments: pd.DataFrame, paper_tables: dict[int, pd.DataFrame], cost_tables: dict[int, pd.DataFrame] | None = None
) -> list[Erratum]:
    """Every inconsistency: bit budgets, the consistency checks (``cost_tables``: Tables 1, 2, 5 as
    :func:`qsnn.paper_tables.read_table` gives them), cost cells of ``experiments`` and cross-table repeats."""
    checks = consistency_errata(cost_tables) if cost_tables else []
    return bit_budget_errata(paper_tables) + checks + cost_errata(experiments) + cross_table_errata(experiments)
