"""Quantized, multi-step layers.

Every synaptic layer (:class:`QConv2d`, :class:`QLinear`, :class:`SpikeMatmul`)
carries the two bit-widths that the cost metrics need:

* ``w_bits``: bit-width of its weights (or of its second operand for a spike x
  spike product);
* ``in_bits``: bit-width of its input spikes, or ``None`` when the input is
  real-valued (the encoding layer that sees the image or the event frames).

Architectures set both; ``qsnn.metrics`` reads them, so a new architecture needs
no hand counting.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from qsnn.functional import seq_to_ann
from qsnn.quant import WeightQuantizer


class QConv2d(nn.Conv2d):
    """Conv2d with W-bit weights; accepts ``[T, B, C, H, W]`` or ``[N, C, H, W]``."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size, *, w_bits: int, in_bits: int | None, **kwargs):
        super().__init__(in_channels, out_channels, kernel_size, **kwargs)
        self.w_bits, self.in_bits = w_bits, in_bits
        self.quantizer = WeightQuantizer(w_bits, self.weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
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
        return a @ b

    def extra_repr(self) -> str:
        return f"a_bits={self.in_bits}, b_bits={self.w_bits}"


class MultiStep(nn.Module):
    """Wrap a stateless per-sample module (BatchNorm, pooling, ...) for ``[T, B, ...]`` input."""

    def __init__(self, module: nn.Module):
        super().__init__()
        self.module = module

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return seq_to_ann(self.module, x)


SYNAPTIC_LAYERS = (QConv2d, QLinear, SpikeMatmul)
