"""Internal-consistency checks over the transcribed Tables 1, 2 and 5 (no model involved).

The paper's own definitions constrain its printed numbers, independently of any architecture:

* **Eq. 8 within a row**: S-ACE = sum n * W * S * T and SOPs = sum n * S * T, so every row
  printing both must have S-ACE = W * SOPs. Printed values carry 3-4 significant digits
  (rounding <= 0.08 %); a ratio off by more than :data:`EQ8_TOLERANCE` is not rounding.
  Table 1 row 15 (1/1/1) prints SOPs 6.67 but S-ACE 6.79 at W = 1 (+1.8 %); rows 16, 17
  and 19 are 0.5-1 % off; row 12 (16/1/4) prints S-ACE 516.4 = 15.5 x SOPs 33.24; row 20
  (4/8/1) prints S-ACE 210.1 = 8.0 x SOPs 26.25 at W = 4.
* **Equal bit budget, equal S-ACE**: within one architecture S-ACE = MACs * W * S * T depends
  on the allocation only through the budget W * S * T. Tables 2 and 5 print 3.08 for 1/4/1
  but 3.69 for 1/1/4 (budget 4), 12.32 for 4/4/1 but 14.77 for 4/1/4 (budget 16): the T <= 2
  rows sit on a 0.77 G MAC base, the T = 4 rows on 0.923 G. Groups differing by more than
  :data:`TOLERANCE` are reported; the minority rows of a group are the flagged ones.
* **Params proportional to W**: the paper's Params column is parameter memory in 16-bit
  words, params * W / 16, so Params / W is one constant per architecture and table. A row
  whose Params / W differs by more than :data:`TOLERANCE` from the constant most of its
  peers share is flagged, with the W its printed value fits (Table 1 rows 18-20, Table 2
  row 3, Table 5 row 13).

These findings feed the erratum classes of :func:`qsnn.metrics.paper.paper_cells`
(``inconsistent-with-eq8``, ``sops-of-another-S``, ``params-of-another-W``) and the list of
inconsistencies in the reproduction report (:mod:`qsnn.report.errata`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from qsnn.paper_tables import TOLERANCE  # the one comparison tolerance (2 %)

EQ8_TOLERANCE = 0.0025
POWERS_OF_TWO = (1, 2, 4, 8, 16)


@dataclass(frozen=True)
class Finding:
    """One internal inconsistency: ``check`` in ``eq8 | equal-budget | params-w``.

    ``rows`` are the flagged rows of ``table``; ``peers`` the rows they are inconsistent with;
    ``cells`` the printed columns involved; ``value`` the check's number (Eq. 8: the printed
    S-ACE / (W * SOPs); equal budget: the flagged S-ACE over the peers' median; Params: the W
    the printed value fits, or NaN); ``message`` one sentence with the numbers.
    """

    check: str
    table: int
    rows: tuple[int, ...]
    cells: tuple[str, ...]
    value: float
    message: str
    peers: tuple[int, ...] = field(default=())


def _num(value) -> float | None:
    if value is None or value == "":
        return None
    v = float(value)
    return None if math.isnan(v) else v


def _wst(rec: dict) -> str:
    return f"{int(rec['w_bits'])}/{int(rec['s_bits'])}/{int(rec['T'])}"


def eq8_findings(frame: pd.DataFrame, table: int) -> list[Finding]:
    """Rows printing both SOPs and S-ACE whose S-ACE is not W x SOPs (Eq. 8)."""
    if "sops_G" not in frame.columns:
        return []
    found = []
    for rec in frame.to_dict(orient="records"):
        sops, s_ace = _num(rec.get("sops_G")), _num(rec.get("s_ace_G"))
        if sops is None or s_ace is None or sops == 0:
            continue
        w = int(rec["w_bits"])
        ratio = s_ace / (w * sops)
        if abs(ratio - 1.0) > EQ8_TOLERANCE:
            found.append(
                Finding(
                    "eq8",
                    table,
                    (int(rec["row"]),),
                    ("sops_G", "s_ace_G"),
                    ratio,
                    f"Table {table} row {int(rec['row'])} ({rec['arch_id']} {_wst(rec)}) prints S-ACE {s_ace:g} = "
                    f"{s_ace / sops:.4g} x its SOPs {sops:g}, but Eq. 8 requires S-ACE = W x SOPs = {w} x {sops:g} = "
                    f"{w * sops:.4g} (printed {100 * (ratio - 1):+.2f} %)",
                )
            )
    return found


def _clusters(values: dict[int, float], tol: float) -> list[list[int]]:
    """Group rows whose values lie within ``tol`` of a seed value; largest group first."""
    remaining = sorted(values, key=lambda r: values[r])
    groups = []
    while remaining:
        best = max(
            ([r for r in remaining if abs(values[r] / values[seed] - 1.0) <= tol] for seed in remaining), key=len
        )
        groups.append(best)
        remaining = [r for r in remaining if r not in best]
    return sorted(groups, key=lambda g: (-len(g), min(g)))


def equal_budget_findings(frame: pd.DataFrame, table: int) -> list[Finding]:
    """Allocations of one architecture with the same bit budget W*S*T but different printed S-ACE."""
    found = []
    rows = [r for r in frame.to_dict(orient="records") if _num(r.get("s_ace_G")) is not None and r.get("arch_id")]
    groups: dict[tuple[str, int], list[dict]] = {}
    for rec in rows:
        budget = int(rec["w_bits"]) * int(rec["s_bits"]) * int(rec["T"])
        groups.setdefault((rec["arch_id"], budget), []).append(rec)
    for (arch, budget), recs in sorted(groups.items()):
        values = {int(r["row"]): float(r["s_ace_G"]) for r in recs}
        clusters = _clusters(values, TOLERANCE)
        if len(clusters) < 2:
            continue
        by_row = {int(r["row"]): r for r in recs}
        majority = clusters[0]
        ref = sorted(values[r] for r in majority)[len(majority) // 2]
        peers_text = ", ".join(f"{_wst(by_row[r])} {values[r]:g}" for r in majority)
        for minority in clusters[1:]:
            for row in minority:
                rec = by_row[row]
                found.append(
                    Finding(
                        "equal-budget",
                        table,
                        (row,),
                        ("s_ace_G",),
                        values[row] / ref,
                        f"Table {table} row {row} ({arch} {_wst(rec)}) prints S-ACE {values[row]:g} at bit budget {budget}, "
                        f"where {peers_text} print {min(values[r] for r in majority):g}-{max(values[r] for r in majority):g}: "
                        f"equal budgets must give equal S-ACE in one architecture (Eq. 8), they differ by "
                        f"{100 * (values[row] / ref - 1):+.1f} % (MAC bases {values[row] / budget:.4g} G vs "
                        f"{ref / budget:.4g} G per step)",
                        tuple(majority),
                    )
                )
    return found


def params_w_findings(frame: pd.DataFrame, table: int) -> list[Finding]:
    """Rows whose printed Params / W differs from the constant most rows of the architecture share."""
    if "params_M" not in frame.columns:
        return []
    found = []
    rows = [r for r in frame.to_dict(orient="records") if _num(r.get("params_M")) is not None and r.get("arch_id")]
    by_arch: dict[str, list[dict]] = {}
    for rec in rows:
        by_arch.setdefault(rec["arch_id"], []).append(rec)
    for arch, recs in sorted(by_arch.items()):
        if len(recs) < 3:  # a majority needs at least three rows
            continue
        per_bit = {int(r["row"]): float(r["params_M"]) / int(r["w_bits"]) for r in recs}
        clusters = _clusters(per_bit, TOLERANCE)
        majority = clusters[0]
        if len(majority) * 2 <= len(recs):
            continue  # no majority: nothing to be consistent with
        ref = sorted(per_bit[r] for r in majority)[len(majority) // 2]
        by_row = {int(r["row"]): r for r in recs}
        for row in sorted(set(per_bit) - set(majority)):
            rec = by_row[row]
            printed, w = float(rec["params_M"]), int(rec["w_bits"])
            fits = [w_alt for w_alt in POWERS_OF_TWO if abs(printed / (ref * w_alt) - 1.0) <= TOLERANCE]
            fit = float(fits[0]) if fits else math.nan
            fit_text = f"which is the W={fits[0]} value ({ref * fits[0]:.4g} M)" if fits else "which fits no W in 1..16"
            found.append(
                Finding(
                    "params-w",
                    table,
                    (row,),
                    ("params_M",),
                    fit,
                    f"Table {table} row {row} ({arch} {_wst(rec)}) prints Params {printed:g} M, {fit_text}: rows "
                    f"{', '.join(str(r) for r in sorted(majority))} of the same architecture print {ref:.4g} M per weight bit "
                    f"(Params = params x W / 16), i.e. {ref * w:.4g} M at W={w}",
                    tuple(sorted(majority)),
                )
            )
    return found


def consistency_findings(tables: dict[int, pd.DataFrame]) -> list[Finding]:
    """Every finding of the three checks over the given tables ``{number: frame}`` (Tables 1, 2, 5)."""
    found = []
    for number, frame in sorted(tables.items()):
        found += eq8_findings(frame, number) + equal_budget_findings(frame, number) + params_w_findings(frame, number)
    return found


__all__ = [
    "EQ8_TOLERANCE",
    "Finding",
    "TOLERANCE",
    "consistency_findings",
    "eq8_findings",
    "equal_budget_findings",
    "params_w_findings",
]
