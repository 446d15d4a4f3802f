"""The building blocks every family shares, and the conventions they fix (documented once here).

Family files (:mod:`qsnn.models.resnet`, :mod:`qsnn.models.sew_resnet`, :mod:`qsnn.models.spikformer`,
:mod:`qsnn.models.cifarnet`, or a new one) import these and never import each other, so adding an
architecture, tiny sibling included, is one file that registers its builders.

Conventions shared by all families (documented once here):

* every neuron is ``MultiBitLIF(s_bits=wst.s_bits, **neuron_kw)``;
* every ``QConv2d``/``QLinear`` has ``w_bits = wst.w_bits``, the first (encoding)
  and last (classifier) layers included: the paper's Table 1 quantizes all of
  them (SEW-ResNet-34 at W=1 has 21.79 M / 16 = 1.36 M "Params");
* ``in_bits`` is ``wst.s_bits`` wherever the input is a spike tensor (max-pooling
  keeps spikes spikes) and ``None`` for the encoding layer, which sees the
  real-valued image or event frames, and for a classifier fed by globally
  averaged spikes (the average is real-valued);
* convolutions followed by BN have no bias, as in the originals.
"""

from __future__ import annotations

import torch
from torch import nn

from qsnn.layers import MultiStep, QConv2d, QLinear
from qsnn.models.base import SpikingNetwork
from qsnn.neurons import MultiBitLIF
from qsnn.wst import WST

# Default input shape and classes of each form (the ``register`` keywords).
IMAGENET = dict(input_shape=(3, 224, 224), num_classes=1000)
CIFAR = dict(input_shape=(3, 32, 32), num_classes=10)
TINY = dict(input_shape=(1, 8, 8), num_classes=10, tiny=True)
TINY_MIN_SIDE = 8


NEURON_OPTIONS = ("tau", "v_th", "v_reset", "reset", "surrogate_alpha")


def make_lif(wst: WST, neuron_kw: dict, **override) -> MultiBitLIF:
    """The network's neuron: S-bit multi-bit LIF; ``neuron_kw`` are user options (tau, v_th, reset)."""
    unknown = sorted(set(neuron_kw) - set(NEURON_OPTIONS))
    if unknown:
        raise ValueError(
            f"unknown architecture option(s) {unknown}; the options are the neuron's: {', '.join(NEURON_OPTIONS)}"
        )
    return MultiBitLIF(s_bits=wst.s_bits, **{**neuron_kw, **override})


def threshold_of(neuron_kw: dict) -> float:
    return float(neuron_kw.get("v_th", 1.0))


class ConvBN(nn.Sequential):
    """W-bit convolution (no bias) followed by a multi-step BatchNorm2d."""

    def __init__(self, wst: WST, in_ch: int, out_ch: int, kernel: int, stride: int = 1, *, in_bits: int | None):
        super().__init__(
            QConv2d(
                in_ch,
                out_ch,
                kernel,
                stride=stride,
                padding=kernel // 2,
                bias=False,
                w_bits=wst.w_bits,
                in_bits=in_bits,
            ),
            MultiStep(nn.BatchNorm2d(out_ch)),
        )


class ConvBNLIF(nn.Sequential):
    """conv -> BN -> S-bit LIF, the unit every convolutional SNN here is made of."""

    def __init__(
        self, wst: WST, in_ch: int, out_ch: int, kernel: int, stride: int = 1, *, in_bits: int | None, neuron_kw: dict
    ):
        super().__init__(ConvBN(wst, in_ch, out_ch, kernel, stride, in_bits=in_bits), make_lif(wst, neuron_kw))


class SpikingHead(nn.Module):
    """Global average pool over space, then a W-bit linear classifier.

    The classifier sees averaged spikes, a real value, so its ``in_bits`` is None.
    """

    def __init__(self, wst: WST, in_features: int, num_classes: int):
        super().__init__()
        self.pool = MultiStep(nn.AdaptiveAvgPool2d(1))
        self.fc = QLinear(in_features, num_classes, w_bits=wst.w_bits, in_bits=None)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.pool(x).flatten(2))


def check_input_shape(input_shape, min_side: int) -> tuple[int, int, int]:
    """Reject an input shape the network cannot take, naming the problem and the fix."""
    if len(tuple(input_shape)) != 3:
        raise ValueError(f"input_shape={tuple(input_shape)} must be (C, H, W)")
    c, h, w = (int(v) for v in input_shape)
    if c < 1 or h < min_side or w < min_side:
        raise ValueError(f"input_shape={(c, h, w)}: this architecture needs C >= 1 and H, W >= {min_side}")
    return c, h, w


def make_stage(
    block, wst: WST, in_ch: int, ch: int, blocks: int, stride: int, neuron_kw: dict, **kw
) -> tuple[nn.Sequential, int]:
    layers = [block(wst, in_ch, ch, stride, neuron_kw, **kw)]
    out_ch = ch * block.expansion
    layers += [block(wst, out_ch, ch, 1, neuron_kw, **kw) for _ in range(blocks - 1)]
    return nn.Sequential(*layers), out_ch


class StagedResNet(SpikingNetwork):
    """stem -> residual stages -> head; the skeleton of every ResNet-like family here.

    ``widths``/``depths``/``strides`` give the stages; ``stem`` is ``"imagenet"``
    (7x7 stride-2 conv + 3x3 max-pool) or ``"cifar"`` (3x3 conv, no pool).
    ``hidden_fc`` inserts the tdBN ResNet-19 head ``FC -> LIF -> FC``.
    """

    def __init__(
        self,
        wst: WST,
        num_classes: int,
        input_shape,
        *,
        block,
        widths,
        depths,
        strides,
        stem: str,
        stem_width: int,
        neuron_kw: dict,
        hidden_fc: int | None = None,
        shortcut: str = "conv",
        min_side: int = 8,
    ):
        super().__init__(wst, num_classes, check_input_shape(input_shape, min_side))
        c = self.input_shape[0]
        if stem == "imagenet":
            self.stem = nn.Sequential(
                ConvBNLIF(wst, c, stem_width, 7, 2, in_bits=None, neuron_kw=neuron_kw),
                MultiStep(nn.MaxPool2d(3, 2, 1)),
            )
        else:
            self.stem = ConvBNLIF(wst, c, stem_width, 3, in_bits=None, neuron_kw=neuron_kw)
        stages, ch = [], stem_width
        for width, depth, stride in zip(widths, depths, strides):
            stage, ch = make_stage(block, wst, ch, width, depth, stride, neuron_kw, shortcut=shortcut)
            stages.append(stage)
        self.stages = nn.Sequential(*stages)
        if hidden_fc is None:
            self.head = SpikingHead(wst, ch, num_classes)
        else:
            self.head = nn.Sequential(
                SpikingHead(wst, ch, hidden_fc),
                make_lif(wst, neuron_kw),
                QLinear(hidden_fc, num_classes, w_bits=wst.w_bits, in_bits=wst.s_bits),
            )

    def forward_steps(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.stages(self.stem(x)))
