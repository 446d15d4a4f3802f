"""Record spiking activity during real forward passes (for NS-ACE, Eq. 9, and Fig. 6)."""

from __future__ import annotations

import pandas as pd
import torch
from torch import nn

from qsnn.layers import SYNAPTIC_LAYERS
from qsnn.neurons import MultiBitLIF


class ActivityRecorder:
    """Context manager recording activity while a model runs on real data.

    * per synaptic layer: the fraction of non-zero entries of its input (for a
      :class:`SpikeMatmul`, of its first operand ``a``), the ``fr`` that turns
      S-ACE into NS-ACE (Eq. 9: only non-zero inputs cost energy);
    * per :class:`MultiBitLIF`: firing rate (fraction of non-zero outputs) and the
      histogram over its ``2**S`` levels, from the neuron's own ``record`` stats.

    Counts accumulate over every forward pass inside the ``with`` block, so the
    rates are exact over the whole evaluated set (not means of batch means).
    Neuron statistics are reset on entry and the neurons' ``record`` flags
    restored on exit::

        with ActivityRecorder(model) as rec:
            for x, _ in loader:
                model(x)
        report = cost_table(model, firing_rates=rec.layer_input_rates())
    """

    def __init__(self, model: nn.Module):
        self.model = model
        self._layers = {m: n for n, m in model.named_modules() if isinstance(m, SYNAPTIC_LAYERS)}
        self._neurons = {n: m for n, m in model.named_modules() if isinstance(m, MultiBitLIF)}
        self._counts: dict[str, list[int]] = {}
        self._handles: list = []
        self._saved_record: dict[str, bool] = {}

    def __enter__(self) -> "ActivityRecorder":
        self._counts = {name: [0, 0] for name in self._layers.values()}
        self._handles = [m.register_forward_pre_hook(self._on_input) for m in self._layers]
        for name, neuron in self._neurons.items():
            self._saved_record[name] = neuron.record
            neuron.reset_stats()
            neuron.record = True
        return self

    def __exit__(self, *exc) -> None:
        for h in self._handles:
            h.remove()
        self._handles = []
        for name, neuron in self._neurons.items():
            neuron.record = self._saved_record.get(name, False)

    def _on_input(self, module: nn.Module, inputs: tuple) -> None:
        x = inputs[0]
        if x.device.type == "meta":
            return
        counts = self._counts[self._layers[module]]
        counts[0] += int(torch.count_nonzero(x.detach()))
        counts[1] += x.numel()

    def layer_input_rates(self) -> dict[str, float]:
        """``{layer: fraction of non-zero inputs}`` for every synaptic layer that ran."""
        return {name: nz / total for name, (nz, total) in self._counts.items() if total > 0}

    def neuron_table(self) -> pd.DataFrame:
        """One row per neuron that fired at least once: ``layer, s_bits, firing_rate, hist``."""
        rows = [
            {
                "layer": name,
                "s_bits": n.s_bits,
                "firing_rate": n.stats["nonzero"] / n.stats["total"],
                "hist": [int(v) for v in n.stats["hist"].tolist()],
            }
            for name, n in self._neurons.items()
            if n.stats["total"] > 0
        ]
        return pd.DataFrame(rows, columns=["layer", "s_bits", "firing_rate", "hist"])

    def neuron_records(self) -> list[dict]:
        """The neuron table in ``metrics.json``'s ``firing_rates`` form: ``[{layer, s_bits, rate, hist}, ...]``."""
        table = self.neuron_table().rename(columns={"firing_rate": "rate"})
        return table.to_dict(orient="records")


__all__ = ["ActivityRecorder"]
