"""Internal-consistency checks over printed tables, the errata they feed, and the reproduction report's
handling of estimates (no delta against a published NS-ACE) and of the per-status summary."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from qsnn.metrics.consistency import consistency_findings, eq8_findings, equal_budget_findings, params_w_findings
from qsnn.paper_tables import read_table
from qsnn.report.errata import consistency_errata, cost_errata
from qsnn.report.reproduction import KIND_NS_ACE, build_report, table_cells
from qsnn.report.summarize import COLUMNS


def printed(rows: list[tuple]) -> pd.DataFrame:
    """A transcribed-table frame from ``(row, arch, w, s, t, params_M, sops_G, s_ace_G)`` tuples."""
    cols = ["row", "arch_id", "w_bits", "s_bits", "T", "params_M", "sops_G", "s_ace_G"]
    return pd.DataFrame([dict(zip(cols, r)) for r in rows])


def test_eq8_flags_s_ace_that_is_not_w_times_sops():
    frame = printed(
        [(0, "a", 2, 1, 1, None, 10.0, 20.0), (1, "a", 2, 1, 1, None, 10.0, 21.0), (2, "a", 4, 1, 1, None, 10.0, 40.04)]
    )  # row 2: 0.1 %, within printing precision
    found = eq8_findings(frame, 9)
    assert [f.rows for f in found] == [(1,)] and found[0].value == pytest.approx(1.05)
    assert "21" in found[0].message and "20" in found[0].message


def test_equal_budget_flags_the_odd_allocation_out():
    frame = printed(
        [
            (0, "a", 1, 4, 1, None, None, 3.08),
            (1, "a", 1, 2, 2, None, None, 3.08),
            (2, "a", 1, 1, 4, None, None, 3.69),
            (3, "b", 1, 1, 4, None, None, 9.0),
        ]
    )
    found = equal_budget_findings(frame, 2)
    assert len(found) == 1 and found[0].rows == (2,) and set(found[0].peers) == {0, 1}
    assert found[0].value == pytest.approx(3.69 / 3.08)


def test_params_w_flags_params_of_another_w():
    frame = printed(
        [
            (0, "a", 1, 1, 1, 0.26, None, None),
            (1, "a", 2, 1, 1, 0.52, None, None),
            (2, "a", 4, 1, 1, 1.04, None, None),
            (3, "a", 1, 2, 2, 0.52, None, None),
        ]
    )
    found = params_w_findings(frame, 2)
    assert [f.rows for f in found] == [(3,)] and found[0].value == 2.0 and "W=2" in found[0].message
    odd = printed(
        [
            (0, "a", 1, 1, 1, 0.26, None, None),
            (1, "a", 2, 1, 1, 0.52, None, None),
            (2, "a", 4, 1, 1, 1.04, None, None),
            (3, "a", 1, 2, 2, 0.37, None, None),
        ]
    )
    assert math.isnan(params_w_findings(odd, 2)[0].value)  # fits no W: reported, not explained


def test_the_paper_tables_contradict_themselves_where_the_audit_says():
    findings = consistency_findings({n: read_table(n) for n in (1, 2, 5)})
    eq8 = {f.rows[0] for f in findings if f.check == "eq8"}
    assert {12, 15, 16, 17, 19, 20} <= eq8  # Table 1: row 15 prints SOPs 6.67 but S-ACE 6.79 at W=1
    budget = {(f.table, f.rows[0]) for f in findings if f.check == "equal-budget"}
    assert budget == {(2, 4), (2, 10), (5, 14), (5, 20)}  # the T=4 rows against the T<=2 rows
    params = {(f.table, f.rows[0]) for f in findings if f.check == "params-w"}
    assert params == {(1, 18), (1, 19), (1, 20), (2, 3), (5, 13)}
    errata = consistency_errata({n: read_table(n) for n in (1, 2, 5)})
    assert len(errata) == len(findings) and all(e.kind == "inconsistency" for e in errata)


def test_the_t_split_is_an_inconsistency_not_a_deviation():
    """Ours at one MAC base is 20 % above the T<=2 rows and matches the T=4 row: the paper contradicts itself."""
    rows = []
    for row, (w, s, t, paper) in enumerate([(1, 4, 1, 3.08), (1, 2, 2, 3.08), (1, 1, 4, 3.69)]):
        rows.append(
            {
                "table": 2,
                "row": row,
                "arch": "spikformer-4-384",
                "w_bits": w,
                "s_bits": s,
                "T": t,
                "params_M": None,
                "paper_params_M": None,
                "sops_G": None,
                "paper_sops_G": None,
                "s_ace_G": 0.9215 * w * s * t,
                "paper_s_ace_G": paper,
            }
        )
    found = cost_errata(pd.DataFrame(rows))
    assert {e.row for e in found} == {0, 1}
    assert all(e.kind == "inconsistency" and "equal-budget" in e.explanation for e in found)


def experiments_rows(kind: str, profile: str) -> pd.DataFrame:
    rec = {c: None for c in COLUMNS}
    rec.update(
        {
            "table": 1,
            "row": 16,
            "group": "quantized-spikformer",
            "method": "Quantized Spikformer",
            "source": "this paper",
            "arch_label": "Spikformer-8-512",
            "arch": "spikformer-8-512",
            "paper_dataset": "imagenet",
            "figures": "",
            "profile": profile,
            "dataset": "imagenet",
            "trained_arch": "spikformer-8-512",
            "w_bits": 2,
            "s_bits": 2,
            "T": 1,
            "bit_budget": 4,
            "status": "trained",
            "run_id": "r",
            "top1": 1.0,
            "params_M": 3.711,
            "sops_G": 16.51,
            "s_ace_G": 33.03,
            "ns_ace_G": 9.5,
            "ns_ace_kind": kind,
            "paper_params_M": 3.71,
            "paper_sops_G": 13.19,
            "paper_s_ace_G": 26.52,
            "paper_ns_ace_G": 7.65,
            "paper_acc": 63.16,
        }
    )
    return pd.DataFrame([rec])


@pytest.mark.parametrize(
    "kind,comparable",
    [("measured", True), ("estimated from stand-in firing rates", False), ("rehearsal: fake data, not results", False)],
)
def test_no_delta_against_a_published_ns_ace_unless_measured(kind, comparable):
    paper = read_table(1).set_index("row")
    cells = table_cells(experiments_rows(kind, "paper"), paper)
    ns_ace = next(c for c in cells if c["cell"] == "NS-ACE (G)")
    assert ns_ace["kind"] == KIND_NS_ACE[kind]
    assert ("%" in ns_ace["delta"]) == comparable
    assert comparable or "no delta" in ns_ace["delta"]


@pytest.fixture(scope="module")
def report_text():
    return build_report(experiments_rows("estimated from stand-in firing rates", "quick"), None)


def test_report_summarizes_cells_per_status_and_table(report_text):
    section = report_text.split("## Published cost cells per status and table", 1)[1].split("## Erratum classes", 1)[0]
    assert "| status | Table 1 | Table 2 | Table 5 | total |" in section
    assert "| `match` |" in section and "| `match-paper-counter` |" in section and "| **total** |" in section
    assert "`erratum:params-copied-from-4-256`" in section
    assert "## Erratum classes" in report_text and "resnet-mac-base-unexplained" in report_text


def test_report_shows_ours_and_the_paper_counter_side_by_side(report_text):
    line = next(l for l in report_text.splitlines() if l.startswith("| 16 |") and "| S-ACE (G) |" in l)
    cells = [c.strip() for c in line.strip("|").split("|")]
    assert cells[7] == "33.03"  # ours: the primary count
    assert cells[10] == "26.45" and cells[11] == "match-paper-counter"
    assert "equal budget, equal S-ACE" in report_text  # the T split listed as the paper's inconsistency
