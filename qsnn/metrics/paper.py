"""The paper's published tables as data, and our full-scale costs beside them.

``data/paper/table{1..5}.csv`` hold Tables 1-5 as printed (see ``data/paper/README.md``).
:func:`paper_costs` recomputes Params, SOPs and S-ACE for every row of Tables 1, 2
and 5 from the registered architectures (shape tracing, no training) and reports
the relative deviation ``ours / published - 1`` per column.
"""

from __future__ import annotations

import math
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from qsnn.metrics.cost import PAPER_CONVENTION, CountingConvention, cost_frame, rebind_bits, totals_of
from qsnn.metrics.trace import LayerTrace, count_params, trace_layers
from qsnn.wst import WST

PAPER_DATA_DIR = Path(__file__).resolve().parents[2] / "data" / "paper"
COST_TABLES = (1, 2, 5)
TOLERANCE = 0.02  # "within 2%" of the deviation summary
# Trace once at an allocation whose W and S appear nowhere else, then re-bind analytically.
PROBE = WST(13, 11, 1)


def load_table(number: int, root: Path | None = None) -> pd.DataFrame:
    """Table ``number`` (1-5) as a DataFrame; blanks (printed '-') are NaN, ``note`` is a string."""
    if number not in range(1, 6):
        raise ValueError(f"table number {number} is not one of the paper's Tables 1-5")
    path = Path(root or PAPER_DATA_DIR) / f"table{number}.csv"
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing; it ships with the repository under data/paper/")
    frame = pd.read_csv(path, dtype={"note": str, "method": str, "arch": str, "arch_id": str, "group": str})
    for col in ("note", "method", "arch", "arch_id", "group"):
        frame[col] = frame[col].fillna("")
    return frame


def long_accuracy(frame: pd.DataFrame) -> pd.DataFrame:
    """Melt the ``acc_<dataset>`` columns into rows ``row, dataset, acc`` (dataset as registry name)."""
    acc_cols = [c for c in frame.columns if c.startswith("acc_")]
    out = frame.melt(id_vars=["row"], value_vars=acc_cols, var_name="dataset", value_name="acc").dropna(subset=["acc"])
    out["dataset"] = out["dataset"].str.removeprefix("acc_").str.replace("_", "-")
    return out.sort_values(["row", "dataset"]).reset_index(drop=True)


@dataclass
class TraceCache:
    """Traces per (arch, input_shape, num_classes) at the :data:`PROBE` allocation."""

    traces: dict = field(default_factory=dict)

    def get(self, arch: str, input_shape=None, num_classes=None) -> tuple[list[LayerTrace], int]:
        key = (arch, input_shape, num_classes)
        if key not in self.traces:
            self.traces[key] = _trace_arch(arch, input_shape, num_classes)
        return self.traces[key]


def _trace_arch(arch: str, input_shape, num_classes) -> tuple[list[LayerTrace], int]:
    import torch

    from qsnn.models import create

    with torch.device("meta"):  # parameters are never materialized
        model = create(arch, PROBE.w_bits, PROBE.s_bits, PROBE.T, num_classes=num_classes, input_shape=input_shape)
    return trace_layers(model), count_params(model)


def arch_costs(arch: str, wst: WST, cache: TraceCache | None = None, input_shape=None, num_classes=None,
               convention: CountingConvention = PAPER_CONVENTION) -> dict:
    """Totals (see :func:`qsnn.metrics.cost.totals_of`) of ``arch`` at ``wst``, from a cached trace."""
    traces, params = (cache or TraceCache()).get(arch, input_shape, num_classes)
    frame = cost_frame(rebind_bits(traces, PROBE, wst), wst.T, wst.s_bits, convention)
    return totals_of(frame, params, wst.w_bits)


def _deviation(ours: float, published) -> float:
    if published is None or (isinstance(published, float) and math.isnan(published)):
        return math.nan
    return ours / float(published) - 1.0


def paper_costs(root: Path | None = None, convention: CountingConvention = PAPER_CONVENTION) -> pd.DataFrame:
    """Ours vs published Params (M, paper units), SOPs (G) and S-ACE (G) for every row of Tables 1, 2, 5."""
    cache = TraceCache()
    rows = []
    for number in COST_TABLES:
        for rec in load_table(number, root).to_dict(orient="records"):
            rows.append(_compare_row(number, rec, cache, convention))
    out = pd.DataFrame(rows)
    devs = out[["dev_params", "dev_sops", "dev_s_ace"]].abs()
    out["within_2pct"] = (devs.isna() | (devs <= TOLERANCE)).all(axis=1)
    return out


def _compare_row(number: int, rec: dict, cache: TraceCache, convention: CountingConvention) -> dict:
    wst = WST(int(rec["w_bits"]), int(rec["s_bits"]), int(rec["T"]))
    if not rec["arch_id"]:
        raise ValueError(f"table {number} row {rec['row']} has no arch_id; every cost row must name an architecture")
    ours = arch_costs(rec["arch_id"], wst, cache, convention=convention)
    published = {k: rec.get(k, math.nan) for k in ("params_M", "sops_G", "s_ace_G")}
    return {
        "table": number, "row": rec["row"], "source": rec["source"], "method": rec["method"],
        "arch_id": rec["arch_id"], "wst": str(wst),
        "params": ours["params"],
        "params_M": ours["params_M_paper_units"], "paper_params_M": published["params_M"],
        "dev_params": _deviation(ours["params_M_paper_units"], published["params_M"]),
        "sops_G": ours["sops"] / 1e9, "paper_sops_G": published["sops_G"],
        "dev_sops": _deviation(ours["sops"] / 1e9, published["sops_G"]),
        "s_ace_G": ours["s_ace"] / 1e9, "paper_s_ace_G": published["s_ace_G"],
        "dev_s_ace": _deviation(ours["s_ace"] / 1e9, published["s_ace_G"]),
        "note": rec.get("note", ""),
    }


def write_csv_atomic(frame: pd.DataFrame, path: Path) -> None:
    """Write ``frame`` to ``path`` via a temporary file and ``os.replace``, never leaving a partial CSV."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", newline="") as fh:
            frame.to_csv(fh, index=False)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
