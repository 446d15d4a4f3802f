"""Stateless helpers shared by neurons, layers, metrics and the hardware reference."""

from __future__ import annotations

import math
from typing import Callable

import numpy as np
import torch
from torch.nn import functional as F


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


# ----------------------------------------------------------------------------- the multi-step LIF
# The neuron is memory-bound: per element it does a few flops but each torch op is a full pass
# over [T, B, ...]. Three implementations of one arithmetic, bit-identical to each other (tests):
#
# * ``fused`` (CPU, default when numba is importable): one compiled loop per direction. Forward
#   reads x and writes the spikes (one pass each, nothing else saved: backward recomputes the
#   membrane from x, which costs flops, not memory traffic); backward reads x and the incoming
#   gradient and writes the input gradient. numba compiles the two kernels once per dtype into
#   its on-disk cache (seconds the first time); a process then pays about a second to import numba
#   and load them. Several threads split the columns (torch's thread count).
# * ``torch`` (other devices, or without numba): in-place torch ops, 2 per time step forward and
#   ~10 whole-tensor passes backward (the surrogate of every step at once, then one fused
#   multiply-add per step for the carry). The membrane is kept negated, n = -m, because
#   ``threshold(n, -v_th, -v_reset)`` is the hard reset in one op (``where`` needs a mask first).
# * ``graph`` (inside ``torch.compile``): the same ops written out of place, so dynamo traces the
#   T loop (unrolled, no data-dependent Python control flow) and inductor fuses it.
#
# Arithmetic shared by all three (float32 or float64), per step:
#   m = v / tau + x[t];  k = clamp(floor(m / v_th), 0, L);  s = k * v_th
#   hard: v = v_reset if m >= v_th else m;  soft: v = m - s
# (m >= v_th <=> floor(m / v_th) >= 1 for a normal v_th > 0: m / v_th rounds to 1 only from m >= v_th.)
# Backward, per step from the last: d = m / v_th - clamp(round(m / v_th), 1, L) (nearest level),
#   g = (1 / (1 + (c * d)^2)) * (alpha / 2) * grad_s[t] + carry,  c = pi / 2 * alpha  (ATan)
#   carry for step t-1 = g / tau, or 0 where step t-1 fired under a hard reset (detached reset).
KERNELS = ("auto", "fused", "torch", "graph")
# Smaller tensors stay on torch ops, where a kernel call's fixed costs would eat the gain; also the
# fewest columns a helper thread of the fused kernel gets.
FUSED_MIN_ELEMENTS = 1 << 14
_FUSED_CHUNK = 4096  # elements one thread sweeps through all T steps (its state stays in L1/L2)
_FUSED_SCRATCH = 1 << 16  # backward's per-block membranes over T steps (256 KiB in float32)


def _scalar(value: float, like: torch.Tensor) -> torch.Tensor:
    """A 0-dim tensor in ``like``'s dtype and device (ternary ops want a tensor operand)."""
    return torch.full((), value, dtype=like.dtype, device=like.device)


def _is_power_of_two(value: float) -> bool:
    return value > 0 and math.frexp(value)[0] == 0.5


def _levels_of_negated(n: torch.Tensor, v_th: float, levels: int, out: torch.Tensor) -> torch.Tensor:
    """``clamp(floor(m / v_th), 0, L) * v_th`` for ``m = -n``, written into ``out`` (2-4 passes)."""
    if levels == 1:
        torch.le(n, -v_th, out=out)  # m >= v_th, written as 0/1 in out's dtype
    else:
        # 0 - n is m, except that both zeros give +0, the zero the positive form computes (a -0
        # level would change the sign of zeros downstream). Clamping before the floor is the same
        # for integer bounds, and m < 0 then gives the bound +0 as floor-then-clamp does.
        torch.sub(_scalar(0.0, n), n, out=out)
        if v_th != 1.0:
            out.div_(v_th)
        out.clamp_(0, levels).floor_()
    return out.mul_(v_th) if v_th != 1.0 else out


