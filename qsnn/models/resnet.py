"""Plain spiking ResNets (family ``resnet``).

Registered here (family ``resnet``), each with the source code it follows:

* ``resnet-19``  ResNet-19 of tdBN (Zheng et al., AAAI 2021) as built by the TET code
  (Deng et al., ICLR 2022; github.com/brain-intelligence-lab/temporal_efficient_training,
  ``models/resnet_models.py``, ``resnet19()``: ``self.inplanes = 64``) and by the authors' own framework
  (BrainCog, github.com/BrainCog-X/Brain-Cog, ``braincog/model_zoo/sew_resnet.py``,
  ``SEWResNet19``): 3x3 conv **64**-channel stem; stages of 3 x 128, 3 x 256
  (stride 2), 2 x 512 (stride 2) basic blocks, the first block of stage 1 with a
  1x1 projection shortcut (64 -> 128); global average pool; FC 512->256, LIF,
  FC 256->classes (with bias). 3x32x32, 10 classes. This is 12,630,858 parameters,
  the 12.63 M that Table 5 prints. A 128-channel stem (the layout of tdBN's paper and
  of BrainCog's ``resnet19_snn.py``) gives 12,697,994 (12.70 M, +0.5 %) and
  S-ACE +5.2 % instead of +2.05 %, so the printed count identifies the 64-channel stem.
  tdBN normalizes by ``alpha * v_th``; after training it is an ordinary per-channel
  affine BN, so a plain ``BatchNorm2d`` (same parameters) stands in for it.
* ``resnet-20``  ResNet-20 as costed by the paper's Table 5 (0.27 M parameters, cited
  from Diet-SNN, Rathi & Roy). 0.27 M is He et al.'s CIFAR ResNet-20 (16/32/64
  channels, 3 x 3 basic blocks; He et al., CVPR 2016, Sec. 4.2), so those are the
  widths we build. Diet-SNN's own code (github.com/nitin-rathi/hybrid-snn-conversion,
  ``self_models/resnet_spiking.py``) uses a wider VGG-like ResNet-20 that the paper's
  0.27 M does not fit. **Shortcut choice** (``shortcut=``, explicit): He et al. use
  parameter-free "option A" shortcuts (stride-2 subsampling plus zero channels) on
  CIFAR; Diet-SNN's residual blocks (``BasicBlock.identity``: a 1x1 strided conv
  whenever the shape changes) use projection shortcuts ("option B"), as every other
  network here does (we keep the BN after it). We follow the cited code's projection
  shortcuts (default ``shortcut="conv"``): 272,474 parameters (0.27 M) and S-ACE
  3.265 G at 16/1/5 (-1.7 % from the printed 3.32 G); ``shortcut="zero-pad"`` gives
  269,722 parameters and 3.244 G (-2.3 %). Both print as 0.27 M; the S-ACE favours
  projections, and neither choice changes any other row.
* ``spiking-resnet-34|50``  plain spiking ResNets in the torchvision ImageNet layout
  (torchvision ``models/resnet.py``; Spiking ResNet / Hybrid training / tdBN, the cited
  baselines of Table 1).
* ``resnet-tiny``  a three-stage spiking ResNet (8/16/32 channels) for 8x8 inputs.

Spiking (plain) residual block: ``LIF(BN(conv(LIF(BN(conv(x))))) + shortcut(x))``;
the neuron after the add keeps every block output an S-bit spike.

The conventions every family shares (W on every layer, ``in_bits`` of the encoding layer and
of the classifier) are documented once, in :mod:`qsnn.models.blocks`.
"""

from __future__ import annotations

import torch
from torch import nn

from qsnn.models.blocks import (
    CIFAR,
    IMAGENET,
    TINY,
    TINY_MIN_SIDE,
    ConvBN,
    ConvBNLIF,
    StagedResNet,
    make_lif,
)
from qsnn.models.registry import register
from qsnn.wst import WST


class SpikingBasicBlock(nn.Module):
    """Plain spiking residual block: the LIF fires after the residual add."""

    expansion = 1

    def __init__(self, wst: WST, in_ch: int, ch: int, stride: int, neuron_kw: dict, shortcut: str = "conv"):
        super().__init__()
        s = wst.s_bits
        self.conv1 = ConvBNLIF(wst, in_ch, ch, 3, stride, in_bits=s, neuron_kw=neuron_kw)
        self.conv2 = ConvBN(wst, ch, ch, 3, in_bits=s)
        self.shortcut = make_shortcut(wst, in_ch, ch, stride, shortcut)
        self.sn = make_lif(wst, neuron_kw)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.sn(self.conv2(self.conv1(x)) + self.shortcut(x))


