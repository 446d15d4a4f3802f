"""``qsnn.metrics.profile``: the cost table of any spiking network from one real forward pass.

Independent references: ``cost_table`` (meta-device shape tracing) with ``ActivityRecorder``
rates on qsnn's models; hand counts and what SpikingJelly itself computed (stored in
``tests/fixtures/spikingjelly_net.pt``, see ``make_interop_fixtures.py``); manual loops over
snnTorch neurons; bit-widths of tensors built with known levels.
"""

from __future__ import annotations

import importlib
import importlib.util
import math
from pathlib import Path

import pytest
import torch
from torch import nn

from qsnn.layers import QLinear, SpikeMatmul
from qsnn.metrics import STRICT_CONVENTION, ActivityRecorder, cost_table, profile
from qsnn.metrics.profile import spike_bits, weight_bits
from qsnn.models import create
from qsnn.quant import quantize_weight

torch.set_num_threads(1)
FIXTURES = Path(__file__).parent / "fixtures"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, FIXTURES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _reference(model, x):
    """cost_table on the meta device, NS-ACE from ActivityRecorder's rates on the same sample."""
    with ActivityRecorder(model) as rec, torch.no_grad():
        model(x)
    return cost_table(model, firing_rates=rec.layer_input_rates())


# --- qsnn's own models: profile == cost_table ---------------------------------------------------


@pytest.mark.parametrize(
    "arch,wst",
    [
        ("sew-resnet-tiny", (4, 2, 2)),
        ("sew-resnet-tiny", (16, 1, 4)),
        ("spikformer-tiny", (1, 4, 1)),
        ("spikformer-tiny", (2, 2, 3)),
        ("resnet-tiny", (8, 8, 1)),
        ("cifarnet-tiny", (2, 1, 4)),
    ],
)
def test_profile_equals_cost_table_on_qsnn_models(arch, wst):
    torch.manual_seed(0)
    model = create(arch, *wst).eval()
    x = torch.rand(3, *model.input_shape) * 4  # bright enough that most layers see spikes
    report, ref = profile(model, x), _reference(model, x)
    assert report.layers[ref.layers.columns].equals(ref.layers)
    assert report.totals == ref.totals and report.T == ref.T == wst[2]
    assert report.input_shape == ref.input_shape


def test_profile_equals_cost_table_on_a_full_scale_model_at_a_small_input():
    torch.manual_seed(0)
    model = create("sew-resnet-18", 2, 1, 2, input_shape=(3, 32, 32)).eval()
    x = torch.rand(1, 3, 32, 32) * 4
    report, ref = profile(model, x), _reference(model, x)
    assert report.layers[ref.layers.columns].equals(ref.layers) and report.totals == ref.totals
    assert report.totals["params"] == ref.totals["params"] > 11_000_000


def test_event_input_of_a_spiking_network_is_multi_step():
    model = create("sew-resnet-tiny", 4, 2, 3).eval()
    frames = torch.rand(3, 2, *model.input_shape)
    report = profile(model, frames)
    assert report.T == 3 and report.input_shape == model.input_shape
    assert report.totals == _reference(model, frames).totals
    with pytest.raises(ValueError, match="time steps"):
        profile(model, torch.rand(2, 2, *model.input_shape))


def test_observed_bits_never_exceed_what_qsnn_layers_declare():
    """Observation is a lower bound of the declared widths (the residual stream of a Spikformer
    sums ``in_terms`` S-bit spikes, which widens it by ceil(log2 in_terms))."""
    torch.manual_seed(0)
    model = create("spikformer-tiny", 4, 2, 2).eval()
    report = profile(model, torch.rand(4, *model.input_shape) * 4)
    widening = {n: math.ceil(math.log2(getattr(m, "in_terms", 1))) for n, m in model.named_modules()}
    for row in report.layers.itertuples():
        assert row.observed_w_bits <= row.w_bits
        if row.in_bits == row.in_bits:  # not NaN: a spiking input
            assert 1 <= row.observed_in_bits <= row.in_bits + widening[row.layer]
    full = profile(create("spikformer-tiny", 16, 2, 2).eval(), torch.rand(2, 1, 8, 8))
    assert (full.layers.loc[full.layers["kind"] != "matmul", "observed_w_bits"] == 16).all()


def test_declared_and_observed_bits_agree_where_every_level_is_used():
    """W=1 and W=2 use all their codes; binary spikes use both levels: both modes cost the same."""
    torch.manual_seed(0)
    for w in (1, 2):
        model = create("cifarnet-tiny", w, 1, 2).eval()
        x = torch.rand(4, *model.input_shape) * 4
        declared, observed = profile(model, x), profile(model, x, bits="observed")
        assert (declared.layers["observed_w_bits"] == w).all()
        assert declared.totals == observed.totals


