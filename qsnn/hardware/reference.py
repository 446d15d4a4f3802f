"""Integer software reference of the RTL, built on :func:`qsnn.functional.lif_integer`.

The RTL is checked bit-exact against these functions:

* :func:`reference_layer`: ``P_sum[t] = codes @ spikes[t]`` (integer weight codes
  of :func:`qsnn.quant.weight_codes`, integer spike levels), then the
  multi-bit LIF neuron in integer form over the T steps of every sample;
* :func:`reference_pipeline`: three such layers chained, the levels of one
  layer being the input spikes of the next (same T);
* :func:`layer_codes`: the integer weight codes of a trained ``QLinear`` /
  ``QConv2d`` (flattened to ``[out, in]``).
"""

from __future__ import annotations

import numpy as np
import torch

from qsnn.functional import lif_integer
from qsnn.quant import weight_codes


def reference_layer(
    codes: np.ndarray,
    spikes: np.ndarray,
    v_th: int,
    s_bits: int,
    leak_shift: int = 1,
    reset: str = "hard",
    v_reset: int = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Levels ``[T, N, out]``, membrane ``[T, N, out]`` and P_sum ``[T, N, out]`` of one layer.

    ``codes`` is ``[out, in]`` (W=1: +-1), ``spikes`` is ``[T, N, in]`` of levels.
    """
    codes = np.asarray(codes, dtype=np.int64)
    spikes = np.asarray(spikes, dtype=np.int64)
    psum = spikes @ codes.T  # exact in int64
    levels, membrane = lif_integer(torch.from_numpy(psum), v_th, s_bits, leak_shift=leak_shift, reset=reset, v_reset=v_reset)
    return levels.numpy(), membrane.numpy(), psum


def reference_pipeline(codes_list: list[np.ndarray], spikes: np.ndarray, v_th: int, s_bits: int, leak_shift: int = 1, reset: str = "hard") -> np.ndarray:
    """Levels ``[T, N, out]`` of the last of chained layers."""
    x = np.asarray(spikes, dtype=np.int64)
    for codes in codes_list:
        x, _, _ = reference_layer(codes, x, v_th, s_bits, leak_shift, reset)
    return x


def layer_codes(layer: torch.nn.Module) -> np.ndarray:
    """Integer weight codes ``[out, in]`` of a quantized ``QLinear`` / ``QConv2d`` (W < 16)."""
    quantizer = layer.quantizer
    codes, _scale = weight_codes(layer.weight.detach(), quantizer.bits, quantizer.step.detach() if quantizer.step is not None else None)
    return codes.reshape(codes.shape[0], -1).numpy()