def _forward_torch(x: torch.Tensor, tau, v_th, v_reset, levels, hard) -> tuple[torch.Tensor, torch.Tensor]:
    """Spikes and the negated pre-reset membrane ``n = -m`` (what backward needs), in place."""
    T = x.shape[0]
    n = torch.neg(x, out=torch.empty_like(x))
    if v_reset != 0.0 and T:
        n[0].sub_(float(_scalar(v_reset, x) / tau))  # m[0] = v_reset / tau + x[0], in x's dtype
    spikes = torch.empty_like(
        x
    )  # x's memory layout: the next layer's kernels (and so its rounding) see what they always saw
    tau_t, w = _scalar(tau, x), None  # w = -v, the negated membrane after the reset
    for t in range(T):
        if t > 0:
            n[t].addcdiv_(w, tau_t)  # -x[t] + (-v) / tau = -(v / tau + x[t]), exactly
        if t + 1 < T:
            if hard:
                w = F.threshold(n[t], -v_th, -v_reset)  # keeps -m where m < v_th, else -v_reset
            else:
                w = torch.add(n[t], _levels_of_negated(n[t], v_th, levels, spikes[t]))  # -(m - s)
    if hard:
        _levels_of_negated(n, v_th, levels, spikes)  # every step at once
    elif T:
        _levels_of_negated(n[-1], v_th, levels, spikes[-1])
    return spikes, n


def _backward_torch(n: torch.Tensor, grad_spikes: torch.Tensor, tau, v_th, levels, alpha, hard) -> torch.Tensor:
    g = torch.empty_like(grad_spikes)  # the incoming gradient's layout, for the same reason
    u = n if v_th == 1.0 else torch.div(n, v_th)  # -m / v_th
    if levels == 1:
        torch.add(u, 1.0, out=g)  # -(distance to the level 1)
    else:
        torch.sub(u, torch.clamp(u, -levels, -1).round_(), out=g)  # -(distance to the nearest level)
    # ATan surrogate alpha/2 / (1 + (c d)^2), the sign of d squared away; in place, every step at once
    g.mul_(math.pi / 2.0 * alpha).square_().add_(1.0).reciprocal_()
    if alpha != 2.0:
        g.mul_(alpha / 2.0)
    g.mul_(grad_spikes)
    T = n.shape[0]
    if T < 2:
        return g
    if not hard:
        tau_t = _scalar(tau, n)
        for t in range(T - 1, 0, -1):
            g[t - 1].addcdiv_(g[t], tau_t)
        return g
    # Where step t-1 fired the carry is a masked +0, and a product with a 0 mask would be -0 for
    # a negative g: so first add +0 there (it turns a local -0 into the +0 that "local + masked
    # +0" gives) and -0 elsewhere (adding -0 changes nothing), then add the product.
    if _is_power_of_two(tau):  # g * (1/tau) is exactly g / tau: one multiply-add per step
        mask = torch.le(n[:-1], -v_th, out=torch.empty_like(n[:-1])).sub_(1.0)  # -1 kept, +0 fired
        g[:-1].addcmul_(mask, _scalar(0.0, n))  # -1 * 0 = -0 where kept, +0 * 0 = +0 where fired
        for t in range(T - 1, 0, -1):
            g[t - 1].addcmul_(g[t], mask[t - 1], value=-1.0 / tau)
    else:  # g / tau exactly, and g / inf = 0 where step t-1 fired
        fired = torch.le(n[:-1], -v_th)
        g[:-1].add_(torch.where(fired, _scalar(0.0, n), _scalar(-0.0, n)))
        divisor = torch.where(fired, _scalar(math.inf, n), _scalar(tau, n))
        for t in range(T - 1, 0, -1):
            g[t - 1].addcdiv_(g[t], divisor[t - 1])
    return g


def _forward_graph(x: torch.Tensor, tau, v_th, v_reset, levels, hard) -> tuple[torch.Tensor, torch.Tensor]:
    """:func:`_forward_torch` out of place (no views written), for dynamo to trace."""
    tau_t, neg_x = _scalar(tau, x), torch.neg(x)
    w = torch.neg(_scalar(v_reset, x))
    membranes, spikes = [], []
    for t in range(x.shape[0]):
        n = torch.addcdiv(neg_x[t], w, tau_t)
        s = _graph_levels(n, v_th, levels)
        w = F.threshold(n, -v_th, -v_reset) if hard else n + s
        membranes.append(n)
        spikes.append(s)
    return torch.stack(spikes), torch.stack(membranes)


