"""The architecture registry: every name builds, tiny siblings train, counts match the papers."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch import nn

from qsnn.layers import SYNAPTIC_LAYERS, QConv2d, QLinear, SpikeMatmul
from qsnn.models import UnknownArchitectureError, arch_spec, create, list_archs
from qsnn.models.base import SpikingNetwork
from qsnn.models.sew_resnet import SBitAdd
from qsnn.neurons import MultiBitLIF

torch.set_num_threads(1)

TINY = ["cifarnet-tiny", "resnet-tiny", "sew-resnet-tiny", "spikformer-tiny"]

# Published full-precision parameter counts (millions): Tables 1 and 5 of the paper.
PUBLISHED_PARAMS_M = {
    "sew-resnet-34": 21.79,
    "sew-resnet-50": 25.56,
    "spikformer-8-384": 16.81,
    "spikformer-6-512": 23.37,
    "spikformer-8-512": 29.68,
    "spikformer-10-512": 36.01,
    "spikformer-8-768": 66.34,
    "spikformer-4-256": 4.15,
    "resnet-19": 12.63,
}

EXPECTED_NAMES = {
    *(f"sew-resnet-{d}" for d in (18, 34, 50)),
    *(f"sew-resnet-{d}-cifar" for d in (18, 34, 50)),
    "spiking-resnet-34",
    "spiking-resnet-50",
    "sew-resnet-tiny",
    *(f"spikformer-{n}" for n in ("4-256", "2-384", "4-384", "8-384", "6-512", "8-512", "10-512", "8-768", "tiny")),
    "resnet-19",
    "resnet-20",
    "resnet-tiny",
    "cifarnet",
    "cifarnet-tiny",
}


def weight_param_count(model: nn.Module) -> int:
    """Full-precision parameters: weights, biases and BN affine; not the quantizer steps."""
    return sum(p.numel() for name, p in model.named_parameters() if not name.endswith("quantizer.step"))


def build_on_meta(name: str, w: int = 16, s: int = 1, t: int = 1) -> nn.Module:
    with torch.device("meta"):
        return create(name, w, s, t)


def test_registry_holds_exactly_the_design_names():
    assert set(list_archs()) == EXPECTED_NAMES
    assert set(list_archs(tiny=True)) == set(TINY)


def test_every_full_scale_architecture_registers_a_tiny_stand_in():
    from qsnn.models import stand_in_of

    for name in list_archs(tiny=False):
        assert arch_spec(name).stand_in in TINY and stand_in_of(name) == arch_spec(name).stand_in, name
    assert all(stand_in_of(name) == name for name in TINY)  # a tiny sibling trains itself


def test_family_files_import_shared_blocks_not_each_other():
    import ast

    import qsnn.models as models

    folder = Path(models.__file__).parent
    families = {"resnet", "sew_resnet", "spikformer", "cifarnet"}
    for family in families:
        tree = ast.parse((folder / f"{family}.py").read_text())
        imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
        assert not {f"qsnn.models.{other}" for other in families} & imported, family


@pytest.mark.parametrize("name", sorted(EXPECTED_NAMES))
def test_every_architecture_builds_and_runs_at_its_own_input_on_meta(name):
    spec = arch_spec(name)
    model = build_on_meta(name, 4, 2, 1)
    assert isinstance(model, SpikingNetwork)
    with torch.device("meta"):
        out = model(torch.empty(2, *spec.input_shape))
    assert out.shape == (2, spec.num_classes)


@pytest.mark.parametrize("name", sorted(EXPECTED_NAMES))
def test_layers_carry_w_bits_in_bits_and_s_bit_neurons(name):
    w, s = 3, 2
    model = build_on_meta(name, w, s, 1)
    synaptic = [m for m in model.modules() if isinstance(m, SYNAPTIC_LAYERS)]
    # No unquantized synaptic layer hides in the network.
    assert not [m for m in model.modules() if type(m) in (nn.Conv2d, nn.Linear, nn.Conv1d)]
    for layer in synaptic:
        if isinstance(layer, SpikeMatmul):
            assert (layer.in_bits, layer.w_bits) == (s, s)
        else:
            assert layer.w_bits == w and layer.in_bits in (None, s)
    assert synaptic[0].in_bits is None  # the encoding layer sees the image
    assert sum(1 for m in synaptic if isinstance(m, QConv2d) and m.in_bits is None) == 1
    neurons = [m for m in model.modules() if isinstance(m, MultiBitLIF)]
    assert neurons and all(n.s_bits == s for n in neurons)


@pytest.mark.parametrize("name", sorted(PUBLISHED_PARAMS_M))
def test_parameter_counts_within_one_percent_of_published(name):
    count = weight_param_count(build_on_meta(name))
    published = PUBLISHED_PARAMS_M[name] * 1e6
    assert abs(count - published) / published < 0.01, f"{name}: {count / 1e6:.3f} M vs {published / 1e6} M"


def test_resnet19_stem_is_the_64_channel_one_the_published_count_identifies():
    """TET's and BrainCog's ResNet-19 have a 64-channel stem: 12.63 M within 0.5 %; tdBN's 128 is not."""
    published = PUBLISHED_PARAMS_M["resnet-19"] * 1e6
    model = build_on_meta("resnet-19")
    stem = next(m for m in model.modules() if isinstance(m, QConv2d))
    assert stem.out_channels == 64 and stem.in_bits is None
    assert abs(weight_param_count(model) - published) / published < 0.005
    with torch.device("meta"):
        wide = create("resnet-19", 16, 1, 1, stem_width=128)
    assert abs(weight_param_count(wide) - published) / published > 0.005
    # the first block of stage 1 needs a 1x1 projection from the 64-channel stem to 128 channels
    first_block = model.stages[0][0]
    assert isinstance(first_block.shortcut[0], QConv2d) and first_block.shortcut[0].kernel_size == (1, 1)


