"""SEW-ResNet (Fang et al., NeurIPS 2021) with the ADD connect function.

Registered here (family ``sew-resnet``):

* ``sew-resnet-18|34|50``  ImageNet form: 7x7 stride-2 stem conv, 3x3 max-pool,
  torchvision stage layout (basic blocks for 18/34, bottlenecks for 50), global
  average pool, FC; 3x224x224 input, 1000 classes.
* ``sew-resnet-18|34|50-cifar``  CIFAR form: 3x3 stride-1 stem, no max-pool;
  3x32x32 input, 10 classes.
* ``sew-resnet-tiny``  stem + two SEW basic blocks (16, 32 channels) for 8x8 inputs.

Source code followed: SEW-ResNet's reference implementation in SpikingJelly
(github.com/fangwei123456/spikingjelly, ``activation_based/model/sew_resnet.py``,
``SEWResNet`` / ``BasicBlock`` / ``Bottleneck``, cnf ``ADD``), which is torchvision's
``models/resnet.py`` with spiking neurons; the authors' own framework carries the same
network (BrainCog, github.com/BrainCog-X/Brain-Cog, ``braincog/model_zoo/sew_resnet.py``).
Parameter counts equal torchvision's ResNet-34/50 (21.80 M / 25.56 M; Table 1 prints
21.79 / 25.56).

SEW block: ``out = SN(BN(conv(...)))`` on the residual branch and
``identity = SN(BN(conv1x1(x)))`` on a down-sampling shortcut (else ``x``), then
``g(out, identity) = out + identity`` (ADD).

Section 6.3 restriction (paper): "imposing bit width restrictions on the output
of SEW-ResNet's blocks". The ADD of two S-bit spikes can reach ``2 (2^S - 1)``
levels; :class:`SBitAdd` clamps it to the S-bit range ``[0, (2^S - 1) v_th]``,
so every block emits an S-bit spike and every convolution's ``in_bits`` is S.
For S=1 this is a logical OR. The clamp's backward is straight-through (identity)
so that the clamp does not cut SEW's identity gradient path, which is the point
of the SEW design.

Other conventions (W on every layer, ``in_bits`` of the stem and classifier) are
those of :mod:`qsnn.models.blocks`.
"""

from __future__ import annotations

import torch
from torch import nn

from qsnn.functional import spike_levels
from qsnn.models.blocks import (
    CIFAR,
    IMAGENET,
    TINY,
    TINY_MIN_SIDE,
    ConvBNLIF,
    StagedResNet,
    threshold_of,
)
from qsnn.models.registry import register
from qsnn.wst import WST


class SBitAdd(nn.Module):
    """SEW ADD limited to S bits: ``clamp(a + b, 0, (2^S - 1) * v_th)``, straight-through backward."""

    def __init__(self, s_bits: int, v_th: float):
        super().__init__()
        self.s_bits, self.v_th = s_bits, v_th
        self.top = spike_levels(s_bits) * v_th

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        total = a + b
        return total + (total.clamp(0.0, self.top) - total).detach()

    def extra_repr(self) -> str:
        return f"s_bits={self.s_bits}, max={self.top}"


def sew_shortcut(wst: WST, in_ch: int, out_ch: int, stride: int, neuron_kw: dict) -> nn.Module:
    """SEW's down-sampling shortcut: conv1x1-BN-SN, so the identity branch is a spike too."""
    if stride == 1 and in_ch == out_ch:
        return nn.Identity()
    return ConvBNLIF(wst, in_ch, out_ch, 1, stride, in_bits=wst.s_bits, neuron_kw=neuron_kw)


class SEWBasicBlock(nn.Module):
    expansion = 1

    def __init__(self, wst: WST, in_ch: int, ch: int, stride: int, neuron_kw: dict, shortcut: str = "conv"):
        super().__init__()
        s = wst.s_bits
        self.conv1 = ConvBNLIF(wst, in_ch, ch, 3, stride, in_bits=s, neuron_kw=neuron_kw)
        self.conv2 = ConvBNLIF(wst, ch, ch, 3, in_bits=s, neuron_kw=neuron_kw)
        self.shortcut = sew_shortcut(wst, in_ch, ch, stride, neuron_kw)
        self.add = SBitAdd(s, threshold_of(neuron_kw))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.add(self.conv2(self.conv1(x)), self.shortcut(x))


class SEWBottleneck(nn.Module):
    expansion = 4

    def __init__(self, wst: WST, in_ch: int, ch: int, stride: int, neuron_kw: dict, shortcut: str = "conv"):
        super().__init__()
        s = wst.s_bits
        self.conv1 = ConvBNLIF(wst, in_ch, ch, 1, in_bits=s, neuron_kw=neuron_kw)
        self.conv2 = ConvBNLIF(wst, ch, ch, 3, stride, in_bits=s, neuron_kw=neuron_kw)
        self.conv3 = ConvBNLIF(wst, ch, ch * 4, 1, in_bits=s, neuron_kw=neuron_kw)
        self.shortcut = sew_shortcut(wst, in_ch, ch * 4, stride, neuron_kw)
        self.add = SBitAdd(s, threshold_of(neuron_kw))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.add(self.conv3(self.conv2(self.conv1(x))), self.shortcut(x))


LAYOUTS = {18: (SEWBasicBlock, (2, 2, 2, 2)), 34: (SEWBasicBlock, (3, 4, 6, 3)), 50: (SEWBottleneck, (3, 4, 6, 3))}


def _sew(depth: int, stem: str):
    block, depths = LAYOUTS[depth]

    def build(wst: WST, num_classes: int, input_shape, **neuron_kw) -> StagedResNet:
        return StagedResNet(
            wst,
            num_classes,
            input_shape,
            block=block,
            widths=(64, 128, 256, 512),
            depths=depths,
            strides=(1, 2, 2, 2),
            stem=stem,
            stem_width=64,
            neuron_kw=neuron_kw,
            min_side=32 if stem == "imagenet" else 8,
        )

    return build


for _depth in LAYOUTS:
    register(
        f"sew-resnet-{_depth}",
        family="sew-resnet",
        **IMAGENET,
        stand_in="sew-resnet-tiny",
        description=f"SEW-ResNet-{_depth} (ADD), ImageNet form",
    )(_sew(_depth, "imagenet"))
    register(
        f"sew-resnet-{_depth}-cifar",
        family="sew-resnet",
        **CIFAR,
        stand_in="sew-resnet-tiny",
        description=f"SEW-ResNet-{_depth} (ADD), CIFAR form",
    )(_sew(_depth, "cifar"))


@register("sew-resnet-tiny", family="sew-resnet", **TINY, description="stem + 2 SEW blocks (16/32 ch) for 8x8 inputs")
def sew_resnet_tiny(wst: WST, num_classes: int, input_shape, **neuron_kw) -> StagedResNet:
    return StagedResNet(
        wst,
        num_classes,
        input_shape,
        block=SEWBasicBlock,
        widths=(16, 32),
        depths=(1, 1),
        strides=(1, 2),
        stem="cifar",
        stem_width=16,
        neuron_kw=neuron_kw,
        min_side=TINY_MIN_SIDE,
    )
