"""The paper's published tables as data, and every published cost cell reproduced or explained.

``data/paper/table{1..5}.csv`` hold Tables 1-5 as printed (see ``data/paper/README.md``; read
through :mod:`qsnn.paper_tables`). :func:`paper_cells` recomputes Params, SOPs and S-ACE of every row of Tables 1, 2 and 5
from the registered architectures (shape tracing, no training) and gives each of the 138
published cost cells one status:

* ``match``: ours under the primary convention (:data:`qsnn.metrics.PAPER_CONVENTION`)
  within :data:`TOLERANCE` (2 %) of the printed value;
* ``match-paper-counter``: within 2 % under the documented ``paper_counter`` explanation
  (:data:`qsnn.metrics.PAPER_COUNTER`), which applies only where the paper's numbers show
  it: the paper's own (``source == "this paper"``) Spikformer rows at T <= 2;
* ``erratum:<class>``: a named cause from :data:`ERRATUM_CLASSES`, found by the internal
  consistency checks (:mod:`qsnn.metrics.consistency`) or the architecture audit
  (:mod:`qsnn.metrics.audit`). A cell no class explains raises :class:`UnclassifiedCellError`:
  there is no catch-all.

Each cell carries ``evidence``, one sentence with the numbers. ``qsnn paper-costs --out CSV``
writes the cells (:data:`CELL_COLUMNS`), one row per published cell.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from qsnn.metrics.audit import imagenet_depth, imagenet_resnet_macs, layer_variants, resolution_scan
from qsnn.metrics.consistency import Finding, consistency_findings
from qsnn.metrics.cost import (
    PAPER_CONVENTION,
    PAPER_COUNTER,
    PAPER_COUNTER_MISSED_ROLES,
    CountingConvention,
    cost_frame,
    rebind_bits,
    totals_of,
)
from qsnn.metrics.trace import LayerTrace, count_params, trace_layers
from qsnn.paper_tables import TOLERANCE, read_table  # the one loader of data/paper, the one tolerance
from qsnn.wst import FULL_PRECISION_BITS, WST

COST_TABLES = (1, 2, 5)
# Trace once at an allocation whose W and S appear nowhere else, then re-bind analytically.
PROBE = WST(13, 11, 1)

CELL_COLUMNS = ["table", "row", "arch", "wst", "metric", "published", "ours", "rel_dev", "status", "evidence"]
METRICS = {"params_M": "Params (M)", "sops_G": "SOPs (G)", "s_ace_G": "S-ACE (G)"}
MATCH = "match"
MATCH_PAPER_COUNTER = "match-paper-counter"
ERRATUM = "erratum:"
RESNET_FAMILIES = ("resnet", "sew-resnet")
CITED_COST_FACTOR = 2.0  # a cited row off by more than 2x in Params *and* cost is not the cited network

ERRATUM_CLASSES = {
    "params-of-another-W": "Params / W breaks the table's own constant for this architecture "
    "(consistency check params-w); the printed value is the Params at another W.",
    "params-copied-from-4-256": "the printed Params are Spikformer-4-256's 4.15 M x W / 16, printed for "
    "Spikformer-2-384 and 4-384 as well (Tables 2 and 5).",
    "inconsistent-with-eq8": "the row's S-ACE is not W x its SOPs (Eq. 8; consistency check eq8) and the "
    "S-ACE is the cell that disagrees with the architecture.",
    "sops-of-another-S": "the printed SOPs fit another S (the row's S-ACE, Eq. 8 and the architecture all "
    "say the printed S).",
    "resnet-mac-base-unexplained": "every cost of this ResNet implies one MAC base that no standard reading "
    "of the architecture reaches (audit: resolution, stem, fc, shortcuts, "
    "max-pool padding, real synapses).",
    "cifarnet-cited-cost": "a cited row whose Params and S-ACE are both more than 2x off the cited network: "
    "the printed costs are not that network's.",
}


class UnclassifiedCellError(ValueError):
    """A published cell that neither matches nor fits a named erratum class (add a class, with its evidence)."""


# ---------------------------------------------------------------- our costs
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


def arch_costs(
    arch: str,
    wst: WST,
    cache: TraceCache | None = None,
    input_shape=None,
    num_classes=None,
    convention: CountingConvention = PAPER_CONVENTION,
    real_synapses: bool = False,
) -> dict:
    """Totals (see :func:`qsnn.metrics.cost.totals_of`) of ``arch`` at ``wst``, from a cached trace.

    ``real_synapses``: count each convolution without its zero-padded taps (an audit reading,
    :attr:`LayerTrace.macs_unpadded`; no convention uses it).
    """
    traces, params = (cache or TraceCache()).get(arch, input_shape, num_classes)
    if real_synapses:
        traces = [replace(t, macs=t.macs if t.macs_unpadded is None else t.macs_unpadded) for t in traces]
    frame = cost_frame(rebind_bits(traces, PROBE, wst), wst.T, wst.s_bits, convention)
    return totals_of(frame, params, wst.w_bits)


def _metric_values(totals: dict) -> dict[str, float]:
    return {
        "params_M": totals["params_M_paper_units"],
        "sops_G": totals["sops"] / 1e9,
        "s_ace_G": totals["s_ace"] / 1e9,
    }


def paper_counter_applies(source: str, family: str, wst: WST) -> bool:
    """Where the paper's numbers show its counter missing 4*N*D^2 MACs per block: its own T <= 2 Spikformer rows."""
    return source == "this paper" and family == "spikformer" and wst.T <= 2


