"""Cost of any spiking network from one real forward pass: :func:`profile`.

:func:`~qsnn.metrics.cost_table` needs qsnn's own layers, which declare their bit-widths.
``profile`` needs only an ``nn.Module`` and a sample: forward hooks on every synaptic layer
read, during one real forward pass,

* the layer's MACs (from its real output shape, per sample and time step),
* the bit-width of the spikes entering it (from the distinct values it saw),
* the bit-width of its weights (from the distinct weight values),
* its firing rate (fraction of non-zero inputs),

and the same code as ``cost_table`` (:func:`qsnn.metrics.cost.build_report`) turns them into
Params, SOPs, S-ACE (Eq. 8) and NS-ACE (Eq. 9).

Synaptic layers: ``nn.Conv1d/2d/3d`` and ``nn.Linear`` and their subclasses (qsnn's
``QConv2d``/``QLinear``, SpikingJelly's ``layer.Conv2d``/``layer.Linear``), qsnn's
:class:`~qsnn.layers.SpikeMatmul`, and bare ``@``/``torch.matmul``/``torch.bmm`` calls whose two
operands are both spike tensors (a Spikformer's ``Q K^T`` written inline). Layers called
through ``torch.nn.functional`` only (e.g. inside ``nn.MultiheadAttention``) are not seen.

Bit-width rules (observed; see :func:`spike_bits` and :func:`weight_bits`)
---------------------------------------------------------------------------
* Spikes: the distinct values a layer's input took, over the whole pass. Spikes are levels
  ``k*v`` on one grid (``v`` the threshold), so ``S = ceil(log2(max_k + 1))``: {0, 1} is 1 bit,
  {0, 1, 2, 3} 2 bits. An input with a negative value, values on no common grid, or more
  than 2**16 levels is real-valued: ``in_bits`` None, the encoding layer, costed as
  ``cost_table`` costs it (at the network's S under the primary convention). A layer that
  reads the caller's ``sample`` tensor itself (same storage) is the encoding layer even when
  the sample is on a grid (raw event counts, 8-bit pixels), as the paper counts it.
* Weights: ``n`` distinct values on one grid (``code * step``) need ``ceil(log2 n)`` bits
  (two values, ``+-alpha``, 1 bit); weights on no grid with codes below 2**15 (float weights,
  non-uniform codebooks) are full precision, costed as 16 bits (BF16, the paper's Table 1
  caption). For qsnn's ``QConv2d``/``QLinear`` the quantized (effective) weights are read.

Observation is a lower bound: one sample may not reach a layer's top spike level, and a small
layer may not use every weight code. So by default (``bits="declared"``) a layer that declares
its widths, as qsnn's layers do (``w_bits``, ``in_bits``), is costed at the declared ones,
which is what makes ``profile`` equal ``cost_table`` on qsnn's models; ``bits="observed"``
costs every layer at what was seen. The observed widths are always listed
(``observed_in_bits``, ``observed_w_bits``).

Time (the ``step_mode`` argument)
---------------------------------
* ``"multi"``: ``model(sample)`` once, ``sample`` is ``[T, B, ...]`` (SpikingJelly's multi-step
  mode, qsnn's ``SpikingNetwork`` given event frames); ``T = sample.shape[0]``.
* ``"single"``: ``sample`` is ``[T, B, ...]``; ``model(sample[t])`` for each ``t`` (snnTorch
  with ``init_hidden=True``, SpikingJelly's single-step mode: the model keeps its state).
* ``"repeat"``: ``model(sample)`` once on ``[B, ...]``; the model runs ``T`` steps itself (a
  ``SpikingNetwork`` given a static image, an snnTorch net looping over its ``num_steps``).
  ``T`` must be given unless the model has a W/S/T allocation.

``step_mode=None`` infers: a qsnn ``SpikingNetwork`` is ``"multi"`` for a 5-d sample and
``"repeat"`` otherwise, with its own T; a model holding a SpikingJelly multi-step module
(``step_mode == "m"``) is ``"multi"``; otherwise ``T=`` given means ``"single"``, and no ``T``
means one call of a one-step model (``"repeat"`` with ``T = 1``).

Neuron state (SpikingJelly memory modules, snnTorch neurons) is reset before and after the
pass, the model runs in eval mode under ``torch.no_grad()`` and its training flags are restored.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
from torch import nn
from torch.overrides import TorchFunctionMode

from qsnn.layers import QConv2d, QLinear, SpikeMatmul
from qsnn.metrics.cost import PAPER_CONVENTION, CostReport, CountingConvention, build_report, network_s_bits
from qsnn.metrics.trace import LayerTrace, count_params
from qsnn.wst import FULL_PRECISION_BITS

STEP_MODES = ("multi", "single", "repeat")
BIT_SOURCES = ("declared", "observed")
MAX_SPIKE_LEVEL = 2**16 - 1  # S <= 16 bits
MAX_WEIGHT_CODE = 2**15 - 1  # a signed 16-bit grid
CONV_TYPES = (nn.Conv1d, nn.Conv2d, nn.Conv3d)
MODULE_TYPES = (*CONV_TYPES, nn.Linear, SpikeMatmul)
MATMUL_FUNCS = {
    torch.matmul,
    torch.Tensor.matmul,
    torch.Tensor.__matmul__,
    torch.bmm,
    torch.Tensor.bmm,
    torch.mm,
    torch.Tensor.mm,
}
OBSERVED_COLUMNS = ["observed_in_bits", "observed_w_bits"]


# --- bit-widths from observed values --------------------------------------------------------


def _grid_tolerance(ratio: torch.Tensor) -> torch.Tensor:
    # A value k*v computed in float32 is off by a few ulps of k*v: 1e-3 of a step, plus the
    # float32 spacing at level k, so level 65535 of a threshold like 0.3 still fits.
    return 1e-3 + 4e-7 * ratio


def _approx_gcd(a: float, b: float) -> float:
    """Euclid on floats: stops when the remainder is float noise (< 1e-3 of the divisor)."""
    while b > 1e-3 * a:
        a, b = b, abs(a - round(a / b) * b)
    return a


def grid_unit(values: torch.Tensor, max_code: int) -> float | None:
    """The largest ``u`` with every value (positive, float64) an integer multiple of ``u``, codes <= ``max_code``.

    ``None`` when no such grid exists (real-valued data). Each refinement at least halves
    ``u``, so the loop ends after ~log2(max_code) rounds.
    """
    top = float(values.max())
    unit = float(values.min())
    while unit * max_code >= top * (1 - 1e-9):
        ratio = values / unit
        off = (ratio - ratio.round()).abs() > _grid_tolerance(ratio)
        if not off.any():
            return unit
        stray = float(values[off][0])
        unit = _approx_gcd(unit, abs(stray - round(stray / unit) * unit))
    return None


def spike_bits(levels: torch.Tensor) -> int | None:
    """Bit-width of spikes that took the distinct values ``levels``; ``None`` for a real-valued input."""
    levels = levels.double()
    if levels.numel() == 0 or bool((levels < 0).any()) or not bool(torch.isfinite(levels).all()):
        return None  # nothing seen, a negative value or inf/nan: not spikes
    positive = levels[levels > 0]
    if positive.numel() == 0:
        return 1  # all zeros: a silent input still needs one bit
    unit = grid_unit(positive, MAX_SPIKE_LEVEL)
    if unit is None:
        return None
    top = round(float(positive.max()) / unit)
    return max(1, math.ceil(math.log2(top + 1)))


def weight_bits(weight: torch.Tensor) -> int:
    """Bits of a weight tensor: ``ceil(log2 n)`` for ``n`` distinct values on one grid, else 16."""
    values = torch.unique(weight.detach()).double()  # unique before widening: half the bytes to sort
    if values.numel() > 2**FULL_PRECISION_BITS or not bool(torch.isfinite(values).all()):
        return FULL_PRECISION_BITS
    magnitudes = torch.unique(values.abs())
    magnitudes = magnitudes[magnitudes > 0]
    if magnitudes.numel() == 0 or values.numel() <= 2:
        return 1
    if grid_unit(magnitudes, MAX_WEIGHT_CODE) is None:
        return FULL_PRECISION_BITS  # float weights: costed as BF16, as the paper does
    return min(FULL_PRECISION_BITS, math.ceil(math.log2(values.numel())))


def effective_weight(module: nn.Module) -> torch.Tensor:
    """The weights a layer multiplies with: quantized for qsnn's layers, as stored otherwise."""
    if isinstance(module, (QConv2d, QLinear)):
        return module.quantizer(module.weight)
    return module.weight


