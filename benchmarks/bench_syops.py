"""Compare ``qsnn.metrics.profile`` with syops-counter on one SpikingJelly network (issue 13, item 3).

    PYTHONPATH=/tmp/syops python benchmarks/bench_syops.py [--batch 4] [--T 4] [--seed 0]

syops (PyPI ``syops`` 0.0.5 = github.com/iCGY96/syops-counter at its last commit) counts, per
sample, "ACs" (operations on binary spike inputs, scaled by the input's spike rate) and "MACs"
(operations on non-spike inputs) for SpikingJelly networks. It imports SpikingJelly's old
``clock_driven`` API (``MultiStepLIFNode``; its README pins spikingjelly<=0.0.0.0.12) and the
``progress`` package, and declares ``spikingjelly`` as a requirement, whose newer releases pull
a CUDA torch. So it runs here only beside the project, without dependencies::

    pip install --no-deps --target /tmp/syops syops==0.0.5 spikingjelly==0.0.0.0.12 progress

The network is written as syops' own samples write theirs (``samples/sew_resnet.py``): a
``[B, C, H, W]`` image repeated over T inside ``forward``, plain ``nn.Conv2d``/``nn.BatchNorm2d``
in ``SeqToANNContainer``, ``MultiStepLIFNode`` neurons, float weights, binary spikes, BN gains
raised so that every layer fires. Both counters see the same batch. Per synaptic layer the
comparable quantities are syops' ops on that layer and our ``firing_rate x MACs x T`` (our SOPs
are MACs x S x T, not rate-weighted; ``NS-ACE / W`` is the rate-weighted count). The script
prints both and the reason for every difference, then checks that each difference is exactly
the one named (exit 1 if not). It also runs syops on a subclass of ``nn.Conv2d`` (as
SpikingJelly's ``activation_based.layer.Conv2d`` and qsnn's ``QConv2d`` are) to show that syops
matches module types exactly.
"""

from __future__ import annotations

import argparse
import io
import math
import sys

import torch
from torch import nn

from qsnn.metrics import profile

_NET: nn.Module | None = None  # the network compared (for the BN/LIF predictions)
RECIPE = "pip install --no-deps --target /tmp/syops syops==0.0.5 spikingjelly==0.0.0.0.12 progress"


def _imports():
    try:
        import syops  # noqa: F401 (run_syops imports its engine)
        from spikingjelly.clock_driven import functional, layer, neuron
    except ImportError as err:
        sys.exit(f"bench_syops: needs syops and SpikingJelly 0.0.0.0.12 ({err}); {RECIPE}, then PYTHONPATH=/tmp/syops")
    return functional, layer, neuron


