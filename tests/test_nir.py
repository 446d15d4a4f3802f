"""``qsnn cost --nir FILE``: the cost table of a NIR graph from its weights and shapes.

Independent references: hand counts of the committed graph (``tests/fixtures/tiny_net.nir``,
made by ``make_interop_fixtures.py nir``), and :func:`qsnn.metrics.profile` on the same network
written in PyTorch (a real forward pass instead of the graph's shapes).
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from qsnn.cli import main as qsnn_main
from qsnn.metrics import profile

nir = pytest.importorskip("nir", reason="nir is not installed: pip install 'qsnn[interop]'")
h5py = pytest.importorskip("h5py")

from qsnn.metrics.nir import nir_cost  # noqa: E402 (after the skip: the reader needs nir)

FIXTURES = Path(__file__).parent / "fixtures"
GRAPH = FIXTURES / "tiny_net.nir"
# By hand, per sample and time step: conv 2x8x8 -> 4x4x4 (3x3, stride 2, pad 1), Affine 64 -> 16, Linear 16 -> 3.
MACS = {"conv": 4 * 4 * 4 * (2 * 3 * 3), "fc1": 64 * 16, "fc2": 16 * 3}
PARAMS = {"conv": 4 * 2 * 3 * 3 + 4, "fc1": 64 * 16 + 16, "fc2": 16 * 3}
W_BITS = {"conv": 2, "fc1": 16, "fc2": 1}  # {-1, 0, 1} * step; float; +-alpha


def _maker():
    spec = importlib.util.spec_from_file_location("make_interop_fixtures", FIXTURES / "make_interop_fixtures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_graph_is_what_the_script_makes():
    made, read = _maker().nir_graph(), nir.read(GRAPH)
    assert set(made.nodes) == set(read.nodes) and sorted(made.edges) == sorted(read.edges)
    for name in ("conv", "fc1", "fc2"):
        np.testing.assert_array_equal(made.nodes[name].weight, read.nodes[name].weight)


@pytest.mark.parametrize("steps,spike_bits", [(1, 1), (4, 1), (2, 3)])
def test_costs_of_the_committed_graph_by_hand(steps, spike_bits):
    cost = nir_cost(GRAPH, steps=steps, spike_bits=spike_bits)
    rows = cost.report.layers.set_index("layer")
    assert list(rows.index) == ["conv", "fc1", "fc2"]
    assert rows["macs"].to_dict() == MACS and rows["params"].to_dict() == PARAMS and rows["w_bits"].to_dict() == W_BITS
    assert np.isnan(rows.loc["conv", "in_bits"]) and (rows.loc[["fc1", "fc2"], "in_bits"] == spike_bits).all()
    # the encoding conv is charged at the network's S, as cost_table charges a real-valued input
    assert cost.report.totals["sops"] == sum(MACS.values()) * spike_bits * steps
    assert cost.report.totals["s_ace"] == sum(MACS[n] * W_BITS[n] for n in MACS) * spike_bits * steps
    assert cost.report.totals["params"] == sum(PARAMS.values())
    assert cost.report.totals["ns_ace"] is None and "firing rates" in cost.note
    assert cost.report.input_shape == (2, 8, 8) and cost.version.startswith("1.")


def test_firing_rates_give_ns_ace():
    rates = {"fc1": 0.25, "fc2": 0.5}
    cost = nir_cost(GRAPH, steps=2, firing_rates=rates)
    s_ace = cost.report.layers.set_index("layer")["s_ace"]
    expected = s_ace["conv"] * 1.0 + s_ace["fc1"] * 0.25 + s_ace["fc2"] * 0.5  # the real input is dense
    assert cost.report.totals["ns_ace"] == pytest.approx(expected) and cost.note is None


class _Torch(nn.Module):
    """The fixture's network in PyTorch: same weights, binary threshold spikes."""

    def __init__(self, graph):
        super().__init__()
        conv, fc1, fc2 = (graph.nodes[n] for n in ("conv", "fc1", "fc2"))
        self.conv = nn.Conv2d(2, 4, 3, stride=2, padding=1)
        self.fc1, self.fc2 = nn.Linear(64, 16), nn.Linear(16, 3, bias=False)
        with torch.no_grad():
            self.conv.weight.copy_(torch.from_numpy(conv.weight))
            self.conv.bias.copy_(torch.from_numpy(conv.bias))
            self.fc1.weight.copy_(torch.from_numpy(fc1.weight))
            self.fc1.bias.copy_(torch.from_numpy(fc1.bias))
            self.fc2.weight.copy_(torch.from_numpy(fc2.weight))

    def forward(self, x):
        s1 = (self.conv(x) > 0.1).float().flatten(1)
        return self.fc2((self.fc1(s1) > 0).float())