@dataclass
class _Row:
    """One printed row with our numbers beside it."""

    table: int
    rec: dict
    wst: WST
    family: str
    ours: dict[str, float]
    pc: dict[str, float] | None  # paper-counter values where the explanation applies
    real: dict[str, float]  # real-synapse reading (audit only)
    macs: float  # primary counted MACs per step
    pc_missing: float  # MACs per step the paper counter leaves out (0 where it does not apply)
    params: int
    traces: list[LayerTrace]  # at the probe allocation (MACs do not depend on W/S/T)

    @property
    def row(self) -> int:
        return int(self.rec["row"])

    @property
    def arch(self) -> str:
        return self.rec["arch_id"]

    def published(self, metric: str) -> float | None:
        value = self.rec.get(metric)
        return None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)

    def bits(self, metric: str) -> int:
        """What the MACs per step are multiplied by: S*T for SOPs, W*S*T for S-ACE."""
        w, s, t = self.wst.w_bits, self.wst.s_bits, self.wst.T
        return s * t if metric == "sops_G" else w * s * t


def _build_rows(tables: dict[int, pd.DataFrame], cache: TraceCache) -> list[_Row]:
    from qsnn.models import arch_spec

    rows = []
    for number, frame in sorted(tables.items()):
        for rec in frame.to_dict(orient="records"):
            if not rec["arch_id"]:
                raise ValueError(
                    f"table {number} row {rec['row']} has no arch_id; every cost row must name an architecture"
                )
            wst = WST(int(rec["w_bits"]), int(rec["s_bits"]), int(rec["T"]))
            family = arch_spec(rec["arch_id"]).family
            primary = arch_costs(rec["arch_id"], wst, cache)
            applies = paper_counter_applies(rec["source"], family, wst)
            pc = arch_costs(rec["arch_id"], wst, cache, convention=PAPER_COUNTER) if applies else None
            real = arch_costs(rec["arch_id"], wst, cache, real_synapses=True)
            rows.append(
                _Row(
                    number,
                    rec,
                    wst,
                    family,
                    _metric_values(primary),
                    None if pc is None else _metric_values(pc),
                    _metric_values(real),
                    primary["macs"],
                    primary["macs"] - pc["macs"] if pc else 0.0,
                    primary["params"],
                    cache.get(rec["arch_id"])[0],
                )
            )
    return rows


# ---------------------------------------------------------------- classification
def _dev(ours: float, published: float) -> float:
    return ours / published - 1.0


def _pct(x: float) -> str:
    return f"{100 * x:+.2f} %"


def _within(ours: float | None, published: float) -> bool:
    return ours is not None and abs(_dev(ours, published)) <= TOLERANCE