def build(layer, neuron, T: int, conv=nn.Conv2d) -> nn.Module:
    class Net(nn.Module):
        """conv3x3(3->16)-BN-LIF, conv3x3/2(16->32)-BN-LIF, maxpool 2, conv1x1(32->32, bias)-BN-LIF, fc(2048->10)."""

        def __init__(self):
            super().__init__()
            self.T = T
            self.conv1 = layer.SeqToANNContainer(conv(3, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16))
            self.sn1 = neuron.MultiStepLIFNode(tau=2.0)
            self.conv2 = layer.SeqToANNContainer(conv(16, 32, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(32))
            self.sn2 = neuron.MultiStepLIFNode(tau=2.0)
            self.pool = layer.SeqToANNContainer(nn.MaxPool2d(2))
            self.conv3 = layer.SeqToANNContainer(conv(32, 32, 1, bias=True), nn.BatchNorm2d(32))
            self.sn3 = neuron.MultiStepLIFNode(tau=2.0)
            self.fc = layer.SeqToANNContainer(nn.Flatten(), nn.Linear(32 * 8 * 8, 10))

        def forward(self, x):
            x = x.unsqueeze(0).repeat(self.T, 1, 1, 1, 1)
            x = self.sn1(self.conv1(x))
            x = self.pool(self.sn2(self.conv2(x)))
            x = self.sn3(self.conv3(x))
            return self.fc(x).mean(0)

    net = Net()
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.weight.fill_(4.0)
                m.bias.fill_(1.0)
    return net.eval()


def run_syops(functional, net: nn.Module, x: torch.Tensor) -> tuple[dict, dict]:
    """syops' per-module [ops, ACs, MACs] per sample with its spike-rate column (%), and its totals."""
    from syops.engine import add_syops_counting_methods

    counted = add_syops_counting_methods(net)
    counted.eval()
    counted.start_syops_count(ost=io.StringIO(), verbose=False, ignore_list=[])
    with torch.no_grad():
        counted(x)
    functional.reset_net(counted)
    batches = counted.__batch_counter__
    per_module = {
        name: [float(v) / batches for v in m.__syops__[:3]] + [float(m.__syops__[3])]
        for name, m in counted.named_modules()
        if hasattr(m, "__syops__")
    }
    totals, _ = counted.compute_average_syops_cost()
    counted.stop_syops_count()
    return per_module, {"ops": totals[0], "ACs": totals[1], "MACs": totals[2]}


def ours(net: nn.Module, x: torch.Tensor, T: int):
    return profile(net, x, T=T, step_mode="repeat").layers.set_index("layer")


def compare(per_module: dict, rows, T: int, batch: int, net: nn.Module) -> list[str]:
    """Print one line per module syops counted; return the differences not explained."""
    print(
        f"{'module':<10}{'syops ops':>11}{'syops ACs':>11}{'syops MACs':>11}{'syops fr':>9}{'ours MACs*T':>12}"
        f"{'ours fr':>9}{'ours fr*MACs*T':>15}  why they differ"
    )
    unexplained = []
    modules = dict(net.named_modules())
    for name, (ops, acs, macs, rate) in per_module.items():
        module = modules[name]
        row = rows.loc[name] if name in rows.index else None
        why, expected = _explain(name, module, rows, T, batch)
        ours = (
            ["", "", ""]
            if row is None
            else [
                f"{row['macs'] * T:12.0f}",
                f"{row['firing_rate']:9.4f}",
                f"{row['firing_rate'] * row['macs'] * T:15.1f}",
            ]
        )
        print(
            f"{name:<10}{ops:11.1f}{acs:11.1f}{macs:11.1f}{rate / 100:9.4f}{ours[0]:>12}{ours[1]:>9}{ours[2]:>15}  {why}"
        )
        if expected is not None and not math.isclose(acs + macs, expected, rel_tol=1e-9, abs_tol=1e-6):
            unexplained.append(f"{name}: syops {acs + macs} vs {expected} predicted by: {why}")
    return unexplained


# The synaptic layer whose outputs a BN / LIF module of this network processes.
FED_BY = {
    "conv1.1": "conv1.0",
    "sn1": "conv1.0",
    "conv2.1": "conv2.0",
    "sn2": "conv2.0",
    "conv3.1": "conv3.0",
    "sn3": "conv3.0",
}


def _outputs(rows, name: str, module: nn.Module, T: int) -> float:
    """Output elements of a synaptic layer per sample over T steps: its MACs over its fan-in."""
    return rows.loc[name, "macs"] / module.weight[0].numel() * T


def _explain(name: str, module: nn.Module, rows, T: int, batch: int) -> tuple[str, float | None]:
    """The reason syops' count differs from ours, and the count that reason predicts (None: not checked)."""
    modules = dict(_NET.named_modules())
    if isinstance(module, nn.BatchNorm2d):
        return (
            "BN: syops counts 2 ops per element (affine) as MACs; ours 0 (folded into the conv)",
            2 * _outputs(rows, FED_BY[name], modules[FED_BY[name]], T),
        )
    if type(module).__name__.startswith("MultiStep"):
        return (
            "LIF: syops counts each membrane update as an AC, ours 0 (no synapse); syops' rate here is "
            "of time step 0 only (its hook reads output[0] of [T, B, ...])",
            _outputs(rows, FED_BY[name], modules[FED_BY[name]], T),
        )
    if isinstance(module, nn.MaxPool2d):
        return "max-pool: syops counts rate x its inputs as ACs; ours 0 (no synapse)", None
    row = rows.loc[name]
    macs_t = row["macs"] * T
    if isinstance(module, nn.Conv2d):
        bias = _outputs(rows, name, module, T) if module.bias is not None else 0.0  # one add per output
    else:
        bias = module.out_features / batch  # syops adds a linear's bias once per call, not per sample
    if row["in_bits"] != row["in_bits"]:  # NaN: real-valued input
        return "encoding layer: syops counts dense MACs; ours counts it in SOPs at S (MACs*S*T)", macs_t + bias
    reason = (
        "equal: rate x MACs x T" if bias == 0 else "syops adds the bias adds (x rate); ours: none, a bias is no synapse"
    )
    return reason, row["firing_rate"] * (macs_t + bias)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--T", type=int, default=4)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    functional, layer, neuron = _imports()
    torch.manual_seed(args.seed)
    global _NET
    net, x = build(layer, neuron, args.T), torch.rand(args.batch, 3, 32, 32)
    _NET = net
    rows = ours(net, x, args.T)
    per_module, totals = run_syops(functional, net, x)
    per_module = {n: v for n, v in per_module.items() if n and not isinstance(dict(net.named_modules())[n], nn.Flatten)}
    print(f"batch {args.batch}, T={args.T}; per sample over all T steps")
    unexplained = compare(per_module, rows, args.T, args.batch, net)
    _totals(totals, rows, args.T)
    _subclass_check(functional, layer, neuron, args.T, x)
    for line in unexplained:
        print("UNEXPLAINED", line)
    return 1 if unexplained else 0


def _totals(totals: dict, rows, T: int) -> None:
    spiking = rows[rows["in_bits"].notna()]
    weighted = float((spiking["firing_rate"] * spiking["macs"] * T).sum())
    print(f"syops totals: ACs {totals['ACs']:.1f}, MACs {totals['MACs']:.1f} (per sample)")
    print(
        f"ours: rate-weighted synaptic ops on spikes {weighted:.1f}; encoding layer MACs*T "
        f"{float(rows.loc[rows['in_bits'].isna(), 'macs'].sum() * T):.1f}; SOPs (MACs*S*T) {float(rows['sops'].sum()):.1f}; "
        f"NS-ACE {float(rows['ns_ace'].sum()):.1f} = 16 x rate-weighted ops (float weights cost 16 bits) + the encoding layer"
    )


def _subclass_check(functional, layer, neuron, T: int, x: torch.Tensor) -> None:
    class SubConv(nn.Conv2d):
        """What SpikingJelly's activation_based layer.Conv2d and qsnn's QConv2d are: an nn.Conv2d subclass."""

    per_module, _ = run_syops(functional, build(layer, neuron, T, conv=SubConv), x)
    seen = [n for n in per_module if n.endswith(".0") and n.startswith("conv")]
    print(
        f"syops on nn.Conv2d subclasses: convolutions counted: {seen or 'none'} "
        "(it looks up type(module) exactly); profile counts them by isinstance"
    )


if __name__ == "__main__":
    sys.exit(main())