def test_resnet20_shortcut_choice_is_explicit():
    """Default: 1x1 projection shortcuts (Diet-SNN's code); 'zero-pad' is He's option A; both are 0.27 M."""

    def one_by_one_convs(model):
        return [m for m in model.modules() if isinstance(m, QConv2d) and m.kernel_size == (1, 1)]

    with torch.device("meta"):
        projection = create("resnet-20", 16, 1, 1)
        option_a = create("resnet-20", 16, 1, 1, shortcut="zero-pad")
    assert len(one_by_one_convs(projection)) == 2 and not one_by_one_convs(option_a)
    for model in (projection, option_a):
        assert round(weight_param_count(model) / 1e6, 2) == 0.27
    with pytest.raises(ValueError, match="shortcut"):
        create("resnet-20", 16, 1, 1, shortcut="identity")


def test_quantizer_steps_are_not_counted_but_exist_at_low_bits():
    model = build_on_meta("sew-resnet-tiny", 4, 1, 1)
    steps = [n for n, _ in model.named_parameters() if n.endswith("quantizer.step")]
    assert steps
    assert weight_param_count(model) == weight_param_count(build_on_meta("sew-resnet-tiny", 16, 1, 1))


@pytest.mark.parametrize("name", TINY)
@pytest.mark.parametrize(
    "wst,shape,events",
    [
        ((4, 1, 1), (1, 8, 8), False),
        ((2, 2, 2), (1, 8, 8), False),
        ((8, 3, 3), (2, 8, 8), True),
        ((1, 1, 4), (2, 12, 10), True),
    ],
)
def test_tiny_forward_shape_and_backward(name, wst, shape, events):
    torch.manual_seed(0)
    model = create(name, *wst, input_shape=shape)
    batch = 4
    x = torch.rand(wst[2], batch, *shape) if events else torch.rand(batch, *shape)
    out = model(x * 3)
    assert out.shape == (batch, 10)
    nn.functional.cross_entropy(out, torch.arange(batch)).backward()
    first = next(m for m in model.modules() if isinstance(m, (QConv2d, QLinear)))
    assert first.weight.grad is not None and first.weight.grad.abs().sum() > 0
    for pname, p in model.named_parameters():
        assert p.grad is None or torch.isfinite(p.grad).all(), pname


@pytest.mark.parametrize("name", TINY)
def test_tiny_models_are_small(name):
    assert 5_000 < weight_param_count(create(name)) < 100_000


@pytest.mark.parametrize("name", TINY)
def test_tiny_rejects_inputs_below_8x8(name):
    with pytest.raises(ValueError, match="H, W >= 8"):
        create(name, input_shape=(1, 4, 8))


def test_event_input_must_have_t_frames():
    model = create("sew-resnet-tiny", 4, 1, 2, input_shape=(2, 8, 8))
    with pytest.raises(ValueError, match="T=2"):
        model(torch.rand(3, 1, 2, 8, 8))


