"""Plain spiking ResNets and the building blocks every convolutional family shares.

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
from qsnn.models.registry import register
from qsnn.neurons import MultiBitLIF
from qsnn.wst import WST

TINY_MIN_SIDE = 8


# ---------------------------------------------------------------- shared blocks
NEURON_OPTIONS = ("tau", "v_th", "v_reset", "reset", "surrogate_alpha")


def make_lif(wst: WST, neuron_kw: dict, **override) -> MultiBitLIF:
    """The network's neuron: S-bit multi-bit LIF; ``neuron_kw`` are user options (tau, v_th, reset)."""
    unknown = sorted(set(neuron_kw) - set(NEURON_OPTIONS))
    if unknown:
        raise ValueError(f"unknown architecture option(s) {unknown}; the options are the neuron's: {', '.join(NEURON_OPTIONS)}")
    return MultiBitLIF(s_bits=wst.s_bits, **{**neuron_kw, **override})


def threshold_of(neuron_kw: dict) -> float:
    return float(neuron_kw.get("v_th", 1.0))


class ConvBN(nn.Sequential):
    """W-bit convolution (no bias) followed by a multi-step BatchNorm2d."""

    def __init__(self, wst: WST, in_ch: int, out_ch: int, kernel: int, stride: int = 1, *, in_bits: int | None):
        super().__init__(
            QConv2d(in_ch, out_ch, kernel, stride=stride, padding=kernel // 2, bias=False, w_bits=wst.w_bits, in_bits=in_bits),
            MultiStep(nn.BatchNorm2d(out_ch)),
        )


class ConvBNLIF(nn.Sequential):
    """conv -> BN -> S-bit LIF, the unit every convolutional SNN here is made of."""

    def __init__(self, wst: WST, in_ch: int, out_ch: int, kernel: int, stride: int = 1, *, in_bits: int | None, neuron_kw: dict):
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


def check_input_shape(input_shape, min_side: int) -> tuple[int, int, int]:
    """Reject an input shape the network cannot take, naming the problem and the fix."""
    if len(tuple(input_shape)) != 3:
        raise ValueError(f"input_shape={tuple(input_shape)} must be (C, H, W)")
    c, h, w = (int(v) for v in input_shape)
    if c < 1 or h < min_side or w < min_side:
        raise ValueError(f"input_shape={(c, h, w)}: this architecture needs C >= 1 and H, W >= {min_side}")
    return c, h, w


def make_stage(block, wst: WST, in_ch: int, ch: int, blocks: int, stride: int, neuron_kw: dict, **kw) -> tuple[nn.Sequential, int]:
    layers = [block(wst, in_ch, ch, stride, neuron_kw, **kw)]
    out_ch = ch * block.expansion
    layers += [block(wst, out_ch, ch, 1, neuron_kw, **kw) for _ in range(blocks - 1)]
    return nn.Sequential(*layers), out_ch


# ---------------------------------------------------------------- networks
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


IMAGENET = dict(input_shape=(3, 224, 224), num_classes=1000)
CIFAR = dict(input_shape=(3, 32, 32), num_classes=10)
TINY = dict(input_shape=(1, 8, 8), num_classes=10, tiny=True)


RESNET19_STEM_WIDTH = 64  # TET's and BrainCog's ResNet-19 (see the module docstring); 128 is tdBN's paper layout
SHORTCUTS = ("conv", "zero-pad")


@register("resnet-19", family="resnet", **CIFAR, description="ResNet-19 of tdBN as built by TET/BrainCog (64-ch stem, 12.63 M)")
def resnet19(wst: WST, num_classes: int, input_shape, stem_width: int = RESNET19_STEM_WIDTH, **neuron_kw) -> StagedResNet:
    return StagedResNet(
        wst, num_classes, input_shape, block=SpikingBasicBlock, widths=(128, 256, 512), depths=(3, 3, 2),
        strides=(1, 2, 2), stem="cifar", stem_width=int(stem_width), neuron_kw=neuron_kw, hidden_fc=256,
    )


@register("resnet-20", family="resnet", **CIFAR, description="CIFAR ResNet-20 (He et al. widths, projection shortcuts; 0.27 M)")
def resnet20(wst: WST, num_classes: int, input_shape, shortcut: str = "conv", **neuron_kw) -> StagedResNet:
    if shortcut not in SHORTCUTS:
        raise ValueError(f"shortcut={shortcut!r}: must be one of {SHORTCUTS} ('conv': 1x1 projection, 'zero-pad': He's option A)")
    return StagedResNet(
        wst, num_classes, input_shape, block=SpikingBasicBlock, widths=(16, 32, 64), depths=(3, 3, 3),
        strides=(1, 2, 2), stem="cifar", stem_width=16, neuron_kw=neuron_kw, shortcut=shortcut,
    )


def _spiking_imagenet(block, depths):
    def build(wst: WST, num_classes: int, input_shape, **neuron_kw) -> StagedResNet:
        return StagedResNet(
            wst, num_classes, input_shape, block=block, widths=(64, 128, 256, 512), depths=depths,
            strides=(1, 2, 2, 2), stem="imagenet", stem_width=64, neuron_kw=neuron_kw, min_side=32,
        )

    return build


register("spiking-resnet-34", family="resnet", **IMAGENET, description="plain spiking ResNet-34 (cited baseline)")(
    _spiking_imagenet(SpikingBasicBlock, (3, 4, 6, 3))
)
register("spiking-resnet-50", family="resnet", **IMAGENET, description="plain spiking ResNet-50 (cited baseline)")(
    _spiking_imagenet(SpikingBottleneck, (3, 4, 6, 3))
)


@register("resnet-tiny", family="resnet", **TINY, description="3-stage spiking ResNet (8/16/32 ch) for 8x8 inputs")
def resnet_tiny(wst: WST, num_classes: int, input_shape, **neuron_kw) -> StagedResNet:
    return StagedResNet(
        wst, num_classes, input_shape, block=SpikingBasicBlock, widths=(8, 16, 32), depths=(1, 1, 1),
        strides=(1, 2, 2), stem="cifar", stem_width=8, neuron_kw=neuron_kw, hidden_fc=32, min_side=TINY_MIN_SIDE,
    )