# --- bit-width rules on tensors with known levels ---------------------------------------------------


@pytest.mark.parametrize(
    "levels,bits",
    [
        ([0, 1], 1),
        ([0, 1, 2, 3], 2),
        ([0, 0.5, 1.0, 1.5], 2),
        ([0, 3, 7], 3),
        ([0], 1),
        ([0, 15 * 0.3], 1),
        ([0, 0.3, 0.6, 4.5], 4),
        ([0, 255], 1),
        (list(range(256)), 8),
    ],
)
def test_spike_bits_of_grid_levels(levels, bits):
    assert spike_bits(torch.tensor(levels, dtype=torch.float32).unique()) == bits


@pytest.mark.parametrize(
    "values", [[-1.0, 0.0, 1.0], torch.rand(500).tolist(), [0.0, 1.0, math.pi], [0.0, 1.0, math.inf]]
)
def test_negative_or_off_grid_inputs_are_real_valued(values):
    assert spike_bits(torch.tensor(values).unique()) is None


@pytest.mark.parametrize("bits", [1, 2, 3, 4, 6])
def test_weight_bits_of_quantized_weights(bits):
    torch.manual_seed(0)
    w = torch.rand(64, 256) * 2 - 1
    # a step that spans the weights' range, so that every code of the grid is used
    step = None if bits == 1 else w.abs().max() / (2 ** (bits - 1) - 1)
    q = quantize_weight(w, bits, step)
    assert q.unique().numel() == (2 if bits == 1 else 2**bits - 1)
    assert weight_bits(q) == bits


def test_float_weights_are_full_precision_even_when_few():
    assert weight_bits(torch.randn(3, 3)) == 16 and weight_bits(torch.randn(300, 300)) == 16


class _KnownBits(nn.Module):
    """fc1 reads the sample; fc2 reads 3-bit spikes (levels k*0.5, k <= 5); fc3 reads negative values."""

    def __init__(self):
        super().__init__()
        self.fc1, self.fc2, self.fc3 = nn.Linear(6, 8), nn.Linear(8, 4), nn.Linear(4, 2)
        with torch.no_grad():
            codes = torch.arange(-3, 5).repeat(4, 1).float()  # 8 distinct codes on one grid: 3 bits
            self.fc2.weight.copy_(codes * 0.125)

    def forward(self, x):
        spikes = torch.clamp(torch.round(self.fc1(x).abs() * 4), 0, 5) * 0.5
        return self.fc3(self.fc2(spikes) - 10.0)


def test_bits_observed_on_a_plain_module():
    torch.manual_seed(0)
    x = torch.rand(16, 6) * 3
    model = _KnownBits()
    report = profile(model, x)
    rows = report.layers.set_index("layer")
    with torch.no_grad():
        top_level = int(torch.clamp(torch.round(model.fc1(x).abs() * 4), 0, 5).max())
    assert top_level == 5  # the sample reaches the top level, so S = ceil(log2(5 + 1)) = 3
    assert rows.loc["fc2", "observed_in_bits"] == 3 and rows.loc["fc2", "w_bits"] == 3
    assert math.isnan(rows.loc["fc1", "observed_in_bits"]) and math.isnan(rows.loc["fc3", "observed_in_bits"])
    assert rows.loc["fc1", "w_bits"] == 16
    assert report.T == 1 and report.input_shape == (6,)
    assert rows.loc["fc2", "sops"] == 8 * 4 * 3  # MACs x S x T
    assert rows.loc["fc2", "s_ace"] == 8 * 4 * 3 * 3  # x W


# --- SpikingJelly: committed fixture (always) and the live library (where installed) -------------


@pytest.fixture(scope="module")
def sj():
    twin = _load("spikingjelly_twin")
    fixture = torch.load(FIXTURES / "spikingjelly_net.pt", weights_only=True)
    net = twin.Net(twin.TWIN).eval()
    net.load_state_dict(fixture["state_dict"])
    return twin, fixture, net


def test_twin_reproduces_spikingjelly_output(sj):
    _, fixture, net = sj
    with torch.no_grad():
        assert torch.allclose(net(fixture["sample"]), fixture["output"], atol=1e-6)


