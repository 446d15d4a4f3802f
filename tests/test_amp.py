"""Mixed precision: the neuron and the spike-fed layers stay exact under autocast at every S.

The GPU trainer runs the forward under ``torch.autocast(float16)``. CPU autocast
supports float16 too (torch >= 2.x), so these tests exercise the same casts on CPU;
bfloat16 (CPU autocast's default, 8-bit significand) is checked for the neuron too.
"""

from __future__ import annotations

import math

import pytest
import torch

from qsnn.layers import QLinear, SpikeMatmul
from qsnn.models import create
from qsnn.neurons import MultiBitLIF

torch.set_num_threads(1)

S_VALUES = (1, 4, 8, 12, 15, 16)


def drive(s_bits: int, v_th: float, dtype: torch.dtype, gen: torch.Generator) -> torch.Tensor:
    """``[T=4, B=8, N=512]`` inputs in ``dtype``: half near the first levels, half up past the top level.

    The small half makes the membrane's rounding visible (a reduced-precision
    membrane flips ``floor`` near a level); the large half drives the clamp at 2**S - 1.
    """
    shape = (4, 8, 256)
    top = min(1.3 * (2**s_bits) * v_th, torch.finfo(dtype).max)
    small = torch.rand(shape, generator=gen) * 3.0 * v_th - 0.3
    large = torch.rand(shape, generator=gen) * top
    return torch.cat([small, large], dim=-1).to(dtype)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
@pytest.mark.parametrize("v_th", [1.0, 0.5])
@pytest.mark.parametrize("s_bits", S_VALUES)
def test_lif_is_exact_under_autocast(s_bits, v_th, dtype):
    gen = torch.Generator().manual_seed(s_bits)
    neuron = MultiBitLIF(s_bits=s_bits, v_th=v_th)
    x = drive(s_bits, v_th, dtype, gen).requires_grad_()
    grad = torch.rand(x.shape, generator=gen)
    x32 = x.detach().float().requires_grad_()
    expected = neuron(x32)
    expected.backward(grad)

    with torch.autocast("cpu", dtype=dtype):
        got = neuron(x)
    got.backward(grad)

    # float32 spikes: fp16 holds integers exactly only up to 2048, bf16 up to 256
    assert got.dtype == torch.float32
    assert torch.equal(got, expected)
    levels = torch.round(got / v_th).to(torch.int64)
    reachable = min(2**s_bits - 1, math.floor(torch.finfo(dtype).max / v_th))
    assert int(levels.max()) == reachable  # the inputs did drive the top of the range
    # the input's gradient is the float32 one, rounded once to the input's dtype
    assert x.grad.dtype == dtype and torch.equal(x.grad, x32.grad.to(dtype))


def test_fp32_lif_is_unchanged_by_an_autocast_around_it():
    # float32 inputs (e.g. from a float32 BatchNorm) must give the same spikes and gradient
    x = (torch.randn(4, 2, 64) * 40).requires_grad_()
    neuron = MultiBitLIF(s_bits=16)
    expected = neuron(x)
    (g_expected,) = torch.autograd.grad(expected.sum(), x)
    with torch.autocast("cpu", dtype=torch.float16):
        got = neuron(x)
    (g_got,) = torch.autograd.grad(got.sum(), x)
    assert torch.equal(got, expected) and torch.equal(g_got, g_expected)


def test_linear_fed_16_bit_spikes_is_exact_under_fp16_autocast():
    # levels up to 65535 round to inf in fp16, and above 2048 are inexact
    torch.manual_seed(0)
    layer = QLinear(32, 8, w_bits=1, in_bits=16)
    x = torch.randint(0, 2**16, (2, 3, 32)).float()
    expected = layer(x)
    with torch.autocast("cpu", dtype=torch.float16):
        got = layer(x)
    assert torch.isfinite(got).all()
    assert torch.equal(got.float(), expected)


def test_linear_fed_8_bit_spikes_keeps_autocast():
    # 8-bit levels are exact in fp16: the layer keeps AMP's speed there
    layer = QLinear(32, 8, w_bits=1, in_bits=8)
    with torch.autocast("cpu", dtype=torch.float16):
        assert layer(torch.randint(0, 256, (2, 32)).float()).dtype == torch.float16


@pytest.mark.parametrize("bits,inner", [(16, 4), (8, 32)])
def test_spike_matmul_is_exact_under_fp16_autocast(bits, inner):
    # S=16: the operands round to inf in fp16; S=8: exact operands, but their product overflows
    gen = torch.Generator().manual_seed(bits)
    a = torch.randint(2**bits - 8, 2**bits, (2, 5, inner), generator=gen).float()
    b = torch.randint(2**bits - 8, 2**bits, (2, inner, 3), generator=gen).float()
    mm = SpikeMatmul(a_bits=bits, b_bits=bits)
    expected = mm(a, b)
    with torch.autocast("cpu", dtype=torch.float16):
        got = mm(a, b)
    # the float32 run's result (the product itself may exceed float32's 2**24, as without AMP)
    assert torch.isfinite(got).all() and torch.equal(got, expected)


def test_binary_spike_matmul_keeps_autocast():
    # 1-bit attention over 64 tokens: every product is an integer <= 64, exact in fp16
    mm = SpikeMatmul(a_bits=1, b_bits=1)
    with torch.autocast("cpu", dtype=torch.float16):
        got = mm(torch.ones(2, 5, 64), torch.ones(2, 64, 3))
    assert got.dtype == torch.float16 and torch.equal(got.float(), torch.full((2, 5, 3), 64.0))


@pytest.mark.parametrize("arch", ["spikformer-tiny", "sew-resnet-tiny"])
def test_s16_model_trains_under_fp16_autocast(arch):
    torch.manual_seed(0)
    model = create(arch, 1, 16, 1)
    x, y = torch.randn(4, 1, 8, 8), torch.arange(4)
    with torch.autocast("cpu", dtype=torch.float16):
        loss = torch.nn.functional.cross_entropy(model(x), y)
    loss.backward()
    assert torch.isfinite(loss)
    grads = [p.grad for p in model.parameters() if p.grad is not None]
    assert grads and all(torch.isfinite(g).all() for g in grads)
