"""Spikformer-L-D (Zhou et al., ICLR 2023): L encoder blocks of width D.

Registered here (family ``spikformer``):

* ``spikformer-4-256|2-384|4-384``  CIFAR form, 3x32x32, 10 classes;
* ``spikformer-8-384|6-512|8-512|10-512|8-768``  ImageNet form, 3x224x224, 1000 classes;
* ``spikformer-tiny``  one block of width 32 (2 heads), CIFAR-form SPS, for 8x8 inputs.

Source code followed: the authors' code, github.com/ZK-Zhou/spikformer
(``cifar10/model.py`` for the CIFAR form, ``imagenet/model.py`` for the ImageNet form).

Cost roles: every synaptic layer of a block carries ``cost_role`` (``"attn-qkv"`` for
Q/K/V, ``"attn-proj"`` for proj, ``"mlp"`` for the MLP linears), which the shape trace
records (:class:`qsnn.metrics.trace.LayerTrace`). The primary cost convention counts
every role alike; the documented ``paper_counter`` explanation
(:data:`qsnn.metrics.PAPER_COUNTER`) leaves out the four attention projections, which
the authors' ImageNet code builds as ``nn.Conv1d`` (the CIFAR code as ``nn.Linear``).

Structure (as in the authors' code, ZK-Zhou/spikformer):

* **SPS** (spiking patch splitting): four conv3x3-BN-LIF stages of D/8, D/4, D/2,
  D channels (no bias), then a relative-position-embedding ``RPE = conv3x3-BN-LIF``
  (D -> D, no bias) added to its own input. The CIFAR variant max-pools (3x3,
  stride 2) after stages 3 and 4 (patch 4: 32x32 -> 8x8 = 64 tokens); the
  ImageNet variant after all four (patch 16: 224x224 -> 14x14 = 196 tokens).
* **SSA** (spiking self-attention): Q, K, V = LIF(BN(Linear(x))); the attention
  ``Q K^T`` and ``(Q K^T) V`` are :class:`~qsnn.layers.SpikeMatmul` modules so the
  cost metrics see them; scale 0.125; an attention LIF with threshold 0.5 v_th;
  then proj = LIF(BN(Linear)). Heads: D/64 in the ImageNet form (8 for D=512,
  as the authors' ImageNet model), D/32 in the CIFAR form (12 for D=384, as
  their CIFAR config); heads change neither parameters nor MACs.
* **MLP**: Linear(D, 4D)-BN-LIF, Linear(4D, D)-BN-LIF.
* Block: ``x = x + SSA(x); x = x + MLP(x)``; head: Linear over the token mean.
* Biases follow the authors' code, which the published parameter counts need:
  the CIFAR form uses ``nn.Linear`` (bias everywhere); the ImageNet form uses
  1x1 convolutions with no bias for Q/K/V and a bias for proj and the MLP. The
  authors' blocks also hold two LayerNorms that their forward never uses; we
  leave them out (they add 4D parameters per block, < 0.1%).

Section 6.3 restriction (paper): "imposing bit width restrictions on ...
SpikFormer's attention matrices". ``Q K^T`` of S-bit spikes is an integer of up
to ``d (2^S-1)^2``; here the attention map ``A = LIF_S(0.125 Q K^T)`` goes
through an S-bit LIF (``attn_map_lif``, threshold 0.5 v_th like the authors'
attention LIF) before ``A V``, so both attention matmuls are S-bit x S-bit
spike products. ``A V`` is scaled by 0.125 again before the attention LIF, so
each of the two LIFs sees the scaled product the original's single LIF sees.
The paper gives no more detail; this is our reading. Both forms compute
``(Q K^T) V`` in this order (the authors' ImageNet code computes ``Q (K^T V)``,
which is equal without the map LIF but costs ``2 N D^2 / heads`` instead of
``2 N^2 D`` MACs): the restriction needs the N x N map to exist.

Bit-widths seen by each layer (``in_bits``): the first SPS conv sees the image
(None); the head sees the token mean of spikes (real-valued, None); every other
synaptic layer sees S-bit spikes. The residual stream is *not* restricted by the
paper: the SPS output is the sum of 2 S-bit spike tensors and block ``l`` adds 2
more per block, so Q/K/V and MLP-fc1 see a sum of ``in_terms`` S-bit spikes. We
set ``in_bits = S`` on those layers (the paper's Table 1 counts Spikformer's
SOPs as MACs x S x T) and record the truth in the extra attribute ``in_terms``
(1 on every other layer's input), for metrics that want the wider operand.
"""

