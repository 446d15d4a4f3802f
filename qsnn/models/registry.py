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
    # The tiny sibling the quick profile trains in this architecture's place (a tiny one trains itself).
    stand_in: str | None = None


_ARCHS: dict[str, ArchSpec] = {}


def register(
    name: str,
    *,
    family: str,
    input_shape: tuple[int, int, int],
    num_classes: int,
    tiny: bool = False,
    description: str = "",
    stand_in: str | None = None,
):
    """Decorator: register ``builder(wst, num_classes, input_shape, **kwargs) -> nn.Module``.

    ``stand_in``: the registered tiny sibling the quick profile trains instead (required for a
    full-scale architecture that a quick-profile config trains; a tiny one trains itself).
    """
    if tiny and stand_in is not None:
        raise ValueError(f"architecture {name!r} is tiny, so it is its own stand-in; drop stand_in={stand_in!r}")

    def wrap(builder):
        if name in _ARCHS:
            raise ValueError(f"architecture {name!r} is registered twice")
        _ARCHS[name] = ArchSpec(name, family, builder, tuple(input_shape), num_classes, tiny, description, stand_in)
        return builder

    return wrap


def stand_in_of(name: str) -> str:
    """The architecture the quick profile trains for ``name``: its registered tiny sibling, or itself if tiny."""
    spec = arch_spec(name)
    if spec.tiny:
        return name
    if spec.stand_in is None:
        raise ValueError(
            f'architecture {name!r} registers no stand-in for the quick profile; add stand_in="<tiny sibling>" '
            f"to its register(...) call (tiny siblings: {', '.join(list_archs(tiny=True))})"
        )
    if spec.stand_in not in _ARCHS or not _ARCHS[spec.stand_in].tiny:
        raise ValueError(
            f"architecture {name!r}: its stand_in {spec.stand_in!r} is not a registered tiny architecture "
            f"(tiny siblings: {', '.join(list_archs(tiny=True))})"
        )
    return spec.stand_in


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