@dataclass
class _Context:
    rows: list[_Row]
    findings: list[Finding]
    cache: TraceCache
    by_key: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.by_key = {(r.table, r.row): r for r in self.rows}

    def finding(self, check: str, row: _Row) -> Finding | None:
        return next((f for f in self.findings if f.check == check and f.table == row.table and row.row in f.rows), None)

    def peer_of(self, check: str, row: _Row) -> Finding | None:
        return next(
            (f for f in self.findings if f.check == check and f.table == row.table and row.row in f.peers), None
        )

    def cell_matches(self, row: _Row, metric: str) -> bool:
        p = row.published(metric)
        return p is not None and (_within(row.ours[metric], p) or (row.pc is not None and _within(row.pc[metric], p)))


def _unit(metric: str) -> str:
    return "M" if metric == "params_M" else "G"


def _base_sentence(row: _Row, metric: str, published: float) -> str:
    ours = row.ours[metric]
    if metric == "params_M":
        return (
            f"ours {row.params:,} parameters x W/16 = {ours:.4g} M vs printed {published:g} M "
            f"({_pct(_dev(ours, published))})"
        )
    what = "S*T" if metric == "sops_G" else "W*S*T"
    return (
        f"ours {row.macs / 1e9:.4g} G MACs per step x {what} = {row.bits(metric)} gives {ours:.4g} G vs printed "
        f"{published:g} G ({_pct(_dev(ours, published))})"
    )


def _notes(row: _Row, metric: str, ctx: _Context) -> str:
    """Inconsistencies of the printed row that do not change this cell's status."""
    notes = []
    eq8 = ctx.finding("eq8", row)
    if eq8 is not None and metric != "params_M":
        notes.append(
            f"the printed row itself is {_pct(eq8.value - 1)} off Eq. 8 (S-ACE / (W x SOPs) = {eq8.value:.4f})"
        )
    budget = ctx.finding("equal-budget", row)
    if budget is not None and metric == "s_ace_G":
        peers = ", ".join(ctx.by_key[(row.table, p)].wst.__str__() for p in budget.peers)
        notes.append(
            f"equal-budget inconsistency: this T = {row.wst.T} row prints {_pct(budget.value - 1)} more than "
            f"{peers} at the same bit budget, whose T <= 2 numbers use the paper counter's smaller base"
        )
    return "".join(f"; {n}" for n in notes)


def _paper_counter_sentence(row: _Row, metric: str, published: float) -> str:
    ours, pc = row.ours[metric], row.pc[metric]
    blocks = sum(1 for t in row.traces if t.role == "attn-proj")
    per_block = row.pc_missing / max(blocks, 1)
    dim = int(row.arch.rsplit("-", 1)[-1]) if row.arch.rsplit("-", 1)[-1].isdigit() else None
    tokens = f", N = {per_block / (4 * dim * dim):.0f} tokens, D = {dim}" if dim else ""
    return (
        f"the primary count {ours:.4g} {_unit(metric)} is {_pct(_dev(ours, published))} off; the paper counter, "
        f"which leaves out the attention projections q, k, v, proj ({row.pc_missing / 1e9:.4g} G MACs per step = "
        f"4*N*D^2 = {per_block / 1e6:.4g} M per block x {blocks} blocks{tokens}; the same amount as one MLP linear "
        f"N*D*4D per block), gives {pc:.4g} {_unit(metric)} ({_pct(_dev(pc, published))})"
    )


def _params_class(row: _Row, published: float, ctx: _Context) -> tuple[str, str]:
    finding = ctx.finding("params-w", row)
    if finding is not None and not math.isnan(finding.value):
        return "params-of-another-W", finding.message + f"; ours {row.ours['params_M']:.4g} M at W={row.wst.w_bits}"
    from qsnn.models import arch_spec, list_archs

    spec = arch_spec(row.arch)
    for other in list_archs(family=row.family, tiny=False):
        if other == row.arch or arch_spec(other).input_shape != spec.input_shape:
            continue
        _, params = ctx.cache.get(other)
        value = params * row.wst.w_bits / FULL_PRECISION_BITS / 1e6
        if _within(value, published):
            name = f"params-copied-from-{other.removeprefix(row.family + '-')}"
            return name, (
                f"the printed {published:g} M is {other}'s {params:,} parameters x W/16 = {value:.4g} M "
                f"({_pct(_dev(value, published))}), not {row.arch}'s {row.ours['params_M']:.4g} M at W={row.wst.w_bits} "
                f"({_pct(_dev(row.ours['params_M'], published))})"
            )
    cited = _cited_cost(row, ctx)
    if cited is not None:
        return cited
    raise UnclassifiedCellError(
        f"Table {row.table} row {row.row} ({row.arch} {row.wst}) Params: printed {published:g} M, "
        f"ours {row.ours['params_M']:.4g} M; no erratum class explains it"
    )


