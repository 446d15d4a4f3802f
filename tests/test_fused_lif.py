"""The fused multi-step LIF (hand-written BPTT) against plain per-step autograd."""

import pytest
import torch

from qsnn.functional import multilevel_spike, multistep_lif
from qsnn.neurons import MultiBitLIF


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


@pytest.mark.parametrize("hard", [True, False])
@pytest.mark.parametrize("levels", [1, 3, 255])
@pytest.mark.parametrize("tau", [1.0, 2.0, 3.0])
def test_fused_matches_autograd_unrolled(hard, levels, tau):
    torch.manual_seed(levels)
    x = (torch.randn(6, 4, 9, dtype=torch.float64) * 2).requires_grad_()
    grad = torch.randn(6, 4, 9, dtype=torch.float64)
    expected = per_step_autograd_lif(x, tau, 1.0, levels, hard)
    (expected_grad,) = torch.autograd.grad(expected, x, grad)
    got = multistep_lif(x, tau, 1.0, 0.0, levels, 2.0, hard)
    # v_th != 1 takes the general path of the fused kernel
    scaled = multistep_lif(x.detach() * 0.5, tau, 0.5, 0.0, levels, 2.0, hard)
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