# --- what one layer saw ------------------------------------------------------------------------


class _Levels:
    """Distinct values a tensor stream took; stops collecting once it is clearly real-valued."""

    def __init__(self):
        self.values: torch.Tensor | None = torch.empty(0, dtype=torch.float64)

    def add(self, x: torch.Tensor) -> None:
        if self.values is None:
            return
        new = torch.unique(x.detach()).double().cpu()
        if bool((new < 0).any()):
            self.values = None  # a negative input is never a spike
            return
        merged = torch.unique(torch.cat([self.values, new]))
        self.values = None if merged.numel() > MAX_SPIKE_LEVEL + 1 else merged

    def bits(self) -> int | None:
        return None if self.values is None else spike_bits(self.values)


@dataclass
class _Seen:
    name: str
    module: nn.Module | None  # None for a bare matmul
    kind: str
    macs: int = 0
    nonzero: int = 0
    total: int = 0
    reads_sample: bool = False
    inputs: _Levels = field(default_factory=_Levels)
    operand_b: _Levels | None = None  # the second spike operand of a product

    def record(self, x: torch.Tensor, macs: int, sample: torch.Tensor) -> None:
        self.macs += macs
        self.nonzero += int(torch.count_nonzero(x.detach()))
        self.total += x.numel()
        self.reads_sample |= _same_storage(x, sample)
        self.inputs.add(x)