def _cited_cost(row: _Row, ctx: _Context) -> tuple[str, str] | None:
    """A cited row off by more than 2x in both Params and S-ACE: the printed costs are not this network's."""
    if row.rec["source"] != "cited":
        return None
    p_params, p_cost = row.published("params_M"), row.published("s_ace_G")
    if p_params is None or p_cost is None:
        return None
    far = [
        not 1 / CITED_COST_FACTOR <= row.ours[m] / p <= CITED_COST_FACTOR
        for m, p in (("params_M", p_params), ("s_ace_G", p_cost))
    ]
    if not all(far):
        return None
    from qsnn.models import arch_spec

    implied = p_cost * 1e9 / row.bits("s_ace_G")
    return f"{row.family}-cited-cost", (
        f"the cited {arch_spec(row.arch).description} has {row.params:,} parameters ({row.ours['params_M']:.4g} M) and "
        f"{row.macs / 1e9:.4g} G MACs per step (S-ACE {row.ours['s_ace_G']:.4g} G at {row.wst}), but the row prints "
        f"{p_params:g} M and {p_cost:g} G, i.e. {row.ours['params_M'] / p_params:.0f}x fewer parameters and "
        f"{implied / 1e6:.3g} M MACs per step ({row.macs / implied:.0f}x fewer): the cited costs are not this network's"
    )


def _cost_class(row: _Row, metric: str, published: float, ctx: _Context, audit: dict) -> tuple[str, str]:
    eq8 = ctx.finding("eq8", row)
    if eq8 is not None:
        other = "sops_G" if metric == "s_ace_G" else "s_ace_G"
        ours = (row.pc or row.ours)[metric]
        if metric == "s_ace_G" and ctx.cell_matches(row, other):
            return "inconsistent-with-eq8", (
                f"{eq8.message}; the printed SOPs match ours ({(row.pc or row.ours)['sops_G']:.4g} G) while the printed S-ACE "
                f"is {_pct(published / ours - 1)} from ours ({ours:.4g} G = W x our SOPs)"
            )
        if metric == "sops_G" and ctx.cell_matches(row, other):
            per_s = ours / row.wst.s_bits
            fits = [s for s in (1, 2, 4, 8, 16) if s != row.wst.s_bits and _within(per_s * s, published)]
            if fits:
                return "sops-of-another-S", (
                    f"the printed SOPs {published:g} G are ours at S={fits[0]} ({per_s * fits[0]:.4g} G, "
                    f"{_pct(_dev(per_s * fits[0], published))}), not at the printed S={row.wst.s_bits} ({ours:.4g} G); the row's "
                    f"S-ACE {row.published('s_ace_G'):g} G matches ours at S={row.wst.s_bits} and is {eq8.value * row.wst.w_bits:.4g} x "
                    f"these SOPs instead of W = {row.wst.w_bits} x (Eq. 8)"
                )
            return (
                "inconsistent-with-eq8",
                f"{eq8.message}; the printed S-ACE matches ours, the printed SOPs do not ({ours:.4g} G)",
            )
    cited = _cited_cost(row, ctx)
    if cited is not None:
        return cited
    if row.family in RESNET_FAMILIES:
        return "resnet-mac-base-unexplained", _resnet_evidence(row, metric, published, ctx, audit)
    raise UnclassifiedCellError(
        f"Table {row.table} row {row.row} ({row.arch} {row.wst}) {METRICS[metric]}: printed "
        f"{published:g}, ours {row.ours[metric]:.4g}; no erratum class explains it"
    )


def _implied_bases(row: _Row, ctx: _Context) -> list[float]:
    """MAC bases (per step) implied by every printed cost of ``row.arch`` in ``row.table``."""
    return [
        r.published(m) * 1e9 / r.bits(m)
        for r in ctx.rows
        if r.table == row.table and r.arch == row.arch
        for m in ("sops_G", "s_ace_G")
        if r.published(m) is not None
    ]


