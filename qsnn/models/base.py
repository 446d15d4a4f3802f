"""Shared behaviour of every registered network."""

from __future__ import annotations

import torch
from torch import nn

from qsnn.wst import WST


class SpikingNetwork(nn.Module):
    """Base class: holds the W/S/T allocation and turns inputs into ``[T, B, ...]``.

    ``forward`` accepts a static batch ``[B, C, H, W]``, which is repeated over the
    T steps (direct encoding: the first layer sees the real-valued image every
    step), or an event batch ``[T, B, C, H, W]`` whose first axis must equal T.
    Subclasses implement ``forward_steps(x) -> [T, B, num_classes]``; the output
    is the mean over time steps, ``[B, num_classes]``.
    """

    def __init__(self, wst: WST, num_classes: int, input_shape: tuple[int, int, int]):
        super().__init__()
        self.wst, self.num_classes, self.input_shape = wst, num_classes, tuple(input_shape)

    @property
    def T(self) -> int:
        return self.wst.T

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() == 4:
            return x.unsqueeze(0).expand(self.T, *x.shape)
        if x.dim() == 5:
            if x.shape[0] != self.T:
                raise ValueError(f"event input has {x.shape[0]} frames but the network runs T={self.T} steps")
            return x
        raise ValueError(f"expected [B, C, H, W] or [T, B, C, H, W] input, got shape {tuple(x.shape)}")

    def forward_steps(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_steps(self.encode(x)).mean(0)
