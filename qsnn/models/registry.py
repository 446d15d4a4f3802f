"""timm-style registry: ``create("spikformer-8-512", w_bits=4, s_bits=2, T=1)``."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Callable

from torch import nn

from qsnn.wst import WST


class UnknownArchitectureError(KeyError):
    """Raised for an architecture name that is not registered; lists the known ones."""

    def __str__(self) -> str:  # KeyError quotes its message; show it plainly
        return str(self.args[0])


@dataclass(frozen=True)
class ArchSpec:
    """What the registry knows about one architecture before building it."""

    name: str
    family: str
    builder: Callable[..., nn.Module]
    input_shape: tuple[int, int, int]  # (C, H, W) of the default input
    num_classes: int
    tiny: bool = False  # a small sibling for the quick profile
    description: str = ""


_ARCHS: dict[str, ArchSpec] = {}


def register(name: str, *, family: str, input_shape: tuple[int, int, int], num_classes: int, tiny: bool = False, description: str = ""):
    """Decorator: register ``builder(wst, num_classes, input_shape, **kwargs) -> nn.Module``."""

    def wrap(builder):
        if name in _ARCHS:
            raise ValueError(f"architecture {name!r} is registered twice")
        _ARCHS[name] = ArchSpec(name, family, builder, tuple(input_shape), num_classes, tiny, description)
        return builder

    return wrap


def list_archs(family: str | None = None, tiny: bool | None = None) -> list[str]:
    return sorted(
        n for n, s in _ARCHS.items() if (family is None or s.family == family) and (tiny is None or s.tiny == tiny)
    )


def arch_spec(name: str) -> ArchSpec:
    try:
        return _ARCHS[name]
    except KeyError:
        close = difflib.get_close_matches(name, _ARCHS, n=3)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        raise UnknownArchitectureError(
            f"unknown architecture {name!r}.{hint} Known architectures: {', '.join(list_archs())}"
        ) from None


def create(
    name: str,
    w_bits: int = 16,
    s_bits: int = 1,
    T: int = 1,
    *,
    num_classes: int | None = None,
    input_shape: tuple[int, int, int] | None = None,
    **kwargs,
) -> nn.Module:
    """Build a registered architecture at the W/S/T allocation ``w_bits/s_bits/T``.

    ``input_shape`` is ``(C, H, W)`` of one frame; it defaults to the architecture's own.
    Extra keyword arguments go to the builder (e.g. neuron options).
    """
    spec = arch_spec(name)
    wst = WST(w_bits, s_bits, T)
    model = spec.builder(
        wst,
        num_classes=num_classes or spec.num_classes,
        input_shape=tuple(input_shape or spec.input_shape),
        **kwargs,
    )
    model.arch_name = name
    return model