def _graph_levels(n: torch.Tensor, v_th: float, levels: int) -> torch.Tensor:
    if levels == 1:
        s = torch.le(n, -v_th).to(n.dtype)
    else:
        m = 0.0 - n  # +0 for both zeros, as in _levels_of_negated
        s = torch.floor(torch.clamp(m if v_th == 1.0 else m / v_th, 0, levels))
    return s * v_th if v_th != 1.0 else s


def _backward_graph(n: torch.Tensor, grad_spikes: torch.Tensor, tau, v_th, levels, alpha, hard) -> torch.Tensor:
    u = n if v_th == 1.0 else n / v_th
    d = u + 1.0 if levels == 1 else u - torch.round(torch.clamp(u, -levels, -1))
    sg = torch.reciprocal(torch.square(d * (math.pi / 2.0 * alpha)) + 1.0)
    if alpha != 2.0:
        sg = sg * (alpha / 2.0)
    local = sg * grad_spikes
    grads = [local[-1]]
    for t in range(n.shape[0] - 1, 0, -1):
        carry = grads[-1] / tau
        if hard:
            carry = torch.where(n[t - 1] > -v_th, carry, torch.zeros_like(carry))
        grads.append(local[t - 1] + carry)
    return torch.stack(grads[::-1])


# numba kernels. Plain functions here, compiled on first use by :func:`_fused_kernels` (importing
# numba costs ~0.3 s, which runs that never meet a large CPU tensor need not pay). Constants arrive
# in the tensor's dtype: a Python float inside the loop would promote float32 arithmetic to float64.
# Divisions dominate these loops, so the two that are exact without dividing are skipped: by
# v_th == 1, and by a power-of-two tau (v * (1/tau) then rounds to exactly v / tau).
def _fused_forward_py(x, s, begin, end, tau, inv_tau, tau_pow2, v_th, v_reset, levels, hard):  # pragma: no cover
    T = x.shape[0]
    zero = s.dtype.type(0)
    unit = v_th == 1
    v = np.empty(_FUSED_CHUNK, dtype=x.dtype)
    for lo in range(begin, end, _FUSED_CHUNK):
        n = min(end, lo + _FUSED_CHUNK) - lo
        for j in range(n):
            v[j] = v_reset
        for t in range(T):
            xr = x[t, lo : lo + n]
            sr = s[t, lo : lo + n]
            for j in range(n):
                m = (v[j] * inv_tau if tau_pow2 else v[j] / tau) + xr[j]
                k = min(max(np.floor(m if unit else m / v_th), zero), levels) * v_th
                sr[j] = k
                if hard:
                    v[j] = v_reset if m >= v_th else m
                else:
                    v[j] = m - k


