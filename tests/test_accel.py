"""Table 4 accelerator cycle model, its validation against Verilator, and board ingestion."""

from __future__ import annotations

import math
import shutil

import pandas as pd
import pytest

from qsnn.hardware import accel, board

EXAMPLE = board.DEFAULT_BOARD_DIR / "example_measurements.csv"


def toy_network() -> list[accel.LayerShape]:
    return [
        accel.LayerShape("enc", "conv", 27, 16, 64, 8, None),  # real-valued input
        accel.LayerShape("fc1", "linear", 200, 40, 1, 8, 2),
    ]


def test_layer_cycles_follow_the_documented_formula():
    cfg = accel.AcceleratorConfig(rows=4, cols=8, clock_mhz=100.0, spike_serial=True, input_bits=8)
    assert cfg.pack(8) == 4 and cfg.pack(16) == 2 and cfg.pack(1) == 4 and cfg.fill == 12
    enc, fc1 = toy_network()
    T = 3
    # enc: planes 8 (input bits), k_tiles ceil(27/16)=2, m_tiles ceil(16/8)=2
    assert accel.layer_cycles(enc, T, cfg) == 2 * (T * 8 * 64 * 2 + 12)
    # fc1: planes 2 (S), k_tiles ceil(200/16)=13, m_tiles 5
    assert accel.layer_cycles(fc1, T, cfg) == 5 * (T * 2 * 1 * 13 + 12)
    perf = accel.frame_performance(toy_network(), T, cfg)
    total = 2 * (T * 8 * 64 * 2 + 12) + 5 * (T * 2 * 13 + 12)
    assert perf["cycles_per_frame"] == total
    assert perf["fps"] == pytest.approx(100e6 / total) and perf["latency_ms"] == pytest.approx(total / 100e3)


def test_bit_parallel_engine_and_weight_load():
    cfg = accel.rtl_tile_config(rows=4, cols=8)  # 4 neurons, 8 inputs per beat
    layer = accel.LayerShape("l", "tile", 20, 10, 5, 4, 4)
    chunks, passes = math.ceil(20 / 8), math.ceil(10 / 4)
    assert accel.layer_cycles(layer, 3, cfg) == passes * (3 * 5 * chunks + accel.TILE_LATENCY + chunks)


def test_invalid_config_rejected():
    with pytest.raises(ValueError, match="rows"):
        accel.AcceleratorConfig(rows=0)
    with pytest.raises(ValueError, match="does not fit"):
        accel.AcceleratorConfig().pack(48)


def test_table4_rows_on_a_toy_network():
    paper = pd.DataFrame(
        [
            {
                "row": 0,
                "dataset": "toy",
                "device": "xck26",
                "w_bits": 8,
                "s_bits": 1,
                "T": 4,
                "bit_budget": 32,
                "fps": 100.0,
                "latency": None,
            },
            {
                "row": 1,
                "dataset": "toy",
                "device": "xck26",
                "w_bits": 8,
                "s_bits": 4,
                "T": 1,
                "bit_budget": 32,
                "fps": 100.0,
                "latency": None,
            },
            {
                "row": 2,
                "dataset": "toy",
                "device": "xck26",
                "w_bits": 8,
                "s_bits": 2,
                "T": 3,
                "bit_budget": 64,
                "fps": 100.0,
                "latency": None,
            },
        ]
    )
    cfg = accel.AcceleratorConfig(rows=8, cols=8, clock_mhz=200.0)
    nets = {"toy": ("cifarnet-tiny", (1, 8, 8), 10)}
    out = accel.table4_rows(paper, cfg, networks=nets)
    assert set(out.kind) == {"modelled"}
    for rec in out.to_dict("records"):
        shapes = accel.trace_layer_shapes("cifarnet-tiny", 8, rec["s_bits"], 1, input_shape=(1, 8, 8), num_classes=10)
        cycles = sum(accel.layer_cycles(l, rec["T"], cfg) for l in shapes)
        assert rec["cycles_per_frame"] == cycles and rec["fps"] == pytest.approx(200e6 / cycles)
    assert "T*W*S=48" in out.loc[2, "note"] and out.loc[0, "note"] == ""
    with pytest.raises(ValueError, match="no network"):
        accel.table4_rows(paper.assign(dataset="imagenet"), cfg, networks=nets)


def test_example_board_file_excluded_by_default_and_replaces_when_included(tmp_path):
    modelled = pd.DataFrame(
        [
            {
                "network": "spikformer-4-384",
                "dataset": "cifar10",
                "w_bits": 8,
                "s_bits": 1,
                "T": 4,
                "device": "xck26",
                "fps": 300.0,
                "latency_ms": 3.3,
                "paper_fps": 342.35,
                "paper_latency": None,
                "kind": "modelled",
                "cycles_per_frame": 1000,
                "power_w": None,
                "assumptions": "model",
                "note": "",
            },
            {
                "network": "spikformer-4-384",
                "dataset": "cifar10",
                "w_bits": 8,
                "s_bits": 2,
                "T": 2,
                "device": "xck26",
                "fps": 301.0,
                "latency_ms": 3.3,
                "paper_fps": 343.52,
                "paper_latency": None,
                "kind": "modelled",
                "cycles_per_frame": 1000,
                "power_w": None,
                "assumptions": "model",
                "note": "",
            },
        ]
    )
    assert board.load_measurements(board.DEFAULT_BOARD_DIR).empty  # only the example is shipped
    measured = board.load_measurements(files=[EXAMPLE], include_examples=True)
    assert measured["example"].all() and len(measured) == 2
    out = board.apply_measurements(modelled, measured)
    first = out.iloc[0]
    assert first.kind == "measured" and first.fps == 111.0 and "EXAMPLE" in first.assumptions
    assert out.iloc[1].kind == "modelled" and out.iloc[1].fps == 301.0
    added = out[out.dataset == "cifar10-dvs"].iloc[0]  # no modelled twin: appended
    assert added.kind == "measured" and added.latency_ms == 22.0
    # A real (non-example) file in a board dir is picked up without any flag.
    real = tmp_path / "kv260_run1.csv"
    real.write_text(EXAMPLE.read_text().replace("true", "false"))
    shutil.copy(EXAMPLE, tmp_path / EXAMPLE.name)
    assert len(board.load_measurements(tmp_path)) == 2


def test_board_schema_errors(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("device,network\nxck26,x\n")
    with pytest.raises(ValueError, match="missing columns"):
        board.read_board_csv(bad)
    empty = tmp_path / "nofps.csv"
    empty.write_text(
        "device,bitstream,network,dataset,w_bits,s_bits,T,measured_by,date\nxck26,abc,n,cifar10,8,1,4,me,2024-01-01\n"
    )
    with pytest.raises(ValueError, match="neither fps nor latency_ms"):
        board.read_board_csv(empty)


@pytest.mark.skipif(shutil.which("g++") is None or shutil.which("make") is None, reason="needs make and g++")
def test_model_matches_verilator_tile_cycles(tmp_path):
    case = accel.TileCase("small", n_out=6, n_in=12, rows=4, cols=4, T=3, samples=3)
    table = accel.validate_tiles([case], w_bits=2, s_bits=2, build_dir=tmp_path)
    row = table.iloc[0]
    assert row.simulated_cycles > 0 and abs(row.rel_error) <= 0.05
