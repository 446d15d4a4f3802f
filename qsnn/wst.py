"""The W/S/T allocation: weight bits, spike bits, time steps.

The Bit Budget of one synapse (paper Eq. 4) is ``BB = T * W * S``.
"""

from __future__ import annotations

from dataclasses import dataclass

# W=16 stands for full precision; the paper counts FP weights as BF16 (Table 1 caption).
FULL_PRECISION_BITS = 16
W_RANGE = (1, 16)
S_RANGE = (1, 16)
T_RANGE = (1, 4096)


def check_int_in_range(name: str, value, lo: int, hi: int, meaning: str) -> int:
    """Return ``value`` as int, or raise a ValueError naming the argument and its range."""
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            raise ValueError(
                f"{name}={value!r} is not an integer; {name} ({meaning}) must be an integer in [{lo}, {hi}]"
            )
    if not lo <= value <= hi:
        raise ValueError(f"{name}={value} is out of range; {name} ({meaning}) must be in [{lo}, {hi}]")
    return value


@dataclass(frozen=True)
class WST:
    """A bit allocation ``W/S/T``.

    w_bits: weight bit-width, 1..16 (16 = full precision, costed as BF16)
    s_bits: spike bit-width, 1..16 (1 = ordinary binary spikes)
    T:      number of time steps, >= 1
    """

    w_bits: int
    s_bits: int
    T: int

    def __post_init__(self) -> None:
        object.__setattr__(self, "w_bits", check_int_in_range("W", self.w_bits, *W_RANGE, "weight bit-width"))
        object.__setattr__(self, "s_bits", check_int_in_range("S", self.s_bits, *S_RANGE, "spike bit-width"))
        object.__setattr__(self, "T", check_int_in_range("T", self.T, *T_RANGE, "time steps"))

    @property
    def bit_budget(self) -> int:
        """Paper Eq. 4: BB = T * W * S."""
        return self.T * self.w_bits * self.s_bits

    @property
    def full_precision(self) -> bool:
        return self.w_bits >= FULL_PRECISION_BITS

    def __str__(self) -> str:
        return f"{self.w_bits}/{self.s_bits}/{self.T}"

    @property
    def slug(self) -> str:
        """A filesystem-safe form, e.g. ``w4s2t1``."""
        return f"w{self.w_bits}s{self.s_bits}t{self.T}"


def parse_wst(text: str) -> WST:
    """Parse ``"W/S/T"`` (spaces allowed, e.g. ``"16 / 1 / 4"``) into a :class:`WST`."""
    parts = [p.strip() for p in str(text).split("/")]
    if len(parts) != 3 or not all(p.lstrip("-").isdigit() for p in parts):
        raise ValueError(
            f"malformed W/S/T {text!r}: expected three integers like '4/2/1' (weight bits/spike bits/time steps)"
        )
    w, s, t = (int(p) for p in parts)
    return WST(w, s, t)
