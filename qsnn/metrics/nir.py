"""Cost table of a Neuromorphic Intermediate Representation (NIR) graph: ``qsnn cost --nir FILE``.

A NIR file (read with the ``nir`` package, ``pip install 'qsnn[interop]'``) holds a graph of
nodes with their weights and shapes, and no activity. The table is ``cost_table``'s, from:

* **synaptic nodes** ``Conv1d``, ``Conv2d``, ``Linear``, ``Affine``: MACs per sample and time step
  = outputs x fan-in (a conv's output shape from its ``input_shape`` or the graph's type
  inference), params = weight + bias;
* **weight bits** from the distinct weight values (:func:`qsnn.metrics.profile.weight_bits`:
  ``n`` values on one grid -> ``ceil(log2 n)`` bits, float weights -> 16, costed as BF16);
* **spike bits**: NIR spikes are binary, so a node fed by spiking neurons (``LIF``, ``IF``,
  ``CubaLIF``, ``Threshold``, also through ``Flatten``/``Delay``) reads ``spike_bits`` = 1
  unless told otherwise. A node fed by the graph's ``Input`` is the encoding layer, and one fed
  by a non-spiking node (``LI``, ``I``, ``CubaLI``, a pooling, ``Scale``, another synaptic node)
  reads real values: ``in_bits`` None, costed as ``cost_table`` costs it;
* **T**: a graph has no step count; ``steps`` (default 1) is the caller's;
* **NS-ACE** (Eq. 9) needs firing rates, which a graph does not hold: it is ``None`` unless
  ``firing_rates`` ({node: fraction of non-zero inputs}) are given.

Only NIR 1.x files are read; a node type outside :data:`KNOWN_NODES` is refused with its name.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from qsnn.metrics.cost import PAPER_CONVENTION, CostReport, CountingConvention, build_report
from qsnn.metrics.profile import weight_bits
from qsnn.metrics.trace import LayerTrace

SUPPORTED_MAJOR = 1
SYNAPTIC_NODES = ("Conv1d", "Conv2d", "Linear", "Affine")
SPIKING_NODES = ("LIF", "IF", "CubaLIF", "Threshold")
PASS_THROUGH_NODES = ("Flatten", "Delay")  # they move spikes without changing their values
OTHER_NODES = ("Input", "Output", "NIRGraph", "LI", "I", "CubaLI", "Scale", "SumPool2d", "AvgPool2d")
KNOWN_NODES = SYNAPTIC_NODES + SPIKING_NODES + PASS_THROUGH_NODES + OTHER_NODES
NO_RATES_NOTE = (
    "NS-ACE needs firing rates, which a NIR graph does not hold; pass them as {node: fraction of non-zero inputs}"
)


@dataclass(frozen=True)
class NirCost:
    """A NIR graph's :class:`CostReport` and where it came from."""

    report: CostReport
    path: Path
    version: str
    spike_bits: int
    note: str | None  # why NS-ACE is missing, when it is


def _import_nir():
    try:
        import nir
    except ImportError as err:
        raise ValueError(
            f"reading NIR needs the `nir` package ({err}); install it with pip install 'qsnn[interop]'"
        ) from None
    return nir


def _h5_text(value) -> str:
    value = value[()] if hasattr(value, "shape") else value
    return value.decode("utf8") if isinstance(value, bytes) else str(value)


def _check_file(path: Path) -> str:
    """The file's NIR version, after checking that every node type is one the cost knows."""
    import h5py

    if not path.is_file():
        raise ValueError(f"NIR file {path} does not exist")
    try:
        with h5py.File(path, "r") as f:
            if "version" not in f or "node" not in f:
                raise ValueError(f"{path} is an HDF5 file but no NIR graph (no 'version' or 'node' entry)")
            version = _h5_text(f["version"])
            _check_version(path, version)
            _check_types(f["node"], "")
    except OSError as err:
        raise ValueError(f"{path} is not a NIR file (HDF5 could not open it: {err})") from None
    return version


def _check_version(path: Path, version: str) -> None:
    major = version.split(".")[0]
    if major != str(SUPPORTED_MAJOR):
        raise ValueError(f"{path} is NIR version {version}; qsnn reads NIR {SUPPORTED_MAJOR}.x files")


def _check_types(group, name: str) -> None:
    if "type" not in group:
        raise ValueError(f"NIR node {name or '<graph>'!r} has no type entry")
    kind = _h5_text(group["type"])
    if kind not in KNOWN_NODES:
        raise ValueError(
            f"NIR node {name or '<graph>'!r} has type {kind!r}, which qsnn cannot cost; "
            f"supported: synaptic {', '.join(SYNAPTIC_NODES)}; also {', '.join(KNOWN_NODES[len(SYNAPTIC_NODES) :])}"
        )
    if kind == "NIRGraph":
        for child, sub in group["nodes"].items():
            _check_types(sub, f"{name}.{child}" if name else child)


def read_graph(path) -> tuple[object, str]:
    """``(nir.NIRGraph, version)``; every failure is a one-line ``ValueError``."""
    nir = _import_nir()
    path = Path(path)
    version = _check_file(path)
    try:
        return nir.read(path), version
    except Exception as err:  # noqa: BLE001 - the reader's failures on a damaged file are not documented
        raise ValueError(f"cannot read NIR graph {path}: {type(err).__name__}: {err}") from None


