"""Cost metrics: formulas on hand-countable models, meta tracing vs a real forward,
NS-ACE with firing rates, ActivityRecorder, and the ``qsnn cost`` CLI."""

from __future__ import annotations

import json

import pytest
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from qsnn.cli import main as qsnn_main
from qsnn.layers import QConv2d, QLinear
from qsnn.metrics import (
    PAPER_COUNTER,
    STRICT_CONVENTION,
    ActivityRecorder,
    CountingConvention,
    cost_frame,
    cost_table,
    rebind_bits,
    trace_layers,
)
from qsnn.metrics.audit import imagenet_resnet_macs, layer_variants, resolution_scan
from qsnn.models import create
from qsnn.models.base import SpikingNetwork
from qsnn.neurons import MultiBitLIF
from qsnn.wst import WST

torch.set_num_threads(1)


class TwoLayer(SpikingNetwork):
    """conv(1->2, 3x3, pad 1, no bias) on 1x4x4 -> LIF -> linear(32 -> 3): countable by hand."""

    def __init__(self, wst: WST):
        super().__init__(wst, num_classes=3, input_shape=(1, 4, 4))
        self.conv = QConv2d(1, 2, 3, padding=1, bias=False, w_bits=wst.w_bits, in_bits=None)
        self.lif = MultiBitLIF(wst.s_bits)
        self.fc = QLinear(32, 3, w_bits=wst.w_bits, in_bits=wst.s_bits)

    def forward_steps(self, x):
        return self.fc(self.lif(self.conv(x)).flatten(2))


CONV_MACS = 2 * 4 * 4 * (1 * 3 * 3)  # outputs x (in_channels x kernel)
FC_MACS = 32 * 3


def test_hand_counted_two_layer_model():
    report = cost_table(TwoLayer(WST(4, 2, 3)))
    layers = report.layers.set_index("layer")
    assert layers.loc["conv", "macs"] == CONV_MACS and layers.loc["fc", "macs"] == FC_MACS
    assert layers.loc["conv", "params"] == 18 and layers.loc["fc", "params"] == 32 * 3 + 3
    macs = CONV_MACS + FC_MACS
    assert report.totals["macs"] == macs
    assert report.totals["sops"] == macs * 2 * 3  # MACs * S * T
    assert report.totals["s_ace"] == macs * 4 * 2 * 3  # Eq. 8: MACs * W * S * T
    assert report.totals["params"] == 18 + 99
    assert report.totals["params_M_paper_units"] == pytest.approx(117 * 4 / 16 / 1e6)
    assert report.totals["ns_ace"] is None


def test_real_input_charged_as_bf16_under_strict_convention():
    strict = cost_table(TwoLayer(WST(4, 2, 3)), convention=CountingConvention(real_input_bits=16))
    assert strict.totals["s_ace"] == CONV_MACS * 4 * 16 * 3 + FC_MACS * 4 * 2 * 3


def test_full_precision_is_costed_as_bf16():
    report = cost_table(TwoLayer(WST(16, 1, 1)))
    assert report.totals["s_ace"] == (CONV_MACS + FC_MACS) * 16


def test_costs_do_not_touch_the_model_weights():
    model = TwoLayer(WST(4, 2, 3))
    before = model.conv.weight.detach().clone()
    cost_table(model)
    assert model.conv.weight.device.type == "cpu" and torch.equal(model.conv.weight, before)


@pytest.mark.parametrize("arch", ["sew-resnet-tiny", "spikformer-tiny", "resnet-tiny", "cifarnet-tiny"])
def test_meta_trace_equals_flop_counter_on_a_real_forward(arch):
    """Independent count: torch's FlopCounterMode on a real CPU forward (2 FLOPs per MAC)."""
    model = create(arch, 4, 2, 2).eval()
    spec_shape = model.input_shape
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        model(torch.rand(3, *spec_shape))
    real_macs_per_sample_step = counter.get_total_flops() / 2 / 3 / 2
    report = cost_table(model)
    assert report.totals["macs_all"] == pytest.approx(real_macs_per_sample_step, rel=1e-9)


def test_attention_matmuls_listed_but_counted_only_under_strict():
    model = create("spikformer-tiny", 4, 2, 2)
    paper, strict = cost_table(model), cost_table(model, convention=STRICT_CONVENTION)
    matmuls = paper.layers[paper.layers["kind"] == "matmul"]
    assert len(matmuls) == 2 and (matmuls["macs"] > 0).all() and not matmuls["counted"].any()
    assert paper.totals["macs_all"] - paper.totals["macs"] == pytest.approx(matmuls["macs"].sum())
    extra = matmuls["macs"].sum() * 2 * 2 * 2  # a_bits * b_bits * T
    real = paper.layers[paper.layers["in_bits"].isna()]
    real_extra = (real["macs"] * 4 * (16 - 2) * 2).sum()
    assert strict.totals["s_ace"] == pytest.approx(paper.totals["s_ace"] + extra + real_extra)