def test_graph_costs_equal_a_real_forward_pass_of_the_same_network():
    graph_rows = nir_cost(GRAPH).report.layers.set_index("layer")
    torch.manual_seed(0)
    run = profile(_Torch(nir.read(GRAPH)), torch.rand(8, 2, 8, 8), bits="observed").layers.set_index("layer")
    for column in ("macs", "params", "w_bits", "sops", "s_ace"):
        assert run[column].to_dict() == graph_rows[column].to_dict(), column
    assert (run.loc[["fc1", "fc2"], "observed_in_bits"] == 1).all()


def test_nested_graphs_are_walked_and_spikes_followed_into_them(tmp_path):
    lif = lambda n: nir.LIF(tau=np.full(n, 0.02), r=np.ones(n), v_leak=np.zeros(n), v_threshold=np.ones(n))  # noqa: E731
    inner = nir.NIRGraph(
        nodes={
            "input": nir.Input(input_type={"input": np.array([4])}),
            "fc": nir.Linear(weight=np.ones((3, 4), dtype=np.float32)),
            "lif": lif(3),
            "output": nir.Output(output_type={"output": np.array([3])}),
        },
        edges=[("input", "fc"), ("fc", "lif"), ("lif", "output")],
    )
    outer = nir.NIRGraph(
        nodes={
            "input": nir.Input(input_type={"input": np.array([5])}),
            "fc0": nir.Affine(
                weight=np.arange(20, dtype=np.float32).reshape(4, 5) * 0.5, bias=np.zeros(4, dtype=np.float32)
            ),
            "lif0": lif(4),
            "sub": inner,
            "li": nir.LI(tau=np.ones(3), r=np.ones(3), v_leak=np.zeros(3)),
            "fc2": nir.Linear(weight=np.ones((2, 3), dtype=np.float32)),
            "output": nir.Output(output_type={"output": np.array([2])}),
        },
        edges=[("input", "fc0"), ("fc0", "lif0"), ("lif0", "sub"), ("sub", "li"), ("li", "fc2"), ("fc2", "output")],
    )
    path = tmp_path / "nested.nir"
    nir.write(path, outer)
    rows = nir_cost(path).report.layers.set_index("layer")
    assert list(rows.index) == ["fc0", "sub.fc", "fc2"]
    assert rows.loc["sub.fc", "in_bits"] == 1  # spikes of lif0 enter the subgraph
    assert np.isnan(rows.loc["fc2", "in_bits"])  # an LI readout emits membrane potentials, not spikes
    assert rows.loc["fc0", "w_bits"] == 5  # 20 distinct values on a 0.5 grid: ceil(log2 20)


# --- the CLI -------------------------------------------------------------------------------------


