"""Audit of the MAC base behind published ResNet costs: which reading of the network fits?

Table 1 prints every ResNet-34 row (SEW-ResNet-34 at T=1, 2, 4; Hybrid training at T=250;
tdBN at T=6) on one MAC base, 3.40 G per time step (SOPs / (S * T)), and the ResNet-50
rows on 3.37-3.38 G. Our ResNet-34 has 3.664 G (+7.8 %), our ResNet-50 4.089 G (+21 %):
both are the standard torchvision counts (``torch.utils.flop_counter`` agrees integer for
integer). This module tries the readings that could shrink the count, so that the errata
can say what was tried and by how much each one misses:

* input resolution 200-224 px (the MAC count is a step function of the side: the stem and
  the stride-2 stages floor it) -- :func:`resolution_scan`;
* dropping the stem, the classifier or the 1x1 projection shortcuts, or a max-pool without
  padding -- :func:`imagenet_resnet_macs` flags, :func:`layer_variants`;
* counting only real synapses, i.e. leaving out the taps that land on zero padding
  (:attr:`qsnn.metrics.trace.LayerTrace.macs_unpadded`).

None of the single readings reaches 3.40 G within 2 % (closest: 209 px, +3.4 %; no stem,
+4.3 %) except the real-synapse count (3.375 G, -0.7 %), and that rule breaks 16 of the 19
SOPs / S-ACE cells that match today (ResNet-20 -10 %, ResNet-19 -6 %, Spikformer-4-384 -4 %;
see ``qsnn paper-costs``), so it is not the paper's convention. The
paper's ResNet-50 base is smaller than its ResNet-34 base, which no standard definition
allows (ResNet-50 has more MACs than ResNet-34 at every resolution).

:func:`imagenet_resnet_macs` computes torchvision's ImageNet ResNet MACs in closed form
(microseconds per resolution, instead of a shape trace per resolution); the tests check it
against the shape trace.
"""

from __future__ import annotations

from dataclasses import dataclass

from qsnn.metrics.trace import LayerTrace

IMAGENET_RESNETS = {  # depth -> (blocks per stage, bottleneck?), torchvision's layouts
    18: ((2, 2, 2, 2), False),
    34: ((3, 4, 6, 3), False),
    50: ((3, 4, 6, 3), True),
}
STAGE_WIDTHS = (64, 128, 256, 512)
SCAN_SIZES = tuple(range(200, 225))


def _out(n: int, kernel: int, stride: int, padding: int) -> int:
    return (n + 2 * padding - kernel) // stride + 1


def imagenet_resnet_macs(
    depth: int,
    size: int = 224,
    *,
    num_classes: int = 1000,
    stem: bool = True,
    fc: bool = True,
    shortcuts: bool = True,
    maxpool_padding: int = 1,
) -> int:
    """MACs per image of torchvision's ResNet-``depth`` (SEW and plain spiking alike) at ``size`` x ``size``.

    7x7/2 stem (pad 3), 3x3/2 max-pool (pad ``maxpool_padding``), four stages with the stride
    in the first 3x3 convolution of stages 2-4, 1x1 projection shortcuts where the shape
    changes, global average pool, FC. The flags leave parts out, for the audit.
    """
    if depth not in IMAGENET_RESNETS:
        raise ValueError(f"depth={depth}: torchvision layouts known here are {sorted(IMAGENET_RESNETS)}")
    depths, bottleneck = IMAGENET_RESNETS[depth]
    side = _out(size, 7, 2, 3)
    total = side * side * 3 * 64 * 49 if stem else 0
    side = _out(side, 3, 2, maxpool_padding)
    cin = 64
    for stage, (width, blocks) in enumerate(zip(STAGE_WIDTHS, depths)):
        for block in range(blocks):
            stride = 2 if stage > 0 and block == 0 else 1
            out_side = _out(side, 3, stride, 1)
            if bottleneck:
                cout = 4 * width
                total += side * side * cin * width + out_side * out_side * width * (9 * width + cout)
            else:
                cout = width
                total += out_side * out_side * 9 * width * (cin + width)
            if shortcuts and (stride != 1 or cin != cout):
                total += out_side * out_side * cin * cout
            side, cin = out_side, cout
    return total + (cin * num_classes if fc else 0)


@dataclass(frozen=True)
class ScanResult:
    """The resolution closest to a published MAC base: ``size`` px gives ``macs`` (``rel_dev`` from it)."""

    size: int
    macs: int
    rel_dev: float


def resolution_scan(depth: int, published_macs: float, sizes=SCAN_SIZES, **flags) -> ScanResult:
    """The input side in ``sizes`` whose ResNet-``depth`` MACs come closest to ``published_macs``."""
    results = [
        ScanResult(s, m, m / published_macs - 1.0) for s in sizes for m in [imagenet_resnet_macs(depth, s, **flags)]
    ]
    return min(results, key=lambda r: (abs(r.rel_dev), r.size))


def layer_variants(traces: list[LayerTrace]) -> dict[str, float]:
    """MACs per step of a traced network under the audit's readings (attention products never counted).

    ``all``: every synaptic layer (the primary count); ``real_synapses``: zero-padded taps left
    out; ``no_stem``: without the encoding layer (the first layer with a real-valued input);
    ``no_fc``: without linear layers; ``no_shortcuts``: without layers named ``*shortcut*``.
    """
    layers = [t for t in traces if t.kind != "matmul"]
    total = sum(t.macs for t in layers)
    stem = next((t for t in layers if t.in_bits is None and t.kind == "conv"), None)
    return {
        "all": total,
        "real_synapses": sum(t.macs if t.macs_unpadded is None else t.macs_unpadded for t in layers),
        "no_stem": total - (stem.macs if stem is not None else 0.0),
        "no_fc": total - sum(t.macs for t in layers if t.kind == "linear"),
        "no_shortcuts": total - sum(t.macs for t in layers if "shortcut" in t.name),
    }


def imagenet_depth(arch: str) -> int | None:
    """18/34/50 for the ImageNet SEW / plain spiking ResNets, ``None`` for any other architecture."""
    for prefix in ("sew-resnet-", "spiking-resnet-"):
        if arch.startswith(prefix) and arch.removeprefix(prefix).isdigit():
            depth = int(arch.removeprefix(prefix))
            return depth if depth in IMAGENET_RESNETS else None
    return None


__all__ = [
    "IMAGENET_RESNETS",
    "SCAN_SIZES",
    "ScanResult",
    "imagenet_depth",
    "imagenet_resnet_macs",
    "layer_variants",
    "resolution_scan",
]