def test_profile_of_a_spikingjelly_network(sj):
    twin, fixture, net = sj
    report = profile(net, fixture["sample"])  # multi-step: T inferred from step_mode "m"
    rows = report.layers.set_index("layer")
    assert report.T == twin.T and list(rows.index) == list(twin.SYNAPTIC)
    assert rows["macs"].to_dict() == pytest.approx(twin.MACS_PER_STEP, rel=0)
    assert rows["firing_rate"].to_dict() == pytest.approx(fixture["input_rates"], rel=1e-12)
    # each LIF's output, as SpikingJelly emitted it, is the next layer's input
    for lif, layer in zip(twin.NEURONS, twin.SYNAPTIC[1:]):
        assert rows.loc[layer, "firing_rate"] == pytest.approx(fixture["neuron_rates"][lif], rel=1e-12)
    assert math.isnan(rows.loc["conv1", "in_bits"])  # reads the event frames: the encoding layer
    assert (rows.loc[list(twin.SYNAPTIC[1:]), "in_bits"] == 1).all() and (rows["w_bits"] == 16).all()
    assert report.totals["s_ace"] == sum(twin.MACS_PER_STEP.values()) * 16 * 1 * twin.T


def test_rate_weighted_sops_equal_spikingjelly_synops_where_fan_out_is_uniform(sj):
    """SpikingJelly's SynOpCounter counts each spike times its real fan-out. With a uniform fan-out
    (the linear layer, the 1x1 conv) that is fr x MACs x T exactly; a 3x3 conv's border inputs
    feed fewer outputs, so there the rate-weighted count is an average (documented convention)."""
    twin, fixture, net = sj
    rows = profile(net, fixture["sample"]).layers.set_index("layer")
    batch = fixture["sample"].shape[1]
    weighted = rows["firing_rate"] * rows["sops"] * batch
    for layer in ("conv2", "fc"):
        assert weighted[layer] == pytest.approx(fixture["synops"][layer], rel=1e-12)
    for layer in ("conv1", "conv3"):
        assert 0.5 * weighted[layer] < fixture["synops"][layer] <= weighted[layer] * 1.2


def test_live_spikingjelly_network_profiles_like_its_twin(sj):
    pytest.importorskip(
        "spikingjelly.activation_based", reason="spikingjelly is not installed (see make_interop_fixtures.py)"
    )
    maker = _load("make_interop_fixtures")
    _, fixture, twin_net = sj
    real = maker.deterministic_net(maker.spikingjelly_lib())
    real.load_state_dict(fixture["state_dict"])
    a, b = profile(real, fixture["sample"]), profile(twin_net, fixture["sample"])
    assert a.layers.equals(b.layers) and a.totals == b.totals
    # the same network in single-step mode, called once per step (its state reset by profile)
    importlib.import_module("spikingjelly.activation_based.functional").set_step_mode(real, "s")
    stepwise = profile(real, fixture["sample"], T=fixture["sample"].shape[0])
    assert stepwise.layers.equals(b.layers) and stepwise.totals == b.totals


# --- snnTorch (in the test extra) -----------------------------------------------------------------


def _rate(spikes: torch.Tensor) -> float:
    return int(torch.count_nonzero(spikes)) / spikes.numel()


def _snntorch():
    return pytest.importorskip("snntorch")


def test_snntorch_stepwise_model_called_once_per_step():
    snn = _snntorch()
    torch.manual_seed(0)
    net = nn.Sequential(
        nn.Linear(20, 30),
        snn.Leaky(beta=0.9, init_hidden=True),
        nn.Linear(30, 5),
        snn.Leaky(beta=0.9, init_hidden=True, output=True),
    )
    x = torch.rand(6, 3, 20) * 3
    report = profile(net, x, T=6)
    # independent: run the same neurons step by step and count the spikes fc2 receives
    importlib.import_module("snntorch.utils").reset(net)
    with torch.no_grad():
        spikes = torch.stack([net[1](net[0](x[t])) for t in range(6)])
    rows = report.layers.set_index("layer")
    assert rows.loc["2", "firing_rate"] == pytest.approx(_rate(spikes), rel=1e-12)
    assert rows["macs"].tolist() == [20 * 30, 30 * 5] and report.T == 6
    assert rows.loc["2", "in_bits"] == 1 and (rows["w_bits"] == 16).all()
    assert report.totals["sops"] == (600 + 150) * 1 * 6
    assert profile(net, x, T=6).totals == report.totals  # neuron state is reset around the pass


class _LoopNet(nn.Module):
    """snnTorch tutorial style: [B, ...] in, the loop over time steps inside forward."""

    def __init__(self, snn, steps: int):
        super().__init__()
        self.steps = steps
        self.fc1, self.lif1 = nn.Linear(10, 12), snn.Leaky(beta=0.8)
        self.fc2, self.lif2 = nn.Linear(12, 4), snn.Leaky(beta=0.8)

    def forward(self, x):
        mem1, mem2, out = self.lif1.init_leaky(), self.lif2.init_leaky(), []
        for _ in range(self.steps):
            spk1, mem1 = self.lif1(self.fc1(x), mem1)
            spk2, mem2 = self.lif2(self.fc2(spk1), mem2)
            out.append(spk2)
        return torch.stack(out)