def _resnet_evidence(row: _Row, metric: str, published: float, ctx: _Context, audit: dict) -> str:
    bases = _implied_bases(row, ctx)
    if max(bases) / min(bases) - 1 > 0.01:
        raise UnclassifiedCellError(
            f"Table {row.table} {row.arch}: the printed costs imply MAC bases "
            f"{min(bases) / 1e9:.4g}-{max(bases) / 1e9:.4g} G, not one base; no erratum class explains it"
        )
    base = published * 1e9 / row.bits(metric)
    what = "SOPs / (S*T)" if metric == "sops_G" else "S-ACE / (W*S*T)"
    parts = [
        f"every printed {row.arch} cost of Table {row.table} implies {min(bases) / 1e9:.4g}-{max(bases) / 1e9:.4g} G "
        f"MACs per step (this cell: {what} = {base / 1e9:.4g} G); ours is {row.macs / 1e9:.4g} G ({_pct(_dev(row.macs, base))})"
    ]
    variants = layer_variants(row.traces)
    depth = imagenet_depth(row.arch)
    tried = []
    if depth is not None:
        scan = resolution_scan(depth, base)
        tried.append(f"input 200-224 px (closest {scan.size} px, {_pct(scan.rel_dev)})")
        tried.append(f"max-pool without padding ({_pct(imagenet_resnet_macs(depth, maxpool_padding=0) / base - 1)})")
    for key, label in (("no_stem", "no stem"), ("no_fc", "no fc"), ("no_shortcuts", "no projection shortcuts")):
        tried.append(f"{label} ({_pct(variants[key] / base - 1)})")
    fitting = [
        t
        for t, key in zip(tried[-3:], ("no_stem", "no_fc", "no_shortcuts"))
        if abs(variants[key] / base - 1) <= TOLERANCE
    ]
    parts.append(
        "readings tried: "
        + ", ".join(tried)
        + (
            f" (within 2 %: {', '.join(fitting)}, each dropping layers the cited code has)"
            if fitting
            else " (none within 2 %)"
        )
    )
    real_dev = variants["real_synapses"] / base - 1
    breaks = audit["real_synapse_breaks"]
    parts.append(
        f"counting only real synapses (no zero-padded taps) gives {variants['real_synapses'] / 1e9:.4g} G "
        f"({_pct(real_dev)}), but that rule moves {breaks['broken']} of the {breaks['matching']} SOPs / S-ACE cells "
        f"matching today beyond 2 % (worst: {breaks['worst']}), so it is not the paper's convention"
    )
    others = {
        (r.family != row.family, r.arch)
        for r in ctx.rows
        if r.table == row.table and r.family in RESNET_FAMILIES and r.arch != row.arch
    }
    for _, other in sorted(others):  # same family first, then by name: deterministic evidence
        other_row = next(r for r in ctx.rows if r.table == row.table and r.arch == other)
        other_base = min(_implied_bases(other_row, ctx))
        if row.macs > other_row.macs and max(bases) < other_base:
            parts.append(
                f"the paper's {row.arch} base is also smaller than its {other} base ({other_base / 1e9:.4g} G) "
                f"although {row.arch} has more MACs ({row.macs / 1e9:.4g} vs {other_row.macs / 1e9:.4g} G), "
                "which no standard definition allows"
            )
            break
    return "; ".join(parts)


def _real_synapse_breaks(rows: list[_Row]) -> dict:
    """How the real-synapse reading would fare on the SOPs / S-ACE cells that match under the primary count."""
    matching, broken = 0, []
    for row in rows:
        for metric in ("sops_G", "s_ace_G"):
            p = row.published(metric)
            if p is None or not _within(row.ours[metric], p):
                continue
            matching += 1
            dev = _dev(row.real[metric], p)
            if abs(dev) > TOLERANCE:
                broken.append((dev, row.arch))
    worst: dict[str, float] = {}
    for dev, arch in sorted(broken):
        worst.setdefault(arch, dev)
    text = ", ".join(f"{arch} {_pct(dev)}" for arch, dev in sorted(worst.items(), key=lambda kv: kv[1])[:3]) or "none"
    return {"matching": matching, "broken": len(broken), "worst": text}