def test_zero_padded_taps_are_counted_in_macs_and_listed_apart():
    """MACs include the taps on zero padding; ``macs_unpadded`` (an audit quantity) leaves them out."""
    traces = {t.name: t for t in trace_layers(TwoLayer(WST(4, 2, 3)))}
    # 3x3 kernel, pad 1, 4x4 input: per axis 2 + 3 + 3 + 2 = 10 taps land inside the input
    assert traces["conv"].macs == CONV_MACS and traces["conv"].macs_unpadded == 2 * 10 * 10
    assert traces["fc"].macs_unpadded == traces["fc"].macs == FC_MACS


@pytest.mark.parametrize("arch", ["spikformer-tiny", "spikformer-4-384"])
def test_paper_counter_leaves_out_exactly_the_attention_projections(arch):
    """Reading (b) (q, k, v, proj) and reading (a) (one MLP linear N*D*4D) remove the same 4*N*D^2 per block."""
    with torch.device("meta"):
        model = create(arch, 4, 2, 1)
    primary, counter = cost_table(model), cost_table(model, convention=PAPER_COUNTER)
    layers = primary.layers.set_index("layer")
    projections = layers[layers.index.str.contains(r"\.attn\.(?:q|k|v|proj)\.0$")]
    fc1 = layers[layers.index.str.endswith(".mlp.0.0")]
    blocks = len(fc1)
    assert blocks >= 1 and len(projections) == 4 * blocks
    missed = primary.totals["macs"] - counter.totals["macs"]
    assert missed == projections["macs"].sum() == fc1["macs"].sum()
    assert counter.totals["s_ace"] == pytest.approx(primary.totals["s_ace"] - missed * 4 * 2 * 1)
    assert not counter.layers.set_index("layer").loc[projections.index, "counted"].any()
    assert counter.to_dict()["convention"]["paper_counter"] is True


def test_paper_counter_changes_nothing_without_attention():
    model = create("sew-resnet-tiny", 4, 2, 1)
    assert cost_table(model, convention=PAPER_COUNTER).totals == cost_table(model).totals


@pytest.mark.parametrize("depth,arch", [(34, "sew-resnet-34"), (50, "spiking-resnet-50")])
@pytest.mark.parametrize("size", [224, 209])
def test_closed_form_imagenet_resnet_macs_equal_the_trace(depth, arch, size):
    with torch.device("meta"):
        model = create(arch, 4, 2, 1, input_shape=(3, size, size))
    variants = layer_variants(trace_layers(model))
    assert imagenet_resnet_macs(depth, size) == variants["all"]
    assert imagenet_resnet_macs(depth, size, stem=False) == variants["no_stem"]
    assert imagenet_resnet_macs(depth, size, fc=False) == variants["no_fc"]
    assert imagenet_resnet_macs(depth, size, shortcuts=False) == variants["no_shortcuts"]
    assert variants["real_synapses"] < variants["all"]


def test_resolution_scan_finds_the_closest_side():
    target = imagenet_resnet_macs(34, 210)
    found = resolution_scan(34, target)
    assert imagenet_resnet_macs(34, found.size) == target and found.rel_dev == 0
    assert resolution_scan(34, target, sizes=[224]).rel_dev > 0


def test_rebinding_a_probe_trace_equals_tracing_at_the_target():
    probe, target = WST(13, 11, 1), WST(2, 3, 4)
    traces = rebind_bits(trace_layers(create("spikformer-tiny", 13, 11, 1)), probe, target)
    analytic = cost_frame(traces, target.T, target.s_bits)
    direct = cost_table(create("spikformer-tiny", 2, 3, 4)).layers
    for col in ("macs", "w_bits", "sops", "s_ace", "counted"):
        assert analytic[col].tolist() == direct[col].tolist(), col


def test_ns_ace_with_firing_rates():
    model = TwoLayer(WST(4, 2, 3))
    report = cost_table(model, firing_rates={"fc": 0.25})
    layers = report.layers.set_index("layer")
    assert layers.loc["conv", "firing_rate"] == 1.0  # real-valued input: dense
    assert layers.loc["fc", "ns_ace"] == pytest.approx(0.25 * FC_MACS * 4 * 2 * 3)
    assert report.totals["ns_ace"] == pytest.approx(CONV_MACS * 24 + 0.25 * FC_MACS * 24)


@pytest.mark.parametrize(
    "rates, match",
    [
        ({}, "no rate for spiking layer 'fc'"),
        ({"fc": 0.5, "fc2": 0.1}, "unknown layers"),
        ({"fc": 1.5}, r"\[0, 1\]"),
    ],
)
def test_bad_firing_rates_are_rejected(rates, match):
    with pytest.raises(ValueError, match=match):
        cost_table(TwoLayer(WST(4, 2, 3)), firing_rates=rates)