def _same_storage(x: torch.Tensor, sample: torch.Tensor) -> bool:
    # Views of the sample (x[t], expand over T, flatten of [T, B]) share its storage.
    return x.untyped_storage().data_ptr() == sample.untyped_storage().data_ptr()


def _kind(module: nn.Module) -> str:
    if isinstance(module, SpikeMatmul):
        return "matmul"
    return "conv" if isinstance(module, CONV_TYPES) else "linear"


def _macs(module: nn.Module, inputs: tuple, output: torch.Tensor) -> int:
    """MACs of one call, over every sample and step in it (zero-padded taps included, as in ``cost_table``)."""
    if isinstance(module, CONV_TYPES):
        return output.numel() * (module.in_channels // module.groups) * math.prod(module.kernel_size)
    if isinstance(module, nn.Linear):
        return output.numel() * module.in_features
    return output.numel() * inputs[0].shape[-1]  # a @ b: one MAC per output and inner index


# --- bare spike x spike matmuls ----------------------------------------------------------------


class _MatmulWatch(TorchFunctionMode):
    """Sees every ``@``/``matmul``/``bmm`` and keeps those whose two operands are spikes.

    A product is named after the module whose forward issued it (``blocks.0.attn.matmul0``);
    one inside a hooked synaptic module (qsnn's ``SpikeMatmul``) is that module's own.
    """

    def __init__(self, profiler: _Profiler):
        super().__init__()
        self.profiler = profiler

    def __torch_function__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        if func in MATMUL_FUNCS and len(args) >= 2 and all(isinstance(a, torch.Tensor) for a in args[:2]):
            self.profiler.on_bare_matmul(args[0], args[1], out)
        return out


# --- the pass --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Plan:
    mode: str
    T: int
    batch: int
    frame_shape: tuple[int, ...]


class _Profiler:
    def __init__(self, model: nn.Module, sample: torch.Tensor):
        self.model, self.sample = model, sample
        self.names = {m: n for n, m in model.named_modules() if isinstance(m, MODULE_TYPES)}
        self.seen: dict[str, _Seen] = {}
        self.stack: list[list] = []  # [module name, products issued so far, is synaptic]
        self.not_spikes: set[str] = set()

    def _entry(self, name: str, module: nn.Module | None, kind: str) -> _Seen:
        if name not in self.seen:
            self.seen[name] = _Seen(name, module, kind)
        return self.seen[name]

    def on_layer(self, module: nn.Module, inputs: tuple, output) -> None:
        entry = self._entry(self.names[module], module, _kind(module))
        entry.record(inputs[0], _macs(module, inputs, output), self.sample)
        if isinstance(module, SpikeMatmul):
            entry.operand_b = entry.operand_b or _Levels()
            entry.operand_b.add(inputs[1])

    def on_bare_matmul(self, a: torch.Tensor, b: torch.Tensor, out: torch.Tensor) -> None:
        if not self.stack or self.stack[-1][2]:
            return  # outside the model, or a hooked layer's own product
        frame = self.stack[-1]
        name = f"{frame[0]}.matmul{frame[1]}" if frame[0] else f"matmul{frame[1]}"
        frame[1] += 1
        if name in self.not_spikes:
            return
        if spike_bits(torch.unique(a.detach())) is None or spike_bits(torch.unique(b.detach())) is None:
            self.not_spikes.add(name)  # a real-valued product (e.g. softmax @ V) is no synaptic operation
            self.seen.pop(name, None)
            return
        entry = self._entry(name, None, "matmul")
        entry.record(a, out.numel() * a.shape[-1], self.sample)
        entry.operand_b = entry.operand_b or _Levels()
        entry.operand_b.add(b)

    def _push(self, name: str, synaptic: bool):
        def hook(module, inputs):
            self.stack.append([name, 0, synaptic])

        return hook

    def _pop(self, module, inputs, output) -> None:
        self.stack.pop()

    def hooks(self) -> list:
        handles = [m.register_forward_hook(self.on_layer) for m in self.names]
        for name, m in self.model.named_modules():
            handles.append(m.register_forward_pre_hook(self._push(name, m in self.names)))
            handles.append(m.register_forward_hook(self._pop))
        return handles


def _reset_state(model: nn.Module) -> None:
    """Zero the neuron state that multi-call models keep between calls."""
    for m in model.modules():
        if hasattr(m, "_memories") and callable(getattr(m, "reset", None)):
            m.reset()  # SpikingJelly's MemoryModule (both the activation_based and clock_driven APIs)
        elif callable(getattr(m, "reset_mem", None)) and isinstance(getattr(m, "mem", None), torch.Tensor):
            m.reset_mem()  # snnTorch neurons keep `mem` when init_hidden=True


def _run(model: nn.Module, sample: torch.Tensor, plan: _Plan, profiler: _Profiler) -> None:
    training = {m: m.training for m in model.modules()}
    handles = profiler.hooks()
    model.eval()
    _reset_state(model)
    try:
        with torch.no_grad(), _MatmulWatch(profiler):
            if plan.mode == "single":
                for t in range(plan.T):
                    model(sample[t])
            else:
                model(sample)
    except (RuntimeError, TypeError, ValueError) as err:
        raise ValueError(
            f"running {type(model).__name__} on a sample of shape {tuple(sample.shape)} "
            f"(step_mode={plan.mode!r}, T={plan.T}) failed: {err}"
        ) from err
    finally:
        for h in handles:
            h.remove()
        _reset_state(model)
        for m, flag in training.items():
            m.training = flag


# --- time and batch ------------------------------------------------------------------------------


def _is_spiking_network(model: nn.Module) -> bool:
    from qsnn.models.base import SpikingNetwork

    return isinstance(model, SpikingNetwork)


def _infer_mode(model: nn.Module, sample: torch.Tensor, T: int | None) -> str:
    if _is_spiking_network(model):
        return "multi" if sample.dim() == 5 else "repeat"
    if any(getattr(m, "step_mode", None) == "m" for m in model.modules()):
        return "multi"
    return "single" if T is not None else "repeat"


def _steps(model: nn.Module, sample: torch.Tensor, T: int | None, mode: str, explicit: bool) -> int:
    model_T = int(model.wst.T) if getattr(model, "wst", None) is not None else None
    if mode in ("multi", "single"):
        if sample.dim() < 2:
            raise ValueError(f"step_mode={mode!r} needs a [T, B, ...] sample, got shape {tuple(sample.shape)}")
        steps = int(sample.shape[0])
        for name, other in (("T", T), ("the model's T", model_T)):
            if other is not None and other != steps:
                raise ValueError(f"the sample has {steps} time steps on its first axis but {name} is {other}")
        return steps
    if T is None and model_T is None and explicit:
        raise ValueError("step_mode='repeat' needs T= (the number of steps the model runs on its own)")
    return T if T is not None else (model_T or 1)  # inferred "repeat" without any T: one step


def _plan(model: nn.Module, sample: torch.Tensor, T: int | None, step_mode: str | None) -> _Plan:
    if step_mode is not None and step_mode not in STEP_MODES:
        raise ValueError(f"step_mode={step_mode!r}; use one of {STEP_MODES} or None to infer it")
    if T is not None and (not isinstance(T, int) or T < 1):
        raise ValueError(f"T={T!r} must be a positive number of time steps")
    mode = step_mode or _infer_mode(model, sample, T)
    steps = _steps(model, sample, T, mode, explicit=step_mode is not None)
    time_major = int(mode in ("multi", "single"))
    if sample.dim() < 1 + time_major:
        raise ValueError(f"sample of shape {tuple(sample.shape)} has no batch axis")
    return _Plan(mode, steps, int(sample.shape[time_major]), tuple(int(d) for d in sample.shape[1 + time_major :]))


# --- turning observations into a report --------------------------------------------------------


def _observed_w_bits(entry: _Seen) -> int:
    if entry.kind == "matmul":
        bits = entry.operand_b.bits() if entry.operand_b is not None else None
        return FULL_PRECISION_BITS if bits is None else bits
    with torch.no_grad():
        return weight_bits(effective_weight(entry.module))


def _observed_in_bits(entry: _Seen) -> int | None:
    return None if entry.reads_sample else entry.inputs.bits()


def _declared(module: nn.Module | None, attr: str, observed):
    # qsnn's layers (and any module that carries the attribute) declare their widths.
    if module is None or not hasattr(module, attr):
        return observed
    value = getattr(module, attr)
    return None if value is None else int(value)


def _params(module: nn.Module | None) -> int:
    if module is None or isinstance(module, SpikeMatmul):
        return 0
    return module.weight.numel() + (module.bias.numel() if module.bias is not None else 0)


def _trace(entry: _Seen, plan: _Plan, bits: str) -> tuple[LayerTrace, dict]:
    observed = {"observed_in_bits": _observed_in_bits(entry), "observed_w_bits": _observed_w_bits(entry)}
    in_bits, w_bits = observed["observed_in_bits"], observed["observed_w_bits"]
    if bits == "declared":
        in_bits = _declared(entry.module, "in_bits", in_bits)
        w_bits = _declared(entry.module, "w_bits", w_bits)
    trace = LayerTrace(
        entry.name,
        entry.kind,
        entry.macs / (plan.batch * plan.T),
        _params(entry.module),
        int(w_bits),
        in_bits,
        role=str(getattr(entry.module, "cost_role", "") or ""),
    )
    return trace, observed


def _model_w_bits(model: nn.Module, traces: list[LayerTrace]) -> int | None:
    """W for the paper's Params-in-16-bit-words: the allocation's, or the one W all layers share."""
    if getattr(model, "wst", None) is not None:
        return int(model.wst.w_bits)
    widths = {t.w_bits for t in traces if t.kind != "matmul"}
    return widths.pop() if len(widths) == 1 else None


def profile(
    model: nn.Module,
    sample: torch.Tensor,
    T: int | None = None,
    *,
    step_mode: str | None = None,
    bits: str = "declared",
    convention: CountingConvention = PAPER_CONVENTION,
) -> CostReport:
    """Params, MACs, SOPs, S-ACE and NS-ACE of any spiking ``model`` from one forward pass on ``sample``.

    ``sample``: ``[T, B, ...]`` or ``[B, ...]`` as ``step_mode`` says (module docstring: the rules
    for time, and for the observed bit-widths). ``bits``: ``"declared"`` (default) costs a layer
    that declares ``w_bits``/``in_bits`` at those, ``"observed"`` every layer at what it saw.
    The report's ``layers`` has ``cost_table``'s columns plus ``observed_in_bits`` and
    ``observed_w_bits``; ``firing_rate`` is each layer's fraction of non-zero inputs, so NS-ACE
    is always filled. Costs are per sample (MACs per sample and time step).
    """
    if not isinstance(model, nn.Module):
        raise ValueError(f"profile needs an nn.Module, got {type(model).__name__}")
    if not isinstance(sample, torch.Tensor):
        raise ValueError(f"sample must be a tensor, got {type(sample).__name__}")
    if bits not in BIT_SOURCES:
        raise ValueError(f"bits={bits!r}; use one of {BIT_SOURCES}")
    plan = _plan(model, sample, T, step_mode)
    profiler = _Profiler(model, sample)
    _run(model, sample, plan, profiler)
    if not profiler.seen:
        raise ValueError(_no_layer_message(model, profiler))
    pairs = [_trace(entry, plan, bits) for entry in profiler.seen.values()]
    traces = [t for t, _ in pairs]
    rates = {e.name: e.nonzero / e.total for e in profiler.seen.values() if e.total}
    report = build_report(
        traces,
        plan.T,
        network_s_bits(model, traces),
        count_params(model),
        _model_w_bits(model, traces),
        plan.frame_shape,
        convention,
        rates,
    )
    for column in OBSERVED_COLUMNS:
        report.layers[column] = [obs[column] for _, obs in pairs]
    return report


def _no_layer_message(model: nn.Module, profiler: _Profiler) -> str:
    kinds = "nn.Conv1d/2d/3d, nn.Linear, qsnn's SpikeMatmul or a spike x spike matmul"
    if not profiler.names:
        return f"{type(model).__name__} has no synaptic layer to count ({kinds})"
    return (
        f"none of {type(model).__name__}'s synaptic layers ran during the forward pass on the sample; "
        "check the sample shape and step_mode"
    )


__all__ = ["profile", "spike_bits", "weight_bits", "grid_unit", "STEP_MODES"]
