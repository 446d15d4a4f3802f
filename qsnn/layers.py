"""Quantized, multi-step layers.

Every synaptic layer (:class:`QConv2d`, :class:`QLinear`, :class:`SpikeMatmul`)
carries the two bit-widths that the cost metrics need:

* ``w_bits``: bit-width of its weights (or of its second operand for a spike x
  spike product);
* ``in_bits``: bit-width of its input spikes, or ``None`` when the input is
  real-valued (the encoding layer that sees the image or the event frames).

Architectures set both; ``qsnn.metrics`` reads them, so a new architecture needs
no hand counting.

Mixed precision: ``in_bits`` also decides whether a layer may run under autocast.
Spike levels up to ``2**11`` are exact in float16 (``2**8`` in bfloat16), so layers fed
by wider spikes (S >= 12, e.g. the paper's 1/16/1 runs) run in float32 with autocast
off: float16 would round their levels and turn 65535 into inf. Narrower spikes keep
AMP's speed.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

from qsnn.functional import autocast_keeps_exact, run_in_float32, seq_to_ann, upcast
from qsnn.quant import WeightQuantizer


class QConv2d(nn.Conv2d):
    """Conv2d with W-bit weights; accepts ``[T, B, C, H, W]`` or ``[N, C, H, W]``."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size, *, w_bits: int, in_bits: int | None, **kwargs):
        super().__init__(in_channels, out_channels, kernel_size, **kwargs)
        self.w_bits, self.in_bits = w_bits, in_bits
        self.quantizer = WeightQuantizer(w_bits, self.weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if autocast_keeps_exact(spike_operand_bits(self), x.device.type):
            return self._forward(x)
        return run_in_float32(self._forward, x)

    def _forward(self, x: torch.Tensor) -> torch.Tensor:
        weight = self.quantizer(self.weight)
        conv = lambda z: self._conv_forward(z, weight, self.bias)  # noqa: E731
        return seq_to_ann(conv, x) if x.dim() == 5 else conv(x)


class QLinear(nn.Linear):
    """Linear with W-bit weights over the last axis of any ``[..., in_features]`` tensor."""

    def __init__(self, in_features: int, out_features: int, *, w_bits: int, in_bits: int | None, bias: bool = True):
        super().__init__(in_features, out_features, bias=bias)
        self.w_bits, self.in_bits = w_bits, in_bits
        self.quantizer = WeightQuantizer(w_bits, self.weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if autocast_keeps_exact(spike_operand_bits(self), x.device.type):
            return self._forward(x)
        return run_in_float32(self._forward, x)

    def _forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, self.quantizer(self.weight), self.bias)


class SpikeMatmul(nn.Module):
    """``a @ b`` between two spike tensors (Spikformer's Q K^T and (Q K^T) V).

    A module, not a bare ``@``, so the cost metrics can see and count it:
    ``in_bits`` is the bit-width of ``a`` and ``w_bits`` that of ``b``.
    """

    def __init__(self, *, a_bits: int, b_bits: int):
        super().__init__()
        self.in_bits, self.w_bits = a_bits, b_bits

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        if autocast_keeps_exact(self.product_bits(a.shape[-1]), a.device.type):
            return a @ b
        return run_in_float32(lambda a32: a32 @ upcast(b), a)

    def product_bits(self, inner: int) -> int:
        """Bits of the worst-case integer ``a @ b``: ``inner`` products of an a-bit and a b-bit level.

        The product of spikes is an integer that float16 overflows (S=8: 255**2 x 32 terms
        > 65504) or rounds (above 2048) even when both operands are exact; so AMP keeps
        only products that fit, e.g. S=1 attention, and the rest run in float32.
        """
        return self.in_bits + self.w_bits + math.ceil(math.log2(max(inner, 1)))

    def extra_repr(self) -> str:
        return f"a_bits={self.in_bits}, b_bits={self.w_bits}"


def spike_operand_bits(layer: nn.Module) -> int | None:
    """Bits of the integer spike operand entering ``layer``; ``None`` for a real-valued input.

    ``in_bits`` widened by the ``in_terms`` S-bit tensors summed in the input (Spikformer's
    residual stream): ``n`` terms below ``2**S`` sum to below ``2**(S + ceil(log2 n))``.
    """
    if layer.in_bits is None:
        return None
    return layer.in_bits + math.ceil(math.log2(getattr(layer, "in_terms", 1)))


class MultiStep(nn.Module):
    """Wrap a stateless per-sample module (BatchNorm, pooling, ...) for ``[T, B, ...]`` input."""

    def __init__(self, module: nn.Module):
        super().__init__()
        self.module = module

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return seq_to_ann(self.module, x)


SYNAPTIC_LAYERS = (QConv2d, QLinear, SpikeMatmul)
