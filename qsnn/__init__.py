"""qsnn: W/S/T quantized spiking networks and Bit-Budget cost metrics.

The library behind *bitbudget*, the reproducible artifact for Shen et al.,
"Are Conventional SNNs Really Efficient? A Perspective from Network
Quantization" (CVPR 2024).

Layout (SpikingJelly's split):
  - ``qsnn.wst``         the typed W/S/T allocation and its validation
  - ``qsnn.quant``       the weight quantizer (Eq. 5)
  - ``qsnn.neurons``     the multi-bit LIF neuron (Eqs. 6-7)
  - ``qsnn.layers``      quantized, multi-step layers
  - ``qsnn.functional``  stateless helpers (bit-planes, integer neuron, ...)
  - ``qsnn.models``      the architecture registry
  - ``qsnn.resources``   the packaged data files (manifests, config schema, table templates, paper tables)
All tensors are laid out multi-step, ``[T, B, ...]``.
"""

from qsnn.wst import WST, parse_wst

__all__ = ["WST", "parse_wst"]
__version__ = "0.1.0"