def test_snntorch_model_looping_inside_forward():
    snn = _snntorch()
    torch.manual_seed(0)
    net, x = _LoopNet(snn, 5), torch.rand(4, 10) * 3
    report = profile(net, x, T=5, step_mode="repeat")
    with torch.no_grad():
        mem, spikes = net.lif1.init_leaky(), []
        for _ in range(5):
            spk, mem = net.lif1(net.fc1(x), mem)
            spikes.append(spk)
    rows = report.layers.set_index("layer")
    assert rows.loc["fc2", "firing_rate"] == pytest.approx(_rate(torch.stack(spikes)), rel=1e-12)
    assert report.T == 5 and rows["macs"].tolist() == [120, 48]
    with pytest.raises(ValueError, match="needs T="):
        profile(net, x, step_mode="repeat")


# --- spike x spike products ----------------------------------------------------------------------


class _InlineAttention(nn.Module):
    """q, k, v spikes from linears; ``q @ k^T`` and ``attn @ v`` written inline; one real-valued product."""

    def __init__(self):
        super().__init__()
        self.q, self.k, self.v = nn.Linear(8, 8), nn.Linear(8, 8), nn.Linear(8, 8)
        self.qk = SpikeMatmul(a_bits=1, b_bits=1)

    def forward(self, x):  # x: [T, B, N, 8]
        q, k, v = ((lin(x) > 0).float() for lin in (self.q, self.k, self.v))
        attn = (q @ k.transpose(-1, -2) > 1).float()
        soft = torch.softmax(x @ x.transpose(-1, -2), -1)  # real x real: no synaptic operation
        return self.qk(attn, v) + soft @ v


def test_inline_spike_products_are_found_and_real_ones_are_not():
    torch.manual_seed(0)
    T, B, N = 2, 3, 5
    report = profile(_InlineAttention(), torch.randn(T, B, N, 8), step_mode="multi")
    rows = report.layers.set_index("layer")
    assert list(rows.index) == ["q", "k", "v", "matmul0", "qk"]
    assert (rows.loc[["matmul0", "qk"], "kind"] == "matmul").all()
    assert rows.loc["matmul0", "macs"] == rows.loc["qk", "macs"] == N * N * 8
    assert not rows.loc[["matmul0", "qk"], "counted"].any()  # primary convention: listed, not counted
    strict = profile(_InlineAttention(), torch.randn(T, B, N, 8), step_mode="multi", convention=STRICT_CONVENTION)
    assert strict.layers.set_index("layer").loc["matmul0", "s_ace"] == N * N * 8 * 1 * 1 * T


# --- errors and side effects ------------------------------------------------------------------------


def test_a_model_without_synaptic_layers_is_a_clear_error():
    with pytest.raises(ValueError, match="no synaptic layer"):
        profile(nn.Sequential(nn.ReLU(), nn.BatchNorm1d(4)), torch.rand(2, 4))


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"step_mode": "sideways"}, "step_mode"),
        ({"T": 0}, "positive"),
        ({"bits": "guessed"}, "bits"),
        ({"T": 3, "step_mode": "multi"}, "time steps"),
    ],
)
def test_bad_arguments_name_the_problem(kwargs, match):
    with pytest.raises(ValueError, match=match):
        profile(nn.Linear(4, 2), torch.rand(2, 5, 4), **kwargs)


def test_a_sample_that_does_not_fit_is_a_value_error():
    with pytest.raises(ValueError, match="failed"):
        profile(nn.Linear(4, 2), torch.rand(3, 5))
    with pytest.raises(ValueError, match="tensor"):
        profile(nn.Linear(4, 2), [[1.0] * 4])


def test_profile_leaves_the_model_as_it_was():
    model = create("sew-resnet-tiny", 4, 2, 2).train()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    profile(model, torch.rand(2, *model.input_shape))
    assert model.training and all(m.training for m in model.modules())
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())  # BN statistics untouched


def test_qlinear_weights_are_read_after_quantization():
    torch.manual_seed(0)
    layer = QLinear(32, 4, w_bits=3, in_bits=None)
    rows = profile(layer, torch.rand(2, 32), bits="observed").layers
    assert rows.loc[0, "observed_w_bits"] == 3 and rows.loc[0, "w_bits"] == 3