def _collect(model: nn.Module, kind, grab):
    seen = []
    handles = [
        m.register_forward_hook(lambda mod, inp, out: seen.append(grab(mod, inp, out)))
        for m in model.modules()
        if kind(m)
    ]
    return seen, handles


@pytest.mark.parametrize("s_bits", [1, 2, 3])
def test_sew_block_sums_stay_within_s_bits(s_bits):
    torch.manual_seed(s_bits)
    model = create("sew-resnet-tiny", 4, s_bits, 2, v_th=0.5)
    seen, _ = _collect(model, lambda m: isinstance(m, SBitAdd), lambda m, inp, out: (m, (inp[0] + inp[1]).max(), out))
    model(torch.rand(8, 1, 8, 8) * 20)
    assert len(seen) == 2  # both SEW blocks reported
    top = (2**s_bits - 1) * 0.5
    for module, raw_max, out in seen:
        assert module.top == top
        assert out.min() >= 0 and out.max() <= top
        assert torch.equal(out / 0.5, (out / 0.5).round())  # still spike levels
    assert any(raw > top for _, raw, _ in seen)  # the restriction was actually needed


def test_sew_clamp_passes_the_identity_gradient():
    a = torch.tensor([1.0, 1.0, 0.0], requires_grad=True)
    out = SBitAdd(1, 1.0)(a, torch.tensor([1.0, 0.0, 0.0]))
    out.sum().backward()
    assert out.tolist() == [1.0, 1.0, 0.0] and a.grad.tolist() == [1.0, 1.0, 1.0]


@pytest.mark.parametrize("s_bits", [1, 2, 4])
def test_spikformer_attention_maps_stay_within_s_bits(s_bits):
    torch.manual_seed(s_bits)
    v_th = 0.1  # a low threshold drives Q and K to their top levels, the hard case for the map
    model = create("spikformer-tiny", 4, s_bits, 2, input_shape=(1, 16, 16), v_th=v_th)
    # The attention map is the first operand of A V; its raw form is the output of Q K^T.
    maps, _ = _collect(model, lambda m: isinstance(m, SpikeMatmul), lambda m, inp, out: (inp[0], out))
    lif = model.blocks[0].attn.attn_map_lif
    model(torch.rand(4, 1, 16, 16))
    (_, raw_qk), (attn_map, _) = maps
    top = (2**s_bits - 1) * lif.v_th
    assert attn_map.shape[-1] == attn_map.shape[-2] == 16  # N x N over 4x4 tokens
    assert attn_map.min() >= 0 and attn_map.max() <= top + 1e-6
    codes = attn_map / lif.v_th
    assert torch.allclose(codes, codes.round(), atol=1e-5)
    assert (raw_qk / v_th**2).max() > 2**s_bits - 1  # the unrestricted Q K^T count needs more than S bits


def test_spikformer_records_the_residual_stream_width():
    model = build_on_meta("spikformer-4-256")
    q_layers = [blk.attn.q[0] for blk in model.blocks]
    assert [layer.in_terms for layer in q_layers] == [2, 4, 6, 8]
    assert [blk.mlp[0][0].in_terms for blk in model.blocks] == [3, 5, 7, 9]


def test_unknown_architecture_lists_the_known_names():
    with pytest.raises(UnknownArchitectureError) as err:
        create("sew-resnet-35")
    message = str(err.value)
    assert "sew-resnet-35" in message and "sew-resnet-34" in message and "spikformer-tiny" in message


@pytest.mark.parametrize("wst,arg", [((0, 1, 1), "W"), ((4, -1, 1), "S"), ((4, 1, 0), "T"), ((17, 1, 1), "W")])
def test_out_of_range_wst_names_the_argument(wst, arg):
    with pytest.raises(ValueError, match=rf"^{arg}=.*must be"):
        create("sew-resnet-tiny", *wst)


def test_unknown_option_is_rejected_with_the_valid_ones():
    with pytest.raises(ValueError, match="tau"):
        create("resnet-tiny", 4, 1, 1, taus=3.0)


def test_neuron_options_reach_every_neuron():
    model = create("resnet-tiny", 4, 2, 1, tau=4.0, reset="soft")
    neurons = [m for m in model.modules() if isinstance(m, MultiBitLIF)]
    assert all(n.tau == 4.0 and n.reset == "soft" for n in neurons)