def test_missing_input_shape_is_a_clear_error():
    plain = nn.Sequential(QLinear(4, 2, w_bits=4, in_bits=1))
    with pytest.raises(ValueError, match="input_shape is required"):
        cost_table(plain)
    assert cost_table(plain, input_shape=(4,)).totals["macs"] == 8


def test_activity_recorder_rates_and_histograms():
    torch.manual_seed(0)
    model = TwoLayer(WST(4, 2, 3))
    x = torch.rand(5, 1, 4, 4) * 3
    with ActivityRecorder(model) as rec:
        model(x)
        model(x)
    spikes = model.lif(model.conv(model.encode(x)))  # recompute independently, outside the recorder
    expected = float((spikes != 0).float().mean())
    rates = rec.layer_input_rates()
    assert rates["fc"] == pytest.approx(expected)
    assert rates["conv"] == pytest.approx(float((x != 0).float().mean()))
    table = rec.neuron_table()
    assert table["layer"].tolist() == ["lif"] and table["s_bits"].tolist() == [2]
    assert table["firing_rate"].iloc[0] == pytest.approx(expected)
    hist = table["hist"].iloc[0]
    assert len(hist) == 4 and sum(hist) == 2 * spikes.numel() and sum(hist[1:]) == 2 * int((spikes != 0).sum())
    assert rec.neuron_records() == [{"layer": "lif", "s_bits": 2, "rate": table["firing_rate"].iloc[0], "hist": hist}]
    assert model.lif.record is False  # restored on exit
    ns = cost_table(model, firing_rates=rates).totals["ns_ace"]
    assert 0 < ns < cost_table(model).totals["s_ace"]


def _run_cli(capsys, *argv):
    rc = qsnn_main(list(argv))
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_cli_cost_json(capsys):
    rc, out, _ = _run_cli(capsys, "cost", "--arch", "sew-resnet-tiny", "--wst", "4/2/3", "--json", "--layers")
    data = json.loads(out)
    assert rc == 0
    assert {"params", "macs", "sops", "s_ace", "layers"} <= data.keys()
    assert isinstance(data["params"], int)
    assert data["sops"] == pytest.approx(data["macs"] * 2 * 3)
    assert data["s_ace"] == pytest.approx(data["macs"] * 4 * 2 * 3)
    assert {"layer", "macs", "w_bits", "in_bits", "sops", "s_ace"} <= data["layers"][0].keys()


def test_cli_cost_input_and_classes(capsys):
    _, small, _ = _run_cli(capsys, "cost", "--arch", "sew-resnet-tiny", "--wst", "1/1/1", "--json")
    _, big, _ = _run_cli(
        capsys,
        "cost",
        "--arch",
        "sew-resnet-tiny",
        "--wst",
        "1/1/1",
        "--json",
        "--input",
        "1x16x16",
        "--num-classes",
        "7",
    )
    small, big = json.loads(small), json.loads(big)
    assert big["input_shape"] == [1, 16, 16] and big["num_classes"] == 7
    assert big["macs"] > 3 * small["macs"]


def test_cli_cost_paper_counter_convention(capsys):
    _, primary, _ = _run_cli(capsys, "cost", "--arch", "spikformer-tiny", "--wst", "4/2/1", "--json")
    rc, counter, _ = _run_cli(
        capsys, "cost", "--arch", "spikformer-tiny", "--wst", "4/2/1", "--json", "--convention", "paper-counter"
    )
    primary, counter = json.loads(primary), json.loads(counter)
    assert rc == 0 and counter["convention"]["paper_counter"] and not primary["convention"]["paper_counter"]
    assert counter["macs"] < primary["macs"] and counter["macs_all"] == primary["macs_all"]


@pytest.mark.parametrize("wst", ["4/2", "a/b/c", "0/1/1", "4/-1/1", "4/2/0"])
def test_cli_malformed_wst_is_a_usage_error(capsys, wst):
    with pytest.raises(SystemExit) as exc:
        qsnn_main(["cost", "--arch", "sew-resnet-tiny", "--wst", wst, "--json"])
    assert exc.value.code == 2
    assert "--wst" in capsys.readouterr().err


def test_cli_bad_input_shape_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exc:
        qsnn_main(["cost", "--arch", "sew-resnet-tiny", "--wst", "1/1/1", "--input", "8x8"])
    assert exc.value.code == 2 and "CxHxW" in capsys.readouterr().err


def test_cli_unknown_arch_lists_known_names(capsys):
    rc, out, err = _run_cli(capsys, "cost", "--arch", "no-such-net", "--wst", "1/1/1", "--json")
    assert rc == 2 and out == ""
    assert "no-such-net" in err and "sew-resnet-34" in err and "spikformer-8-512" in err
