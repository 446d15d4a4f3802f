"""Shape tracing of synaptic layers on the meta device.

A model is run once on a ``meta`` tensor: every operation propagates shapes
but computes nothing, so a Spikformer-8-768 at 224x224 is traced in well
under a second and no real convolution is ever executed. Forward hooks on
:data:`qsnn.layers.SYNAPTIC_LAYERS` read each call's output shape and turn it
into multiply-accumulates (MACs).

The model's own parameters are never touched: the trace swaps in meta copies
of every parameter and buffer with :func:`torch.func.functional_call`.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from qsnn.layers import SYNAPTIC_LAYERS, QConv2d, QLinear, SpikeMatmul
from qsnn.quant import WeightQuantizer


@dataclass(frozen=True)
class LayerTrace:
    """One synaptic layer as seen by the trace.

    ``macs`` is per sample and per time step; ``params`` counts the layer's
    weight and bias (not its quantizer step, see :func:`count_params`).
    """

    name: str
    kind: str  # "conv" | "linear" | "matmul"
    macs: float
    params: int
    w_bits: int
    in_bits: int | None
    # The module's ``cost_role`` tag ("" when untagged; Spikformer: "attn-qkv", "attn-proj", "mlp").
    role: str = ""
    # MACs without the taps that fall on zero padding ("real synapses only"); equals ``macs``
    # for linear layers and products. Not used by any convention: an audit quantity
    # (see :mod:`qsnn.metrics`, "MACs include zero padding").
    macs_unpadded: float | None = None


def count_params(model: nn.Module) -> int:
    """Number of parameters, without the LSQ step sizes of the weight quantizers.

    The steps are one scalar per layer, folded into the requantization at
    inference like BatchNorm; the published counts (e.g. 21.79 M for
    SEW-ResNet-34) are those of the full-precision model, which has none.
    BatchNorm affine parameters are counted, as in the published counts.
    """
    skip = {id(p) for m in model.modules() if isinstance(m, WeightQuantizer) for p in m.parameters()}
    return sum(p.numel() for p in model.parameters() if id(p) not in skip)


def _layer_params(module: nn.Module) -> int:
    if isinstance(module, SpikeMatmul):
        return 0
    bias = module.bias.numel() if module.bias is not None else 0
    return module.weight.numel() + bias


def _macs_of_call(module: nn.Module, inputs: tuple, output: torch.Tensor) -> int:
    """MACs of one call, summed over every sample and time step in it."""
    if isinstance(module, QConv2d):
        kh, kw = module.kernel_size
        return output.numel() * (module.in_channels // module.groups) * kh * kw
    if isinstance(module, QLinear):
        return output.numel() * module.in_features
    if isinstance(module, SpikeMatmul):
        return output.numel() * inputs[0].shape[-1]  # inner dimension of a @ b
    raise TypeError(f"not a synaptic layer: {type(module).__name__}")


def real_taps(n_in: int, kernel: int, stride: int, padding: int, dilation: int, n_out: int) -> int:
    """Kernel taps, summed over the ``n_out`` output positions of one axis, that land inside the input."""
    return sum(1 for o in range(n_out) for k in range(kernel) if 0 <= o * stride - padding + k * dilation < n_in)


def _unpadded_macs_of_call(module: nn.Module, inputs: tuple, output: torch.Tensor) -> int:
    """MACs of one call counting only taps on real inputs (zero-padded taps left out)."""
    if not isinstance(module, QConv2d):
        return _macs_of_call(module, inputs, output)
    (kh, kw), (sh, sw), (dh, dw) = module.kernel_size, module.stride, module.dilation
    if isinstance(module.padding, str):  # "same"/"valid": fall back to the full count
        return _macs_of_call(module, inputs, output)
    ph, pw = module.padding
    (hin, win), (hout, wout) = inputs[0].shape[-2:], output.shape[-2:]
    taps = real_taps(hin, kh, sh, ph, dh, hout) * real_taps(win, kw, sw, pw, dw, wout)
    return output.numel() // (hout * wout) * (module.in_channels // module.groups) * taps


def _kind(module: nn.Module) -> str:
    return {QConv2d: "conv", QLinear: "linear", SpikeMatmul: "matmul"}[type(module)]


def model_time_steps(model: nn.Module) -> int:
    """T of a :class:`~qsnn.models.base.SpikingNetwork`, 1 for a plain module."""
    wst = getattr(model, "wst", None)
    return int(wst.T) if wst is not None else 1


def resolve_input_shape(model: nn.Module, input_shape) -> tuple[int, ...]:
    shape = input_shape if input_shape is not None else getattr(model, "input_shape", None)
    if shape is None:
        raise ValueError(
            "input_shape is required for a model without an .input_shape attribute; pass e.g. input_shape=(3, 32, 32)"
        )
    shape = tuple(int(d) for d in shape)
    if not shape or any(d <= 0 for d in shape):
        raise ValueError(f"input_shape {shape} must be positive sizes of one sample, e.g. (3, 224, 224)")
    return shape


def trace_layers(model: nn.Module, input_shape=None) -> list[LayerTrace]:
    """Run ``model`` on a meta batch of one sample and list its synaptic layers in call order.

    The batch is ``[1, *input_shape]``; a :class:`SpikingNetwork` repeats it over its
    T steps, so the summed MACs are divided by T to give MACs per time step.
    A layer called several times (e.g. once per time step) has its calls summed.
    """
    shape = resolve_input_shape(model, input_shape)
    steps = model_time_steps(model)
    names = {m: n for n, m in model.named_modules() if isinstance(m, SYNAPTIC_LAYERS)}
    if not names:
        raise ValueError(f"{type(model).__name__} has no synaptic layer (QConv2d, QLinear, SpikeMatmul) to count")
    macs: dict[nn.Module, int] = {}
    unpadded: dict[nn.Module, int] = {}

    def hook(module, inputs, output):
        macs[module] = macs.get(module, 0) + _macs_of_call(module, inputs, output)
        unpadded[module] = unpadded.get(module, 0) + _unpadded_macs_of_call(module, inputs, output)

    handles = [m.register_forward_hook(hook) for m in names]
    meta_state = {k: torch.empty_like(v, device="meta") for k, v in _state(model).items()}
    try:
        with torch.no_grad():
            torch.func.functional_call(model, meta_state, (torch.empty((1, *shape), device="meta"),))
    except (RuntimeError, NotImplementedError) as err:
        raise ValueError(
            f"tracing {type(model).__name__} on the meta device with input {shape} failed: {err}. "
            "Check that input_shape fits the architecture and that forward uses no data-dependent Python values"
        ) from err
    finally:
        for h in handles:
            h.remove()
    return [
        LayerTrace(
            names[m],
            _kind(m),
            n / steps,
            _layer_params(m),
            int(m.w_bits),
            None if m.in_bits is None else int(m.in_bits),
            role=str(getattr(m, "cost_role", "") or ""),
            macs_unpadded=unpadded[m] / steps,
        )
        for m, n in macs.items()
    ]


def _state(model: nn.Module) -> dict[str, torch.Tensor]:
    state = dict(model.named_parameters(remove_duplicate=False))
    state.update(dict(model.named_buffers(remove_duplicate=False)))
    return state