class SpikingBottleneck(nn.Module):
    """Plain spiking bottleneck (1x1, 3x3 with the stride, 1x1 x4), LIF after the add."""

    expansion = 4

    def __init__(self, wst: WST, in_ch: int, ch: int, stride: int, neuron_kw: dict, shortcut: str = "conv"):
        super().__init__()
        s = wst.s_bits
        self.conv1 = ConvBNLIF(wst, in_ch, ch, 1, in_bits=s, neuron_kw=neuron_kw)
        self.conv2 = ConvBNLIF(wst, ch, ch, 3, stride, in_bits=s, neuron_kw=neuron_kw)
        self.conv3 = ConvBN(wst, ch, ch * 4, 1, in_bits=s)
        self.shortcut = make_shortcut(wst, in_ch, ch * 4, stride, shortcut)
        self.sn = make_lif(wst, neuron_kw)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.sn(self.conv3(self.conv2(self.conv1(x))) + self.shortcut(x))


class ZeroPadShortcut(nn.Module):
    """He et al.'s parameter-free "option A" shortcut: subsample, pad new channels with zeros."""

    def __init__(self, in_ch: int, out_ch: int, stride: int):
        super().__init__()
        self.extra, self.stride = out_ch - in_ch, stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x[..., :: self.stride, :: self.stride]
        zeros = x.new_zeros(*x.shape[:-3], self.extra, *x.shape[-2:])
        return torch.cat([x, zeros], dim=-3)


def make_shortcut(wst: WST, in_ch: int, out_ch: int, stride: int, kind: str) -> nn.Module:
    if stride == 1 and in_ch == out_ch:
        return nn.Identity()
    if kind == "zero-pad":
        return ZeroPadShortcut(in_ch, out_ch, stride)
    return ConvBN(wst, in_ch, out_ch, 1, stride, in_bits=wst.s_bits)


RESNET19_STEM_WIDTH = 64  # TET's and BrainCog's ResNet-19 (see the module docstring); 128 is tdBN's paper layout
SHORTCUTS = ("conv", "zero-pad")


@register(
    "resnet-19",
    family="resnet",
    **CIFAR,
    stand_in="resnet-tiny",
    description="ResNet-19 of tdBN as built by TET/BrainCog (64-ch stem, 12.63 M)",
)
def resnet19(
    wst: WST, num_classes: int, input_shape, stem_width: int = RESNET19_STEM_WIDTH, **neuron_kw
) -> StagedResNet:
    return StagedResNet(
        wst,
        num_classes,
        input_shape,
        block=SpikingBasicBlock,
        widths=(128, 256, 512),
        depths=(3, 3, 2),
        strides=(1, 2, 2),
        stem="cifar",
        stem_width=int(stem_width),
        neuron_kw=neuron_kw,
        hidden_fc=256,
    )


@register(
    "resnet-20",
    family="resnet",
    **CIFAR,
    stand_in="resnet-tiny",
    description="CIFAR ResNet-20 (He et al. widths, projection shortcuts; 0.27 M)",
)
def resnet20(wst: WST, num_classes: int, input_shape, shortcut: str = "conv", **neuron_kw) -> StagedResNet:
    if shortcut not in SHORTCUTS:
        raise ValueError(
            f"shortcut={shortcut!r}: must be one of {SHORTCUTS} ('conv': 1x1 projection, 'zero-pad': He's option A)"
        )
    return StagedResNet(
        wst,
        num_classes,
        input_shape,
        block=SpikingBasicBlock,
        widths=(16, 32, 64),
        depths=(3, 3, 3),
        strides=(1, 2, 2),
        stem="cifar",
        stem_width=16,
        neuron_kw=neuron_kw,
        shortcut=shortcut,
    )


def _spiking_imagenet(block, depths):
    def build(wst: WST, num_classes: int, input_shape, **neuron_kw) -> StagedResNet:
        return StagedResNet(
            wst,
            num_classes,
            input_shape,
            block=block,
            widths=(64, 128, 256, 512),
            depths=depths,
            strides=(1, 2, 2, 2),
            stem="imagenet",
            stem_width=64,
            neuron_kw=neuron_kw,
            min_side=32,
        )

    return build


# The cited plain ImageNet ResNets stand in with sew-resnet-tiny, as their SEW counterparts do.
register(
    "spiking-resnet-34",
    family="resnet",
    **IMAGENET,
    stand_in="sew-resnet-tiny",
    description="plain spiking ResNet-34 (cited baseline)",
)(_spiking_imagenet(SpikingBasicBlock, (3, 4, 6, 3)))
register(
    "spiking-resnet-50",
    family="resnet",
    **IMAGENET,
    stand_in="sew-resnet-tiny",
    description="plain spiking ResNet-50 (cited baseline)",
)(_spiking_imagenet(SpikingBottleneck, (3, 4, 6, 3)))


@register("resnet-tiny", family="resnet", **TINY, description="3-stage spiking ResNet (8/16/32 ch) for 8x8 inputs")
def resnet_tiny(wst: WST, num_classes: int, input_shape, **neuron_kw) -> StagedResNet:
    return StagedResNet(
        wst,
        num_classes,
        input_shape,
        block=SpikingBasicBlock,
        widths=(8, 16, 32),
        depths=(1, 1, 1),
        strides=(1, 2, 2),
        stem="cifar",
        stem_width=8,
        neuron_kw=neuron_kw,
        hidden_fc=32,
        min_side=TINY_MIN_SIDE,
    )