# --- spikes on each synaptic node's input ----------------------------------------------------


class _Spikes:
    """Whether a node emits spikes, following edges backwards through pass-through nodes."""

    def __init__(self, graph, input_spikes: bool):
        self.graph, self.input_spikes = graph, input_spikes
        self.memo: dict[str, bool] = {}

    def preds(self, name: str) -> list[str]:
        return [src.split(".")[0] for src, dst in self.graph.edges if dst.split(".")[0] == name]

    def reads_spikes(self, name: str) -> bool:
        preds = self.preds(name)
        return bool(preds) and all(self.emits(p) for p in preds)

    def emits(self, name: str) -> bool:
        if name not in self.memo:
            self.memo[name] = True  # a cycle through pass-through nodes alone adds nothing
            self.memo[name] = self._emits(name)
        return self.memo[name]

    def _emits(self, name: str) -> bool:
        kind = type(self.graph.nodes[name]).__name__
        if kind in SPIKING_NODES:
            return True
        if kind in PASS_THROUGH_NODES:
            return self.reads_spikes(name)
        if kind == "Input":
            return self.input_spikes
        if kind == "NIRGraph":
            sub = self.graph.nodes[name]
            inner = _Spikes(sub, self.reads_spikes(name))
            return all(inner.reads_spikes(out) for out in sub.outputs)
        return False  # synaptic, non-spiking neurons, pooling, scaling: real values


# --- layer traces --------------------------------------------------------------------------------


def _conv_outputs(name: str, node) -> int:
    shape = (node.output_type or {}).get("output")
    if shape is None:
        raise ValueError(
            f"NIR {type(node).__name__} node {name!r} has no input_shape, and the graph's types "
            "do not give its output size; MACs need it"
        )
    return int(np.prod(np.asarray(shape)[1:]))  # spatial positions of one output channel


def _macs(name: str, node) -> int:
    weight = np.asarray(node.weight)
    if type(node).__name__ in ("Conv1d", "Conv2d"):
        return _conv_outputs(name, node) * int(weight.size)  # each position: C_out x C_in/groups x kernel
    return int(weight.size)  # Linear / Affine: out x in


def _params(node) -> int:
    bias = getattr(node, "bias", None)
    return int(np.asarray(node.weight).size) + (0 if bias is None else int(np.asarray(bias).size))


def _flow_order(graph) -> list[str]:
    """Node names from the inputs along the edges (HDF5 hands them back sorted by name)."""
    order, frontier = [], [n for n, node in graph.nodes.items() if type(node).__name__ == "Input"]
    while frontier:
        name = frontier.pop(0)
        if name in order or name not in graph.nodes:
            continue
        order.append(name)
        frontier += [dst.split(".")[0] for src, dst in graph.edges if src.split(".")[0] == name]
    return order + [n for n in graph.nodes if n not in order]


def _traces(graph, prefix: str, input_spikes: bool, spike_bits: int) -> list[LayerTrace]:
    spikes, traces = _Spikes(graph, input_spikes), []
    for name in _flow_order(graph):
        node = graph.nodes[name]
        kind = type(node).__name__
        full = f"{prefix}{name}"
        if kind == "NIRGraph":
            traces += _traces(node, f"{full}.", spikes.reads_spikes(name), spike_bits)
        elif kind in SYNAPTIC_NODES:
            w_bits = weight_bits(torch.from_numpy(np.asarray(node.weight, dtype=np.float64)))
            in_bits = spike_bits if spikes.reads_spikes(name) else None
            traces.append(
                LayerTrace(
                    full,
                    "conv" if kind.startswith("Conv") else "linear",
                    float(_macs(full, node)),
                    _params(node),
                    w_bits,
                    in_bits,
                )
            )
    return traces


def _input_shape(graph) -> tuple[int, ...]:
    for node in graph.inputs.values():
        shape = node.input_type.get("input")
        if shape is not None:
            return tuple(int(d) for d in np.asarray(shape).ravel())
    return ()


def nir_cost(
    path,
    steps: int = 1,
    spike_bits: int = 1,
    firing_rates: dict | None = None,
    convention: CountingConvention = PAPER_CONVENTION,
) -> NirCost:
    """Cost table of the NIR graph in ``path`` run for ``steps`` time steps with ``spike_bits``-bit spikes."""
    if not (isinstance(steps, int) and steps >= 1):
        raise ValueError(f"steps={steps!r} must be a positive number of time steps")
    if not (isinstance(spike_bits, int) and 1 <= spike_bits <= 16):
        raise ValueError(f"spike_bits={spike_bits!r} must be in [1, 16]")
    graph, version = read_graph(path)
    traces = _traces(graph, "", False, spike_bits)
    if not traces:
        raise ValueError(f"NIR graph {path} has no synaptic node ({', '.join(SYNAPTIC_NODES)}) to cost")
    widths = {t.w_bits for t in traces}
    report = build_report(
        traces,
        steps,
        spike_bits,
        sum(t.params for t in traces),
        widths.pop() if len(widths) == 1 else None,
        _input_shape(graph),
        convention,
        firing_rates,
    )
    return NirCost(report, Path(path), version, spike_bits, None if firing_rates is not None else NO_RATES_NOTE)


__all__ = ["KNOWN_NODES", "NirCost", "SYNAPTIC_NODES", "nir_cost", "read_graph"]
