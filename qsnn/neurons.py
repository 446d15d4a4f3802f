"""The multi-bit LIF neuron of the paper (Eqs. 6-7)."""

from __future__ import annotations

import torch
from torch import nn

from qsnn.functional import multistep_lif, spike_levels
from qsnn.wst import S_RANGE, check_int_in_range


class MultiBitLIF(nn.Module):
    """Multi-step LIF neuron that emits S-bit spikes.

    Input and output are ``[T, B, ...]``. Per time step (Eq. 6-7)::

        v   = v / tau + x[t]                                  # leak, then integrate
        s   = clamp(floor(v / v_th), 0, 2**S - 1) * v_th      # S-bit spike
        v   = v_reset where s > 0   (reset="hard", Eq. 6)     # or v - s (reset="soft")

    A neuron fires when ``v >= v_th``: Eq. 7's floor makes the first level start at
    exactly ``v_th``, the same convention as SpikingJelly's ``H(v - v_th)``. With
    ``s_bits=1`` and the default hard reset this is the ordinary binary LIF.

    Reset rule: the default *hard* reset follows Eq. 6 (``v <- v_rst`` after any
    spike), which for S=1 is the usual LIF. The *soft* reset subtracts the emitted
    value, keeping the residue above the top level that a hard reset throws away.
    Either way the reset is detached from the graph (SpikingJelly's ``detach_reset``).

    Backward uses the ATan surrogate around the nearest firing level, with
    backpropagation through time in one fused node (:class:`qsnn.functional.MultiStepLIF`):
    one compiled loop per direction on CPU (numba), torch ops elsewhere, and a traceable
    form inside ``torch.compile``; all three give the same bits.

    Mixed precision: under ``torch.autocast`` the membrane and the spikes stay float32
    (the output is float32 whatever the input's dtype): float16 holds integers exactly
    only up to 2048 and overflows at 65504, below the top level ``(2**S - 1) * v_th``
    of S >= 12 (see :func:`qsnn.functional.run_in_float32`).

    Set ``record = True`` to accumulate firing statistics in ``stats``: the count
    of non-zero outputs, the count of outputs and the histogram over the
    ``2**S`` levels.
    """

    def __init__(
        self,
        s_bits: int = 1,
        tau: float = 2.0,
        v_th: float = 1.0,
        v_reset: float = 0.0,
        reset: str = "hard",
        surrogate_alpha: float = 2.0,
    ):
        super().__init__()
        self.s_bits = check_int_in_range("S", s_bits, *S_RANGE, "spike bit-width")
        if tau < 1.0:
            raise ValueError(f"tau={tau}: the membrane time constant must be >= 1 (1 = no leak)")
        if v_th <= 0:
            raise ValueError(f"v_th={v_th}: the threshold must be > 0")
        if reset not in ("hard", "soft"):
            raise ValueError(f"reset={reset!r}: must be 'hard' or 'soft'")
        self.tau, self.v_th, self.v_reset, self.reset = float(tau), float(v_th), float(v_reset), reset
        self.surrogate_alpha = surrogate_alpha
        self.levels = spike_levels(self.s_bits)
        self.record = False
        self.reset_stats()

    def reset_stats(self) -> None:
        self.stats = {"nonzero": 0, "total": 0, "hist": torch.zeros(self.levels + 1, dtype=torch.int64)}

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = multistep_lif(
            x, self.tau, self.v_th, self.v_reset, self.levels, self.surrogate_alpha, self.reset == "hard"
        )
        if self.record and out.device.type != "meta":
            self._accumulate(out.detach())
        return out

    def _accumulate(self, out: torch.Tensor) -> None:
        level = torch.round(out / self.v_th).to(torch.int64).flatten().cpu()
        self.stats["nonzero"] += int((level > 0).sum())
        self.stats["total"] += level.numel()
        self.stats["hist"] += torch.bincount(level, minlength=self.levels + 1)[: self.levels + 1]

    def extra_repr(self) -> str:
        return f"s_bits={self.s_bits}, tau={self.tau}, v_th={self.v_th}, reset={self.reset}"
