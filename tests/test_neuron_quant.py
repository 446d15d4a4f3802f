"""The core quantizer, neuron and functional helpers against the paper's equations."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from qsnn.functional import bitplanes, from_bitplanes, lif_integer
from qsnn.layers import QConv2d, QLinear
from qsnn.neurons import MultiBitLIF
from qsnn.quant import WeightQuantizer, qmax_for, quantize_weight

torch.set_num_threads(1)


def reference_binary_lif(x: np.ndarray, tau: float, v_th: float, v_reset: float) -> np.ndarray:
    """Paper Eq. 1, written from the equation with numpy: leak, integrate, fire at v >= v_th, hard reset."""
    x = x.astype(np.float32)
    v = np.full(x.shape[1:], v_reset, dtype=np.float32)
    out = np.zeros_like(x)
    for t in range(x.shape[0]):
        v = v / np.float32(tau) + x[t]
        fired = v >= np.float32(v_th)
        out[t] = np.where(fired, np.float32(v_th), np.float32(0.0))
        v = np.where(fired, np.float32(v_reset), v)
    return out


@pytest.mark.parametrize("tau,v_th,v_reset", [(2.0, 1.0, 0.0), (1.0, 0.5, 0.0), (1.5, 0.7, -0.2), (4.0, 1.3, 0.1)])
def test_s1_multibit_lif_is_the_binary_lif_bit_for_bit(tau, v_th, v_reset):
    gen = torch.Generator().manual_seed(7)
    x = torch.randn(16, 64, 37, generator=gen) * 1.5 + 0.3
    ours = MultiBitLIF(s_bits=1, tau=tau, v_th=v_th, v_reset=v_reset)(x)
    ref = reference_binary_lif(x.numpy(), tau, v_th, v_reset)
    assert torch.equal(ours, torch.from_numpy(ref))
    assert 0.05 < (ours > 0).float().mean() < 0.95  # the comparison exercised both outcomes


def test_multibit_lif_emits_s_bit_levels():
    x = torch.rand(4, 1000) * 40
    for s_bits in (1, 2, 3, 4):
        out = MultiBitLIF(s_bits=s_bits, v_th=0.5)(x)
        levels = out / 0.5
        assert torch.equal(levels, levels.round())
        assert levels.max() == 2**s_bits - 1 and levels.min() >= 0


@pytest.mark.parametrize("w_bits,t_bits", [(4, 1), (4, 3), (2, 4), (8, 5), (1, 2)])
def test_eq3_conv_of_quantized_activation_is_weighted_sum_over_bitplanes(w_bits, t_bits):
    """Eq. 3: sum_j w_j a_j == sum_t 2^t sum_j w_j a_j^(t), a T-bit activation split into bit-planes."""
    torch.manual_seed(0)
    conv = QConv2d(5, 6, 3, padding=1, bias=False, w_bits=w_bits, in_bits=t_bits).double()
    codes = torch.randint(0, 2**t_bits, (3, 5, 9, 9))
    planes = bitplanes(codes, t_bits).double()  # [t_bits, 3, 5, 9, 9]
    whole = conv(codes.double())
    per_plane = torch.stack([conv(p) for p in planes])
    torch.testing.assert_close(from_bitplanes(per_plane), whole, rtol=0, atol=1e-9)
    assert whole.abs().max() > 1  # not a vacuous all-zero comparison


def test_eq3_holds_for_linear_layers_too():
    torch.manual_seed(1)
    fc = QLinear(20, 7, w_bits=3, in_bits=4, bias=False).double()
    codes = torch.randint(0, 16, (11, 20))
    per_plane = torch.stack([fc(p) for p in bitplanes(codes, 4).double()])
    torch.testing.assert_close(from_bitplanes(per_plane), fc(codes.double()), rtol=0, atol=1e-9)


def test_bitplanes_round_trip_and_range_check():
    a = torch.randint(0, 256, (100,))
    assert torch.equal(from_bitplanes(bitplanes(a, 8)).long(), a)
    with pytest.raises(ValueError, match="2\\*\\*3"):
        bitplanes(torch.tensor([8]), 3)


LIF_STEPS = 8


@pytest.mark.parametrize("s_bits", [1, 2, 4, 8])
@pytest.mark.parametrize("reset", ["hard", "soft"])
@pytest.mark.parametrize("tau,leak_shift", [(1.0, 0), (2.0, 1), (4.0, 2)])
@pytest.mark.parametrize("v_th", [1, 3])
def test_lif_integer_equals_float_neuron(s_bits, reset, tau, leak_shift, v_th):
    """The hardware reference and the float neuron agree level for level, for tau = 1, 2, 4 (the default is 2).

    Why the floor of the integer leak (v >> leak_shift) never changes a level: on integer inputs and an
    integer threshold the float membrane exceeds the integer one by d in [0, 1) at every step
    (d' = d / tau + frac(v / tau) < 1), and floor((v + d) / v_th) = floor(v / v_th) for integer v, v_th.
    Both resets keep d. Inputs span below zero to above the top level.
    """
    gen = torch.Generator().manual_seed(7 * s_bits + leak_shift + v_th)
    psum = torch.randint(-4 * v_th, (2**s_bits + 4) * v_th, (LIF_STEPS, 300), generator=gen)
    levels, _ = lif_integer(psum, v_th=v_th, s_bits=s_bits, leak_shift=leak_shift, reset=reset)
    out = MultiBitLIF(s_bits=s_bits, tau=tau, v_th=float(v_th), reset=reset)(psum.double())
    assert torch.equal(levels, (out / v_th).round().long())
    assert levels.max() == 2**s_bits - 1 and levels.min() == 0
    assert ((levels > 0) & (levels < 2**s_bits - 1)).any() or s_bits == 1  # intermediate levels are exercised


def test_lif_integer_leak_differs_from_no_leak():
    """The tau cases above are not the tau = 1 case in disguise: the leak changes the spike trains."""
    gen = torch.Generator().manual_seed(5)
    psum = torch.randint(-3, 12, (LIF_STEPS, 300), generator=gen)
    no_leak, _ = lif_integer(psum, v_th=3, s_bits=2, leak_shift=0, reset="soft")
    leak, _ = lif_integer(psum, v_th=3, s_bits=2, leak_shift=1, reset="soft")
    assert not torch.equal(no_leak, leak)


def test_lif_integer_leak_is_an_arithmetic_shift():
    levels, membrane = lif_integer(torch.tensor([[5], [0], [1]]), v_th=8, s_bits=2, leak_shift=1)
    assert membrane.flatten().tolist() == [5, 2, 2]  # 5 -> 5>>1=2 -> 2>>1+1=2
    assert levels.sum() == 0


@pytest.mark.parametrize("bits", range(2, 16))
def test_quantizer_uses_at_most_2w_minus_1_symmetric_levels(bits):
    torch.manual_seed(bits)
    w = torch.randn(4000) * 0.1
    quantizer = WeightQuantizer(bits, w)
    wq = quantizer(w).detach()
    codes = wq / quantizer.step.detach().abs()
    assert torch.allclose(codes, codes.round(), atol=1e-3)
    assert codes.abs().max() <= qmax_for(bits) + 1e-3
    assert wq.unique().numel() <= 2**bits - 1
    assert wq.unique().numel() >= min(3, 2**bits - 1)


def test_quantizer_w1_is_sign_times_mean_abs():
    w = torch.randn(500)
    wq = quantize_weight(w, 1)
    alpha = w.abs().mean()
    values = wq.unique()
    assert values.numel() == 2
    torch.testing.assert_close(values, torch.stack([-alpha, alpha]))
    assert torch.equal(wq > 0, w >= 0)


def test_quantizer_w16_is_identity():
    w = torch.randn(50, requires_grad=True)
    assert WeightQuantizer(16, w)(w) is w


def test_quantizer_straight_through_gradients():
    torch.manual_seed(0)
    w = (torch.randn(300) * 0.1).requires_grad_()
    quantizer = WeightQuantizer(4, w)
    (quantizer(w) * torch.linspace(-1, 1, 300)).sum().backward()
    inside = (w.detach() / quantizer.step.detach()).abs() < qmax_for(4)
    # STE: d w_q / d w = 1 inside the clipping range, 0 outside.
    torch.testing.assert_close(w.grad[inside], torch.linspace(-1, 1, 300)[inside])
    assert torch.all(w.grad[~inside] == 0)
    assert quantizer.step.grad is not None and quantizer.step.grad.abs() > 0
    w.grad = None
    quantize_weight(w, 1).sum().backward()
    assert w.grad.abs().sum() > 0  # the binary quantizer passes gradient too


@pytest.mark.parametrize("s_bits", [1, 3])
def test_surrogate_gradient_is_nonzero_near_thresholds_and_small_far_away(s_bits):
    v_th = 1.0
    near = [0.95 * v_th, 1.05 * v_th] + ([2.02 * v_th, 6.9 * v_th] if s_bits > 1 else [])
    x = torch.tensor([near + [-20.0]], requires_grad=True)  # [T=1, N]
    MultiBitLIF(s_bits=s_bits, tau=2.0, v_th=v_th)(x).sum().backward()
    grad = x.grad.flatten()
    assert torch.all(grad[:-1] > 0.1)
    assert grad[-1] < 1e-2
