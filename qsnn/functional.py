"""Stateless helpers shared by neurons, layers, metrics and the hardware reference."""

from __future__ import annotations

import math
from typing import Callable

import torch


def seq_to_ann(fn: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """Apply a stateless per-sample ``fn`` to a multi-step tensor ``[T, B, ...]``.

    The time and batch axes are merged so that one call covers all steps.
    """
    T, B = x.shape[:2]
    y = fn(x.flatten(0, 1))
    return y.reshape(T, B, *y.shape[1:])


def spike_levels(s_bits: int) -> int:
    """Highest spike level of an S-bit spike, ``2**S - 1`` (S=1: binary)."""
    return 2**s_bits - 1


# ----------------------------------------------------------------------------- mixed precision
# Under ``torch.autocast`` (the GPU trainer's float16 AMP) the spike levels must stay exact.
# S-bit levels reach (2**S - 1) * v_th = 65535 v_th at S=16, while float16 holds integers
# exactly only up to 2**11 = 2048 and overflows past 65504 (bfloat16: exact up to 2**8), and a
# reduced-precision membrane rounds ``v / tau + x`` and flips ``floor`` near a level. So the
# neuron runs in float32 and returns float32 spikes; a synaptic layer casts them down only when
# its operands fit the autocast dtype (:func:`autocast_keeps_exact`, used by ``qsnn.layers``).
REDUCED_PRECISION = (torch.float16, torch.bfloat16)


def autocast_dtype(device_type: str) -> torch.dtype | None:
    """The dtype autocast casts to on ``device_type`` now; ``None`` when it is off (or the device has none, e.g. meta)."""
    if not torch.amp.is_autocast_available(device_type) or not torch.is_autocast_enabled(device_type):
        return None
    return torch.get_autocast_dtype(device_type)


def exact_integer_bits(dtype: torch.dtype) -> int:
    """``b`` such that ``dtype`` holds every integer in ``[0, 2**b]`` exactly (fp16: 11, bf16: 8, fp32: 24)."""
    return round(-math.log2(torch.finfo(dtype).eps)) + 1  # significand bits, the implicit one included


def autocast_keeps_exact(operand_bits: int | None, device_type: str) -> bool:
    """Whether autocast (if on) may cast a non-negative integer operand of ``operand_bits`` bits without rounding it.

    ``None`` means a real-valued operand (an image, an average): autocast's usual rounding applies.
    """
    dtype = autocast_dtype(device_type)
    return dtype is None or operand_bits is None or operand_bits <= exact_integer_bits(dtype)


def run_in_float32(fn: Callable[..., torch.Tensor], x: torch.Tensor, *args) -> torch.Tensor:
    """``fn(x, *args)`` with ``x`` upcast to float32 and autocast off, when reduced precision is around.

    The float32 path (no autocast, float32 or float64 input) calls ``fn`` directly: no
    context switch, bit-identical results. The upcast is differentiable, so the
    gradient reaches a float16 input as float32 rounded once to float16.
    """
    device_type = x.device.type
    if x.dtype not in REDUCED_PRECISION and autocast_dtype(device_type) is None:
        return fn(x, *args)
    with torch.autocast(device_type, enabled=False):
        return fn(upcast(x), *args)


def upcast(x: torch.Tensor) -> torch.Tensor:
    """``x`` in float32 if it is float16/bfloat16 (differentiably); float32/float64 unchanged."""
    return x.float() if x.dtype in REDUCED_PRECISION else x


def atan_surrogate_grad(x: torch.Tensor, alpha: float) -> torch.Tensor:
    """Derivative of ``atan(pi/2 * alpha * x) / pi + 1/2`` (SpikingJelly's ATan)."""
    return alpha / 2.0 / (1.0 + (math.pi / 2.0 * alpha * x) ** 2)


class MultiLevelSpike(torch.autograd.Function):
    """Paper Eq. 7, ``s = floor(v / v_th) * v_th`` clipped to ``[0, levels * v_th]``.

    Backward: a staircase is a sum of ``levels`` Heavisides at ``k * v_th``; its
    surrogate is the ATan surrogate of the *nearest* step only, so the cost is
    one elementwise op whatever S is. For S=1 this is exactly the usual ATan
    surrogate of ``H(v - v_th)``.
    """

    @staticmethod
    def forward(ctx, v: torch.Tensor, v_th: float, levels: int, alpha: float) -> torch.Tensor:
        ctx.save_for_backward(v)
        ctx.v_th, ctx.levels, ctx.alpha = v_th, levels, alpha
        return torch.clamp(torch.floor(v / v_th), 0, levels) * v_th

    @staticmethod
    def backward(ctx, grad_out: torch.Tensor):
        (v,) = ctx.saved_tensors
        u = v / ctx.v_th
        nearest_step = torch.clamp(torch.round(u), 1, ctx.levels)
        return grad_out * atan_surrogate_grad(u - nearest_step, ctx.alpha), None, None, None


def multilevel_spike(v: torch.Tensor, v_th: float, levels: int, alpha: float = 2.0) -> torch.Tensor:
    """Eq. 7 on ``v``, in float32 under autocast (see :func:`run_in_float32`)."""
    return run_in_float32(MultiLevelSpike.apply, v, v_th, levels, alpha)


class MultiStepLIF(torch.autograd.Function):
    """The whole T-step multi-bit LIF in one autograd node (forward and BPTT by hand).

    Forward per step: ``v = v / tau + x[t]``; ``s = MultiLevelSpike(v)``; reset
    (hard: ``v = v_reset`` where ``s > 0``; soft: ``v = v - s``). The reset is detached,
    as SpikingJelly's ``detach_reset=True``. Backward through time::

        dv[t]  = ds[t] * surrogate(v[t]) + dv_next
        dx[t]  = dv[t]
        dv_next for step t-1 = dv[t] / tau * (1 - fired[t-1])   (hard reset)
                             = dv[t] / tau                       (soft reset)

    One node instead of ~5 per step keeps memory at one saved membrane per step and
    avoids autograd bookkeeping, which dominates at these sizes.
    """

    @staticmethod
    def forward(ctx, x, tau: float, v_th: float, v_reset: float, levels: int, alpha: float, hard: bool):
        v = torch.full_like(x[0], v_reset)
        membrane, spikes = torch.empty_like(x), torch.empty_like(x)
        for t in range(x.shape[0]):
            v = torch.div(v, tau).add_(x[t])  # v / tau exactly as documented, not v * (1 / tau)
            membrane[t] = v
            s = spikes[t]  # a view: the level is written in place, no temporaries
            torch.div(v, v_th, out=s) if v_th != 1.0 else s.copy_(v)
            s.floor_().clamp_(0, levels)
            if v_th != 1.0:
                s.mul_(v_th)
            if hard:
                v.masked_fill_(s > 0, v_reset)
            else:
                v.sub_(s)
        ctx.save_for_backward(membrane, spikes)
        ctx.params = (tau, v_th, levels, alpha, hard)
        return spikes

    @staticmethod
    def backward(ctx, grad_spikes):
        membrane, spikes = ctx.saved_tensors
        tau, v_th, levels, alpha, hard = ctx.params
        grad_x = torch.empty_like(grad_spikes)
        carry = None
        for t in range(grad_spikes.shape[0] - 1, -1, -1):
            grad_v = grad_x[t]
            # distance to the nearest firing level, in units of v_th (S=1: the only level is 1)
            torch.div(membrane[t], v_th, out=grad_v) if v_th != 1.0 else grad_v.copy_(membrane[t])
            if levels == 1:
                grad_v.sub_(1.0)
            else:
                grad_v.sub_(torch.round(grad_v).clamp_(1, levels))
            # ATan surrogate, alpha/2 / (1 + (pi/2 * alpha * d)^2), computed in place
            grad_v.mul_(math.pi / 2.0 * alpha).square_().add_(1.0).reciprocal_().mul_(alpha / 2.0)
            grad_v.mul_(grad_spikes[t])
            if carry is not None:
                grad_v.add_(carry)
            carry = grad_v / tau
            if hard and t > 0:
                carry.masked_fill_(spikes[t - 1] > 0, 0.0)
        return grad_x, None, None, None, None, None, None


def multistep_lif(x, tau: float, v_th: float, v_reset: float, levels: int, alpha: float = 2.0, hard: bool = True):
    """Run the multi-bit LIF over ``x`` of shape ``[T, ...]`` (see :class:`MultiStepLIF`).

    Membrane and spikes are float32 whatever autocast does around the call: float16 would
    round levels above 2048 and overflow at S=16 (see :data:`REDUCED_PRECISION`).
    """
    return run_in_float32(MultiStepLIF.apply, x, tau, v_th, v_reset, levels, alpha, hard)


def lif_integer(
    psum: torch.Tensor,
    v_th: int,
    s_bits: int,
    leak_shift: int = 1,
    reset: str = "hard",
    v_reset: int = 0,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Integer (fixed-point) form of the multi-bit LIF neuron, the hardware reference.

    ``psum`` is ``[T, ...]`` of integers (the weighted presynaptic input, P_sum in
    the paper's Fig. 2). Per step::

        v = (v >> leak_shift) + psum[t]            # leak 1/tau with tau = 2**leak_shift, floor
        k = clamp(floor(v / v_th), 0, 2**S - 1)    # Eq. 7, spike level
        hard reset: v = v_reset where k > 0        # Eq. 6
        soft reset: v = v - k * v_th

    Returns ``(levels, membrane)``, both ``[T, ...]`` int64; ``membrane`` is after reset.
    The RTL neuron in ``hardware/rtl`` is checked bit-exact against this function.
    """
    if reset not in ("hard", "soft"):
        raise ValueError(f"reset={reset!r}: must be 'hard' or 'soft'")
    if v_th < 1:
        raise ValueError(f"v_th={v_th}: the integer threshold must be >= 1")
    psum = psum.to(torch.int64)
    top = spike_levels(s_bits)
    v = torch.full_like(psum[0], v_reset)
    levels, membrane = [], []
    for t in range(psum.shape[0]):
        v = (v >> leak_shift) + psum[t]
        k = torch.clamp(torch.div(v, v_th, rounding_mode="floor"), 0, top)
        v = torch.where(k > 0, torch.full_like(v, v_reset), v) if reset == "hard" else v - k * v_th
        levels.append(k)
        membrane.append(v)
    return torch.stack(levels), torch.stack(membrane)


def bitplanes(a: torch.Tensor, nbits: int) -> torch.Tensor:
    """Binary planes of a non-negative integer tensor: ``a == sum_t 2**t * planes[t]`` (Eq. 3)."""
    a = a.to(torch.int64)
    if (a < 0).any() or (a >= 2**nbits).any():
        raise ValueError(f"bitplanes: values must be integers in [0, 2**{nbits})")
    return torch.stack([(a >> t) & 1 for t in range(nbits)])


def from_bitplanes(planes: torch.Tensor) -> torch.Tensor:
    """Inverse of :func:`bitplanes` for any tensor of per-plane results (Eq. 3's right side)."""
    weights = torch.tensor([2.0**t for t in range(planes.shape[0])], dtype=planes.dtype if planes.is_floating_point() else torch.float64)
    shape = (-1,) + (1,) * (planes.dim() - 1)
    return (planes * weights.reshape(shape).to(planes.device)).sum(0)