def _cli(capsys, *argv):
    rc = qsnn_main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def test_cli_json(capsys, tmp_path):
    rc, out, _ = _cli(capsys, "cost", "--nir", str(GRAPH), "--steps", "3", "--json", "--layers")
    payload = json.loads(out)
    assert rc == 0 and payload["T"] == 3 and payload["spike_bits"] == 1 and payload["ns_ace"] is None
    assert payload["s_ace"] == nir_cost(GRAPH, steps=3).report.totals["s_ace"]
    assert [row["layer"] for row in payload["layers"]] == ["conv", "fc1", "fc2"] and payload["ns_ace_note"]
    rates = tmp_path / "rates.json"
    rates.write_text(json.dumps({"fc1": 0.1, "fc2": 0.2}))
    rc, out, _ = _cli(capsys, "cost", "--nir", str(GRAPH), "--rates", str(rates), "--json")
    assert rc == 0 and json.loads(out)["ns_ace"] == pytest.approx(
        nir_cost(GRAPH, firing_rates={"fc1": 0.1, "fc2": 0.2}).report.totals["ns_ace"]
    )


def test_cli_human_output_says_why_ns_ace_is_missing(capsys):
    rc, out, _ = _cli(capsys, "cost", "--nir", str(GRAPH))
    assert rc == 0 and "NS-ACE      not computed" in out and "--rates" in out


def _retyped(tmp_path, node: str, new_type: str) -> Path:
    path = tmp_path / "bad.nir"
    shutil.copy(GRAPH, path)
    with h5py.File(path, "r+") as f:
        del f["node"]["nodes"][node]["type"]
        f["node"]["nodes"][node].create_dataset("type", data=new_type, dtype=h5py.string_dtype())
    return path


def _versioned(tmp_path, version: str) -> Path:
    path = tmp_path / "v.nir"
    shutil.copy(GRAPH, path)
    with h5py.File(path, "r+") as f:
        del f["version"]
        f.create_dataset("version", data=version, dtype=h5py.string_dtype())
    return path


@pytest.mark.parametrize(
    "case,needle",
    [
        ("missing", "does not exist"),
        ("text", "not a NIR file"),
        ("unknown-node", "'lif2' has type 'Spiral'"),
        ("version", "NIR version 2.1.0"),
        ("rates-not-json", "not JSON"),
        ("unknown-rate-node", "unknown layers"),
    ],
)
def test_cli_bad_input_is_one_line_exit_2(capsys, tmp_path, case, needle):
    text = tmp_path / "notes.txt"
    text.write_text("not hdf5")
    argv = {
        "missing": ["--nir", str(tmp_path / "nope.nir")],
        "text": ["--nir", str(text)],
        "unknown-node": ["--nir", str(_retyped(tmp_path, "lif2", "Spiral"))],
        "version": ["--nir", str(_versioned(tmp_path, "2.1.0"))],
        "rates-not-json": ["--nir", str(GRAPH), "--rates", str(text)],
        "unknown-rate-node": ["--nir", str(GRAPH), "--rates", str(_json(tmp_path, {"nope": 0.5}))],
    }[case]
    rc, out, err = _cli(capsys, "cost", *argv)
    assert rc == 2 and out == "" and needle in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    if case == "unknown-node":
        assert "Conv2d" in err and "Affine" in err  # says what is supported


def _json(tmp_path, payload) -> Path:
    path = tmp_path / "r.json"
    path.write_text(json.dumps(payload))
    return path


def test_cli_without_the_nir_package_is_one_line(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "nir", None)  # import nir now raises ImportError
    rc, _, err = _cli(capsys, "cost", "--nir", str(GRAPH))
    assert rc == 2 and "pip install 'qsnn[interop]'" in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "argv,needle",
    [
        (["cost"], "--arch"),
        (["cost", "--nir", str(GRAPH), "--arch", "sew-resnet-tiny"], "not both"),
        (["cost", "--arch", "sew-resnet-tiny", "--wst", "1/1/1", "--rates", "r.json"], "--nir graphs only"),
    ],
)
def test_cli_flag_mixes_are_usage_errors(capsys, argv, needle):
    with pytest.raises(SystemExit) as exc:
        qsnn_main(argv)
    err = capsys.readouterr().err
    assert exc.value.code == 2 and needle in err and len(err.strip().splitlines()) == 1
