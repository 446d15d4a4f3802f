"""CIFARNet of Fang et al. (PLIF, ICCV 2021), the network of the paper's "CIFARNet-Fang" row.

Registered here (family ``cifarnet``):

* ``cifarnet``  ``{{c256k3s1-BN-SN} x 3 - MPk2s2} x 2 - DP - FC2048 - SN - DP -
  FC(10 x classes) - SN - voting (average of each group of 10 outputs)``,
  3x32x32 input, 10 classes; the linear layers have no bias, as in the PLIF code.
  This is 36.7 M parameters (the 16384 x 2048 FC dominates); the paper's Table 5
  prints 0.58 M for this row, which no reading of the PLIF network gives.
* ``cifarnet-tiny``  the same layout at 16 channels, FC 64, dropout 0.2, for 8x8 inputs.

Source code followed: Fang et al.'s PLIF code (github.com/fangwei123456/Parametric-Leaky-Integrate-and-Fire-Spiking-Neuron,
``codes/models.py``, its CIFAR-10 network), the same network as SpikingJelly's
``activation_based/model/parametric_lif_net.py`` ``CIFAR10Net``. Table 5's 0.58 M / 3.57 G
(16/1/8) for this row are not that network's costs (36.7 M, 217.8 G; the printed S-ACE
implies 27.9 M MACs per step against its 1.702 G): ``qsnn paper-costs`` classes both cells
``erratum:cifarnet-cited-cost``.

Deviation: PLIF learns each layer's membrane time constant; here every neuron is
the paper's multi-bit LIF with a fixed ``tau`` (default 2.0, PLIF's initial
value), so that the W/S/T study changes only the bit allocation.

The first convolution sees the image (``in_bits=None``); every other layer,
classifier included, is fed by S-bit spikes (max-pool and flatten keep them
spikes), so its ``in_bits`` is S. Dropout is active only in training.
"""

from __future__ import annotations

import torch
from torch import nn

from qsnn.layers import MultiStep, QLinear
from qsnn.models.base import SpikingNetwork
from qsnn.models.blocks import CIFAR, TINY, TINY_MIN_SIDE, ConvBNLIF, check_input_shape, make_lif
from qsnn.models.registry import register
from qsnn.wst import WST

VOTES_PER_CLASS = 10


class CIFARNet(SpikingNetwork):
    def __init__(
        self, wst: WST, num_classes: int, input_shape, *, width: int, hidden: int, neuron_kw: dict, dropout: float = 0.5
    ):
        super().__init__(wst, num_classes, check_input_shape(input_shape, TINY_MIN_SIDE))
        c, h, w = self.input_shape
        s = wst.s_bits
        convs = []
        for i in range(6):
            convs.append(
                ConvBNLIF(wst, c if i == 0 else width, width, 3, in_bits=None if i == 0 else s, neuron_kw=neuron_kw)
            )
            if i in (2, 5):
                convs.append(MultiStep(nn.MaxPool2d(2, 2)))
        self.features = nn.Sequential(*convs)
        flat = width * (h // 4) * (w // 4)
        self.classifier = nn.Sequential(
            nn.Dropout(dropout),
            QLinear(flat, hidden, w_bits=wst.w_bits, in_bits=s, bias=False),
            make_lif(wst, neuron_kw),
            nn.Dropout(dropout),
            QLinear(hidden, num_classes * VOTES_PER_CLASS, w_bits=wst.w_bits, in_bits=s, bias=False),
            make_lif(wst, neuron_kw),
        )

    def forward_steps(self, x: torch.Tensor) -> torch.Tensor:
        votes = self.classifier(self.features(x).flatten(2))
        # Voting layer: average the 10 output neurons of each class (PLIF's AvgPool1d(10, 10)).
        return votes.unflatten(-1, (self.num_classes, VOTES_PER_CLASS)).mean(-1)


@register(
    "cifarnet",
    family="cifarnet",
    **CIFAR,
    stand_in="cifarnet-tiny",
    description="CIFARNet of Fang et al. (PLIF, ICCV 2021)",
)
def cifarnet(wst: WST, num_classes: int, input_shape, **neuron_kw) -> CIFARNet:
    return CIFARNet(wst, num_classes, input_shape, width=256, hidden=2048, neuron_kw=neuron_kw)


@register("cifarnet-tiny", family="cifarnet", **TINY, description="CIFARNet layout at 16 channels for 8x8 inputs")
def cifarnet_tiny(wst: WST, num_classes: int, input_shape, **neuron_kw) -> CIFARNet:
    # A lighter dropout than PLIF's 0.5: a 64-neuron FC trained for seconds cannot afford losing half.
    return CIFARNet(wst, num_classes, input_shape, width=16, hidden=64, neuron_kw=neuron_kw, dropout=0.2)
