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

Counting conventions: the primary one (:data:`PAPER_CONVENTION`, the default)
-------------------------------------------------------------------------------
The primary convention is one honest, uniform count: every synaptic layer of the
published architecture, the same rules for every row of every table.

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
* **A multi-bit spike is charged all S bits, whatever its level.** A level-1 spike of
  an S=4 neuron costs n*W*4*T in S-ACE and, when non-zero, in NS-ACE, exactly like a
  level-15 spike: Eq. 8's BB = W*S*T makes no difference between levels, and NS-ACE's
  ``fr`` (Eq. 9) is the fraction of *non-zero* inputs. The alternative is a per-bit
  count (a bit-serial PE skips the zero bit-planes of a spike): each non-zero input
  costs only popcount(level) of its S bits. For one row, Table 2 row 8 (Spikformer-4-384
  4/4/1, S-ACE 14.743 G): at a firing fraction ``fr``, ours charges NS-ACE =
  fr x 14.743 G; the per-bit count would charge fr x 3.686 G if every non-zero spike were
  at level 1 (1 of 4 bits), and fr x 7.863 G if the levels 1..15 were equally likely
  (mean popcount 32/15 = 2.13 bits). S-ACE (no activity) is the same under both.
* **MACs include zero padding; firing rates exclude it.** A conv's MACs count every
  kernel tap, also those that fall on the zero padding (the standard count, equal to
  ``torch.utils.flop_counter``), while :class:`ActivityRecorder` measures ``fr`` over the
  layer's real input tensor, without the padding. NS-ACE = fr x S-ACE therefore charges
  the padded taps at the layer's rate although padding never spikes. The alternative
  counts only real synapses (:attr:`LayerTrace.macs_unpadded`): for one row, Table 1 row 6
  (SEW-ResNet-34 1/1/1), S-ACE 3.664 G ours vs 3.375 G real synapses (-7.9 %), and NS-ACE
  7.9 % lower at equal ``fr``. The paper's numbers are not that count (it moves 16 of the
  19 SOPs / S-ACE cells that match today beyond 2 %, see ``qsnn paper-costs``).

The ``paper_counter`` convention (:data:`PAPER_COUNTER`): an explanation, never a replacement
------------------------------------------------------------------------------------------
Every quantized Spikformer row of the paper with T <= 2 (Table 1 rows 15-21, Tables 2/5
T <= 2 rows) sits 4*N*D^2 MACs per block below the primary count, while its T = 4 rows
and the cited 16/1/4 rows do not (an equal-budget inconsistency of the paper itself:
Table 2 prints 3.08 G for 1/4/1 and 3.69 G for 1/1/4). The gap has two readings with the
same number of MACs:

(a) **one MLP linear** per block (N*D*4D = 4*N*D^2): an MLP ratio of 2, or one MLP layer
    the counter skipped;
(b) **the four attention projections q, k, v, proj** (4 x N*D^2): the authors' ImageNet
    Spikformer (github.com/ZK-Zhou/spikformer, ``imagenet/model.py``) builds exactly these
    four as ``nn.Conv1d``, so a counter that hooks only ``nn.Conv2d`` and ``nn.Linear``
    misses exactly this amount. (Their CIFAR code builds them as ``nn.Linear``; the paper's
    numbers cannot tell the readings apart.)

:data:`PAPER_COUNTER` implements reading (b) (layers tagged ``cost_role`` ``attn-qkv`` /
``attn-proj`` are left out). Applied where the paper's numbers show the gap (its own T <= 2
Spikformer rows, :func:`qsnn.metrics.paper.paper_counter_applies`), 32 of those 34 cells
fit within 2 % (Spikformer-4-384: 0.7705 G MACs per step vs the printed 0.77; Spikformer-8-512:
6.6125 G = Table 1's 4/2/1 S-ACE 52.90 / 8). It never replaces ours: tables and figures show
the primary count; ``qsnn paper-costs`` and the reproduction report show both.

Any spiking network, and NIR graphs
-----------------------------------
:func:`profile` (:mod:`qsnn.metrics.profile`) counts the same table for any ``nn.Module``
(SpikingJelly, snnTorch, plain PyTorch) from one real forward pass, reading bit-widths from the
values it sees; on qsnn's models it equals :func:`cost_table`. :mod:`qsnn.metrics.nir` counts it
for a NIR graph from its weights and shapes (``qsnn cost --nir FILE``). Both end in
:func:`~qsnn.metrics.cost.build_report`, the one implementation of the formulas above.

Published cells and the paper's inconsistencies
-----------------------------------------------
``qsnn paper-costs`` (:func:`qsnn.metrics.paper.paper_cells`) gives every one of the 138
published cost cells of Tables 1, 2, 5 a status: ``match``, ``match-paper-counter`` or a
named ``erratum:<class>`` (:data:`qsnn.metrics.paper.ERRATUM_CLASSES`), with an evidence
sentence. The classes come from the internal-consistency checks of
:mod:`qsnn.metrics.consistency` (Eq. 8 within a row, equal budget => equal S-ACE,
Params proportional to W) and the ResNet MAC-base audit of :mod:`qsnn.metrics.audit`;
``data/paper/README.md`` lists them with their numbers.
"""

from qsnn.metrics.activity import ActivityRecorder
from qsnn.metrics.cost import (
    PAPER_CONVENTION,
    PAPER_COUNTER,
    PRIMARY_CONVENTION,
    STRICT_CONVENTION,
    CostReport,
    CountingConvention,
    build_report,
    cost_frame,
    cost_table,
    rebind_bits,
)
from qsnn.metrics.profile import profile
from qsnn.metrics.trace import LayerTrace, count_params, trace_layers

__all__ = [
    "PAPER_CONVENTION",
    "PAPER_COUNTER",
    "PRIMARY_CONVENTION",
    "STRICT_CONVENTION",
    "ActivityRecorder",
    "CostReport",
    "CountingConvention",
    "LayerTrace",
    "build_report",
    "cost_frame",
    "cost_table",
    "count_params",
    "profile",
    "rebind_bits",
    "trace_layers",
]