from __future__ import annotations

import torch
from torch import nn

from qsnn.layers import MultiStep, QLinear, SpikeMatmul
from qsnn.models.base import SpikingNetwork
from qsnn.models.blocks import (
    CIFAR,
    IMAGENET,
    TINY,
    TINY_MIN_SIDE,
    ConvBNLIF,
    check_input_shape,
    make_lif,
    threshold_of,
)
from qsnn.models.registry import register
from qsnn.wst import WST

ATTENTION_SCALE = 0.125
ATTENTION_THRESHOLD = 0.5  # the authors' attention LIF threshold, relative to v_th
MLP_RATIO = 4


class TokenBN(nn.Module):
    """BatchNorm1d over the feature axis of ``[T, B, N, D]`` tokens."""

    def __init__(self, dim: int):
        super().__init__()
        self.bn = nn.BatchNorm1d(dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.bn(x.reshape(-1, x.shape[-1])).reshape(x.shape)


class LinearBNLIF(nn.Sequential):
    """W-bit Linear -> BN -> S-bit LIF over tokens; ``in_terms`` S-bit spike tensors are summed in its input."""

    def __init__(
        self, wst: WST, d_in: int, d_out: int, *, bias: bool, neuron_kw: dict, in_terms: int = 1, role: str = ""
    ):
        linear = QLinear(d_in, d_out, w_bits=wst.w_bits, in_bits=wst.s_bits, bias=bias)
        linear.in_terms = in_terms
        linear.cost_role = role  # read by the shape trace (see the module docstring)
        super().__init__(linear, TokenBN(d_out), make_lif(wst, neuron_kw))


class SPS(nn.Module):
    """Spiking patch splitting: conv stages D/8 -> D/4 -> D/2 -> D, then ``x + RPE(x)``."""

    def __init__(self, wst: WST, in_ch: int, dim: int, pool_after: tuple[bool, ...], neuron_kw: dict):
        super().__init__()
        layers, prev = [], in_ch
        for i, (width, pool) in enumerate(zip((dim // 8, dim // 4, dim // 2, dim), pool_after)):
            layers.append(ConvBNLIF(wst, prev, width, 3, in_bits=None if i == 0 else wst.s_bits, neuron_kw=neuron_kw))
            if pool:
                layers.append(MultiStep(nn.MaxPool2d(3, 2, 1)))
            prev = width
        self.proj = nn.Sequential(*layers)
        self.rpe = ConvBNLIF(wst, dim, dim, 3, in_bits=wst.s_bits, neuron_kw=neuron_kw)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        feat = self.proj(x)
        tokens = self.rpe(feat) + feat  # [T, B, D, H', W']
        return tokens.flatten(-2).transpose(-1, -2)  # [T, B, N, D]


class SSA(nn.Module):
    """Spiking self-attention with the S-bit attention map of the paper's Section 6.3."""

    def __init__(self, wst: WST, dim: int, heads: int, qkv_bias: bool, proj_bias: bool, in_terms: int, neuron_kw: dict):
        super().__init__()
        if dim % heads:
            raise ValueError(f"width {dim} is not divisible by {heads} heads")
        s, self.heads = wst.s_bits, heads
        self.q = LinearBNLIF(wst, dim, dim, bias=qkv_bias, neuron_kw=neuron_kw, in_terms=in_terms, role="attn-qkv")
        self.k = LinearBNLIF(wst, dim, dim, bias=qkv_bias, neuron_kw=neuron_kw, in_terms=in_terms, role="attn-qkv")
        self.v = LinearBNLIF(wst, dim, dim, bias=qkv_bias, neuron_kw=neuron_kw, in_terms=in_terms, role="attn-qkv")
        attn_v_th = ATTENTION_THRESHOLD * threshold_of(neuron_kw)
        self.qk = SpikeMatmul(a_bits=s, b_bits=s)
        self.attn_map_lif = make_lif(wst, neuron_kw, v_th=attn_v_th)
        self.av = SpikeMatmul(a_bits=s, b_bits=s)
        self.attn_lif = make_lif(wst, neuron_kw, v_th=attn_v_th)
        self.proj = LinearBNLIF(wst, dim, dim, bias=proj_bias, neuron_kw=neuron_kw, role="attn-proj")

    def split_heads(self, x: torch.Tensor) -> torch.Tensor:
        return x.unflatten(-1, (self.heads, -1)).transpose(-2, -3)  # [T, B, h, N, d]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        q, k, v = (self.split_heads(proj(x)) for proj in (self.q, self.k, self.v))
        attn = self.attn_map_lif(self.qk(q, k.transpose(-1, -2)) * ATTENTION_SCALE)  # S-bit map [T, B, h, N, N]
        y = self.av(attn, v) * ATTENTION_SCALE
        y = y.transpose(-2, -3).flatten(-2)  # [T, B, N, D]
        return self.proj(self.attn_lif(y))


class EncoderBlock(nn.Module):
    def __init__(self, wst: WST, dim: int, heads: int, qkv_bias: bool, index: int, neuron_kw: dict):
        super().__init__()
        stream_terms = 2 + 2 * index  # SPS output (2 terms) plus 2 per earlier block
        self.attn = SSA(wst, dim, heads, qkv_bias, True, stream_terms, neuron_kw)
        self.mlp = nn.Sequential(
            LinearBNLIF(
                wst, dim, MLP_RATIO * dim, bias=True, neuron_kw=neuron_kw, in_terms=stream_terms + 1, role="mlp"
            ),
            LinearBNLIF(wst, MLP_RATIO * dim, dim, bias=True, neuron_kw=neuron_kw, role="mlp"),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(x)
        return x + self.mlp(x)


class Spikformer(SpikingNetwork):
    def __init__(
        self, wst: WST, num_classes: int, input_shape, *, depth: int, dim: int, heads: int, form: str, neuron_kw: dict
    ):
        super().__init__(wst, num_classes, check_input_shape(input_shape, 16 if form == "imagenet" else TINY_MIN_SIDE))
        if dim % 8:
            raise ValueError(f"Spikformer width D={dim} must be a multiple of 8 (SPS uses D/8 channels)")
        pools = (True, True, True, True) if form == "imagenet" else (False, False, True, True)
        self.patch_embed = SPS(wst, self.input_shape[0], dim, pools, neuron_kw)
        qkv_bias = form != "imagenet"
        self.blocks = nn.Sequential(*(EncoderBlock(wst, dim, heads, qkv_bias, i, neuron_kw) for i in range(depth)))
        # The head sees the token mean of spikes, a real value: in_bits=None.
        self.head = QLinear(dim, num_classes, w_bits=wst.w_bits, in_bits=None)

    def forward_steps(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.blocks(self.patch_embed(x)).mean(2))


def _spikformer(depth: int, dim: int, form: str):
    heads = dim // 64 if form == "imagenet" else dim // 32

    def build(wst: WST, num_classes: int, input_shape, **neuron_kw) -> Spikformer:
        return Spikformer(
            wst, num_classes, input_shape, depth=depth, dim=dim, heads=heads, form=form, neuron_kw=neuron_kw
        )

    return build


for _depth, _dim in ((4, 256), (2, 384), (4, 384)):
    register(
        f"spikformer-{_depth}-{_dim}",
        family="spikformer",
        **CIFAR,
        stand_in="spikformer-tiny",
        description=f"Spikformer-{_depth}-{_dim}, CIFAR form",
    )(_spikformer(_depth, _dim, "cifar"))
for _depth, _dim in ((8, 384), (6, 512), (8, 512), (10, 512), (8, 768)):
    register(
        f"spikformer-{_depth}-{_dim}",
        family="spikformer",
        **IMAGENET,
        stand_in="spikformer-tiny",
        description=f"Spikformer-{_depth}-{_dim}, ImageNet form",
    )(_spikformer(_depth, _dim, "imagenet"))


@register(
    "spikformer-tiny", family="spikformer", **TINY, description="1 block, D=32, 2 heads, CIFAR-form SPS, for 8x8 inputs"
)
def spikformer_tiny(wst: WST, num_classes: int, input_shape, **neuron_kw) -> Spikformer:
    return Spikformer(wst, num_classes, input_shape, depth=1, dim=32, heads=2, form="cifar", neuron_kw=neuron_kw)
