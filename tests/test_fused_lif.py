"""The fused multi-step LIF (hand-written BPTT) against plain per-step autograd."""

import importlib.util

import pytest
import torch

from qsnn import functional
from qsnn.functional import multilevel_spike, multistep_lif
from qsnn.neurons import MultiBitLIF

HAS_NUMBA = importlib.util.find_spec("numba") is not None
KERNELS = [
    "torch",
    "graph",
    pytest.param("fused", marks=pytest.mark.skipif(not HAS_NUMBA, reason="numba not installed")),
]


def per_step_autograd_lif(x, tau, v_th, levels, hard):
    """The same neuron written naively, letting autograd unroll time."""
    v = torch.zeros_like(x[0])
    out = []
    for t in range(x.shape[0]):
        v = v / tau + x[t]
        s = multilevel_spike(v, v_th, levels, 2.0)
        v = torch.where(s.detach() > 0, torch.zeros_like(v), v) if hard else v - s.detach()
        out.append(s)
    return torch.stack(out)


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("hard", [True, False])
@pytest.mark.parametrize("levels", [1, 3, 255])
@pytest.mark.parametrize("tau", [1.0, 2.0, 3.0])
def test_fused_matches_autograd_unrolled(hard, levels, tau, kernel):
    torch.manual_seed(levels)
    x = (torch.randn(6, 4, 9, dtype=torch.float64) * 2).requires_grad_()
    grad = torch.randn(6, 4, 9, dtype=torch.float64)
    expected = per_step_autograd_lif(x, tau, 1.0, levels, hard)
    (expected_grad,) = torch.autograd.grad(expected, x, grad)
    got = multistep_lif(x, tau, 1.0, 0.0, levels, 2.0, hard, kernel=kernel)
    # v_th != 1 takes the general path of each kernel
    scaled = multistep_lif(x.detach() * 0.5, tau, 0.5, 0.0, levels, 2.0, hard, kernel=kernel)
    assert torch.equal(scaled, per_step_autograd_lif(x.detach() * 0.5, tau, 0.5, levels, hard))
    (got_grad,) = torch.autograd.grad(got, x, grad)
    assert torch.equal(got, expected)
    assert torch.allclose(got_grad, expected_grad, atol=1e-12)
    assert got_grad.abs().sum() > 0


def test_neuron_records_rate_and_histogram():
    neuron = MultiBitLIF(s_bits=2)
    neuron.record = True
    x = torch.tensor([[0.5, 1.0, 2.5, 9.0]]).reshape(1, 1, 4)
    out = neuron(x)
    assert out.flatten().tolist() == [0.0, 1.0, 2.0, 3.0]
    assert neuron.stats["nonzero"] == 3 and neuron.stats["total"] == 4
    assert neuron.stats["hist"].tolist() == [1, 1, 1, 1]


def bits(t: torch.Tensor) -> torch.Tensor:
    """The raw bits, so that -0.0 and +0.0 differ (torch.equal treats them as equal)."""
    return t.contiguous().view(torch.int32 if t.dtype == torch.float32 else torch.int64)


def lif_and_grad(x, grad, kernel, **kw):
    x = x.detach().requires_grad_()
    out = multistep_lif(
        x,
        kw.get("tau", 2.0),
        kw.get("v_th", 1.0),
        kw.get("v_reset", 0.0),
        kw.get("levels", 1),
        kw.get("alpha", 2.0),
        kw.get("hard", True),
        kernel=kernel,
    )
    (grad_x,) = torch.autograd.grad(out, x, grad)  # not x.grad: accumulation re-lays it out like x
    return out, grad_x


CONFIGS = [
    dict(),  # the models' neuron: tau 2, v_th 1, hard reset to 0, alpha 2
    dict(levels=15),
    dict(levels=65535),
    dict(levels=3, hard=False),
    dict(tau=3.0, v_th=0.7, levels=7),
    dict(tau=1.5, v_reset=-0.2, levels=1, alpha=4.0),
    dict(tau=4.0, v_th=1.3, v_reset=0.1, levels=15, hard=False),
]


@pytest.mark.parametrize(
    "kernel", ["graph", pytest.param("fused", marks=pytest.mark.skipif(not HAS_NUMBA, reason="numba"))]
)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: ",".join(f"{k}={v}" for k, v in c.items()) or "default")
def test_kernels_agree_bit_for_bit(kernel, dtype, config):
    """Every implementation gives the torch kernel's bits, signed zeros included (a -0 changes rounding downstream)."""
    gen = torch.Generator().manual_seed(3)
    scale = 40.0 if config.get("levels", 1) > 255 else 2.0
    x = (torch.randn(5, 6, 7, 40, generator=gen) * scale + 0.3).to(dtype)
    x[..., :3] = 0.0
    x[..., 3:6] = -0.0
    grad = torch.randn(5, 6, 7, 40, generator=gen).to(dtype)
    grad[..., ::5] = 0.0
    grad[..., 1::5] = -0.0
    ref, ref_grad = lif_and_grad(x, grad, "torch", **config)
    got, got_grad = lif_and_grad(x, grad, kernel, **config)
    assert torch.equal(bits(got), bits(ref)) and torch.equal(bits(got_grad), bits(ref_grad))
    assert 0 < int((ref > 0).sum()) < ref.numel()


@pytest.mark.parametrize(
    "kernel", ["torch", pytest.param("fused", marks=pytest.mark.skipif(not HAS_NUMBA, reason="numba"))]
)
@pytest.mark.parametrize("layout", ["channels-last", "time-inner", "strided", "expanded-grad"])
def test_outputs_keep_the_layout_of_their_inputs(kernel, layout):
    """Spikes come out in x's memory layout and the input gradient in the incoming gradient's.

    The next layer's kernels depend on the layout (so does their rounding): a contiguous copy
    where the input was channels-last changed a 20-epoch quick-profile run's accuracy.
    """
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(3, 4, 6, 10, generator=gen) * 2
    grad = torch.randn(3, 4, 6, 10, generator=gen)
    if layout == "channels-last":
        x, grad = (t.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2) for t in (x, grad))
    elif layout == "time-inner":
        x = x.transpose(0, 1).contiguous().transpose(0, 1)
    elif layout == "strided":
        x = torch.randn(3, 4, 6, 20, generator=gen)[..., ::2]
    else:
        grad = grad[:1].expand_as(grad)
    ref, ref_grad = lif_and_grad(x.contiguous(), grad.contiguous(), "torch", levels=3)
    out, out_grad = lif_and_grad(x, grad, kernel, levels=3)
    assert torch.equal(bits(out), bits(ref)) and torch.equal(bits(out_grad), bits(ref_grad))
    assert out.stride() == torch.empty_like(x).stride()
    assert out_grad.stride() == torch.empty_like(grad).stride()


def test_auto_kernel_choice():
    small, large = torch.zeros(2, 10), torch.zeros(2, functional.FUSED_MIN_ELEMENTS)
    assert functional.choose_kernel(small) == "torch"
    assert functional.choose_kernel(large) == ("fused" if HAS_NUMBA else "torch")
    assert functional.choose_kernel(large.to(torch.float16)) == "torch"
    assert functional.choose_kernel(large.to("meta")) == "torch"
    assert functional.choose_kernel(large.reshape(1, -1)) == "torch"  # one step: no time loop to fuse
    with pytest.raises(ValueError, match="kernel='nope'"):
        functional.choose_kernel(small, "nope")
