"""Weight quantization, paper Eq. 5: ``w_q = round(w / Delta) * Delta``.

Symmetric, per-tensor, with a straight-through estimator (STE) for the rounding.

* ``W >= 16``: full precision; the weight passes through unchanged. The cost
  metrics count it as BF16 (16 bits), as the paper's Table 1 does.
* ``2 <= W <= 15``: the integer grid is ``{-qmax, ..., qmax}`` with
  ``qmax = 2**(W-1) - 1`` (symmetric, so one code of the two's complement range
  is unused and zero is exact). The step ``Delta`` is learned as in LSQ
  (Esser et al., ICLR 2020) because a fixed max-abs step sends most weights of a
  2-bit (ternary) layer to zero. The paper's normalization (quantized weights
  in [-1, 1]) is the same grid divided by ``qmax * Delta``; the scale is folded
  into the following BatchNorm, so only the integer codes matter to hardware.
* ``W = 1``: binary ``sign(w) * alpha`` with ``alpha = mean(|w|)``. This is the
  XNOR-Net scale (Rastegari et al., 2016): it is the closed-form minimizer of
  ``||w - alpha * sign(w)||^2``, needs no extra parameter, and is exactly what a
  BN-folded binary layer computes up to the folded scale.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from qsnn.wst import FULL_PRECISION_BITS, W_RANGE, check_int_in_range


def round_ste(x: torch.Tensor) -> torch.Tensor:
    """Round in the forward pass, identity gradient in the backward pass."""
    return x + (torch.round(x) - x).detach()


def sign_ste(x: torch.Tensor) -> torch.Tensor:
    """sign(x) with sign(0)=+1, and a clipped-identity gradient (|x| <= 1)."""
    forward = torch.where(x >= 0, torch.ones_like(x), -torch.ones_like(x))
    clipped = x.clamp(-1.0, 1.0)
    return clipped + (forward - clipped).detach()


def grad_scale(x: torch.Tensor, scale: float) -> torch.Tensor:
    """Identity in the forward pass; multiplies the gradient by ``scale`` (LSQ)."""
    return (x - x * scale).detach() + x * scale


def qmax_for(bits: int) -> int:
    """Largest integer code of a symmetric ``bits``-bit grid (``bits >= 2``)."""
    return 2 ** (bits - 1) - 1


def initial_step(weight: torch.Tensor, bits: int) -> torch.Tensor:
    """LSQ's initial step, ``2 * mean|w| / sqrt(qmax)``."""
    return 2.0 * weight.detach().abs().mean() / math.sqrt(qmax_for(bits))


def quantize_weight(weight: torch.Tensor, bits: int, step: torch.Tensor | None = None) -> torch.Tensor:
    """Fake-quantize ``weight`` to ``bits`` bits (Eq. 5), with STE gradients.

    ``step`` is required for 2..15 bits and ignored otherwise.
    """
    bits = check_int_in_range("W", bits, *W_RANGE, "weight bit-width")
    if bits >= FULL_PRECISION_BITS:
        return weight
    if bits == 1:
        alpha = weight.abs().mean()
        return sign_ste(weight) * alpha
    if step is None:
        raise ValueError(f"a {bits}-bit weight quantizer needs a step size")
    qmax = qmax_for(bits)
    step = grad_scale(step.abs() + 1e-12, 1.0 / math.sqrt(weight.numel() * qmax))
    return round_ste(torch.clamp(weight / step, -qmax, qmax)) * step


def weight_codes(
    weight: torch.Tensor, bits: int, step: torch.Tensor | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Integer codes and scale of a quantized weight: ``w_q == codes * scale``.

    Used by the hardware reference; only defined for ``bits < 16``.
    """
    bits = check_int_in_range("W", bits, *W_RANGE, "weight bit-width")
    if bits >= FULL_PRECISION_BITS:
        raise ValueError("W=16 is full precision and has no integer codes; use W in [1, 15]")
    with torch.no_grad():
        if bits == 1:
            codes = torch.where(weight >= 0, 1, -1).to(torch.int64)
            return codes, weight.abs().mean()
        qmax = qmax_for(bits)
        scale = step.abs() + 1e-12
        codes = torch.clamp(torch.round(weight / scale), -qmax, qmax).to(torch.int64)
        return codes, scale


class WeightQuantizer(nn.Module):
    """Holds the (learned) step of one layer's weight quantizer."""

    def __init__(self, bits: int, weight: torch.Tensor):
        super().__init__()
        self.bits = check_int_in_range("W", bits, *W_RANGE, "weight bit-width")
        if 2 <= self.bits < FULL_PRECISION_BITS:
            # The step is a quantizer parameter, not a weight: cost metrics do not count it
            # (it folds into the next BatchNorm at deployment).
            self.step = nn.Parameter(initial_step(weight, self.bits).reshape(1))
        else:
            self.register_parameter("step", None)

    def forward(self, weight: torch.Tensor) -> torch.Tensor:
        return quantize_weight(weight, self.bits, self.step)

    def extra_repr(self) -> str:
        return f"bits={self.bits}"
