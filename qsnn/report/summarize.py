"""Build ``results/summary/experiments.csv``: the plan, the runs, full-scale costs, hardware, and
the published values, one row per (table, table row, paper dataset) plus figure-only points and
config extensions (columns: DESIGN.md).

Conventions (documented because the paper is silent):
- Costs (``params_M``, ``sops_G``, ``s_ace_G``) are those of the paper's architecture at full
  scale, at the row's W/S/T, with the paper dataset's input shape and class count; they are exact
  in both profiles. ``params_M`` is in the paper's units (parameter memory in 16-bit words).
- ``ns_ace_G`` needs measured firing rates. When the trained model *is* the full-scale one (paper
  profile) it is the run's own NS-ACE (``measured``). In the quick profile the tiny model's
  effective firing rate (its NS-ACE / S-ACE) is applied to the full-scale S-ACE, and the column
  says ``estimated from stand-in firing rates``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from qsnn.summary import COLUMNS, as_number  # noqa: F401  (the contract's owner; as_number re-exported)
from qsnn.wst import WST

COST_COLUMNS = ["arch", "paper_dataset", "w_bits", "s_bits", "T", "params", "params_M", "macs", "sops_G", "s_ace_G"]
NS_ACE_MEASURED = "measured"
NS_ACE_ESTIMATED = "estimated from stand-in firing rates"
NS_ACE_REHEARSAL = "rehearsal: fake data, not results"


# --------------------------------------------------------------------------- plan + costs


def load_plan(path: Path) -> pd.DataFrame:
    with open(path) as fh:
        records = json.load(fh)["entries"]
    return pd.DataFrame.from_records(records)


def plan_costs(plan: pd.DataFrame) -> pd.DataFrame:
    """Full-scale Params/SOPs/S-ACE for every distinct (arch, paper dataset, W/S/T) of the plan.

    One shape trace per (architecture, input shape), re-bound to each W/S/T (qsnn.metrics),
    so all rows of the paper together take seconds.
    """
    from qsnn.data import dataset_info
    from qsnn.metrics.paper import TraceCache, arch_costs

    cache = TraceCache()
    keys = plan[plan["arch"].astype(str) != ""][["arch", "paper_dataset", "w_bits", "s_bits", "T"]].drop_duplicates()
    rows = []
    for rec in keys.sort_values(list(keys.columns)).to_dict(orient="records"):
        info = dataset_info(rec["paper_dataset"])
        wst = WST(int(rec["w_bits"]), int(rec["s_bits"]), int(rec["T"]))
        totals = arch_costs(rec["arch"], wst, cache, input_shape=tuple(info.input_shape), num_classes=info.num_classes)
        rows.append(
            {
                **rec,
                "params": totals["params"],
                "params_M": totals["params_M_paper_units"],
                "macs": totals["macs"],
                "sops_G": totals["sops"] / 1e9,
                "s_ace_G": totals["s_ace"] / 1e9,
            }
        )
    return pd.DataFrame(rows, columns=COST_COLUMNS)


# --------------------------------------------------------------------------- published values


def load_paper_tables(paper_dir: Path) -> dict[int, pd.DataFrame]:
    """The transcribed tables present in ``paper_dir`` (:func:`qsnn.paper_tables.read_tables`), indexed by ``row``."""
    from qsnn.paper_tables import read_tables

    return {n: frame.set_index("row") for n, frame in read_tables(paper_dir, missing_ok=True).items()}


def published(tables: dict[int, pd.DataFrame], table, row, paper_dataset: str) -> dict:
    """Published cells of one table row; the accuracy is the column of this paper dataset."""
    blank = {
        k: None
        for k in (
            "paper_params_M",
            "paper_sops_G",
            "paper_s_ace_G",
            "paper_ns_ace_G",
            "paper_acc",
            "paper_fps",
            "paper_latency",
        )
    }
    if as_number(table) is None or int(table) not in tables:
        return blank
    rec = tables[int(table)].loc[int(row)]
    acc_col = "acc_" + paper_dataset.replace("-", "_")
    return {
        "paper_params_M": as_number(rec.get("params_M")),
        "paper_sops_G": as_number(rec.get("sops_G")),
        "paper_s_ace_G": as_number(rec.get("s_ace_G")),
        "paper_ns_ace_G": as_number(rec.get("ns_ace_G")),
        "paper_acc": as_number(rec.get(acc_col)),
        "paper_fps": as_number(rec.get("fps")),
        "paper_latency": as_number(rec.get("latency")),
    }


# --------------------------------------------------------------------------- runs + hardware


def read_metrics(runs_dir: Path, run_id: str) -> dict | None:
    path = Path(runs_dir) / run_id / "metrics.json"
    if not run_id or not path.exists():
        return None
    with open(path) as fh:
        return json.load(fh)


def ns_ace(metrics: dict, s_ace_full_G: float | None, profile: str, same_model: bool) -> tuple[float | None, str]:
    """Full-scale NS-ACE (G): measured when the trained model is the full-scale one, else estimated."""
    if metrics.get("ns_ace") is None:
        return None, ""
    if profile == "rehearsal":  # firing rates of a few optimizer steps on fake data mean nothing
        return metrics["ns_ace"] / 1e9, NS_ACE_REHEARSAL
    if same_model:
        return metrics["ns_ace"] / 1e9, NS_ACE_MEASURED
    if not metrics.get("s_ace") or s_ace_full_G is None:
        return None, ""
    return s_ace_full_G * metrics["ns_ace"] / metrics["s_ace"], NS_ACE_ESTIMATED


def load_accelerator(hardware_dir: Path) -> pd.DataFrame | None:
    from qsnn.hardware.board import read_accelerator

    return read_accelerator(hardware_dir)


def hardware_cells(accel: pd.DataFrame | None, rec: dict) -> dict:
    """Table 4's fps / latency for this row: the one join (:func:`qsnn.hardware.board.table4_hardware`,
    measured over modelled)."""
    from qsnn.hardware.board import table4_hardware

    if as_number(rec["table"]) != 4:
        return {"fps": None, "latency_ms": None, "hw_kind": ""}
    cells = table4_hardware(accel, rec)
    return {k: cells[k] for k in ("fps", "latency_ms", "hw_kind")}


# --------------------------------------------------------------------------- assembly


def select(plan: pd.DataFrame, selection: str) -> pd.DataFrame:
    """``all``, ``tableN`` (its rows) or ``figN`` (rows whose ``figures`` name it)."""
    if selection == "all":
        return plan
    if selection.startswith("table"):
        return plan[plan["table"].astype(str).isin([selection[5:], selection[5:] + ".0"])]
    if selection.startswith("fig"):
        return plan[plan["figures"].fillna("").str.split(";").apply(lambda figs: selection in figs)]
    raise ValueError(f"--select {selection!r}: use all, table1..table5 or fig1..fig6")


def summarize(
    plan: pd.DataFrame, costs: pd.DataFrame, runs_dir: Path, hardware_dir: Path, paper_dir: Path, selection: str = "all"
) -> pd.DataFrame:
    tables = load_paper_tables(paper_dir)
    accel = load_accelerator(hardware_dir)
    cost_index = {
        (r["arch"], r["paper_dataset"], int(r["w_bits"]), int(r["s_bits"]), int(r["T"])): r
        for r in costs.to_dict(orient="records")
    }
    rows = [
        _summary_row(rec, cost_index, runs_dir, tables, accel)
        for rec in select(plan, selection).to_dict(orient="records")
    ]
    return pd.DataFrame(rows, columns=COLUMNS)


def _summary_row(rec: dict, cost_index: dict, runs_dir: Path, tables: dict, accel) -> dict:
    out = {k: rec.get(k, "") for k in COLUMNS if k in rec}
    cost = cost_index.get(
        (rec["arch"], rec["paper_dataset"], int(rec["w_bits"]), int(rec["s_bits"]), int(rec["T"])), {}
    )
    out.update({"params_M": cost.get("params_M"), "sops_G": cost.get("sops_G"), "s_ace_G": cost.get("s_ace_G")})
    metrics = read_metrics(runs_dir, rec.get("run_id", ""))
    if rec.get("run_id") and metrics is None:
        out["status"] = "missing"
    if metrics is not None:
        same_model = rec["trained_arch"] == rec["arch"] and rec["dataset"] == rec["paper_dataset"]
        value, kind = ns_ace(metrics, out["s_ace_G"], rec["profile"], same_model)
        out.update({"top1": metrics.get("top1"), "top5": metrics.get("top5"), "ns_ace_G": value, "ns_ace_kind": kind})
    out.update(hardware_cells(accel, rec))
    out.update(published(tables, rec.get("table"), rec.get("row"), rec["paper_dataset"]))
    return out


def write_csv_atomic(frame: pd.DataFrame, path: Path) -> None:
    from qsnn.io import atomic_write_csv

    atomic_write_csv(frame, Path(path))


def write_experiments(frame: pd.DataFrame, path: Path) -> None:
    from qsnn.summary import write_experiments as write

    write(frame, Path(path))