def _fused_backward_py(
    x, gs, gx, begin, end, tau, inv_tau, tau_pow2, v_th, v_reset, levels, c, half_alpha, hard
):  # pragma: no cover
    T = x.shape[0]
    zero, one = x.dtype.type(0), x.dtype.type(1)
    unit = v_th == 1
    # The membranes of one block of columns over all T steps stay in a cache-sized scratch
    # (separate from gx, so the compiler sees no aliasing and vectorises the loops).
    width = max(16, min(_FUSED_CHUNK, _FUSED_SCRATCH // max(T, 1)))
    m = np.empty((T, width), dtype=x.dtype)
    v = np.empty(width, dtype=x.dtype)
    carry = np.empty(width, dtype=x.dtype)
    for lo in range(begin, end, width):
        n = min(end, lo + width) - lo
        for j in range(n):
            v[j] = v_reset
        for t in range(T):  # the forward again
            xr = x[t, lo : lo + n]
            mt = m[t]
            for j in range(n):
                mm = (v[j] * inv_tau if tau_pow2 else v[j] / tau) + xr[j]
                mt[j] = mm
                if hard:
                    v[j] = v_reset if mm >= v_th else mm
                else:
                    v[j] = mm - min(max(np.floor(mm if unit else mm / v_th), zero), levels) * v_th
        for j in range(n):
            carry[j] = -zero  # the last step's gradient is its local term alone, sign of zero kept
        for t in range(T - 1, -1, -1):
            mt = m[t]
            gr = gs[t, lo : lo + n]
            out = gx[t, lo : lo + n]
            for j in range(n):
                u = mt[j] if unit else mt[j] / v_th
                d = c * (u - min(max(np.rint(u), one), levels))
                out[j] = one / (d * d + one) * half_alpha * gr[j] + carry[j]
            if t > 0:
                prev = m[t - 1]
                for j in range(n):
                    through = out[j] * inv_tau if tau_pow2 else out[j] / tau
                    # hard reset: detached, no gradient through a step that fired
                    carry[j] = zero if hard and prev[j] >= v_th else through


_FUSED = None
_POOL: dict = {}  # helper threads for the fused kernels, by count; created on first multi-threaded use


def _fused_kernels():
    """``(forward, backward)`` numba kernels, or ``None`` without numba (then the torch ops run)."""
    global _FUSED
    if _FUSED is None:
        try:
            import numba
        except ImportError:
            _FUSED = False
            return None
        # Serial kernels (nogil) split over plain threads by _run_split: numba's own parallel
        # layer (OpenMP) would spin-wait beside torch's OpenMP pool and slow every other op.
        # error_model="numpy": no per-element zero-divisor check (a branch that stops vectorisation)
        jit = numba.njit(cache=True, nogil=True, error_model="numpy")
        _FUSED = (jit(_fused_forward_py), jit(_fused_backward_py))
    return _FUSED or None


def _run_split(kernel, arrays: tuple, n: int, constants: tuple) -> None:
    """``kernel(*arrays, begin, end, *constants)`` over columns ``[0, n)``, split over torch's thread count."""
    parts = max(1, min(torch.get_num_threads(), n // FUSED_MIN_ELEMENTS))
    if parts == 1:
        kernel(*arrays, 0, n, *constants)
        return
    if parts - 1 not in _POOL:
        from concurrent.futures import ThreadPoolExecutor

        _POOL[parts - 1] = ThreadPoolExecutor(max_workers=parts - 1, thread_name_prefix="qsnn-lif")
    bounds = [(n * i // parts // _FUSED_CHUNK) * _FUSED_CHUNK for i in range(parts)] + [n]
    futures = [_POOL[parts - 1].submit(kernel, *arrays, bounds[i], bounds[i + 1], *constants) for i in range(1, parts)]
    kernel(*arrays, bounds[0], bounds[1], *constants)  # this thread takes the first part
    for future in futures:
        future.result()


def _memory_rows(t: torch.Tensor) -> np.ndarray | None:
    """``t`` as a ``[T, N]`` NumPy view in memory order (no copy), or None unless ``t`` is dense with time outermost.

    Dense permuted layouts (channels-last, transposed heads) qualify: the neuron is elementwise
    apart from time, so any order of the other elements will do, as long as every tensor of one
    kernel call shares it (equal strides).
    """
    t = t.detach()
    order = [0] + sorted(range(1, t.dim()), key=lambda d: -t.stride(d))
    flat = t.permute(order)
    return flat.reshape(t.shape[0], -1).numpy() if t.dim() and flat.is_contiguous() else None


def _fused_call(kernel, tensors: tuple[torch.Tensor, ...], constants: tuple) -> None:
    """``kernel`` over tensors of one shape; the last is written. Copies only for mixed or gappy layouts."""
    rows = [_memory_rows(t) for t in tensors]
    if any(r is None for r in rows) or len({t.stride() for t in tensors}) > 1:
        work = [t.contiguous() for t in tensors[:-1]] + [
            torch.empty_like(tensors[-1], memory_format=torch.contiguous_format)
        ]
        _fused_call(kernel, tuple(work), constants)
        tensors[-1].copy_(work[-1])
        return
    _run_split(kernel, tuple(rows), rows[0].shape[1], constants)


class MultiStepLIF(torch.autograd.Function):
    """The whole T-step multi-bit LIF in one autograd node (forward and BPTT by hand).

    Forward per step: ``v = v / tau + x[t]``; ``s = MultiLevelSpike(v)``; reset
    (hard: ``v = v_reset`` where ``s > 0``; soft: ``v = v - s``). The reset is detached,
    as SpikingJelly's ``detach_reset=True``. Backward through time::

        dv[t]  = ds[t] * surrogate(v[t]) + dv_next
        dx[t]  = dv[t]
        dv_next for step t-1 = dv[t] / tau * (1 - fired[t-1])   (hard reset)
                             = dv[t] / tau                       (soft reset)

    One node instead of ~5 per step avoids autograd bookkeeping, which dominates at these
    sizes. ``kernel`` picks the implementation (see the comment above ``KERNELS``); all give
    the same bits.
    """

    @staticmethod
    def forward(ctx, x, tau: float, v_th: float, v_reset: float, levels: int, alpha: float, hard: bool, kernel: str):
        ctx.params = (tau, v_th, v_reset, levels, alpha, hard, kernel)
        if kernel == "fused":
            spikes = torch.empty_like(x)  # x's memory layout, as the torch kernel
            _fused_call(_fused_kernels()[0], (x, spikes), (*_constants(x, tau, v_th, v_reset, levels), hard))
            ctx.save_for_backward(x)  # backward recomputes the membrane: one tensor fewer written
            return spikes
        spikes, n = (_forward_graph if kernel == "graph" else _forward_torch)(x, tau, v_th, v_reset, levels, hard)
        ctx.save_for_backward(n)
        return spikes

    @staticmethod
    def backward(ctx, grad_spikes):
        (saved,) = ctx.saved_tensors
        tau, v_th, v_reset, levels, alpha, hard, kernel = ctx.params
        if kernel == "fused":
            grad_x = torch.empty_like(grad_spikes)  # its layout, as the torch kernel
            constants = _constants(saved, tau, v_th, v_reset, levels)
            dtype = type(constants[0])
            _fused_call(
                _fused_kernels()[1],
                (saved, grad_spikes.to(saved.dtype), grad_x),
                (*constants, dtype(math.pi / 2.0 * alpha), dtype(alpha / 2.0), hard),
            )
        else:
            grad_x = (_backward_graph if kernel == "graph" else _backward_torch)(
                saved, grad_spikes, tau, v_th, levels, alpha, hard
            )
        return grad_x, None, None, None, None, None, None, None


def _constants(x: torch.Tensor, tau, v_th, v_reset, levels) -> tuple:
    """The kernels' constants, as NumPy scalars of ``x``'s dtype (float32 arithmetic stays float32)."""
    dtype = np.dtype(str(x.dtype).removeprefix("torch.")).type
    return dtype(tau), dtype(1.0 / tau), _is_power_of_two(tau), dtype(v_th), dtype(v_reset), dtype(levels)


def choose_kernel(x: torch.Tensor, kernel: str = "auto") -> str:
    """The implementation ``multistep_lif`` runs for ``x`` (see ``KERNELS``)."""
    if kernel not in KERNELS:
        raise ValueError(f"kernel={kernel!r}: use one of {', '.join(KERNELS)}")
    if torch.compiler.is_compiling():
        return "graph"  # numba and in-place writes into views do not trace; the graph form does
    if kernel != "auto":
        if kernel == "fused" and not (x.device.type == "cpu" and _fused_kernels()):
            raise ValueError("kernel='fused' needs a CPU tensor and numba (pip install numba)")
        return kernel
    # T = 1 has no time loop to fuse: the torch ops are as fast, without importing numba
    fused = (
        x.device.type == "cpu"
        and x.dtype in (torch.float32, torch.float64)
        and x.dim() >= 1
        and x.shape[0] >= 2
        and x.numel() >= FUSED_MIN_ELEMENTS
        and _fused_kernels() is not None
    )
    return "fused" if fused else "torch"


def multistep_lif(
    x, tau: float, v_th: float, v_reset: float, levels: int, alpha: float = 2.0, hard: bool = True, kernel: str = "auto"
):
    """Run the multi-bit LIF over ``x`` of shape ``[T, ...]`` (see :class:`MultiStepLIF`).

    Membrane and spikes are float32 whatever autocast does around the call: float16 would
    round levels above 2048 and overflow at S=16 (see :data:`REDUCED_PRECISION`).
    ``kernel``: ``"auto"`` (fused loop for large CPU tensors when numba is there, torch ops
    otherwise, the graph form under ``torch.compile``), or force one of ``KERNELS``.
    """

    def run(x32):
        return MultiStepLIF.apply(x32, tau, v_th, v_reset, levels, alpha, hard, choose_kernel(x32, kernel))

    return run_in_float32(run, x)


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
    weights = torch.tensor(
        [2.0**t for t in range(planes.shape[0])], dtype=planes.dtype if planes.is_floating_point() else torch.float64
    )
    shape = (-1,) + (1,) * (planes.dim() - 1)
    return (planes * weights.reshape(shape).to(planes.device)).sum(0)
