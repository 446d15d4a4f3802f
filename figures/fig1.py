"""Fig. 1: a T-step binary spike train carries the same information as the T bit-planes
of a T-bit activation, and a synaptic layer fed plane by plane, with the plane outputs
weighted by 2**t and summed, equals the layer applied to the activation (paper Eq. 3).

Drawn from a real computation, not a sketch: random 4-bit activations (seed 0) are split
with ``qsnn.functional.bitplanes``; a 2-bit ``qsnn.layers.QLinear`` (seeded weights) is
applied to the activation and to each plane; ``qsnn.functional.from_bitplanes`` recombines
the plane outputs. The figure prints the largest difference between the two sides. The
computation is tiny (8 inputs, 6 outputs) and uses no trained results; ``--profile`` is
only printed so every figure of a build names its profile.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

import common
import matplotlib.pyplot as plt
import numpy as np
import torch

from qsnn.functional import bitplanes, from_bitplanes
from qsnn.layers import QLinear

N_BITS = 4  # T: bits of the activation = time steps of the spike train
N_IN, N_OUT = 8, 6
W_BITS = 2
SEED = 0


@dataclass(frozen=True)
class Equivalence:
    activation: np.ndarray  # [N_IN] integers in [0, 2**T)
    planes: np.ndarray  # [T, N_IN] binary spikes, plane t = time step t
    plane_outputs: np.ndarray  # [T, N_OUT] layer(plane t)
    direct: np.ndarray  # [N_OUT] layer(activation)
    recombined: np.ndarray  # [N_OUT] sum_t 2**t layer(plane t)

    @property
    def max_abs_error(self) -> float:
        return float(np.abs(self.direct - self.recombined).max())


def compute_equivalence(seed: int = SEED) -> Equivalence:
    """Both sides of Eq. 3 on a seeded toy layer (float64 so the check is exact to ~1e-15)."""
    with torch.random.fork_rng(devices=[]):  # seeded without touching the caller's RNG
        torch.manual_seed(seed)
        activation = torch.randint(0, 2**N_BITS, (1, N_IN))
        layer = QLinear(N_IN, N_OUT, w_bits=W_BITS, in_bits=1, bias=False).double()
    planes = bitplanes(activation, N_BITS)  # [T, 1, N_IN]
    with torch.no_grad():
        direct = layer(activation.double())[0]
        plane_outputs = layer(planes.double())[:, 0]  # [T, N_OUT]
        recombined = from_bitplanes(plane_outputs)
    return Equivalence(
        activation[0].numpy(), planes[:, 0].numpy(), plane_outputs.numpy(), direct.numpy(), recombined.numpy()
    )


def draw_activation(ax, eq: Equivalence) -> None:
    idx = np.arange(N_IN)
    ax.bar(idx, eq.activation, color="tab:blue")
    for j, v in zip(idx, eq.activation):
        ax.text(j, v + 0.3, f"{int(v)}", ha="center", va="bottom", fontsize=6)
    ax.set_ylim(0, 2**N_BITS + 1)
    ax.set_xticks(idx)
    ax.set_xlabel("presynaptic neuron j")
    ax.set_ylabel(f"activation $a_{{pre}}$ ({N_BITS}-bit integer)")
    ax.set_title(f"(a) QANN: {N_BITS}-bit activations")


def draw_raster(ax, eq: Equivalence) -> None:
    t_idx, j_idx = np.nonzero(eq.planes)
    ax.scatter(t_idx, j_idx, marker="|", s=160, color="black", linewidths=1.5)
    ax.set_xticks(range(N_BITS), [f"t={t}\n(x$2^{t}$)" for t in range(N_BITS)])
    ax.set_xlim(-0.5, N_BITS - 0.5)
    ax.set_yticks(range(N_IN))
    ax.set_ylim(-0.5, N_IN - 0.5)
    ax.set_ylabel("presynaptic neuron j")
    ax.set_xlabel("time step t = bit t (weight)")
    ax.set_title(f"(b) SNN: {N_BITS}-step spike train = bit-planes $a_{{pre}}^{{(t)}}$")


def draw_plane_outputs(ax, eq: Equivalence) -> None:
    vmax = float(np.abs(eq.plane_outputs).max()) or 1.0
    im = ax.imshow(eq.plane_outputs.T, cmap="coolwarm", vmin=-vmax, vmax=vmax, aspect="auto")
    ax.set_xticks(range(N_BITS), [f"t={t}" for t in range(N_BITS)])
    ax.set_yticks(range(N_OUT))
    ax.set_ylabel("output neuron i")
    ax.set_title(r"(c) per-step synaptic input $\sum_j w_{ij} a_{pre,j}^{(t)}$")
    ax.grid(False)
    plt.colorbar(im, ax=ax, shrink=0.8)


def draw_comparison(ax, eq: Equivalence) -> None:
    idx = np.arange(N_OUT)
    ax.bar(idx - 0.2, eq.direct, width=0.4, label=r"layer on activation: $\sum_j w_{ij} a_{pre,j}$")
    ax.bar(
        idx + 0.2,
        eq.recombined,
        width=0.4,
        hatch="//",
        color="tab:orange",
        label=r"$\sum_t 2^t \sum_j w_{ij} a_{pre,j}^{(t)}$ (spike steps)",
    )
    ax.axhline(0, color="black", linewidth=0.5)
    ax.set_xticks(idx)
    ax.set_xlabel("output neuron i")
    ax.set_ylabel("layer output")
    ax.set_title(f"(d) Eq. 3 holds: max |difference| = {eq.max_abs_error:.1e}")
    ax.legend(loc="best")


def make_figure(args: common.FigureArgs):
    eq = compute_equivalence()
    fig, axes = plt.subplots(2, 2, figsize=(7.0, 5.2))
    draw_activation(axes[0, 0], eq)
    draw_raster(axes[0, 1], eq)
    draw_plane_outputs(axes[1, 0], eq)
    draw_comparison(axes[1, 1], eq)
    common.set_title(
        fig,
        f"Fig. 1: T-step spike trains and T-bit activation bit-planes are the same computation (Eq. 3)\n"
        f"{args.profile} profile: computed with qsnn.functional.bitplanes and a {W_BITS}-bit QLinear "
        f"({N_IN}->{N_OUT}, seeded weights)\nno dataset and no trained results are involved",
    )
    return fig


def main(argv: list[str] | None = None) -> int:
    return common.run(make_figure, "fig1.py", __doc__, argv)


if __name__ == "__main__":
    sys.exit(main())