def _classify(row: _Row, metric: str, published: float, ctx: _Context, audit: dict) -> tuple[str, str]:
    ours = row.ours[metric]
    if _within(ours, published):
        return MATCH, _base_sentence(row, metric, published) + _notes(row, metric, ctx)
    if row.pc is not None and _within(row.pc[metric], published):
        return MATCH_PAPER_COUNTER, _paper_counter_sentence(row, metric, published) + _notes(row, metric, ctx)
    name, evidence = (
        _params_class(row, published, ctx) if metric == "params_M" else _cost_class(row, metric, published, ctx, audit)
    )
    if name not in ERRATUM_CLASSES:
        raise UnclassifiedCellError(
            f"Table {row.table} row {row.row} {METRICS[metric]}: found cause {name!r}, which is not a "
            f"documented class of ERRATUM_CLASSES ({', '.join(ERRATUM_CLASSES)}); document it first"
        )
    return ERRATUM + name, evidence


def paper_cells(root: Path | None = None, cache: TraceCache | None = None) -> pd.DataFrame:
    """One row per published cost cell of Tables 1, 2, 5: :data:`CELL_COLUMNS` plus ``source``,
    ``ours_paper_counter`` and ``rel_dev_paper_counter`` (NaN where the paper counter does not apply)."""
    cache = cache or TraceCache()
    tables = {n: read_table(n, root) for n in COST_TABLES}
    rows = _build_rows(tables, cache)
    ctx = _Context(rows, consistency_findings(tables), cache)
    audit = {"real_synapse_breaks": _real_synapse_breaks(rows)}
    cells = []
    for row in rows:
        for metric in METRICS:
            published = row.published(metric)
            if published is None:
                continue
            status, evidence = _classify(row, metric, published, ctx, audit)
            pc = None if row.pc is None else row.pc[metric]
            cells.append(
                {
                    "table": row.table,
                    "row": row.row,
                    "arch": row.arch,
                    "wst": str(row.wst),
                    "metric": metric,
                    "published": published,
                    "ours": row.ours[metric],
                    "rel_dev": _dev(row.ours[metric], published),
                    "status": status,
                    "evidence": evidence,
                    "source": row.rec["source"],
                    "ours_paper_counter": math.nan if pc is None else pc,
                    "rel_dev_paper_counter": math.nan if pc is None else _dev(pc, published),
                }
            )
    return pd.DataFrame(cells)


def paper_costs(root: Path | None = None) -> pd.DataFrame:
    """The CSV of ``qsnn paper-costs``: :data:`CELL_COLUMNS` of :func:`paper_cells`, one row per published cell."""
    return paper_cells(root)[CELL_COLUMNS]


def status_summary(cells: pd.DataFrame) -> pd.DataFrame:
    """Cells per status (rows) and table (columns), with a ``total`` column and a ``total`` row."""
    counts = cells.groupby(["status", "table"]).size().unstack("table", fill_value=0)
    order = [MATCH, MATCH_PAPER_COUNTER] + sorted(s for s in counts.index if s.startswith(ERRATUM))
    counts = counts.reindex([s for s in order if s in counts.index], fill_value=0)
    counts.columns = [f"Table {c}" for c in counts.columns]
    counts["total"] = counts.sum(axis=1)
    counts.loc["total"] = counts.sum(axis=0)
    return counts


def write_csv_atomic(frame: pd.DataFrame, path: Path) -> None:
    """Write ``frame`` to ``path`` atomically (:func:`qsnn.io.atomic_write_csv`), never leaving a partial CSV."""
    from qsnn.io import atomic_write_csv

    atomic_write_csv(frame, Path(path))


__all__ = [
    "CELL_COLUMNS",
    "COST_TABLES",
    "ERRATUM",
    "ERRATUM_CLASSES",
    "MATCH",
    "MATCH_PAPER_COUNTER",
    "METRICS",
    "PAPER_COUNTER_MISSED_ROLES",
    "TOLERANCE",
    "TraceCache",
    "UnclassifiedCellError",
    "arch_costs",
    "paper_cells",
    "paper_costs",
    "paper_counter_applies",
    "status_summary",
    "write_csv_atomic",
]
