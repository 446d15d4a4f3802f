"""Bit-Budget cost metrics (paper Section 3.2, Eqs. 4, 8, 9), counted from the model itself.

Definitions (per sample, i.e. per image or event sequence)
-----------------------------------------------------------
For each synaptic layer ``l`` (:data:`qsnn.layers.SYNAPTIC_LAYERS`) with ``n_l``
multiply-accumulates per time step (MACs, found by shape tracing on the meta
device, see :mod:`qsnn.metrics.trace`), weight bits ``W_l`` and input bits ``S_l``::

    SOPs   = sum_l n_l * S_l * T              (an S-bit spike = S binary synaptic events)
    S-ACE  = sum_l n_l * W_l * S_l * T        (Eq. 8: n_{w,s} * BB, BB = W*S*T, Eq. 4)
    NS-ACE = sum_l fr_l * n_l * W_l * S_l * T (Eq. 9; fr_l = fraction of non-zero inputs of l)

``fr_l`` comes from :class:`ActivityRecorder`; a layer with a real-valued input
has ``fr = 1`` (dense input) unless a rate is given.

Evidence for the formulas. Table 1 prints SEW-ResNet-34 16/1/4 as 13.61 G SOPs and
217.72 G S-ACE (= 13.61 * 16), 1/1/1 as 3.40 / 3.40, 2/1/2 as 6.80 / 13.6,
8/8/1 as 27.1 / 217: every one is 3.40 G * S * T (SOPs) and 3.40 G * W * S * T (S-ACE).
The same base (3.40 G) gives Hybrid training at T=250 (850.6) and tdBN at T=6 (20.42).

Counting conventions (:data:`PAPER_CONVENTION`, the default), derived from the paper's numbers
--------------------------------------------------------------------------------------------
* **Full precision is BF16**: W=16 weights cost 16 bits (Table 1 caption).
* **First layer (real-valued input)**: the encoding conv sees the image (or event
  frames), not spikes (``in_bits=None``). It is *counted*, and charged as if its
  input were S-bit, i.e. at n*S*T SOPs and n*W*S*T S-ACE. Evidence: the Spikformer
  rows match to 0.05-1.0 % with it and 0.2-1.8 % without it (Tables 1 and 5,
  e.g. Spikformer-2-384 on CIFAR: 44.48 G vs the printed 44.50 G with it,
  44.39 G without), and SOPs = MACs*S*T holds for the printed totals.
  ``CountingConvention(real_input_bits=16)`` charges it as BF16 instead.
* **Classifier**: counted like any linear layer; when it reads averaged spikes
  (``in_bits=None``) it is charged at S bits like the first layer. It is <0.1 %
  of every model in the tables, so the paper's numbers cannot resolve this choice.
* **Spike x spike attention products** (Spikformer's Q K^T and attn V,
  :class:`~qsnn.layers.SpikeMatmul`): listed with their MACs but *not counted*
  in SOPs/S-ACE (``counted=False``). Evidence: counting them puts every Spikformer
  row 0.7-4.7 % above the printed value, leaving them out 0.05-1.0 % below
  (e.g. Spikformer-8-384 on ImageNet: -0.3 % without, +4.7 % with). They have
  no synaptic weights, which is presumably why the paper's counter skipped them.
  ``CountingConvention(count_attention_matmuls=True)`` counts them at
  ``a_bits * b_bits * T`` bit budget.
* **Residual adds, pooling, LIF updates, BatchNorm**: no MACs. BN is folded into
  the preceding convolution / linear at inference; SEW's ADD connections and
  pooling are additions, not synaptic multiply-accumulates.
* **Params**: ``params`` is the parameter count of the full model including BN
  affine parameters and biases, excluding the quantizers' LSQ step sizes
  (the published 21.79 M of SEW-ResNet-34 is torchvision's ResNet-34 count).
  The paper's "Params (M)" column is parameter *memory* in 16-bit words,
  ``params * W / 16``: SEW-ResNet-34 prints 21.79 at W=16, 1.36 at W=1 (21.79/16),
  2.72 at W=2, 10.89 at W=8; Spikformer-8-512 1.86 at W=1, 3.71 at W=2.
  It is reported as ``params_M_paper_units``. The paper applies W/16 to the whole
  model (BN and biases too): keeping those at 16 bits would print 1.38, not 1.36.
* **MACs per time step**: structure does not change over T, so costs scale with T;
  ``macs`` in the totals is the MACs of the counted layers, ``macs_all`` of all.

Inconsistencies in the paper (see ``data/paper/README.md`` and ``qsnn paper-costs``)
* Table 1 Spikformer-8-512 16/1/4: S-ACE 516.4 is 15.5 x SOPs; every other
  Spikformer row is 16.0 x. The SOPs (33.24) follow the depth trend of 6-512 and 10-512.
* Table 1 Params: 4/2/1 prints 3.71 (fits W=2), 2/4/1 prints 7.42 (fits W=4),
  4/8/1 prints 14.84 (fits W=8); SOPs of 4/8/1 (26.25) fit S=4, not S=8.
* Tables 2/5: S-ACE of W/S/T allocations with equal bit budget differ although
  Eq. 8 makes them equal (1/4/1, 1/2/2: 3.08; 1/1/4: 3.69). Every quantized row
  with T<=2 implies 0.77 G MACs, the T=4 rows (and the cited 16/1/4 row) 0.923 G;
  ours is 0.9215 G. Likewise Table 1's quantized Spikformer-8-512 rows imply
  6.56-6.79 G against 8.3 G for its 16/1/4 row. Both gaps are exactly one MLP
  linear per block (N*D*4D MACs): our 4-384 without it gives 0.7705 G (printed
  0.770) and our 8-512 6.6125 G (printed 4/2/1 S-ACE 52.90/8 = 6.6125 G). The
  paper's quantized Spikformer thus had half the MLP MACs (MLP ratio 2, or an
  MLP layer its counter missed); we cost the published architecture.
* Tables 2/5 print 4.15 M params for Spikformer-4-384 (and 2-384): that is
  Spikformer-4-256's count; the quantized rows' 0.26/0.52/1.04/2.08 are 4.15*W/16.
"""

from qsnn.metrics.activity import ActivityRecorder
from qsnn.metrics.cost import (
    PAPER_CONVENTION, STRICT_CONVENTION, CostReport, CountingConvention, cost_frame, cost_table, rebind_bits,
)
from qsnn.metrics.trace import LayerTrace, count_params, trace_layers

__all__ = [
    "PAPER_CONVENTION", "STRICT_CONVENTION", "ActivityRecorder", "CostReport", "CountingConvention", "LayerTrace",
    "cost_frame", "cost_table", "count_params", "rebind_bits", "trace_layers",
]
