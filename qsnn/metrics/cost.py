"""Per-layer cost table: MACs, SOPs, S-ACE (Eq. 8) and NS-ACE (Eq. 9).

See the package docstring (:mod:`qsnn.metrics`) for every counting convention
and the evidence for it in the paper's own numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import pandas as pd
from torch import nn

from qsnn.metrics.trace import LayerTrace, count_params, model_time_steps, resolve_input_shape, trace_layers
from qsnn.wst import FULL_PRECISION_BITS, WST

LAYER_COLUMNS = [
    "layer",
    "kind",
    "macs",
    "w_bits",
    "in_bits",
    "T",
    "params",
    "sops",
    "s_ace",
    "firing_rate",
    "ns_ace",
    "counted",
    "cost_in_bits",
]


@dataclass(frozen=True)
class CountingConvention:
    """Which layers enter SOPs / S-ACE / NS-ACE, and at which input bit-width.

    real_input_bits: bit-width charged for a real-valued input (``in_bits=None``:
        the encoding layer, a classifier on averaged spikes). ``None`` charges the
        network's spike width S, as the paper's totals (SOPs = MACs*S*T) imply;
        16 charges BF16, the caption's rule for full-precision operands.
    count_attention_matmuls: whether spike x spike products (:class:`SpikeMatmul`)
        enter the totals; they are always listed with their MACs.
    """

    real_input_bits: int | None = None
    count_attention_matmuls: bool = False
    paper_counter: bool = False

    def __post_init__(self) -> None:
        if self.real_input_bits is not None and not 1 <= self.real_input_bits <= FULL_PRECISION_BITS:
            raise ValueError(f"real_input_bits={self.real_input_bits} must be None (= S) or in [1, 16]")

    def counts(self, trace: LayerTrace) -> bool:
        """Whether ``trace`` enters SOPs / S-ACE / NS-ACE under this convention."""
        if trace.kind == "matmul" and not self.count_attention_matmuls:
            return False
        return not (self.paper_counter and trace.role in PAPER_COUNTER_MISSED_ROLES)


PAPER_COUNTER_MISSED_ROLES = ("attn-qkv", "attn-proj")
"""Layer roles the paper's counter apparently missed in its T <= 2 quantized Spikformer rows
(reading (b) of :mod:`qsnn.metrics`: the four attention projections, ``nn.Conv1d`` in the
authors' ImageNet code). Reading (a), one MLP linear of N*D*4D MACs, removes the same 4*N*D^2."""

PAPER_CONVENTION = CountingConvention()
"""The primary convention (default): one honest, uniform count of every synaptic layer.
The name is historical: it is the convention the paper's *formulas* (Eqs. 8, 9) define."""

PRIMARY_CONVENTION = PAPER_CONVENTION

PAPER_COUNTER = CountingConvention(paper_counter=True)
"""An *explanation*, never a replacement: the primary convention without the four attention
projections of every Spikformer block (4*N*D^2 MACs per block), which reproduces how the
paper apparently counted its own T <= 2 quantized Spikformer rows (see :mod:`qsnn.metrics`)."""

STRICT_CONVENTION = CountingConvention(real_input_bits=FULL_PRECISION_BITS, count_attention_matmuls=True)
"""Every synaptic operation that hardware would execute: real inputs at BF16, attention products counted."""


@dataclass
class CostReport:
    """``layers``: one row per synaptic layer (columns :data:`LAYER_COLUMNS`); ``totals``: absolute sums."""

    layers: pd.DataFrame
    totals: dict
    input_shape: tuple[int, ...]
    T: int
    convention: CountingConvention = field(default=PAPER_CONVENTION)

    def to_dict(self, with_layers: bool = False) -> dict:
        out = {
            **self.totals,
            "input_shape": list(self.input_shape),
            "T": self.T,
            "convention": {
                "real_input_bits": self.convention.real_input_bits,
                "count_attention_matmuls": self.convention.count_attention_matmuls,
                "paper_counter": self.convention.paper_counter,
            },
        }
        if with_layers:
            rows = self.layers.astype(object).where(self.layers.notna(), None)
            out["layers"] = rows.to_dict(orient="records")
        return out


def rebind_bits(traces: list[LayerTrace], probe: WST, target: WST) -> list[LayerTrace]:
    """Re-express traces made at the ``probe`` allocation at the ``target`` one.

    A bit-width equal to the probe's W becomes the target's W, one equal to the
    probe's S the target's S; any other (a fixed-width layer) stays. Choose a probe
    whose W and S are distinct and unusual (e.g. 13/11) so the mapping is unambiguous.
    """
    if probe.w_bits == probe.s_bits:
        raise ValueError("the probe allocation needs distinct W and S to tell the two apart")
    mapping = {probe.w_bits: target.w_bits, probe.s_bits: target.s_bits}
    return [
        replace(
            t,
            w_bits=mapping.get(t.w_bits, t.w_bits),
            in_bits=None if t.in_bits is None else mapping.get(t.in_bits, t.in_bits),
        )
        for t in traces
    ]


def _check_rates(firing_rates: dict, traces: list[LayerTrace]) -> None:
    known = {t.name for t in traces}
    unknown = sorted(set(firing_rates) - known)
    if unknown:
        raise ValueError(f"firing_rates name unknown layers {unknown}; synaptic layers are {sorted(known)}")
    bad = {k: v for k, v in firing_rates.items() if not 0.0 <= float(v) <= 1.0}
    if bad:
        raise ValueError(f"firing rates must be fractions in [0, 1], got {bad}")


def _firing_rate(trace: LayerTrace, firing_rates: dict | None) -> float | None:
    if firing_rates is None:
        return None
    if trace.name in firing_rates:
        return float(firing_rates[trace.name])
    if trace.in_bits is None:
        return 1.0  # a real-valued input is dense: every MAC is performed
    raise ValueError(f"firing_rates has no rate for spiking layer {trace.name!r}; record it with ActivityRecorder")


def cost_frame(
    traces: list[LayerTrace],
    T: int,
    s_bits: int,
    convention: CountingConvention = PAPER_CONVENTION,
    firing_rates: dict | None = None,
) -> pd.DataFrame:
    """The per-layer table for traced layers run over ``T`` steps (``s_bits``: the network's S).

    Two conventions live here (numbers for one row in :mod:`qsnn.metrics`): an input of
    ``in_bits`` S is charged all S bits whatever its spike level (a level-1 spike costs like a
    level-15 one; a per-bit count is the alternative), and ``t.macs`` includes the taps on zero
    padding while the firing rates (``ActivityRecorder``) exclude the padding
    (``t.macs_unpadded`` is the real-synapse alternative, not used by any convention).
    """
    if firing_rates is not None:
        _check_rates(firing_rates, traces)
    rows = []
    for t in traces:
        counted = convention.counts(t)
        real_bits = s_bits if convention.real_input_bits is None else convention.real_input_bits
        in_bits = real_bits if t.in_bits is None else t.in_bits
        sops = t.macs * in_bits * T if counted else 0.0
        s_ace = t.macs * t.w_bits * in_bits * T if counted else 0.0  # Eq. 8: n_{w,s} * BB, BB = W*S*T
        fr = _firing_rate(t, firing_rates)
        rows.append(
            {
                "layer": t.name,
                "kind": t.kind,
                "macs": t.macs,
                "w_bits": t.w_bits,
                "in_bits": t.in_bits,
                "T": T,
                "params": t.params,
                "sops": sops,
                "s_ace": s_ace,
                "firing_rate": fr,
                "ns_ace": None if fr is None else fr * s_ace,  # Eq. 9
                "counted": counted,
                "cost_in_bits": in_bits,
            }
        )
    return pd.DataFrame(rows, columns=LAYER_COLUMNS)


def totals_of(frame: pd.DataFrame, params: int, w_bits: int | None) -> dict:
    counted = frame[frame["counted"]]
    has_rates = frame["firing_rate"].notna().all()
    return {
        "params": int(params),
        # The paper's "Params (M)": parameter memory in 16-bit words, params * W / 16 (see package docs).
        "params_M_paper_units": None if w_bits is None else params * w_bits / FULL_PRECISION_BITS / 1e6,
        "macs": float(counted["macs"].sum()),
        "macs_all": float(frame["macs"].sum()),
        "sops": float(counted["sops"].sum()),
        "s_ace": float(counted["s_ace"].sum()),
        "ns_ace": float(counted["ns_ace"].sum()) if has_rates else None,
    }


def network_s_bits(model: nn.Module, traces: list[LayerTrace]) -> int:
    """The network's S: the one a real-valued input is charged at under the primary convention.

    A model with a W/S/T allocation (``model.wst``) has it; otherwise the widest spike input
    of its synaptic layers (1 for a network with binary spikes only).
    """
    wst = getattr(model, "wst", None)
    if wst is not None:
        return int(wst.s_bits)
    widths = [t.in_bits for t in traces if t.in_bits is not None]
    return max(widths) if widths else 1


def build_report(
    traces: list[LayerTrace],
    T: int,
    s_bits: int,
    params: int,
    w_bits: int | None,
    input_shape: tuple[int, ...],
    convention: CountingConvention = PAPER_CONVENTION,
    firing_rates: dict | None = None,
) -> CostReport:
    """The one place layer traces become a :class:`CostReport`: :func:`cost_table` (shape tracing),
    :func:`qsnn.metrics.profile` (a real forward pass) and the NIR reader all end here, so the
    formulas of Eqs. 8 and 9 exist once."""
    frame = cost_frame(traces, T, s_bits, convention, firing_rates)
    return CostReport(frame, totals_of(frame, params, w_bits), tuple(input_shape), T, convention)


def cost_table(
    model: nn.Module,
    input_shape=None,
    firing_rates: dict | None = None,
    convention: CountingConvention = PAPER_CONVENTION,
) -> CostReport:
    """Count a model's costs by shape tracing (no real forward pass).

    ``input_shape``: ``(C, H, W)`` of one sample, default ``model.input_shape``.
    ``firing_rates``: ``{layer: fraction of non-zero inputs}`` (from
    :class:`~qsnn.metrics.ActivityRecorder`) to fill NS-ACE; without it NS-ACE is ``None``.
    MACs are per sample and time step; SOPs, S-ACE and NS-ACE are per sample over all T steps.
    """
    shape = resolve_input_shape(model, input_shape)
    traces = trace_layers(model, shape)
    wst = getattr(model, "wst", None)
    return build_report(
        traces,
        model_time_steps(model),
        network_s_bits(model, traces),
        count_params(model),
        None if wst is None else int(wst.w_bits),
        shape,
        convention,
        firing_rates,
    )
